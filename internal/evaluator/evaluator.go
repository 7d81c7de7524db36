// Package evaluator runs readiness evaluations against the store: it loads each school's latest
// fact snapshot and the academy's active exemptions, evaluates them with the academy's compiled
// policy set (internal/readiness on a bounded worker pool), and records the run and every
// school's report. Results become final only when the whole run succeeds, so a failed run never
// leaves half-written results visible.
package evaluator

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/vigie-edu/vigie/internal/access"
	"github.com/vigie-edu/vigie/internal/apperr"
	"github.com/vigie-edu/vigie/internal/campaign"
	"github.com/vigie-edu/vigie/internal/fact"
	"github.com/vigie-edu/vigie/internal/policy"
	"github.com/vigie-edu/vigie/internal/readiness"
	"github.com/vigie-edu/vigie/internal/store"
)

// PolicySource returns the policy set an academy's schools are evaluated with: the compiled set
// (cached by the source) and its version.
type PolicySource interface {
	Set(ctx context.Context, academy campaign.Academy) (*policy.Set, error)
}

// Evaluator evaluates schools and stores their reports. It is safe for concurrent use.
type Evaluator struct {
	st      *store.Store
	sets    PolicySource
	timing  readiness.Timing
	log     *slog.Logger
	now     func() time.Time
	workers int
	observe func(Observation)

	mu      sync.Mutex
	engines map[int64]cachedEngine // by academy: the engine of its set in force
}

type cachedEngine struct {
	key engineKey
	eng *readiness.Engine
}

// engineKey: one engine per compiled set and handover clock (academies may move the handover).
type engineKey struct {
	set    *policy.Set
	timing readiness.Timing
}

// Options configure an Evaluator.
type Options struct {
	Timing  readiness.Timing // zero: readiness.DefaultTiming()
	Now     func() time.Time // nil: time.Now
	Workers int              // 0: GOMAXPROCS
	// Observe, when set, sees every run once it is closed (the place for metrics).
	Observe func(Observation)
}

// Observation is a closed run as the metrics see it.
type Observation struct {
	Academy campaign.Academy
	UAI     string        // empty: the whole academy
	Schools int           // schools evaluated (0 when the run failed)
	Elapsed time.Duration // wall-clock time of the run
	Err     error         // why the run failed; nil when done
}

// New returns an Evaluator.
func New(st *store.Store, sets PolicySource, log *slog.Logger, opts Options) *Evaluator {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Timing == (readiness.Timing{}) {
		opts.Timing = readiness.DefaultTiming()
	}
	return &Evaluator{st: st, sets: sets, timing: opts.Timing, log: log, now: opts.Now, workers: opts.Workers,
		observe: opts.Observe, engines: map[int64]cachedEngine{}}
}

// batch is how many schools one transaction writes.
const batch = 100

// engine returns the engine of the academy's policy set, on the handover clock of its campaign
// calendar for the school year (so that to-do deadlines agree with the campaign forecast).
func (ev *Evaluator) engine(ctx context.Context, scope access.Scope, academy campaign.Academy, year int) (*readiness.Engine, error) {
	set, err := ev.sets.Set(ctx, academy)
	if err != nil {
		return nil, fmt.Errorf("policy set of academy %s: %w", academy.Code, err)
	}
	timing := ev.timing
	if c, err := ev.st.Campaign(ctx, scope, academy.ID, year); err == nil && c.Calendar.HandoverTime > 0 {
		timing.HandoverTime = c.Calendar.HandoverTime
	} else if err != nil && !errors.Is(err, apperr.ErrNotFound) {
		return nil, err
	}
	key := engineKey{set, timing}
	ev.mu.Lock()
	defer ev.mu.Unlock()
	if c, ok := ev.engines[academy.ID]; ok && c.key == key {
		return c.eng, nil
	}
	// A new publication or handover time replaces the academy's engine: old sets are not kept.
	e, err := readiness.NewEngine(set, readiness.WithTiming(timing), readiness.WithLogger(ev.log))
	if err != nil {
		return nil, err
	}
	ev.engines[academy.ID] = cachedEngine{key, e}
	return e, nil
}

// RunAcademy evaluates every school of the academy in scope now and records the run.
func (ev *Evaluator) RunAcademy(ctx context.Context, scope access.Scope, academy campaign.Academy, trigger, by string) (store.Run, error) {
	if !scope.AllowsAllSchools(academy.ID) {
		return store.Run{}, fmt.Errorf("evaluate academy %s: %w", academy.Code, apperr.ErrForbidden)
	}
	schools, _, err := ev.st.ListSchools(ctx, scope, store.SchoolFilter{})
	if err != nil {
		return store.Run{}, err
	}
	return ev.run(ctx, scope, academy, "", schools, trigger, by)
}

// RunSchool evaluates one school now and records the run.
func (ev *Evaluator) RunSchool(ctx context.Context, scope access.Scope, academy campaign.Academy, uai, trigger, by string) (store.Run, error) {
	sc, err := ev.st.SchoolByUAI(ctx, scope, uai)
	if err != nil {
		return store.Run{}, err
	}
	if sc.AcademyID != academy.ID {
		return store.Run{}, fmt.Errorf("evaluate %s: %w", uai, apperr.ErrNotFound)
	}
	return ev.run(ctx, scope, academy, uai, []campaign.School{sc}, trigger, by)
}

func (ev *Evaluator) run(ctx context.Context, scope access.Scope, academy campaign.Academy, uai string, schools []campaign.School, trigger, by string) (store.Run, error) {
	now := ev.now()
	eng, err := ev.engine(ctx, scope, academy, campaign.SchoolYearOf(now))
	if err != nil {
		return store.Run{}, err
	}
	began := time.Now()
	run, err := ev.st.StartRun(ctx, scope, store.Run{AcademyID: academy.ID, UAI: uai, Trigger: trigger, RequestedBy: by,
		PolicyVersion: eng.Set().Version(), StartedAt: now})
	if err != nil {
		return store.Run{}, err
	}
	runErr := ev.evaluate(ctx, scope, eng, academy, run, schools, now)
	// The run is closed even when ctx was cancelled: record the failure with a fresh context.
	fctx := ctx
	if ctx.Err() != nil {
		var cancel context.CancelFunc
		fctx, cancel = context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
	}
	done, err := ev.st.FinishRunAt(fctx, scope, run.ID, now.Add(time.Since(began)), runErr)
	if ev.observe != nil {
		o := Observation{Academy: academy, UAI: uai, Schools: done.Schools, Elapsed: time.Since(began), Err: errors.Join(runErr, err)}
		if o.Err != nil {
			o.Schools = 0
		}
		ev.observe(o)
	}
	if err != nil {
		return store.Run{}, errors.Join(runErr, err)
	}
	if runErr != nil {
		ev.log.Error("evaluation failed", "academy", academy.Code, "uai", uai, "run", run.ID, "err", runErr)
		return done, fmt.Errorf("evaluation run %d: %w", run.ID, runErr)
	}
	ev.log.Info("evaluation done", "academy", academy.Code, "uai", uai, "run", run.ID, "schools", done.Schools,
		"ready", done.Ready, "at_risk", done.AtRisk, "not_ready", done.NotReady, "duration", done.Duration())
	return done, nil
}

func (ev *Evaluator) evaluate(ctx context.Context, scope access.Scope, eng *readiness.Engine, academy campaign.Academy, run store.Run, schools []campaign.School, now time.Time) error {
	snapshots, err := ev.st.LatestSnapshotIDs(ctx, scope, academy.ID)
	if err != nil {
		return err
	}
	exemptions, err := ev.st.ActiveExemptions(ctx, scope, academy.ID, now)
	if err != nil {
		return err
	}
	byUAI := map[string][]readiness.Exemption{}
	for _, e := range exemptions {
		byUAI[e.UAI] = append(byUAI[e.UAI], readiness.Exemption{Check: e.CheckID, Until: e.Until, Reason: e.Reason})
	}
	year := campaign.SchoolYearOf(now)
	for start := 0; start < len(schools); start += batch {
		part := schools[start:min(start+batch, len(schools))]
		reqs := make([]readiness.Request, len(part))
		for i, sc := range part {
			reqs[i] = readiness.Request{School: sc, Academy: academy.Code, SchoolYear: year, Exemptions: byUAI[sc.UAI],
				Load: ev.loader(scope, sc.UAI, year, snapshots[sc.UAI])}
		}
		out, err := eng.RunAcademy(ctx, reqs, readiness.RunOptions{Now: now, Workers: ev.workers})
		if err != nil {
			return err
		}
		results := make([]store.Result, 0, len(out.Outcomes))
		for _, o := range out.Outcomes {
			if o.Err != nil {
				return fmt.Errorf("evaluate %s: %w", o.UAI, o.Err)
			}
			r, err := toResult(o.Report, snapshots[o.UAI], eng.Set().Version(), now)
			if err != nil {
				return err
			}
			results = append(results, r)
		}
		if err := ev.st.SaveResults(ctx, scope, run.ID, results); err != nil {
			return err
		}
	}
	return nil
}

// loader loads a school's latest snapshot, or an empty one when Vigie has no file of it yet: a
// school that sent nothing is evaluated too, every check unknown, never ready.
func (ev *Evaluator) loader(scope access.Scope, uai string, year int, id int64) func(ctx context.Context) ([]byte, error) {
	return func(ctx context.Context) ([]byte, error) {
		if id == 0 {
			return EmptySnapshot(uai, year)
		}
		sn, err := ev.st.SnapshotByID(ctx, scope, id)
		if err != nil {
			return nil, err
		}
		return sn.Facts, nil
	}
}

// EmptySnapshot is the snapshot of a school Vigie has no file of.
func EmptySnapshot(uai string, year int) ([]byte, error) {
	return json.Marshal(fact.Snapshot{Version: fact.SchemaVersion, UAI: uai, SchoolYear: year,
		Sources: map[fact.Source]fact.SourceInfo{}, Divisions: map[string]*fact.Division{}, Groups: map[string]*fact.Group{}})
}

// toResult condenses a report into what the store indexes, keeping the whole report.
func toResult(rep *readiness.Report, snapshotID int64, version string, now time.Time) (store.Result, error) {
	body, err := json.Marshal(rep)
	if err != nil {
		return store.Result{}, fmt.Errorf("encode report of %s: %w", rep.UAI, err)
	}
	r := store.Result{UAI: rep.UAI, SnapshotID: snapshotID, PolicyVersion: version, EvaluatedAt: now,
		Status: string(rep.Status), Todo: len(rep.Todo), Report: body, Checks: make([]store.CheckResult, 0, len(rep.Checks))}
	for _, c := range rep.Checks {
		status := string(c.Status)
		if c.Mode == policy.ModeMonitor {
			status = "monitor:" + status
		}
		r.Checks = append(r.Checks, store.CheckResult{CheckID: c.ID, Status: status, Severity: c.Severity, Items: len(c.Items)})
		if !c.Counts {
			continue
		}
		switch c.Status {
		case readiness.CheckFail:
			switch c.Severity {
			case string(policy.SeverityBlocker):
				r.Blockers++
			case string(policy.SeverityError):
				r.Errors++
			default:
				r.Warnings++
			}
		case readiness.CheckUnknown, readiness.CheckError:
			r.Unknown++
		}
	}
	return r, nil
}
