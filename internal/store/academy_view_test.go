package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigie-edu/vigie/internal/access"
	"github.com/vigie-edu/vigie/internal/apperr"
	"github.com/vigie-edu/vigie/internal/campaign"
	"github.com/vigie-edu/vigie/internal/store"
	"github.com/vigie-edu/vigie/internal/store/storetest"
)

// academyRun stores a finished academy run whose results have the given statuses.
func academyRun(t *testing.T, s *store.Store, academyID int64, at time.Time, statuses map[string]string) store.Run {
	t.Helper()
	ctx := context.Background()
	sc := access.Academy(academyID)
	run, err := s.StartRun(ctx, sc, store.Run{AcademyID: academyID, Trigger: "schedule", RequestedBy: "system", PolicyVersion: "v1", StartedAt: at})
	require.NoError(t, err)
	var rs []store.Result
	for uai, st := range statuses {
		rs = append(rs, result(uai, st, at.Add(time.Minute)))
	}
	require.NoError(t, s.SaveResults(ctx, sc, run.ID, rs))
	run, err = s.FinishRun(ctx, sc, run.ID, nil)
	require.NoError(t, err)
	return run
}

func TestSchoolStatusesSummaryAndTrend(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		poitiers, bordeaux := twoAcademies(t, s)
		_, err := s.UpsertSchools(ctx, access.System(), poitiers.ID, []campaign.School{school("0170001J", "Lycée Fromentin", campaign.KindLycee)})
		require.NoError(t, err)
		sup := access.Academy(poitiers.ID)
		day1 := time.Date(2026, 9, 10, 5, 0, 0, 0, time.UTC)
		day2 := day1.Add(24 * time.Hour)

		v0, err := s.AcademyDataVersion(ctx, sup, poitiers.ID)
		require.NoError(t, err)
		academyRun(t, s, poitiers.ID, day1, map[string]string{"0790029C": "ready", "0860001J": "not_ready"})
		v1, err := s.AcademyDataVersion(ctx, sup, poitiers.ID)
		require.NoError(t, err)
		assert.NotEqual(t, v0, v1, "a finished run changes the version")
		v1again, err := s.AcademyDataVersion(ctx, sup, poitiers.ID)
		require.NoError(t, err)
		assert.Equal(t, v1, v1again)
		_, err = s.AcademyDataVersion(ctx, access.Academy(bordeaux.ID), poitiers.ID)
		assert.ErrorIs(t, err, apperr.ErrNotFound)
		academyRun(t, s, poitiers.ID, day1.Add(time.Hour), map[string]string{"0790029C": "ready", "0860001J": "not_ready"})
		academyRun(t, s, poitiers.ID, day2, map[string]string{"0790029C": "not_ready", "0860001J": "not_ready"})

		list, total, err := s.ListSchoolStatuses(ctx, sup, poitiers.ID, store.SchoolStatusFilter{Sort: "status"})
		require.NoError(t, err)
		assert.EqualValues(t, 3, total)
		require.Len(t, list, 3)
		assert.Equal(t, []string{"0790029C", "0860001J", "0170001J"}, []string{list[0].UAI, list[1].UAI, list[2].UAI}, "not ready first, never evaluated last")
		assert.Equal(t, "not_ready", list[0].Status)
		assert.Equal(t, 1, list[0].Blockers)
		assert.Empty(t, list[2].Status)

		for _, tt := range []struct {
			name string
			f    store.SchoolStatusFilter
			want []string
		}{
			{"status none", store.SchoolStatusFilter{Status: store.StatusNone}, []string{"0170001J"}},
			{"failing check", store.SchoolStatusFilter{Check: "siecle.groups_populated"}, []string{"0790029C", "0860001J"}},
			{"passing check is not listed", store.SchoolStatusFilter{Check: "sts.divisions_present"}, nil},
			{"departement", store.SchoolStatusFilter{SchoolFilter: store.SchoolFilter{Departement: "17"}}, []string{"0170001J"}},
			{"kind", store.SchoolStatusFilter{SchoolFilter: store.SchoolFilter{Kind: campaign.KindCollege}}, []string{"0860001J"}},
			{"page 2 by name desc", store.SchoolStatusFilter{Sort: "-name", SchoolFilter: store.SchoolFilter{Limit: 2, Offset: 2}}, []string{"0860001J"}},
		} {
			t.Run(tt.name, func(t *testing.T) {
				got, _, err := s.ListSchoolStatuses(ctx, sup, poitiers.ID, tt.f)
				require.NoError(t, err)
				var uais []string
				for _, g := range got {
					uais = append(uais, g.UAI)
				}
				assert.Equal(t, tt.want, uais)
			})
		}
		_, _, err = s.ListSchoolStatuses(ctx, sup, poitiers.ID, store.SchoolStatusFilter{Sort: "drop table"})
		assert.ErrorIs(t, err, apperr.ErrInvalid)
		_, _, err = s.ListSchoolStatuses(ctx, access.Academy(bordeaux.ID), poitiers.ID, store.SchoolStatusFilter{})
		assert.ErrorIs(t, err, apperr.ErrNotFound)
		mine, total, err := s.ListSchoolStatuses(ctx, access.Schools(poitiers.ID, "0860001J"), poitiers.ID, store.SchoolStatusFilter{})
		require.NoError(t, err)
		assert.EqualValues(t, 1, total)
		assert.Equal(t, "0860001J", mine[0].UAI)

		sum, err := s.AcademySummary(ctx, sup, poitiers.ID)
		require.NoError(t, err)
		assert.Equal(t, 3, sum.Schools)
		assert.Equal(t, map[string]int{"ready": 0, "at_risk": 0, "not_ready": 2, "none": 1}, sum.ByStatus)
		require.Len(t, sum.ByDepartement, 3)
		assert.Equal(t, "17", sum.ByDepartement[0].Departement)
		require.Len(t, sum.ByCheck, 2)
		assert.Equal(t, "siecle.groups_populated", sum.ByCheck[0].CheckID)
		assert.Equal(t, map[string]int{"fail": 2}, sum.ByCheck[0].ByStatus)
		require.NotNil(t, sum.LatestRun)
		require.Len(t, sum.TurnedRed, 1)
		assert.Equal(t, store.TurnedRed{UAI: "0790029C", Name: "Lycée Jean Macé", Departement: "79", Previous: "ready", EvaluatedAt: day2.Add(time.Minute)}, sum.TurnedRed[0])

		adminSum, err := s.AcademySummary(ctx, access.Schools(poitiers.ID, "0860001J"), poitiers.ID)
		require.NoError(t, err)
		assert.Equal(t, 1, adminSum.Schools)
		assert.Empty(t, adminSum.TurnedRed)
		assert.Equal(t, map[string]int{"fail": 1}, adminSum.ByCheck[0].ByStatus)
		_, err = s.AcademySummary(ctx, access.Academy(bordeaux.ID), poitiers.ID)
		assert.ErrorIs(t, err, apperr.ErrNotFound)

		trend, err := s.AcademyTrend(ctx, sup, poitiers.ID, time.Time{})
		require.NoError(t, err)
		require.Len(t, trend, 2, "one point per day")
		assert.Equal(t, "2026-09-10", trend[0].Day)
		assert.Equal(t, day1.Add(time.Hour), trend[0].Run.StartedAt, "the day's last run")
		assert.Equal(t, 2, trend[1].NotReady)
	})
}
