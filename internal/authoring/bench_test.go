package authoring_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/vigie-edu/vigie/internal/authoring"
	"github.com/vigie-edu/vigie/internal/campaign"
	"github.com/vigie-edu/vigie/internal/policy"
	"github.com/vigie-edu/vigie/internal/readiness"
	"github.com/vigie-edu/vigie/internal/readiness/readinesstest"
)

// benchSchools generates n schools in memory: two collèges (16 divisions of 28, 2 groups
// each) for one lycée (28 divisions of 30, 3 groups each), every check passing.
func benchSchools(tb testing.TB, n int) []authoring.School {
	tb.Helper()
	out := make([]authoring.School, n)
	for i := range n {
		uai := readinesstest.UAI(i + 1)
		spec, kind := readinesstest.Lycee(uai), campaign.KindLycee
		if i%3 != 0 {
			spec = readinesstest.Spec{UAI: uai, Divisions: 16, GroupsPerDivision: 2, PupilsPerDivision: 28, AbsentFromLinks: 6}
			kind = campaign.KindCollege
		}
		b, err := json.Marshal(readinesstest.Snapshot(spec))
		require.NoError(tb, err)
		out[i] = authoring.School{School: readinesstest.School(uai, kind), Snapshot: b}
	}
	return out
}

func benchEngines(tb testing.TB, overrides map[string]any) (*policy.Set, *readiness.Engine) {
	tb.Helper()
	set, err := policy.Compile(context.Background(), national(tb), policy.WithAcademy("poitiers"), policy.WithVersion("bench"),
		policy.WithConfig(overrides))
	require.NoError(tb, err)
	eng, err := readiness.NewEngine(set)
	require.NoError(tb, err)
	return set, eng
}

// BenchmarkPreview1000: the impact preview of a changed threshold (links.absent_ratio from
// 20 % to 1 %: every school fails it) over 1,000 schools, reported with one plain evaluation
// of the same schools measured in the same run (ratio_to_plain; about 2 expected: two
// evaluations and a diff).
func BenchmarkPreview1000(b *testing.B) {
	ctx := context.Background()
	schools := benchSchools(b, 1000)
	beforeSet, before := benchEngines(b, nil)
	afterSet, after := benchEngines(b, map[string]any{"absent_ratio_pct": 1})
	now := readinesstest.Now
	reqs := make([]readiness.Request, len(schools))
	for i, sc := range schools {
		reqs[i] = readiness.Request{School: sc.School, Academy: "poitiers", SchoolYear: 2026, Snapshot: sc.Snapshot}
	}

	// Baseline: one plain evaluation of the same schools, in the same batches.
	start, cpu0 := time.Now(), cpuTime()
	for i := 0; i < len(reqs); i += 100 {
		_, err := before.RunAcademy(ctx, reqs[i:min(i+100, len(reqs))], readiness.RunOptions{Now: now})
		require.NoError(b, err)
	}
	plain, plainCPU := time.Since(start), cpuTime()-cpu0

	var p *authoring.Preview
	cpu1 := cpuTime()
	for b.Loop() {
		d := authoring.NewDiff("poitiers", beforeSet, afterSet, now)
		for i := 0; i < len(schools); i += 100 {
			require.NoError(b, authoring.Compare(ctx, d, before, after, schools[i:min(i+100, len(schools))], now, 0))
		}
		p = d.Finish()
	}
	perPreview := b.Elapsed() / time.Duration(b.N)
	previewCPU := (cpuTime() - cpu1) / time.Duration(b.N)
	require.Equal(b, 1000, p.Schools)
	require.Equal(b, 1000, p.Changed)
	b.ReportMetric(perPreview.Seconds(), "s/preview")
	b.ReportMetric(plain.Seconds(), "s/plain")
	b.ReportMetric(perPreview.Seconds()/plain.Seconds(), "ratio_to_plain")
	if plainCPU > 0 {
		// CPU time, what the work costs the cores: on a shared machine the wall clock also
		// measures the neighbours.
		b.ReportMetric(previewCPU.Seconds(), "cpu_s/preview")
		b.ReportMetric(plainCPU.Seconds(), "cpu_s/plain")
		b.ReportMetric(previewCPU.Seconds()/plainCPU.Seconds(), "cpu_ratio_to_plain")
	}
	b.ReportMetric(p.Timing["diff"], "ms_diff")
	b.ReportMetric(float64(p.PupilsAffected), "pupils_affected")
}
