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

func TestCampaignCalendars(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		poitiers, bordeaux := twoAcademies(t, s)
		sup := access.Academy(poitiers.ID)
		by := store.Actor{UserID: 3, Login: "superviseur"}

		_, err := s.Campaign(ctx, sup, poitiers.ID, 2025)
		assert.ErrorIs(t, err, apperr.ErrNotFound)

		c25, err := s.CreateCampaign(ctx, sup, poitiers.ID, store.NewCampaign{SchoolYear: 2025, Start: campaign.NewDate(2025, time.September, 1)}, by)
		require.NoError(t, err)
		assert.Equal(t, 0, c25.CopiedFrom)
		assert.Len(t, c25.Calendar.Deadlines, 13)

		// Supervisors edit deadlines; a zero date removes one.
		d12 := campaign.NewDate(2025, time.September, 19)
		h := 5*time.Hour + 30*time.Minute
		c25, err = s.UpdateCalendar(ctx, sup, poitiers.ID, 2025, store.CalendarUpdate{HandoverTime: &h,
			Deadlines: map[campaign.Step]campaign.Date{12: d12, 2: {}}}, by)
		require.NoError(t, err)
		got, ok := c25.Calendar.Deadline(12)
		require.True(t, ok)
		assert.Equal(t, d12, got)
		_, ok = c25.Calendar.Deadline(2)
		assert.False(t, ok)
		assert.Equal(t, h, c25.Calendar.HandoverTime)
		assert.Equal(t, "superviseur", c25.UpdatedBy)

		_, err = s.UpdateCalendar(ctx, sup, poitiers.ID, 2025, store.CalendarUpdate{Deadlines: map[campaign.Step]campaign.Date{14: d12}}, by)
		assert.ErrorIs(t, err, apperr.ErrInvalid)
		_, err = s.UpdateCalendar(ctx, access.Schools(poitiers.ID, "0790029C"), poitiers.ID, 2025, store.CalendarUpdate{HandoverTime: &h}, by)
		assert.ErrorIs(t, err, apperr.ErrForbidden, "school admins read the calendar, supervisors edit it")
		_, err = s.UpdateCalendar(ctx, access.Academy(bordeaux.ID), poitiers.ID, 2025, store.CalendarUpdate{HandoverTime: &h}, by)
		assert.Error(t, err)
		_, err = s.Campaign(ctx, access.Academy(bordeaux.ID), poitiers.ID, 2025)
		assert.ErrorIs(t, err, apperr.ErrNotFound, "another academy's campaign")

		// A new campaign starts from the previous one's calendar.
		c26, err := s.CreateCampaign(ctx, sup, poitiers.ID, store.NewCampaign{SchoolYear: 2026, FromPrevious: true}, by)
		require.NoError(t, err)
		assert.Equal(t, 2025, c26.CopiedFrom)
		assert.Equal(t, "2026-09-01", c26.Calendar.Start.String())
		got, _ = c26.Calendar.Deadline(12)
		assert.Equal(t, "2026-09-19", got.String())
		_, ok = c26.Calendar.Deadline(2)
		assert.False(t, ok, "a removed deadline stays removed")
		assert.Equal(t, h, c26.Calendar.HandoverTime)
		_, err = s.CreateCampaign(ctx, sup, poitiers.ID, store.NewCampaign{SchoolYear: 2026}, by)
		assert.ErrorIs(t, err, apperr.ErrConflict)

		// EnsureCampaign: existing, or started from the previous year.
		same, err := s.EnsureCampaign(ctx, access.System(), poitiers.ID, 2026, store.SystemActor("schedule"))
		require.NoError(t, err)
		assert.Equal(t, c26.ID, same.ID)
		c27, err := s.EnsureCampaign(ctx, access.System(), poitiers.ID, 2027, store.SystemActor("schedule"))
		require.NoError(t, err)
		assert.Equal(t, 2026, c27.CopiedFrom)
		fresh, err := s.EnsureCampaign(ctx, access.System(), bordeaux.ID, 2026, store.SystemActor("schedule"))
		require.NoError(t, err)
		assert.Equal(t, 0, fresh.CopiedFrom)
		assert.Equal(t, campaign.DefaultCalendar(2026).Deadlines, fresh.Calendar.Deadlines)

		list, err := s.ListCampaigns(ctx, access.Schools(poitiers.ID, "0790029C"), poitiers.ID)
		require.NoError(t, err)
		require.Len(t, list, 3)
		assert.Equal(t, []int{2027, 2026, 2025}, []int{list[0].Calendar.SchoolYear, list[1].Calendar.SchoolYear, list[2].Calendar.SchoolYear})

		audit, _, err := s.ListAudit(ctx, sup, store.AuditFilter{TargetType: "campaign"})
		require.NoError(t, err)
		assert.Len(t, audit, 4, "create 2025, update 2025, create 2026, create 2027")
	})
}

func TestStepStatesAttestationsForecasts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		poitiers, bordeaux := twoAcademies(t, s)
		sup := access.Academy(poitiers.ID)
		admin := access.Schools(poitiers.ID, "0790029C")
		by := store.Actor{UserID: 9, Login: "ce.0790029c"}
		cal := campaign.DefaultCalendar(2026)

		// The school admin attests step 8; another academy cannot.
		a, err := s.CreateAttestation(ctx, admin, campaign.Attestation{UAI: "0790029C", SchoolYear: 2026, Step: 8, By: by.Login,
			Comment: "Export fait le 25 août", At: time.Date(2026, 8, 25, 10, 0, 0, 0, time.UTC)}, by)
		require.NoError(t, err)
		assert.Equal(t, poitiers.ID, a.AcademyID)
		_, err = s.CreateAttestation(ctx, admin, campaign.Attestation{UAI: "0860001J", SchoolYear: 2026, Step: 8, By: by.Login}, by)
		assert.ErrorIs(t, err, apperr.ErrNotFound, "not one of the admin's schools")
		_, err = s.CreateAttestation(ctx, access.Academy(bordeaux.ID), campaign.Attestation{UAI: "0790029C", SchoolYear: 2026, Step: 8, By: "x"}, by)
		assert.ErrorIs(t, err, apperr.ErrNotFound)
		a12, err := s.CreateAttestation(ctx, admin, campaign.Attestation{UAI: "0790029C", SchoolYear: 2026, Step: 12, By: by.Login,
			At: time.Date(2026, 9, 14, 9, 0, 0, 0, time.UTC)}, by)
		require.NoError(t, err)

		active, err := s.ActiveAttestations(ctx, sup, poitiers.ID, 2026)
		require.NoError(t, err)
		require.Len(t, active["0790029C"], 2)

		// Day 1: progress computed and saved; the step 12 attestation is contradicted.
		day1 := time.Date(2026, 9, 15, 3, 30, 0, 0, time.UTC)
		obs := []campaign.Observation{
			{Step: 5, State: campaign.StateDone, Evidence: "12 divisions", At: day1.Add(-time.Hour)},
			{Step: 10, State: campaign.StateDone, Evidence: "groupes", At: day1.Add(-time.Hour)},
			{Step: 11, State: campaign.StateDone, Evidence: "services", At: day1.Add(-time.Hour)},
			{Step: 12, State: campaign.StateInProgress, Evidence: "3 groupes vides", At: day1.Add(-time.Hour)},
		}
		p := campaign.Progress(campaign.ProgressInput{Now: day1, Calendar: cal, Observations: obs, Attestations: active["0790029C"]})
		require.Len(t, p.Expire, 1)
		n, err := s.SaveProgress(ctx, access.System(), poitiers.ID, 2026, []store.SchoolProgress{{UAI: "0790029C", Steps: p.Steps, Expire: p.Expire}}, day1)
		require.NoError(t, err)
		assert.Equal(t, 13, n, "every step is new")
		_, err = s.SaveProgress(ctx, access.Academy(bordeaux.ID), poitiers.ID, 2026, []store.SchoolProgress{{UAI: "0790029C", Steps: p.Steps}}, day1)
		assert.ErrorIs(t, err, apperr.ErrNotFound)

		expired, err := s.AttestationByID(ctx, admin, a12.ID)
		require.NoError(t, err)
		assert.False(t, expired.Active())
		assert.Contains(t, expired.ExpiredReason, "3 groupes vides")
		active, err = s.ActiveAttestations(ctx, sup, poitiers.ID, 2026)
		require.NoError(t, err)
		require.Len(t, active["0790029C"], 1)

		steps, err := s.SchoolSteps(ctx, admin, "0790029C", 2026)
		require.NoError(t, err)
		require.Len(t, steps, 13)
		assert.Equal(t, campaign.StateDone, steps[4].Progress)
		assert.Equal(t, "12 divisions", steps[4].Evidence)
		assert.Equal(t, campaign.EvidenceAttestation, steps[7].Source)
		assert.Equal(t, a.ID, steps[7].AttestationID)
		assert.Equal(t, campaign.StateBlocked, steps[11].State)
		assert.Equal(t, campaign.Step(6), steps[11].BlockedBy, "step 12 waits for 9, which waits for 7, which waits for 6")
		assert.Equal(t, cal.Deadlines[12], steps[11].Deadline)
		assert.True(t, steps[0].Overdue)
		assert.True(t, steps[0].Since.Equal(day1))
		_, err = s.SchoolSteps(ctx, admin, "0860001J", 2026)
		assert.ErrorIs(t, err, apperr.ErrNotFound, "404 outside the scope")
		none, err := s.SchoolSteps(ctx, sup, "0860001J", 2026)
		require.NoError(t, err)
		assert.Empty(t, none, "a school not tracked yet")

		// Day 2: steps 6, 7 and 9 attested; step 12 moves from blocked to late.
		day2 := day1.Add(24 * time.Hour)
		for _, st := range []campaign.Step{6, 7, 9} {
			_, err := s.CreateAttestation(ctx, admin, campaign.Attestation{UAI: "0790029C", SchoolYear: 2026, Step: st, By: by.Login, At: day2.Add(-time.Hour)}, by)
			require.NoError(t, err)
		}
		active, err = s.ActiveAttestations(ctx, sup, poitiers.ID, 2026)
		require.NoError(t, err)
		p = campaign.Progress(campaign.ProgressInput{Now: day2, Calendar: cal, Observations: obs, Attestations: active["0790029C"]})
		n, err = s.SaveProgress(ctx, access.System(), poitiers.ID, 2026, []store.SchoolProgress{{UAI: "0790029C", Steps: p.Steps}}, day2)
		require.NoError(t, err)
		assert.Equal(t, 5, n, "steps 6, 7, 9 attested, 12 late, 13 blocked by 12 instead of 6")
		steps, err = s.SchoolSteps(ctx, sup, "0790029C", 2026)
		require.NoError(t, err)
		assert.Equal(t, campaign.StateLate, steps[11].State)
		assert.True(t, steps[11].Since.Equal(day2))
		assert.True(t, steps[4].Since.Equal(day1), "an unchanged state keeps its date")

		// The state at any date stays queryable.
		at1, err := s.SchoolStepsAt(ctx, admin, "0790029C", 2026, day1.Add(time.Hour))
		require.NoError(t, err)
		require.Len(t, at1, 13)
		assert.Equal(t, campaign.StateBlocked, at1[11].State)
		at2, err := s.SchoolStepsAt(ctx, admin, "0790029C", 2026, day2)
		require.NoError(t, err)
		assert.Equal(t, campaign.StateLate, at2[11].State)
		before, err := s.SchoolStepsAt(ctx, admin, "0790029C", 2026, day1.Add(-time.Hour))
		require.NoError(t, err)
		assert.Empty(t, before)

		list, total, err := s.AcademySteps(ctx, sup, poitiers.ID, 2026, store.StepFilter{State: campaign.StateLate})
		require.NoError(t, err)
		assert.EqualValues(t, len(list), total)
		assert.NotEmpty(t, list)
		for _, st := range list {
			assert.Equal(t, campaign.StateLate, st.State)
		}
		counts, err := s.StepCounts(ctx, sup, poitiers.ID, 2026)
		require.NoError(t, err)
		assert.Equal(t, 1, counts[12][campaign.StateLate])
		other, err := s.StepCounts(ctx, access.Schools(poitiers.ID, "0860001J"), poitiers.ID, 2026)
		require.NoError(t, err)
		assert.Empty(t, other)

		// Withdrawal.
		w, err := s.WithdrawAttestation(ctx, admin, a.ID, by)
		require.NoError(t, err)
		assert.Equal(t, "Retirée par ce.0790029c", w.ExpiredReason)
		_, err = s.WithdrawAttestation(ctx, admin, a.ID, by)
		assert.ErrorIs(t, err, apperr.ErrConflict)
		all, err := s.SchoolAttestations(ctx, admin, "0790029C", 2026)
		require.NoError(t, err)
		assert.Len(t, all, 5)

		// Forecasts replace the previous ones.
		target := time.Date(2026, 9, 18, 4, 0, 0, 0, time.UTC)
		fs := []campaign.Forecast{
			campaign.ForecastSchool(campaign.ForecastInput{UAI: "0790029C", Status: "not_ready", Target: target, NextHandover: target.Add(-48 * time.Hour),
				Items: []campaign.ForecastItem{{Check: "siecle.groups_populated", Step: 12, Severity: "blocker", Title: "Groupes", Stage: "links",
					ReachesGAR: target.Add(48 * time.Hour)}}}),
			campaign.ForecastSchool(campaign.ForecastInput{UAI: "0860001J", Status: "ready", Target: target}),
		}
		require.NoError(t, s.SaveForecasts(ctx, access.System(), poitiers.ID, fs, day2))
		require.NoError(t, s.SaveForecasts(ctx, access.System(), poitiers.ID, fs, day2))
		got, err := s.Forecasts(ctx, sup, poitiers.ID, store.ForecastFilter{})
		require.NoError(t, err)
		require.Len(t, got, 2)
		assert.Equal(t, campaign.ForecastWillFail, got[0].Outcome)
		require.Len(t, got[0].Late, 1)
		assert.True(t, got[0].EarliestGreen.Equal(target.Add(48*time.Hour)))
		assert.Equal(t, fs[0].Reason, got[0].Reason)
		assert.True(t, got[0].ComputedAt.Equal(day2))
		failing, err := s.Forecasts(ctx, sup, poitiers.ID, store.ForecastFilter{Outcome: campaign.ForecastWillFail})
		require.NoError(t, err)
		assert.Len(t, failing, 1)
		mine, err := s.Forecasts(ctx, access.Schools(poitiers.ID, "0860001J"), poitiers.ID, store.ForecastFilter{})
		require.NoError(t, err)
		require.Len(t, mine, 1)
		assert.Equal(t, campaign.ForecastGreen, mine[0].Outcome)
		_, err = s.ForecastOf(ctx, access.Schools(poitiers.ID, "0860001J"), "0790029C")
		assert.ErrorIs(t, err, apperr.ErrNotFound)
		_, err = s.Forecasts(ctx, access.Academy(bordeaux.ID), poitiers.ID, store.ForecastFilter{})
		assert.ErrorIs(t, err, apperr.ErrNotFound)
	})
}
