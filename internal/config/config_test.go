package config

import (
	"bytes"
	"flag"
	"io"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func load(t *testing.T, env map[string]string, args ...string) (Config, error) {
	t.Helper()
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	Register(fs)
	require.NoError(t, fs.Parse(args))
	return Load(fs, func(k string) string { return env[k] })
}

// TestOperations: the operations settings come from the environment only, as a container
// gets them; flags still win; bad values are refused; the metrics token is masked.
func TestOperations(t *testing.T) {
	c, err := load(t, nil)
	require.NoError(t, err)
	assert.Empty(t, c.AdminAddr, "the admin port is off by default")
	assert.Empty(t, c.MetricsToken)
	assert.Equal(t, 400, c.RetentionImportsDays)
	assert.Equal(t, 800, c.RetentionResultsDays)

	env := map[string]string{"VIGIE_ADMIN_ADDR": "127.0.0.1:6060", "VIGIE_METRICS_TOKEN": "0123456789abcdef-token",
		"VIGIE_RETENTION_IMPORTS_DAYS": "0", "VIGIE_RETENTION_RESULTS_DAYS": "90", "VIGIE_LOG_LEVEL": "warn", "VIGIE_LOG_FORMAT": "json"}
	c, err = load(t, env)
	require.NoError(t, err)
	assert.Equal(t, "127.0.0.1:6060", c.AdminAddr)
	assert.Equal(t, 0, c.RetentionImportsDays)
	assert.Equal(t, 90, c.RetentionResultsDays)
	assert.Equal(t, "warn", c.LogLevel)
	c, err = load(t, env, "--admin-addr", "127.0.0.1:7070")
	require.NoError(t, err)
	assert.Equal(t, "127.0.0.1:7070", c.AdminAddr, "flags win over the environment")

	var out bytes.Buffer
	c.Print(&out)
	assert.NotContains(t, out.String(), "0123456789abcdef-token")
	assert.Contains(t, out.String(), "metrics-token")
	assert.Regexp(t, `(?m)^  replica +\(empty: host name and process id\)$`, out.String(), "an empty setting says what it means")
	assert.Regexp(t, `(?m)^  oidc-issuer +\(empty: disables OIDC login\)$`, out.String())
	assert.Regexp(t, `(?m)^  retention-imports-days 0$`, out.String(), "names are aligned on the longest")

	for _, bad := range []map[string]string{
		{"VIGIE_METRICS_TOKEN": "short"},
		{"VIGIE_RETENTION_IMPORTS_DAYS": "7"},
		{"VIGIE_RETENTION_RESULTS_DAYS": "-1"},
		{"VIGIE_LOG_LEVEL": "verbose"},
	} {
		_, err := load(t, bad)
		assert.Error(t, err, "%v", bad)
	}
}
