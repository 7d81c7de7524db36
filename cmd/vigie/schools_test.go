package main

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigie-edu/vigie/internal/campaign"
	"github.com/vigie-edu/vigie/internal/fixture"
	"github.com/vigie-edu/vigie/internal/store/storetest"
)

// writeDirectory writes a national directory CSV of rows rows whose first schools rows are
// the generated academy's secondary schools.
func writeDirectory(t testing.TB, rows, schools int) string {
	t.Helper()
	a, err := fixture.NewAcademy(fixture.AcademySpec{Seed: 7, Schools: schools})
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), fixture.DirectoryFileName)
	f, err := os.Create(path)
	require.NoError(t, err)
	w := bufio.NewWriter(f)
	require.NoError(t, a.WriteDirectory(w, rows))
	require.NoError(t, w.Flush())
	require.NoError(t, f.Close())
	return path
}

var summaryRE = regexp.MustCompile(`(\d+) lignes? lues? .*\x{a0}: (\d+) établissements? ajoutés?, (\d+) mis à jour`)

// TestSchoolsImportNationalDirectory imports a 60,000-row national directory (the size of the
// real open-data file) for one academy, twice, on SQLite and PostgreSQL.
func TestSchoolsImportNationalDirectory(t *testing.T) {
	csv := writeDirectory(t, 60000, 900)
	for name, db := range map[string]func(t testing.TB) string{
		"sqlite":   func(t testing.TB) string { return filepath.Join(t.TempDir(), "v.db") },
		"postgres": storetest.NewPostgresDatabase,
	} {
		t.Run(name, func(t *testing.T) {
			vars := envFrom(map[string]string{"VIGIE_DATABASE_URL": db(t)})
			var out, errb bytes.Buffer
			require.Equal(t, 0, run(context.Background(), []string{"schools", "import", "--academy", "poitiers", csv}, vars, &out, &errb), errb.String())
			m := summaryRE.FindStringSubmatch(out.String())
			require.NotNil(t, m, out.String())
			assert.Equal(t, "60000", m[1])
			added, _ := strconv.Atoi(m[2])
			// The generated academy's 900 schools, plus the national rows that fall in its départements.
			assert.GreaterOrEqual(t, added, 900, "every generated school of the academy is added:\n%s", out.String())
			assert.Contains(t, out.String(), "ignorées, autre académie")
			out.Reset()
			require.Equal(t, 0, run(context.Background(), []string{"schools", "import", "--academy", "poitiers", csv}, vars, &out, &errb), errb.String())
			m = summaryRE.FindStringSubmatch(out.String())
			require.NotNil(t, m, out.String())
			assert.Equal(t, "0", m[2])
			assert.Equal(t, strconv.Itoa(added), m[3], "a second import updates")
		})
	}
}

// BenchmarkSchoolsImport measures `vigie schools import` of a 60,000-row national directory
// for one academy, on SQLite and PostgreSQL, against a baseline measured in the same run: only
// reading and validating the CSV (campaign.ReadDirectory), no database. It reports rows/s and
// the ratio of the import's time to the baseline's.
func BenchmarkSchoolsImport(b *testing.B) {
	csv := writeDirectory(b, 60000, 1000)
	var baseline float64
	b.Run("baseline-parse-only", func(b *testing.B) {
		for b.Loop() {
			f, err := os.Open(csv)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := campaign.ReadDirectory(csv, f, "Poitiers", func(campaign.DirectoryRow) error { return nil }); err != nil {
				b.Fatal(err)
			}
			f.Close()
		}
		baseline = b.Elapsed().Seconds() / float64(b.N)
		b.ReportMetric(60000/baseline, "rows/s")
	})
	for _, db := range []struct {
		name string
		dsn  func(t testing.TB) string
	}{
		{"sqlite", func(t testing.TB) string { return filepath.Join(t.TempDir(), "v.db") }},
		{"postgres", storetest.NewPostgresDatabase},
	} {
		b.Run(db.name, func(b *testing.B) {
			vars := envFrom(map[string]string{"VIGIE_DATABASE_URL": db.dsn(b), "VIGIE_LOG_LEVEL": "warn"})
			for b.Loop() {
				var out, errb bytes.Buffer
				if code := run(context.Background(), []string{"schools", "import", "--academy", "poitiers", csv}, vars, &out, &errb); code != 0 {
					b.Fatalf("exit %d: %s", code, errb.String())
				}
			}
			perOp := b.Elapsed().Seconds() / float64(b.N)
			b.ReportMetric(60000/perOp, "rows/s")
			if baseline > 0 {
				b.ReportMetric(perOp/baseline, "x_baseline")
			}
		})
	}
}

// TestSubcommandHelp: a command's help details its own flags and the configuration it uses,
// each default once, and only names the server's settings.
func TestSubcommandHelp(t *testing.T) {
	var out, errb bytes.Buffer
	assert.Equal(t, 0, run(context.Background(), []string{"schools", "import", "-h"}, envFrom(nil), &out, &errb))
	help := errb.String()
	assert.Contains(t, help, "  -academy string\n")
	assert.Contains(t, help, "  -database-url string\n    \tpostgres:// URL for PostgreSQL; anything else is a SQLite file path (env VIGIE_DATABASE_URL) (default \"data/vigie.db\")\n")
	assert.Equal(t, 1, strings.Count(help, "data/vigie.db"), "each default once")
	assert.Contains(t, help, "\nServer configuration, accepted but not used by this command (see 'vigie serve -h'):\n  -addr -admin-addr ")
	assert.NotContains(t, help, "HTTP listen address", "the server's flags are only named")
	assert.NotContains(t, help, "127.0.0.1:8080")
}
