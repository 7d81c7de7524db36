package httpapi

import (
	"bytes"
	"context"
	"html"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigie-edu/vigie/internal/access"
	"github.com/vigie-edu/vigie/internal/authoring"
	"github.com/vigie-edu/vigie/internal/policy"
	"github.com/vigie-edu/vigie/internal/store"
	"github.com/vigie-edu/vigie/internal/store/storetest"
	"github.com/vigie-edu/vigie/policies"
)

// form posts a urlencoded form with a browser client.
func (e *env) form(client *http.Client, path string, values url.Values) response {
	e.t.Helper()
	return e.do(client, request{method: http.MethodPost, path: path, body: []byte(values.Encode()),
		contentType: "application/x-www-form-urlencoded", header: map[string]string{"Origin": e.http.URL}})
}

// loginPage logs a browser in through the login form and returns its CSRF token (from a
// page's meta tag).
func (e *env) loginPage(client *http.Client, login string) string {
	e.t.Helper()
	resp := e.form(client, "/connexion", url.Values{"login": {login}, "password": {testPassword}})
	require.Equal(e.t, http.StatusSeeOther, resp.status, string(resp.body))
	page := e.do(client, request{method: http.MethodGet, path: "/compte"})
	require.Equal(e.t, http.StatusOK, page.status)
	m := regexp.MustCompile(`name="csrf-token" content="([^"]+)"`).FindSubmatch(page.body)
	require.NotNil(e.t, m, "no CSRF token on the page")
	return string(m[1])
}

// TestPagesByRole opens every page as each role, on its own school, another school of its
// academy and a school of another academy: status, French text, and scope (a school admin
// never sees another school: 404, like the API).
func TestPagesByRole(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		own := "/academies/poitiers/etablissements/" + uaiOwn
		cases := []struct {
			path  string
			want  [4]int // sup, sa, aut, root
			text  string // on the 200 pages
			notIn string // never on the 200 pages
		}{
			{"/academies/poitiers", [4]int{200, 403, 403, 403}, "Académie de Poitiers", uaiForeign},
			{"/academies/poitiers?status=ready&sort=-name&kind=lycee", [4]int{200, 403, 403, 403}, "Établissements", ""},
			{"/academies/bordeaux", [4]int{404, 404, 404, 403}, "", ""},
			{"/academies/poitiers/etablissements", [4]int{200, 200, 403, 403}, "Lycée Jean Macé", uaiForeign},
			{own, [4]int{200, 200, 404, 404}, "Les 13 étapes de la campagne", ""},
			{"/academies/poitiers/etablissements/" + uaiSibling, [4]int{200, 404, 404, 404}, "Collège Henri IV", ""},
			{"/academies/bordeaux/etablissements/" + uaiForeign, [4]int{404, 404, 404, 404}, "", ""},
			{"/academies/poitiers/regles", [4]int{200, 403, 200, 403}, "Règles de l’académie", ""},
			{"/academies/poitiers/journal", [4]int{200, 403, 403, 200}, "Journal de l’académie", ""},
			{"/compte", [4]int{200, 200, 200, 200}, "Jetons d’accès à l’API", ""},
			{"/admin", [4]int{403, 403, 403, 200}, "Administration de la plateforme", ""},
			{"/admin/journal", [4]int{403, 403, 403, 200}, "Journal de la plateforme", ""},
		}
		for _, tc := range cases {
			for i, role := range roles {
				resp := e.do(nil, request{method: http.MethodGet, path: tc.path, token: e.tokens[role]})
				if !assert.Equal(t, tc.want[i], resp.status, "%s as %s", tc.path, role) {
					continue
				}
				assert.Contains(t, resp.header.Get("Content-Type"), "text/html", "%s as %s", tc.path, role)
				body := string(resp.body)
				assert.Contains(t, body, `<html lang="fr"`)
				switch {
				case resp.status == 200:
					assert.Contains(t, body, tc.text, "%s as %s", tc.path, role)
					if tc.notIn != "" {
						assert.NotContains(t, body, tc.notIn, "%s as %s", tc.path, role)
					}
					assert.Contains(t, resp.header.Get("Content-Security-Policy"), "script-src 'self'")
				case resp.status == 404:
					assert.Contains(t, body, "Page introuvable")
					assert.NotContains(t, body, "Jean Macé")
				case resp.status == 403:
					assert.Contains(t, body, "Accès refusé")
				}
			}
		}
		// The school admin's list shows their school only.
		resp := e.do(nil, request{method: http.MethodGet, path: "/academies/poitiers/etablissements", token: e.tokens["sa"]})
		assert.Contains(t, string(resp.body), uaiOwn)
		assert.NotContains(t, string(resp.body), uaiSibling)
	})
}

func TestPagesAnonymousAndLogin(t *testing.T) {
	e := newEnv(t, storetest.SQLite(t))
	// A page asked for anonymously sends to the login page, keeping where to return.
	resp := e.do(nil, request{method: http.MethodGet, path: "/academies/poitiers"})
	require.Equal(t, http.StatusSeeOther, resp.status)
	assert.Equal(t, "/connexion?retour=%2Facademies%2Fpoitiers", resp.header.Get("Location"))
	resp = e.do(nil, request{method: http.MethodGet, path: "/"})
	assert.Equal(t, "/connexion", resp.header.Get("Location"))

	login := e.do(nil, request{method: http.MethodGet, path: "/connexion"})
	require.Equal(t, http.StatusOK, login.status)
	assert.Contains(t, string(login.body), "Connexion à Vigie")
	assert.NotContains(t, string(login.body), "Comptes de démonstration", "demo accounts only in demo mode")

	// Demo mode: the accounts are shown.
	deps := e.srv.deps
	deps.DemoAccounts = []DemoAccount{{Login: "superviseur", Password: "demo-vigie-2026", Label: "Superviseur du rectorat : toute l'académie"}}
	demoSrv, err := New(deps)
	require.NoError(t, err)
	rec := httptest.NewRecorder()
	demoSrv.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/connexion", nil))
	assert.Contains(t, rec.Body.String(), "Comptes de démonstration")
	assert.Contains(t, rec.Body.String(), "demo-vigie-2026")
	assert.Contains(t, rec.Body.String(), "Superviseur du rectorat\u00a0: toute l’académie", "French typography")

	// A wrong password shows the form again with a French message.
	b := browser(t)
	bad := e.form(b, "/connexion", url.Values{"login": {"sup"}, "password": {"faux"}})
	assert.Equal(t, http.StatusUnauthorized, bad.status)
	assert.Contains(t, string(bad.body), "Identifiant ou mot de passe incorrect.")

	// The right one opens a session and lands on the user's first page, or the one asked for.
	ok := e.form(b, "/connexion", url.Values{"login": {"sup"}, "password": {testPassword}})
	require.Equal(t, http.StatusSeeOther, ok.status)
	assert.Equal(t, "/academies/poitiers", ok.header.Get("Location"))
	b2 := browser(t)
	ok = e.form(b2, "/connexion", url.Values{"login": {"sa"}, "password": {testPassword}, "retour": {"//evil.example/x"}})
	assert.Equal(t, "/academies/poitiers/etablissements/"+uaiOwn, ok.header.Get("Location"), "no open redirect")
	page := e.do(b2, request{method: http.MethodGet, path: "/academies/poitiers/etablissements/" + uaiOwn})
	assert.Equal(t, http.StatusOK, page.status)
	assert.Contains(t, string(page.body), "Déposer des fichiers d’export")
	assert.Contains(t, string(page.body), `data-url="/api/v1/academies/poitiers/schools/`+uaiOwn+`/imports"`)

	// Logging out needs the CSRF token of the form.
	b = browser(t)
	csrf := e.loginPage(b, "sup")
	resp = e.form(b, "/deconnexion", url.Values{})
	assert.Equal(t, http.StatusForbidden, resp.status, "no CSRF token")
	resp = e.form(b, "/deconnexion", url.Values{"csrf_token": {csrf}})
	assert.Equal(t, http.StatusSeeOther, resp.status)
	resp = e.do(b, request{method: http.MethodGet, path: "/compte"})
	assert.Equal(t, http.StatusSeeOther, resp.status, "logged out")
}

func TestPageAttestation(t *testing.T) {
	e := newEnv(t, storetest.SQLite(t))
	e.srv.deps.Tracker = testTracker(t, e.st)
	b := browser(t)
	csrf := e.loginPage(b, "sa")
	own := "/academies/poitiers/etablissements/" + uaiOwn
	page := e.do(b, request{method: http.MethodGet, path: own})
	require.Equal(t, http.StatusOK, page.status)
	assert.Contains(t, string(page.body), "Attester l’étape 1")

	resp := e.form(b, own+"/etapes/1/attester", url.Values{"commentaire": {"fait"}})
	assert.Equal(t, http.StatusForbidden, resp.status, "no CSRF token")
	resp = e.form(b, own+"/etapes/1/attester", url.Values{"commentaire": {"Bascule faite le 2 juillet"}, "csrf_token": {csrf}})
	require.Equal(t, http.StatusSeeOther, resp.status, string(resp.body))
	page = e.do(b, request{method: http.MethodGet, path: strings.Split(resp.header.Get("Location"), "#")[0]})
	assert.Contains(t, string(page.body), "Votre attestation est enregistrée")
	assert.Contains(t, string(page.body), "Attestée par sa")
	assert.Contains(t, string(page.body), "Bascule faite le 2 juillet")
	step1 := stepSection(t, page.body, 1)
	assert.Equal(t, 1, strings.Count(step1, "Attestée par"), "the attestation is told once: %s", step1)
	assert.Equal(t, 1, strings.Count(step1, " à "), "its date once, in the page's style: %s", step1)
	assert.NotRegexp(t, `\d\d/\d\d/\d{4}`, step1, "no numeric date beside the page's")
	assert.Contains(t, step1, "Retirer l’attestation")
	assert.NotContains(t, step1, "Attester l’étape 1")

	// The academy's steps offer no attestation; attesting one is refused in French.
	assert.NotContains(t, string(page.body), "Attester l’étape 2<")
	assert.NotContains(t, string(page.body), "Attester l’étape 13<")
	resp = e.form(b, own+"/etapes/13/attester", url.Values{"csrf_token": {csrf}})
	assert.Equal(t, http.StatusBadRequest, resp.status)
	assert.Contains(t, string(resp.body), "faite par l")

	// Another school of the academy: not found; a supervisor may not attest.
	resp = e.form(b, "/academies/poitiers/etablissements/"+uaiSibling+"/etapes/1/attester", url.Values{"csrf_token": {csrf}})
	assert.Equal(t, http.StatusNotFound, resp.status)
	resp = e.form(b, "/academies/poitiers/etablissements/"+uaiSibling+"/etapes/1/retirer", url.Values{"csrf_token": {csrf}})
	assert.Equal(t, http.StatusNotFound, resp.status, "withdrawing at another school")
	sup := browser(t)
	supCSRF := e.loginPage(sup, "sup")
	resp = e.form(sup, own+"/etapes/1/attester", url.Values{"csrf_token": {supCSRF}})
	assert.Equal(t, http.StatusForbidden, resp.status)
	resp = e.form(sup, own+"/etapes/1/retirer", url.Values{"csrf_token": {supCSRF}})
	assert.Equal(t, http.StatusForbidden, resp.status)

	// Withdrawn from the page (CSRF required): audited, the step is attestable again.
	resp = e.form(b, own+"/etapes/1/retirer", url.Values{})
	assert.Equal(t, http.StatusForbidden, resp.status, "no CSRF token")
	resp = e.form(b, own+"/etapes/1/retirer", url.Values{"csrf_token": {csrf}})
	require.Equal(t, http.StatusSeeOther, resp.status, string(resp.body))
	page = e.do(b, request{method: http.MethodGet, path: strings.Split(resp.header.Get("Location"), "#")[0]})
	assert.Contains(t, string(page.body), "L’attestation est retirée")
	step1 = stepSection(t, page.body, 1)
	assert.NotContains(t, step1, "Attestée par")
	assert.Contains(t, step1, "Attester l’étape 1")
	resp = e.form(b, own+"/etapes/1/retirer", url.Values{"csrf_token": {csrf}})
	assert.Equal(t, http.StatusNotFound, resp.status, "none in force any more")
	entries, _, err := e.st.ListAudit(context.Background(), access.Academy(e.poit.ID), store.AuditFilter{Action: "attestation.withdraw"})
	require.NoError(t, err)
	require.Len(t, entries, 1)
	assert.Equal(t, "sa", entries[0].Actor)
}

// stepSection is the school page's item of one campaign step.
func stepSection(t *testing.T, body []byte, n int) string {
	t.Helper()
	s := string(body)
	i := strings.Index(s, `id="etape-`+strconv.Itoa(n)+`"`)
	require.GreaterOrEqual(t, i, 0, "step %d on the page", n)
	j := strings.Index(s[i:], "</li>")
	require.Greater(t, j, 0)
	return s[i : i+j]
}

func TestPagePolicyEditor(t *testing.T) {
	e := newEnv(t, storetest.SQLite(t))
	page := e.do(nil, request{method: http.MethodGet, path: "/academies/poitiers/regles", token: e.tokens["aut"]})
	require.Equal(t, http.StatusOK, page.status)
	m := regexp.MustCompile(`data-module="([^"]+)"`).FindSubmatch(page.body)
	require.NotNil(t, m)
	module := string(m[1])
	assert.Contains(t, module, "groups_populated")

	// A broken draft: the error is at its line.
	draft := "package vigie.checks.siecle.groups_populated\n\nimport rego.v1\n\nresult := {\n"
	resp := e.do(nil, request{method: http.MethodPost, path: "/academies/poitiers/regles/verifier", token: e.tokens["aut"],
		body: map[string]string{"module": module, "text": draft}, header: map[string]string{"Accept": "application/json"}})
	require.Equal(t, http.StatusOK, resp.status, string(resp.body))
	var ans checkAnswer
	resp.json(t, &ans)
	assert.False(t, ans.OK)
	require.NotEmpty(t, ans.Markers)
	assert.Equal(t, "error", ans.Markers[0].Severity)
	assert.GreaterOrEqual(t, ans.Markers[0].Line, 5)

	// A school admin may not check drafts; an unknown module is invalid input, in JSON.
	resp = e.do(nil, request{method: http.MethodPost, path: "/academies/poitiers/regles/verifier", token: e.tokens["sa"],
		body: map[string]string{"module": module, "text": draft}, header: map[string]string{"Accept": "application/json"}})
	assert.Equal(t, http.StatusForbidden, resp.status)
	resp = e.do(nil, request{method: http.MethodPost, path: "/academies/poitiers/regles/verifier", token: e.tokens["aut"],
		body: map[string]string{"module": "nope.rego", "text": ""}, header: map[string]string{"Accept": "application/json"}})
	assert.Equal(t, http.StatusBadRequest, resp.status)
	assert.Contains(t, resp.header.Get("Content-Type"), "application/json")

	// The impact preview of the module as it is changes nothing.
	resp = e.do(nil, request{method: http.MethodPost, path: "/academies/poitiers/regles/apercu", token: e.tokens["aut"],
		body: map[string]string{"module": module, "text": extractTextarea(t, page.body)}, header: map[string]string{"Accept": "application/json"}})
	require.Equal(t, http.StatusOK, resp.status, string(resp.body))
	var imp impactAnswer
	resp.json(t, &imp)
	assert.Equal(t, 2, imp.Schools, "the two schools of Poitiers")
}

// extractTextarea returns the module's source as the editor page carries it.
func extractTextarea(t *testing.T, body []byte) string {
	t.Helper()
	m := regexp.MustCompile(`(?s)<textarea[^>]*id="source"[^>]*>(.*?)</textarea>`).FindSubmatch(body)
	require.NotNil(t, m)
	r := strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&", "&#34;", `"`, "&#39;", "'", "&quot;", `"`)
	return r.Replace(string(m[1]))
}

func TestStaticFiles(t *testing.T) {
	e := newEnv(t, storetest.SQLite(t))
	resp := e.do(nil, request{method: http.MethodGet, path: "/static/vendor/dsfr/dsfr.min.css"})
	require.Equal(t, http.StatusOK, resp.status)
	assert.Contains(t, resp.header.Get("Content-Type"), "text/css")
	assert.Equal(t, "public, max-age=604800", resp.header.Get("Cache-Control"))
	page := e.do(nil, request{method: http.MethodGet, path: "/connexion"})
	m := regexp.MustCompile(`href="(/static/css/vigie\.css\?v=[0-9a-f]+)"`).FindSubmatch(page.body)
	require.NotNil(t, m)
	resp = e.do(nil, request{method: http.MethodGet, path: string(m[1])})
	assert.Equal(t, "public, max-age=31536000, immutable", resp.header.Get("Cache-Control"))
	resp = e.do(nil, request{method: http.MethodGet, path: "/static/vendor/dsfr/dsfr.min.css", header: map[string]string{"If-None-Match": resp.header.Get("ETag")}})
	assert.Equal(t, http.StatusOK, resp.status, "another file's ETag")
	etag := e.do(nil, request{method: http.MethodGet, path: "/static/vendor/dsfr/dsfr.min.css"}).header.Get("ETag")
	resp = e.do(nil, request{method: http.MethodGet, path: "/static/vendor/dsfr/dsfr.min.css", header: map[string]string{"If-None-Match": etag}})
	assert.Equal(t, http.StatusNotModified, resp.status)
	resp = e.do(nil, request{method: http.MethodGet, path: "/static/../embed.go"})
	assert.Equal(t, http.StatusNotFound, resp.status)
}

func TestPagePolicyEditorWithDrafts(t *testing.T) {
	e := newEnv(t, storetest.SQLite(t))
	svc := testPolicies(t, e.st)
	e.srv.deps.Policies = svc
	ctx := t.Context()
	by := store.Actor{UserID: e.ids["user:aut"], Login: "aut"}
	scope := access.Academy(e.poit.ID)
	d, err := svc.CreateDraft(ctx, scope, e.poit, authoring.NewDraft{Title: "Absents"}, by)
	require.NoError(t, err)
	const module = "readiness/links/absent_ratio.rego"
	files, err := policy.LoadFS(policies.FS, policies.ReadinessDir)
	require.NoError(t, err)
	var text string
	for _, f := range files {
		if f.Path == module {
			text = string(f.Text) + "\n# seuil revu par l'académie\n"
		}
	}
	require.NotEmpty(t, text)
	d, rep, err := svc.SaveDraft(ctx, scope, e.poit, d.ID, authoring.DraftUpdate{Title: "Absents", Revision: d.Revision,
		Files:     map[string]string{module: text},
		Overrides: map[string]any{"checks": map[string]any{"links.absent_ratio": map[string]any{"mode": "monitor"}}}}, by)
	require.NoError(t, err)
	require.True(t, rep.Compiles, "%+v", rep.Problems)

	page := e.do(nil, request{method: http.MethodGet, path: "/academies/poitiers/regles?brouillon=" + strconv.FormatInt(d.ID, 10) + "&module=" + url.QueryEscape(module), token: e.tokens["aut"]})
	require.Equal(t, http.StatusOK, page.status)
	body := string(page.body)
	assert.Contains(t, body, "Brouillon n° "+strconv.FormatInt(d.ID, 10))
	assert.Contains(t, body, "seuil revu par l&#39;académie", "the draft's module, not the national one")
	assert.Regexp(t, `absent_ratio\.rego <span class="vg-muted">\(modifié\)`, body)
	assert.Regexp(t, `id="mode-links\.absent_ratio"[^>]*>.*<option value="monitor" selected>`, body)
	assert.Contains(t, body, `id="bouton-enregistrer"`, "its owner may save it")
	assert.Contains(t, body, `id="formulaire-publier"`)
	// A supervisor reads it, without the controls.
	page = e.do(nil, request{method: http.MethodGet, path: "/academies/poitiers/regles?brouillon=" + strconv.FormatInt(d.ID, 10), token: e.tokens["sup"]})
	require.Equal(t, http.StatusOK, page.status)
	assert.NotContains(t, string(page.body), `id="bouton-enregistrer"`)
	assert.NotContains(t, string(page.body), `id="formulaire-publier"`)

	// Published, it is the version in force, with its differences in the history.
	_, err = svc.Publish(ctx, scope, e.poit, d.ID, "Absents en surveillance", by)
	require.NoError(t, err)
	page = e.do(nil, request{method: http.MethodGet, path: "/academies/poitiers/regles", token: e.tokens["aut"]})
	require.Equal(t, http.StatusOK, page.status)
	body = string(page.body)
	assert.Contains(t, body, "Version 1 (en vigueur) — aut")
	assert.Contains(t, body, "Absents en surveillance")
	assert.Contains(t, body, "<code>"+module+"</code>\u00a0: +2 −0")
	assert.Contains(t, body, "# seuil revu par l&#39;académie")
	assert.Contains(t, body, "configuration (surcharges)")
}

func TestDiffText(t *testing.T) {
	a := "a\nb\nc\nd\ne\nf\ng\nh\n"
	b := "a\nb\nc\nD\ne\nf\ng\nh\ni\n"
	d, ok := diffText("x", a, b)
	require.True(t, ok)
	assert.Equal(t, 2, d.Added)
	assert.Equal(t, 1, d.Removed)
	var got []string
	for _, l := range d.Lines {
		got = append(got, l.Kind+l.Text)
	}
	assert.Equal(t, []string{" b", " c", "-d", "+D", " e", " f", " g", " h", "+i"}, got)
	_, ok = diffText("x", a, a)
	assert.False(t, ok)
}

func TestPageAdminAndAccountForms(t *testing.T) {
	e := newEnv(t, storetest.SQLite(t))
	root := browser(t)
	csrf := e.loginPage(root, "root")
	resp := e.form(root, "/admin/utilisateurs", url.Values{"csrf_token": {csrf}, "login": {"marie"}, "nom": {"Marie Curie"},
		"courriel": {"marie@ac-test.fr"}, "mot_de_passe": {"court"}})
	assert.Equal(t, http.StatusBadRequest, resp.status)
	assert.Contains(t, string(resp.body), "au moins 12 caractères")
	resp = e.form(root, "/admin/utilisateurs", url.Values{"csrf_token": {csrf}, "login": {"marie"}, "nom": {"Marie Curie"}, "courriel": {"marie@ac-test.fr"}})
	require.Equal(t, http.StatusSeeOther, resp.status, string(resp.body))
	u, err := e.st.UserByLogin(t.Context(), access.System(), "marie")
	require.NoError(t, err)
	id := strconv.FormatInt(u.ID, 10)
	resp = e.form(root, "/admin/habilitations", url.Values{"csrf_token": {csrf}, "compte": {id}, "role": {"school_admin"}, "academie": {"poitiers"}, "uais": {uaiOwn + ", " + uaiSibling}})
	require.Equal(t, http.StatusSeeOther, resp.status, string(resp.body))
	resp = e.form(root, "/admin/habilitations", url.Values{"csrf_token": {csrf}, "compte": {id}, "role": {"school_admin"}, "academie": {"poitiers"}, "uais": {"pas-un-uai"}})
	assert.Equal(t, http.StatusBadRequest, resp.status)
	assert.Contains(t, string(resp.body), "Demande refusée")
	page := e.do(root, request{method: http.MethodGet, path: "/admin?ok=grant"})
	assert.Contains(t, string(page.body), "L’habilitation est enregistrée.")
	assert.Contains(t, string(page.body), "Rôle «\u00a0Administrateur d’établissement\u00a0» seulement, séparés par des virgules.", "the UAI hint names the role as the role list does")
	assert.Contains(t, string(page.body), "Administrateur d’établissement · poitiers · "+uaiOwn+", "+uaiSibling)
	u, err = e.st.UserByLogin(t.Context(), access.System(), "marie")
	require.NoError(t, err)
	require.Len(t, u.Grants, 1)
	resp = e.form(root, "/admin/utilisateurs/"+id+"/habilitations/"+strconv.FormatInt(u.Grants[0].ID, 10)+"/retirer", url.Values{"csrf_token": {csrf}})
	require.Equal(t, http.StatusSeeOther, resp.status, string(resp.body))

	// A supervisor may not use the admin forms.
	sup := browser(t)
	supCSRF := e.loginPage(sup, "sup")
	resp = e.form(sup, "/admin/utilisateurs", url.Values{"csrf_token": {supCSRF}, "login": {"x"}})
	assert.Equal(t, http.StatusForbidden, resp.status)

	// Account: a token shown once, then revoked; e-mail preferences.
	resp = e.form(sup, "/compte/jetons", url.Values{"csrf_token": {supCSRF}, "nom": {"export"}, "jours": {"30"}, "portee": {"read"}})
	require.Equal(t, http.StatusCreated, resp.status)
	m := regexp.MustCompile(`<code id="nouveau-jeton">([^<]+)</code>`).FindSubmatch(resp.body)
	require.NotNil(t, m)
	api := e.do(nil, request{method: http.MethodGet, path: "/api/v1/me", token: string(m[1])})
	assert.Equal(t, http.StatusOK, api.status, "the new token works")
	tokens, err := e.st.ListTokens(t.Context(), access.System(), e.ids["user:sup"])
	require.NoError(t, err)
	var tid int64
	for _, tk := range tokens {
		if tk.Name == "export" {
			tid = tk.ID
		}
	}
	resp = e.form(sup, "/compte/jetons/"+strconv.FormatInt(tid, 10)+"/revoquer", url.Values{"csrf_token": {supCSRF}})
	require.Equal(t, http.StatusSeeOther, resp.status)
	api = e.do(nil, request{method: http.MethodGet, path: "/api/v1/me", token: string(m[1])})
	assert.Equal(t, http.StatusUnauthorized, api.status, "revoked")
	resp = e.form(sup, "/compte/notifications", url.Values{"csrf_token": {supCSRF}, "courriel": {"oui"}, "repetition": {"3"}})
	require.Equal(t, http.StatusSeeOther, resp.status, string(resp.body))
	prefs, err := e.st.NotificationPrefsOf(t.Context(), access.System(), e.ids["user:sup"])
	require.NoError(t, err)
	assert.True(t, prefs.EmailEnabled)
	assert.Equal(t, 3, prefs.RepeatDays)
	resp = e.form(sup, "/compte/notifications", url.Values{"csrf_token": {supCSRF}, "repetition": {"99"}})
	assert.Equal(t, http.StatusBadRequest, resp.status)
}

// uploadForm builds the school page's upload form as a browser without JavaScript sends it:
// the csrf_token field first (when given), then the files.
func uploadForm(t *testing.T, csrf string, files map[string][]byte) ([]byte, string) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	if csrf != "" {
		require.NoError(t, w.WriteField("csrf_token", csrf))
	}
	for name, content := range files {
		fw, err := w.CreateFormFile("file", name)
		require.NoError(t, err)
		_, err = fw.Write(content)
		require.NoError(t, err)
	}
	require.NoError(t, w.Close())
	return buf.Bytes(), w.FormDataContentType()
}

// TestPageUploadWithoutJavaScript: the school page's upload form works as a plain HTML form,
// with its CSRF token as a field; the page then tells what each file became, in French.
func TestPageUploadWithoutJavaScript(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		b := browser(t)
		csrf := e.loginPage(b, "sa")
		own := "/academies/poitiers/etablissements/" + uaiOwn
		page := e.do(b, request{method: http.MethodGet, path: own})
		require.Equal(t, http.StatusOK, page.status)
		assert.Contains(t, string(page.body), `action="`+own+`/depot"`)
		assert.Regexp(t, `(?s)id="formulaire-depot"[^>]*>\s*<input type="hidden" name="csrf_token" value="`+regexp.QuoteMeta(csrf)+`"`, string(page.body), "the token comes before the files")

		sts, err := os.ReadFile("../ingest/testdata/sts_emp_0790029C_2026.xml")
		require.NoError(t, err)
		files := map[string][]byte{"sts_emp_0790029C_2026.xml": sts, "notes.txt": []byte("pas un export")}
		imports := func() int64 {
			_, n, err := e.st.ListImports(t.Context(), access.System(), store.ImportFilter{UAI: uaiOwn})
			require.NoError(t, err)
			return n
		}
		before := imports()
		post := func(path, token string) response {
			body, ct := uploadForm(t, token, files)
			return e.do(b, request{method: http.MethodPost, path: path, body: body, contentType: ct, header: map[string]string{"Origin": e.http.URL}})
		}

		// Without the token, or with a wrong one: refused, nothing imported.
		for _, tok := range []string{"", "faux"} {
			resp := post(own+"/depot", tok)
			assert.Equal(t, http.StatusForbidden, resp.status, "token %q", tok)
			assert.Contains(t, string(resp.body), "Accès refusé")
		}
		assert.Equal(t, before, imports(), "nothing imported without the token")

		// Another school of the academy: not found for a school admin.
		resp := post("/academies/poitiers/etablissements/"+uaiSibling+"/depot", csrf)
		assert.Equal(t, http.StatusNotFound, resp.status)

		// With the token: imported, and the page says what each file became.
		resp = post(own+"/depot", csrf)
		require.Equal(t, http.StatusSeeOther, resp.status, string(resp.body))
		loc := resp.header.Get("Location")
		require.True(t, strings.HasPrefix(loc, own+"?depot="), loc)
		assert.Equal(t, before+2, imports(), "one accepted, one refused")
		page = e.do(b, request{method: http.MethodGet, path: strings.Split(loc, "#")[0]})
		require.Equal(t, http.StatusOK, page.status)
		body := string(page.body)
		assert.Contains(t, body, "1 fichier accepté")
		assert.Contains(t, body, "sts_emp_0790029C_2026.xml : accepté (STS-Web (sts_emp))")
		assert.Contains(t, body, "1 fichier refusé")
		assert.Regexp(t, `<li>notes\.txt[^<]+</li>`, body)

		// The same again: the page says it was already received.
		resp = post(own+"/depot", csrf)
		require.Equal(t, http.StatusSeeOther, resp.status, string(resp.body))
		page = e.do(b, request{method: http.MethodGet, path: strings.Split(resp.header.Get("Location"), "#")[0]})
		assert.Contains(t, string(page.body), "sts_emp_0790029C_2026.xml : déjà reçu, ignoré")

		// Another school's imports named in the query are not shown.
		sup := browser(t)
		e.loginPage(sup, "sup")
		page = e.do(sup, request{method: http.MethodGet, path: "/academies/poitiers/etablissements/" + uaiSibling + "?" + strings.SplitN(strings.Split(loc, "#")[0], "?", 2)[1]})
		require.Equal(t, http.StatusOK, page.status)
		assert.NotContains(t, string(page.body), "fichier accepté")
	})
}

// TestPagesBadQuery: a page's bad query parameters are told in French; a page number past the
// end sends to the last page; the upload's messages, which vigie.js shows, are French too.
func TestPagesBadQuery(t *testing.T) {
	e := newEnv(t, storetest.SQLite(t))
	for _, path := range []string{"/academies/poitiers?status=bogus", "/academies/poitiers?kind=ecole", "/academies/poitiers?sort=x",
		"/academies/poitiers?page=0", "/academies/poitiers/journal?per_page=9999"} {
		resp := e.do(nil, request{method: http.MethodGet, path: path, token: e.tokens["sup"]})
		require.Equal(t, http.StatusBadRequest, resp.status, path)
		body := string(resp.body)
		assert.True(t, strings.Contains(body, "le paramètre «\u00a0"), "%s: no French message", path)
		assert.False(t, strings.Contains(body, "want") || strings.Contains(body, "invalid input"), "%s: English message", path)
	}
	resp := e.do(nil, request{method: http.MethodGet, path: "/academies/poitiers?status=bogus", token: e.tokens["sup"]})
	assert.Contains(t, string(resp.body), "ready (prêt)")
	// The API keeps its English detail for developers.
	resp = e.do(nil, request{method: http.MethodGet, path: "/api/v1/academies/poitiers/schools?status=bogus", token: e.tokens["sup"]})
	assert.Equal(t, http.StatusBadRequest, resp.status)
	assert.Contains(t, string(resp.body), "want ready")

	resp = e.do(nil, request{method: http.MethodGet, path: "/academies/poitiers?page=99&status=ready", token: e.tokens["sup"]})
	require.Equal(t, http.StatusSeeOther, resp.status)
	assert.Equal(t, "/academies/poitiers?page=1&status=ready#etablissements", resp.header.Get("Location"))
	resp = e.do(nil, request{method: http.MethodGet, path: "/academies/poitiers/journal?page=99", token: e.tokens["sup"]})
	if assert.Equal(t, http.StatusSeeOther, resp.status) {
		assert.Equal(t, "/academies/poitiers/journal?page=1", resp.header.Get("Location"))
	}

	// An upload without any file: a French reason, in the JSON that vigie.js shows.
	body, ct := multipartFiles(t, map[string][]byte{})
	resp = e.do(nil, request{method: http.MethodPost, path: "/api/v1/academies/poitiers/schools/" + uaiOwn + "/imports", body: body, contentType: ct, token: e.tokens["sa"]})
	require.Equal(t, http.StatusBadRequest, resp.status)
	var ae apiError
	resp.json(t, &ae)
	assert.Contains(t, ae.Detail, "aucun fichier reçu")
	resp = e.do(nil, request{method: http.MethodPost, path: "/api/v1/academies/poitiers/schools/" + uaiOwn + "/imports", body: []byte("{}"), contentType: "application/json", token: e.tokens["sa"]})
	resp.json(t, &ae)
	assert.Contains(t, ae.Detail, "un dépôt est un formulaire")
}

// TestPagesFrenchLabels: pages name checks, file kinds, run triggers, audit actions and
// academies in French, with the codes kept for experts in title attributes or small print;
// they only link where the reader may go.
func TestPagesFrenchLabels(t *testing.T) {
	e := newEnv(t, storetest.SQLite(t))
	get := func(path, role string) string {
		t.Helper()
		resp := e.do(nil, request{method: http.MethodGet, path: path, token: e.tokens[role]})
		require.Equal(t, http.StatusOK, resp.status, path)
		return string(resp.body)
	}
	ch, ok := e.srv.deps.Checks.Check("siecle.groups_populated")
	require.True(t, ok)
	title := html.EscapeString(frenchTypo(ch.Title))

	// The nightly run finds the school not ready: a failing blocker.
	ctx, scope := t.Context(), access.Academy(e.poit.ID)
	run, err := e.st.StartRun(ctx, scope, store.Run{AcademyID: e.poit.ID, Trigger: "schedule", RequestedBy: "vigie", PolicyVersion: "test"})
	require.NoError(t, err)
	require.NoError(t, e.st.SaveResults(ctx, scope, run.ID, []store.Result{{UAI: uaiOwn, Status: "not_ready", Blockers: 1, Todo: 1,
		PolicyVersion: "test", EvaluatedAt: time.Now(), Report: report(uaiOwn, "not_ready"),
		Checks: []store.CheckResult{{CheckID: "siecle.groups_populated", Status: "fail", Severity: "blocker"}}},
		// Not ready without a blocker: an error-severity check fails, a blocker ends in error.
		{UAI: uaiSibling, Status: "not_ready", Errors: 1, Unknown: 1, Todo: 2, PolicyVersion: "test", EvaluatedAt: time.Now(),
			Report: report(uaiSibling, "not_ready")}}))
	_, err = e.st.FinishRun(ctx, scope, run.ID, nil)
	require.NoError(t, err)

	academy := get("/academies/poitiers", "sup")
	assert.Contains(t, academy, `<td class="vg-failing"><span title="siecle.groups_populated">`+title+`</span>`, "failing checks by title")
	assert.Contains(t, academy, `class="vg-heatmap__check"><span title="siecle.groups_populated">`+title+`</span>`, "heat-map headers by title")
	assert.Regexp(t, `(?s)Collège Henri IV</a></td>.*?<td>0<br><span class="vg-muted fr-text--xs">\+ 1 erreur</span><br><span class="vg-muted fr-text--xs">\+ 1 indéterminé</span></td>`, academy,
		"a school not ready without blockers says why")
	assert.Contains(t, academy, "<td>planification quotidienne</td>")
	assert.Contains(t, academy, "<td>lancement manuel par system</td>")
	assert.NotContains(t, academy, "(schedule)")

	school := get("/academies/poitiers/etablissements/"+uaiOwn, "sup")
	assert.Contains(t, school, "<td>STS-Web (sts_emp)</td>", "file kinds by label")
	assert.NotContains(t, school, "<td>sts</td>")

	assert.Contains(t, get("/compte", "sup"), "académie de Poitiers")

	audit := get("/admin/journal", "root")
	assert.Contains(t, audit, "habilitation accordée")
	assert.NotContains(t, audit, "<td>grant ")

	rules := get("/academies/poitiers/regles", "aut")
	assert.NotContains(t, rules, "</code> ligne 1<", "the annotation's line is not the rule's")
	assert.Equal(t, 1, strings.Count(rules, `<span class="fr-sr-only"> de readiness/siecle/groups_populated.rego</span>`), "each tests link names its own module")
	assert.Contains(t, rules, `<span class="fr-sr-only"> de readiness/sts/groups_present.rego</span>`)

	admin := get("/admin", "root")
	assert.NotContains(t, admin, `href="/academies/poitiers">`, "the platform admin may not open the academy view")
	assert.Contains(t, admin, `href="/academies/poitiers/journal"`, "but may read its audit log")
	assert.Equal(t, http.StatusForbidden, e.do(nil, request{method: http.MethodGet, path: "/academies/poitiers", token: e.tokens["root"]}).status)

	csv := e.do(nil, request{method: http.MethodGet, path: "/api/v1/academies/poitiers/export.csv", token: e.tokens["sup"]})
	assert.Contains(t, string(csv.body), ";Indéterminés;")
	assert.NotContains(t, string(csv.body), "Inconnus")
}

// TestPolicyPreviewsAgree: the editor's preview of a saved draft's text and the API's preview of
// that draft are the same service call, so they count the same schools and changes.
func TestPolicyPreviewsAgree(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		tok := e.tokens["aut"]
		const module = "readiness/siecle/groups_populated.rego"
		files, err := policy.LoadFS(policies.FS, policies.ReadinessDir)
		require.NoError(t, err)
		var text string
		for _, f := range files {
			if f.Path == module {
				text = strings.Replace(string(f.Text), "g.siecle.pupils == 0", "g.siecle.pupils <= 1", 1)
			}
		}
		require.Contains(t, text, "<= 1")
		base := "/api/v1/academies/poitiers/policies/drafts"
		resp := e.do(nil, request{method: "POST", path: base, body: map[string]any{"title": "Groupes"}, token: tok})
		require.Equal(t, http.StatusCreated, resp.status, "%s", resp.body)
		var d draftJSON
		resp.json(t, &d)
		id := strconv.FormatInt(d.ID, 10)
		resp = e.do(nil, request{method: "PUT", path: base + "/" + id, token: tok, body: map[string]any{
			"title": "Groupes", "revision": d.Revision, "files": map[string]string{module: text},
			"overrides": map[string]any{"checks": map[string]any{"links.absent_ratio": map[string]any{"mode": "monitor"}}}}})
		require.Equal(t, http.StatusOK, resp.status, "%s", resp.body)

		resp = e.do(nil, request{method: "POST", path: base + "/" + id + "/preview", token: tok})
		require.Equal(t, http.StatusOK, resp.status, "%s", resp.body)
		var api authoring.Preview
		resp.json(t, &api)
		resp = e.do(nil, request{method: http.MethodPost, path: "/academies/poitiers/regles/apercu", token: tok,
			body: map[string]any{"module": module, "text": text, "draft": d.ID}, header: map[string]string{"Accept": "application/json"}})
		require.Equal(t, http.StatusOK, resp.status, "%s", resp.body)
		assert.Contains(t, string(resp.body), `"status_for":`, "no Go field name in the JSON")
		var web impactAnswer
		resp.json(t, &web)

		require.Equal(t, 2, api.Schools)
		assert.Positive(t, api.Changed, "the edit changes something")
		assert.Equal(t, api.Schools, web.Schools)
		assert.Equal(t, api.Changed, web.Changed)
		assert.Equal(t, map[string]int{"ready": api.StatusBefore.Ready, "at_risk": api.StatusBefore.AtRisk, "not_ready": api.StatusBefore.NotReady}, web.Before)
		assert.Equal(t, map[string]int{"ready": api.StatusAfter.Ready, "at_risk": api.StatusAfter.AtRisk, "not_ready": api.StatusAfter.NotReady}, web.After)
		require.Len(t, web.Rows, len(api.SchoolChanges))
		rows := map[string]int{}
		for _, r := range web.Rows {
			rows[r.UAI] = len(r.Changed)
		}
		for _, sc := range api.SchoolChanges {
			assert.Equal(t, len(sc.Changes), rows[sc.UAI], sc.UAI)
		}
		assert.Contains(t, web.Previewed, "non enregistré")
	})
}
