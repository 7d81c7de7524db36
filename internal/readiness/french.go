package readiness

import (
	"fmt"
	"strings"
	"time"
)

// Non-breaking spaces of French typography: a no-break space before the colon and inside
// guillemets, a narrow one before ; ! ? and %.
const (
	nbsp       = "\u00a0"
	narrowNbsp = "\u202f"
)

var typoReplacer = strings.NewReplacer(
	" :", nbsp+":",
	" ;", narrowNbsp+";",
	" !", narrowNbsp+"!",
	" ?", narrowNbsp+"?",
	" %", narrowNbsp+"%",
	"« ", "«"+nbsp,
	" »", nbsp+"»",
	"'", "’",
)

// typo applies French typography to policy text: policy authors write plain spaces and
// straight apostrophes, readers get non-breaking spaces and typographic apostrophes.
func typo(s string) string {
	if s == "" {
		return s
	}
	return typoReplacer.Replace(s)
}

var (
	frenchDays   = [...]string{"dimanche", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi"}
	frenchMonths = [...]string{"janvier", "février", "mars", "avril", "mai", "juin", "juillet",
		"août", "septembre", "octobre", "novembre", "décembre"}
)

// FrenchDate writes « lundi 5 octobre 2026 » (« 1er » for the first of the month) in loc.
func FrenchDate(t time.Time, loc *time.Location) string {
	t = t.In(loc)
	day := fmt.Sprint(t.Day())
	if t.Day() == 1 {
		day = "1er"
	}
	return frenchDays[t.Weekday()] + " " + day + " " + frenchMonths[t.Month()-1] + " " + fmt.Sprint(t.Year())
}

// FrenchTime writes « 20 h 00 » in loc.
func FrenchTime(t time.Time, loc *time.Location) string {
	t = t.In(loc)
	return fmt.Sprintf("%d%sh%s%02d", t.Hour(), nbsp, nbsp, t.Minute())
}

// FrenchDateTime writes « lundi 5 octobre 2026 à 20 h 00 » in loc.
func FrenchDateTime(t time.Time, loc *time.Location) string {
	return FrenchDate(t, loc) + " à " + FrenchTime(t, loc)
}
