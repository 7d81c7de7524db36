package importer_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigie-edu/vigie/internal/access"
	"github.com/vigie-edu/vigie/internal/apperr"
	"github.com/vigie-edu/vigie/internal/campaign"
	"github.com/vigie-edu/vigie/internal/fact"
	"github.com/vigie-edu/vigie/internal/fixture"
	"github.com/vigie-edu/vigie/internal/importer"
	"github.com/vigie-edu/vigie/internal/ingest"
	"github.com/vigie-edu/vigie/internal/store"
	"github.com/vigie-edu/vigie/internal/store/storetest"
)

type world struct {
	st       *store.Store
	im       *importer.Importer
	academy  campaign.Academy
	other    campaign.Academy
	school   *fixture.School
	files    map[fixture.FileKind][]string // paths by kind
	neighbor string                        // another school of the academy
}

func setup(t *testing.T, st *store.Store) world {
	t.Helper()
	ctx := context.Background()
	s, err := fixture.NewSchool(fixture.SchoolSpec{Seed: 11, UAI: "0790029C", Pupils: 500, Now: fixture.DefaultNow,
		Files: &fixture.FileOptions{STSDoctype: true}})
	require.NoError(t, err)
	dir := t.TempDir()
	m, err := fixture.WriteSchool(dir, s)
	require.NoError(t, err)
	files := map[fixture.FileKind][]string{}
	for _, e := range m {
		if e.SchoolYear != 0 && e.SchoolYear != s.Year {
			continue // last year's STS-Web export: history, imported with its year
		}
		files[e.Kind] = append(files[e.Kind], filepath.Join(dir, filepath.FromSlash(e.Path)))
	}
	a, err := st.CreateAcademy(ctx, access.System(), "poitiers", "Poitiers")
	require.NoError(t, err)
	b, err := st.CreateAcademy(ctx, access.System(), "bordeaux", "Bordeaux")
	require.NoError(t, err)
	_, err = st.UpsertSchools(ctx, access.System(), a.ID, []campaign.School{
		{UAI: "0790029C", Name: s.Name, Kind: s.Kind}, {UAI: "0860001J", Name: "Collège Henri IV", Kind: campaign.KindCollege}})
	require.NoError(t, err)
	_, err = st.UpsertSchools(ctx, access.System(), b.ID, []campaign.School{{UAI: "0330001X", Name: "Lycée Montaigne", Kind: campaign.KindLycee}})
	require.NoError(t, err)
	im := importer.New(st, storetest.Logger(t), ingest.DefaultLimits(), func() time.Time { return fixture.DefaultNow })
	return world{st: st, im: im, academy: a, other: b, school: s, files: files, neighbor: "0860001J"}
}

func upload(t *testing.T, path string) ingest.Upload {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	t.Cleanup(func() { f.Close() })
	fi, err := f.Stat()
	require.NoError(t, err)
	return ingest.Upload{Name: filepath.Base(path), Content: f, Size: fi.Size(), ReceivedAt: fixture.DefaultNow, ModTime: fi.ModTime()}
}

func memUpload(name, content string) ingest.Upload {
	return ingest.Upload{Name: name, Content: strings.NewReader(content), Size: int64(len(content)), ReceivedAt: fixture.DefaultNow}
}

func TestImportSchoolFilesAndRebuild(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := setup(t, st)
		var ups []ingest.Upload
		for _, k := range []fixture.FileKind{fixture.KindSTS, fixture.FileKind(fact.SourceSIECLE), fixture.FileKind(fact.SourceStructures), fixture.FileKind(fact.SourceLinks)} {
			for _, p := range w.files[k] {
				ups = append(ups, upload(t, p))
			}
		}
		require.NotEmpty(t, ups)
		scope := access.Schools(w.academy.ID, "0790029C")
		res, err := w.im.Import(ctx, scope, importer.Request{Academy: w.academy, UAI: "0790029C", By: "paul", Files: ups})
		require.NoError(t, err)
		assert.Zero(t, res.Rejected())
		require.Len(t, res.Snapshots, 1, "one school touched, one snapshot")
		var snap fact.Snapshot
		require.NoError(t, json.Unmarshal(res.Snapshots[0].Facts, &snap))
		truth := w.school.Snapshot()
		assert.Equal(t, truth.Pupils.Active, snap.Pupils.Active)
		assert.Equal(t, len(truth.Groups), len(snap.Groups))
		assert.Contains(t, snap.Sources, fact.SourceSTS)
		assert.Contains(t, snap.Sources, fact.SourceLinks)
		// STS-Web writes no export time: the import and the snapshot say which time stands in.
		for _, f := range res.Files {
			if f.Import.Kind == string(fact.SourceSTS) {
				assert.NotEqual(t, fact.TimeFromContent, f.Import.ExportTimeFrom)
				require.NotEmpty(t, f.Import.Warnings)
				assert.Contains(t, f.Import.Warnings[len(f.Import.Warnings)-1], "date d'export absente du fichier : ")
				assert.Contains(t, f.Import.Warnings[len(f.Import.Warnings)-1], "la fraîcheur de cet export ne peut pas être garantie")
			}
		}
		require.Equal(t, string(fact.SourceSTS), res.Files[0].Import.Kind)
		assert.Equal(t, snap.Sources[fact.SourceSTS].Warnings, res.Files[0].Import.Warnings)

		// The same file again changes nothing.
		ups[0] = upload(t, w.files[fixture.KindSTS][0])
		again, err := w.im.Import(ctx, scope, importer.Request{Academy: w.academy, UAI: "0790029C", By: "paul", Files: ups[:1]})
		require.NoError(t, err)
		require.Len(t, again.Files, 1)
		assert.True(t, again.Files[0].Duplicate)
		assert.Empty(t, again.Snapshots)

		// A school admin cannot import for another school, nor another academy for this one.
		_, err = w.im.Import(ctx, scope, importer.Request{Academy: w.academy, UAI: w.neighbor, By: "paul", Files: ups[:1]})
		assert.ErrorIs(t, err, apperr.ErrNotFound)
		_, err = w.im.Import(ctx, access.Academy(w.other.ID), importer.Request{Academy: w.other, UAI: "0790029C", By: "x", Files: ups[:1]})
		assert.ErrorIs(t, err, apperr.ErrNotFound)
	})
}

func TestImportRefusesBadFilesAndKeepsWhatWasStored(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := setup(t, st)
		scope := access.Academy(w.academy.ID)
		_, err := w.im.Import(ctx, scope, importer.Request{Academy: w.academy, UAI: "0790029C", By: "paul",
			Files: []ingest.Upload{upload(t, w.files[fixture.KindSTS][0])}})
		require.NoError(t, err)
		before, err := st.SnapshotAt(ctx, scope, "0790029C", time.Time{})
		require.NoError(t, err)

		sts := w.files[fixture.KindSTS][0]
		raw, err := os.ReadFile(sts)
		require.NoError(t, err)
		bad := []ingest.Upload{
			memUpload("tronque.xml", `<?xml version="1.0" encoding="ISO-8859-15"?><STS_EDT><PARAMETRES>`),
			memUpload("vide.xml", ""),
			memUpload("edt_sts.xml", `<?xml version="1.0"?><EDT_STS><PARAMETRES/></EDT_STS>`),
		}
		require.False(t, bytes.HasPrefix(raw, []byte("PK")), "a bare STS-Web export")
		// The STS-Web export of this school uploaded for its neighbour.
		bad = append(bad, memUpload("sts_emp_0790029C_2026.xml", string(raw)))
		res, err := w.im.Import(ctx, scope, importer.Request{Academy: w.academy, UAI: "0790029C", By: "paul", Files: bad[:3]})
		require.NoError(t, err)
		assert.Equal(t, 3, res.Rejected())
		assert.Empty(t, res.Snapshots, "nothing accepted, nothing rebuilt")
		shown := map[string]string{}
		for _, f := range res.Files {
			assert.Equal(t, store.ImportRejected, f.Import.Outcome)
			assert.Contains(t, f.Err.Error(), f.File, "the error names the file")
			shown[f.File] = f.Err.Error()
		}
		assert.Contains(t, res.Files[0].Err.Error(), "tronque.xml, ligne 1 : XML mal formé : le fichier est tronqué")
		assert.Equal(t, "vide.xml : fichier vide", res.Files[1].Err.Error())
		assert.Contains(t, res.Files[2].Err.Error(), "edt_sts.xml, ligne 1, champ EDT_STS : ce fichier est l'export du logiciel d'emploi du temps vers STS-Web")

		after, err := st.SnapshotAt(ctx, scope, "0790029C", time.Time{})
		require.NoError(t, err)
		assert.Equal(t, before.ID, after.ID, "refused files leave the snapshot alone")

		list, _, err := st.ListImports(ctx, scope, store.ImportFilter{Outcome: store.ImportRejected})
		require.NoError(t, err)
		assert.Len(t, list, 3, "refused files are recorded with their error")
		for _, imp := range list {
			assert.Equal(t, shown[imp.FileName], imp.Error, "the stored error is the one shown")
		}

		res, err = w.im.Import(ctx, scope, importer.Request{Academy: w.academy, UAI: w.neighbor, By: "paul", Files: bad[3:]})
		require.NoError(t, err)
		require.Equal(t, 1, res.Rejected())
		assert.Contains(t, res.Files[0].Err.Error(), "sts_emp_0790029C_2026.xml, ligne ")
		assert.Contains(t, res.Files[0].Err.Error(), ", champ PARAMETRES/UAJ@CODE : ce fichier concerne l'établissement 0790029C, pas "+w.neighbor+
			" : déposez l'export de "+w.neighbor)
		assert.NotContains(t, res.Files[0].Err.Error(), "déposez celui-ci", "no advice to upload for a school the user may not reach")

		// An academy-wide upload of a school outside the academy.
		other := "0330001"
		letter, err := campaign.UAICheckLetter(other)
		require.NoError(t, err)
		other += string(letter)
		res, err = w.im.Import(ctx, scope, importer.Request{Academy: w.academy, By: "paul",
			Files: []ingest.Upload{memUpload("sts_emp_"+other+"_2026.xml", strings.ReplaceAll(string(raw), "0790029C", other))}})
		require.NoError(t, err)
		require.Equal(t, 1, res.Rejected())
		assert.Equal(t, "sts_emp_"+other+"_2026.xml : l'établissement "+other+" n'est pas un établissement de l'académie "+w.academy.Code+
			" pour lequel vous pouvez déposer des fichiers", res.Files[0].Err.Error())
	})
}

func TestImportFeedCoversEverySchoolOfTheAcademy(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := setup(t, st)
		var feed []ingest.Upload
		for _, p := range w.files[fixture.FileKind(fact.SourceENT)] {
			feed = append(feed, upload(t, p))
		}
		require.NotEmpty(t, feed, "the generator writes a one-school feed")
		_, err := w.im.Import(ctx, access.Schools(w.academy.ID, "0790029C"), importer.Request{Academy: w.academy, By: "paul", Files: feed})
		assert.ErrorIs(t, err, apperr.ErrForbidden, "a school admin cannot import the academy feed")

		res, err := w.im.Import(ctx, access.Academy(w.academy.ID), importer.Request{Academy: w.academy, By: "feed", Files: feed})
		require.NoError(t, err)
		require.Len(t, res.Files, 1)
		require.NoError(t, res.Files[0].Err)
		assert.Equal(t, 2, res.Files[0].Import.Schools, "both schools of the academy get a part")
		require.Len(t, res.Snapshots, 2)
		for _, sn := range res.Snapshots {
			var snap fact.Snapshot
			require.NoError(t, json.Unmarshal(sn.Facts, &snap))
			require.Contains(t, snap.Sources, fact.SourceENT, sn.UAI)
			assert.Equal(t, sn.UAI == "0790029C", snap.ENT.StructureFound, "%s: the neighbour is not in the feed", sn.UAI)
		}
	})
}

// TestImportSTSHistoryDatesTheLastChangeOfGroups: the last change of groups is known only
// when Vigie saw an earlier STS-Web export of the year with other groups; then it is the
// export time of the oldest one having today's groups, and a later export with the same
// groups does not move it.
func TestImportSTSHistoryDatesTheLastChangeOfGroups(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := setup(t, st)
		path := w.files[fixture.KindSTS][0]
		current, err := os.ReadFile(path)
		require.NoError(t, err)
		// Before the timetable was finished: the same export without its first group.
		first := regexp.MustCompile(`(?s)<GROUPE CODE="[^"]*">.*?</GROUPE>`)
		require.True(t, first.Match(current))
		removed := true
		earlier := first.ReplaceAllFunc(current, func(b []byte) []byte {
			if removed {
				removed = false
				return nil
			}
			return b
		})
		name := filepath.Base(path)
		at := func(days int) time.Time {
			return fixture.DefaultNow.Add(-time.Duration(days) * 24 * time.Hour).Truncate(time.Second)
		}
		sts := func(content []byte, exported time.Time) ingest.Upload {
			return ingest.Upload{Name: name, Content: bytes.NewReader(content), Size: int64(len(content)),
				ReceivedAt: fixture.DefaultNow, ModTime: exported}
		}
		scope := access.Schools(w.academy.ID, "0790029C")
		history := func(up ingest.Upload) (fact.History, time.Time) {
			t.Helper()
			res, err := w.im.Import(ctx, scope, importer.Request{Academy: w.academy, UAI: "0790029C", By: "paul", Files: []ingest.Upload{up}})
			require.NoError(t, err)
			require.Zero(t, res.Rejected())
			require.Len(t, res.Snapshots, 1)
			var snap fact.Snapshot
			require.NoError(t, json.Unmarshal(res.Snapshots[0].Facts, &snap))
			return snap.History, snap.Sources[fact.SourceSTS].ExportedAt
		}

		h, _ := history(sts(earlier, at(20)))
		assert.True(t, h.STSGroupsChangedAt.IsZero(), "a single STS-Web export: the last change is unknown, got %v", h.STSGroupsChangedAt)

		h, exported := history(sts(current, at(4)))
		require.True(t, exported.Equal(at(4)), "exported %v", exported)
		assert.True(t, h.STSGroupsChangedAt.Equal(at(4)), "the groups changed since the earlier export: got %v", h.STSGroupsChangedAt)

		again := append(bytes.Clone(current), '\n') // another file, the same groups
		h, exported = history(sts(again, at(1)))
		require.True(t, exported.Equal(at(1)), "exported %v", exported)
		assert.True(t, h.STSGroupsChangedAt.Equal(at(4)), "same groups as the export of 4 days ago: got %v", h.STSGroupsChangedAt)
	})
}

// TestImportRefusesPartialFeed: a feed missing a category, or a Delta extraction alone, is
// refused whole and recorded as refused; the last good feed stays what every school's
// snapshot says. Held at the drop folder's request, it is not even recorded.
func TestImportRefusesPartialFeed(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := setup(t, st)
		scope := access.Academy(w.academy.ID)
		var feed, pupils, noStaff []ingest.Upload
		for _, p := range w.files[fixture.FileKind(fact.SourceENT)] {
			u := upload(t, p)
			feed = append(feed, u)
			if strings.Contains(u.Name, "_Eleve_") {
				pupils = append(pupils, u)
			}
			if !strings.Contains(u.Name, "_PersEducNat_") {
				noStaff = append(noStaff, u)
			}
		}
		require.NotEmpty(t, pupils)
		require.Less(t, len(noStaff), len(feed))
		res, err := w.im.Import(ctx, scope, importer.Request{Academy: w.academy, By: "feed", Files: feed})
		require.NoError(t, err)
		require.NoError(t, res.Files[0].Err)
		before := map[string]int64{}
		for _, uai := range []string{"0790029C", w.neighbor} {
			sn, err := st.SnapshotAt(ctx, scope, uai, time.Time{})
			require.NoError(t, err)
			before[uai] = sn.ID
		}

		delta := memUpload("ENT2D_Delta_20251015_Eleve_0000.xml", `<?xml version="1.0" encoding="UTF-8"?><ficAlimMENESR>`+
			`<modifyRequest><operationalAttributes><attr name="categoriePersonne"><value>Eleve</value></attr></operationalAttributes>`+
			`<identifier><id>E1</id></identifier><modifications><modification name="ENTEleveClasses" operation="replace"><value>1$2A</value></modification></modifications></modifyRequest>`+
			`<deleteRequest><operationalAttributes><attr name="categoriePersonne"><value>Eleve</value></attr></operationalAttributes><identifier><id>E2</id></identifier></deleteRequest>`+
			`</ficAlimMENESR>`)
		cases := []struct {
			files []ingest.Upload
			want  string
		}{
			{[]ingest.Upload{delta}, "extraction différentielle (Delta) : Vigie a besoin d'une extraction complète (Complet_…)"},
			{pupils, "flux de l'annuaire incomplet : catégories manquantes EtabEducNat, PersEducNat ; déposez l'extraction complète (EtabEducNat, Eleve, PersEducNat)"},
			{noStaff, "flux de l'annuaire incomplet : catégorie manquante PersEducNat ;"},
		}
		for _, c := range cases {
			res, err := w.im.Import(ctx, scope, importer.Request{Academy: w.academy, By: "dropfolder", Files: c.files, HoldIncompleteFeed: true})
			require.NoError(t, err)
			require.Len(t, res.Files, 1)
			assert.True(t, res.Files[0].Held, c.want)
			assert.Zero(t, res.Rejected())
			assert.Zero(t, res.Files[0].Import.ID, "held: nothing recorded")

			res, err = w.im.Import(ctx, scope, importer.Request{Academy: w.academy, By: "paul", Files: c.files})
			require.NoError(t, err)
			require.Len(t, res.Files, 1)
			require.Error(t, res.Files[0].Err)
			assert.False(t, res.Files[0].Held)
			assert.Contains(t, res.Files[0].Err.Error(), c.want)
			assert.Equal(t, store.ImportRejected, res.Files[0].Import.Outcome)
			assert.Equal(t, string(fact.SourceENT), res.Files[0].Import.Kind)
			assert.Empty(t, res.Snapshots, "nothing rebuilt")
		}
		list, _, err := st.ListImports(ctx, scope, store.ImportFilter{Outcome: store.ImportRejected})
		require.NoError(t, err)
		assert.Len(t, list, len(cases), "each refusal recorded once, the held ones not at all")
		for uai, id := range before {
			sn, err := st.SnapshotAt(ctx, scope, uai, time.Time{})
			require.NoError(t, err)
			assert.Equal(t, id, sn.ID, "%s: the last good feed stands", uai)
			var snap fact.Snapshot
			require.NoError(t, json.Unmarshal(sn.Facts, &snap))
			assert.Equal(t, uai == "0790029C", snap.ENT.StructureFound, uai)
		}
		// Rebuilding from what is stored gives the same: the refused feeds left no part.
		sn, err := w.im.Rebuild(ctx, scope, w.academy, "0790029C", w.school.Year)
		require.NoError(t, err)
		var snap fact.Snapshot
		require.NoError(t, json.Unmarshal(sn.Facts, &snap))
		assert.True(t, snap.ENT.StructureFound)
		assert.NotEmpty(t, snap.ENT.StructureID)
	})
}
