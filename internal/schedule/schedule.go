// Package schedule runs Vigie's timed jobs (the drop-folder ingestion, the daily evaluation,
// the notification digest, the retention clean-up) on cron schedules in Europe/Paris time. It
// is the only package that imports gocron. Each job runs once per slot (its scheduled time)
// across replicas sharing PostgreSQL: a PostgreSQL advisory lock keeps two replicas from
// running a job at the same time (gocron's distributed locker), and a unique (job, slot) run
// record keeps a slot from running twice; a record whose replica stopped renewing its lease is
// taken over by another replica. A failed run is retried with back-off, then recorded as failed
// and reported. The clock is injected, so that tests advance a fake one instead of sleeping.
package schedule

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/go-co-op/gocron/v2"
	"github.com/google/uuid"
	"github.com/jonboulle/clockwork"

	"github.com/vigie-edu/vigie/internal/access"
	"github.com/vigie-edu/vigie/internal/apperr"
	"github.com/vigie-edu/vigie/internal/store"
)

// Job is one named job: what to run for a slot, and when.
type Job struct {
	Name string
	// Cron is a cron expression in the scheduler's location: 5 fields (minute first), or 6 with
	// seconds first.
	Cron string
	// Run does the work of one slot and returns what it did. It must be safe to run again for
	// the same slot after a failure (a retry, or a takeover after a crash).
	Run func(ctx context.Context, slot time.Time) (map[string]int, error)
	// Parts, when set, partitions the job (partition.go): it lists the parts of a slot (e.g.
	// academy codes) and RunPart does one. Every replica whose schedule fires claims parts one
	// by one, so that replicas share a slot and none runs a part twice; the replica holding
	// the slot's run record also takes over parts whose replica died, waits for the others'
	// and records the sum of their counts. Run is then what one process does alone.
	Parts   func(ctx context.Context, slot time.Time) ([]string, error)
	RunPart func(ctx context.Context, slot time.Time, part string) (map[string]int, error)
}

// Options configure a Scheduler.
type Options struct {
	// Location of the cron expressions (default Europe/Paris).
	Location *time.Location
	// Replica names this process in run records (e.g. host name and pid).
	Replica string
	// Clock is the time source (default: the real clock).
	Clock clockwork.Clock
	// Distributed: several replicas share the database (PostgreSQL): take the advisory lock of
	// a job before running it.
	Distributed bool
	// Lease is how long a run record stays held without renewal (default 2 minutes); a
	// running job renews it every third of it.
	Lease time.Duration
	// Retries after a failed attempt (default 3; negative: none) and the first back-off
	// (default 1 minute), doubled at each retry.
	Retries int
	Backoff time.Duration
	// TakeoverEvery is how often abandoned runs are looked for (default 1 minute).
	TakeoverEvery time.Duration
	// StopGrace is how long Shutdown lets running jobs finish before cancelling them (default
	// 30 s); a cancelled run is handed back for another replica to take over.
	StopGrace time.Duration
	// OnFailure reports a run that failed after its retries.
	OnFailure func(ctx context.Context, run store.JobRun)
	// Observe, when set, sees every run record this replica closes (done or failed), and
	// Skipped every time this replica's schedule fired for a job it did not run (reason:
	// "locked", another replica runs the job; "done", the slot is recorded already): the
	// place for metrics.
	Observe func(run store.JobRun)
	Skipped func(job, reason string)
}

// Scheduler runs jobs. Add every job, then Start; Shutdown stops it.
type Scheduler struct {
	st    *store.Store
	log   *slog.Logger
	opts  Options
	gs    gocron.Scheduler
	clock clockwork.Clock

	// base is the context of every run: it outlives gocron's job contexts so that a running
	// job may finish during the grace period of Shutdown.
	base       context.Context
	cancelBase context.CancelFunc

	mu   sync.Mutex
	jobs map[string]*entry
	// mine holds the ids of the run records this process is executing: the takeover never
	// takes its own runs.
	mine map[int64]bool
	// running tracks executions so that Shutdown waits for their records.
	running sync.WaitGroup
}

type entry struct {
	job   Job
	slots *slotter
}

// New returns a scheduler; nothing runs before Start.
func New(st *store.Store, log *slog.Logger, opts Options) (*Scheduler, error) {
	if opts.Location == nil {
		loc, err := time.LoadLocation("Europe/Paris")
		if err != nil {
			return nil, fmt.Errorf("new scheduler: %w", err)
		}
		opts.Location = loc
	}
	if opts.Clock == nil {
		opts.Clock = clockwork.NewRealClock()
	}
	if opts.Replica == "" {
		return nil, errors.New("new scheduler: a replica name is required")
	}
	if opts.Lease <= 0 {
		opts.Lease = 2 * time.Minute
	}
	if opts.Retries == 0 {
		opts.Retries = 3
	}
	if opts.Retries < 0 {
		opts.Retries = 0
	}
	if opts.Backoff <= 0 {
		opts.Backoff = time.Minute
	}
	if opts.TakeoverEvery <= 0 {
		opts.TakeoverEvery = time.Minute
	}
	if opts.StopGrace <= 0 {
		opts.StopGrace = 30 * time.Second
	}
	s := &Scheduler{st: st, log: log, opts: opts, clock: opts.Clock, jobs: map[string]*entry{}, mine: map[int64]bool{}}
	s.base, s.cancelBase = context.WithCancel(context.Background())
	gopts := []gocron.SchedulerOption{
		gocron.WithLocation(opts.Location),
		gocron.WithClock(opts.Clock),
		gocron.WithLogger(gocronLogger{log}),
		gocron.WithStopTimeout(opts.StopGrace),
	}
	if opts.Distributed {
		gopts = append(gopts, gocron.WithDistributedLocker(pgLocker{st: st}))
	}
	gs, err := gocron.NewScheduler(gopts...)
	if err != nil {
		return nil, fmt.Errorf("new scheduler: %w", err)
	}
	s.gs = gs
	_, err = gs.NewJob(gocron.DurationJob(opts.TakeoverEvery), gocron.NewTask(func() { s.takeover(s.base) }), gocron.WithName("takeover"),
		gocron.WithSingletonMode(gocron.LimitModeReschedule), gocron.WithDisabledDistributedJobLocker(true))
	if err != nil {
		return nil, fmt.Errorf("new scheduler: takeover job: %w", err)
	}
	return s, nil
}

// Add schedules a job.
func (s *Scheduler) Add(j Job) error {
	if j.Name == "" || j.Name == "takeover" || j.Run == nil {
		return fmt.Errorf("add job %q: a name (not \"takeover\") and a function are required", j.Name)
	}
	if (j.Parts == nil) != (j.RunPart == nil) {
		return fmt.Errorf("add job %s: a partitioned job needs both Parts and RunPart", j.Name)
	}
	sl, err := newSlotter(j.Cron, s.opts.Location)
	if err != nil {
		return fmt.Errorf("add job %s: %w", j.Name, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, dup := s.jobs[j.Name]; dup {
		return fmt.Errorf("add job %s: added twice", j.Name)
	}
	jopts := []gocron.JobOption{gocron.WithName(j.Name),
		gocron.WithEventListeners(gocron.AfterLockError(func(_ uuid.UUID, name string, _ error) { s.skipped(name, "locked") }))}
	switch {
	case j.Parts != nil:
		// Every replica fires a partitioned job and shares its parts (no job-wide lock). A
		// slot that comes while the previous one still runs is run too (its parts are its
		// own); alone (SQLite), an overlapping time is skipped as for any job.
		jopts = append(jopts, gocron.WithDisabledDistributedJobLocker(true))
		if !s.opts.Distributed {
			jopts = append(jopts, gocron.WithSingletonMode(gocron.LimitModeReschedule))
		}
		j.Run = s.coordinate(j)
	case !s.opts.Distributed:
		// One process: a run that overlaps the next time skips it. Distributed, the job's
		// advisory lock does that across replicas, this one included.
		jopts = append(jopts, gocron.WithSingletonMode(gocron.LimitModeReschedule))
	}
	_, err = s.gs.NewJob(gocron.CronJob(sl.expr, sl.seconds), gocron.NewTask(func() { s.fire(s.base, j.Name) }), jopts...)
	if err != nil {
		return fmt.Errorf("add job %s: %w", j.Name, err)
	}
	s.jobs[j.Name] = &entry{job: j, slots: sl}
	return nil
}

// Start starts the schedule.
func (s *Scheduler) Start() {
	s.gs.Start()
	s.log.Info("scheduler started", "replica", s.opts.Replica, "distributed", s.opts.Distributed, "jobs", len(s.jobs))
}

// Shutdown stops scheduling and lets running jobs finish for the grace period; then it cancels
// those still running (their records are handed back for another replica to take over) and
// waits for them.
func (s *Scheduler) Shutdown() error {
	err := s.gs.Shutdown()
	s.cancelBase()
	s.running.Wait()
	if err != nil && !errors.Is(err, gocron.ErrStopJobsTimedOut) {
		return fmt.Errorf("stop scheduler: %w", err)
	}
	return nil
}

// NextRuns returns the next time of every job, by name (for logs and tests).
func (s *Scheduler) NextRuns() map[string]time.Time {
	now := s.clock.Now()
	out := map[string]time.Time{}
	for _, j := range s.gs.Jobs() {
		next, err := j.NextRuns(3)
		if err != nil {
			continue
		}
		for _, t := range next { // gocron may keep a time just run in its list a little longer
			if t.After(now) {
				out[j.Name()] = t
				break
			}
		}
	}
	return out
}

// RunNow runs a job for the slot of now, as if its time had come (an operator's request).
func (s *Scheduler) RunNow(ctx context.Context, name string) (store.JobRun, error) {
	s.mu.Lock()
	e, ok := s.jobs[name]
	s.mu.Unlock()
	if !ok {
		return store.JobRun{}, fmt.Errorf("job %s: %w", name, apperr.ErrNotFound)
	}
	now := s.clock.Now()
	run, err := s.st.ClaimJobRun(ctx, access.System(), name, now, s.opts.Replica, now, now.Add(s.opts.Lease))
	if err != nil {
		return store.JobRun{}, err
	}
	return s.execute(ctx, e.job, run), nil
}

// fire is what gocron calls at a job's time (holding the job's advisory lock when
// distributed): claim the slot, then run it.
func (s *Scheduler) fire(ctx context.Context, name string) {
	s.mu.Lock()
	e := s.jobs[name]
	s.mu.Unlock()
	now := s.clock.Now()
	slot := e.slots.slotOf(now)
	run, err := s.st.ClaimJobRun(ctx, access.System(), name, slot, s.opts.Replica, now, now.Add(s.opts.Lease))
	switch {
	case errors.Is(err, apperr.ErrConflict) && e.job.Parts != nil:
		s.join(ctx, e.job, slot) // another replica holds the slot: help with its parts
		return
	case errors.Is(err, apperr.ErrConflict):
		s.log.Debug("slot already run", "job", name, "slot", slot)
		s.skipped(name, "done")
		return
	case err != nil:
		s.log.Error("claim job slot", "job", name, "slot", slot, "err", err)
		return
	}
	s.execute(ctx, e.job, run)
}

// takeover runs the slots whose replica died (their lease expired while running).
func (s *Scheduler) takeover(ctx context.Context) {
	s.mu.Lock()
	names := make([]string, 0, len(s.jobs))
	for n := range s.jobs {
		names = append(names, n)
	}
	s.mu.Unlock()
	if len(names) == 0 {
		return
	}
	now := s.clock.Now()
	runs, err := s.st.AbandonedJobRuns(ctx, access.System(), names, now)
	if err != nil {
		s.log.Error("look for abandoned job runs", "err", err)
		return
	}
	for _, r := range runs {
		s.mu.Lock()
		busy := s.mine[r.ID]
		s.mu.Unlock()
		if busy {
			continue // this process runs it: its lease renewal is late, not dead
		}
		lock, ok, err := s.st.TryAdvisoryLock(ctx, access.System(), r.Job)
		if err != nil || !ok {
			continue // another replica runs this job now; it will look again
		}
		taken, err := s.st.TakeOverJobRun(ctx, access.System(), r, s.opts.Replica, now, now.Add(s.opts.Lease))
		if err == nil {
			s.log.Warn("job run taken over", "job", r.Job, "slot", r.Slot, "from", r.Replica, "attempt", taken.Attempt)
			s.mu.Lock()
			e := s.jobs[r.Job]
			s.mu.Unlock()
			s.execute(ctx, e.job, taken)
		}
		_ = lock.Unlock(context.WithoutCancel(ctx))
	}
}

// execute runs a claimed record: attempts with back-off, lease renewal, final record.
func (s *Scheduler) execute(ctx context.Context, j Job, run store.JobRun) store.JobRun {
	s.running.Add(1)
	defer s.running.Done()
	s.mu.Lock()
	s.mine[run.ID] = true
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.mine, run.ID)
		s.mu.Unlock()
	}()
	log := s.log.With("job", j.Name, "slot", run.Slot, "replica", s.opts.Replica)
	runCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)

	// Renew the lease while the job runs; losing it (another replica took the slot over
	// after a pause longer than the lease) cancels the job.
	stop := make(chan struct{})
	renewed := make(chan struct{})
	go func() {
		defer close(renewed)
		tick := s.clock.NewTicker(s.opts.Lease / 3)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-runCtx.Done():
				return
			case <-tick.Chan():
				err := s.st.RenewJobRun(runCtx, access.System(), run.ID, s.opts.Replica, s.clock.Now().Add(s.opts.Lease))
				if errors.Is(err, apperr.ErrConflict) {
					cancel(err)
					return
				}
				if err != nil {
					log.Warn("renew job lease", "err", err)
				}
			}
		}
	}()
	finish := func() { close(stop); <-renewed }

	backoff := s.opts.Backoff
	for attempt := 1; ; attempt++ {
		log.Info("job started", "attempt", run.Attempt)
		start := s.clock.Now()
		counts, err := j.Run(runCtx, run.Slot)
		if err == nil {
			finish()
			done, ferr := s.st.FinishJobRun(context.WithoutCancel(ctx), access.System(), run.ID, s.opts.Replica, counts, nil, s.clock.Now())
			if ferr != nil {
				log.Error("record job run", "err", ferr)
				return run
			}
			log.Info("job done", "duration", s.clock.Since(start), "counts", counts)
			s.observe(done)
			return done
		}
		if runCtx.Err() != nil {
			// Shutdown, or the lease was lost: hand the slot back (or leave it to its new
			// holder) rather than record a failure that did not happen.
			finish()
			log.Warn("job interrupted", "err", err, "cause", context.Cause(runCtx))
			_ = s.st.RenewJobRun(context.WithoutCancel(ctx), access.System(), run.ID, s.opts.Replica, s.clock.Now())
			return run
		}
		if attempt > s.opts.Retries {
			finish()
			failed, ferr := s.st.FinishJobRun(context.WithoutCancel(ctx), access.System(), run.ID, s.opts.Replica, counts, err, s.clock.Now())
			if ferr != nil {
				log.Error("record job run", "err", ferr)
				return run
			}
			log.Error("job failed", "attempts", failed.Attempt, "err", err)
			if s.opts.OnFailure != nil {
				s.opts.OnFailure(context.WithoutCancel(ctx), failed)
			}
			s.observe(failed)
			return failed
		}
		log.Warn("job attempt failed, retrying", "attempt", run.Attempt, "backoff", backoff, "err", err)
		if rerr := s.st.RetryJobRun(runCtx, access.System(), run.ID, s.opts.Replica, err, s.clock.Now().Add(backoff+s.opts.Lease)); rerr != nil {
			finish()
			log.Error("record job attempt", "err", rerr)
			return run
		}
		run.Attempt++
		select {
		case <-s.clock.After(backoff):
		case <-runCtx.Done():
		}
		backoff *= 2
	}
}

func (s *Scheduler) skipped(job, reason string) {
	if s.opts.Skipped != nil {
		s.opts.Skipped(job, reason)
	}
}

func (s *Scheduler) observe(run store.JobRun) {
	if s.opts.Observe != nil {
		s.opts.Observe(run)
	}
}

// pgLocker is gocron's distributed locker on PostgreSQL advisory locks: the lock of a job is
// held on its own connection while the job runs, and released with the connection if the
// replica dies.
type pgLocker struct{ st *store.Store }

var errLocked = errors.New("job locked by another replica")

func (l pgLocker) Lock(ctx context.Context, key string) (gocron.Lock, error) {
	lock, ok, err := l.st.TryAdvisoryLock(ctx, access.System(), key)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, errLocked
	}
	return lock, nil
}

// gocronLogger passes gocron's messages to slog, at debug level but for errors.
type gocronLogger struct{ l *slog.Logger }

func (g gocronLogger) Debug(msg string, args ...any) { g.l.Debug("gocron: "+msg, args...) }
func (g gocronLogger) Info(msg string, args ...any)  { g.l.Debug("gocron: "+msg, args...) }
func (g gocronLogger) Warn(msg string, args ...any)  { g.l.Warn("gocron: "+msg, args...) }
func (g gocronLogger) Error(msg string, args ...any) { g.l.Error("gocron: "+msg, args...) }

// slotter finds the slot (scheduled time) a run belongs to.
type slotter struct {
	expr    string
	seconds bool
	cron    gocron.Cron
}

// ValidateCron checks a cron expression as the scheduler reads it: 5 fields, or 6 with
// seconds first; a CRON_TZ= prefix is allowed.
func ValidateCron(expr string) error {
	_, err := newSlotter(expr, time.UTC)
	return err
}

func newSlotter(expr string, loc *time.Location) (*slotter, error) {
	expr = strings.TrimSpace(expr)
	fields := strings.Fields(expr)
	if len(fields) > 0 && (strings.HasPrefix(fields[0], "CRON_TZ=") || strings.HasPrefix(fields[0], "TZ=")) {
		fields = fields[1:]
	}
	seconds := len(fields) == 6
	if len(fields) != 5 && !seconds && !(len(fields) == 1 && strings.HasPrefix(fields[0], "@")) {
		return nil, apperr.Invalid("cron expression %q: want 5 fields (minute hour day month weekday), or 6 with seconds first", expr)
	}
	c := gocron.NewDefaultCron(seconds)
	if err := c.IsValid(expr, loc, time.Now()); err != nil {
		return nil, apperr.Invalid("cron expression %q: %v", expr, err)
	}
	return &slotter{expr: expr, seconds: seconds, cron: c}, nil
}

// slotTolerance absorbs a timer firing a little early on one replica's clock.
const slotTolerance = 500 * time.Millisecond

// slotOf returns the latest scheduled time at or before now (within slotTolerance): every
// replica firing for the same tick finds the same slot, even if it fires late.
func (s *slotter) slotOf(now time.Time) time.Time {
	probe := now.Add(slotTolerance)
	for back := time.Second; back <= 800*24*time.Hour; back *= 2 {
		t := s.cron.Next(probe.Add(-back))
		if t.IsZero() || t.After(probe) {
			continue
		}
		for {
			n := s.cron.Next(t)
			if n.IsZero() || n.After(probe) {
				return t.UTC()
			}
			t = n
		}
	}
	return now.UTC().Truncate(time.Second)
}
