package schedule_test

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigie-edu/vigie/internal/access"
	"github.com/vigie-edu/vigie/internal/apperr"
	"github.com/vigie-edu/vigie/internal/schedule"
	"github.com/vigie-edu/vigie/internal/store"
	"github.com/vigie-edu/vigie/internal/store/storetest"
)

var paris = func() *time.Location {
	l, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		panic(err)
	}
	return l
}()

func at(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04:05", s, paris)
	if err != nil {
		panic(err)
	}
	return t
}

// harness runs a scheduler on a fake clock and collects the records it closes.
type harness struct {
	clock    *clockwork.FakeClock
	sched    *schedule.Scheduler
	closed   chan store.JobRun
	failures chan store.JobRun
	skipped  chan string
}

func newHarness(t *testing.T, st *store.Store, start time.Time, replica string, distributed bool, clock *clockwork.FakeClock, jobs ...schedule.Job) *harness {
	t.Helper()
	if clock == nil {
		clock = clockwork.NewFakeClockAt(start)
	}
	h := &harness{clock: clock, closed: make(chan store.JobRun, 32), failures: make(chan store.JobRun, 8), skipped: make(chan string, 32)}
	s, err := schedule.New(st, testLogger(t), schedule.Options{
		Replica: replica, Clock: clock, Distributed: distributed, Retries: 2, Backoff: time.Minute, Lease: 90 * time.Second,
		TakeoverEvery: time.Minute,
		OnFailure:     func(_ context.Context, r store.JobRun) { h.failures <- r },
		Observe:       func(r store.JobRun) { h.closed <- r },
		Skipped:       func(job, reason string) { h.skipped <- job + ": " + reason },
	})
	require.NoError(t, err)
	for _, j := range jobs {
		require.NoError(t, s.Add(j))
	}
	s.Start()
	t.Cleanup(func() { assert.NoError(t, s.Shutdown()) })
	h.sched = s
	return h
}

// advance waits until the clock has n waiters (the schedule's timers are armed), then moves it.
func (h *harness) advance(t *testing.T, n int, d time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, h.clock.BlockUntilContext(ctx, n), "the scheduler never armed %d timers", n)
	h.clock.Advance(d)
}

func (h *harness) next(t *testing.T) store.JobRun {
	t.Helper()
	select {
	case r := <-h.closed:
		return r
	case <-time.After(15 * time.Second):
		t.Fatal("no job run was closed")
		return store.JobRun{}
	}
}

func TestJobRunsOnceAtItsSlot(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		var calls atomic.Int32
		var gotSlot atomic.Value
		job := schedule.Job{Name: "evaluate", Cron: "30 5 * * *", Run: func(_ context.Context, slot time.Time) (map[string]int, error) {
			calls.Add(1)
			gotSlot.Store(slot)
			return map[string]int{"schools": 3}, nil
		}}
		h := newHarness(t, st, at("2026-09-16 05:29:30"), "r1", st.Dialect() == store.Postgres, nil, job)
		h.advance(t, 2, 30*time.Second) // the job's timer and the takeover's
		r := h.next(t)
		assert.Equal(t, "evaluate", r.Job)
		assert.Equal(t, store.JobDone, r.Status)
		assert.True(t, r.Slot.Equal(at("2026-09-16 05:30:00")), "slot %s", r.Slot)
		assert.Equal(t, map[string]int{"schools": 3}, r.Counts)
		assert.Equal(t, "r1", r.Replica)
		assert.Equal(t, 1, r.Attempt)
		assert.True(t, gotSlot.Load().(time.Time).Equal(at("2026-09-16 05:30:00")))
		assert.EqualValues(t, 1, calls.Load())

		// The same slot asked again (a second replica, a restart) is not run twice.
		_, err := st.ClaimJobRun(context.Background(), access.System(), "evaluate", at("2026-09-16 05:30:00"), "r2", at("2026-09-16 05:31:00"), at("2026-09-16 05:33:00"))
		assert.ErrorIs(t, err, apperr.ErrConflict)
		next := h.sched.NextRuns()["evaluate"]
		assert.True(t, next.Equal(at("2026-09-17 05:30:00")), "next run %s", next)
	})
}

func TestFailedJobIsRetriedWithBackoffThenReported(t *testing.T) {
	st := storetest.SQLite(t)
	var calls atomic.Int32
	flaky := schedule.Job{Name: "digest", Cron: "30 6 * * *", Run: func(_ context.Context, _ time.Time) (map[string]int, error) {
		if calls.Add(1) < 3 {
			return nil, errors.New("smtp: connection refused")
		}
		return map[string]int{"sent": 4}, nil
	}}
	broken := schedule.Job{Name: "retention", Cron: "30 3 * * 0", Run: func(_ context.Context, _ time.Time) (map[string]int, error) {
		return map[string]int{"deleted": 0}, errors.New("disk full")
	}}
	// Sunday 20 September 2026: both jobs are due, three hours apart.
	h := newHarness(t, st, at("2026-09-20 03:29:00"), "r1", false, nil, flaky, broken)
	h.advance(t, 3, time.Minute) // retention fires at 03:30
	// Two retries, one and two minutes later; the clock then has the lease ticker and the
	// back-off timer besides the three schedule timers.
	h.advance(t, 5, time.Minute)
	h.advance(t, 5, 2*time.Minute)
	failed := h.next(t)
	assert.Equal(t, "retention", failed.Job)
	assert.Equal(t, store.JobFailed, failed.Status)
	assert.Equal(t, 3, failed.Attempt, "first attempt and two retries")
	assert.Equal(t, "disk full", failed.Error)
	select {
	case r := <-h.failures:
		assert.Equal(t, failed.ID, r.ID, "reported")
	case <-time.After(5 * time.Second):
		t.Fatal("the failure was not reported")
	}

	h.advance(t, 3, at("2026-09-20 06:30:00").Sub(h.clock.Now())) // digest fires at 06:30
	h.advance(t, 5, time.Minute)
	h.advance(t, 5, 2*time.Minute)
	ok := h.next(t)
	assert.Equal(t, "digest", ok.Job)
	assert.Equal(t, store.JobDone, ok.Status)
	assert.Equal(t, 3, ok.Attempt)
	assert.Equal(t, "smtp: connection refused", ok.Error, "the last attempt's error stays visible")
	assert.Empty(t, h.failures)

	runs, total, err := st.ListJobRuns(context.Background(), access.System(), store.JobRunFilter{})
	require.NoError(t, err)
	assert.EqualValues(t, 2, total)
	assert.Equal(t, "digest", runs[0].Job)
}

func TestAbandonedRunIsTakenOver(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		slot := at("2026-09-16 05:30:00")
		// A replica claimed the slot and died: its lease ran out at 05:32.
		_, err := st.ClaimJobRun(ctx, access.System(), "evaluate", slot, "dead", slot, slot.Add(2*time.Minute))
		require.NoError(t, err)
		var slots []time.Time
		var mu sync.Mutex
		job := schedule.Job{Name: "evaluate", Cron: "30 5 * * *", Run: func(_ context.Context, s time.Time) (map[string]int, error) {
			mu.Lock()
			slots = append(slots, s)
			mu.Unlock()
			return nil, nil
		}}
		h := newHarness(t, st, slot.Add(2*time.Minute+30*time.Second), "alive", st.Dialect() == store.Postgres, nil, job)
		h.advance(t, 2, time.Minute) // the takeover look-up
		r := h.next(t)
		assert.Equal(t, "alive", r.Replica)
		assert.Equal(t, 2, r.Attempt)
		assert.Equal(t, store.JobDone, r.Status)
		assert.True(t, r.Slot.Equal(slot))
		mu.Lock()
		assert.Len(t, slots, 1)
		mu.Unlock()
	})
}

func TestTwoSchedulersOneDatabase(t *testing.T) {
	// Two schedulers on one PostgreSQL database and one clock: every slot runs exactly once.
	url := storetest.NewPostgresDatabase(t)
	open := func() *store.Store {
		st, err := store.Open(context.Background(), url, storetest.Logger(t))
		require.NoError(t, err)
		t.Cleanup(func() { st.Close() })
		return st
	}
	a, b := open(), open()
	clock := clockwork.NewFakeClockAt(at("2026-09-16 05:29:59"))
	var mu sync.Mutex
	ran := map[time.Time][]string{}
	job := func(replica string) schedule.Job {
		return schedule.Job{Name: "tick", Cron: "*/10 * * * * *", Run: func(_ context.Context, slot time.Time) (map[string]int, error) {
			mu.Lock()
			ran[slot] = append(ran[slot], replica)
			mu.Unlock()
			return nil, nil
		}}
	}
	ha := newHarness(t, a, time.Time{}, "a", true, clock, job("a"))
	hb := newHarness(t, b, time.Time{}, "b", true, clock, job("b"))
	tick := at("2026-09-16 05:30:00")
	for i := range 6 {
		// Both schedulers armed this tick: move the clock to it.
		slot := tick.Add(time.Duration(i) * 10 * time.Second)
		waitFor(t, func() bool {
			return ha.sched.NextRuns()["tick"].Equal(slot) && hb.sched.NextRuns()["tick"].Equal(slot) && lockFree(t, a, "tick")
		}, "both replicas armed %s (a: %v, b: %v)", slot, func() any { return ha.sched.NextRuns() }, func() any { return hb.sched.NextRuns() })
		clock.Advance(slot.Sub(clock.Now()))
		// Each replica either runs the slot (and closes its record) or skips it (the job is
		// locked by the other, or its slot is recorded already); exactly one runs it.
		outcomes := map[string]int{}
		for range 2 {
			select {
			case r := <-ha.closed:
				t.Logf("slot %s: a ran %s", slot, r.Slot)
				outcomes["ran"]++
			case r := <-hb.closed:
				t.Logf("slot %s: b ran %s", slot, r.Slot)
				outcomes["ran"]++
			case why := <-ha.skipped:
				t.Logf("slot %s: a skipped %s", slot, why)
				outcomes[why]++
			case why := <-hb.skipped:
				t.Logf("slot %s: b skipped %s", slot, why)
				outcomes[why]++
			case <-time.After(15 * time.Second):
				t.Fatalf("slot %s: a replica did not fire (so far %v)", slot, outcomes)
			}
		}
		assert.Equal(t, 1, outcomes["ran"], "slot %s: %v", slot, outcomes)
	}
	mu.Lock()
	defer mu.Unlock()
	assert.Len(t, ran, 6)
	for slot, who := range ran {
		assert.Len(t, who, 1, "slot %s ran on %v", slot, who)
	}
	runs, total, err := a.ListJobRuns(context.Background(), access.System(), store.JobRunFilter{Job: "tick"})
	require.NoError(t, err)
	assert.EqualValues(t, 6, total)
	for _, r := range runs {
		assert.Equal(t, store.JobDone, r.Status)
		assert.Equal(t, 0, r.Slot.Second()%10)
	}
}

// lockFree tells whether no replica holds the job's advisory lock: the previous slot's winner
// is completely done. (With a real clock the ticks are seconds apart; a fake clock could move
// to the next tick while the winner still releases its lock.)
func lockFree(t *testing.T, st *store.Store, job string) bool {
	l, ok, err := st.TryAdvisoryLock(context.Background(), access.System(), job)
	require.NoError(t, err)
	if ok {
		require.NoError(t, l.Unlock(context.Background()))
	}
	return ok
}

// waitFor polls cond (the schedulers' own state, not the clock) for a few seconds.
func waitFor(t *testing.T, cond func() bool, format string, args ...any) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			for i, a := range args {
				if f, ok := a.(func() any); ok {
					args[i] = f()
				}
			}
			t.Fatalf("timed out: "+format, args...)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func TestValidateCron(t *testing.T) {
	for _, ok := range []string{"0 2 * * *", "30 5 * * *", "30 3 * * 0", "*/5 * * * * *", "CRON_TZ=Europe/Paris 0 6 * * *", "@daily"} {
		assert.NoError(t, schedule.ValidateCron(ok), ok)
	}
	for _, bad := range []string{"", "0 2 * *", "61 2 * * *", "every day", "0 0 0 0 0 0 0"} {
		assert.ErrorIs(t, schedule.ValidateCron(bad), apperr.ErrInvalid, bad)
	}
}

type logWriter struct{ t *testing.T }

func (w logWriter) Write(p []byte) (int, error) { w.t.Log(string(p)); return len(p), nil }

func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(logWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}
