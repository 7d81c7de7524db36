package readiness

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"sync"
	"time"

	"github.com/vigie-edu/vigie/internal/campaign"
	"github.com/vigie-edu/vigie/internal/fact"
	"github.com/vigie-edu/vigie/internal/policy"
)

// Engine evaluates schools against one compiled policy set. It is safe for concurrent use;
// every evaluation shares the set's prepared queries.
type Engine struct {
	set       *policy.Set
	catalogue map[string]policy.Check // the set's, with French typography
	timing    Timing
	logger    *slog.Logger
}

// Option configures an Engine.
type Option func(*Engine)

// WithTiming sets the handover timing (default DefaultTiming).
func WithTiming(t Timing) Option { return func(e *Engine) { e.timing = t } }

// WithLogger sets the logger (default: discard).
func WithLogger(l *slog.Logger) Option { return func(e *Engine) { e.logger = l } }

// NewEngine returns an engine for a compiled set.
func NewEngine(set *policy.Set, opts ...Option) (*Engine, error) {
	if set == nil {
		return nil, errors.New("new readiness engine: nil policy set")
	}
	e := &Engine{set: set, catalogue: frenchCatalogue(set.Catalogue().Checks), timing: DefaultTiming(),
		logger: slog.New(slog.DiscardHandler)}
	for _, o := range opts {
		o(e)
	}
	if err := e.timing.Validate(); err != nil {
		return nil, fmt.Errorf("new readiness engine: %w", err)
	}
	return e, nil
}

// Timing returns the engine's timing.
func (e *Engine) Timing() Timing { return e.timing }

// Set returns the engine's policy set.
func (e *Engine) Set() *policy.Set { return e.set }

// Request is one school to evaluate.
type Request struct {
	School  campaign.School
	Academy string // academy code
	// SchoolYear is the campaign's school year; zero means SchoolYearAt(now).
	SchoolYear int
	// Snapshot is the fact.Snapshot JSON as stored. When nil, Load is called.
	Snapshot []byte
	// Load fetches the snapshot when Snapshot is nil, so that an academy run holds only the
	// snapshots being evaluated.
	Load       func(ctx context.Context) ([]byte, error)
	Exemptions []Exemption
}

// Evaluate evaluates one school at now.
func (e *Engine) Evaluate(ctx context.Context, req Request, now time.Time) (*Report, error) {
	snap := req.Snapshot
	if snap == nil {
		if req.Load == nil {
			return nil, fmt.Errorf("evaluate %s: no snapshot", req.School.UAI)
		}
		var err error
		if snap, err = req.Load(ctx); err != nil {
			return nil, fmt.Errorf("evaluate %s: load snapshot: %w", req.School.UAI, err)
		}
	}
	year := req.SchoolYear
	if year == 0 {
		year = SchoolYearAt(now, e.timing.Location)
	}
	in, err := e.input(req, year, now, snap)
	if err != nil {
		return nil, err
	}
	ev, err := e.set.Evaluate(ctx, in)
	if err != nil {
		return nil, fmt.Errorf("evaluate %s: %w", req.School.UAI, err)
	}
	if ev.Isolated {
		e.logger.Warn("checks evaluated one by one", "uai", req.School.UAI, "academy", req.Academy)
	}
	return buildReport(reportInput{
		UAI: req.School.UAI, SchoolName: req.School.Name, Academy: req.Academy, SchoolYear: year,
		PolicyVersion: e.set.Version(), Now: now, Catalogue: e.catalogue, Evaluation: ev,
		Exemptions: req.Exemptions, Timing: e.timing,
	}), nil
}

// EvaluateSnapshot evaluates a snapshot held in memory.
func (e *Engine) EvaluateSnapshot(ctx context.Context, req Request, snap *fact.Snapshot, now time.Time) (*Report, error) {
	b, err := json.Marshal(snap)
	if err != nil {
		return nil, fmt.Errorf("evaluate %s: encode snapshot: %w", req.School.UAI, err)
	}
	req.Snapshot = b
	return e.Evaluate(ctx, req, now)
}

// input builds the policy input (docs/design.md, "The policy input") around the snapshot as
// stored: the snapshot is decoded once, straight into the policy engine's representation.
func (e *Engine) input(req Request, year int, now time.Time, snap []byte) (policy.Input, error) {
	local := now.In(e.timing.Location)
	var usesGroups any
	if req.School.UsesGroups != nil {
		usesGroups = *req.School.UsesGroups
	}
	in, err := policy.InputWithJSON(map[string]any{
		"uai":         req.School.UAI,
		"school_year": year,
		"now":         local.Format(time.RFC3339),
		"today":       local.Format(time.DateOnly),
		"school": map[string]any{
			"uai":         req.School.UAI,
			"name":        req.School.Name,
			"kind":        string(req.School.Kind),
			"uses_groups": usesGroups,
			"academy":     req.Academy,
			"departement": req.School.Departement,
		},
	}, "facts", snap)
	if err != nil {
		return policy.Input{}, fmt.Errorf("evaluate %s: %w", req.School.UAI, err)
	}
	return in, nil
}

// Outcome is one school's result in an academy run.
type Outcome struct {
	UAI    string
	Report *Report // nil when Err is set
	Err    error
}

// Run is the result of an academy run.
type Run struct {
	Outcomes []Outcome // in request order
	Ready    int
	AtRisk   int
	NotReady int
	Failed   int // schools without a report (snapshot missing or unreadable)
	Duration time.Duration
}

// RunOptions configures RunAcademy.
type RunOptions struct {
	Now     time.Time
	Workers int // default: GOMAXPROCS
}

// RunAcademy evaluates many schools on a bounded pool of workers sharing the prepared
// queries. A school that fails does not stop the run; the run stops when ctx ends.
func (e *Engine) RunAcademy(ctx context.Context, reqs []Request, opts RunOptions) (*Run, error) {
	start := time.Now()
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = min(workers, max(len(reqs), 1))
	run := &Run{Outcomes: make([]Outcome, len(reqs))}
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := range jobs {
				rep, err := e.Evaluate(ctx, reqs[i], opts.Now)
				run.Outcomes[i] = Outcome{UAI: reqs[i].School.UAI, Report: rep, Err: err}
			}
		})
	}
	var cancelled error
feed:
	for i := range reqs {
		select {
		case jobs <- i:
		case <-ctx.Done():
			cancelled = ctx.Err()
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	if cancelled != nil {
		return nil, fmt.Errorf("run academy: %w", cancelled)
	}
	for _, o := range run.Outcomes {
		switch {
		case o.Err != nil:
			run.Failed++
			e.logger.Error("school evaluation failed", "uai", o.UAI, "err", o.Err)
		case o.Report.Status == StatusReady:
			run.Ready++
		case o.Report.Status == StatusAtRisk:
			run.AtRisk++
		default:
			run.NotReady++
		}
	}
	run.Duration = time.Since(start)
	return run, nil
}
