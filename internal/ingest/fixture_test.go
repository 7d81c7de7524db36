package ingest

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigie-edu/vigie/internal/campaign"
	"github.com/vigie-edu/vigie/internal/fact"
	"github.com/vigie-edu/vigie/internal/fixture"
)

// osUpload opens a written file as an upload, with its modification time as a collector
// would see it.
func osUpload(t testing.TB, dir, rel string) Upload {
	t.Helper()
	path := filepath.Join(dir, filepath.FromSlash(rel))
	f, err := os.Open(path)
	require.NoError(t, err)
	t.Cleanup(func() { f.Close() })
	fi, err := f.Stat()
	require.NoError(t, err)
	return Upload{Name: filepath.Base(path), Content: f, Size: fi.Size(), ModTime: fi.ModTime(), ReceivedAt: time.Date(2026, 10, 5, 8, 0, 0, 0, time.UTC)}
}

// buildFromFixture writes a generated school and reads it back through the public API, as the
// importer does: Read for each school file, ReadFeed for the feed, Build with the history.
func buildFromFixture(t testing.TB, s *fixture.School) (*fact.Snapshot, BuildInput) {
	t.Helper()
	dir := t.TempDir()
	m, err := fixture.WriteSchool(dir, s)
	require.NoError(t, err)
	in := BuildInput{UAI: s.UAI, SchoolYear: s.Year, AsOf: s.Now}
	var feed []Upload
	for _, e := range m {
		switch {
		case e.Kind == fixture.KindENT:
			feed = append(feed, osUpload(t, dir, e.Path))
		case e.Kind == fixture.KindSTS && e.SchoolYear == s.Year-1:
			p, err := Read(osUpload(t, dir, e.Path), Options{UAI: s.UAI, SchoolYear: s.Year - 1})
			require.NoError(t, err, e.Path)
			in.History.PreviousYearKnown = true
			in.History.PreviousYearGroups = GroupCodes(p.STS)
		case e.Kind != fixture.KindDirectory:
			p, err := Read(osUpload(t, dir, e.Path), Options{UAI: s.UAI, SchoolYear: s.Year, Source: fact.Source(e.Kind)})
			require.NoError(t, err, e.Path)
			in.Add(p)
		}
	}
	if len(feed) > 0 {
		f, err := ReadFeed(feed, Options{UAI: s.UAI, SchoolYear: s.Year})
		require.NoError(t, err)
		in.ENT = f.Schools[s.UAI]
	}
	in.History.STSGroupsChangedAt = STSGroupsChangedAt(in.STS, nil)
	snap, err := Build(in)
	require.NoError(t, err)
	return snap, in
}

// comparable clears what the generator does not predict.
func comparable(s *fact.Snapshot) *fact.Snapshot {
	c := *s
	c.Sources = map[fact.Source]fact.SourceInfo{}
	for k, v := range s.Sources {
		v.SHA256, v.ImportedAt, v.ImportID, v.Warnings = "", time.Time{}, 0, nil
		if k == fact.SourceENT {
			v.File = ""
		}
		c.Sources[k] = v
	}
	return &c
}

// assertSnapshot compares field by field (through JSON, so that instants compare by value and
// the diff is readable), one division or group at a time.
func assertSnapshot(t *testing.T, want, got *fact.Snapshot) {
	t.Helper()
	want, got = comparable(want), comparable(got)
	js := func(v any) string {
		b, err := json.MarshalIndent(v, "", " ")
		require.NoError(t, err)
		return string(b)
	}
	assert.Equal(t, js(want.Sources), js(got.Sources), "sources")
	assert.ElementsMatch(t, keys(want.Divisions), keys(got.Divisions), "division keys")
	for k, d := range want.Divisions {
		if g, ok := got.Divisions[k]; ok {
			assert.Equal(t, js(d), js(g), "division %q", k)
		}
	}
	assert.ElementsMatch(t, keys(want.Groups), keys(got.Groups), "group keys")
	for k, d := range want.Groups {
		if g, ok := got.Groups[k]; ok {
			assert.Equal(t, js(d), js(g), "group %q", k)
		}
	}
	assert.Equal(t, js(want.Pupils), js(got.Pupils), "pupils")
	assert.Equal(t, js(want.Teachers), js(got.Teachers), "teachers")
	assert.Equal(t, js(want.ENT), js(got.ENT), "ent")
	assert.Equal(t, js(want.History), js(got.History), "history")
	assert.Equal(t, want.UAI, got.UAI)
	assert.Equal(t, want.SchoolYear, got.SchoolYear)
	assert.True(t, want.AsOf.Equal(got.AsOf))
}

func TestFixtureSchools(t *testing.T) {
	all := fixture.FileOptions{STSZipped: true, STSUpperPrefix: true, STSDoctype: true, WithAddresses: true,
		AltElementOrder: true, ELENOETOnLinks: true, EmptyOptional: true, NoIndent: true}
	cases := []struct {
		desc string
		spec fixture.SchoolSpec
	}{
		{"clean lycée of 2,400 pupils", fixture.SchoolSpec{Seed: 1, Pupils: 2400}},
		{"collège, every file variant", fixture.SchoolSpec{Seed: 2, Kind: campaign.KindCollege, Files: &all}},
		{"LP, bare files", fixture.SchoolSpec{Seed: 3, Kind: campaign.KindLP, Files: &fixture.FileOptions{SIECLEUnzipped: true}}},
		{"lycée with every defect", fixture.SchoolSpec{Seed: 4, Defects: fixture.Defects{
			MissingPP: 2, DivisionsWithoutService: 2, DivisionHeadcountOff: 1, DivisionPlannedZero: 1,
			GroupsOrphan: 2, GroupsPlannedZero: 1, GroupsWithoutService: 2, GroupHeadcountOff: 2, CarriedOverGroups: 2,
			ServicesUnknownTeacher: 2, TeachersWithoutFunction: 1, GroupsNotExported: 2, DivisionsNotExported: 1,
			SIECLEOnlyDivisions: 1, SIECLEDivisionHeadcountOff: 1, EmptyGroups: 2, DuplicateINE: 2, DuplicateIdentity: 2,
			MissingINE: 3, PupilsWithoutDivision: 2, PupilsInSeveralDivisions: 2, PupilsAbsentFromLinks: 300,
			LinksUnknownPupils: 3, ENTEmptyClasses: 1, ENTEmptyGroups: 2, ENTDivisionCountDiffers: 1,
			ENTGroupCountDiffers: 1, ENTDivisionsWithoutPP: 2, ENTWithoutTeacherLinks: 2, LinksBeforeSTS: true}}},
		{"missing sources", fixture.SchoolSpec{Seed: 5, Defects: fixture.Defects{NoSTS: true, NoLinks: true, NoStructures: true, NoPreviousYear: true}}},
		{"feed without the school", fixture.SchoolSpec{Seed: 6, Defects: fixture.Defects{ENTStructureMissing: true, NoSIECLE: true}}},
	}
	for _, c := range cases {
		t.Run(c.desc, func(t *testing.T) {
			s, err := fixture.NewSchool(c.spec)
			require.NoError(t, err)
			got, in := buildFromFixture(t, s)
			assertSnapshot(t, s.Snapshot(), got)
			// Counts the snapshot does not carry, read from the parts.
			facts := s.Truth().Facts
			if in.SIECLE != nil {
				d, g := 0, 0
				for _, p := range in.SIECLE.Pupils {
					d += len(p.Divisions)
					g += len(p.Groups)
				}
				assert.Equal(t, facts.PupilDivisionLinks, d, "D links")
				assert.Equal(t, facts.PupilGroupLinks, g, "G links")
			}
			if in.ENT != nil && in.ENT.StructureFound {
				assert.Equal(t, facts.ENTPersons, in.ENT.Staff, "PersEducNat records")
			}
		})
	}
}

// TestFixtureAcademyFeed writes one feed for several schools, cut in small chunks, and checks
// that reading it (zipped, chunks in any order) splits every school's facts as the generator
// predicts.
func TestFixtureAcademyFeed(t *testing.T) {
	dir := t.TempDir()
	var schools []*fixture.School
	specs := []fixture.SchoolSpec{
		{Seed: 11, Kind: campaign.KindCollege, Pupils: 350},
		{Seed: 12, Kind: campaign.KindLP, Pupils: 250, Defects: fixture.Defects{ENTEmptyClasses: 2, ENTEmptyGroups: 1}},
		{Seed: 13, Kind: campaign.KindCollege, Pupils: 400, Defects: fixture.Defects{ENTDivisionsWithoutPP: 2, ENTWithoutTeacherLinks: 3}},
		{Seed: 14, Kind: campaign.KindLycee, Pupils: 900, Defects: fixture.Defects{ENTDivisionCountDiffers: 2, ENTGroupCountDiffers: 2}},
		{Seed: 15, Kind: campaign.KindCollege, Pupils: 300, Defects: fixture.Defects{ENTStructureMissing: true}},
		{Seed: 16, Kind: campaign.KindCollege, Pupils: 300, Defects: fixture.Defects{SIECLEOnlyDivisions: 1}},
	}
	for _, spec := range specs {
		s, err := fixture.NewSchool(spec)
		require.NoError(t, err)
		schools = append(schools, s)
	}
	w, err := fixture.NewAAFWriter(filepath.Join(dir, "aaf"), "ENT2D_POITIERS", schools[0].Exports.ENT, 700)
	require.NoError(t, err)
	for _, s := range schools {
		require.NoError(t, w.Add(s))
	}
	m, err := w.Close()
	require.NoError(t, err)
	require.Greater(t, len(m), 4, "several chunks per category")

	var entries []zipEntry
	for i := len(m) - 1; i >= 0; i-- { // reverse order: persons before structures
		b, err := os.ReadFile(filepath.Join(dir, "aaf", m[i].Path))
		require.NoError(t, err)
		entries = append(entries, zipEntry{name: m[i].Path, data: b})
	}
	feed, err := ReadFeed([]Upload{bytesUpload("ENT2D_POITIERS_Complet.zip", zipBytes(t, entries...))}, Options{SchoolYear: schools[0].Year})
	require.NoError(t, err)
	assert.Len(t, feed.Schools, len(schools)-1, "one school has no structure in the feed")

	for _, s := range schools {
		want := s.Snapshot()
		p := feed.Schools[s.UAI]
		if !want.ENT.StructureFound {
			assert.Nil(t, p, s.UAI)
			continue
		}
		require.NotNil(t, p, s.UAI)
		got, err := Build(BuildInput{UAI: s.UAI, AsOf: s.Now, ENT: p})
		require.NoError(t, err)
		assert.Equal(t, want.ENT, got.ENT, s.UAI)
		assert.Positive(t, got.Pupils.ENT, s.UAI)
		assert.Equal(t, want.Pupils.ENT, got.Pupils.ENT, s.UAI)
		assert.Equal(t, want.Teachers.ENT, got.Teachers.ENT, s.UAI)
		for k, d := range want.Divisions {
			assert.Equal(t, d.ENT, entOf(got.Divisions[k]), "%s division %q", s.UAI, k)
		}
		for k, g := range want.Groups {
			var ge fact.ENTGroup
			if x := got.Groups[k]; x != nil {
				ge = x.ENT
			}
			assert.Equal(t, g.ENT, ge, "%s group %q", s.UAI, k)
		}
	}
}

func entOf(d *fact.Division) fact.ENTStructure {
	if d == nil {
		return fact.ENTStructure{}
	}
	return d.ENT
}
