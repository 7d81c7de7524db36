package main

import (
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var adminRE = regexp.MustCompile(`"msg":"admin listener on[^"]*","addr":"([^"]+)"`)

func call(t *testing.T, method, url, token, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
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

// TestOperations runs `vigie serve` configured from the environment only, as a container
// runs it: /metrics needs the metrics token; the admin port serves the profiler and changes
// the log level at run time; logs are JSON lines carrying request ids.
func TestOperations(t *testing.T) {
	const token = "metrics-token-0123456789"
	base, _, stderr := startVigie(t, map[string]string{
		"VIGIE_DATABASE_URL": filepath.Join(t.TempDir(), "vigie.db"), "VIGIE_DATA_DIR": t.TempDir(), "VIGIE_ADDR": "127.0.0.1:0",
		"VIGIE_ADMIN_ADDR": "127.0.0.1:0", "VIGIE_METRICS_TOKEN": token, "VIGIE_LOG_FORMAT": "json", "VIGIE_SCHEDULER": "false",
	}, "serve")
	waitReady(t, base)

	code, _ := call(t, http.MethodGet, base+"/metrics", "", "")
	assert.Equal(t, http.StatusUnauthorized, code)
	code, body := call(t, http.MethodGet, base+"/metrics", token, "")
	require.Equal(t, http.StatusOK, code)
	assert.Contains(t, body, `vigie_http_request_duration_seconds_count{code="200",method="GET",route="/readyz"}`)
	assert.Contains(t, body, "vigie_build_info{")
	assert.Contains(t, body, "\nvigie_state_up 1\n", "the platform state is read from the database")

	m := adminRE.FindStringSubmatch(stderr.String())
	require.NotNil(t, m, "admin address logged:\n%s", stderr)
	admin := "http://" + m[1]
	code, body = call(t, http.MethodGet, admin+"/log-level", "", "")
	require.Equal(t, http.StatusOK, code)
	assert.Equal(t, "info\n", body)
	code, body = call(t, http.MethodGet, admin+"/debug/pprof/", "", "")
	assert.Equal(t, http.StatusOK, code)
	assert.Contains(t, body, "heap")

	// At info, a successful request is not logged; at debug it is, with its request id.
	call(t, http.MethodGet, base+"/healthz?before", "", "")
	code, _ = call(t, http.MethodPut, admin+"/log-level", "", "debug")
	require.Equal(t, http.StatusOK, code)
	req, err := http.NewRequest(http.MethodGet, base+"/healthz", nil)
	require.NoError(t, err)
	req.Header.Set("X-Request-Id", "ops-test-request-42")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	deadline := time.Now().Add(5 * time.Second)
	var logged map[string]any
	for logged == nil && time.Now().Before(deadline) {
		for _, line := range strings.Split(stderr.String(), "\n") {
			if strings.Contains(line, "ops-test-request-42") {
				require.NoError(t, json.Unmarshal([]byte(line), &logged), "a JSON line: %s", line)
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	require.NotNil(t, logged, "the request is logged at debug:\n%s", stderr)
	assert.Equal(t, "DEBUG", logged["level"])
	assert.Equal(t, "/healthz", logged["route"])
	assert.Equal(t, "ops-test-request-42", logged["request_id"])
	assert.Equal(t, 1, strings.Count(stderr.String(), `"route":"/healthz"`), "the request before the change was not logged")
	assert.Contains(t, stderr.String(), `"msg":"log level changed"`)
}

// TestServeLeavesMigrationsToTheJob: with VIGIE_MIGRATE=false (the Kubernetes replicas), serve
// does not migrate and is not ready until `vigie migrate up` (the migration Job) has run.
func TestServeLeavesMigrationsToTheJob(t *testing.T) {
	vars := map[string]string{"VIGIE_DATABASE_URL": filepath.Join(t.TempDir(), "vigie.db"), "VIGIE_DATA_DIR": t.TempDir(),
		"VIGIE_ADDR": "127.0.0.1:0", "VIGIE_MIGRATE": "false", "VIGIE_SCHEDULER": "false"}
	base, _, _ := startVigie(t, vars, "serve")
	code, body := call(t, http.MethodGet, base+"/readyz", "", "")
	assert.Equal(t, http.StatusServiceUnavailable, code)
	assert.Contains(t, body, "migrations pending")
	code, _ = call(t, http.MethodGet, base+"/healthz", "", "")
	assert.Equal(t, http.StatusOK, code, "alive all the same: liveness does not restart it")

	var out, errb syncBuffer
	require.Equal(t, 0, run(t.Context(), []string{"migrate", "up"}, envFrom(vars), &out, &errb), errb.String())
	waitReady(t, base)
}
