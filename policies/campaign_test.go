package policies_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigie-edu/vigie/internal/policy"
	"github.com/vigie-edu/vigie/policies"
)

// TestCampaignRego runs the Rego tests of the campaign step rules.
func TestCampaignRego(t *testing.T) {
	files, err := policy.LoadFS(policies.FS, policies.CampaignDir)
	require.NoError(t, err)
	rep, err := policy.RunTests(context.Background(), files, policy.TestOptions{Coverage: true})
	require.NoError(t, err)
	for _, r := range rep.Results {
		if r.Outcome != policy.TestPass {
			t.Errorf("%s.%s (%s:%d): %s %s", r.Package, r.Name, r.Module, r.Line, r.Outcome, r.Message)
		}
	}
	assert.True(t, rep.OK(), "passed %d, failed %d, errors %d", rep.Passed, rep.Failed, rep.Errored)
	require.NotNil(t, rep.Coverage)
	t.Logf("rego campaign: %d tests passed; coverage %.1f %%", rep.Passed, rep.Coverage.Percent)
	for _, m := range rep.Coverage.Modules {
		if m.Percent < 100 {
			t.Logf("  %s: %.1f %%, not covered %v", m.Module, m.Percent, m.NotCovered)
		}
	}
	d := policy.Diagnose(files)
	assert.Empty(t, d.Problems)
	assert.Empty(t, d.Strict, "the campaign rules are clean in strict mode")
}
