package ingest

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigie-edu/vigie/internal/fact"
)

var asOf = time.Date(2026, 9, 10, 10, 0, 0, 0, paris())

// smallInput reads every testdata file of school 0790029C.
func smallInput(t *testing.T) BuildInput {
	t.Helper()
	in := BuildInput{UAI: uai, SchoolYear: 2026, AsOf: asOf}
	opt := Options{UAI: uai, SchoolYear: 2026}
	for _, name := range []string{"sts_emp_0790029C_2026.xml", "ElevesSansAdresses.xml", "Structures.xml", "Nomenclature.xml", "0790029CELEGROUPE2026260908101500.xml"} {
		p, err := Read(fileUpload(t, name), opt)
		require.NoError(t, err, name)
		in.Add(p)
	}
	feed, err := ReadFeed(feedUploads(t), opt)
	require.NoError(t, err)
	in.Add(&Part{ENT: feed.Schools[uai]})
	return in
}

func intp(v int) *int { return &v }

func TestBuild(t *testing.T) {
	in := smallInput(t)
	in.History = HistoryInput{PreviousYearKnown: true, PreviousYearGroups: []string{"gr-old", "1GR-X"}}
	in.ImportIDs = map[fact.Source]int64{fact.SourceSTS: 7}
	s, err := Build(in)
	require.NoError(t, err)

	assert.Equal(t, fact.SchemaVersion, s.Version)
	assert.Equal(t, uai, s.UAI)
	assert.Equal(t, 2026, s.SchoolYear)
	assert.Len(t, s.Sources, 6)
	sts := s.Sources[fact.SourceSTS]
	assert.Equal(t, "sts_emp_0790029C_2026.xml", sts.File)
	assert.Equal(t, int64(7), sts.ImportID)
	assert.Equal(t, 2026, sts.SchoolYear)
	assert.Len(t, sts.SHA256, 64)
	assert.Equal(t, fact.TimeFromFileName, s.Sources[fact.SourceLinks].ExportTimeFrom)

	assert.ElementsMatch(t, []string{"2 A", "2 B", "2 C", "2 D"}, keys(s.Divisions), "Inactifs is no division")
	assert.ElementsMatch(t, []string{"2GR-ESP", "2GR-ALL", "GR-OLD", "2GR-VIDE"}, keys(s.Groups))

	a := s.Divisions["2 A"]
	assert.Equal(t, "2 A", a.Code)
	assert.Equal(t, "Seconde A", a.Label)
	assert.Equal(t, fact.STSDivision{Present: true, Planned: 30, Computed: intp(29), MEFs: []string{"20010018110"}, Services: 2,
		ServicesWithTeacher: 1, GroupServicesWithTeacher: 1, Teachers: 1,
		PP: []fact.PP{{TeacherID: "101", Start: "2026-09-01", End: "2027-07-04"}}}, a.STS)
	assert.Equal(t, fact.SIECLEDivision{Present: true, InStructures: true, Pupils: 3, PupilsAll: 4}, a.SIECLE)
	assert.Equal(t, fact.ENTStructure{Listed: true, Pupils: 3, TeacherLinks: 2, PrincipalLinks: 1}, a.ENT)

	b := s.Divisions["2 B"]
	assert.Equal(t, "Seconde B", b.Label, "label from the ENT when STS and SIECLE have none")
	assert.Equal(t, fact.STSDivision{Present: true, Planned: 28, MEFs: []string{}, GroupServicesWithTeacher: 1,
		PP: []fact.PP{{TeacherID: "102", Start: "2026-09-01", End: "2026-09-15"}}}, b.STS, "PP written '2 b' joins '2 B'")
	assert.Equal(t, fact.SIECLEDivision{Present: true, InStructures: true, Pupils: 2, PupilsAll: 2}, b.SIECLE)
	assert.Equal(t, 1, b.ENT.Pupils)

	c := s.Divisions["2 C"]
	assert.True(t, c.STS.Present)
	assert.Equal(t, 0, c.STS.Planned)
	assert.Equal(t, fact.SIECLEDivision{Present: true, Pupils: 1, PupilsAll: 1}, c.SIECLE, "known to SIECLE through a pupil only")

	d := s.Divisions["2 D"]
	assert.False(t, d.STS.Present)
	assert.Equal(t, fact.SIECLEDivision{Present: true, InStructures: true}, d.SIECLE)
	assert.Equal(t, fact.ENTStructure{}, d.ENT)
	assert.NotNil(t, d.STS.MEFs, "lists are [] in JSON, never null")
	assert.NotNil(t, d.STS.PP)

	esp := s.Groups["2GR-ESP"]
	assert.Equal(t, fact.STSGroup{Present: true, Planned: 25, Divisions: []string{"2 A", "2 B"}, MEFs: []string{}, Services: 1, ServicesWithTeacher: 1, Teachers: 2}, esp.STS)
	assert.Equal(t, fact.SIECLEGroup{Present: true, InStructures: true, Divisions: []string{"2 A", "2 B"}, Pupils: 2, PupilsAll: 3}, esp.SIECLE)
	assert.Equal(t, fact.LinksGroup{Present: true, Pupils: 3}, esp.Links)
	assert.Equal(t, fact.ENTGroup{ENTStructure: fact.ENTStructure{Listed: true, Pupils: 2, TeacherLinks: 1}, Divisions: []string{"2 A", "2 B"}}, esp.ENT)

	all := s.Groups["2GR-ALL"]
	assert.Equal(t, intp(18), all.STS.Computed)
	assert.Equal(t, fact.SIECLEGroup{Present: true, Divisions: []string{}, Pupils: 1, PupilsAll: 1}, all.SIECLE)
	assert.Equal(t, fact.LinksGroup{Present: true, Pupils: 1}, all.Links, "1001's link ended on 5 September; 1002's '2gr-all' counts")
	assert.False(t, all.ENT.Listed)

	vide := s.Groups["2GR-VIDE"]
	assert.False(t, vide.STS.Present)
	assert.Equal(t, fact.ENTGroup{ENTStructure: fact.ENTStructure{Listed: true}, Divisions: []string{"2 C"}}, vide.ENT)

	p := s.Pupils
	assert.Equal(t, 8, p.Total)
	assert.Equal(t, 6, p.Active)
	assert.Equal(t, 1, p.Left)
	assert.Equal(t, 1, p.Inactive)
	assert.Equal(t, []fact.PupilRef{{ID: "1004", Name: "SANS Classe", BirthDate: "2011-01-01"}}, p.NoDivision)
	assert.Equal(t, []fact.PupilRef{{ID: "1005", INE: "123456789AB", Name: "DOUBLE Ine", BirthDate: "2011-07-08", Division: "2 A", Divisions: []string{"2 A", "2 C"}}}, p.SeveralDivisions)
	assert.Equal(t, []fact.Duplicate{{Key: "123456789AB", Pupils: []fact.PupilRef{
		{ID: "1005", INE: "123456789AB", Name: "DOUBLE Ine", BirthDate: "2011-07-08", Division: "2 A"},
		{ID: "1001", INE: "123456789AB", Name: "DUPONT Émilie", BirthDate: "2011-03-14", Division: "2 A"},
	}}}, p.DuplicateINE)
	require.Len(t, p.DuplicateIdentity, 1)
	assert.Equal(t, "MARTIN LEO 2011-05-02", p.DuplicateIdentity[0].Key)
	assert.Equal(t, []string{"1002", "1003"}, refIDs(p.DuplicateIdentity[0].Pupils))
	assert.Equal(t, []string{"1004"}, refIDs(p.MissingINE))
	assert.Equal(t, 3, p.LinksListed)
	assert.Equal(t, 4, p.LinksLinks)
	assert.Equal(t, []string{"1005", "1003", "1008", "1004"}, refIDs(p.LinksAbsent), "active pupils only, by name")
	assert.Equal(t, 1, p.LinksUnknown)
	assert.Equal(t, 4, p.ENT)

	assert.Equal(t, 4, s.Teachers.Total)
	assert.Equal(t, 3, s.Teachers.WithFunction)
	assert.Equal(t, []fact.ServiceIssue{
		{Structure: "2GR-ESP", StructureKind: "group", Subject: "030602", TeacherID: "103", Reason: "no_function"},
		{Structure: "2GR-ALL", StructureKind: "group", Subject: "030601", TeacherID: "999", Reason: "unknown_teacher"},
	}, s.Teachers.ServiceIssues)
	assert.Equal(t, 1, s.Teachers.ENT)

	assert.Equal(t, fact.ENTSchool{StructureFound: true, StructureID: "52006", Name: "LYCEE JEAN MACÉ"}, s.ENT)
	assert.Equal(t, fact.History{PreviousYearKnown: true, PreviousYearGroups: []string{"1GR-X", "GR-OLD"}}, s.History,
		"no earlier STS part with other groups: the last change of groups is unknown, never the export time")

	in.History.STSGroupsChangedAt = time.Date(2026, 9, 2, 8, 0, 0, 0, time.UTC)
	s, err = Build(in)
	require.NoError(t, err)
	assert.Equal(t, in.History.STSGroupsChangedAt, s.History.STSGroupsChangedAt, "a known change is copied as is")
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

func refIDs(refs []fact.PupilRef) []string {
	out := make([]string, len(refs))
	for i, r := range refs {
		out[i] = r.ID
	}
	return out
}

func TestBuildAsOf(t *testing.T) {
	in := smallInput(t)
	// Before 30 June 2026, pupil 1006 had not left yet; after 20 December 2026, 1008 has.
	in.AsOf = time.Date(2026, 6, 30, 23, 0, 0, 0, paris())
	s, err := Build(in)
	require.NoError(t, err)
	assert.Equal(t, 7, s.Pupils.Active)
	assert.Equal(t, 0, s.Pupils.Left)

	in.AsOf = time.Date(2026, 12, 21, 0, 30, 0, 0, paris())
	s, err = Build(in)
	require.NoError(t, err)
	assert.Equal(t, 5, s.Pupils.Active)
	assert.Equal(t, 2, s.Pupils.Left)
	assert.Equal(t, 3, s.Groups["2GR-ESP"].Links.Pupils, "1001's link ends on 4 July 2027: it still counts")

	// On 4 September, 1001's link to 2GR-ALL (ended 5 September) still counted.
	in.AsOf = time.Date(2026, 9, 4, 12, 0, 0, 0, paris())
	s, err = Build(in)
	require.NoError(t, err)
	assert.Equal(t, 2, s.Groups["2GR-ALL"].Links.Pupils)
}

func TestBuildMissingSources(t *testing.T) {
	s, err := Build(BuildInput{UAI: uai, AsOf: asOf})
	require.NoError(t, err)
	assert.Empty(t, s.Sources)
	assert.Empty(t, s.Divisions)
	assert.False(t, s.ENT.StructureFound)
	assert.True(t, s.History.STSGroupsChangedAt.IsZero())
	b, err := json.Marshal(s)
	require.NoError(t, err)
	for _, field := range []string{`"no_division":[]`, `"links_absent":[]`, `"service_issues":[]`, `"previous_year_groups":[]`, `"duplicate_ine":[]`} {
		assert.Contains(t, string(b), field)
	}
}

func TestBuildRefusesAnotherSchool(t *testing.T) {
	in := smallInput(t)
	in.UAI = "0860001J"
	_, err := Build(in)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "is for school 0790029C")
}

func TestSTSGroupsChangedAt(t *testing.T) {
	at := func(d int) time.Time { return time.Date(2026, 9, d, 12, 0, 0, 0, time.UTC) }
	part := func(d int, groups ...string) *STSPart {
		p := &STSPart{Meta: Meta{ExportedAt: at(d), SchoolYear: 2026}}
		for _, g := range groups {
			p.Groups = append(p.Groups, STSGroup{Code: g})
		}
		return p
	}
	cur := part(10, "G1", "G2")
	cases := []struct {
		desc    string
		earlier []*STSPart
		want    time.Time
	}{
		{"no history: unknown", nil, time.Time{}},
		{"same groups in every earlier part: unknown", []*STSPart{part(3, "g2", "G1"), part(6, "G1", "G2")}, time.Time{}},
		{"changed just before current", []*STSPart{part(1, "G1"), part(3, "G1")}, at(10)},
		{"same groups since the 3rd", []*STSPart{part(1, "G1"), part(3, "g2", "G1"), part(6, "G1", "G2")}, at(3)},
		{"changed back: the last change counts", []*STSPart{part(1, "G1", "G2"), part(3, "G1"), part(6, "G1", "G2")}, at(6)},
		{"later parts ignored", []*STSPart{part(6, "G1"), part(12, "G1", "G2")}, at(10)},
		{"another year ignored", []*STSPart{{Meta: Meta{ExportedAt: at(2), SchoolYear: 2025}, Groups: []STSGroup{{Code: "G1"}}}}, time.Time{}},
	}
	for _, c := range cases {
		t.Run(c.desc, func(t *testing.T) {
			assert.Equal(t, c.want, STSGroupsChangedAt(cur, c.earlier))
		})
	}
	assert.True(t, STSGroupsChangedAt(nil, nil).IsZero())
	assert.Equal(t, []string{"G1", "G2"}, GroupCodes(cur))
}

func TestKeyFastPath(t *testing.T) {
	b := &builder{keys: map[string]string{}}
	for _, c := range []string{"2 A", "2  A", " 2 A", "2 A ", "2 a", "2NDE É", "1ÈRE G1", "201", "_301P1", "SPE PC 1", "3\u00a0A", "A\tB", "", " ", "Inactifs", "x~y", "SAGL1GR5"} {
		assert.Equal(t, fact.Key(c), b.key(c), "%q", c)
		assert.Equal(t, fact.Key(c), nameKey(c), "%q", c)
		if canonical(c) {
			assert.Equal(t, c, fact.Key(c), "%q is canonical", c)
		}
	}
}

func FuzzKey(f *testing.F) {
	for _, c := range []string{"2 A", "2  a", "1ÈRE G1", "3\u00a0A", "\x7f"} {
		f.Add(c)
	}
	f.Fuzz(func(t *testing.T, c string) {
		b := &builder{keys: map[string]string{}}
		if got, want := b.key(c), fact.Key(c); got != want {
			t.Fatalf("key(%q) = %q, fact.Key gives %q", c, got, want)
		}
	})
}

func TestParseDate(t *testing.T) {
	cases := map[string]string{
		"2026-09-01": "2026-09-01", "01/09/2026": "2026-09-01", "2026-09-01T08:00:00": "2026-09-01",
		"1/9/2026": "2026-09-01", "29/02/2024": "2024-02-29", "": "",
	}
	for in, want := range cases {
		got, ok := parseDate(in)
		assert.True(t, ok, in)
		assert.Equal(t, want, got, in)
	}
	for _, bad := range []string{"29/02/2026", "2026-13-01", "31/04/2026", "2026-00-10", "aa/bb/cccc", "2026-9-1x", "32/01/2026"} {
		_, ok := parseDate(bad)
		assert.False(t, ok, bad)
	}
}
