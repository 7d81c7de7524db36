// Package tracker keeps each school's campaign up to date: from the school's latest fact
// snapshot and readiness results it derives what the files show of the 13 steps (the campaign
// rules in Rego, through internal/policy), combines them with the school admins' attestations,
// the academy's deadlines and the dependencies between steps (internal/campaign), stores the
// states with their history, and forecasts whether each school will be green at the next GAR
// handover it can still reach, with the handover clock of internal/readiness so that to-do
// deadlines and forecasts agree. The daily evaluation job and the API call it.
package tracker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"time"

	"github.com/vigie-edu/vigie/internal/access"
	"github.com/vigie-edu/vigie/internal/apperr"
	"github.com/vigie-edu/vigie/internal/campaign"
	"github.com/vigie-edu/vigie/internal/evaluator"
	"github.com/vigie-edu/vigie/internal/policy"
	"github.com/vigie-edu/vigie/internal/readiness"
	"github.com/vigie-edu/vigie/internal/store"
)

// Tracker derives, stores and forecasts campaign progress. It is safe for concurrent use.
type Tracker struct {
	st     *store.Store
	rules  *policy.StepRules
	sets   evaluator.PolicySource
	timing readiness.Timing
	log    *slog.Logger
}

// New returns a Tracker. sets gives each academy's readiness catalogue (fix stages and
// blockers of the checks); timing is the handover clock the evaluator uses too.
func New(st *store.Store, rules *policy.StepRules, sets evaluator.PolicySource, timing readiness.Timing, log *slog.Logger) *Tracker {
	if timing == (readiness.Timing{}) {
		timing = readiness.DefaultTiming()
	}
	return &Tracker{st: st, rules: rules, sets: sets, timing: timing, log: log}
}

// Counts says what a refresh did.
type Counts struct {
	Schools   int
	Changed   int // step states that changed
	Expired   int // attestations a newer fact contradicted
	WillFail  int // schools that will still fail at the target handover even if they act today
	OnTrack   int
	Green     int
	Unknown   int
	Unevalued int // schools without a final readiness result yet
}

// Map returns the counts for a job run record.
func (c Counts) Map() map[string]int {
	return map[string]int{"schools": c.Schools, "step_changes": c.Changed, "attestations_expired": c.Expired,
		"will_fail": c.WillFail, "on_track": c.OnTrack, "green": c.Green, "unknown": c.Unknown}
}

// timingFor is the handover clock with the academy calendar's handover time.
func (t *Tracker) timingFor(cal campaign.Calendar) readiness.Timing {
	tm := t.timing
	if cal.HandoverTime > 0 {
		tm.HandoverTime = cal.HandoverTime
	}
	return tm
}

// RefreshAcademy recomputes the step states and forecasts of every school of the academy in
// scope at now, and stores them in one transaction each.
func (t *Tracker) RefreshAcademy(ctx context.Context, scope access.Scope, academy campaign.Academy, now time.Time) (Counts, error) {
	if !scope.AllowsAllSchools(academy.ID) {
		return Counts{}, fmt.Errorf("refresh campaign of academy %s: %w", academy.Code, apperr.ErrForbidden)
	}
	schools, _, err := t.st.ListSchools(ctx, scope, store.SchoolFilter{})
	if err != nil {
		return Counts{}, err
	}
	var mine []campaign.School
	for _, sc := range schools {
		if sc.AcademyID == academy.ID {
			mine = append(mine, sc)
		}
	}
	return t.refresh(ctx, scope, academy, mine, now)
}

// RefreshSchool recomputes one school's step states and forecast.
func (t *Tracker) RefreshSchool(ctx context.Context, scope access.Scope, academy campaign.Academy, uai string, now time.Time) (Counts, error) {
	sc, err := t.st.SchoolByUAI(ctx, scope, uai)
	if err != nil {
		return Counts{}, err
	}
	if sc.AcademyID != academy.ID {
		return Counts{}, fmt.Errorf("refresh campaign of %s: %w", uai, apperr.ErrNotFound)
	}
	return t.refresh(ctx, scope, academy, []campaign.School{sc}, now)
}

func (t *Tracker) refresh(ctx context.Context, scope access.Scope, academy campaign.Academy, schools []campaign.School, now time.Time) (Counts, error) {
	year := campaign.SchoolYearOf(now)
	// Vigie starts the campaign itself when no supervisor did: it tracks every academy.
	camp, err := t.st.EnsureCampaign(ctx, access.Academy(academy.ID), academy.ID, year, store.SystemActor("vigie"))
	if err != nil {
		return Counts{}, err
	}
	set, err := t.sets.Set(ctx, academy)
	if err != nil {
		return Counts{}, fmt.Errorf("policy set of academy %s: %w", academy.Code, err)
	}
	cat := set.Catalogue()
	tm := t.timingFor(camp.Calendar)
	snapshots, err := t.st.LatestSnapshotIDs(ctx, scope, academy.ID)
	if err != nil {
		return Counts{}, err
	}
	results, err := t.st.LatestResults(ctx, scope, academy.ID, time.Time{})
	if err != nil {
		return Counts{}, err
	}
	status := make(map[string]string, len(results))
	for _, r := range results {
		status[r.UAI] = r.Status
	}
	checks, err := t.st.LatestCheckResults(ctx, scope, academy.ID, time.Time{})
	if err != nil {
		return Counts{}, err
	}
	atts, err := t.st.ActiveAttestations(ctx, scope, academy.ID, year)
	if err != nil {
		return Counts{}, err
	}

	counts := Counts{Schools: len(schools)}
	progress := make([]store.SchoolProgress, 0, len(schools))
	forecasts := make([]campaign.Forecast, 0, len(schools))
	for _, sc := range schools {
		if err := ctx.Err(); err != nil {
			return counts, fmt.Errorf("refresh campaign of academy %s: %w", academy.Code, err)
		}
		facts, err := t.facts(ctx, scope, sc.UAI, year, snapshots[sc.UAI])
		if err != nil {
			return counts, err
		}
		obs, err := t.observe(ctx, sc, academy, year, now, status[sc.UAI], checks[sc.UAI], facts)
		if err != nil {
			return counts, err
		}
		p := campaign.Progress(campaign.ProgressInput{Now: now, Calendar: camp.Calendar, Observations: obs, Attestations: atts[sc.UAI],
			Failing: failingByStep(cat, checks[sc.UAI])})
		progress = append(progress, store.SchoolProgress{UAI: sc.UAI, Steps: p.Steps, Expire: p.Expire})
		counts.Expired += len(p.Expire)

		f := forecast(tm, cat, sc.UAI, status[sc.UAI], checks[sc.UAI], facts, now)
		forecasts = append(forecasts, f)
		switch f.Outcome {
		case campaign.ForecastWillFail:
			counts.WillFail++
		case campaign.ForecastOnTrack:
			counts.OnTrack++
		case campaign.ForecastGreen:
			counts.Green++
		default:
			counts.Unknown++
		}
		if status[sc.UAI] == "" {
			counts.Unevalued++
		}
	}
	if counts.Changed, err = t.st.SaveProgress(ctx, scope, academy.ID, year, progress, now); err != nil {
		return counts, err
	}
	if err := t.st.SaveForecasts(ctx, scope, academy.ID, forecasts, now); err != nil {
		return counts, err
	}
	t.log.Info("campaign refreshed", "academy", academy.Code, "schools", counts.Schools, "step_changes", counts.Changed,
		"attestations_expired", counts.Expired, "will_fail", counts.WillFail)
	return counts, nil
}

// facts loads a school's latest snapshot, or an empty one when Vigie has no file of it.
func (t *Tracker) facts(ctx context.Context, scope access.Scope, uai string, year int, id int64) ([]byte, error) {
	if id == 0 {
		return evaluator.EmptySnapshot(uai, year)
	}
	sn, err := t.st.SnapshotByID(ctx, scope, id)
	if err != nil {
		return nil, err
	}
	return sn.Facts, nil
}

// observe evaluates the campaign rules for one school: the readiness input plus the latest
// report's check outcomes.
func (t *Tracker) observe(ctx context.Context, sc campaign.School, academy campaign.Academy, year int, now time.Time, status string, checks []store.CheckResult, facts []byte) ([]campaign.Observation, error) {
	local := now.In(t.timing.Location)
	var usesGroups any
	if sc.UsesGroups != nil {
		usesGroups = *sc.UsesGroups
	}
	outcomes := make(map[string]any, len(checks))
	for _, c := range checks {
		outcomes[c.CheckID] = map[string]any{"status": c.Status, "severity": c.Severity, "items": c.Items}
	}
	in, err := policy.InputWithJSON(map[string]any{
		"uai":         sc.UAI,
		"school_year": year,
		"now":         local.Format(time.RFC3339),
		"today":       local.Format(time.DateOnly),
		"school": map[string]any{"uai": sc.UAI, "name": sc.Name, "kind": string(sc.Kind), "uses_groups": usesGroups,
			"academy": academy.Code, "departement": sc.Departement},
		"report": map[string]any{"status": status, "checks": outcomes},
	}, "facts", facts)
	if err != nil {
		return nil, fmt.Errorf("campaign input of %s: %w", sc.UAI, err)
	}
	found, err := t.rules.Observe(ctx, in)
	if err != nil {
		return nil, fmt.Errorf("campaign steps of %s: %w", sc.UAI, err)
	}
	out := make([]campaign.Observation, 0, len(found))
	for _, o := range found {
		state, err := campaign.ParseObservedState(o.State)
		if err != nil {
			return nil, fmt.Errorf("campaign step %d of %s: %w", o.Step, sc.UAI, err)
		}
		out = append(out, campaign.Observation{Step: campaign.Step(o.Step), State: state, Evidence: o.Evidence, At: o.At})
	}
	return out, nil
}

// failingByStep gives the titles of the checks of each step, of severity blocker or error,
// that fail (in enforce mode: a check in monitor mode has its own status): a step cannot be
// done while one of them fails. Warnings do not reopen a step.
func failingByStep(cat policy.Catalogue, checks []store.CheckResult) map[campaign.Step][]string {
	sorted := append([]store.CheckResult(nil), checks...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].CheckID < sorted[j].CheckID })
	out := map[campaign.Step][]string{}
	for _, c := range sorted {
		if c.Status != string(readiness.CheckFail) || !serious(c.Severity) {
			continue
		}
		meta, ok := cat.Check(c.CheckID)
		if !ok || meta.Step < 1 {
			continue
		}
		out[campaign.Step(meta.Step)] = append(out[campaign.Step(meta.Step)], meta.Title)
	}
	return out
}

// serious: a check of this severity keeps the school from being ready for the GAR.
func serious(severity string) bool {
	return severity == string(policy.SeverityBlocker) || severity == string(policy.SeverityError)
}

// sourceTimes reads when each source of a snapshot was exported.
func sourceTimes(facts []byte) map[string]time.Time {
	var sn struct {
		Sources map[string]struct {
			ExportedAt time.Time `json:"exported_at"`
		} `json:"sources"`
	}
	_ = json.Unmarshal(facts, &sn) // a snapshot that does not decode has no usable source time
	out := make(map[string]time.Time, len(sn.Sources))
	for k, v := range sn.Sources {
		out[k] = v.ExportedAt
	}
	return out
}

// forecast builds a school's forecast from its latest check outcomes: every counted blocker or
// error check that fails (or cannot be evaluated) is a problem whose fix, made now, reaches the
// GAR after the delays of its fix stage; an ENT problem whose upstream checks pass is already
// on its way, arriving after the synchronisation of the SIECLE-BEE data that fixed it.
func forecast(tm readiness.Timing, cat policy.Catalogue, uai, status string, checks []store.CheckResult, facts []byte, now time.Time) campaign.Forecast {
	outcome := make(map[string]string, len(checks))
	for _, c := range checks {
		outcome[c.CheckID] = c.Status
	}
	times := sourceTimes(facts)
	var items []campaign.ForecastItem
	for _, c := range checks {
		if !serious(c.Severity) {
			continue
		}
		unknown := c.Status == string(readiness.CheckUnknown) || c.Status == string(readiness.CheckError)
		if c.Status != string(readiness.CheckFail) && !unknown {
			continue // pass, exempt, or monitor:* (never counted)
		}
		meta, ok := cat.Check(c.CheckID)
		if !ok {
			continue
		}
		d := tm.DeadlineFor(meta.FixStage, now)
		it := campaign.ForecastItem{Check: c.CheckID, Step: meta.Step, Severity: c.Severity, Title: meta.Title, Unknown: unknown,
			Stage: meta.FixStage, FixBy: d.By, ReachesGAR: d.ReachesGAR,
			// An unknown result lists the sources it could not use as its items (lib.unknown);
			// one unknown for another reason (lib.unknown_because) has none.
			SourceMissing: c.Status == string(readiness.CheckUnknown) && c.Items > 0}
		if !unknown && meta.Step == 13 {
			it.InFlight = inFlight(tm, meta, outcome, times, now)
		}
		items = append(items, it)
	}
	target := time.Time{}
	for _, stage := range policy.FixStages {
		if r := tm.DeadlineFor(stage, now).ReachesGAR; !r.IsZero() && (target.IsZero() || r.Before(target)) {
			target = r
		}
	}
	return campaign.ForecastSchool(campaign.ForecastInput{UAI: uai, Status: status, Items: items, Target: target,
		NextHandover: tm.NextHandover(now)})
}

// inFlight is when an ENT problem fixes itself: every check upstream of it outside the ENT
// passes, so the fix is in SIECLE-BEE since its last export and reaches the GAR after the
// synchronisation. Zero when nothing upstream shows a fix, or when it should already be there.
func inFlight(tm readiness.Timing, meta policy.Check, outcome map[string]string, times map[string]time.Time, now time.Time) time.Time {
	upstream := 0
	for _, b := range meta.BlockedBy {
		if strings.HasPrefix(b, "ent.") {
			if outcome[b] != string(readiness.CheckPass) {
				return time.Time{}
			}
			continue
		}
		if outcome[b] != string(readiness.CheckPass) {
			return time.Time{}
		}
		upstream++
	}
	fixed := times["siecle"]
	if upstream == 0 || fixed.IsZero() {
		return time.Time{}
	}
	arrival := tm.DeadlineFor("siecle", fixed).ReachesGAR
	if !arrival.After(now) {
		return time.Time{} // it should be in the ENT already: something else is wrong
	}
	return arrival
}

// YearOverYear is a school's campaign now and at the same date last year.
type YearOverYear struct {
	UAI        string
	Now        time.Time
	SchoolYear int
	Steps      []store.SchoolStep
	Status     string // readiness status of the latest result, "" when none
	// LastYear is the same date a year earlier, in the previous school year.
	LastYearAt     time.Time
	LastSchoolYear int
	LastYearSteps  []store.StepEvent
	LastYearStatus string
}

// YearOverYear returns a school's step states and status now and at the same date last year.
func (t *Tracker) YearOverYear(ctx context.Context, scope access.Scope, uai string, now time.Time) (YearOverYear, error) {
	return YearOverYearOf(ctx, t.st, scope, uai, now)
}

// YearOverYearOf reads a school's step states and status at now and at the same date a year
// earlier (the previous school year's states as they were then).
func YearOverYearOf(ctx context.Context, st *store.Store, scope access.Scope, uai string, now time.Time) (YearOverYear, error) {
	year := campaign.SchoolYearOf(now)
	y := YearOverYear{UAI: uai, Now: now, SchoolYear: year, LastYearAt: now.AddDate(-1, 0, 0), LastSchoolYear: year - 1}
	var err error
	if y.Steps, err = st.SchoolSteps(ctx, scope, uai, year); err != nil {
		return YearOverYear{}, err
	}
	if y.LastYearSteps, err = st.SchoolStepsAt(ctx, scope, uai, year-1, y.LastYearAt); err != nil {
		return YearOverYear{}, err
	}
	if r, err := st.SchoolResult(ctx, scope, uai, now); err == nil {
		y.Status = r.Status
	} else if !isNotFound(err) {
		return YearOverYear{}, err
	}
	if r, err := st.SchoolResult(ctx, scope, uai, y.LastYearAt); err == nil {
		y.LastYearStatus = r.Status
	} else if !isNotFound(err) {
		return YearOverYear{}, err
	}
	return y, nil
}

func isNotFound(err error) bool { return errors.Is(err, apperr.ErrNotFound) }

// Attest records a school admin's attestation for the current school year and recomputes the
// school's steps at once, so that the attested step shows done (or why not) in the answer.
func (t *Tracker) Attest(ctx context.Context, scope access.Scope, academy campaign.Academy, a campaign.Attestation, by store.Actor, now time.Time) (campaign.Attestation, []store.SchoolStep, error) {
	a.SchoolYear = campaign.SchoolYearOf(now)
	a.AcademyID = academy.ID
	a.By = by.Login
	a.At = now
	saved, err := t.st.CreateAttestation(ctx, scope, a, by)
	if err != nil {
		return campaign.Attestation{}, nil, err
	}
	if _, err := t.RefreshSchool(ctx, scope, academy, saved.UAI, now); err != nil {
		return saved, nil, err
	}
	steps, err := t.st.SchoolSteps(ctx, scope, saved.UAI, saved.SchoolYear)
	return saved, steps, err
}
