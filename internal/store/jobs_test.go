package store_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigie-edu/vigie/internal/access"
	"github.com/vigie-edu/vigie/internal/apperr"
	"github.com/vigie-edu/vigie/internal/store"
	"github.com/vigie-edu/vigie/internal/store/storetest"
)

func TestJobRunsOncePerSlot(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		sys := access.System()
		slot := time.Date(2026, 9, 16, 3, 30, 0, 0, time.UTC)
		now := slot.Add(200 * time.Millisecond)

		// Concurrent claims of one slot: exactly one wins.
		var wins atomic.Int32
		var wg sync.WaitGroup
		for i := range 8 {
			wg.Go(func() {
				_, err := s.ClaimJobRun(ctx, sys, "evaluate", slot.Add(time.Duration(i)*time.Millisecond), "r"+string(rune('a'+i)), now, now.Add(time.Minute))
				if err == nil {
					wins.Add(1)
				} else {
					assert.ErrorIs(t, err, apperr.ErrConflict)
				}
			})
		}
		wg.Wait()
		assert.EqualValues(t, 1, wins.Load(), "the slot is the same to the second")

		runs, total, err := s.ListJobRuns(ctx, sys, store.JobRunFilter{Job: "evaluate"})
		require.NoError(t, err)
		require.EqualValues(t, 1, total)
		run := runs[0]
		assert.True(t, run.Slot.Equal(slot))
		assert.Equal(t, store.JobRunning, run.Status)

		// The holder renews, records a failed attempt, finishes; others cannot.
		require.NoError(t, s.RenewJobRun(ctx, sys, run.ID, run.Replica, now.Add(2*time.Minute)))
		assert.ErrorIs(t, s.RenewJobRun(ctx, sys, run.ID, "intruder", now.Add(2*time.Minute)), apperr.ErrConflict)
		require.NoError(t, s.RetryJobRun(ctx, sys, run.ID, run.Replica, errors.New("database busy"), now.Add(3*time.Minute)))
		done, err := s.FinishJobRun(ctx, sys, run.ID, run.Replica, map[string]int{"schools": 12}, nil, now.Add(time.Minute))
		require.NoError(t, err)
		assert.Equal(t, store.JobDone, done.Status)
		assert.Equal(t, 2, done.Attempt)
		assert.Equal(t, map[string]int{"schools": 12}, done.Counts)
		_, err = s.FinishJobRun(ctx, sys, run.ID, run.Replica, nil, nil, now)
		assert.ErrorIs(t, err, apperr.ErrConflict, "a finished run stays finished")
		_, err = s.ClaimJobRun(ctx, sys, "evaluate", slot, "late", now.Add(time.Hour), now.Add(2*time.Hour))
		assert.ErrorIs(t, err, apperr.ErrConflict, "a done slot is never run again")

		// A replica dies while running: its lease expires and another takes the slot over.
		slot2 := slot.Add(24 * time.Hour)
		dead, err := s.ClaimJobRun(ctx, sys, "evaluate", slot2, "dead", slot2, slot2.Add(time.Minute))
		require.NoError(t, err)
		_, err = s.ClaimJobRun(ctx, sys, "evaluate", slot2, "other", slot2.Add(30*time.Second), slot2.Add(2*time.Minute))
		assert.ErrorIs(t, err, apperr.ErrConflict, "the lease is alive")
		abandoned, err := s.AbandonedJobRuns(ctx, sys, []string{"evaluate", "digest"}, slot2.Add(2*time.Minute))
		require.NoError(t, err)
		require.Len(t, abandoned, 1)
		assert.Equal(t, dead.ID, abandoned[0].ID)
		took, err := s.TakeOverJobRun(ctx, sys, abandoned[0], "other", slot2.Add(2*time.Minute), slot2.Add(3*time.Minute))
		require.NoError(t, err)
		assert.Equal(t, "other", took.Replica)
		assert.Equal(t, 2, took.Attempt)
		_, err = s.TakeOverJobRun(ctx, sys, abandoned[0], "third", slot2.Add(2*time.Minute), slot2.Add(3*time.Minute))
		assert.ErrorIs(t, err, apperr.ErrConflict, "taken over once")
		assert.ErrorIs(t, s.RenewJobRun(ctx, sys, dead.ID, "dead", slot2.Add(time.Hour)), apperr.ErrConflict, "the dead replica lost it")
		failed, err := s.FinishJobRun(ctx, sys, took.ID, "other", nil, errors.New("smtp down"), slot2.Add(4*time.Minute))
		require.NoError(t, err)
		assert.Equal(t, store.JobFailed, failed.Status)
		assert.Equal(t, "smtp down", failed.Error)

		// Reading: any signed-in scope; writing: Vigie only.
		got, err := s.JobRunByID(ctx, access.Academy(1), failed.ID)
		require.NoError(t, err)
		assert.Equal(t, failed.ID, got.ID)
		_, err = s.ClaimJobRun(ctx, access.Academy(1), "x", slot, "r", now, now)
		assert.ErrorIs(t, err, apperr.ErrNotFound)
		_, _, err = s.ListJobRuns(ctx, access.Scope{}, store.JobRunFilter{})
		assert.ErrorIs(t, err, apperr.ErrNotFound)
		list, total, err := s.ListJobRuns(ctx, sys, store.JobRunFilter{Status: store.JobFailed, Limit: 10})
		require.NoError(t, err)
		assert.EqualValues(t, 1, total)
		assert.Equal(t, failed.ID, list[0].ID)

		// Retention deletes finished runs before the cut-off.
		p, err := s.Purge(ctx, sys, slot.Add(time.Hour), slot2)
		require.NoError(t, err)
		assert.EqualValues(t, 1, p.JobRuns)
		_, total, err = s.ListJobRuns(ctx, sys, store.JobRunFilter{})
		require.NoError(t, err)
		assert.EqualValues(t, 1, total)
	})
}

func TestAdvisoryLock(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		l1, ok, err := s.TryAdvisoryLock(ctx, access.System(), "digest")
		require.NoError(t, err)
		require.True(t, ok)
		if s.Dialect() == store.Postgres {
			_, ok, err = s.TryAdvisoryLock(ctx, access.System(), "digest")
			require.NoError(t, err)
			assert.False(t, ok, "held by another session")
			l3, ok, err := s.TryAdvisoryLock(ctx, access.System(), "evaluate")
			require.NoError(t, err)
			assert.True(t, ok, "another name")
			require.NoError(t, l3.Unlock(ctx))
		}
		require.NoError(t, l1.Unlock(ctx))
		l2, ok, err := s.TryAdvisoryLock(ctx, access.System(), "digest")
		require.NoError(t, err)
		assert.True(t, ok, "released")
		require.NoError(t, l2.Unlock(ctx))
		_, _, err = s.TryAdvisoryLock(ctx, access.Academy(1), "digest")
		assert.ErrorIs(t, err, apperr.ErrNotFound)
	})
}
