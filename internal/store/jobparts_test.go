package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigie-edu/vigie/internal/access"
	"github.com/vigie-edu/vigie/internal/apperr"
	"github.com/vigie-edu/vigie/internal/store"
	"github.com/vigie-edu/vigie/internal/store/storetest"
)

func TestJobParts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		sys := access.System()
		slot := time.Date(2026, 10, 5, 3, 30, 0, 0, time.UTC)
		now := slot.Add(time.Second)
		lease := now.Add(2 * time.Minute)

		a, err := s.ClaimJobPart(ctx, sys, "evaluate", slot, "poitiers", "r1", now, lease)
		require.NoError(t, err)
		assert.Equal(t, 1, a.Attempt)
		_, err = s.ClaimJobPart(ctx, sys, "evaluate", slot, "poitiers", "r2", now, lease)
		assert.ErrorIs(t, err, apperr.ErrConflict, "one replica per part")
		b, err := s.ClaimJobPart(ctx, sys, "evaluate", slot, "bordeaux", "r2", now, lease)
		require.NoError(t, err, "another part of the same slot")
		_, err = s.ClaimJobPart(ctx, sys, "evaluate", slot.Add(24*time.Hour), "poitiers", "r2", now, lease)
		require.NoError(t, err, "the same part of another slot")

		// r1 dies: once its lease has passed, r2 takes the part over.
		later := lease.Add(time.Second)
		taken, err := s.ClaimJobPart(ctx, sys, "evaluate", slot, "poitiers", "r2", later, later.Add(2*time.Minute))
		require.NoError(t, err)
		assert.Equal(t, "r2", taken.Replica)
		assert.Equal(t, 2, taken.Attempt)
		assert.ErrorIs(t, s.RenewJobPart(ctx, sys, a.ID, "r1", later.Add(time.Minute)), apperr.ErrConflict, "r1 lost it")
		_, err = s.FinishJobPart(ctx, sys, a.ID, "r1", nil, nil, later)
		assert.ErrorIs(t, err, apperr.ErrConflict)

		require.NoError(t, s.RenewJobPart(ctx, sys, taken.ID, "r2", later.Add(3*time.Minute)))
		done, err := s.FinishJobPart(ctx, sys, taken.ID, "r2", map[string]int{"schools": 400}, nil, later)
		require.NoError(t, err)
		assert.Equal(t, store.JobDone, done.Status)
		assert.Equal(t, 400, done.Counts["schools"])
		failed, err := s.FinishJobPart(ctx, sys, b.ID, "r2", nil, errors.New("policy set of academy bordeaux: compile"), later)
		require.NoError(t, err)
		assert.Equal(t, store.JobFailed, failed.Status)
		_, err = s.ClaimJobPart(ctx, sys, "evaluate", slot, "bordeaux", "r1", later.Add(time.Hour), later.Add(2*time.Hour))
		assert.ErrorIs(t, err, apperr.ErrConflict, "a failed part waits for the retry of its slot")

		parts, err := s.JobParts(ctx, sys, "evaluate", slot)
		require.NoError(t, err)
		require.Len(t, parts, 2)
		assert.Equal(t, "bordeaux", parts[0].Part)
		assert.Equal(t, "poitiers", parts[1].Part)

		n, err := s.ResetFailedJobParts(ctx, sys, "evaluate", slot)
		require.NoError(t, err)
		assert.Equal(t, int64(1), n)
		again, err := s.ClaimJobPart(ctx, sys, "evaluate", slot, "bordeaux", "r1", later, later.Add(time.Minute))
		require.NoError(t, err, "after the reset, the retry claims it anew")
		assert.Equal(t, 1, again.Attempt)

		_, err = s.ClaimJobPart(ctx, access.Academy(1), "evaluate", slot, "x", "r1", now, lease)
		assert.ErrorIs(t, err, apperr.ErrNotFound, "only the system runs jobs")

		p, err := s.Purge(ctx, sys, slot.Add(time.Hour), later)
		require.NoError(t, err)
		assert.Equal(t, int64(1), p.JobParts, "the finished part of the old slot; running ones stay")
	})
}
