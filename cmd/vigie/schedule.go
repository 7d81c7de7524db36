package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/vigie-edu/vigie/internal/config"
	"github.com/vigie-edu/vigie/internal/evaluator"
	"github.com/vigie-edu/vigie/internal/importer"
	"github.com/vigie-edu/vigie/internal/ingest"
	"github.com/vigie-edu/vigie/internal/notify"
	"github.com/vigie-edu/vigie/internal/policy"
	"github.com/vigie-edu/vigie/internal/readiness"
	"github.com/vigie-edu/vigie/internal/schedule"
	"github.com/vigie-edu/vigie/internal/store"
	"github.com/vigie-edu/vigie/internal/tracker"
	"github.com/vigie-edu/vigie/policies"
)

// newTracker compiles the campaign step rules and returns the campaign tracker that the
// evaluation job and the API share.
func newTracker(ctx context.Context, st *store.Store, sets evaluator.PolicySource, log *slog.Logger) (*tracker.Tracker, error) {
	files, err := policy.LoadFS(policies.FS, policies.CampaignDir)
	if err != nil {
		return nil, err
	}
	rules, err := policy.CompileStepRules(ctx, files)
	if err != nil {
		return nil, fmt.Errorf("campaign policies: %w", err)
	}
	return tracker.New(st, rules, sets, readiness.DefaultTiming(), log), nil
}

// newDigests returns the digest sender with the configured mailer and webhook (either may be
// off).
func newDigests(cfg config.Config, st *store.Store, log *slog.Logger) (*notify.Digests, error) {
	var mailer *notify.Mailer
	if cfg.SMTPHost != "" {
		var err error
		mailer, err = notify.NewMailer(notify.SMTPConfig{Host: cfg.SMTPHost, Port: cfg.SMTPPort, Username: cfg.SMTPUser,
			Password: cfg.SMTPPassword, From: cfg.SMTPFrom, TLS: cfg.SMTPTLS})
		if err != nil {
			return nil, err
		}
	}
	var hook *notify.Webhook
	if cfg.WebhookURL != "" {
		var err error
		if hook, err = notify.NewWebhook(cfg.WebhookURL, cfg.WebhookSecret, nil, nil); err != nil {
			return nil, err
		}
	}
	return notify.NewDigests(st, mailer, hook, readiness.DefaultTiming(), log,
		notify.DigestOptions{PublicURL: cfg.PublicURL, RepeatDays: cfg.NotifyRepeatDays}), nil
}

// replicaName is the configured replica name, else host name and process id.
func replicaName(cfg config.Config) string {
	if cfg.Replica != "" {
		return cfg.Replica
	}
	host, err := os.Hostname()
	if err != nil {
		host = "vigie"
	}
	return fmt.Sprintf("%s-%d", host, os.Getpid())
}

// startScheduler schedules Vigie's four jobs in this process and starts them; stop waits for
// running jobs. With PostgreSQL every replica runs the scheduler and each slot runs once; with
// SQLite there is one process and no lock.
func startScheduler(cfg config.Config, st *store.Store, sets evaluator.PolicySource, tr *tracker.Tracker, digests *notify.Digests, ops *operations, log *slog.Logger) (stop func(), err error) {
	for name, expr := range map[string]string{"cron-dropfolder": cfg.CronDropFolder, "cron-evaluate": cfg.CronEvaluate,
		"cron-digest": cfg.CronDigest, "cron-retention": cfg.CronRetention} {
		if err := schedule.ValidateCron(expr); err != nil {
			return nil, usagef("config %s: %v", name, err)
		}
	}
	loc, err := time.LoadLocation(cfg.Timezone)
	if err != nil {
		return nil, err
	}
	retries := cfg.JobRetries
	if retries == 0 {
		retries = -1 // none (0 would be the scheduler's default)
	}
	sched, err := schedule.New(st, log, schedule.Options{
		Location:    loc,
		Replica:     replicaName(cfg),
		Distributed: st.Dialect() == store.Postgres,
		Retries:     retries,
		Backoff:     cfg.JobBackoff,
		OnFailure:   digests.JobFailed,
		StopGrace:   cfg.ShutdownIn,
		Observe:     ops.jobRun,
		Skipped:     ops.metrics.JobSkipped,
	})
	if err != nil {
		return nil, err
	}
	root := cfg.DropFolderDir
	if root == "" {
		root = filepath.Join(cfg.DataDir, "dropfolder")
	}
	im := importer.New(st, log, ingest.DefaultLimits(), nil, ops.importerOptions()...)
	ev := evaluator.New(st, sets, log, ops.evaluatorOptions())
	for _, j := range []schedule.Job{
		schedule.DropFolderJob(cfg.CronDropFolder, schedule.NewDropFolder(root, st, im, log, nil, time.Minute)),
		schedule.EvaluationJob(cfg.CronEvaluate, schedule.NewEvaluation(st, ev, tr, nil, log)),
		schedule.DigestJob(cfg.CronDigest, digests, nil),
		schedule.RetentionJob(cfg.CronRetention, st, schedule.Retention{Records: days(cfg.RetentionDays),
			Imports: days(cfg.RetentionImportsDays), Results: days(cfg.RetentionResultsDays)}, nil),
	} {
		if err := sched.Add(j); err != nil {
			return nil, err
		}
	}
	sched.Start()
	for name, next := range sched.NextRuns() {
		log.Info("job scheduled", "job", name, "next", next.In(loc).Format(time.RFC3339))
	}
	return func() {
		if err := sched.Shutdown(); err != nil {
			log.Error("stop scheduler", "err", err)
		}
	}, nil
}

// days turns a number of days of the configuration into a duration (0 stays 0: keep).
func days(n int) time.Duration { return time.Duration(n) * 24 * time.Hour }
