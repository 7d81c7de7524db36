package main

import (
	"bufio"
	"bytes"
	"context"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// smtpGreeter answers like an SMTP server: a greeting, then closes.
func smtpGreeter(t *testing.T) (host string, port int) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			_, _ = c.Write([]byte("220 test ESMTP\r\n"))
			_, _ = bufio.NewReader(c).ReadString('\n')
			c.Close()
		}
	}()
	a := l.Addr().(*net.TCPAddr)
	return a.IP.String(), a.Port
}

func TestDoctor(t *testing.T) {
	dir := t.TempDir()
	host, port := smtpGreeter(t)
	vars := map[string]string{"VIGIE_DATABASE_URL": filepath.Join(dir, "vigie.db"), "VIGIE_DATA_DIR": filepath.Join(dir, "data"),
		"VIGIE_SMTP_HOST": host, "VIGIE_SMTP_PORT": strconv.Itoa(port), "VIGIE_SMTP_FROM": "vigie@example.org", "VIGIE_SMTP_TLS": "none"}
	doctor := func() (int, string) {
		var out, errb bytes.Buffer
		code := run(context.Background(), []string{"doctor"}, envFrom(vars), &out, &errb)
		return code, out.String()
	}

	code, out := doctor()
	assert.Equal(t, 1, code, out)
	assert.Regexp(t, `FAIL  migrations +at version 0 of \d+; pending 00001_foundation.sql`, out)
	assert.Regexp(t, `ok    smtp +127.0.0.1:\d+ answers`, out)
	assert.Contains(t, out, "warn  metrics")

	var o, e bytes.Buffer
	require.Equal(t, 0, run(context.Background(), []string{"migrate", "up"}, envFrom(vars), &o, &e), e.String())
	require.Equal(t, 0, run(context.Background(), []string{"schools", "import", "--academy", "poitiers", oneSchoolDirectory(t)}, envFrom(vars), &o, &e), e.String())
	code, out = doctor()
	assert.Equal(t, 0, code, out)
	assert.Regexp(t, `ok    migrations +at version \d+, the latest`, out)
	assert.Regexp(t, `warn  drop folders .*no folder yet for poitiers`, out)
	assert.Regexp(t, `ok    data dir +.*data is writable`, out)

	vars["VIGIE_SMTP_PORT"] = "1" // nothing listens there
	vars["VIGIE_METRICS_TOKEN"] = "a-long-enough-metrics-token"
	code, out = doctor()
	assert.Equal(t, 1, code, out)
	assert.Regexp(t, `FAIL  smtp +connect to 127.0.0.1:1`, out)
	assert.NotContains(t, out, "metrics")

	vars["VIGIE_DATABASE_URL"] = "postgres://vigie@127.0.0.1:1/none?connect_timeout=1"
	code, out = doctor()
	assert.Equal(t, 1, code)
	assert.Contains(t, out, "FAIL  database")
}

// oneSchoolDirectory writes a one-school national directory CSV.
func oneSchoolDirectory(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "annuaire.csv")
	require.NoError(t, os.WriteFile(p, []byte("Identifiant_de_l_etablissement;Nom_etablissement;Type_etablissement;Code_departement;Libelle_academie\n"+
		"0790029C;Lycée Jean Macé;Lycée;079;Poitiers\n"), 0o600))
	return p
}

// TestHealthcheck: the container health check asks the local server's /healthz.
func TestHealthcheck(t *testing.T) {
	dir := t.TempDir()
	vars := map[string]string{"VIGIE_DATABASE_URL": filepath.Join(dir, "vigie.db"), "VIGIE_DATA_DIR": dir, "VIGIE_SCHEDULER": "false"}
	var out, errb bytes.Buffer
	vars["VIGIE_ADDR"] = "127.0.0.1:1"
	assert.Equal(t, 1, run(context.Background(), []string{"healthcheck"}, envFrom(vars), &out, &errb), "nothing listens")

	base, _, _ := startVigie(t, map[string]string{"VIGIE_DATABASE_URL": vars["VIGIE_DATABASE_URL"], "VIGIE_DATA_DIR": dir,
		"VIGIE_SCHEDULER": "false", "VIGIE_ADDR": "127.0.0.1:0"}, "serve")
	_, port, err := net.SplitHostPort(base[len("http://"):])
	require.NoError(t, err)
	vars["VIGIE_ADDR"] = "0.0.0.0:" + port // as in the image: the check asks loopback
	out.Reset()
	assert.Equal(t, 0, run(context.Background(), []string{"healthcheck"}, envFrom(vars), &out, &errb), errb.String())
	assert.Equal(t, "ok\n", out.String())
}
