package schedule

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/vigie-edu/vigie/internal/access"
	"github.com/vigie-edu/vigie/internal/apperr"
	"github.com/vigie-edu/vigie/internal/store"
)

// A partitioned job's slot is shared by the replicas whose schedule fires for it. The one
// that claims the slot's run record (the coordinator) runs coordinate through the usual
// execute (lease, retries, final record); the others join: each claims parts one by one
// through their unique (job, slot, part) record and runs them. The coordinator then takes
// over the parts whose replica died, waits for those still running elsewhere, and records the
// sum of every part's counts. If the coordinator dies, another replica takes the run record
// over and coordinates in its place: parts already done are not run again.

// partPoll is how often the coordinator looks at parts other replicas run.
const partPoll = 2 * time.Second

// coordinate returns the Run of a partitioned job.
func (s *Scheduler) coordinate(j Job) func(ctx context.Context, slot time.Time) (map[string]int, error) {
	return func(ctx context.Context, slot time.Time) (map[string]int, error) {
		parts, err := j.Parts(ctx, slot)
		if err != nil {
			return nil, fmt.Errorf("parts of %s: %w", j.Name, err)
		}
		// A retry runs the parts that failed again.
		if _, err := s.st.ResetFailedJobParts(ctx, access.System(), j.Name, slot); err != nil {
			return nil, err
		}
		todo := parts
		for {
			s.runParts(ctx, j, slot, todo)
			recorded, err := s.st.JobParts(ctx, access.System(), j.Name, slot)
			if err != nil {
				return nil, err
			}
			byPart := map[string]store.JobPart{}
			for _, p := range recorded {
				byPart[p.Part] = p
			}
			counts, pending := map[string]int{"parts": len(parts)}, 0
			var errs []error
			todo = nil // the parts worth claiming at the next look: unrecorded, or their replica died
			for _, name := range parts {
				p, ok := byPart[name]
				switch {
				case !ok || p.Status == store.JobRunning:
					pending++
					if !ok || p.LeaseUntil.Before(s.clock.Now()) {
						todo = append(todo, name)
					}
				case p.Status == store.JobFailed:
					errs = append(errs, fmt.Errorf("part %s (%s): %s", name, p.Replica, p.Error))
				default:
					for k, v := range p.Counts {
						counts[k] += v
					}
				}
			}
			if pending == 0 {
				return counts, errors.Join(errs...)
			}
			select {
			case <-ctx.Done():
				return counts, ctx.Err()
			case <-s.clock.After(partPoll):
			}
		}
	}
}

// join runs parts of a slot another replica coordinates.
func (s *Scheduler) join(ctx context.Context, j Job, slot time.Time) {
	s.running.Add(1)
	defer s.running.Done()
	parts, err := j.Parts(ctx, slot)
	if err != nil {
		s.log.Error("list job parts", "job", j.Name, "slot", slot, "err", err)
		return
	}
	if n := s.runParts(ctx, j, slot, parts); n == 0 {
		s.log.Debug("slot already run", "job", j.Name, "slot", slot)
		s.skipped(j.Name, "done")
	}
}

// runParts claims and runs, one at a time, the parts nobody holds (or whose replica died),
// and returns how many it ran.
func (s *Scheduler) runParts(ctx context.Context, j Job, slot time.Time, parts []string) int {
	ran := 0
	for _, name := range parts {
		if ctx.Err() != nil {
			return ran
		}
		now := s.clock.Now()
		p, err := s.st.ClaimJobPart(ctx, access.System(), j.Name, slot, name, s.opts.Replica, now, now.Add(s.opts.Lease))
		if errors.Is(err, apperr.ErrConflict) {
			continue
		}
		if err != nil {
			s.log.Error("claim job part", "job", j.Name, "slot", slot, "part", name, "err", err)
			continue
		}
		s.runPart(ctx, j, p)
		ran++
	}
	return ran
}

// runPart runs a claimed part, renewing its lease, and records how it ended. Interrupted
// (shutdown), it hands the part back for another replica.
func (s *Scheduler) runPart(ctx context.Context, j Job, p store.JobPart) {
	log := s.log.With("job", j.Name, "slot", p.Slot, "part", p.Part, "replica", s.opts.Replica)
	log.Info("job part started", "attempt", p.Attempt)
	start := s.clock.Now()
	partCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	renewed := make(chan struct{})
	go func() {
		defer close(renewed)
		tick := s.clock.NewTicker(s.opts.Lease / 3)
		defer tick.Stop()
		for {
			select {
			case <-partCtx.Done():
				return
			case <-tick.Chan():
				err := s.st.RenewJobPart(partCtx, access.System(), p.ID, s.opts.Replica, s.clock.Now().Add(s.opts.Lease))
				if errors.Is(err, apperr.ErrConflict) {
					cancel(err) // taken over after a pause longer than the lease
					return
				}
				if err != nil {
					log.Warn("renew job part lease", "err", err)
				}
			}
		}
	}()
	counts, err := j.RunPart(partCtx, p.Slot, p.Part)
	interrupted := partCtx.Err() != nil
	cancel(nil)
	<-renewed
	bg := context.WithoutCancel(ctx)
	if interrupted {
		log.Warn("job part interrupted", "err", err, "cause", context.Cause(partCtx))
		_ = s.st.RenewJobPart(bg, access.System(), p.ID, s.opts.Replica, s.clock.Now())
		return
	}
	if _, ferr := s.st.FinishJobPart(bg, access.System(), p.ID, s.opts.Replica, counts, err, s.clock.Now()); ferr != nil {
		log.Error("record job part", "err", ferr)
		return
	}
	if err != nil {
		log.Error("job part failed", "duration", s.clock.Since(start), "err", err)
		return
	}
	log.Info("job part done", "duration", s.clock.Since(start), "counts", counts)
}
