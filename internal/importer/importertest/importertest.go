// Package importertest imports a generated academy (internal/fixture) into a test store the
// way users would: the national directory CSV registers the schools, then each school's files
// are uploaded (last year's STS-Web exports first, as history), then the academy's feed.
package importertest

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/vigie-edu/vigie/internal/access"
	"github.com/vigie-edu/vigie/internal/campaign"
	"github.com/vigie-edu/vigie/internal/fixture"
	"github.com/vigie-edu/vigie/internal/importer"
	"github.com/vigie-edu/vigie/internal/ingest"
	"github.com/vigie-edu/vigie/internal/store"
	"github.com/vigie-edu/vigie/internal/store/storetest"
)

// Academy generates spec's academy in a temporary directory, creates it in st (code
// "poitiers"), registers its schools from the generated directory CSV and imports every file
// at spec.Now. It fails the test on any refused file.
func Academy(t testing.TB, st *store.Store, spec fixture.AcademySpec) (campaign.Academy, *fixture.AcademyResult) {
	t.Helper()
	ctx := context.Background()
	a, err := fixture.NewAcademy(spec)
	require.NoError(t, err)
	dir := t.TempDir()
	res, err := fixture.WriteAcademy(dir, a)
	require.NoError(t, err)
	academy, err := st.CreateAcademy(ctx, access.System(), "poitiers", "Poitiers")
	require.NoError(t, err)
	RegisterSchools(t, st, academy, dir, res)
	now := spec.Now
	if now.IsZero() {
		now = fixture.DefaultNow
	}
	im := importer.New(st, storetest.Logger(t), ingest.DefaultLimits(), func() time.Time { return now })
	ImportFiles(t, im, access.Academy(academy.ID), academy, dir, res, now)
	return academy, res
}

// RegisterSchools reads the directory CSV the generator wrote and upserts its schools.
func RegisterSchools(t testing.TB, st *store.Store, academy campaign.Academy, dir string, res *fixture.AcademyResult) {
	t.Helper()
	var schools []campaign.School
	for _, m := range res.Manifest {
		if !strings.HasSuffix(m.Path, ".csv") {
			continue
		}
		f, err := os.Open(filepath.Join(dir, filepath.FromSlash(m.Path)))
		require.NoError(t, err)
		sum, err := campaign.ReadDirectory(m.Path, f, "", func(r campaign.DirectoryRow) error {
			schools = append(schools, r.School)
			return nil
		})
		f.Close()
		require.NoError(t, err)
		require.Empty(t, sum.Errors)
	}
	require.NotEmpty(t, schools, "the generator writes the national directory CSV")
	_, err := st.UpsertSchools(context.Background(), access.System(), academy.ID, schools)
	require.NoError(t, err)
}

// ImportFiles uploads the files of a written academy: per school and school year (oldest year
// first), then the feed. Every file must be accepted.
func ImportFiles(t testing.TB, im *importer.Importer, scope access.Scope, academy campaign.Academy, dir string, res *fixture.AcademyResult, now time.Time) {
	t.Helper()
	ctx := context.Background()
	type batch struct {
		uai  string
		year int
	}
	files := map[batch][]ingest.Upload{}
	var feed []ingest.Upload
	for _, m := range res.Manifest {
		if strings.HasSuffix(m.Path, ".csv") {
			continue
		}
		f, err := os.Open(filepath.Join(dir, filepath.FromSlash(m.Path)))
		require.NoError(t, err)
		t.Cleanup(func() { f.Close() })
		fi, err := f.Stat()
		require.NoError(t, err)
		u := ingest.Upload{Name: filepath.Base(m.Path), Content: f, Size: fi.Size(), ReceivedAt: now, ModTime: fi.ModTime()}
		if m.UAI == "" {
			feed = append(feed, u)
			continue
		}
		files[batch{m.UAI, m.SchoolYear}] = append(files[batch{m.UAI, m.SchoolYear}], u)
	}
	keys := make([]batch, 0, len(files))
	for k := range files {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].year != keys[j].year {
			return keys[i].year < keys[j].year
		}
		return keys[i].uai < keys[j].uai
	})
	check := func(out importer.Result, err error, what string) {
		t.Helper()
		require.NoError(t, err, what)
		for _, f := range out.Files {
			require.NoError(t, f.Err, "%s: %s", what, f.File)
		}
	}
	for _, k := range keys {
		out, err := im.Import(ctx, scope, importer.Request{Academy: academy, UAI: k.uai, SchoolYear: k.year, By: "test", Files: files[k]})
		check(out, err, "files of "+k.uai)
	}
	if len(feed) > 0 {
		out, err := im.Import(ctx, scope, importer.Request{Academy: academy, By: "test", Files: feed})
		check(out, err, "the feed")
	}
}
