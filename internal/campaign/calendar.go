package campaign

import (
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/vigie-edu/vigie/internal/apperr"
)

// Date is a calendar day of the campaign, in Paris (a deadline, the start of the school year).
// The zero Date means "none".
type Date struct {
	y int
	m time.Month
	d int
}

// NewDate returns the date, normalised (31 September is 1 October).
func NewDate(year int, month time.Month, day int) Date {
	return DateOf(time.Date(year, month, day, 12, 0, 0, 0, Paris))
}

// DateOf returns the Paris calendar day of t.
func DateOf(t time.Time) Date {
	y, m, d := t.In(Paris).Date()
	return Date{y, m, d}
}

// ParseDate reads "YYYY-MM-DD"; the empty string is the zero Date.
func ParseDate(s string) (Date, error) {
	if s == "" {
		return Date{}, nil
	}
	t, err := time.ParseInLocation(time.DateOnly, s, Paris)
	if err != nil {
		return Date{}, apperr.Invalid("date %q: want YYYY-MM-DD", s)
	}
	return DateOf(t), nil
}

// IsZero tells whether the date is unset.
func (d Date) IsZero() bool { return d.y == 0 }

// String writes "YYYY-MM-DD", or "" for the zero Date.
func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	return fmt.Sprintf("%04d-%02d-%02d", d.y, d.m, d.d)
}

// French writes "mardi 1 septembre 2026".
func (d Date) French() string {
	if d.IsZero() {
		return ""
	}
	return fmt.Sprintf("%s %d %s %d", frenchWeekdays[d.Start().Weekday()], d.d, frenchMonths[d.m-1], d.y)
}

var frenchWeekdays = [...]string{"dimanche", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi"}

var frenchMonths = [...]string{"janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
	"septembre", "octobre", "novembre", "décembre"}

// Start is midnight at the start of the day, in Paris.
func (d Date) Start() time.Time { return time.Date(d.y, d.m, d.d, 0, 0, 0, 0, Paris) }

// End is midnight at the end of the day, in Paris: a deadline on d has passed from End on.
func (d Date) End() time.Time { return time.Date(d.y, d.m, d.d+1, 0, 0, 0, 0, Paris) }

// AddDays returns the date n days later (earlier when n is negative).
func (d Date) AddDays(n int) Date { return NewDate(d.y, d.m, d.d+n) }

// Before tells whether d comes before o.
func (d Date) Before(o Date) bool { return d.String() < o.String() }

// DaysUntil is the number of calendar days from d to o (negative when o is before d).
func (d Date) DaysUntil(o Date) int {
	a := time.Date(d.y, d.m, d.d, 0, 0, 0, 0, time.UTC)
	b := time.Date(o.y, o.m, o.d, 0, 0, 0, 0, time.UTC)
	return int(b.Sub(a).Hours() / 24)
}

// MarshalJSON writes "YYYY-MM-DD", or "" for the zero Date.
func (d Date) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }

// UnmarshalJSON reads what MarshalJSON writes.
func (d *Date) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("read date: %w", err)
	}
	p, err := ParseDate(s)
	if err != nil {
		return err
	}
	*d = p
	return nil
}

// Calendar is an academy's calendar for one school year: the start of the school year
// (rentrée), the academy's deadline for each step, and the daily handover time (the ENT
// directory of day J reaches the GAR at J+1, at that time of day, Paris time).
type Calendar struct {
	SchoolYear int
	Start      Date
	// HandoverTime is the time of day of the GAR handover.
	HandoverTime time.Duration
	// Deadlines by step; a step without one is never late.
	Deadlines map[Step]Date
}

// DefaultHandoverTime is the time of day the GAR receives the ENT directory by default.
const DefaultHandoverTime = 6 * time.Hour

// defaultOffsets are the default deadlines, in days from the start of the school year: the
// STS-Web and SIECLE preparation before the rentrée, the timetable and the links in the
// fortnight after it, the directory feed at the end of September.
var defaultOffsets = map[Step]int{
	1: -60, 2: -55, 3: -50, 4: -45, 5: -14, 6: -10, 7: -7, 8: -5,
	9: -3, 10: 7, 11: 10, 12: 14, 13: 21,
}

// DefaultStart is the default start of a school year: 1 September.
func DefaultStart(year int) Date { return NewDate(year, time.September, 1) }

// DefaultCalendar is the calendar of a school year before the academy edits it.
func DefaultCalendar(year int) Calendar {
	c := Calendar{SchoolYear: year, Start: DefaultStart(year), HandoverTime: DefaultHandoverTime, Deadlines: map[Step]Date{}}
	for s, off := range defaultOffsets {
		c.Deadlines[s] = c.Start.AddDays(off)
	}
	return c
}

// FromPrevious starts a school year's calendar from the previous one's: every deadline keeps its
// distance in days from the start of the school year. A zero start takes the previous start's
// day and month in the new year.
func FromPrevious(prev Calendar, year int, start Date) Calendar {
	if start.IsZero() {
		start = NewDate(year, prev.Start.m, prev.Start.d)
	}
	c := Calendar{SchoolYear: year, Start: start, HandoverTime: prev.HandoverTime, Deadlines: make(map[Step]Date, len(prev.Deadlines))}
	for s, d := range prev.Deadlines {
		c.Deadlines[s] = start.AddDays(prev.Start.DaysUntil(d))
	}
	return c
}

// Validate checks a calendar: a plausible school year, a start within it, a handover time of
// day, and deadlines of known steps within 18 months around the start.
func (c Calendar) Validate() error {
	if c.SchoolYear < 2000 || c.SchoolYear > 2100 {
		return apperr.Invalid("calendar: school year %d out of range", c.SchoolYear)
	}
	if c.Start.IsZero() {
		return apperr.Invalid("calendar %d: the start of the school year is required", c.SchoolYear)
	}
	if c.Start.y != c.SchoolYear && !(c.Start.y == c.SchoolYear+1 && c.Start.m == time.January) {
		return apperr.Invalid("calendar %d: start %s is not in school year %d-%d", c.SchoolYear, c.Start, c.SchoolYear, c.SchoolYear+1)
	}
	if c.HandoverTime < 0 || c.HandoverTime >= 24*time.Hour || c.HandoverTime%time.Minute != 0 {
		return apperr.Invalid("calendar %d: handover time %s: want a time of day in minutes", c.SchoolYear, c.HandoverTime)
	}
	for s, d := range c.Deadlines {
		if _, err := s.Info(); err != nil {
			return err
		}
		if d.IsZero() {
			continue
		}
		if n := c.Start.DaysUntil(d); n < -366 || n > 366 {
			return apperr.Invalid("calendar %d: deadline of step %d (%s) is more than a year from the start %s", c.SchoolYear, int(s), d, c.Start)
		}
	}
	return nil
}

// Deadline returns the deadline of a step, if the calendar sets one.
func (c Calendar) Deadline(s Step) (Date, bool) {
	d, ok := c.Deadlines[s]
	return d, ok && !d.IsZero()
}

// DeadlineSteps returns the steps that have a deadline, in order.
func (c Calendar) DeadlineSteps() []Step {
	out := make([]Step, 0, len(c.Deadlines))
	for s, d := range c.Deadlines {
		if !d.IsZero() {
			out = append(out, s)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// FormatHandoverTime writes a time of day as "06:00".
func FormatHandoverTime(d time.Duration) string {
	return fmt.Sprintf("%02d:%02d", int(d/time.Hour), int(d%time.Hour/time.Minute))
}

// ParseHandoverTime reads "06:00".
func ParseHandoverTime(s string) (time.Duration, error) {
	t, err := time.Parse("15:04", s)
	if err != nil {
		return 0, apperr.Invalid("handover time %q: want HH:MM", s)
	}
	return time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute, nil
}

// Campaign is an academy's campaign for one school year.
type Campaign struct {
	ID        int64
	AcademyID int64
	Calendar  Calendar
	// CopiedFrom is the school year whose calendar this one started from (0: the defaults).
	CopiedFrom int
	CreatedAt  time.Time
	UpdatedAt  time.Time
	UpdatedBy  string
}
