package evaluator_test

import (
	"context"
	"encoding/json"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigie-edu/vigie/internal/access"
	"github.com/vigie-edu/vigie/internal/campaign"
	"github.com/vigie-edu/vigie/internal/evaluator"
	"github.com/vigie-edu/vigie/internal/fixture"
	"github.com/vigie-edu/vigie/internal/importer/importertest"
	"github.com/vigie-edu/vigie/internal/policy"
	"github.com/vigie-edu/vigie/internal/readiness"
	"github.com/vigie-edu/vigie/internal/store"
	"github.com/vigie-edu/vigie/internal/store/storetest"
	"github.com/vigie-edu/vigie/policies"
)

// academyDefects gives every school of a small academy a different set of defects, so that the
// whole chain (files -> importer -> store -> evaluator -> reports) meets each of them.
var academyDefects = []fixture.Defects{
	{},
	{MissingPP: 2, EmptyGroups: 3, PupilsAbsentFromLinks: 400},
	{GroupsNotExported: 2, DivisionsNotExported: 1, DuplicateINE: 1, MissingINE: 2},
	{ENTStructureMissing: true, NoLinks: true},
	{ENTEmptyGroups: 2, ENTDivisionsWithoutPP: 1, CarriedOverGroups: 2, LinksBeforeSTS: true},
	{StaleSIECLE: true, PupilsWithoutDivision: 1, PupilsInSeveralDivisions: 1, DuplicateIdentity: 1},
	{NoSTS: true},
	{DivisionsWithoutService: 1, ServicesUnknownTeacher: 1, TeachersWithoutFunction: 1, GroupsOrphan: 1, GroupHeadcountOff: 1},
}

type seeded struct {
	academy campaign.Academy
	truth   map[string]fixture.Truth
	now     time.Time
}

// seedAcademy writes a small generated academy and imports it the way users would.
func seedAcademy(t *testing.T, st *store.Store) seeded {
	t.Helper()
	now := fixture.DefaultNow
	academy, res := importertest.Academy(t, st, fixture.AcademySpec{Seed: 42, Now: now, Schools: len(academyDefects),
		PupilScale: 0.3, FeedChunk: 2000, Customize: func(i int, s *fixture.SchoolSpec) {
			s.Defects = academyDefects[i]
			if i%3 == 0 {
				s.Kind = campaign.KindCollege
			} else {
				s.Kind = campaign.KindLycee
			}
		}})
	truth := map[string]fixture.Truth{}
	for _, s := range res.Schools {
		truth[s.UAI] = s.Truth
	}
	return seeded{academy: academy, truth: truth, now: now}
}

func national(t *testing.T) *evaluator.NationalSource {
	t.Helper()
	files, err := policy.LoadFS(policies.FS, policies.ReadinessDir)
	require.NoError(t, err)
	return evaluator.NewNationalSource(files)
}

func TestImportAndEvaluateGeneratedAcademy(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		s := seedAcademy(t, st)
		var seen []evaluator.Observation
		ev := evaluator.New(st, national(t), storetest.Logger(t), evaluator.Options{Now: func() time.Time { return s.now },
			Observe: func(o evaluator.Observation) { seen = append(seen, o) }})
		run, err := ev.RunAcademy(ctx, access.Academy(s.academy.ID), s.academy, "manual", "test")
		require.NoError(t, err)
		require.Len(t, seen, 1)
		assert.Equal(t, s.academy.Code, seen[0].Academy.Code)
		assert.Equal(t, "", seen[0].UAI)
		assert.Equal(t, run.Schools, seen[0].Schools)
		assert.Positive(t, seen[0].Elapsed)
		assert.NoError(t, seen[0].Err)
		assert.Equal(t, store.RunDone, run.Status)
		assert.Equal(t, len(academyDefects), run.Schools)
		assert.Equal(t, run.Schools, run.Ready+run.AtRisk+run.NotReady)

		for uai, want := range s.truth {
			res, err := st.SchoolResult(ctx, access.Academy(s.academy.ID), uai, time.Time{})
			require.NoError(t, err, uai)
			var rep readiness.Report
			require.NoError(t, json.Unmarshal(res.Report, &rep))
			assert.Equal(t, want.Status, string(rep.Status), "status of %s", uai)
			for id, wc := range want.Checks {
				got, ok := rep.Check(id)
				if !assert.True(t, ok, "%s: check %s missing", uai, id) {
					continue
				}
				assert.Equal(t, string(wc.Status), string(got.Status), "%s %s (%s)", uai, id, got.Reason)
				if wc.Status == fixture.StatusFail {
					codes := make([]string, 0, len(got.Items))
					for _, it := range got.Items {
						codes = append(codes, it.Code)
					}
					sort.Strings(codes)
					assert.Equal(t, wc.Items, codes, "%s %s items", uai, id)
				}
			}
		}

		// A school admin's run covers their school only; another academy cannot run this one.
		admin := access.Schools(s.academy.ID, firstUAI(s.truth))
		one, err := ev.RunSchool(ctx, admin, s.academy, firstUAI(s.truth), "import", "alice")
		require.NoError(t, err)
		assert.Equal(t, 1, one.Schools)
		require.Len(t, seen, 2)
		assert.Equal(t, firstUAI(s.truth), seen[1].UAI)
		assert.Equal(t, 1, seen[1].Schools)
		_, err = ev.RunAcademy(ctx, admin, s.academy, "manual", "alice")
		assert.Error(t, err)
		assert.Len(t, seen, 2, "a refused run never started")
	})
}

func firstUAI(m map[string]fixture.Truth) string {
	var uais []string
	for u := range m {
		uais = append(uais, u)
	}
	sort.Strings(uais)
	return uais[0]
}

// TestHandoverTimeFromTheCampaignCalendar: when a supervisor moves the daily handover, the
// reports' deadlines follow it (the campaign forecast uses the same clock).
func TestHandoverTimeFromTheCampaignCalendar(t *testing.T) {
	st := storetest.SQLite(t)
	ctx := context.Background()
	s := seedAcademy(t, st)
	scope := access.Academy(s.academy.ID)
	year := campaign.SchoolYearOf(s.now)
	_, err := st.CreateCampaign(ctx, scope, s.academy.ID, store.NewCampaign{SchoolYear: year}, store.SystemActor("test"))
	require.NoError(t, err)
	at := 7*time.Hour + 30*time.Minute
	_, err = st.UpdateCalendar(ctx, scope, s.academy.ID, year, store.CalendarUpdate{HandoverTime: &at}, store.SystemActor("test"))
	require.NoError(t, err)

	ev := evaluator.New(st, national(t), storetest.Logger(t), evaluator.Options{Now: func() time.Time { return s.now }})
	_, err = ev.RunAcademy(ctx, scope, s.academy, "manual", "test")
	require.NoError(t, err)
	res, err := st.SchoolResult(ctx, scope, firstUAI(s.truth), time.Time{})
	require.NoError(t, err)
	var rep readiness.Report
	require.NoError(t, json.Unmarshal(res.Report, &rep))
	h := rep.NextHandover.In(campaign.Paris)
	assert.Equal(t, 7, h.Hour())
	assert.Equal(t, 30, h.Minute())
}
