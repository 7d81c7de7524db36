package readiness

import (
	"fmt"
	"time"
)

// Timing models how long a fix takes to reach the GAR. Every day, changes made before the
// nightly cut-off are processed that night; pupil-group links imported into SIECLE-BEE show
// the next day; STS-Web and SIECLE-BEE reach the federating directory within SyncDays; the
// directory feeds the ENT each night; the ENT directory of day J reaches the GAR at J+1, at
// HandoverTime. Times of day are in Location (Europe/Paris).
type Timing struct {
	Location *time.Location
	// NightlyCutoff: a change made before this time of day is in that night's processing.
	NightlyCutoff time.Duration
	// HandoverTime: the time of day the GAR receives the ENT directory.
	HandoverTime time.Duration
	// HandoverDays: the ENT directory of day J reaches the GAR at J+HandoverDays.
	HandoverDays int
	// STSExportDays: an STS-Web change, exported with « Export > Structure » and
	// « Export > Services », reaches SIECLE-BEE after this many nights.
	STSExportDays int
	// LinksDays: pupil-group links imported into SIECLE-BEE show after this many nights.
	LinksDays int
	// SyncDays: SIECLE-BEE reaches the federating directory and the ENT within this many days.
	SyncDays int
	// FeedDays: the federating directory feeds the ENT directory after this many nights.
	FeedDays int
	// Target, when set, is the GAR handover the academy aims at (a campaign deadline): the
	// cut-off of each to-do item is then the latest moment that still reaches it. When zero,
	// or when the target can no longer be reached, the cut-off is that of the next handover.
	Target time.Time
}

// DefaultTiming is the chain described by the academy's documentation.
func DefaultTiming() Timing {
	loc, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		// time/tzdata is linked in by internal/policy; this cannot happen in Vigie.
		loc = time.FixedZone("CET", 3600)
	}
	return Timing{
		Location:      loc,
		NightlyCutoff: 20 * time.Hour,
		HandoverTime:  6 * time.Hour,
		HandoverDays:  1,
		STSExportDays: 1,
		LinksDays:     1,
		SyncDays:      2,
		FeedDays:      1,
	}
}

// Validate checks a timing.
func (t Timing) Validate() error {
	switch {
	case t.Location == nil:
		return fmt.Errorf("timing: location is required")
	case t.NightlyCutoff < 0 || t.NightlyCutoff >= 24*time.Hour:
		return fmt.Errorf("timing: nightly cut-off %s: want a time of day", t.NightlyCutoff)
	case t.HandoverTime < 0 || t.HandoverTime >= 24*time.Hour:
		return fmt.Errorf("timing: handover time %s: want a time of day", t.HandoverTime)
	case t.HandoverDays < 0 || t.STSExportDays < 0 || t.LinksDays < 0 || t.SyncDays < 0 || t.FeedDays < 0:
		return fmt.Errorf("timing: delays must not be negative")
	}
	return nil
}

// stageDays is how many days after its processing night a fix made at a stage is in the ENT
// directory. ok is false for fixes that do not travel the chain (a new upload to Vigie).
func (t Timing) stageDays(stage string) (days int, ok bool) {
	switch stage {
	case "sts":
		return t.STSExportDays + t.SyncDays, true
	case "siecle", "academy":
		return t.SyncDays, true
	case "links":
		return t.LinksDays + t.SyncDays, true
	case "ent":
		return t.FeedDays, true
	default:
		return 0, false
	}
}

// at returns the instant at the given time of day on the day of d shifted by days, in the
// timing's location (time.Date normalises, and handles the changes of hour).
func (t Timing) at(d time.Time, days int, clock time.Duration) time.Time {
	y, m, day := d.Date()
	return time.Date(y, m, day+days, int(clock/time.Hour), int(clock%time.Hour/time.Minute), 0, 0, t.Location)
}

// processingDay is the day whose nightly processing takes a change made at now.
func (t Timing) processingDay(now time.Time) time.Time {
	local := now.In(t.Location)
	// The wall clock, not the time elapsed since midnight: they differ on the days the
	// clocks change.
	h, m, sec := local.Clock()
	if time.Duration(h)*time.Hour+time.Duration(m)*time.Minute+time.Duration(sec)*time.Second >= t.NightlyCutoff {
		return t.at(local, 1, 0)
	}
	return t.at(local, 0, 0)
}

// NextHandover is the next time the GAR receives an ENT directory after now.
func (t Timing) NextHandover(now time.Time) time.Time {
	local := now.In(t.Location)
	h := t.at(local, 0, t.HandoverTime)
	if !h.After(local) {
		h = t.at(local, 1, t.HandoverTime)
	}
	return h
}

// Deadline says by when a fix made at stage must be done, and when it reaches the GAR.
type Deadline struct {
	// By is the cut-off: act before it (Europe/Paris).
	By time.Time
	// ReachesGAR is when a fix done now reaches the GAR; zero for fixes outside the chain.
	ReachesGAR time.Time
	// Kind is "next_handover" or "target" (the campaign deadline still reachable).
	Kind string
	// Late is true when a target is set and a fix done now misses it.
	Late bool
}

// Deadline kinds.
const (
	DeadlineNextHandover = "next_handover"
	DeadlineTarget       = "target"
)

// DeadlineFor computes the deadline of a fix made at stage (a policy FixStages value).
func (t Timing) DeadlineFor(stage string, now time.Time) Deadline {
	day := t.processingDay(now)
	cutoff := t.at(day, 0, t.NightlyCutoff)
	days, ok := t.stageDays(stage)
	if !ok {
		// Outside the chain (a new upload): do it before tonight's cut-off.
		return Deadline{By: cutoff, Kind: DeadlineNextHandover}
	}
	reach := t.at(day, days+t.HandoverDays, t.HandoverTime)
	d := Deadline{By: cutoff, ReachesGAR: reach, Kind: DeadlineNextHandover}
	if t.Target.IsZero() {
		return d
	}
	target := t.Target.In(t.Location)
	if reach.After(target) {
		d.Late = true
		return d
	}
	// The last handover at or before the target, then back along the chain to its cut-off.
	last := t.at(target, 0, t.HandoverTime)
	if last.After(target) {
		last = t.at(target, -1, t.HandoverTime)
	}
	d.By = t.at(last, -(days + t.HandoverDays), t.NightlyCutoff)
	d.ReachesGAR = last
	d.Kind = DeadlineTarget
	return d
}
