package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigie-edu/vigie/internal/store/storetest"
)

// syncBuffer is a bytes.Buffer safe for the program writing and the test reading.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func envFrom(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

var listenRE = regexp.MustCompile(`listening on (http://\S+)`)

// startVigie runs the real program (run) with args until the test ends, and returns its base URL.
func startVigie(t *testing.T, vars map[string]string, args ...string) (base string, stdout, stderr *syncBuffer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stdout, stderr = &syncBuffer{}, &syncBuffer{}
	done := make(chan int, 1)
	go func() { done <- run(ctx, args, envFrom(vars), stdout, stderr) }()
	t.Cleanup(func() {
		cancel()
		select {
		case code := <-done:
			assert.Equal(t, 0, code, "exit status after graceful shutdown; stderr:\n%s", stderr)
		case <-time.After(20 * time.Second):
			t.Error("vigie did not stop within 20s of its context being cancelled")
		}
	})
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if m := listenRE.FindStringSubmatch(stdout.String()); m != nil {
			return m[1], stdout, stderr
		}
		select {
		case code := <-done:
			t.Fatalf("vigie exited with %d before listening; stderr:\n%s", code, stderr)
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatalf("vigie did not start listening; stdout:\n%s\nstderr:\n%s", stdout, stderr)
	return "", nil, nil
}

func waitReady(t *testing.T, base string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(base + "/readyz")
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				assert.Contains(t, string(body), `"ready"`)
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s/readyz never answered 200", base)
}

func TestServeOnSQLiteAndPostgres(t *testing.T) {
	dbs := map[string]func(t *testing.T) string{
		"sqlite":   func(t *testing.T) string { return filepath.Join(t.TempDir(), "sub", "vigie.db") },
		"postgres": func(t *testing.T) string { return storetest.NewPostgresDatabase(t) },
	}
	for name, dsn := range dbs {
		t.Run(name, func(t *testing.T) {
			url := dsn(t)
			base, stdout, _ := startVigie(t, map[string]string{"VIGIE_DATABASE_URL": url, "VIGIE_DATA_DIR": t.TempDir()},
				"serve", "--addr", "127.0.0.1:0")
			waitReady(t, base)
			resp, err := http.Get(base + "/healthz")
			require.NoError(t, err)
			resp.Body.Close()
			assert.Equal(t, http.StatusOK, resp.StatusCode)
			assert.Contains(t, stdout.String(), "configuration:")
		})
	}
}

func TestConfigPrintMasksPassword(t *testing.T) {
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"serve", "--database-url", "postgres://vigie:s3cret@127.0.0.1:1/none?connect_timeout=1"},
		envFrom(nil), &out, &errb)
	assert.Equal(t, 1, code, "an unreachable database is a failure")
	assert.Contains(t, out.String(), "postgres://vigie:xxxxx@127.0.0.1:1/none")
	assert.NotContains(t, out.String()+errb.String(), "s3cret")
}

func TestMigrateAndVersion(t *testing.T) {
	db := filepath.Join(t.TempDir(), "vigie.db")
	var out, errb bytes.Buffer
	vars := envFrom(map[string]string{"VIGIE_DATABASE_URL": db})
	require.Equal(t, 1, run(context.Background(), []string{"migrate", "status"}, vars, &out, &errb), "pending migrations: status 1")
	assert.Contains(t, out.String(), "pending:")
	out.Reset()
	require.Equal(t, 0, run(context.Background(), []string{"migrate", "up"}, vars, &out, &errb), errb.String())
	out.Reset()
	require.Equal(t, 0, run(context.Background(), []string{"migrate", "status"}, vars, &out, &errb), errb.String())
	assert.NotContains(t, out.String(), "pending:")
	out.Reset()
	require.Equal(t, 0, run(context.Background(), []string{"version"}, vars, &out, &errb))
	assert.True(t, strings.HasPrefix(out.String(), "vigie "))
	assert.Equal(t, 2, run(context.Background(), []string{"nope"}, vars, &out, &errb))
	assert.Equal(t, 2, run(context.Background(), []string{"migrate", "sideways"}, vars, &out, &errb))
	assert.Equal(t, 2, run(context.Background(), []string{"serve", "--log-level", "loud"}, vars, &out, &errb))
}

func TestSchoolsImport(t *testing.T) {
	dir := t.TempDir()
	csv := filepath.Join(dir, "annuaire.csv")
	require.NoError(t, os.WriteFile(csv, []byte("\xEF\xBB\xBFIdentifiant_de_l_etablissement;Nom_etablissement;Type_etablissement;Code_departement;Libelle_academie\n"+
		"0790029C;Lycée Jean Macé;Lycée;079;Poitiers\n"+
		"0790029D;Lycée faux;Lycée;079;Poitiers\n"+
		"0330001X;Lycée Montaigne;Lycée;033;Bordeaux\n"), 0o600))
	vars := envFrom(map[string]string{"VIGIE_DATABASE_URL": filepath.Join(dir, "v.db")})
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"schools", "import", "--academy", "poitiers", csv}, vars, &out, &errb)
	require.Equal(t, 0, code, errb.String())
	assert.Contains(t, out.String(), "1 établissement ajouté, 0 mis à jour")
	assert.Contains(t, out.String(), "ignorées, autre académie\u00a0: 1")
	assert.Contains(t, errb.String(), "annuaire.csv, ligne 3, champ identifiant_de_l_etablissement : ligne ignorée : "+
		"l'UAI « 0790029D » se termine par D, mais la lettre de contrôle de 0790029 est C")
	out.Reset()
	code = run(context.Background(), []string{"schools", "import", "--academy", "poitiers", csv}, vars, &out, &errb)
	require.Equal(t, 0, code)
	assert.Contains(t, out.String(), "0 établissement ajouté, 1 mis à jour", "re-import is an update")
	assert.Equal(t, 2, run(context.Background(), []string{"schools", "import", csv}, vars, &out, &errb), "academy is required")
	assert.Equal(t, 2, run(context.Background(), []string{"schools", "import", "--academy", "poitiers", filepath.Join(dir, "absent.csv")}, vars, &out, &errb))
}
