// Package readiness turns a school's fact snapshot into its readiness report: it builds the
// policy input, runs the compiled checks (internal/policy), applies exemptions and
// monitor-mode checks, decides the school's status, orders the to-do list by campaign step
// with what blocks what, and computes when a fix done now would reach the GAR. It renders
// reports in French for school admins and evaluates whole academies on all cores.
package readiness

import "time"

// SchoolYearAt is the campaign's school year at t in loc: from August on, the year that
// starts; before, the year under way (the first calendar year: 2026 for 2026-2027).
func SchoolYearAt(t time.Time, loc *time.Location) int {
	lt := t.In(loc)
	if lt.Month() >= time.August {
		return lt.Year()
	}
	return lt.Year() - 1
}
