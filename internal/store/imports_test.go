package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigie-edu/vigie/internal/access"
	"github.com/vigie-edu/vigie/internal/apperr"
	"github.com/vigie-edu/vigie/internal/campaign"
	"github.com/vigie-edu/vigie/internal/store"
	"github.com/vigie-edu/vigie/internal/store/storetest"
)

// twoAcademies registers poitiers (0790029C, 0860001J) and bordeaux (0330001X).
func twoAcademies(t *testing.T, s *store.Store) (poitiers, bordeaux campaign.Academy) {
	t.Helper()
	ctx := context.Background()
	var err error
	poitiers, err = s.CreateAcademy(ctx, access.System(), "poitiers", "Poitiers")
	require.NoError(t, err)
	bordeaux, err = s.CreateAcademy(ctx, access.System(), "bordeaux", "Bordeaux")
	require.NoError(t, err)
	_, err = s.UpsertSchools(ctx, access.System(), poitiers.ID, []campaign.School{
		school("0790029C", "Lycée Jean Macé", campaign.KindLycee), school("0860001J", "Collège Henri IV", campaign.KindCollege)})
	require.NoError(t, err)
	_, err = s.UpsertSchools(ctx, access.System(), bordeaux.ID, []campaign.School{school("0330001X", "Lycée Montaigne", campaign.KindLycee)})
	require.NoError(t, err)
	return poitiers, bordeaux
}

func TestImportsAndParts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		poitiers, bordeaux := twoAcademies(t, s)
		day := time.Date(2026, 9, 10, 8, 0, 0, 0, time.UTC)
		imp := store.Import{
			AcademyID: poitiers.ID, UAI: "0790029C", Kind: "sts", FileName: "sts_emp_0790029C_2026.xml", Size: 12,
			SHA256: "aaa", SchoolYear: 2026, ExportedAt: day, ExportTimeFrom: "mtime", ImportedBy: "alice", Outcome: store.ImportAccepted,
			Warnings: []string{"empty LIBELLE_LONG"}, Schools: 1,
		}
		part := store.Part{UAI: "0790029C", Kind: "sts", SchoolYear: 2026, ExportedAt: day, Version: 1, JSON: []byte(`{"v":1}`)}
		saved, existed, err := s.SaveImport(ctx, access.Schools(poitiers.ID, "0790029C"), imp, blob("<STS_EDT/>"), []store.Part{part})
		require.NoError(t, err)
		assert.False(t, existed)
		assert.Positive(t, saved.ID)

		again, existed, err := s.SaveImport(ctx, access.Academy(poitiers.ID), imp, blob("<STS_EDT/>"), []store.Part{part})
		require.NoError(t, err)
		assert.True(t, existed, "the same file twice is idempotent")
		assert.Equal(t, saved.ID, again.ID)

		newer := imp
		newer.SHA256, newer.ExportedAt = "bbb", day.Add(48*time.Hour)
		p2 := part
		p2.ExportedAt, p2.JSON = newer.ExportedAt, []byte(`{"v":2}`)
		_, _, err = s.SaveImport(ctx, access.Academy(poitiers.ID), newer, blob("<STS_EDT v2/>"), []store.Part{p2})
		require.NoError(t, err)

		rejected := store.Import{AcademyID: poitiers.ID, UAI: "0790029C", Kind: "siecle", FileName: "ElevesSansAdresses.zip",
			SHA256: "ccc", ImportedBy: "alice", Outcome: store.ImportRejected, Error: "ElevesSansAdresses.xml:12: malformed XML"}
		_, _, err = s.SaveImport(ctx, access.Academy(poitiers.ID), rejected, store.Blob{}, nil)
		require.NoError(t, err)

		_, _, err = s.SaveImport(ctx, access.Schools(poitiers.ID, "0860001J"), imp, store.Blob{}, nil)
		assert.ErrorIs(t, err, apperr.ErrNotFound, "a school admin cannot import for another school")
		_, _, err = s.SaveImport(ctx, access.Academy(bordeaux.ID), imp, store.Blob{}, nil)
		assert.ErrorIs(t, err, apperr.ErrNotFound, "another academy cannot import here")
		feed := store.Import{AcademyID: poitiers.ID, Kind: "ent", FileName: "feed.zip", SHA256: "ddd", ImportedBy: "bob", Outcome: store.ImportAccepted}
		_, _, err = s.SaveImport(ctx, access.Schools(poitiers.ID, "0790029C"), feed, store.Blob{}, nil)
		assert.ErrorIs(t, err, apperr.ErrForbidden, "an academy feed needs the whole academy")

		latest, err := s.LatestParts(ctx, access.Academy(poitiers.ID), "0790029C", 2026, time.Time{})
		require.NoError(t, err)
		require.Len(t, latest, 1)
		assert.JSONEq(t, `{"v":2}`, string(latest[0].JSON))
		assert.Equal(t, "sts_emp_0790029C_2026.xml", latest[0].FileName)
		assert.Equal(t, "bbb", latest[0].SHA256)

		hist, err := s.PartsHistory(ctx, access.Academy(poitiers.ID), "0790029C", "sts", 2026)
		require.NoError(t, err)
		require.Len(t, hist, 2)
		assert.True(t, hist[0].ExportedAt.Before(hist[1].ExportedAt))
		_, err = s.LatestParts(ctx, access.Academy(bordeaux.ID), "0790029C", 2026, time.Time{})
		assert.ErrorIs(t, err, apperr.ErrNotFound)

		list, total, err := s.ListImports(ctx, access.Academy(poitiers.ID), store.ImportFilter{})
		require.NoError(t, err)
		assert.EqualValues(t, 3, total)
		assert.Equal(t, store.ImportRejected, list[0].Outcome, "newest first")
		assert.Contains(t, list[0].Error, "malformed XML")
		assert.Equal(t, []string{"empty LIBELLE_LONG"}, list[2].Warnings)
		other, total, err := s.ListImports(ctx, access.Academy(bordeaux.ID), store.ImportFilter{})
		require.NoError(t, err)
		assert.Zero(t, total)
		assert.Empty(t, other)
		_, total, err = s.ListImports(ctx, access.Schools(poitiers.ID, "0860001J"), store.ImportFilter{})
		require.NoError(t, err)
		assert.Zero(t, total)

		orig, zipped, err := s.ImportOriginal(ctx, access.Academy(poitiers.ID), saved.ID)
		require.NoError(t, err)
		assert.False(t, zipped)
		assert.Equal(t, "<STS_EDT/>", string(orig))
		_, _, err = s.ImportOriginal(ctx, access.Academy(bordeaux.ID), saved.ID)
		assert.ErrorIs(t, err, apperr.ErrNotFound)
	})
}

func TestSnapshots(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		poitiers, bordeaux := twoAcademies(t, s)
		base := time.Date(2026, 9, 10, 8, 0, 0, 0, time.UTC)
		for i, uai := range []string{"0790029C", "0860001J", "0790029C"} {
			_, err := s.SaveSnapshot(ctx, access.Academy(poitiers.ID), store.Snapshot{
				AcademyID: poitiers.ID, UAI: uai, SchoolYear: 2026, AsOf: base, CreatedAt: base.Add(time.Duration(i) * time.Hour),
				SchemaVersion: 1, Facts: []byte(`{"n":` + string(rune('0'+i)) + `}`),
			})
			require.NoError(t, err)
		}
		_, err := s.SaveSnapshot(ctx, access.Academy(bordeaux.ID), store.Snapshot{AcademyID: poitiers.ID, UAI: "0790029C", Facts: []byte("{}")})
		assert.ErrorIs(t, err, apperr.ErrNotFound)

		sn, err := s.SnapshotAt(ctx, access.Academy(poitiers.ID), "0790029C", time.Time{})
		require.NoError(t, err)
		assert.JSONEq(t, `{"n":2}`, string(sn.Facts))
		sn, err = s.SnapshotAt(ctx, access.Academy(poitiers.ID), "0790029C", base.Add(30*time.Minute))
		require.NoError(t, err)
		assert.JSONEq(t, `{"n":0}`, string(sn.Facts))
		_, err = s.SnapshotAt(ctx, access.Academy(poitiers.ID), "0790029C", base.Add(-time.Hour))
		assert.ErrorIs(t, err, apperr.ErrNotFound)
		_, err = s.SnapshotAt(ctx, access.Schools(poitiers.ID, "0860001J"), "0790029C", time.Time{})
		assert.ErrorIs(t, err, apperr.ErrNotFound)

		var seen []string
		require.NoError(t, s.EachLatestSnapshot(ctx, access.Academy(poitiers.ID), poitiers.ID, func(sn store.Snapshot) error {
			seen = append(seen, sn.UAI+":"+string(sn.Facts))
			return nil
		}))
		assert.ElementsMatch(t, []string{`0790029C:{"n":2}`, `0860001J:{"n":1}`}, seen)
		seen = nil
		require.NoError(t, s.EachLatestSnapshot(ctx, access.Schools(poitiers.ID, "0860001J"), poitiers.ID, func(sn store.Snapshot) error {
			seen = append(seen, sn.UAI)
			return nil
		}))
		assert.Equal(t, []string{"0860001J"}, seen)
		assert.ErrorIs(t, s.EachLatestSnapshot(ctx, access.Academy(bordeaux.ID), poitiers.ID, func(store.Snapshot) error { return nil }), apperr.ErrNotFound)
	})
}

func blob(s string) store.Blob {
	b, err := store.GzipBlob(strings.NewReader(s))
	if err != nil {
		panic(err)
	}
	return b
}

// TestSameContentUnderAnotherName: a feed or links file carries its time in its name, so the
// same bytes under a newer name are a new import.
func TestSameContentUnderAnotherName(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		poitiers, _ := twoAcademies(t, s)
		imp := store.Import{AcademyID: poitiers.ID, Kind: "ent", FileName: "ENT_Complet_20261004_EtabEducNat_0000.xml",
			SHA256: "same", ImportedBy: "feed", Outcome: store.ImportAccepted}
		first, existed, err := s.SaveImport(ctx, access.Academy(poitiers.ID), imp, store.Blob{}, nil)
		require.NoError(t, err)
		require.False(t, existed)
		imp.FileName = "ENT_Complet_20261005_EtabEducNat_0000.xml"
		second, existed, err := s.SaveImport(ctx, access.Academy(poitiers.ID), imp, store.Blob{}, nil)
		require.NoError(t, err)
		assert.False(t, existed)
		assert.NotEqual(t, first.ID, second.ID)
	})
}
