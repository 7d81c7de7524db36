package httpapi

import (
	"bytes"
	"context"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigie-edu/vigie/internal/access"
	"github.com/vigie-edu/vigie/internal/authoring"
	"github.com/vigie-edu/vigie/internal/campaign"
	"github.com/vigie-edu/vigie/internal/policy"
	"github.com/vigie-edu/vigie/internal/store"
	"github.com/vigie-edu/vigie/internal/store/storetest"
	"github.com/vigie-edu/vigie/policies"
)

// testPolicies is the authoring service of a test server, over the national readiness set.
func testPolicies(t testing.TB, st *store.Store) *authoring.Service {
	t.Helper()
	files, err := policy.LoadFS(policies.FS, policies.ReadinessDir)
	require.NoError(t, err)
	log := storetest.Logger(t)
	return authoring.New(st, authoring.NewSource(st, files, log), log, authoring.Options{Workers: 2, TestTimeout: time.Minute})
}

// policyScenarios are the scenario-table lines of policy authoring: authors of Poitiers do
// everything there, supervisors read, school admins and platform administrators see the
// academy but not its policies (403), and Bordeaux's policies are hidden (404). Each
// Poitiers target has its own drafts and version (policyTargets); the lines run in order:
// rollbacks before publications, deletions last.
func policyScenarios() []scenario {
	pol := "/api/v1/academies/{academy}/policies"
	draft := pol + "/drafts/{draft}"
	version := pol + "/versions/{version}"
	read := [4]int{200, 403, 200, 403}
	authorOnly := func(status int) [4]int { return [4]int{403, 403, status, 403} }
	noBody := func(string, string, int) any { return map[string]any{} }
	return []scenario{
		{method: "GET", path: pol, own: read, sibling: read, foreign: foreign},
		{method: "GET", path: pol + "/bundle.tar.gz", own: read, sibling: read, foreign: foreign},
		{method: "GET", path: pol + "/drafts", own: read, sibling: read, foreign: foreign},
		{method: "POST", path: pol + "/drafts", body: func(string, string, int) any { return map[string]any{"title": "Essai"} },
			own: authorOnly(201), sibling: authorOnly(201), foreign: foreign},
		{method: "POST", path: pol + "/drafts/import", body: func(string, string, int) any { return uploadBody },
			own: authorOnly(400), sibling: authorOnly(400), foreign: foreign}, // not a bundle
		{method: "GET", path: draft, own: read, sibling: read, foreign: foreign},
		{method: "PUT", path: draft, body: func(string, string, int) any {
			return map[string]any{"title": "Tolérance 12 %", "revision": 1, "files": map[string]string{}, "overrides": map[string]any{"tolerance_pct": 12}}
		}, own: authorOnly(200), sibling: authorOnly(200), foreign: foreign},
		{method: "POST", path: draft + "/check", body: noBody, own: authorOnly(200), sibling: authorOnly(200), foreign: foreign},
		{method: "POST", path: draft + "/preview", body: noBody, own: authorOnly(200), sibling: authorOnly(200), foreign: foreign},
		{method: "POST", path: draft + "/evaluate", body: func(string, string, int) any { return map[string]any{"uai": uaiOwn} },
			own: authorOnly(200), sibling: authorOnly(200), foreign: foreign},
		{method: "GET", path: version, own: read, sibling: read, foreign: foreign},
		{method: "POST", path: version + "/preview", body: noBody, own: authorOnly(200), sibling: authorOnly(200), foreign: foreign},
		// Version 2 is in force: own rolls back to version 1, sibling back to version 2.
		{method: "POST", path: version + "/rollback", body: func(string, string, int) any { return map[string]any{"message": "retour"} },
			own: authorOnly(201), sibling: authorOnly(201), foreign: foreign},
		{method: "POST", path: draft + "/publish", body: func(string, string, int) any { return map[string]any{"message": "tolérance à 12 %"} },
			own: authorOnly(201), sibling: authorOnly(201), foreign: foreign},
		{method: "DELETE", path: draft, own: [4]int{403, 403, 204, 403}, sibling: [4]int{403, 403, 204, 403}, foreign: foreign},
	}
}

// policyTargets seeds, per target, a draft of the author and a version: Poitiers has versions
// 1 and 2 (2 in force), Bordeaux one version and one draft.
func (e *env) policyTargets(t map[string]map[string]string) {
	ctx := context.Background()
	aut := store.Actor{UserID: e.ids["user:aut"], Login: "aut"}
	seed := func(a campaign.Academy, title string) store.PolicyDraft {
		d, err := e.st.CreatePolicyDraft(ctx, access.Academy(a.ID), store.PolicyDraft{AcademyID: a.ID, Owner: aut.Login, OwnerID: aut.UserID,
			Title: title, Content: store.PolicyContent{}}, aut)
		require.NoError(e.t, err)
		return d
	}
	publish := func(a campaign.Academy, expected int64) store.PolicyVersion {
		d := seed(a, "version")
		v, err := e.st.PublishPolicyDraft(ctx, access.Academy(a.ID), store.NewPublication{AcademyID: a.ID, DraftID: d.ID, DraftRevision: 1,
			Expected: expected, Message: "seed"}, aut)
		require.NoError(e.t, err)
		return v
	}
	v1 := publish(e.poit, 0)
	v2 := publish(e.poit, v1.ID)
	vb := publish(e.bord, 0)
	id := func(n int64) string { return strconv.FormatInt(n, 10) }
	t["own"]["draft"], t["own"]["version"] = id(seed(e.poit, "own").ID), id(v1.ID)
	t["sibling"]["draft"], t["sibling"]["version"] = id(seed(e.poit, "sibling").ID), id(v2.ID)
	t["foreign"]["draft"], t["foreign"]["version"] = id(seed(e.bord, "foreign").ID), id(vb.ID)
}

// TestPolicyAuthoringFlow: an author saves a module that does not compile and sees where,
// cannot publish it, fixes it, previews, publishes, and exports the set as a bundle.
func TestPolicyAuthoringFlow(t *testing.T) {
	e := newEnv(t, storetest.SQLite(t))
	tok := e.tokens["aut"]
	base := "/api/v1/academies/poitiers/policies"
	resp := e.do(nil, request{method: "POST", path: base + "/drafts", body: map[string]any{"title": "Nouveau contrôle"}, token: tok})
	require.Equal(t, http.StatusCreated, resp.status, "%s", resp.body)
	var d draftJSON
	resp.json(t, &d)

	resp = e.do(nil, request{method: "PUT", path: base + "/drafts/" + strconv.FormatInt(d.ID, 10), token: tok, body: map[string]any{
		"title": "Nouveau contrôle", "revision": d.Revision,
		"files": map[string]string{"readiness/academy/x.rego": "package vigie.checks.academy.x\n\nresult := {\n"}}})
	require.Equal(t, http.StatusOK, resp.status, "%s", resp.body)
	var saved struct {
		Draft draftJSON             `json:"draft"`
		Check authoring.CheckReport `json:"check"`
	}
	resp.json(t, &saved)
	assert.False(t, saved.Check.OK)
	require.NotEmpty(t, saved.Check.Problems)
	assert.Equal(t, "readiness/academy/x.rego", saved.Check.Problems[0].Module)
	assert.Positive(t, saved.Check.Problems[0].Line)
	assert.Equal(t, 2, saved.Draft.Revision)

	resp = e.do(nil, request{method: "POST", path: base + "/drafts/" + strconv.FormatInt(d.ID, 10) + "/publish", token: tok,
		body: map[string]any{"message": "essai"}})
	assert.Equal(t, http.StatusBadRequest, resp.status)
	assert.Contains(t, string(resp.body), "publication refusée")

	resp = e.do(nil, request{method: "PUT", path: base + "/drafts/" + strconv.FormatInt(d.ID, 10), token: tok, body: map[string]any{
		"title": "Seuil", "revision": 1, "overrides": map[string]any{"absent_ratio_pct": 5}}})
	assert.Equal(t, http.StatusConflict, resp.status, "stale revision")
	var conflict apiError
	resp.json(t, &conflict)
	assert.Equal(t, "conflict", conflict.Code)
	assert.Equal(t, "Le brouillon a été modifié entre-temps (révision 2) : rechargez-le avant d'enregistrer.", conflict.Message)
	resp = e.do(nil, request{method: "PUT", path: base + "/drafts/" + strconv.FormatInt(d.ID, 10), token: tok, body: map[string]any{
		"title": "Seuil", "revision": 2, "overrides": map[string]any{"absent_ratio_pct": 5}}})
	require.Equal(t, http.StatusOK, resp.status, "%s", resp.body)
	resp.json(t, &saved)
	require.True(t, saved.Check.OK, "%v", saved.Check.Problems)

	resp = e.do(nil, request{method: "POST", path: base + "/drafts/" + strconv.FormatInt(d.ID, 10) + "/publish", token: tok,
		body: map[string]any{"message": "seuil d'absence à 5 %"}})
	require.Equal(t, http.StatusCreated, resp.status, "%s", resp.body)
	var pub publishedJSON
	resp.json(t, &pub)
	assert.Equal(t, 1, pub.Version.Number)
	assert.Equal(t, 2, pub.Summary.Schools, "the schools of Poitiers")

	resp = e.do(nil, request{method: "GET", path: base + "/bundle.tar.gz", token: e.tokens["sup"]})
	require.Equal(t, http.StatusOK, resp.status)
	assert.Contains(t, resp.header.Get("Content-Disposition"), "poitiers-v1.tar.gz")
	b, err := policy.ReadBundle(bytes.NewReader(resp.body))
	require.NoError(t, err)
	assert.Equal(t, "poitiers-v1", b.Revision)
	assert.Equal(t, 5.0, b.Overrides["absent_ratio_pct"])

	// The bundle comes back as a new draft, as a raw body.
	resp = e.do(nil, request{method: "POST", path: base + "/drafts/import?title=Retour", token: tok, body: resp.body, contentType: "application/gzip"})
	require.Equal(t, http.StatusCreated, resp.status, "%s", resp.body)
	resp.json(t, &saved)
	assert.Equal(t, "Retour", saved.Draft.Title)
	assert.Equal(t, 5.0, saved.Draft.Overrides["absent_ratio_pct"])
	assert.True(t, saved.Check.OK)

	resp = e.do(nil, request{method: "GET", path: "/api/v1/academies/poitiers/audit?action=policy.publish", token: e.tokens["sup"]})
	require.Equal(t, http.StatusOK, resp.status)
	assert.Contains(t, string(resp.body), "pupils_affected")
}
