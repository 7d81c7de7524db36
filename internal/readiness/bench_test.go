package readiness_test

import (
	"context"
	"encoding/json"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/vigie-edu/vigie/internal/campaign"
	"github.com/vigie-edu/vigie/internal/fact"
	"github.com/vigie-edu/vigie/internal/policy"
	"github.com/vigie-edu/vigie/internal/readiness"
	"github.com/vigie-edu/vigie/internal/readiness/readinesstest"
)

// Schools of a typical academy, by kind, in national proportions (2016: 7,130 collèges,
// 2,660 LGT, 1,480 LP): collèges of 16 divisions of 26 pupils with one group each, LGT of 27
// divisions of 30 with three groups each, LP of 18 divisions of 18 with one group each.
func typicalSchool(i int) (*fact.Snapshot, campaign.Kind) {
	uai := readinesstest.UAI(1000 + i)
	switch r := i % 100; {
	case r < 63:
		return readinesstest.Snapshot(readinesstest.Spec{UAI: uai, Divisions: 16, GroupsPerDivision: 1, PupilsPerDivision: 26, AbsentFromLinks: 5}), campaign.KindCollege
	case r < 87:
		return readinesstest.Snapshot(readinesstest.Spec{UAI: uai, Divisions: 27, GroupsPerDivision: 3, PupilsPerDivision: 30, AbsentFromLinks: 12}), campaign.KindLycee
	default:
		return readinesstest.Snapshot(readinesstest.Spec{UAI: uai, Divisions: 18, GroupsPerDivision: 1, PupilsPerDivision: 18, AbsentFromLinks: 4}), campaign.KindLP
	}
}

// withDefects gives a quarter of the schools of an academy the defects of a September: empty
// groups, a missing PP, a stale links file.
func withDefects(s *fact.Snapshot, i int) {
	switch i % 8 {
	case 1:
		for _, g := range s.Groups {
			g.SIECLE.Pupils, g.ENT.Pupils = 0, 0
			break
		}
	case 3:
		for _, d := range s.Divisions {
			d.STS.PP = nil
			break
		}
	}
}

// pool is a set of distinct schools, as stored (JSON) and as converted policy inputs.
type pool struct {
	reqs   []readiness.Request
	inputs []policy.Input
}

const distinct = 100

func newPool(b *testing.B, e *readiness.Engine, defects bool) *pool {
	b.Helper()
	paris := e.Timing().Location
	now := readinesstest.Now.In(paris)
	p := &pool{}
	for i := range distinct {
		snap, kind := typicalSchool(i)
		if defects {
			withDefects(snap, i)
		}
		raw, err := json.Marshal(snap)
		if err != nil {
			b.Fatal(err)
		}
		school := readinesstest.School(snap.UAI, kind)
		p.reqs = append(p.reqs, readiness.Request{School: school, Academy: "poitiers", SchoolYear: 2026, Snapshot: raw})
		in, err := policy.InputWithJSON(map[string]any{
			"uai": snap.UAI, "school_year": 2026, "now": now.Format(time.RFC3339), "today": now.Format(time.DateOnly),
			"school": map[string]any{"uai": snap.UAI, "name": school.Name, "kind": string(kind), "uses_groups": nil,
				"academy": "poitiers", "departement": school.Departement},
		}, "facts", raw)
		if err != nil {
			b.Fatal(err)
		}
		p.inputs = append(p.inputs, in)
	}
	return p
}

// raw evaluates schools from..to-1 with the prepared query on converted inputs: the limit.
func (p *pool) raw(b *testing.B, set *policy.Set, from, to, workers int) time.Duration {
	start := time.Now()
	var wg sync.WaitGroup
	next := make(chan int)
	for range workers {
		wg.Go(func() {
			for i := range next {
				if _, err := set.Evaluate(context.Background(), p.inputs[i%distinct]); err != nil {
					b.Error(err)
				}
			}
		})
	}
	for i := from; i < to; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
	return time.Since(start)
}

// vigie evaluates schools from..to-1 from their stored snapshots to finished reports.
func (p *pool) vigie(b *testing.B, e *readiness.Engine, from, to, workers int) time.Duration {
	reqs := make([]readiness.Request, 0, to-from)
	for i := from; i < to; i++ {
		reqs = append(reqs, p.reqs[i%distinct])
	}
	start := time.Now()
	run, err := e.RunAcademy(context.Background(), reqs, readiness.RunOptions{Now: readinesstest.Now, Workers: workers})
	if err != nil {
		b.Fatal(err)
	}
	if run.Failed > 0 {
		b.Fatalf("%d schools failed", run.Failed)
	}
	return time.Since(start)
}

// chunk is how many schools each side evaluates in turn: alternating small chunks spreads the
// load of a shared machine and each side's garbage collection evenly over both.
const chunk = 50

// benchmarkSchools measures, in the same run, the prepared query alone (a) and Vigie's whole
// evaluation (b) for n schools, and reports schools per second and the ratio (b)/(a).
func benchmarkSchools(b *testing.B, n int, defects bool) {
	e := engine(b)
	p := newPool(b, e, defects)
	for _, mode := range []struct {
		name    string
		workers int
	}{{"sequential", 1}, {"all_cores", runtime.GOMAXPROCS(0)}} {
		b.Run(mode.name, func(b *testing.B) {
			var raw, full time.Duration
			for b.Loop() {
				for from := 0; from < n; from += chunk {
					to := min(from+chunk, n)
					raw += p.raw(b, set, from, to, mode.workers)
					full += p.vigie(b, e, from, to, mode.workers)
				}
			}
			runs := float64(b.N) * float64(n)
			rawRate := runs / raw.Seconds()
			fullRate := runs / full.Seconds()
			b.ReportMetric(rawRate, "raw_schools/s")
			b.ReportMetric(fullRate, "vigie_schools/s")
			b.ReportMetric(fullRate/rawRate, "vigie/raw")
			b.ReportMetric(float64(full.Microseconds())/runs/1000, "vigie_ms/school")
		})
	}
}

// BenchmarkTypicalSchools1000: 1,000 typical schools, every check passing.
func BenchmarkTypicalSchools1000(b *testing.B) { benchmarkSchools(b, 1000, false) }

// BenchmarkAcademy500: an academy of 500 schools in September, a quarter with defects.
func BenchmarkAcademy500(b *testing.B) { benchmarkSchools(b, 500, true) }

// BenchmarkReportOnly measures what Vigie adds after the policies: report, status, to-do.
func BenchmarkWriteText(b *testing.B) {
	snap, kind := typicalSchool(70)
	withDefects(snap, 1)
	raw, _ := json.Marshal(snap)
	rep, err := engine(b).Evaluate(context.Background(),
		readiness.Request{School: readinesstest.School(snap.UAI, kind), SchoolYear: 2026, Snapshot: raw}, readinesstest.Now)
	if err != nil {
		b.Fatal(err)
	}
	var sink discard
	for b.Loop() {
		if err := readiness.WriteText(&sink, rep, nil); err != nil {
			b.Fatal(err)
		}
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
