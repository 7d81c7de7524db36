package policy_test

import (
	"bytes"
	"context"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigie-edu/vigie/internal/apperr"
	"github.com/vigie-edu/vigie/internal/fact"
	"github.com/vigie-edu/vigie/internal/policy"
)

const academyCheck = `# METADATA
# scope: package
# title: Groupes de langues présents
# description: Les élèves de langues doivent trouver leurs manuels.
# custom:
#   id: academy.lv_groups
#   severity: warning
#   step: 11
#   needs: [sts]
#   fix: Dans EDT, créer les groupes de langues puis exporter vers STS-Web.
#   fix_stage: sts
package vigie.checks.academy.lv_groups

import data.vigie.lib

result := lib.verdict(failing)

failing := [lib.item("sts", "source", "aucun groupe de langue") |
	count(input.facts.grups) == 0
]
`

func TestLintProjectRules(t *testing.T) {
	files := append(nationalFiles(t), policy.File{Path: "readiness/academy/lv_groups.rego", Text: []byte(academyCheck)},
		policy.File{Path: "readiness/academy/debug.rego", Text: []byte("package vigie.checks.academy.lv_groups\n\nx if {\n\tprint(\"x\")\n\tinput.scholl.kind == \"lycee\"\n}\n")})
	fs := policy.Lint(files)
	byRule := map[string][]policy.Finding{}
	for _, f := range fs {
		byRule[f.Rule] = append(byRule[f.Rule], f)
	}
	require.Len(t, byRule[policy.RuleUntested], 1, "%v", fs)
	assert.Equal(t, "readiness/academy/debug.rego", byRule[policy.RuleUntested][0].Module, "first module of the package")
	require.Len(t, byRule[policy.RuleUnknownInput], 2, "%v", fs)
	assert.Contains(t, byRule[policy.RuleUnknownInput][0].Message, "input.scholl")
	assert.Equal(t, 5, byRule[policy.RuleUnknownInput][0].Line)
	assert.Contains(t, byRule[policy.RuleUnknownInput][1].Message, "input.facts.grups")
	assert.Equal(t, 19, byRule[policy.RuleUnknownInput][1].Line)
	require.Len(t, byRule[policy.RulePrint], 1)
	assert.Equal(t, 4, byRule[policy.RulePrint][0].Line)

	fmtFindings := policy.Lint([]policy.File{{Path: "a.rego", Text: []byte("package a\n\nx   :=   1\n")}})
	require.Len(t, fmtFindings, 1)
	assert.Equal(t, policy.RuleFormat, fmtFindings[0].Rule)
	assert.Equal(t, 3, fmtFindings[0].Line)
}

func TestNationalSetHasNoLintWarning(t *testing.T) {
	for _, f := range policy.Lint(nationalFiles(t)) {
		assert.NotEqual(t, policy.FindingWarning, f.Severity, "%s", f)
	}
}

// TestFactFieldsFollowTheSnapshot keeps the lint rule's list in step with internal/fact.
func TestFactFieldsFollowTheSnapshot(t *testing.T) {
	var tags []string
	typ := reflect.TypeFor[fact.Snapshot]()
	for i := range typ.NumField() {
		tag, _, _ := strings.Cut(typ.Field(i).Tag.Get("json"), ",")
		tags = append(tags, tag)
	}
	slices.Sort(tags)
	got := policy.FactFields()
	slices.Sort(got)
	assert.Equal(t, tags, got)
}

func TestFormat(t *testing.T) {
	out, err := policy.Format(policy.File{Path: "a.rego", Text: []byte("package a\nx   :=   1\n")})
	require.NoError(t, err)
	assert.Equal(t, "package a\n\nx := 1\n", string(out))

	_, err = policy.Format(policy.File{Path: "b.rego", Text: []byte("package b\nx := {\n")})
	var ce *policy.CompileError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, "b.rego", ce.Problems[0].Module)
	assert.Positive(t, ce.Problems[0].Line)
	assert.ErrorIs(t, err, apperr.ErrInvalid)
}

func TestBundleRoundTrip(t *testing.T) {
	files := append(nationalFiles(t), policy.File{Path: "readiness/academy/lv_groups.rego", Text: []byte(academyCheck)})
	overrides := map[string]any{"tolerance_pct": 15.0, "checks": map[string]any{"academy.lv_groups": map[string]any{"mode": "monitor"}}}
	var buf bytes.Buffer
	require.NoError(t, policy.WriteBundle(&buf, policy.Bundle{Revision: "poitiers-v3", Files: files, Overrides: overrides,
		Metadata: map[string]any{"academy": "poitiers"}}))

	b, err := policy.ReadBundle(&buf)
	require.NoError(t, err)
	assert.Equal(t, "poitiers-v3", b.Revision)
	assert.Equal(t, "poitiers", b.Metadata["academy"])
	assert.Equal(t, overrides, b.Overrides)
	sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	require.Len(t, b.Files, len(files))
	for i, f := range files {
		assert.Equal(t, f.Path, b.Files[i].Path)
		assert.Equal(t, string(f.Text), string(b.Files[i].Text), f.Path)
	}
	// What comes back compiles with the overrides, as it went out.
	set, err := policy.Compile(context.Background(), b.Files, policy.WithConfig(b.Overrides))
	require.NoError(t, err)
	_, ok := set.Catalogue().Check("academy.lv_groups")
	assert.True(t, ok)
}

func TestReadBundleRefusesBadInput(t *testing.T) {
	_, err := policy.ReadBundle(strings.NewReader("not a tarball"))
	assert.ErrorIs(t, err, apperr.ErrInvalid)

	var buf bytes.Buffer
	require.NoError(t, policy.WriteBundle(&buf, policy.Bundle{Revision: "x", Files: []policy.File{{Path: "a/broken.rego", Text: []byte("package a\nx := {\n")}}}))
	_, err = policy.ReadBundle(&buf)
	var ce *policy.CompileError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, "a/broken.rego", ce.Problems[0].Module)
	assert.Positive(t, ce.Problems[0].Line)
}
