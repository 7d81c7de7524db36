package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"

	"github.com/vigie-edu/vigie/internal/access"
	"github.com/vigie-edu/vigie/internal/config"
	"github.com/vigie-edu/vigie/internal/evaluator"
	"github.com/vigie-edu/vigie/internal/httpapi"
	"github.com/vigie-edu/vigie/internal/importer"
	"github.com/vigie-edu/vigie/internal/metrics"
	"github.com/vigie-edu/vigie/internal/store"
)

// operations is what a serving process offers its operators: the metrics every part feeds
// (through the callbacks below, wired in plain sight), the run-time log level and the admin
// port.
type operations struct {
	metrics *metrics.Metrics
	level   *slog.LevelVar
}

func newOperations(st *store.Store, level *slog.LevelVar, log *slog.Logger) *operations {
	m := metrics.New(metrics.Options{Version: buildVersion(), Logger: log,
		State: func(ctx context.Context) (metrics.State, error) {
			ps, err := st.PlatformState(ctx, access.System())
			if err != nil {
				return metrics.State{}, err
			}
			var s metrics.State
			for _, c := range ps.Schools {
				s.Schools = append(s.Schools, metrics.SchoolCount{Academy: c.Academy, Status: c.Status, N: c.N})
			}
			for _, src := range ps.Sources {
				s.Sources = append(s.Sources, metrics.SourceTime{Academy: src.Academy, Source: src.Kind, Newest: src.Newest})
			}
			return s, nil
		}})
	return &operations{metrics: m, level: level}
}

// importerOptions count every imported file.
func (o *operations) importerOptions() []importer.Option {
	return []importer.Option{importer.WithObserver(func(ob importer.Observation) {
		o.metrics.Import(ob.Kind, ob.Outcome, ob.Bytes)
	})}
}

// evaluatorOptions time every evaluation run.
func (o *operations) evaluatorOptions() evaluator.Options {
	return evaluator.Options{Observe: func(ob evaluator.Observation) {
		o.metrics.Evaluation(ob.Academy.Code, ob.UAI == "", ob.Schools, ob.Elapsed, ob.Err != nil)
	}}
}

// httpObserver times every HTTP request.
func (o *operations) httpObserver() httpapi.Observer {
	return httpapi.Observer{Started: o.metrics.RequestStarted, Done: o.metrics.RequestDone}
}

// jobRun counts a closed scheduled job run.
func (o *operations) jobRun(run store.JobRun) {
	o.metrics.JobRun(run.Job, run.Status, run.FinishedAt.Sub(run.StartedAt), run.FinishedAt)
}

// startAdmin serves the admin port when one is configured (pprof, metrics without token, the
// log level); it stops with ctx.
func (o *operations) startAdmin(ctx context.Context, cfg config.Config, log *slog.Logger) (wait func(), err error) {
	if cfg.AdminAddr == "" {
		return func() {}, nil
	}
	l, err := net.Listen("tcp", cfg.AdminAddr)
	if err != nil {
		return nil, fmt.Errorf("listen on admin address %s: %w", cfg.AdminAddr, err)
	}
	h := httpapi.NewAdmin(httpapi.AdminOptions{Logger: log, Level: o.level, Metrics: o.metrics.Handler()})
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := httpapi.ServeAdmin(ctx, l, h, log); err != nil {
			log.Error("admin listener", "err", err)
		}
	}()
	log.Warn("admin listener on: pprof and the log level are served without login", "addr", l.Addr().String())
	return func() { <-done }, nil
}
