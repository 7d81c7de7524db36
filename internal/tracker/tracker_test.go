package tracker_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigie-edu/vigie/internal/access"
	"github.com/vigie-edu/vigie/internal/apperr"
	"github.com/vigie-edu/vigie/internal/campaign"
	"github.com/vigie-edu/vigie/internal/evaluator"
	"github.com/vigie-edu/vigie/internal/fixture"
	"github.com/vigie-edu/vigie/internal/importer/importertest"
	"github.com/vigie-edu/vigie/internal/policy"
	"github.com/vigie-edu/vigie/internal/readiness"
	"github.com/vigie-edu/vigie/internal/store"
	"github.com/vigie-edu/vigie/internal/store/storetest"
	"github.com/vigie-edu/vigie/internal/tracker"
	"github.com/vigie-edu/vigie/policies"
)

// The schools of the test academy, in generation order.
var defects = []fixture.Defects{
	{DivisionHeadcountOff: 1}, // clean lycée but for a warning of step 5: every step shows done
	{EmptyGroups: 2},          // links missing for two groups: step 12 not done, red until the links travel
	// SIECLE-BEE is right, the ENT is not; STS-Web shows the divisions (step 5) but one lacks
	// its professeur principal (an error of step 5): the step is to redo.
	{ENTEmptyGroups: 2, MissingPP: 1},
	{NoLinks: true, NoGroups: true}, // a collège without groups
}

type seeded struct {
	academy campaign.Academy
	uais    []string // in generation order
	now     time.Time
}

// seed writes a generated academy and imports it the way users do (importer), then evaluates it.
func seed(t *testing.T, st *store.Store, sets evaluator.PolicySource) seeded {
	t.Helper()
	ctx := context.Background()
	now := fixture.DefaultNow
	academy, res := importertest.Academy(t, st, fixture.AcademySpec{Seed: 7, Now: now, Schools: len(defects), PupilScale: 0.2,
		FeedChunk: 2000, Customize: func(i int, s *fixture.SchoolSpec) {
			s.Defects = defects[i]
			s.Kind = campaign.KindLycee
			if i == 3 {
				s.Kind = campaign.KindCollege
			}
		}})
	uais := make([]string, 0, len(res.Schools))
	for _, s := range res.Schools {
		uais = append(uais, s.UAI)
	}
	ev := evaluator.New(st, sets, storetest.Logger(t), evaluator.Options{Now: func() time.Time { return now }})
	_, err := ev.RunAcademy(ctx, access.Academy(academy.ID), academy, "test", "test")
	require.NoError(t, err)
	return seeded{academy: academy, uais: uais, now: now}
}

func rules(t *testing.T) (*policy.StepRules, evaluator.PolicySource) {
	t.Helper()
	files, err := policy.LoadFS(policies.FS, policies.CampaignDir)
	require.NoError(t, err)
	r, err := policy.CompileStepRules(context.Background(), files)
	require.NoError(t, err)
	national, err := policy.LoadFS(policies.FS, policies.ReadinessDir)
	require.NoError(t, err)
	return r, evaluator.NewNationalSource(national)
}

func stepsByNumber(steps []store.SchoolStep) map[campaign.Step]store.SchoolStep {
	out := map[campaign.Step]store.SchoolStep{}
	for _, s := range steps {
		out[s.Step] = s
	}
	return out
}

func TestRefreshAcademy(t *testing.T) {
	r, sets := rules(t)
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		s := seed(t, st, sets)
		tr := tracker.New(st, r, sets, readiness.DefaultTiming(), storetest.Logger(t))
		scope := access.Academy(s.academy.ID)

		c, err := tr.RefreshAcademy(ctx, scope, s.academy, s.now)
		require.NoError(t, err)
		assert.Equal(t, len(defects), c.Schools)
		assert.Equal(t, len(defects)*13, c.Changed, "every step is new")
		assert.Equal(t, 0, c.Unevalued)
		camp, err := st.Campaign(ctx, scope, s.academy.ID, 2026)
		require.NoError(t, err, "the campaign was started for the academy")

		clean, err := st.SchoolSteps(ctx, scope, s.uais[0], 2026)
		require.NoError(t, err)
		require.Len(t, clean, 13)
		for _, st := range clean {
			if st.Step == 2 || st.Step == 3 || st.Step == 4 || st.Step == 8 || st.Step == 9 {
				continue // deduced or attested steps, checked below
			}
			assert.Equal(t, campaign.StateDone, st.State, "clean school, step %d: %s", st.Step, st.Evidence)
			assert.Equal(t, campaign.EvidenceFact, st.Source, "step %d", st.Step)
		}
		byNum := stepsByNumber(clean)
		assert.Contains(t, byNum[13].Evidence, "classes et groupes peuplés")
		assert.Equal(t, campaign.StateDone, byNum[8].State, "deduced from step 11: %s", byNum[8].Evidence)
		assert.Equal(t, campaign.StateDone, byNum[9].State, "deduced from the links file: %s", byNum[9].Evidence)

		// A failing error check of a step the files show done reopens it, named; a warning
		// (the clean school's head count) does not.
		ent := stepsByNumber(must(st.SchoolSteps(ctx, scope, s.uais[2], 2026)))
		assert.NotEqual(t, campaign.StateDone, ent[5].State)
		assert.Contains(t, []campaign.StepState{campaign.StateInProgress, campaign.StateLate}, ent[5].State)
		assert.Equal(t, campaign.EvidenceFact, ent[5].Source)
		assert.Contains(t, ent[5].Evidence, "1 contrôle de cette étape échoue : « Professeur principal désigné dans chaque division »")
		assert.NotContains(t, ent[5].Evidence, "Effectifs des divisions")
		assert.Equal(t, campaign.StateDone, byNum[5].State, "a warning does not reopen a step: %s", byNum[5].Evidence)

		groups := stepsByNumber(must(st.SchoolSteps(ctx, scope, s.uais[1], 2026)))
		assert.NotEqual(t, campaign.StateDone, groups[12].State)
		assert.Equal(t, campaign.EvidenceFact, groups[12].Source)
		assert.Regexp(t, `\b2 groupes (encore )?vides dans SIECLE-BEE`, groups[12].Evidence)
		assert.True(t, groups[12].Overdue, "due %s", camp.Calendar.Deadlines[12])
		assert.Equal(t, campaign.StateLate, groups[12].State)
		assert.Equal(t, campaign.StateBlocked, groups[13].State)
		assert.Equal(t, campaign.Step(12), groups[13].BlockedBy)

		// Forecasts: the clean school is green; the school whose links are missing will still
		// be red at the next handover it can reach, even if it acts today.
		fs, err := st.Forecasts(ctx, scope, s.academy.ID, store.ForecastFilter{})
		require.NoError(t, err)
		require.Len(t, fs, len(defects))
		byUAI := map[string]store.SchoolForecast{}
		for _, f := range fs {
			byUAI[f.UAI] = f
		}
		assert.Equal(t, campaign.ForecastGreen, byUAI[s.uais[0]].Outcome, byUAI[s.uais[0]].Reason)
		links := byUAI[s.uais[1]]
		assert.Equal(t, campaign.ForecastWillFail, links.Outcome, links.Reason)
		require.NotEmpty(t, links.Late)
		timing := readiness.DefaultTiming()
		assert.True(t, links.Target.Equal(timing.DeadlineFor("ent", s.now).ReachesGAR), "target %s", links.Target)
		assert.True(t, links.EarliestGreen.Equal(timing.DeadlineFor("links", s.now).ReachesGAR),
			"a links fix made now reaches the GAR when the to-do list says: %s", links.EarliestGreen)
		// The to-do list of the same school gives the same time for the same problem.
		res, err := st.SchoolResult(ctx, scope, s.uais[1], time.Time{})
		require.NoError(t, err)
		assert.Contains(t, string(res.Report), links.EarliestGreen.In(timing.Location).Format(time.RFC3339))
		willFail := 0
		for _, f := range fs {
			willFail += boolInt(f.Outcome == campaign.ForecastWillFail)
			t.Logf("forecast %s: %s (%s)", f.UAI, f.Outcome, f.Reason)
		}
		assert.Equal(t, willFail, c.WillFail)

		// A second refresh with nothing new changes nothing.
		c2, err := tr.RefreshAcademy(ctx, scope, s.academy, s.now.Add(time.Hour))
		require.NoError(t, err)
		assert.Equal(t, 0, c2.Changed)

		// A school admin attested step 12 before the latest files were exported: the files,
		// newer, contradict it.
		admin := access.Schools(s.academy.ID, s.uais[1])
		att, steps, err := tr.Attest(ctx, admin, s.academy, campaign.Attestation{UAI: s.uais[1], Step: 12, Comment: "liens importés"},
			store.Actor{UserID: 5, Login: "ce.admin"}, s.now.AddDate(0, 0, -20))
		require.NoError(t, err)
		assert.Equal(t, "ce.admin", att.By)
		assert.Equal(t, campaign.EvidenceFact, stepsByNumber(steps)[12].Source, "the files are newer than the attestation")
		got, err := st.AttestationByID(ctx, admin, att.ID)
		require.NoError(t, err)
		assert.False(t, got.Active())
		assert.Contains(t, got.ExpiredReason, "Contredite par les fichiers")

		// An attestation of a step the files cannot show holds.
		att2, steps, err := tr.Attest(ctx, admin, s.academy, campaign.Attestation{UAI: s.uais[1], Step: 3}, store.Actor{Login: "ce.admin"}, s.now.Add(2*time.Hour))
		require.NoError(t, err)
		three := stepsByNumber(steps)[3]
		if three.Source == campaign.EvidenceAttestation {
			assert.Equal(t, att2.ID, three.AttestationID)
		} else {
			assert.Equal(t, campaign.StateDone, three.State, "the files show it already")
		}
		_, _, err = tr.Attest(ctx, admin, s.academy, campaign.Attestation{UAI: s.uais[0], Step: 3}, store.Actor{Login: "ce.admin"}, s.now)
		assert.ErrorIs(t, err, apperr.ErrNotFound, "not the admin's school")
		// The academy's steps are not the school's to attest.
		for _, step := range []campaign.Step{2, 13} {
			_, _, err = tr.Attest(ctx, admin, s.academy, campaign.Attestation{UAI: s.uais[1], Step: step}, store.Actor{Login: "ce.admin"}, s.now)
			assert.ErrorIs(t, err, apperr.ErrInvalid, "step %d", step)
		}

		// Year over year: this year's states, and last year's (none tracked) at the same date.
		y, err := tr.YearOverYear(ctx, admin, s.uais[1], s.now.Add(3*time.Hour))
		require.NoError(t, err)
		assert.Equal(t, 2026, y.SchoolYear)
		assert.Equal(t, 2025, y.LastSchoolYear)
		assert.Len(t, y.Steps, 13)
		assert.Empty(t, y.LastYearSteps)
		assert.Equal(t, "not_ready", y.Status)
		assert.Equal(t, "", y.LastYearStatus)
	})
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
