package policy

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"

	"github.com/vigie-edu/vigie/internal/readiness/readinesstest"
	"github.com/vigie-edu/vigie/policies"
)

// benchInput is a typical lycée's policy input: the snapshot as stored, the input as JSON and
// as a Go map.
func benchInput(b *testing.B) (snapJSON, inputJSON []byte, inputMap map[string]any) {
	b.Helper()
	snap := readinesstest.Snapshot(readinesstest.Lycee(readinesstest.UAI(1)))
	snapJSON, err := json.Marshal(snap)
	if err != nil {
		b.Fatal(err)
	}
	in := map[string]any{
		"uai": snap.UAI, "school_year": 2026, "now": "2026-10-05T11:30:00+02:00", "today": "2026-10-05",
		"school": map[string]any{"uai": snap.UAI, "name": "Lycée", "kind": "lycee", "uses_groups": nil,
			"academy": "poitiers", "departement": "79"},
		"facts": json.RawMessage(snapJSON),
	}
	if inputJSON, err = json.Marshal(in); err != nil {
		b.Fatal(err)
	}
	if err := json.Unmarshal(inputJSON, &inputMap); err != nil {
		b.Fatal(err)
	}
	return snapJSON, inputJSON, inputMap
}

// BenchmarkInput compares the ways to turn a school's input into an OPA value; the ratio is
// each one's time over Vigie's direct decoder, measured in the same run.
func BenchmarkInput(b *testing.B) {
	_, inJSON, inMap := benchInput(b)
	snap := readinesstest.Snapshot(readinesstest.Lycee(readinesstest.UAI(1)))
	ways := []struct {
		name string
		conv func() error
	}{
		{"direct_json", func() error { _, err := parseJSONValue(inJSON); return err }},
		{"opa_value_from_reader", func() error { _, err := ast.ValueFromReader(bytes.NewReader(inJSON)); return err }},
		{"go_map_interface_to_value", func() error { _, err := ast.InterfaceToValue(inMap); return err }},
		{"struct_interface_to_value", func() error { _, err := ast.InterfaceToValue(snap); return err }},
	}
	var base time.Duration
	for _, w := range ways {
		b.Run(w.name, func(b *testing.B) {
			start := time.Now()
			for b.Loop() {
				if err := w.conv(); err != nil {
					b.Fatal(err)
				}
			}
			per := time.Since(start) / time.Duration(b.N)
			if w.name == "direct_json" {
				base = per
			} else if base > 0 {
				b.ReportMetric(float64(per)/float64(base), "x_direct")
			}
		})
	}
}

// BenchmarkEvaluate measures one typical lycée: OPA's prepared query alone on a converted input,
// with OPA's own result conversion (raw), against Set.Evaluate (results read as terms into Go
// structs), in the same loop.
func BenchmarkEvaluate(b *testing.B) {
	files, err := LoadFS(policies.FS, policies.ReadinessDir)
	if err != nil {
		b.Fatal(err)
	}
	set, err := Compile(context.Background(), files)
	if err != nil {
		b.Fatal(err)
	}
	_, inJSON, _ := benchInput(b)
	in, err := InputFromJSON(inJSON)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	var raw, vigie time.Duration
	for b.Loop() {
		start := time.Now()
		if _, err := set.all.Eval(ctx, rego.EvalParsedInput(in.v)); err != nil {
			b.Fatal(err)
		}
		mid := time.Now()
		if _, err := set.Evaluate(ctx, in); err != nil {
			b.Fatal(err)
		}
		raw += mid.Sub(start)
		vigie += time.Since(mid)
	}
	n := float64(b.N)
	b.ReportMetric(float64(raw.Microseconds())/n/1000, "raw_ms/school")
	b.ReportMetric(float64(vigie.Microseconds())/n/1000, "evaluate_ms/school")
	b.ReportMetric(raw.Seconds()/vigie.Seconds(), "evaluate/raw_throughput")
}

// BenchmarkCompile is the one-time cost of compiling the national set and preparing its
// queries.
func BenchmarkCompile(b *testing.B) {
	files, err := LoadFS(policies.FS, policies.ReadinessDir)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := Compile(context.Background(), files); err != nil {
			b.Fatal(err)
		}
	}
}
