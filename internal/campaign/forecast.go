package campaign

import (
	"fmt"
	"sort"
	"time"
)

// ForecastOutcome says whether a school will be green at the target handover.
type ForecastOutcome string

// Forecast outcomes.
const (
	// ForecastGreen: nothing blocks the GAR handover now.
	ForecastGreen ForecastOutcome = "green"
	// ForecastOnTrack: not ready, but fixes made today (or already on their way) reach the GAR
	// by the target handover.
	ForecastOnTrack ForecastOutcome = "on_track"
	// ForecastWillFail: even if the school acts today, at least one fix reaches the GAR after
	// the target handover. Supervisors call these first.
	ForecastWillFail ForecastOutcome = "will_fail"
	// ForecastUnknown: Vigie cannot tell (no evaluation yet, or a blocker it cannot evaluate).
	ForecastUnknown ForecastOutcome = "unknown"
)

// Label is the French label of an outcome.
func (o ForecastOutcome) Label() string {
	switch o {
	case ForecastGreen:
		return "Prêt pour le GAR"
	case ForecastOnTrack:
		return "Vert à la première transmission atteignable s'il agit aujourd'hui"
	case ForecastWillFail:
		return "Encore rouge à la première transmission atteignable même s'il agit aujourd'hui"
	default:
		return "Impossible à prévoir"
	}
}

// ForecastItem is one open problem that keeps a school from being green at the GAR: a counted
// blocker or error check that fails, or one Vigie cannot evaluate.
type ForecastItem struct {
	Check    string `json:"check"`
	Step     int    `json:"step"`
	Severity string `json:"severity"`
	Title    string `json:"title"`
	Unknown  bool   `json:"unknown,omitempty"` // the check cannot be evaluated (unknown or in error)
	// SourceMissing: the check cannot be evaluated because a source it needs is missing or
	// too old (not, say, because the school is absent from the directory feed).
	SourceMissing bool      `json:"source_missing,omitempty"`
	Stage         string    `json:"stage"`  // where the fix happens (policy fix stages)
	FixBy         time.Time `json:"fix_by"` // act before this to make ReachesGAR
	// ReachesGAR is when a fix made now reaches the GAR; zero for a fix outside the chain (a
	// new upload to Vigie), which changes nothing at the GAR.
	ReachesGAR time.Time `json:"reaches_gar_at"`
	// InFlight is when a fix already made upstream reaches the GAR with no further action; zero
	// when none is on its way.
	InFlight time.Time `json:"in_flight_until,omitempty"`
	// ETA is when the problem is gone at the GAR at best: InFlight when something is on its way
	// sooner than a new fix, else ReachesGAR.
	ETA time.Time `json:"eta"`
}

// ForecastInput is what ForecastSchool needs about one school; the times come from the
// handover clock (readiness.Timing) so that to-do deadlines and forecasts agree.
type ForecastInput struct {
	UAI string
	// Status is the readiness status of the school's latest report (ready, at_risk, not_ready),
	// "" when it was never evaluated.
	Status string
	// Items are the open problems of the latest report.
	Items []ForecastItem
	// Target is the handover the forecast is about: the earliest one a fix made today can
	// reach.
	Target time.Time
	// NextHandover is the very next handover.
	NextHandover time.Time
}

// Forecast is a school's forecast for the target handover.
type Forecast struct {
	UAI     string
	Outcome ForecastOutcome
	Status  string
	Target  time.Time
	// GreenAtNextHandover: green at the very next handover (already green, or every problem
	// has a fix on its way that arrives by then).
	GreenAtNextHandover bool
	// EarliestGreen is when the school can be green at the GAR at best (zero when unknown or
	// green now).
	EarliestGreen time.Time
	// Items are the open problems, latest ETA first.
	Items []ForecastItem
	// Late are the items whose ETA is after Target.
	Late []ForecastItem
	// Reason is one French sentence that says the outcome, the one handover it is about
	// (Target, which a fix made now can reach, the day after the very next handover with the
	// default delays) and why; pages show it alone, not after the outcome's label.
	Reason string
}

// ForecastSchool decides whether the school will be green at the target handover if it acts
// today, from the delays of each open problem's fix.
func ForecastSchool(in ForecastInput) Forecast {
	f := Forecast{UAI: in.UAI, Status: in.Status, Target: in.Target}
	if in.Status == "" {
		f.Outcome, f.Reason = ForecastUnknown, "Impossible à prévoir : Vigie n'a encore évalué aucun fichier de l'établissement."
		return f
	}
	items := make([]ForecastItem, 0, len(in.Items))
	for _, it := range in.Items {
		it.ETA = it.ReachesGAR
		if !it.InFlight.IsZero() && (it.ETA.IsZero() || it.InFlight.Before(it.ETA)) {
			it.ETA = it.InFlight
		}
		items = append(items, it)
	}
	sort.SliceStable(items, func(i, j int) bool {
		if !items[i].ETA.Equal(items[j].ETA) {
			return items[i].ETA.After(items[j].ETA)
		}
		if items[i].Step != items[j].Step {
			return items[i].Step < items[j].Step
		}
		return items[i].Check < items[j].Check
	})
	f.Items = items
	if len(items) == 0 {
		f.Outcome, f.GreenAtNextHandover = ForecastGreen, true
		f.Reason = "Prêt : aucun problème bloquant pour le GAR."
		return f
	}
	green := true
	var unknown []ForecastItem
	for _, it := range items {
		if it.Unknown {
			unknown = append(unknown, it)
			continue
		}
		if it.ETA.IsZero() || it.ETA.After(in.Target) {
			f.Late = append(f.Late, it)
		}
		if it.ETA.IsZero() || it.ETA.After(in.NextHandover) {
			green = false
		}
		if it.ETA.After(f.EarliestGreen) {
			f.EarliestGreen = it.ETA
		}
	}
	f.GreenAtNextHandover = green && len(unknown) == 0
	switch {
	case len(f.Late) > 0:
		f.Outcome = ForecastWillFail
		f.Reason = fmt.Sprintf("Encore rouge à la transmission du %s, la première qu'une correction faite maintenant peut atteindre, même en agissant aujourd'hui : %s : %s ; au mieux vert le %s.",
			frenchDateTime(in.Target), Plural(len(f.Late), "contrôle ne peut pas être corrigé à temps", "contrôles ne peuvent pas être corrigés à temps"),
			QuotedList(titles(f.Late)), frenchDateTime(f.EarliestGreen))
	case len(unknown) > 0:
		f.Outcome = ForecastUnknown
		f.Reason = fmt.Sprintf("Impossible à prévoir : %s : %s%s.", Plural(len(unknown), "contrôle impossible à évaluer", "contrôles impossibles à évaluer"),
			QuotedList(titles(unknown)), unknownCause(unknown))
	default:
		f.Outcome = ForecastOnTrack
		f.Reason = fmt.Sprintf("Vert à la transmission du %s, la première qu'une correction faite maintenant peut atteindre, si les corrections sont faites aujourd'hui avant l'heure limite.", frenchDateTime(in.Target))
	}
	return f
}

func titles(items []ForecastItem) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = it.Title
	}
	return out
}

// unknownCause says why the checks cannot be evaluated when they all share the cause of a
// missing or stale source; other causes (a school absent from the directory feed, a check in
// error) are each check's own, told in the to-do list.
func unknownCause(items []ForecastItem) string {
	for _, it := range items {
		if !it.SourceMissing {
			return ""
		}
	}
	if len(items) == 1 {
		return " (source absente ou trop ancienne)"
	}
	return " (sources absentes ou trop anciennes)"
}

// CallFirst lists the schools supervisors should call first: those that will still fail at
// the target handover even if they act today, the furthest from green first.
func CallFirst(fs []Forecast) []Forecast {
	var out []Forecast
	for _, f := range fs {
		if f.Outcome == ForecastWillFail {
			out = append(out, f)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if !a.EarliestGreen.Equal(b.EarliestGreen) {
			return a.EarliestGreen.After(b.EarliestGreen)
		}
		if len(a.Late) != len(b.Late) {
			return len(a.Late) > len(b.Late)
		}
		return a.UAI < b.UAI
	})
	return out
}

// frenchDateTime writes « mardi 1er décembre 2026 à 6 h 00 » in Paris time, as the pages do
// (readiness.FrenchDateTime, which this package cannot import).
func frenchDateTime(t time.Time) string {
	p := t.In(Paris)
	day := fmt.Sprint(p.Day())
	if p.Day() == 1 {
		day = "1er"
	}
	return fmt.Sprintf("%s %s %s %d à %d\u00a0h\u00a0%02d", frenchWeekdays[p.Weekday()], day, frenchMonths[p.Month()-1], p.Year(), p.Hour(), p.Minute())
}
