package schedule_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigie-edu/vigie/internal/access"
	"github.com/vigie-edu/vigie/internal/campaign"
	"github.com/vigie-edu/vigie/internal/fixture"
	"github.com/vigie-edu/vigie/internal/importer"
	"github.com/vigie-edu/vigie/internal/ingest"
	"github.com/vigie-edu/vigie/internal/schedule"
	"github.com/vigie-edu/vigie/internal/store"
	"github.com/vigie-edu/vigie/internal/store/storetest"
)

// TestDropFolderWaitsForTheWholeFeed: a feed arriving file by file is imported once whole.
// While a chunk is being written the others wait; a feed lacking a category stays in place,
// unrecorded, and is refused with its reason only once nothing has changed for six hours.
func TestDropFolderWaitsForTheWholeFeed(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		now := fixture.DefaultNow
		clock := func() time.Time { return now }
		s, err := fixture.NewSchool(fixture.SchoolSpec{Seed: 5, UAI: "0790029C", Pupils: 200, Now: now})
		require.NoError(t, err)
		gen := t.TempDir()
		m, err := fixture.WriteSchool(gen, s)
		require.NoError(t, err)
		var feed []string // the feed's files, by base name
		for _, e := range m {
			if e.Kind == fixture.FileKind("ent") {
				feed = append(feed, filepath.Join(gen, filepath.FromSlash(e.Path)))
			}
		}
		require.NotEmpty(t, feed)
		academy, err := st.CreateAcademy(ctx, access.System(), "poitiers", "Poitiers")
		require.NoError(t, err)
		_, err = st.UpsertSchools(ctx, access.System(), academy.ID, []campaign.School{{UAI: s.UAI, Name: s.Name, Kind: s.Kind}})
		require.NoError(t, err)
		root := t.TempDir()
		incoming := filepath.Join(root, "poitiers", "aaf")
		require.NoError(t, os.MkdirAll(incoming, 0o750))
		drop := func(path string, age time.Duration) {
			t.Helper()
			b, err := os.ReadFile(path)
			require.NoError(t, err)
			to := filepath.Join(incoming, filepath.Base(path))
			require.NoError(t, os.WriteFile(to, b, 0o600))
			require.NoError(t, os.Chtimes(to, now.Add(-age), now.Add(-age)))
		}
		var staff []string
		for _, f := range feed {
			if strings.Contains(filepath.Base(f), "_PersEducNat_") {
				staff = append(staff, f)
				continue
			}
			drop(f, time.Hour)
		}
		require.NotEmpty(t, staff)
		im := importer.New(st, storetest.Logger(t), ingest.DefaultLimits(), clock)
		df := schedule.NewDropFolder(root, st, im, storetest.Logger(t), clock, time.Minute)
		imports := func() int {
			t.Helper()
			list, _, err := st.ListImports(ctx, access.Academy(academy.ID), store.ImportFilter{})
			require.NoError(t, err)
			return len(list)
		}
		dropped := len(feed) - len(staff)

		// PersEducNat not there yet: the feed waits, nothing recorded, nothing moved.
		counts, err := df.Run(ctx, now)
		require.NoError(t, err)
		assert.Equal(t, dropped, counts["waiting"])
		assert.Zero(t, counts["rejected"]+counts["accepted"])
		assert.Len(t, filterTop(files(t, filepath.Join(root, "poitiers", "aaf"))), dropped)
		assert.Zero(t, imports())

		// PersEducNat there, but a pupils' chunk still being written: every file of the feed
		// waits for it (read without it, the feed would be complete but short of pupils).
		for _, f := range staff {
			drop(f, time.Hour)
		}
		var pupils []string
		for _, f := range feed {
			if strings.Contains(filepath.Base(f), "_Eleve_") {
				pupils = append(pupils, f)
			}
		}
		require.NotEmpty(t, pupils)
		drop(pupils[len(pupils)-1], 10*time.Second)
		counts, err = df.Run(ctx, now)
		require.NoError(t, err)
		assert.Equal(t, len(feed), counts["waiting"])
		assert.Zero(t, counts["files"])
		assert.Zero(t, imports())

		// Settled: the whole feed is imported.
		now = now.Add(2 * time.Minute)
		counts, err = df.Run(ctx, now)
		require.NoError(t, err)
		assert.Equal(t, len(feed), counts["accepted"])
		assert.Zero(t, counts["waiting"])
		assert.Equal(t, 1, counts["schools"])
		assert.Empty(t, filterTop(files(t, incoming)))

		// A partial feed left for more than six hours is refused, with its reason.
		for _, f := range pupils {
			drop(f, 5*time.Hour)
		}
		counts, err = df.Run(ctx, now)
		require.NoError(t, err)
		assert.Equal(t, len(pupils), counts["waiting"], "five hours: it may still be arriving")
		assert.Equal(t, 1, imports())
		now = now.Add(2 * time.Hour)
		counts, err = df.Run(ctx, now)
		require.NoError(t, err)
		assert.Equal(t, len(pupils), counts["rejected"])
		assert.Equal(t, 2, imports(), "the refusal is recorded")
		day := now.In(campaign.Paris).Format(time.DateOnly)
		reason, err := os.ReadFile(filepath.Join(root, "poitiers", "failed", day, "aaf", filepath.Base(pupils[0])+".reason.txt"))
		require.NoError(t, err)
		assert.Contains(t, string(reason), "flux de l'annuaire incomplet : catégories manquantes EtabEducNat, PersEducNat ; déposez l'extraction complète (EtabEducNat, Eleve, PersEducNat)")
		sn, err := st.SnapshotAt(ctx, access.Academy(academy.ID), s.UAI, time.Time{})
		require.NoError(t, err)
		assert.Contains(t, string(sn.Facts), `"structure_found":true`, "the good feed stands")
	})
}
