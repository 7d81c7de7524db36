package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/vigie-edu/vigie/internal/access"
	"github.com/vigie-edu/vigie/internal/auth"
	"github.com/vigie-edu/vigie/internal/campaign"
	"github.com/vigie-edu/vigie/internal/importer"
	"github.com/vigie-edu/vigie/internal/ingest"
	"github.com/vigie-edu/vigie/internal/policy"
	"github.com/vigie-edu/vigie/internal/store"
	"github.com/vigie-edu/vigie/internal/store/storetest"
	"github.com/vigie-edu/vigie/policies"
)

// Schools of the test academies: the school admin's own school, another school of the same
// academy, and a school of another academy.
const (
	uaiOwn     = "0790029C"
	uaiSibling = "0860001J"
	uaiForeign = "0330001X"
)

var (
	policiesOnce sync.Once
	authorizer   *policy.Authorizer
	catalogue    policy.Catalogue
	policiesErr  error
)

// compiledPolicies compiles the real authorisation policy and the national readiness set
// once per test binary.
func compiledPolicies(t testing.TB) (*policy.Authorizer, policy.Catalogue) {
	t.Helper()
	policiesOnce.Do(func() {
		ctx := context.Background()
		files, err := policy.LoadFS(policies.FS, policies.AuthzDir)
		if err != nil {
			policiesErr = err
			return
		}
		if authorizer, policiesErr = policy.NewAuthorizer(ctx, files); policiesErr != nil {
			return
		}
		rf, err := policy.LoadFS(policies.FS, policies.ReadinessDir)
		if err != nil {
			policiesErr = err
			return
		}
		set, err := policy.Compile(ctx, rf)
		if err != nil {
			policiesErr = err
			return
		}
		catalogue = set.Catalogue()
	})
	require.NoError(t, policiesErr)
	return authorizer, catalogue
}

// fakeEvaluator records a finished run with one ready result per school, through the store,
// as internal/evaluator does.
type fakeEvaluator struct{ st *store.Store }

func (f fakeEvaluator) run(ctx context.Context, scope access.Scope, a campaign.Academy, uais []string, uai, by string) (store.Run, error) {
	r, err := f.st.StartRun(ctx, scope, store.Run{AcademyID: a.ID, UAI: uai, Trigger: "manual", RequestedBy: by, PolicyVersion: "test"})
	if err != nil {
		return store.Run{}, err
	}
	var rs []store.Result
	for _, u := range uais {
		rs = append(rs, store.Result{UAI: u, Status: "ready", PolicyVersion: "test", EvaluatedAt: time.Now(), Report: report(u, "ready")})
	}
	if err := f.st.SaveResults(ctx, scope, r.ID, rs); err != nil {
		return store.Run{}, err
	}
	return f.st.FinishRun(ctx, scope, r.ID, nil)
}

func (f fakeEvaluator) RunAcademy(ctx context.Context, scope access.Scope, a campaign.Academy, _, by string) (store.Run, error) {
	ss, _, err := f.st.ListSchools(ctx, scope, store.SchoolFilter{})
	if err != nil {
		return store.Run{}, err
	}
	var uais []string
	for _, s := range ss {
		uais = append(uais, s.UAI)
	}
	return f.run(ctx, scope, a, uais, "", by)
}

func (f fakeEvaluator) RunSchool(ctx context.Context, scope access.Scope, a campaign.Academy, uai, _, by string) (store.Run, error) {
	return f.run(ctx, scope, a, []string{uai}, uai, by)
}

func report(uai, status string) []byte {
	return []byte(fmt.Sprintf(`{"uai":%q,"school_year":2026,"evaluated_at":"2026-09-10T06:00:00Z","status":%q,"checks":[{"id":"siecle.groups_populated","status":"fail"}],"todo":[{"check":"siecle.groups_populated"}]}`, uai, status))
}

// env is a running API over a seeded database: two academies, three schools, one account per
// role with a write token, results, imports, runs and an exemption on each side.
type env struct {
	t       *testing.T
	st      *store.Store
	srv     *Server
	http    *httptest.Server
	tokens  map[string]string // role -> token
	ids     map[string]int64  // named objects
	poit    campaign.Academy
	bord    campaign.Academy
	dataDir string
}

const testPassword = "un mot de passe de test"

var (
	hashOnce sync.Once
	pwHash   string
)

func newEnv(t *testing.T, st *store.Store) *env {
	t.Helper()
	ctx := context.Background()
	authz, cat := compiledPolicies(t)
	sys := access.System()
	e := &env{t: t, st: st, tokens: map[string]string{}, ids: map[string]int64{}, dataDir: t.TempDir()}
	var err error
	e.poit, err = st.CreateAcademy(ctx, sys, "poitiers", "Poitiers")
	require.NoError(t, err)
	e.bord, err = st.CreateAcademy(ctx, sys, "bordeaux", "Bordeaux")
	require.NoError(t, err)
	mk := func(uai, name string, kind campaign.Kind) campaign.School {
		s := campaign.School{UAI: uai, Name: name, Kind: kind}
		require.NoError(t, s.Validate())
		return s
	}
	_, err = st.UpsertSchools(ctx, sys, e.poit.ID, []campaign.School{mk(uaiOwn, "Lycée Jean Macé", campaign.KindLycee), mk(uaiSibling, "Collège Henri IV", campaign.KindCollege)})
	require.NoError(t, err)
	_, err = st.UpsertSchools(ctx, sys, e.bord.ID, []campaign.School{mk(uaiForeign, "Lycée Montaigne", campaign.KindLycee)})
	require.NoError(t, err)

	hashOnce.Do(func() { pwHash, _ = auth.HashPassword(testPassword, auth.DefaultParams) })
	users := []struct {
		login string
		g     []access.Grant
	}{
		{"sup", []access.Grant{{AcademyID: e.poit.ID, Role: access.Supervisor}}},
		{"sa", []access.Grant{{AcademyID: e.poit.ID, Role: access.SchoolAdmin, UAIs: []string{uaiOwn}}}},
		{"aut", []access.Grant{{AcademyID: e.poit.ID, Role: access.PolicyAuthor}}},
		{"root", []access.Grant{{Role: access.PlatformAdmin}}},
		{"supb", []access.Grant{{AcademyID: e.bord.ID, Role: access.Supervisor}}},
	}
	for _, u := range users {
		created, err := st.CreateUser(ctx, sys, store.NewUser{Login: u.login, Name: u.login, Email: u.login + "@ac-test.fr", PasswordHash: pwHash}, store.SystemActor("test"))
		require.NoError(t, err)
		e.ids["user:"+u.login] = created.ID
		for _, g := range u.g {
			g.UserID = created.ID
			gr, err := st.AddGrant(ctx, sys, g, store.SystemActor("test"))
			require.NoError(t, err)
			e.ids["grant:"+u.login] = gr.ID
		}
		secret, err := auth.NewToken()
		require.NoError(t, err)
		tk, err := st.CreateToken(ctx, sys, store.Token{UserID: created.ID, Name: "test", Prefix: secret[:auth.TokenShownPrefix],
			Scopes: []string{ScopeWrite}, ExpiresAt: time.Now().Add(time.Hour)}, auth.HashSecret(secret), store.SystemActor("test"))
		require.NoError(t, err)
		e.tokens[u.login] = secret
		e.ids["token:"+u.login] = tk.ID
	}

	// Results: an academy run on each side, then school runs.
	ev := fakeEvaluator{st: st}
	for _, a := range []campaign.Academy{e.poit, e.bord} {
		_, err := ev.RunAcademy(ctx, access.Academy(a.ID), a, "schedule", "system")
		require.NoError(t, err)
	}
	for _, x := range []struct {
		a   campaign.Academy
		uai string
	}{{e.poit, uaiOwn}, {e.poit, uaiSibling}, {e.bord, uaiForeign}} {
		r, err := ev.RunSchool(ctx, access.Academy(x.a.ID), x.a, x.uai, "manual", "system")
		require.NoError(t, err)
		e.ids["run:"+x.uai] = r.ID
		imp, _, err := st.SaveImport(ctx, access.Academy(x.a.ID), store.Import{AcademyID: x.a.ID, UAI: x.uai, Kind: "sts",
			FileName: "sts_emp_" + x.uai + "_2026.xml", Size: 3, SHA256: "sha-" + x.uai, ImportedBy: "test", Outcome: store.ImportRejected,
			Error: "fichier tronqué"}, store.Blob{}, nil)
		require.NoError(t, err)
		e.ids["import:"+x.uai] = imp.ID
		ex, err := st.CreateExemption(ctx, access.Academy(x.a.ID), store.Exemption{AcademyID: x.a.ID, UAI: x.uai,
			CheckID: "sts.groups_present", Reason: "pas de groupes", Until: time.Now().Add(48 * time.Hour)}, store.SystemActor("test"))
		require.NoError(t, err)
		e.ids["exemption:"+x.uai] = ex.ID
	}

	logger := storetest.Logger(t)
	e.srv, err = New(Deps{Store: st, Logger: logger, Version: "test", Authorizer: authz,
		Importer: importer.New(st, logger, ingest.DefaultLimits(), nil), Evaluator: ev, Checks: cat, Policies: testPolicies(t, st),
		Options: Options{CookieSecure: false, DataDir: e.dataDir, UploadMaxBytes: 1 << 20}})
	require.NoError(t, err)
	e.http = httptest.NewServer(e.srv.Handler())
	t.Cleanup(e.http.Close)
	return e
}

// request is one API call.
type request struct {
	method, path string
	body         any // JSON-encoded unless []byte
	contentType  string
	token        string
	header       map[string]string
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t *testing.T, v any) {
	t.Helper()
	require.NoError(t, json.Unmarshal(r.body, v), "body: %s", r.body)
}

func (e *env) do(client *http.Client, r request) response {
	e.t.Helper()
	var body io.Reader
	ct := r.contentType
	switch b := r.body.(type) {
	case nil:
	case []byte:
		body = bytes.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		require.NoError(e.t, err)
		body, ct = bytes.NewReader(raw), "application/json"
	}
	req, err := http.NewRequest(r.method, e.http.URL+r.path, body)
	require.NoError(e.t, err)
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	if r.token != "" {
		req.Header.Set("Authorization", "Bearer "+r.token)
	}
	for k, v := range r.header {
		req.Header.Set(k, v)
	}
	if client == nil {
		client = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	resp, err := client.Do(req)
	require.NoError(e.t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(e.t, err)
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

// browser returns an HTTP client with a cookie jar that does not follow redirects.
func browser(t *testing.T) *http.Client {
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// multipartFiles builds a multipart body with one "file" part per name.
func multipartFiles(t *testing.T, files map[string][]byte) ([]byte, string) {
	t.Helper()
	return uploadForm(t, "", files)
}

// expand fills {academy}, {uai} and {name} placeholders.
func expand(path string, vars map[string]string) string {
	for k, v := range vars {
		path = strings.ReplaceAll(path, "{"+k+"}", v)
	}
	return path
}
