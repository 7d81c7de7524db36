package policy_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigie-edu/vigie/internal/apperr"
	"github.com/vigie-edu/vigie/internal/policy"
)

func TestCompileReportsProblemsWithPositions(t *testing.T) {
	tests := []struct {
		name   string
		files  []policy.File
		opts   []policy.Option
		module string
		line   int
		column int
		code   string
		msg    string
	}{
		{
			name:   "parse error",
			files:  []policy.File{{Path: "x/bad.rego", Text: []byte("package vigie.x\n\nallow if {\n\tinput.a ==\n}\n")}},
			module: "x/bad.rego", line: 5, column: 1, code: "rego_parse_error",
		},
		{
			name:   "unsafe variable",
			files:  []policy.File{{Path: "x/unsafe.rego", Text: []byte("package vigie.x\n\nallow if {\n\tx > 1\n}\n")}},
			module: "x/unsafe.rego", line: 4, column: 2, code: "rego_unsafe_var_error",
		},
		{
			name:   "undefined function",
			files:  []policy.File{{Path: "x/undef.rego", Text: []byte("package vigie.x\n\nallow if {\n\tnot_a_function(1)\n}\n")}},
			module: "x/undef.rego", line: 4, column: 2, code: "rego_type_error",
		},
		{
			name:   "network built-in refused",
			files:  []policy.File{{Path: "x/net.rego", Text: []byte("package vigie.x\n\nr := http.send({\"method\": \"get\", \"url\": \"http://example.org\"})\n")}},
			module: "x/net.rego", line: 3, code: "rego_type_error",
		},
		{
			name:   "check without metadata",
			files:  []policy.File{{Path: "c/a.rego", Text: []byte("package vigie.checks.a.b\n\nresult := {\"status\": \"pass\", \"items\": []}\n")}},
			module: "c/a.rego", line: 1, code: policy.CodeCatalogue, msg: "has no METADATA annotation",
		},
		{
			name: "invalid severity and missing fix",
			files: []policy.File{{Path: "c/a.rego", Text: []byte(`# METADATA
# scope: package
# title: T
# description: D
# custom:
#   id: a.b
#   severity: fatal
#   step: 3
#   needs: [sts]
#   fix_stage: sts
package vigie.checks.a.b

result := {"status": "pass", "items": []}
`)}},
			module: "c/a.rego", line: 1, code: policy.CodeCatalogue, msg: `custom.severity "fatal"`,
		},
		{
			name:   "id not matching the package",
			files:  []policy.File{{Path: "c/a.rego", Text: []byte(checkModuleFor("a.c", "a.b", `result := {"status": "pass", "items": []}`))}},
			module: "c/a.rego", line: 1, code: policy.CodeCatalogue, msg: `does not match the package`,
		},
		{
			name:   "no result rule",
			files:  []policy.File{{Path: "c/a.rego", Text: []byte(checkModule("a.b", "x := 1\n"))}},
			module: "c/a.rego", line: 1, code: policy.CodeCatalogue, msg: "defines no result rule",
		},
		{
			name: "blocked by an unknown check",
			files: []policy.File{{Path: "c/a.rego", Text: []byte(
				"# METADATA\n# scope: package\n# title: T\n# description: D\n# custom:\n#   id: a.b\n#   severity: error\n#   step: 3\n#   needs: [sts]\n#   fix: F\n#   fix_stage: sts\n#   blocked_by: [z.z]\npackage vigie.checks.a.b\n\nresult := {\"status\": \"pass\", \"items\": []}\n")}},
			module: "c/a.rego", line: 1, code: policy.CodeCatalogue, msg: "unknown check z.z",
		},
		{
			name:   "invalid configuration override",
			files:  nil, // the national set
			opts:   []policy.Option{policy.WithConfig(map[string]any{"tolerance_pct": -1, "checks": map[string]any{"sts.nope": map[string]any{"mode": "loud"}}})},
			module: "config", code: policy.CodeConfig, msg: "tolerance_pct",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := tt.files
			if files == nil {
				files = nationalFiles(t)
			}
			_, err := policy.Compile(context.Background(), files, tt.opts...)
			require.Error(t, err)
			assert.ErrorIs(t, err, apperr.ErrInvalid)
			var ce *policy.CompileError
			require.True(t, errors.As(err, &ce), "error %T: %v", err, err)
			require.NotEmpty(t, ce.Problems)
			p := ce.Problems[0]
			for _, q := range ce.Problems {
				if q.Code == tt.code && (tt.msg == "" || contains(q.Message, tt.msg)) {
					p = q
					break
				}
			}
			assert.Equal(t, tt.code, p.Code, "%+v", ce.Problems)
			assert.Equal(t, tt.module, p.Module)
			if tt.line > 0 {
				assert.Equal(t, tt.line, p.Line)
			}
			if tt.column > 0 {
				assert.Equal(t, tt.column, p.Column)
			}
			if tt.msg != "" {
				assert.Contains(t, p.Message, tt.msg)
			}
		})
	}
}

func contains(s, sub string) bool {
	return len(sub) == 0 || (len(s) >= len(sub) && indexOf(s, sub) >= 0)
}

func indexOf(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return i
		}
	}
	return -1
}

// checkModuleFor declares id in the annotations of package pkg.
func checkModuleFor(id, pkg, rules string) string {
	return "# METADATA\n# scope: package\n# title: T\n# description: D\n# custom:\n#   id: " + id +
		"\n#   severity: error\n#   step: 3\n#   needs: [sts]\n#   fix: F\n#   fix_stage: sts\npackage vigie.checks." + pkg + "\n\n" + rules + "\n"
}

func TestConfigOverridesProblemsNameEveryKey(t *testing.T) {
	_, err := policy.Compile(context.Background(), nationalFiles(t), policy.WithConfig(map[string]any{
		"tolerance_pct":  "ten",
		"freshness_days": map[string]any{"sts": 0, "fax": 3},
		"checks": map[string]any{
			"sts.nope":              map[string]any{"mode": "enforce"},
			"sts.divisions_present": map[string]any{"mode": "loud", "start": "5 octobre"},
		},
		"schools": map[string]any{"0790029C": map[string]any{"uses_groups": "yes", "default_mode": "sometimes"}},
	}))
	var ce *policy.CompileError
	require.ErrorAs(t, err, &ce)
	var msgs []string
	for _, p := range ce.Problems {
		assert.Equal(t, policy.CodeConfig, p.Code)
		msgs = append(msgs, p.Message)
	}
	for _, want := range []string{
		"tolerance_pct: want a non-negative number",
		"freshness_days.sts: want a positive number",
		"freshness_days.fax: unknown source",
		"checks.sts.nope: unknown check",
		"checks.sts.divisions_present.mode",
		"checks.sts.divisions_present.start",
		"schools.0790029C.uses_groups",
		"schools.0790029C.default_mode",
	} {
		found := false
		for _, m := range msgs {
			if contains(m, want) {
				found = true
			}
		}
		assert.True(t, found, "no problem %q in %v", want, msgs)
	}
}

func TestConfigMergesOverridesOverDefaults(t *testing.T) {
	set, err := policy.Compile(context.Background(), nationalFiles(t), policy.WithConfig(map[string]any{
		"tolerance_pct":  15,
		"freshness_days": map[string]any{"links": 14},
		"schools":        map[string]any{"0790029C": map[string]any{"uses_groups": false}},
	}))
	require.NoError(t, err)
	cfg := set.Config()
	assert.EqualValues(t, 15, cfg["tolerance_pct"])
	assert.EqualValues(t, 2, cfg["tolerance_min"], "defaults kept")
	fd := cfg["freshness_days"].(map[string]any)
	assert.EqualValues(t, 14, fd["links"])
	assert.EqualValues(t, 7, fd["sts"], "a nested default kept beside an override")
	cfg["tolerance_pct"] = 99
	assert.EqualValues(t, 15, set.Config()["tolerance_pct"], "Config returns a copy")
}

func TestCatalogueFromAnnotations(t *testing.T) {
	cat := national(t).Catalogue()
	require.Len(t, cat.Checks, 24)

	ch, ok := cat.Check("siecle.groups_populated")
	require.True(t, ok)
	assert.Equal(t, "data.vigie.checks.siecle.groups_populated", ch.Package)
	assert.Equal(t, policy.SeverityBlocker, ch.Severity)
	assert.Equal(t, 12, ch.Step)
	assert.Equal(t, []string{"sts", "siecle"}, ch.Needs)
	assert.Equal(t, "links", ch.FixStage)
	assert.Contains(t, ch.Fix, "Imports/Exports > SIECLE > Exporter les liens élèves/groupes")
	assert.Contains(t, ch.Fix, "Importations > Lien élève-groupe depuis logiciel privé")
	assert.Equal(t, []string{"sts.groups_present", "siecle.structure_exported"}, ch.BlockedBy)
	assert.Equal(t, "readiness/siecle/groups_populated.rego", ch.Module)
	assert.NotEmpty(t, ch.Title)
	assert.NotEmpty(t, ch.Description)

	fresh, _ := cat.Check("campaign.sources_fresh")
	assert.Equal(t, 0, fresh.Step)
	assert.True(t, fresh.NeedsAny)

	for i := 1; i < len(cat.Checks); i++ {
		a, b := cat.Checks[i-1], cat.Checks[i]
		assert.True(t, a.Step < b.Step || a.Step == b.Step && a.ID < b.ID, "order %s, %s", a.ID, b.ID)
	}
	for _, c := range cat.Checks {
		assert.NotEmpty(t, c.Fix, c.ID)
		assert.Contains(t, policy.FixStages, c.FixStage, c.ID)
	}
}

func TestCatalogueRejectsDuplicateIDsAcrossFiles(t *testing.T) {
	// The same package annotated twice in two files.
	files := withFile(t, "extra/dup.rego", checkModuleFor("sts.divisions_present", "sts.divisions_present", ""))
	_, err := policy.Compile(context.Background(), files)
	var ce *policy.CompileError
	require.ErrorAs(t, err, &ce)
	assert.Contains(t, ce.Error(), "annotation redeclared")
}

func TestDiagnoseSeparatesStrictProblems(t *testing.T) {
	files := withFile(t, "extra/lax.rego", checkModule("extra.lax", `import data.vigie.lib

result := {"status": "pass", "items": []} if {
	x := 1
	true
}
`))
	d := policy.Diagnose(files)
	assert.Empty(t, d.Problems)
	require.NotEmpty(t, d.Strict)
	for _, p := range d.Strict {
		assert.True(t, p.Strict)
		assert.Equal(t, "extra/lax.rego", p.Module)
		assert.Positive(t, p.Line)
	}

	_, err := policy.Compile(context.Background(), files, policy.WithStrict(true))
	assert.Error(t, err, "strict mode turns them into compile problems")
	_, err = policy.Compile(context.Background(), files)
	assert.NoError(t, err)
}
