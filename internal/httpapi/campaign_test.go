package httpapi

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigie-edu/vigie/internal/access"
	"github.com/vigie-edu/vigie/internal/campaign"
	"github.com/vigie-edu/vigie/internal/evaluator"
	"github.com/vigie-edu/vigie/internal/policy"
	"github.com/vigie-edu/vigie/internal/readiness"
	"github.com/vigie-edu/vigie/internal/store"
	"github.com/vigie-edu/vigie/internal/store/storetest"
	"github.com/vigie-edu/vigie/internal/tracker"
	"github.com/vigie-edu/vigie/policies"
)

// campaignScenarios are the scenario-table lines of the campaign routes (TestScenarioTable):
// school admins see and attest their schools only, supervisors read the academy and edit its
// calendar, and everything outside the scope is 404.
func campaignScenarios() []scenario {
	acad := "/api/v1/academies/{academy}"
	sch := acad + "/schools/{uai}"
	readAcademy := [4]int{200, 200, 403, 403}
	readSchool := [4]int{200, 200, 404, 404}
	readSibling := [4]int{200, 404, 404, 404}
	return []scenario{
		// The 2026 campaign is started on the own target; the sibling (same academy) finds it.
		{method: "POST", path: acad + "/campaigns", body: func(string, string, int) any {
			return map[string]any{"school_year": 2026, "from_previous": true}
		}, own: [4]int{201, 403, 403, 403}, sibling: [4]int{409, 403, 403, 403}, foreign: foreign},
		{method: "GET", path: acad + "/campaigns", own: readAcademy, sibling: readAcademy, foreign: foreign},
		{method: "GET", path: acad + "/campaign?year=2026", own: readAcademy, sibling: readAcademy, foreign: foreign},
		{method: "PATCH", path: acad + "/campaign?year=2026", body: func(string, string, int) any {
			return map[string]any{"deadlines": map[string]string{"12": "2026-09-18", "2": ""}, "handover_time": "06:00"}
		}, own: supOnly, sibling: supOnly, foreign: foreign},
		{method: "GET", path: acad + "/steps?step=12&state=late", own: readAcademy, sibling: readAcademy, foreign: foreign},
		{method: "GET", path: acad + "/forecast?outcome=will_fail", own: supOnly, sibling: supOnly, foreign: foreign},
		{method: "GET", path: sch + "/steps", own: readSchool, sibling: readSibling, foreign: hidden},
		{method: "POST", path: sch + "/attestations", body: func(string, string, int) any {
			return map[string]any{"step": 8, "comment": "Export vers EDT fait le 28 août"}
		}, own: [4]int{403, 201, 404, 404}, sibling: [4]int{403, 404, 404, 404}, foreign: hidden},
		// The own target's admin withdraws the attestation made just above; nobody else may.
		{method: "DELETE", path: sch + "/attestations?step=8", own: [4]int{403, 200, 404, 404}, sibling: [4]int{403, 404, 404, 404}, foreign: hidden},
		{method: "GET", path: sch + "/forecast", own: [4]int{404, 404, 404, 404}, sibling: hidden, foreign: hidden}, // none computed yet
		{method: "GET", path: sch + "/year-over-year", own: readSchool, sibling: readSibling, foreign: hidden},
		{method: "GET", path: acad + "/jobs", own: [4]int{200, 403, 403, 200}, sibling: [4]int{200, 403, 403, 200}, foreign: [4]int{404, 404, 404, 200}},
		{method: "GET", path: "/api/v1/jobs", own: rootOK, noTarget: true},
		{method: "GET", path: "/api/v1/me/notifications", own: json200, noTarget: true},
		{method: "PUT", path: "/api/v1/me/notifications", body: func(string, string, int) any {
			return map[string]any{"repeat_days": 7}
		}, own: json200, noTarget: true},
	}
}

// TestCampaignFlow: a supervisor edits the calendar, a school admin attests a step and sees
// it done, step states, forecasts and job runs read back, and the e-mail preferences and the
// unsubscribe link work, on both databases.
func TestCampaignFlow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		ctx := context.Background()
		doc := e.srv.buildOpenAPI()
		check := func(method, path string, r response) {
			t.Helper()
			if strings.HasPrefix(r.header.Get("Content-Type"), "application/json") && r.status < 300 {
				assert.NoError(t, validateResponse(doc, method, path, r.status, r.body), "%s %s", method, path)
			}
		}
		acad := "/api/v1/academies/poitiers"
		year := campaign.SchoolYearOf(time.Now())

		r := e.do(nil, request{method: "POST", path: acad + "/campaigns", token: e.tokens["sup"], body: map[string]any{"school_year": year}})
		require.Equal(t, http.StatusCreated, r.status, string(r.body))
		check("POST", academy+"/campaigns", r)
		r = e.do(nil, request{method: "PATCH", path: acad + "/campaign?year=" + itoa(year), token: e.tokens["sup"],
			body: map[string]any{"start": itoa(year) + "-09-02", "deadlines": map[string]string{"8": itoa(year) + "-08-28", "14": "2026-01-01"}}})
		assert.Equal(t, http.StatusBadRequest, r.status, "step 14 does not exist: %s", r.body)
		r = e.do(nil, request{method: "PATCH", path: acad + "/campaign?year=" + itoa(year), token: e.tokens["sup"],
			body: map[string]any{"start": itoa(year) + "-09-02", "deadlines": map[string]string{"8": itoa(year) + "-08-28"}}})
		require.Equal(t, http.StatusOK, r.status, string(r.body))
		check("PATCH", academy+"/campaign", r)
		var cj campaignJSON
		r.json(t, &cj)
		assert.Equal(t, itoa(year)+"-09-02", cj.Start)
		assert.Contains(t, cj.Deadlines, deadlineJSON{Step: 8, Title: "Export STS-Web vers le logiciel d'emploi du temps", DueOn: itoa(year) + "-08-28"})
		assert.Equal(t, "sup", cj.UpdatedBy)

		// The school admin attests step 8 of their school; the answer shows the step done.
		r = e.do(nil, request{method: "POST", path: acad + "/schools/" + uaiOwn + "/attestations", token: e.tokens["sa"],
			body: map[string]any{"step": 8, "comment": "Export vers EDT fait le 27 août"}})
		require.Equal(t, http.StatusCreated, r.status, string(r.body))
		check("POST", school+"/attestations", r)
		var ar attestationResultJSON
		r.json(t, &ar)
		assert.Equal(t, "sa", ar.Attestation.By)
		assert.True(t, ar.Attestation.Active)
		r = e.do(nil, request{method: "POST", path: acad + "/schools/" + uaiOwn + "/attestations", token: e.tokens["sa"], body: map[string]any{"step": 0}})
		assert.Equal(t, http.StatusBadRequest, r.status)

		// With the tracker wired (as vigie serve does), the steps are stored at once.
		tr := testTracker(t, st)
		e.srv.deps.Tracker = tr
		// The academy's steps (2, 13) are not the school's to attest, nor to withdraw.
		for _, step := range []int{2, 13} {
			r = e.do(nil, request{method: "POST", path: acad + "/schools/" + uaiOwn + "/attestations", token: e.tokens["sa"],
				body: map[string]any{"step": step, "comment": "Fait par l'académie"}})
			assert.Equal(t, http.StatusBadRequest, r.status, string(r.body))
			assert.Contains(t, string(r.body), "est faite par l'académie, pas par l'établissement")
			r = e.do(nil, request{method: "DELETE", path: acad + "/schools/" + uaiOwn + "/attestations?step=" + itoa(step), token: e.tokens["sa"]})
			assert.Equal(t, http.StatusBadRequest, r.status, string(r.body))
			assert.Contains(t, string(r.body), "est faite par l'académie, pas par l'établissement")
		}
		r = e.do(nil, request{method: "POST", path: acad + "/schools/" + uaiOwn + "/attestations", token: e.tokens["sa"],
			body: map[string]any{"step": 9, "comment": "Élèves exportés vers EDT"}})
		require.Equal(t, http.StatusCreated, r.status, string(r.body))
		r.json(t, &ar)
		require.Len(t, ar.Steps, 13)
		assert.Equal(t, "attestation", ar.Steps[8].Source)
		assert.Equal(t, "done", ar.Steps[8].State)
		assert.Equal(t, "Terminée", ar.Steps[8].StateLabel)
		assert.Contains(t, ar.Steps[8].Evidence, "Attestée par sa le")
		assert.Equal(t, "done", ar.Steps[7].State, "step 8, attested before")

		r = e.do(nil, request{method: "GET", path: acad + "/schools/" + uaiOwn + "/steps", token: e.tokens["sa"]})
		require.Equal(t, http.StatusOK, r.status)
		check("GET", school+"/steps", r)
		var ss schoolStepsJSON
		r.json(t, &ss)
		assert.Len(t, ss.Steps, 13)
		assert.Len(t, ss.Attestations, 2)
		r = e.do(nil, request{method: "GET", path: acad + "/schools/" + uaiSibling + "/steps", token: e.tokens["sa"]})
		assert.Equal(t, http.StatusNotFound, r.status, "another school of the academy is not the admin's")

		// Withdrawn: the step is no longer done.
		r = e.do(nil, request{method: "DELETE", path: acad + "/schools/" + uaiOwn + "/attestations?step=9", token: e.tokens["sa"]})
		require.Equal(t, http.StatusOK, r.status, string(r.body))
		check("DELETE", school+"/attestations", r)
		var wj attestationJSON
		r.json(t, &wj)
		assert.Equal(t, ar.Attestation.ID, wj.ID)
		assert.Equal(t, "Retirée par sa", wj.ExpiredReason)
		r = e.do(nil, request{method: "DELETE", path: acad + "/schools/" + uaiOwn + "/attestations?step=9", token: e.tokens["sa"]})
		assert.Equal(t, http.StatusNotFound, r.status, "none in force any more")
		r = e.do(nil, request{method: "DELETE", path: acad + "/schools/" + uaiOwn + "/attestations?step=8", token: e.tokens["sup"]})
		assert.Equal(t, http.StatusForbidden, r.status, "supervisors do not attest")
		r = e.do(nil, request{method: "GET", path: acad + "/schools/" + uaiOwn + "/steps", token: e.tokens["sup"]})
		r.json(t, &ss)
		assert.NotEqual(t, "done", ss.Steps[8].State)

		// The academy's step states and forecasts, after a refresh of the academy.
		_, err := tr.RefreshAcademy(ctx, access.Academy(e.poit.ID), e.poit, time.Now())
		require.NoError(t, err)
		r = e.do(nil, request{method: "GET", path: acad + "/steps?step=8", token: e.tokens["sup"]})
		require.Equal(t, http.StatusOK, r.status)
		check("GET", academy+"/steps", r)
		var as academyStepsJSON
		r.json(t, &as)
		assert.EqualValues(t, 2, as.Total, "both schools of Poitiers")
		assert.Equal(t, 1, as.Counts["8"]["done"])
		r = e.do(nil, request{method: "GET", path: acad + "/steps?step=8", token: e.tokens["sa"]})
		r.json(t, &as)
		assert.EqualValues(t, 1, as.Total, "the admin's school only")
		assert.Equal(t, uaiOwn, as.Items[0].UAI)
		r = e.do(nil, request{method: "GET", path: acad + "/steps?state=finished", token: e.tokens["sup"]})
		assert.Equal(t, http.StatusBadRequest, r.status)

		r = e.do(nil, request{method: "GET", path: acad + "/forecast", token: e.tokens["sup"]})
		require.Equal(t, http.StatusOK, r.status)
		check("GET", academy+"/forecast", r)
		var fl forecastListJSON
		r.json(t, &fl)
		assert.Len(t, fl.Items, 2)
		r = e.do(nil, request{method: "GET", path: acad + "/schools/" + uaiOwn + "/forecast", token: e.tokens["sa"]})
		require.Equal(t, http.StatusOK, r.status)
		check("GET", school+"/forecast", r)
		r = e.do(nil, request{method: "GET", path: acad + "/schools/" + uaiOwn + "/year-over-year", token: e.tokens["sa"]})
		require.Equal(t, http.StatusOK, r.status)
		check("GET", school+"/year-over-year", r)
		var y yearOverYearJSON
		r.json(t, &y)
		assert.Equal(t, year-1, y.LastSchoolYear)
		assert.Len(t, y.Steps, 13)

		// Job runs: supervisors through their academy, platform administrators everywhere.
		now := time.Now()
		run, err := st.ClaimJobRun(ctx, access.System(), "evaluate", now.Truncate(time.Minute), "r1", now, now.Add(time.Minute))
		require.NoError(t, err)
		_, err = st.FinishJobRun(ctx, access.System(), run.ID, "r1", map[string]int{"schools": 2}, nil, now)
		require.NoError(t, err)
		r = e.do(nil, request{method: "GET", path: acad + "/jobs?job=evaluate", token: e.tokens["sup"]})
		require.Equal(t, http.StatusOK, r.status)
		check("GET", academy+"/jobs", r)
		var jl list[jobRunJSON]
		r.json(t, &jl)
		require.Len(t, jl.Items, 1)
		assert.Equal(t, map[string]int{"schools": 2}, jl.Items[0].Counts)
		r = e.do(nil, request{method: "GET", path: "/api/v1/jobs", token: e.tokens["root"]})
		require.Equal(t, http.StatusOK, r.status)

		// E-mail preferences and the unsubscribe link.
		r = e.do(nil, request{method: "PUT", path: "/api/v1/me/notifications", token: e.tokens["sa"], body: map[string]any{"repeat_days": 99}})
		assert.Equal(t, http.StatusBadRequest, r.status)
		r = e.do(nil, request{method: "PUT", path: "/api/v1/me/notifications", token: e.tokens["sa"], body: map[string]any{"repeat_days": 2}})
		require.Equal(t, http.StatusOK, r.status)
		var np notificationPrefsJSON
		r.json(t, &np)
		assert.Equal(t, notificationPrefsJSON{EmailEnabled: true, RepeatDays: 2, Email: "sa@ac-test.fr"}, np)
		prefs, err := st.NotificationPrefsOf(ctx, access.System(), e.ids["user:sa"])
		require.NoError(t, err)
		r = e.do(nil, request{method: "GET", path: "/api/v1/unsubscribe/" + prefs.UnsubscribeToken})
		require.Equal(t, http.StatusOK, r.status)
		assert.Contains(t, string(r.body), "Confirmer le désabonnement")
		r = e.do(nil, request{method: "POST", path: "/api/v1/unsubscribe/" + prefs.UnsubscribeToken})
		require.Equal(t, http.StatusOK, r.status, string(r.body))
		assert.Contains(t, string(r.body), "Vous ne recevrez plus les messages de Vigie.")
		r = e.do(nil, request{method: "GET", path: "/api/v1/me/notifications", token: e.tokens["sa"]})
		r.json(t, &np)
		assert.False(t, np.EmailEnabled)
		r = e.do(nil, request{method: "POST", path: "/api/v1/unsubscribe/" + strings.Repeat("0", 48)})
		assert.Equal(t, http.StatusNotFound, r.status)
		r = e.do(nil, request{method: "GET", path: "/api/v1/unsubscribe/nope"})
		assert.Equal(t, http.StatusNotFound, r.status)
	})
}

// testTracker is the campaign tracker as vigie serve builds it.
func testTracker(t *testing.T, st *store.Store) *tracker.Tracker {
	t.Helper()
	files, err := policy.LoadFS(policies.FS, policies.CampaignDir)
	require.NoError(t, err)
	rules, err := policy.CompileStepRules(context.Background(), files)
	require.NoError(t, err)
	national, err := policy.LoadFS(policies.FS, policies.ReadinessDir)
	require.NoError(t, err)
	return tracker.New(st, rules, evaluator.NewNationalSource(national), readiness.DefaultTiming(), storetest.Logger(t))
}
