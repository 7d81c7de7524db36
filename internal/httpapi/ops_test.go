package httpapi

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigie-edu/vigie/internal/importer"
	"github.com/vigie-edu/vigie/internal/ingest"
	"github.com/vigie-edu/vigie/internal/metrics"
	"github.com/vigie-edu/vigie/internal/store/storetest"
)

func get(t *testing.T, url, token string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	require.NoError(t, err)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}

// TestMetricsRoute: every request is counted under its route pattern with the status sent,
// and /metrics is served to the bearer of the metrics token only, when one is set.
func TestMetricsRoute(t *testing.T) {
	for _, token := range []string{"", "a-long-metrics-token"} {
		st := storetest.SQLite(t)
		authz, cat := compiledPolicies(t)
		logger := storetest.Logger(t)
		m := metrics.New(metrics.Options{Version: "test"})
		srv, err := New(Deps{Store: st, Logger: logger, Authorizer: authz, Importer: importer.New(st, logger, ingest.DefaultLimits(), nil),
			Checks: cat, Options: Options{DataDir: t.TempDir()}, Metrics: m.Handler(), MetricsToken: token,
			Observer: Observer{Started: m.RequestStarted, Done: m.RequestDone}})
		require.NoError(t, err)
		ts := httptest.NewServer(srv.Handler())
		t.Cleanup(ts.Close)

		code, _ := get(t, ts.URL+"/api/v1/academies/poitiers/schools/0790029C", "")
		assert.Equal(t, http.StatusUnauthorized, code)
		code, _ = get(t, ts.URL+"/healthz", "")
		assert.Equal(t, http.StatusOK, code)
		code, _ = get(t, ts.URL+"/no/such/page?secret=1", "")
		assert.Equal(t, http.StatusNotFound, code)

		if token != "" {
			code, body := get(t, ts.URL+"/metrics", "")
			assert.Equal(t, http.StatusUnauthorized, code)
			assert.Contains(t, body, `"code":"unauthorized"`)
			code, _ = get(t, ts.URL+"/metrics", "wrong")
			assert.Equal(t, http.StatusUnauthorized, code)
		}
		code, body := get(t, ts.URL+"/metrics", token)
		require.Equal(t, http.StatusOK, code, body)
		assert.Contains(t, body, `vigie_http_request_duration_seconds_count{code="401",method="GET",route="/api/v1/academies/:academy/schools/:uai"} 1`)
		assert.Contains(t, body, `vigie_http_request_duration_seconds_count{code="200",method="GET",route="/healthz"} 1`)
		assert.Contains(t, body, `vigie_http_request_duration_seconds_count{code="404",method="GET",route="unmatched"} 1`)
		assert.NotContains(t, body, "secret", "raw paths never become labels")
		assert.Contains(t, body, "vigie_http_requests_in_flight 1", "the scrape itself is in flight")
	}
}

// TestAdmin: the admin handler reads and changes the log level and serves the profiler.
func TestAdmin(t *testing.T) {
	var level slog.LevelVar
	m := metrics.New(metrics.Options{})
	ts := httptest.NewServer(NewAdmin(AdminOptions{Logger: storetest.Logger(t), Level: &level, Metrics: m.Handler()}))
	t.Cleanup(ts.Close)
	put := func(body string) int {
		req, err := http.NewRequest(http.MethodPut, ts.URL+"/log-level", strings.NewReader(body))
		require.NoError(t, err)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	code, body := get(t, ts.URL+"/log-level", "")
	assert.Equal(t, http.StatusOK, code)
	assert.Equal(t, "info\n", body)
	assert.Equal(t, http.StatusOK, put("debug\n"))
	assert.Equal(t, slog.LevelDebug, level.Level())
	assert.Equal(t, http.StatusBadRequest, put("verbose"))
	assert.Equal(t, slog.LevelDebug, level.Level(), "a bad level changes nothing")
	code, body = get(t, ts.URL+"/debug/pprof/", "")
	assert.Equal(t, http.StatusOK, code)
	assert.Contains(t, body, "goroutine")
	code, body = get(t, ts.URL+"/metrics", "")
	assert.Equal(t, http.StatusOK, code)
	assert.Contains(t, body, "go_goroutines")
}
