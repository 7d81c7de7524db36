package ingest

import (
	"strconv"
	"strings"
	"sync"
	"time"
	// French exports carry Paris wall-clock times; embed the zone database so that a minimal
	// container without /usr/share/zoneinfo reads them the same way.
	_ "time/tzdata"
)

var parisZone = sync.OnceValue(func() *time.Location {
	loc, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		// time/tzdata is embedded, so this cannot happen; a fixed CET is the least wrong answer.
		return time.FixedZone("CET", 3600)
	}
	return loc
})

func paris() *time.Location { return parisZone() }

// parseDate reads a date written as ISO (2026-09-01, possibly followed by a time) or French
// (01/09/2026) and returns it as YYYY-MM-DD. Empty input gives "" and ok.
func parseDate(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", true
	}
	if len(s) > 10 && (s[10] == 'T' || s[10] == ' ') {
		s = s[:10] // drop a time part: facts here are dates
	}
	// The two usual spellings without time.Parse: dates are most of a pupil's fields.
	if len(s) == 10 {
		switch {
		case s[4] == '-' && s[7] == '-':
			if y, m, d, ok := digits(s[0:4], s[5:7], s[8:10]); ok && validDate(y, m, d) {
				return s, true
			}
			return "", false
		case s[2] == '/' && s[5] == '/':
			if y, m, d, ok := digits(s[6:10], s[3:5], s[0:2]); ok && validDate(y, m, d) {
				return s[6:10] + "-" + s[3:5] + "-" + s[0:2], true
			}
			return "", false
		}
	}
	for _, layout := range []string{"2006-01-02", "02/01/2006", "2/1/2006"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.Format(time.DateOnly), true
		}
	}
	return "", false
}

// digits reads three all-digit fields.
func digits(y, m, d string) (int, int, int, bool) {
	var v [3]int
	for i, f := range [3]string{y, m, d} {
		for j := 0; j < len(f); j++ {
			if f[j] < '0' || f[j] > '9' {
				return 0, 0, 0, false
			}
			v[i] = v[i]*10 + int(f[j]-'0')
		}
	}
	return v[0], v[1], v[2], true
}

// validDate says whether a calendar date exists.
func validDate(y, m, d int) bool {
	if m < 1 || m > 12 || d < 1 {
		return false
	}
	return d <= time.Date(y, time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// parseStamp reads "dd/mm/yyyy hh:mm:ss" (SIECLE HORODATAGE) or a bare date on Paris wall clock.
func parseStamp(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{"02/01/2006 15:04:05", "02/01/2006 15:04", "2006-01-02T15:04:05", "2006-01-02 15:04:05", "02/01/2006", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, paris()); err == nil {
			return t, true
		}
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, true
	}
	return time.Time{}, false
}

// parseCount reads a head count. Empty gives ok with present=false.
func parseCount(s string) (n int, present, ok bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, false, true
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, true, false
	}
	return n, true, true
}

// parseYear reads a school year: "2026", or "2026-2027" (the first year counts).
func parseYear(s string) (int, bool) {
	s = strings.TrimSpace(s)
	if len(s) >= 4 {
		if y, err := strconv.Atoi(s[:4]); err == nil && y >= 1990 && y <= 2200 && (len(s) == 4 || s[4] == '-' || s[4] == '/') {
			return y, true
		}
	}
	return 0, false
}

// dateOf returns the Paris calendar date of an instant as YYYY-MM-DD.
func dateOf(t time.Time) string {
	return t.In(paris()).Format(time.DateOnly)
}
