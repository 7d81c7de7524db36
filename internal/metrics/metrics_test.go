package metrics

import (
	"context"
	"errors"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func scrape(t *testing.T, m *Metrics) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	require.Equal(t, 200, rec.Code)
	b, err := io.ReadAll(rec.Body)
	require.NoError(t, err)
	return string(b)
}

// has and hasNot check the exposition text without printing all of it on failure.
func has(t *testing.T, out, want string, msg ...any) {
	t.Helper()
	if !strings.Contains(out, want) {
		t.Errorf("scrape lacks %q %v", want, msg)
	}
}

func hasNot(t *testing.T, out, unwanted string, msg ...any) {
	t.Helper()
	if strings.Contains(out, unwanted) {
		t.Errorf("scrape has %q %v", unwanted, msg)
	}
}

func TestInstruments(t *testing.T) {
	m := New(Options{Version: "1.2.3"})
	m.RequestStarted()
	m.RequestDone("GET", "/api/v1/academies/:academy/summary", 200, 30*time.Millisecond)
	m.RequestStarted()
	m.RequestDone("GET", "", 404, time.Millisecond)
	m.Import("sts", ImportAccepted, 2048)
	m.Import("sts", ImportAccepted, 1024)
	m.Import("", ImportRejected, 10)
	m.Evaluation("poitiers", true, 400, 2*time.Second, false)
	m.Evaluation("poitiers", false, 1, 50*time.Millisecond, false)
	m.Evaluation("poitiers", true, 0, time.Second, true)
	finished := time.Date(2026, 10, 5, 5, 31, 0, 0, time.UTC)
	m.JobRun("evaluate", "done", 90*time.Second, finished)
	m.JobRun("digest", "failed", time.Second, finished)
	m.JobSkipped("evaluate", "locked")

	out := scrape(t, m)
	for _, want := range []string{
		`vigie_build_info{version="1.2.3"} 1`,
		`vigie_http_request_duration_seconds_count{code="200",method="GET",route="/api/v1/academies/:academy/summary"} 1`,
		`vigie_http_request_duration_seconds_count{code="404",method="GET",route="unmatched"} 1`,
		`vigie_http_requests_in_flight 0`,
		`vigie_imports_total{kind="sts",outcome="accepted"} 2`,
		`vigie_import_bytes_total{kind="sts",outcome="accepted"} 3072`,
		`vigie_imports_total{kind="unknown",outcome="rejected"} 1`,
		`vigie_evaluation_schools_total{academy="poitiers"} 401`,
		`vigie_evaluation_last_schools_per_second{academy="poitiers"} 200`,
		`vigie_evaluation_runs_total{outcome="failed",scope="academy"} 1`,
		`vigie_evaluation_duration_seconds_count{scope="school"} 1`,
		`vigie_job_runs_total{job="evaluate",status="done"} 1`,
		`vigie_job_runs_total{job="digest",status="failed"} 1`,
		`vigie_job_skips_total{job="evaluate",reason="locked"} 1`,
		`vigie_job_last_success_timestamp_seconds{job="evaluate"} 1.79117826e+09`,
		`go_goroutines `, `process_resident_memory_bytes `,
	} {
		has(t, out, want)
	}
	hasNot(t, out, `vigie_job_last_success_timestamp_seconds{job="digest"}`, "a failed run is no success")
	hasNot(t, out, "vigie_schools", "no state function, no state gauges")
}

func TestStateIsCachedAndKeptOnError(t *testing.T) {
	now := time.Date(2026, 10, 5, 9, 0, 0, 0, time.UTC)
	reads := 0
	var fail error
	m := New(Options{
		Now:      func() time.Time { return now },
		StateTTL: time.Minute,
		State: func(context.Context) (State, error) {
			reads++
			if fail != nil {
				return State{}, fail
			}
			return State{
				Schools: []SchoolCount{{Academy: "poitiers", Status: "ready", N: 300 + reads}, {Academy: "poitiers", Status: "none", N: 2}},
				Sources: []SourceTime{{Academy: "poitiers", Source: "sts", Newest: now.Add(-36 * time.Hour)}},
			}, nil
		},
	})
	out := scrape(t, m)
	has(t, out, `vigie_schools{academy="poitiers",status="ready"} 301`)
	has(t, out, `vigie_schools{academy="poitiers",status="none"} 2`)
	has(t, out, `vigie_source_age_seconds{academy="poitiers",source="sts"} 129600`)
	has(t, out, `vigie_state_up 1`)

	now = now.Add(30 * time.Second)
	scrape(t, m)
	assert.Equal(t, 1, reads, "read again only once the TTL has passed")

	now = now.Add(time.Minute)
	fail = errors.New("database unreachable")
	out = scrape(t, m)
	assert.Equal(t, 2, reads)
	has(t, out, `vigie_state_up 0`)
	has(t, out, `vigie_schools{academy="poitiers",status="ready"} 301`, "the last good reading stays")
	has(t, out, `vigie_source_age_seconds{academy="poitiers",source="sts"} 129690`, "ages keep growing")

	now = now.Add(time.Minute)
	fail = nil
	out = scrape(t, m)
	has(t, out, `vigie_schools{academy="poitiers",status="ready"} 303`)
	assert.Equal(t, 1, strings.Count(out, "\nvigie_state_up 1\n"))
}
