package httpapi

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // seeding the benchmark database in bulk

	"github.com/stretchr/testify/require"

	"github.com/vigie-edu/vigie/internal/access"
	"github.com/vigie-edu/vigie/internal/auth"
	"github.com/vigie-edu/vigie/internal/campaign"
	"github.com/vigie-edu/vigie/internal/importer"
	"github.com/vigie-edu/vigie/internal/ingest"
	"github.com/vigie-edu/vigie/internal/store"
	"github.com/vigie-edu/vigie/internal/store/storetest"
)

// BenchmarkAcademyView measures the academy summary and the school list of an academy of
// 1,000 schools with 60 days of history (60 academy runs, 60,000 results, 1.38 million check
// outcomes) on PostgreSQL, under concurrent load from a load generator in this process over
// loopback, for a bounded time (VIGIE_BENCH_SECONDS, default 5 s per endpoint; VIGIE_BENCH_WORKERS,
// default 8).
// It reports p50 and p99 latencies and their ratio to /healthz measured the same way.
func BenchmarkAcademyView(b *testing.B) {
	ctx := context.Background()
	url := storetest.NewPostgresDatabase(b)
	st, err := store.Open(ctx, url, storetest.Logger(b))
	require.NoError(b, err)
	b.Cleanup(func() { _ = st.Close() })
	_, err = st.Migrate(ctx)
	require.NoError(b, err)
	token := seedAcademy(b, st, url, 1000, 60)

	authz, cat := compiledPolicies(b)
	logger := storetest.Logger(b)
	srv, err := New(Deps{Store: st, Logger: logger, Authorizer: authz, Importer: importer.New(st, logger, ingest.DefaultLimits(), nil),
		Checks: cat, Options: Options{DataDir: b.TempDir()}})
	require.NoError(b, err)
	ts := httptest.NewServer(srv.Handler())
	b.Cleanup(ts.Close)

	seconds := 5 * time.Second
	if v := os.Getenv("VIGIE_BENCH_SECONDS"); v != "" {
		d, err := time.ParseDuration(v + "s")
		require.NoError(b, err)
		seconds = d
	}
	workers := 8
	if v := os.Getenv("VIGIE_BENCH_WORKERS"); v != "" {
		_, err := fmt.Sscan(v, &workers)
		require.NoError(b, err)
	}
	base := load(b, ts.URL+"/healthz", "", workers, seconds/2)
	for _, ep := range []struct{ name, path string }{
		{"summary", "/api/v1/academies/bench/summary"},
		{"schools", "/api/v1/academies/bench/schools?sort=status&per_page=50&page=3"},
		{"schools_filtered", "/api/v1/academies/bench/schools?status=not_ready&check=siecle.groups_populated&departement=79"},
	} {
		b.Run(ep.name, func(b *testing.B) {
			// The first request computes the view (the cache is empty after each run); the
			// load then measures what supervisors see all day.
			cold := load(b, ts.URL+ep.path, token, 1, time.Nanosecond)
			b.ReportMetric(float64(cold.p50.Microseconds())/1000, "cold-ms")
			var r loadResult
			for b.Loop() {
				r = load(b, ts.URL+ep.path, token, workers, seconds)
			}
			b.ReportMetric(float64(r.p50.Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(r.p99.Microseconds())/1000, "p99-ms")
			b.ReportMetric(r.rps, "req/s")
			b.ReportMetric(float64(r.p99)/float64(base.p99), "p99/healthz-p99")
			b.Logf("%s: first request %s; then %d requests in %s by %d workers: p50 %s, p99 %s, %.0f req/s (healthz p50 %s, p99 %s)",
				ep.name, cold.p50, r.n, seconds, workers, r.p50, r.p99, r.rps, base.p50, base.p99)
		})
	}
}

type loadResult struct {
	n        int
	p50, p99 time.Duration
	rps      float64
}

// load sends GET requests to url from workers goroutines for d and returns the latencies.
func load(b *testing.B, url, token string, workers int, d time.Duration) loadResult {
	b.Helper()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: workers}, Timeout: 10 * time.Second}
	deadline := time.Now().Add(d)
	var mu sync.Mutex
	var lat []time.Duration
	var failed error
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			for first := true; first || time.Now().Before(deadline); first = false { // at least one request
				req, _ := http.NewRequest(http.MethodGet, url, nil)
				if token != "" {
					req.Header.Set("Authorization", "Bearer "+token)
				}
				start := time.Now()
				resp, err := client.Do(req)
				if err == nil {
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK {
						err = fmt.Errorf("%s: status %d", url, resp.StatusCode)
					}
				}
				if err != nil {
					mu.Lock()
					failed = err
					mu.Unlock()
					return
				}
				mine = append(mine, time.Since(start))
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	require.NoError(b, failed)
	require.NotEmpty(b, lat)
	slices.Sort(lat)
	return loadResult{n: len(lat), p50: lat[len(lat)/2], p99: lat[len(lat)*99/100], rps: float64(len(lat)) / d.Seconds()}
}

// seedAcademy creates academy "bench" with n schools and days daily academy runs, each with a
// result per school and an outcome per national check, and returns a supervisor's token.
// Schools and accounts go through the store; the history is inserted in bulk with SQL.
func seedAcademy(b *testing.B, st *store.Store, url string, n, days int) string {
	b.Helper()
	ctx := context.Background()
	sys := access.System()
	a, err := st.CreateAcademy(ctx, sys, "bench", "Académie de test")
	require.NoError(b, err)
	depts := []string{"16", "17", "79", "86"}
	var schools []campaign.School
	for i := 0; len(schools) < n; i++ {
		digits := fmt.Sprintf("%s%05d", depts[i%4][:2], i)[:7]
		letter, err := campaign.UAICheckLetter(digits)
		if err != nil {
			continue
		}
		kind := campaign.KindCollege
		if i%3 == 0 {
			kind = campaign.KindLycee
		}
		schools = append(schools, campaign.School{UAI: digits + string(letter), Name: fmt.Sprintf("Établissement %d", i), Kind: kind,
			Departement: depts[i%4], Bassin: fmt.Sprintf("B%d", i%12)})
	}
	_, err = st.UpsertSchools(ctx, sys, a.ID, schools)
	require.NoError(b, err)

	db, err := sql.Open("pgx", url)
	require.NoError(b, err)
	defer db.Close()
	start := time.Date(2026, 9, 1, 5, 0, 0, 0, time.UTC)
	_, err = db.ExecContext(ctx, `
		INSERT INTO runs (academy_id, trigger, requested_by, policy_version, started_at, finished_at, status, schools)
		SELECT $1, 'schedule', 'system', 'v1', $2::timestamptz + (d || ' days')::interval,
		       $2::timestamptz + (d || ' days')::interval + interval '3 minutes', 'done', $3
		FROM generate_series(0, $4 - 1) d`, a.ID, start, n, days)
	require.NoError(b, err)
	_, err = db.ExecContext(ctx, `
		INSERT INTO results (run_id, academy_id, uai, policy_version, evaluated_at, final, status, blockers, errors, warnings, unknown, todo, pupils_affected, report)
		SELECT r.id, s.academy_id, s.uai, 'v1', r.started_at + interval '1 minute', true,
		       (ARRAY['ready','at_risk','not_ready'])[1 + abs(hashtext(s.uai || r.id)) % 3],
		       abs(hashtext(s.uai || r.id)) % 3, abs(hashtext(r.id || s.uai)) % 4, 2, 0, 5, 40, '\x00'::bytea
		FROM runs r JOIN schools s ON s.academy_id = r.academy_id WHERE r.academy_id = $1`, a.ID)
	require.NoError(b, err)
	checks := catalogueIDs(b)
	_, err = db.ExecContext(ctx, `
		INSERT INTO check_results (result_id, run_id, academy_id, uai, check_id, status, severity, items)
		SELECT x.id, x.run_id, x.academy_id, x.uai, c,
		       (ARRAY['pass','pass','pass','fail','unknown'])[1 + abs(hashtext(x.uai || c || x.run_id)) % 5], 'error', 3
		FROM results x CROSS JOIN unnest($2::text[]) c WHERE x.academy_id = $1`, a.ID, checks)
	require.NoError(b, err)
	_, err = db.ExecContext(ctx, `ANALYZE`)
	require.NoError(b, err)

	u, err := st.CreateUser(ctx, sys, store.NewUser{Login: "bench"}, store.SystemActor("bench"))
	require.NoError(b, err)
	_, err = st.AddGrant(ctx, sys, access.Grant{UserID: u.ID, AcademyID: a.ID, Role: access.Supervisor}, store.SystemActor("bench"))
	require.NoError(b, err)
	secret, err := auth.NewToken()
	require.NoError(b, err)
	_, err = st.CreateToken(ctx, sys, store.Token{UserID: u.ID, Name: "bench", Prefix: secret[:auth.TokenShownPrefix], Scopes: []string{ScopeRead},
		ExpiresAt: time.Now().Add(time.Hour)}, auth.HashSecret(secret), store.SystemActor("bench"))
	require.NoError(b, err)
	return secret
}

func catalogueIDs(b *testing.B) []string {
	_, cat := compiledPolicies(b)
	return cat.IDs()
}
