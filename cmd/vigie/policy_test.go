package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigie-edu/vigie/internal/policy"
	"github.com/vigie-edu/vigie/policies"
)

// writeNational writes the national readiness set under dir, as an author's Git checkout.
func writeNational(t *testing.T) (string, []policy.File) {
	t.Helper()
	files, err := policy.LoadFS(policies.FS, policies.ReadinessDir)
	require.NoError(t, err)
	dir := t.TempDir()
	for _, f := range files {
		p := filepath.Join(dir, filepath.FromSlash(f.Path))
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, f.Text, 0o644))
	}
	return dir, files
}

func runVigie(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), args, envFrom(nil), &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestPolicyCommands(t *testing.T) {
	dir, files := writeNational(t)

	code, out, stderr := runVigie(t, "policy", "test", "--coverage", "--timeout", "2m", dir)
	require.Equal(t, exitOK, code, "%s%s", out, stderr)
	assert.Regexp(t, `\d+ passed, 0 failed, 0 errors, 0 skipped`, out)
	assert.Contains(t, out, "readiness/links/absent_ratio.rego")

	code, out, _ = runVigie(t, "policy", "check", dir)
	assert.Equal(t, exitOK, code, out)
	assert.Contains(t, out, "ok: 24 checks")

	code, _, _ = runVigie(t, "policy", "fmt", dir)
	require.Equal(t, exitOK, code)
	code, out, _ = runVigie(t, "policy", "fmt", "-l", dir)
	assert.Equal(t, exitOK, code, "formatted: %s", out)

	// A failing test, a module that does not compile, a module not formatted.
	failing := filepath.Join(dir, "readiness", "links", "extra_test.rego")
	require.NoError(t, os.WriteFile(failing, []byte("package vigie.checks.links.absent_ratio\n\ntest_wrong if {\n\tresult.status == \"nope\"\n}\n"), 0o644))
	code, out, _ = runVigie(t, "policy", "test", "--timeout", "2m", dir)
	assert.Equal(t, exitFailure, code)
	assert.Contains(t, out, "FAIL readiness/links/extra_test.rego:3 vigie.checks.links.absent_ratio.test_wrong")
	assert.Contains(t, out, "1 failed")

	broken := filepath.Join(dir, "readiness", "academy", "broken.rego")
	require.NoError(t, os.MkdirAll(filepath.Dir(broken), 0o755))
	require.NoError(t, os.WriteFile(broken, []byte("package vigie.checks.academy.broken\n\nresult := {\"status\": \"pass\", \"items\": [x]}\n"), 0o644))
	code, out, _ = runVigie(t, "policy", "check", dir)
	assert.Equal(t, exitFailure, code)
	assert.Contains(t, out, "readiness/academy/broken.rego:3:")
	assert.Contains(t, out, "cannot be published")
	require.NoError(t, os.Remove(broken))

	ugly := filepath.Join(dir, "readiness", "academy", "ugly.rego")
	require.NoError(t, os.WriteFile(ugly, []byte("package vigie.academy.ugly\nx   :=   1\n"), 0o644))
	code, out, _ = runVigie(t, "policy", "fmt", "-l", dir)
	assert.Equal(t, exitFailure, code)
	assert.Contains(t, out, "ugly.rego")
	code, _, _ = runVigie(t, "policy", "fmt", dir)
	assert.Equal(t, exitOK, code)
	text, err := os.ReadFile(ugly)
	require.NoError(t, err)
	assert.Equal(t, "package vigie.academy.ugly\n\nx := 1\n", string(text))

	// A bundle exported by Vigie is tested and checked like a directory, with its overrides.
	var buf bytes.Buffer
	require.NoError(t, policy.WriteBundle(&buf, policy.Bundle{Revision: "poitiers-v1", Files: files, Overrides: map[string]any{"tolerance_pct": -1}}))
	bundle := filepath.Join(t.TempDir(), "poitiers-v1.tar.gz")
	require.NoError(t, os.WriteFile(bundle, buf.Bytes(), 0o644))
	code, out, _ = runVigie(t, "policy", "test", "--timeout", "2m", bundle)
	assert.Equal(t, exitOK, code, out)
	code, out, _ = runVigie(t, "policy", "check", bundle)
	assert.Equal(t, exitFailure, code, "a negative tolerance is refused")
	assert.Contains(t, out, "tolerance_pct")

	code, _, stderr = runVigie(t, "policy", "lint", dir)
	assert.Equal(t, exitBadInput, code)
	assert.Contains(t, stderr, "want test, check or fmt")
	code, _, _ = runVigie(t, "policy", "test")
	assert.Equal(t, exitBadInput, code)
}
