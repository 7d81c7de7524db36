package schedule

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/vigie-edu/vigie/internal/access"
	"github.com/vigie-edu/vigie/internal/evaluator"
	"github.com/vigie-edu/vigie/internal/notify"
	"github.com/vigie-edu/vigie/internal/store"
	"github.com/vigie-edu/vigie/internal/tracker"
)

// Names of Vigie's jobs, as run records show them.
const (
	JobDropFolder = "dropfolder"
	JobEvaluate   = "evaluate"
	JobDigest     = "digest"
	JobRetention  = "retention"
)

// Default schedules, Europe/Paris: the drop folder after the night's deposits, the evaluation
// after the nightly feed and before the 06:00 handover, the digest once the evaluation is
// done, the clean-up on Sunday night.
const (
	DefaultDropFolderCron = "0 2 * * *"
	DefaultEvaluateCron   = "30 5 * * *"
	DefaultDigestCron     = "30 6 * * *"
	DefaultRetentionCron  = "30 3 * * 0"
)

// DropFolderJob ingests the drop folders.
func DropFolderJob(cron string, d *DropFolder) Job {
	return Job{Name: JobDropFolder, Cron: cron, Run: d.Run}
}

// Evaluation is the daily evaluation: every school of every academy, then its campaign (step
// states and forecast).
type Evaluation struct {
	st  *store.Store
	ev  *evaluator.Evaluator
	tr  *tracker.Tracker
	now func() time.Time
	log *slog.Logger
}

// NewEvaluation returns the daily evaluation.
func NewEvaluation(st *store.Store, ev *evaluator.Evaluator, tr *tracker.Tracker, now func() time.Time, log *slog.Logger) *Evaluation {
	if now == nil {
		now = time.Now
	}
	return &Evaluation{st: st, ev: ev, tr: tr, now: now, log: log}
}

// Run evaluates every academy in turn (what one process does alone); an academy that fails
// does not stop the others, but fails the run (its evaluation run is recorded failed, its
// results never final).
func (e *Evaluation) Run(ctx context.Context, slot time.Time) (map[string]int, error) {
	counts := map[string]int{"academies": 0, "schools": 0, "ready": 0, "at_risk": 0, "not_ready": 0, "will_fail": 0, "step_changes": 0}
	codes, err := e.Academies(ctx, slot)
	if err != nil {
		return counts, err
	}
	var errs []error
	for _, code := range codes {
		c, err := e.RunAcademy(ctx, slot, code)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for k, v := range c {
			counts[k] += v
		}
	}
	return counts, errors.Join(errs...)
}

// Academies lists the codes of the academies: the parts of the daily evaluation, which
// replicas share (see Job.Parts).
func (e *Evaluation) Academies(ctx context.Context, _ time.Time) ([]string, error) {
	academies, err := e.st.ListAcademies(ctx, access.System())
	if err != nil {
		return nil, err
	}
	codes := make([]string, len(academies))
	for i, a := range academies {
		codes[i] = a.Code
	}
	return codes, nil
}

// RunAcademy evaluates every school of one academy, then refreshes its campaign (step states
// and forecast).
func (e *Evaluation) RunAcademy(ctx context.Context, _ time.Time, code string) (map[string]int, error) {
	a, err := e.st.AcademyByCode(ctx, access.System(), code)
	if err != nil {
		return nil, fmt.Errorf("evaluate academy %s: %w", code, err)
	}
	scope := access.Academy(a.ID)
	run, err := e.ev.RunAcademy(ctx, scope, a, "schedule", "vigie")
	if err != nil {
		return nil, fmt.Errorf("evaluate academy %s: %w", a.Code, err)
	}
	c, err := e.tr.RefreshAcademy(ctx, scope, a, e.now())
	if err != nil {
		return nil, fmt.Errorf("campaign of academy %s: %w", a.Code, err)
	}
	return map[string]int{"academies": 1, "schools": run.Schools, "ready": run.Ready, "at_risk": run.AtRisk, "not_ready": run.NotReady,
		"will_fail": c.WillFail, "step_changes": c.Changed}, nil
}

// EvaluationJob runs the daily evaluation, partitioned by academy across the replicas.
func EvaluationJob(cron string, e *Evaluation) Job {
	return Job{Name: JobEvaluate, Cron: cron, Run: e.Run, Parts: e.Academies, RunPart: e.RunAcademy}
}

// DigestJob sends the morning digests.
func DigestJob(cron string, d *notify.Digests, now func() time.Time) Job {
	if now == nil {
		now = time.Now
	}
	return Job{Name: JobDigest, Cron: cron, Run: func(ctx context.Context, slot time.Time) (map[string]int, error) {
		return d.Run(ctx, slot, now())
	}}
}

// Retention says how long things are kept.
type Retention struct {
	Records time.Duration // job runs, notifications, results of failed runs (see store.Purge)
	Imports time.Duration // original files of imports; zero: kept (see store.PurgeHistory)
	Results time.Duration // final results but each school's latest; zero: kept
}

// RetentionJob deletes what is older than keep says.
func RetentionJob(cron string, st *store.Store, keep Retention, now func() time.Time) Job {
	if now == nil {
		now = time.Now
	}
	before := func(t time.Time, d time.Duration) time.Time {
		if d <= 0 {
			return time.Time{}
		}
		return t.Add(-d)
	}
	return Job{Name: JobRetention, Cron: cron, Run: func(ctx context.Context, _ time.Time) (map[string]int, error) {
		t := now()
		p, err := st.Purge(ctx, access.System(), t.Add(-keep.Records), t)
		counts := map[string]int{"job_runs": int(p.JobRuns), "notifications": int(p.Notifications), "notified_items": int(p.NotifiedItems),
			"failed_results": int(p.FailedResults), "sessions": int(p.Sessions)}
		if err != nil {
			return counts, err
		}
		h, err := st.PurgeHistory(ctx, access.System(), before(t, keep.Imports), before(t, keep.Results))
		counts["import_originals"], counts["old_results"] = int(h.ImportOriginals), int(h.Results)
		return counts, err
	}}
}
