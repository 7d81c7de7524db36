package httpapi

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigie-edu/vigie/internal/policy"
	"github.com/vigie-edu/vigie/policies"
)

// TestAuthzRegoTests runs the Rego tests of the authorisation policy.
func TestAuthzRegoTests(t *testing.T) {
	files, err := policy.LoadFS(policies.FS, policies.AuthzDir)
	require.NoError(t, err)
	rep, err := policy.RunTests(context.Background(), files, policy.TestOptions{})
	require.NoError(t, err)
	for _, r := range rep.Results {
		assert.Equal(t, policy.TestPass, r.Outcome, "%s %s", r.Name, r.Message)
	}
	assert.True(t, rep.OK())
	assert.GreaterOrEqual(t, rep.Passed, 15)
}
