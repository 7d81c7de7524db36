package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigie-edu/vigie/internal/access"
	"github.com/vigie-edu/vigie/internal/apperr"
	"github.com/vigie-edu/vigie/internal/store"
	"github.com/vigie-edu/vigie/internal/store/storetest"
)

func TestPurgeHistory(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		poitiers, _ := twoAcademies(t, s)
		scope := access.Academy(poitiers.ID)
		day := time.Date(2026, 9, 1, 5, 30, 0, 0, time.UTC)

		// Three daily runs; 0860001J is evaluated on the first day only.
		for d := range 3 {
			at := day.AddDate(0, 0, d)
			run, err := s.StartRun(ctx, scope, store.Run{AcademyID: poitiers.ID, Trigger: "test", StartedAt: at})
			require.NoError(t, err)
			results := []store.Result{{UAI: "0790029C", EvaluatedAt: at, Status: "ready", Report: []byte(`{}`),
				Checks: []store.CheckResult{{CheckID: "sts.divisions_present", Status: "pass", Severity: "blocker"}}}}
			if d == 0 {
				results = append(results, store.Result{UAI: "0860001J", EvaluatedAt: at, Status: "not_ready", Report: []byte(`{}`)})
			}
			require.NoError(t, s.SaveResults(ctx, scope, run.ID, results))
			_, err = s.FinishRunAt(ctx, scope, run.ID, at, nil)
			require.NoError(t, err)
		}
		old, _, err := s.SaveImport(ctx, scope, store.Import{AcademyID: poitiers.ID, UAI: "0790029C", Kind: "sts", FileName: "a.xml",
			SHA256: "a", ImportedAt: day, ImportedBy: "t", Outcome: store.ImportAccepted}, blob("<old/>"), nil)
		require.NoError(t, err)
		recent, _, err := s.SaveImport(ctx, scope, store.Import{AcademyID: poitiers.ID, UAI: "0790029C", Kind: "sts", FileName: "b.xml",
			SHA256: "b", ImportedAt: day.AddDate(0, 0, 2), ImportedBy: "t", Outcome: store.ImportAccepted}, blob("<new/>"), nil)
		require.NoError(t, err)

		_, err = s.PurgeHistory(ctx, scope, day, day)
		assert.ErrorIs(t, err, apperr.ErrNotFound, "only the system purges")

		p, err := s.PurgeHistory(ctx, access.System(), day.AddDate(0, 0, 1), day.AddDate(0, 0, 2))
		require.NoError(t, err)
		assert.Equal(t, store.HistoryPurged{ImportOriginals: 1, Results: 2}, p, "two old results of 0790029C; 0860001J's only result stays")

		hist, err := s.SchoolHistory(ctx, scope, "0790029C", 10)
		require.NoError(t, err)
		require.Len(t, hist, 1)
		assert.Equal(t, day.AddDate(0, 0, 2), hist[0].EvaluatedAt)
		other, err := s.SchoolResult(ctx, scope, "0860001J", time.Time{})
		require.NoError(t, err)
		assert.Equal(t, "not_ready", other.Status, "a school's latest result is kept however old")

		_, _, err = s.ImportOriginal(ctx, scope, old.ID)
		assert.Error(t, err, "the old original is gone")
		_, err = s.ImportByID(ctx, scope, old.ID)
		assert.NoError(t, err, "its record stays")
		data, _, err := s.ImportOriginal(ctx, scope, recent.ID)
		require.NoError(t, err)
		assert.Equal(t, "<new/>", string(data))

		p, err = s.PurgeHistory(ctx, access.System(), time.Time{}, time.Time{})
		require.NoError(t, err)
		assert.Zero(t, p, "zero times keep everything")
	})
}
