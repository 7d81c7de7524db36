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

// Run evaluates every academy; an academy that fails does not stop the others, but fails the
// run (its evaluation run is recorded failed, its results never final).
func (e *Evaluation) Run(ctx context.Context, _ time.Time) (map[string]int, error) {
	counts := map[string]int{"academies": 0, "schools": 0, "ready": 0, "at_risk": 0, "not_ready": 0, "will_fail": 0, "step_changes": 0}
	academies, err := e.st.ListAcademies(ctx, access.System())
	if err != nil {
		return counts, err
	}
	var errs []error
	for _, a := range academies {
		scope := access.Academy(a.ID)
		run, err := e.ev.RunAcademy(ctx, scope, a, "schedule", "vigie")
		if err != nil {
			errs = append(errs, fmt.Errorf("evaluate academy %s: %w", a.Code, err))
			continue
		}
		c, err := e.tr.RefreshAcademy(ctx, scope, a, e.now())
		if err != nil {
			errs = append(errs, fmt.Errorf("campaign of academy %s: %w", a.Code, err))
			continue
		}
		counts["academies"]++
		counts["schools"] += run.Schools
		counts["ready"] += run.Ready
		counts["at_risk"] += run.AtRisk
		counts["not_ready"] += run.NotReady
		counts["will_fail"] += c.WillFail
		counts["step_changes"] += c.Changed
	}
	return counts, errors.Join(errs...)
}

// EvaluationJob runs the daily evaluation.
func EvaluationJob(cron string, e *Evaluation) Job {
	return Job{Name: JobEvaluate, Cron: cron, Run: e.Run}
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
