package policy_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigie-edu/vigie/internal/policy"
)

func TestRunTestsReportsOutcomesAndCoverage(t *testing.T) {
	files := []policy.File{
		{Path: "p/rule.rego", Text: []byte(`package vigie.p

allow if input.ok

deny if input.bad

unused if input.never
`)},
		{Path: "p/rule_test.rego", Text: []byte(`package vigie.p

test_allow if {
	allow with input as {"ok": true}
}

test_deny_fails if {
	deny with input as {"bad": false}
}

test_error if {
	x := 1 / 0
	x > 0
}
`)},
	}
	rep, err := policy.RunTests(context.Background(), files, policy.TestOptions{Coverage: true})
	require.NoError(t, err)
	assert.Equal(t, 1, rep.Passed)
	assert.Equal(t, 2, rep.Failed+rep.Errored)
	assert.False(t, rep.OK())
	require.Len(t, rep.Results, 3)
	first := rep.Results[0]
	assert.Equal(t, "p/rule_test.rego", first.Module)
	assert.Equal(t, 3, first.Line)
	assert.Equal(t, "test_allow", first.Name)
	assert.Equal(t, policy.TestPass, first.Outcome)
	assert.Equal(t, policy.TestFail, rep.Results[1].Outcome)
	assert.Contains(t, rep.Results[1].Message, "failed at line 8")

	require.NotNil(t, rep.Coverage)
	require.Len(t, rep.Coverage.Modules, 1, "test modules are not measured")
	m := rep.Coverage.Modules[0]
	assert.Equal(t, "p/rule.rego", m.Module)
	assert.Less(t, m.Percent, 100.0)
	assert.Contains(t, m.NotCovered, policy.LineRange{Start: 7, End: 7}, "the unused rule")
}

func TestRunTestsOnABrokenSetReturnsProblems(t *testing.T) {
	_, err := policy.RunTests(context.Background(), []policy.File{
		{Path: "p/a_test.rego", Text: []byte("package vigie.p\n\ntest_x if {\n\tundefined_fn(1)\n}\n")},
	}, policy.TestOptions{})
	var ce *policy.CompileError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, "p/a_test.rego", ce.Problems[0].Module)
	assert.Equal(t, 4, ce.Problems[0].Line)
}

func TestNationalRegoTestsPass(t *testing.T) {
	rep, err := policy.RunTests(context.Background(), nationalFiles(t), policy.TestOptions{Filter: "sts"})
	require.NoError(t, err)
	assert.True(t, rep.OK())
	assert.Greater(t, rep.Passed, 30)
}
