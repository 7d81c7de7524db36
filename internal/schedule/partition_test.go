package schedule_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigie-edu/vigie/internal/access"
	"github.com/vigie-edu/vigie/internal/schedule"
	"github.com/vigie-edu/vigie/internal/store"
	"github.com/vigie-edu/vigie/internal/store/storetest"
)

// TestPartitionedJobSharedByTwoReplicas: two schedulers on one PostgreSQL database share the
// parts of one slot; each part runs once; the replica holding the slot records the sum.
func TestPartitionedJobSharedByTwoReplicas(t *testing.T) {
	url := storetest.NewPostgresDatabase(t)
	open := func() *store.Store {
		st, err := store.Open(context.Background(), url, storetest.Logger(t))
		require.NoError(t, err)
		t.Cleanup(func() { st.Close() })
		return st
	}
	a, b := open(), open()
	clock := clockwork.NewFakeClockAt(at("2026-09-16 05:29:59"))
	parts := []string{"aix-marseille", "bordeaux", "creteil", "lille", "poitiers", "versailles"}
	var mu sync.Mutex
	ran := map[string][]string{}
	started := map[string]bool{}
	both := make(chan struct{})
	job := func(replica string) schedule.Job {
		return schedule.Job{Name: "evaluate", Cron: "30 5 * * *",
			Run: func(context.Context, time.Time) (map[string]int, error) {
				t.Error("a partitioned job runs by parts")
				return nil, nil
			},
			Parts: func(context.Context, time.Time) ([]string, error) { return parts, nil },
			RunPart: func(_ context.Context, _ time.Time, part string) (map[string]int, error) {
				mu.Lock()
				ran[part] = append(ran[part], replica)
				first := !started[replica]
				started[replica] = true
				if first && len(started) == 2 {
					close(both)
				}
				mu.Unlock()
				if first { // hold the first part until the other replica works too: they share
					select {
					case <-both:
					case <-time.After(10 * time.Second):
						t.Errorf("%s: the other replica never took a part", replica)
					}
				}
				return map[string]int{"schools": 100, "academies": 1}, nil
			}}
	}
	ha := newHarness(t, a, time.Time{}, "a", true, clock, job("a"))
	hb := newHarness(t, b, time.Time{}, "b", true, clock, job("b"))
	slot := at("2026-09-16 05:30:00")
	waitFor(t, func() bool {
		return ha.sched.NextRuns()["evaluate"].Equal(slot) && hb.sched.NextRuns()["evaluate"].Equal(slot)
	}, "both replicas armed %s", slot)
	clock.Advance(slot.Sub(clock.Now()))

	// The coordinator polls the parts the other replica runs on the (fake) clock: move it on
	// until the slot's record is closed.
	var run store.JobRun
	deadline := time.Now().Add(20 * time.Second)
	for run.ID == 0 {
		select {
		case run = <-ha.closed:
		case run = <-hb.closed:
		case why := <-ha.skipped:
			t.Fatalf("a skipped: %s", why)
		case why := <-hb.skipped:
			t.Fatalf("b skipped: %s", why)
		case <-time.After(50 * time.Millisecond):
			require.True(t, time.Now().Before(deadline), "the slot was never closed")
			clock.Advance(2 * time.Second)
		}
	}
	assert.Equal(t, store.JobDone, run.Status, run.Error)
	assert.Equal(t, map[string]int{"parts": 6, "schools": 600, "academies": 6}, run.Counts)

	mu.Lock()
	defer mu.Unlock()
	assert.Len(t, ran, len(parts))
	byReplica := map[string]int{}
	for part, who := range ran {
		assert.Len(t, who, 1, "part %s ran on %v", part, who)
		byReplica[who[0]]++
	}
	assert.Positive(t, byReplica["a"], "a ran parts: %v", ran)
	assert.Positive(t, byReplica["b"], "b ran parts: %v", ran)
	recorded, err := a.JobParts(context.Background(), access.System(), "evaluate", slot)
	require.NoError(t, err)
	require.Len(t, recorded, len(parts))
	for _, p := range recorded {
		assert.Equal(t, store.JobDone, p.Status, p.Part)
		assert.Equal(t, ran[p.Part][0], p.Replica, p.Part)
	}
	runs, _, err := a.ListJobRuns(context.Background(), access.System(), store.JobRunFilter{Job: "evaluate"})
	require.NoError(t, err)
	assert.Len(t, runs, 1, "one record for the slot")
	select {
	case r := <-ha.closed:
		t.Errorf("a second record closed: %+v", r)
	case r := <-hb.closed:
		t.Errorf("a second record closed: %+v", r)
	default:
	}
}

// TestPartitionedJobAlone: with one process (SQLite), the replica runs every part itself and
// a failed part fails the slot, then only that part runs again at the retry.
func TestPartitionedJobAlone(t *testing.T) {
	st := storetest.SQLite(t)
	var mu sync.Mutex
	calls := map[string]int{}
	job := schedule.Job{Name: "evaluate", Cron: "30 5 * * *",
		Run:   func(context.Context, time.Time) (map[string]int, error) { return nil, nil },
		Parts: func(context.Context, time.Time) ([]string, error) { return []string{"bordeaux", "poitiers"}, nil },
		RunPart: func(_ context.Context, _ time.Time, part string) (map[string]int, error) {
			mu.Lock()
			defer mu.Unlock()
			calls[part]++
			if part == "poitiers" && calls[part] == 1 {
				return nil, assert.AnError
			}
			return map[string]int{"schools": 10}, nil
		}}
	h := newHarness(t, st, at("2026-09-16 05:29:30"), "r1", false, nil, job)
	h.advance(t, 2, 30*time.Second)
	// The first attempt fails on poitiers; the retry after the back-off (one minute) runs
	// poitiers only. The clock moves on in steps until the record is closed.
	var r store.JobRun
	deadline := time.Now().Add(15 * time.Second)
	for r.ID == 0 {
		select {
		case r = <-h.closed:
		case <-time.After(50 * time.Millisecond):
			require.True(t, time.Now().Before(deadline), "the slot was never closed")
			h.clock.Advance(10 * time.Second)
		}
	}
	assert.Equal(t, store.JobDone, r.Status, r.Error)
	assert.Equal(t, 2, r.Attempt)
	assert.Equal(t, map[string]int{"parts": 2, "schools": 20}, r.Counts)
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, map[string]int{"bordeaux": 1, "poitiers": 2}, calls)
}
