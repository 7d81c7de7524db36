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

func result(uai, status string, at time.Time) store.Result {
	r := store.Result{UAI: uai, Status: status, PolicyVersion: "v1", EvaluatedAt: at, Report: []byte(`{"uai":"` + uai + `"}`),
		Checks: []store.CheckResult{{CheckID: "sts.divisions_present", Status: "pass", Severity: "blocker"}}}
	if status == "not_ready" {
		r.Blockers = 1
		r.Checks = append(r.Checks, store.CheckResult{CheckID: "siecle.groups_populated", Status: "fail", Severity: "blocker", Items: 12})
	}
	return r
}

func TestRunsAndResults(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		poitiers, bordeaux := twoAcademies(t, s)
		sup := access.Academy(poitiers.ID)
		day1 := time.Date(2026, 9, 10, 6, 0, 0, 0, time.UTC)

		run1, err := s.StartRun(ctx, sup, store.Run{AcademyID: poitiers.ID, Trigger: "schedule", RequestedBy: "system", PolicyVersion: "v1", StartedAt: day1})
		require.NoError(t, err)
		require.NoError(t, s.SaveResults(ctx, sup, run1.ID, []store.Result{result("0790029C", "not_ready", day1), result("0860001J", "ready", day1)}))
		latest, err := s.LatestResults(ctx, sup, poitiers.ID, time.Time{})
		require.NoError(t, err)
		assert.Empty(t, latest, "results of a running run are not final")
		done, err := s.FinishRun(ctx, sup, run1.ID, nil)
		require.NoError(t, err)
		assert.Equal(t, store.RunDone, done.Status)
		assert.Equal(t, 2, done.Schools)
		assert.Equal(t, 1, done.NotReady)
		assert.Equal(t, 1, done.Ready)
		assert.Error(t, s.SaveResults(ctx, sup, run1.ID, nil), "a finished run takes no more results")

		// A failed run leaves no final result.
		day2 := day1.Add(24 * time.Hour)
		run2, err := s.StartRun(ctx, sup, store.Run{AcademyID: poitiers.ID, Trigger: "schedule", RequestedBy: "system", PolicyVersion: "v1", StartedAt: day2})
		require.NoError(t, err)
		require.NoError(t, s.SaveResults(ctx, sup, run2.ID, []store.Result{result("0790029C", "ready", day2)}))
		failed, err := s.FinishRun(ctx, sup, run2.ID, errors.New("database went away"))
		require.NoError(t, err)
		assert.Equal(t, store.RunFailed, failed.Status)

		latest, err = s.LatestResults(ctx, sup, poitiers.ID, time.Time{})
		require.NoError(t, err)
		require.Len(t, latest, 2)
		assert.Equal(t, "0790029C", latest[0].UAI)
		assert.Equal(t, "not_ready", latest[0].Status, "the failed run's result is not final")

		res, err := s.SchoolResult(ctx, sup, "0790029C", time.Time{})
		require.NoError(t, err)
		assert.JSONEq(t, `{"uai":"0790029C"}`, string(res.Report))
		require.Len(t, res.Checks, 2)
		_, err = s.SchoolResult(ctx, sup, "0790029C", day1.Add(-time.Hour))
		assert.ErrorIs(t, err, apperr.ErrNotFound, "no report before the first run")

		checks, err := s.LatestCheckResults(ctx, sup, poitiers.ID, time.Time{})
		require.NoError(t, err)
		assert.Len(t, checks["0790029C"], 2)
		assert.Len(t, checks["0860001J"], 1)

		// Isolation.
		admin := access.Schools(poitiers.ID, "0860001J")
		latest, err = s.LatestResults(ctx, admin, poitiers.ID, time.Time{})
		require.NoError(t, err)
		require.Len(t, latest, 1)
		assert.Equal(t, "0860001J", latest[0].UAI)
		_, err = s.SchoolResult(ctx, admin, "0790029C", time.Time{})
		assert.ErrorIs(t, err, apperr.ErrNotFound)
		_, err = s.LatestResults(ctx, access.Academy(bordeaux.ID), poitiers.ID, time.Time{})
		assert.ErrorIs(t, err, apperr.ErrNotFound)
		_, err = s.RunByID(ctx, access.Academy(bordeaux.ID), run1.ID)
		assert.ErrorIs(t, err, apperr.ErrNotFound)
		_, err = s.StartRun(ctx, admin, store.Run{AcademyID: poitiers.ID, Trigger: "manual"})
		assert.ErrorIs(t, err, apperr.ErrForbidden, "a school admin cannot run the academy")
		_, err = s.StartRun(ctx, admin, store.Run{AcademyID: poitiers.ID, UAI: "0790029C", Trigger: "manual"})
		assert.ErrorIs(t, err, apperr.ErrNotFound)
		schoolRun, err := s.StartRun(ctx, admin, store.Run{AcademyID: poitiers.ID, UAI: "0860001J", Trigger: "import", RequestedBy: "alice", PolicyVersion: "v1"})
		require.NoError(t, err)
		assert.Error(t, s.SaveResults(ctx, admin, schoolRun.ID, []store.Result{result("0790029C", "ready", day2)}))

		runs, total, err := s.ListRuns(ctx, sup, poitiers.ID, store.RunFilter{AcademyOnly: true})
		require.NoError(t, err)
		assert.EqualValues(t, 2, total)
		assert.Equal(t, run2.ID, runs[0].ID, "newest first")
		assert.Positive(t, runs[1].Duration()+1)

		hist, err := s.SchoolHistory(ctx, sup, "0790029C", 10)
		require.NoError(t, err)
		assert.Len(t, hist, 1)
		_, err = s.SchoolHistory(ctx, admin, "0790029C", 10)
		assert.ErrorIs(t, err, apperr.ErrNotFound)
	})
}
