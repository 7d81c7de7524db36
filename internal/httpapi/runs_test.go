package httpapi

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigie-edu/vigie/internal/access"
	"github.com/vigie-edu/vigie/internal/evaluator"
	"github.com/vigie-edu/vigie/internal/policy"
	"github.com/vigie-edu/vigie/internal/store"
	"github.com/vigie-edu/vigie/internal/store/storetest"
	"github.com/vigie-edu/vigie/policies"
)

// realEvaluation wires the evaluator and the campaign tracker as vigie serve does, and
// computes the forecasts from the environment's reports (fakeEvaluator's, all ready), as the
// daily job did before the manual runs under test.
func realEvaluation(t *testing.T, e *env) {
	t.Helper()
	national, err := policy.LoadFS(policies.FS, policies.ReadinessDir)
	require.NoError(t, err)
	e.srv.deps.Evaluator = evaluator.New(e.st, evaluator.NewNationalSource(national), storetest.Logger(t), evaluator.Options{})
	e.srv.deps.Tracker = testTracker(t, e.st)
	_, err = e.srv.deps.Tracker.RefreshAcademy(context.Background(), access.Academy(e.poit.ID), e.poit, time.Now().Add(-time.Hour))
	require.NoError(t, err)
}

// TestManualRunRefreshesTheForecast: after a manual evaluation, of the school or of the
// academy, the forecast and the steps are those of the new report, not the previous one.
func TestManualRunRefreshesTheForecast(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		realEvaluation(t, e)
		ctx := context.Background()
		acad := "/api/v1/academies/poitiers"
		forecast := func(uai string) forecastJSON {
			t.Helper()
			r := e.do(nil, request{method: "GET", path: acad + "/schools/" + uai + "/forecast", token: e.tokens["sup"]})
			require.Equal(t, http.StatusOK, r.status, string(r.body))
			var f forecastJSON
			r.json(t, &f)
			return f
		}
		before := forecast(uaiOwn)
		require.Equal(t, "ready", before.Status, "the forecast of the previous report")
		require.Equal(t, "green", before.Outcome)

		// The school admin evaluates their own school: no file, so the new report is not ready.
		r := e.do(nil, request{method: "POST", path: acad + "/schools/" + uaiOwn + "/runs", token: e.tokens["sa"]})
		require.Equal(t, http.StatusCreated, r.status, string(r.body))
		var run runJSON
		r.json(t, &run)
		res, err := st.SchoolResult(ctx, access.Academy(e.poit.ID), uaiOwn, time.Time{})
		require.NoError(t, err)
		require.Equal(t, run.ID, res.RunID)
		require.NotEqual(t, "ready", res.Status)

		after := forecast(uaiOwn)
		assert.Equal(t, res.Status, after.Status, "the forecast is that of the new report")
		assert.NotEqual(t, "green", after.Outcome)
		assert.False(t, after.ComputedAt.Before(res.EvaluatedAt), "forecast computed at %s, report of %s", after.ComputedAt, res.EvaluatedAt)
		assert.NotEmpty(t, after.Items, "the problems of the new report")
		steps, err := st.SchoolSteps(ctx, access.Academy(e.poit.ID), uaiOwn, after.Target.Year())
		require.NoError(t, err)
		assert.NotEmpty(t, steps, "the campaign steps are stored with the forecast")
		assert.Equal(t, "ready", forecast(uaiSibling).Status, "another school is left as it was")

		// Neither another school nor the whole academy for the school admin.
		r = e.do(nil, request{method: "POST", path: acad + "/schools/" + uaiSibling + "/runs", token: e.tokens["sa"]})
		assert.Equal(t, http.StatusNotFound, r.status)
		r = e.do(nil, request{method: "POST", path: acad + "/runs", token: e.tokens["sa"]})
		assert.Equal(t, http.StatusForbidden, r.status)

		// The supervisor's academy run refreshes every school.
		r = e.do(nil, request{method: "POST", path: acad + "/runs", token: e.tokens["sup"]})
		require.Equal(t, http.StatusCreated, r.status, string(r.body))
		sib, err := st.SchoolResult(ctx, access.Academy(e.poit.ID), uaiSibling, time.Time{})
		require.NoError(t, err)
		require.NotEqual(t, "ready", sib.Status)
		assert.Equal(t, sib.Status, forecast(uaiSibling).Status)
	})
}

// TestPageEvaluate: the school page says which files its report does not show yet, its
// button evaluates the school, and the forecast is one statement with one handover date.
func TestPageEvaluate(t *testing.T) {
	e := newEnv(t, storetest.SQLite(t))
	realEvaluation(t, e)
	ctx := context.Background()
	b := browser(t)
	csrf := e.loginPage(b, "sa")
	own := "/academies/poitiers/etablissements/" + uaiOwn

	// A file accepted after the latest evaluation.
	_, _, err := e.st.SaveImport(ctx, access.Academy(e.poit.ID), store.Import{AcademyID: e.poit.ID, UAI: uaiOwn, Kind: "siecle",
		FileName: "Structures.xml", Size: 3, SHA256: "sha-structures", ImportedBy: "sa", Outcome: store.ImportAccepted}, store.Blob{}, nil)
	require.NoError(t, err)
	page := e.do(b, request{method: http.MethodGet, path: own})
	require.Equal(t, http.StatusOK, page.status)
	body := string(page.body)
	assert.Contains(t, body, "1 fichier reçu depuis la dernière évaluation (<code>Structures.xml</code> le ")
	assert.Contains(t, body, "relancez l’évaluation pour voir son effet.")
	assert.Contains(t, body, `action="`+own+`/evaluer"`)
	assert.Contains(t, body, "Prévision.</strong> Prêt\u00a0: aucun problème bloquant")

	// Without the CSRF token, for another school, then for real.
	assert.Equal(t, http.StatusForbidden, e.form(b, own+"/evaluer", url.Values{}).status)
	assert.Equal(t, http.StatusNotFound, e.form(b, "/academies/poitiers/etablissements/"+uaiSibling+"/evaluer", url.Values{"csrf_token": {csrf}}).status)
	resp := e.form(b, own+"/evaluer", url.Values{"csrf_token": {csrf}})
	require.Equal(t, http.StatusSeeOther, resp.status, string(resp.body))
	page = e.do(b, request{method: http.MethodGet, path: resp.header.Get("Location")})
	require.Equal(t, http.StatusOK, page.status)
	body = string(page.body)
	assert.Contains(t, body, "L’établissement est évalué")
	assert.NotContains(t, body, "depuis la dernière évaluation")

	// The forecast of the new report: one sentence, one handover, in the page's date style.
	i := strings.Index(body, `<p id="prevision">`)
	require.GreaterOrEqual(t, i, 0, "the forecast is shown")
	line := body[i : i+strings.Index(body[i:], "</p>")]
	assert.Contains(t, line, "Impossible à prévoir")
	assert.NotContains(t, line, "Prêt")
	assert.NotRegexp(t, `\d/\d`, line, "dates as the rest of the page writes them")
	assert.LessOrEqual(t, strings.Count(line, "transmission du"), 1, line)
	assert.Contains(t, line, "(calculée le ")

	// An older report: the forecast of today is not shown beside it, and the next handover is
	// labelled as today's, not as that report's.
	h, err := e.st.SchoolHistory(ctx, access.Academy(e.poit.ID), uaiOwn, 30)
	require.NoError(t, err)
	require.Greater(t, len(h), 1)
	old := h[len(h)-1].EvaluatedAt
	page = e.do(b, request{method: http.MethodGet, path: own + "?au=" + url.QueryEscape(old.Format(time.RFC3339Nano))})
	require.Equal(t, http.StatusOK, page.status)
	body = string(page.body)
	assert.NotContains(t, body, `id="prevision"`)
	assert.Contains(t, body, "La prévision porte sur le dernier rapport, pas sur celui-ci")
	assert.NotContains(t, body, "Prochaine transmission", "the next handover is not given as the old report's")
	assert.NotContains(t, body, "État pour la prochaine transmission au GAR")
	assert.Contains(t, body, "État selon un rapport passé")
	assert.Regexp(t, `<p class="vg-muted" id="transmission-actuelle">Aujourd’hui, prochaine transmission de l’annuaire au GAR\x{a0}: \p{L}+ \d`, body)
	assert.Contains(t, body, "(rapport en vigueur le ")

	// The latest report keeps its next handover beside it.
	body = string(e.do(b, request{method: http.MethodGet, path: own}).body)
	assert.Contains(t, body, ". Prochaine transmission de l’annuaire au GAR\u00a0: <strong>")
	assert.NotContains(t, body, `id="transmission-actuelle"`)
}
