package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"html"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"

	"github.com/vigie-edu/vigie/internal/access"
	"github.com/vigie-edu/vigie/internal/auth"
	"github.com/vigie-edu/vigie/internal/auth/authtest"
	"github.com/vigie-edu/vigie/internal/policy"
	"github.com/vigie-edu/vigie/internal/store"
	"github.com/vigie-edu/vigie/internal/store/storetest"
)

// TestBrowserSessionFlow logs in like the browser: password, session cookie, CSRF header on
// writes, logout; and checks the rate limit of failed logins.
func TestBrowserSessionFlow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		b := browser(t)
		bad := e.do(b, request{method: "POST", path: "/api/v1/auth/login", body: loginRequest{Login: "sup", Password: "pas le bon mot de passe"}})
		assert.Equal(t, http.StatusUnauthorized, bad.status)
		assert.Contains(t, string(bad.body), "bad_credentials")

		ok := e.do(b, request{method: "POST", path: "/api/v1/auth/login", body: loginRequest{Login: "SUP", Password: testPassword}})
		require.Equal(t, http.StatusOK, ok.status, string(ok.body))
		var s sessionJSON
		ok.json(t, &s)
		assert.Equal(t, "sup", s.User.Login)
		require.NotEmpty(t, s.CSRFToken)
		ck := ok.header.Get("Set-Cookie")
		assert.Contains(t, ck, "HttpOnly")
		assert.Contains(t, ck, "SameSite=Lax")

		me := e.do(b, request{method: "GET", path: "/api/v1/me"})
		require.Equal(t, http.StatusOK, me.status)
		assert.Contains(t, string(me.body), s.CSRFToken)

		write := request{method: "POST", path: "/api/v1/academies/poitiers/schools/" + uaiSibling + "/exemptions",
			body: exemptionRequest{Check: "sts.groups_present", Reason: "collège", Until: "2027-01-31"}}
		assert.Equal(t, http.StatusForbidden, e.do(b, write).status, "a cookie write without CSRF token")
		write.header = map[string]string{"X-CSRF-Token": "faux"}
		assert.Equal(t, http.StatusForbidden, e.do(b, write).status, "a wrong CSRF token")
		write.header = map[string]string{"X-CSRF-Token": s.CSRFToken, "Sec-Fetch-Site": "cross-site"}
		assert.Equal(t, http.StatusForbidden, e.do(b, write).status, "a cross-site browser request")
		write.header = map[string]string{"X-CSRF-Token": s.CSRFToken, "Sec-Fetch-Site": "same-origin"}
		created := e.do(b, write)
		assert.Equal(t, http.StatusCreated, created.status, string(created.body))

		// A personal token made through the session: shown once, scoped, revocable.
		mk := e.do(b, request{method: "POST", path: "/api/v1/me/tokens", body: tokenRequest{Name: "lecture", Scopes: []string{"read"}, ExpiresInDays: 7},
			header: map[string]string{"X-CSRF-Token": s.CSRFToken}})
		require.Equal(t, http.StatusCreated, mk.status, string(mk.body))
		var tk tokenJSON
		mk.json(t, &tk)
		require.True(t, auth.IsToken(tk.Secret))
		tokens := e.do(b, request{method: "GET", path: "/api/v1/me/tokens"})
		assert.NotContains(t, string(tokens.body), tk.Secret, "the secret is shown once")
		read := e.do(nil, request{method: "GET", path: "/api/v1/academies/poitiers/summary", token: tk.Secret})
		assert.Equal(t, http.StatusOK, read.status)
		w := e.do(nil, request{method: "POST", path: "/api/v1/academies/poitiers/runs", token: tk.Secret})
		assert.Equal(t, http.StatusForbidden, w.status, "a read token cannot write")
		var refused apiError
		w.json(t, &refused)
		assert.Equal(t, "token_scope", refused.Code, "the token's scope refuses, not the role")
		assert.Contains(t, refused.Message, "la portée du jeton ne la comprend pas")
		byRole := e.do(nil, request{method: "POST", path: "/api/v1/academies/poitiers/runs", token: e.tokens["sa"]})
		assert.Equal(t, http.StatusForbidden, byRole.status, "a school admin's role does not run the academy")
		byRole.json(t, &refused)
		assert.Equal(t, "forbidden", refused.Code)
		assert.Equal(t, "Action non autorisée.", refused.Message)
		rv := e.do(b, request{method: "DELETE", path: "/api/v1/me/tokens/" + itoa(int(tk.ID)), header: map[string]string{"X-CSRF-Token": s.CSRFToken}})
		assert.Equal(t, http.StatusOK, rv.status)
		assert.Equal(t, http.StatusUnauthorized, e.do(nil, request{method: "GET", path: "/api/v1/me", token: tk.Secret}).status, "revoked")

		out := e.do(b, request{method: "POST", path: "/api/v1/auth/logout", header: map[string]string{"X-CSRF-Token": s.CSRFToken}})
		assert.Equal(t, http.StatusNoContent, out.status)
		assert.Equal(t, http.StatusUnauthorized, e.do(b, request{method: "GET", path: "/api/v1/me"}).status)

		audit := e.do(nil, request{method: "GET", path: "/api/v1/academies/poitiers/audit?target_type=exemption", token: e.tokens["sup"]})
		require.Equal(t, http.StatusOK, audit.status)
		var entries list[auditJSON]
		audit.json(t, &entries)
		require.NotEmpty(t, entries.Items)
		assert.Equal(t, "sup", entries.Items[0].Actor)
		assert.Equal(t, "exemption.approve", entries.Items[0].Action)

		// Ten failures lock the login (and the address) out for a while.
		for range 12 {
			e.do(nil, request{method: "POST", path: "/api/v1/auth/login", body: loginRequest{Login: "sa", Password: "mauvais mot de passe"}})
		}
		locked := e.do(nil, request{method: "POST", path: "/api/v1/auth/login", body: loginRequest{Login: "sa", Password: testPassword}})
		assert.Equal(t, http.StatusTooManyRequests, locked.status)
		assert.NotEmpty(t, locked.header.Get("Retry-After"))
	})
}

// TestOIDCLogin logs in through an in-process OpenID provider: redirect with PKCE, callback,
// session; the first login links the identity by verified e-mail; unknown people get no account.
func TestOIDCLogin(t *testing.T) {
	st := storetest.SQLite(t)
	e := newEnv(t, st)
	op := authtest.Start(t, "vigie", "s3cret")
	o, err := auth.NewOIDC(auth.OIDCConfig{Issuer: op.URL, ClientID: "vigie", ClientSecret: "s3cret",
		RedirectURL: e.http.URL + "/api/v1/auth/oidc/callback"}, nil)
	require.NoError(t, err)
	e.srv.deps.OIDC = o

	login := func(u authtest.User) (*http.Client, response) {
		op.LogInAs(u)
		b := browser(t)
		start := e.do(b, request{method: "GET", path: "/api/v1/auth/oidc/login?return_to=/ecoles"})
		require.Equal(t, http.StatusFound, start.status, string(start.body))
		loc := start.header.Get("Location")
		require.True(t, strings.HasPrefix(loc, op.URL+"/authorize?"), loc)
		resp, err := b.Get(loc) // the provider logs the user in and sends the browser back
		require.NoError(t, err)
		resp.Body.Close()
		back, err := url.Parse(resp.Header.Get("Location"))
		require.NoError(t, err)
		return b, e.do(b, request{method: "GET", path: back.RequestURI()})
	}

	b, cb := login(authtest.User{Subject: "agent-1", Email: "SA@ac-test.fr", EmailVerified: true, Name: "Sandrine"})
	require.Equal(t, http.StatusFound, cb.status, string(cb.body))
	assert.Equal(t, "/ecoles", cb.header.Get("Location"))
	me := e.do(b, request{method: "GET", path: "/api/v1/me"})
	require.Equal(t, http.StatusOK, me.status)
	var s sessionJSON
	me.json(t, &s)
	assert.Equal(t, "sa", s.User.Login)
	assert.Equal(t, "oidc", s.Method)

	// Next time the identity is known even if the e-mail changed at the provider.
	_, cb = login(authtest.User{Subject: "agent-1", Email: "autre@ac-test.fr", EmailVerified: true})
	assert.Equal(t, http.StatusFound, cb.status)

	_, cb = login(authtest.User{Subject: "agent-2", Email: "inconnu@ac-test.fr", EmailVerified: true})
	assert.Equal(t, http.StatusForbidden, cb.status)
	assert.Contains(t, string(cb.body), "unknown_account")
	_, cb = login(authtest.User{Subject: "agent-3", Email: "sup@ac-test.fr", EmailVerified: false})
	assert.Equal(t, http.StatusForbidden, cb.status, "an unverified e-mail links nothing")

	// A callback whose state is not this browser's is refused.
	forged := e.do(browser(t), request{method: "GET", path: "/api/v1/auth/oidc/callback?code=x&state=y"})
	assert.Equal(t, http.StatusUnauthorized, forged.status)
	assert.Equal(t, "/", localPath("//evil.example/"), "no open redirect")
	assert.Equal(t, "/", localPath("https://evil.example/"))
}

// TestRoutesHaveKnownActions: every route names an action, and the policy allows each one
// to someone (an action the policy does not know would be refused to everybody).
func TestRoutesHaveKnownActions(t *testing.T) {
	authz, _ := compiledPolicies(t)
	s := &Server{}
	s.routes = s.routeTable()
	subjects := []policy.Subject{
		{ID: "sup", Grants: []policy.Grant{{Academy: "poitiers", Role: "supervisor"}}},
		{ID: "aut", Grants: []policy.Grant{{Academy: "poitiers", Role: "policy_author"}}},
		{ID: "sa", Grants: []policy.Grant{{Academy: "poitiers", Role: "school_admin", UAIs: []string{uaiOwn}}}},
		{ID: "root", PlatformAdmin: true},
	}
	for _, r := range s.routes {
		require.NotEmpty(t, r.action, "%s %s", r.method, r.path)
		if r.action == ActionPublic {
			assert.True(t, slices.Contains([]string{"/healthz", "/readyz", "/metrics", api + "/openapi.json", api + "/auth/login",
				api + "/auth/oidc/login", api + "/auth/oidc/callback", api + "/unsubscribe/:token"}, r.path), "unexpected public route %s", r.path)
			continue
		}
		allowed := false
		for _, sub := range subjects {
			for _, uai := range []string{"", uaiOwn} {
				d, err := authz.Decide(context.Background(), policy.Request{Subject: sub, Action: string(r.action), Academy: "poitiers", UAI: uai})
				require.NoError(t, err)
				d2, err := authz.Decide(context.Background(), policy.Request{Subject: sub, Action: string(r.action)})
				require.NoError(t, err)
				allowed = allowed || d.Allow || d2.Allow
			}
		}
		assert.True(t, allowed, "action %s of %s %s is allowed to nobody", r.action, r.method, r.path)
	}
}

// TestOpenAPIDocument checks the document against the route table, both ways.
func TestOpenAPIDocument(t *testing.T) {
	e := newEnv(t, storetest.SQLite(t))
	resp := e.do(nil, request{method: "GET", path: "/api/v1/openapi.json"})
	require.Equal(t, http.StatusOK, resp.status)
	var doc map[string]any
	resp.json(t, &doc)
	assert.Equal(t, "3.1.0", doc["openapi"])
	paths := doc["paths"].(map[string]any)
	documented := 0
	for _, item := range paths {
		documented += len(item.(map[string]any))
	}
	assert.Equal(t, len(e.srv.routes), documented, "one operation per route")
	docs := opDocs()
	for _, r := range e.srv.routes {
		d, ok := docs[r.method+" "+r.path]
		if !assert.True(t, ok, "route %s %s is not documented", r.method, r.path) {
			continue
		}
		assert.NotEmpty(t, d.summary)
		assert.NotZero(t, d.status)
		op := paths[openAPIPath(r.path)].(map[string]any)[strings.ToLower(r.method)].(map[string]any)
		assert.Equal(t, string(r.action), op["x-vigie-action"])
		for _, m := range pathParam.FindAllStringSubmatch(r.path, -1) {
			assert.Contains(t, string(mustJSON(t, op["parameters"])), `"in":"path","name":"`+m[1]+`"`, "%s %s", r.method, r.path)
		}
		if r.method == http.MethodPost && r.class != classUpload && d.body == nil && !strings.HasSuffix(r.path, "/runs") && !strings.HasSuffix(r.path, "/logout") && !strings.Contains(r.path, "/unsubscribe/") {
			t.Errorf("%s %s takes a body that is not documented", r.method, r.path)
		}
	}
	for key := range docs {
		method, path, _ := strings.Cut(key, " ")
		assert.True(t, slices.ContainsFunc(e.srv.routes, func(r route) bool { return r.method == method && r.path == path }), "documented %s has no route", key)
	}
}

func mustJSON(t *testing.T, v any) []byte {
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return b
}

// TestExportsAndUpload: exports open in a spreadsheet with accents intact; a real STS-Web
// export uploaded for a school is accepted, recorded and audited.
func TestExportsAndUpload(t *testing.T) {
	e := newEnv(t, storetest.SQLite(t))
	// The lycée's latest result: a failing check and one no longer in the catalogue.
	ctx, scope := t.Context(), access.Academy(e.poit.ID)
	run, err := e.st.StartRun(ctx, scope, store.Run{AcademyID: e.poit.ID, UAI: "0790029C", Trigger: "manual", RequestedBy: "sup", PolicyVersion: "test"})
	require.NoError(t, err)
	require.NoError(t, e.st.SaveResults(ctx, scope, run.ID, []store.Result{{UAI: "0790029C", Status: "ready", PolicyVersion: "test",
		EvaluatedAt: time.Now(), Report: report("0790029C", "ready"), Checks: []store.CheckResult{
			{CheckID: "siecle.groups_populated", Status: "fail", Severity: "blocker", Items: 1},
			{CheckID: "academy.gone", Status: "unknown", Severity: "warning"},
			{CheckID: "sts.groups_present", Status: "pass", Severity: "blocker"}}}}))
	_, err = e.st.FinishRun(ctx, scope, run.ID, nil)
	require.NoError(t, err)
	csvResp := e.do(nil, request{method: "GET", path: "/api/v1/academies/poitiers/export.csv", token: e.tokens["sup"]})
	require.Equal(t, http.StatusOK, csvResp.status)
	assert.True(t, bytes.HasPrefix(csvResp.body, []byte("\xEF\xBB\xBFUAI;Établissement;Type;Département;")), "%q", csvResp.body[:40])
	assert.Contains(t, string(csvResp.body), "0860001J;Collège Henri IV;Collège;86;;Prêt;")
	assert.Contains(t, string(csvResp.body), "\r\n")
	assert.Contains(t, csvResp.header.Get("Content-Disposition"), "vigie-poitiers-")

	x := e.do(nil, request{method: "GET", path: "/api/v1/academies/poitiers/export.xlsx", token: e.tokens["sup"]})
	require.Equal(t, http.StatusOK, x.status)
	f, err := excelize.OpenReader(bytes.NewReader(x.body))
	require.NoError(t, err)
	rows, err := f.GetRows("Établissements")
	require.NoError(t, err)
	require.Len(t, rows, 3)
	assert.Equal(t, "Établissement", rows[0][1])
	assert.Equal(t, []string{"Contrôles à traiter", "Identifiants des contrôles"}, rows[0][13:])
	assert.Equal(t, []string{"0790029C", "Lycée Jean Macé", "Lycée", "79", "", "Prêt"}, rows[1][:6])
	groups, ok := e.srv.deps.Checks.Check("siecle.groups_populated")
	require.True(t, ok)
	require.Len(t, rows[1], 15)
	assert.ElementsMatch(t, []string{frenchTypo(groups.Title), "academy.gone"}, strings.Split(rows[1][13], " ; "), "the titles the page shows")
	assert.ElementsMatch(t, []string{"siecle.groups_populated", "academy.gone"}, strings.Split(rows[1][14], ", "), "the ids beside them")
	assert.Contains(t, string(csvResp.body), frenchTypo(groups.Title))

	sts, err := os.ReadFile("../ingest/testdata/sts_emp_0790029C_2026.xml")
	require.NoError(t, err)
	body, ct := multipartFiles(t, map[string][]byte{"sts_emp_0790029C_2026.xml": sts})
	up := e.do(nil, request{method: "POST", path: "/api/v1/academies/poitiers/schools/0790029c/imports", body: body, contentType: ct, token: e.tokens["sa"]})
	require.Equal(t, http.StatusOK, up.status, string(up.body))
	var res uploadJSON
	up.json(t, &res)
	require.Len(t, res.Files, 1)
	assert.Equal(t, 1, res.Accepted, "%+v", res.Files[0])
	assert.Equal(t, "sts", res.Files[0].Import.Kind)
	assert.Equal(t, 1, res.Snapshots)
	entries, _ := os.ReadDir(e.dataDir + "/uploads")
	assert.Empty(t, entries, "temporary files are removed")

	detail := e.do(nil, request{method: "GET", path: "/api/v1/academies/poitiers/imports/" + itoa(int(res.Files[0].Import.ID)), token: e.tokens["sa"]})
	assert.Equal(t, http.StatusOK, detail.status)
	rejected := e.do(nil, request{method: "GET", path: "/api/v1/academies/poitiers/imports/" + itoa(int(e.ids["import:"+uaiOwn])), token: e.tokens["sa"]})
	assert.Contains(t, string(rejected.body), "fichier tronqué", "detail with errors")

	big := bytes.Repeat([]byte("x"), 2<<20)
	body, ct = multipartFiles(t, map[string][]byte{"gros.xml": big})
	tooBig := e.do(nil, request{method: "POST", path: "/api/v1/academies/poitiers/schools/0790029C/imports", body: body, contentType: ct, token: e.tokens["sa"]})
	assert.Equal(t, http.StatusRequestEntityTooLarge, tooBig.status)

	// Another school's export: refused, and the upload result and the school's page say why,
	// in French, with the file, the line and the field.
	body, ct = multipartFiles(t, map[string][]byte{"sts_emp_0790029C_2026.xml": sts})
	up = e.do(nil, request{method: "POST", path: "/api/v1/academies/poitiers/schools/" + uaiSibling + "/imports", body: body, contentType: ct, token: e.tokens["sup"]})
	require.Equal(t, http.StatusOK, up.status, string(up.body))
	res = uploadJSON{}
	up.json(t, &res)
	require.Len(t, res.Files, 1)
	assert.Equal(t, 1, res.Rejected)
	why := "sts_emp_0790029C_2026.xml, ligne 5, champ PARAMETRES/UAJ@CODE : ce fichier concerne l'établissement 0790029C, pas " + uaiSibling
	assert.Contains(t, res.Files[0].Error, why)
	b := browser(t)
	e.loginPage(b, "sup")
	page := e.do(b, request{method: http.MethodGet, path: "/academies/poitiers/etablissements/" + uaiSibling})
	require.Equal(t, http.StatusOK, page.status)
	assert.Contains(t, string(page.body), "Refusé</p> "+html.EscapeString(why))
}

// TestHardening: secure headers, request ids, JSON errors that leak nothing, body limits.
func TestHardening(t *testing.T) {
	e := newEnv(t, storetest.SQLite(t))
	r := e.do(nil, request{method: "GET", path: "/api/v1/academies/poitiers/schools", token: e.tokens["sup"], header: map[string]string{"X-Request-Id": "mon-script-0001"}})
	assert.Equal(t, "mon-script-0001", r.header.Get("X-Request-Id"))
	for _, h := range []string{"X-Content-Type-Options", "X-Frame-Options", "Content-Security-Policy", "Referrer-Policy", "Cache-Control"} {
		assert.NotEmpty(t, r.header.Get(h), h)
	}
	nf := e.do(nil, request{method: "GET", path: "/api/v1/nulle-part", token: e.tokens["sup"]})
	assert.Equal(t, http.StatusNotFound, nf.status)
	assert.Contains(t, string(nf.body), `"code":"not_found"`)
	bad := e.do(nil, request{method: "GET", path: "/api/v1/academies/poitiers/schools?sort=drop", token: e.tokens["sup"]})
	assert.Equal(t, http.StatusBadRequest, bad.status)
	assert.Contains(t, string(bad.body), "Données invalides")
	unknownField := e.do(nil, request{method: "POST", path: "/api/v1/academies/poitiers/schools/0790029C/exemptions", token: e.tokens["sup"],
		body: map[string]string{"check": "sts.groups_present", "reason": "x", "until": "2027-01-01", "admin": "oui"}})
	assert.Equal(t, http.StatusBadRequest, unknownField.status)
	huge := e.do(nil, request{method: "POST", path: "/api/v1/academies/poitiers/schools/0790029C/exemptions", token: e.tokens["sup"],
		body: []byte(`{"reason":"` + strings.Repeat("a", 2<<20) + `"}`), contentType: "application/json"})
	assert.Equal(t, http.StatusRequestEntityTooLarge, huge.status)
	badTok := e.do(nil, request{method: "GET", path: "/api/v1/me", token: "vigie_pat_nimportequoi"})
	assert.Equal(t, http.StatusUnauthorized, badTok.status)
	assert.NotEmpty(t, badTok.header.Get("WWW-Authenticate"))
}

// TestViewCacheFollowsRuns: a cached summary and school list change as soon as a run finishes.
func TestViewCacheFollowsRuns(t *testing.T) {
	e := newEnv(t, storetest.SQLite(t))
	get := func(path string) []byte {
		r := e.do(nil, request{method: "GET", path: path, token: e.tokens["sup"]})
		require.Equal(t, http.StatusOK, r.status, string(r.body))
		return r.body
	}
	var before, again, after summaryJSON
	require.NoError(t, json.Unmarshal(get("/api/v1/academies/poitiers/summary"), &before))
	require.NoError(t, json.Unmarshal(get("/api/v1/academies/poitiers/summary"), &again))
	assert.Equal(t, before, again)
	run := e.do(nil, request{method: "POST", path: "/api/v1/academies/poitiers/runs", token: e.tokens["sup"]})
	require.Equal(t, http.StatusCreated, run.status, string(run.body))
	var r runJSON
	run.json(t, &r)
	require.NoError(t, json.Unmarshal(get("/api/v1/academies/poitiers/summary"), &after))
	require.NotNil(t, after.LatestRun)
	assert.Equal(t, r.ID, after.LatestRun.ID)
	assert.Contains(t, string(get("/api/v1/academies/poitiers/schools")), `"run_id":`+itoa(int(r.ID)))
}
