package ingest

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigie-edu/vigie/internal/fact"
)

const uai = "0790029C"

func TestReadSTS(t *testing.T) {
	p, err := Read(fileUpload(t, "sts_emp_0790029C_2026.xml"), Options{UAI: uai, SchoolYear: 2026, Source: fact.SourceSTS})
	require.NoError(t, err)
	require.NotNil(t, p.STS)
	s := p.STS
	assert.Equal(t, fact.SourceSTS, s.Meta.Source)
	assert.Equal(t, uai, s.Meta.UAI)
	assert.Equal(t, 2026, s.Meta.SchoolYear)
	assert.Equal(t, fact.TimeFromUpload, s.Meta.ExportTimeFrom, "STS files carry no export time")
	assert.True(t, received.Equal(s.Meta.ExportedAt))
	assert.Len(t, s.Meta.SHA256, 64)
	// Declared ISO-8859-15: the accents come out right.
	assert.Equal(t, "LYCEE JEAN MACÉ", s.SchoolName)
	assert.Equal(t, "13", s.Academy)
	assert.Equal(t, "2026-09-01", s.YearStart)
	assert.Equal(t, []STSSubject{{Code: "061300", ManagementCode: "MATHS", Label: "MATHÉMATIQUES"}, {Code: "030602", ManagementCode: "ESP2", Label: "ESPAGNOL LV2"}}, s.Subjects)
	require.Len(t, s.Teachers, 4)
	assert.Equal(t, STSTeacher{ID: "101", Type: "epp", LastName: "BÉRANGER", FirstName: "Hélène", Function: "ENS",
		Disciplines: []STSDiscipline{{Code: "L1300", Label: "MATHEMATIQUES", Hours: "18"}},
		PP:          []STSPP{{Structure: "2 A", Start: "2026-09-01", End: "2027-07-04"}}}, s.Teachers[0])
	// Children in another order and French dates.
	assert.Equal(t, []STSPP{{Structure: "2 b", Start: "2026-09-01", End: "2026-09-15"}}, s.Teachers[1].PP)
	assert.Empty(t, s.Teachers[2].Function, "an empty FONCTION is no function")
	require.Len(t, s.Divisions, 3)
	assert.Equal(t, 30, s.Divisions[0].Planned)
	require.NotNil(t, s.Divisions[0].Computed)
	assert.Equal(t, 29, *s.Divisions[0].Computed)
	assert.Equal(t, []string{"20010018110"}, s.Divisions[0].MEFs)
	assert.Equal(t, []STSService{{Subject: "061300", Mode: "CG", Teachers: []string{"101"}}, {Subject: "030602", Mode: "CG"}}, s.Divisions[0].Services)
	assert.Nil(t, s.Divisions[1].Computed)
	assert.Nil(t, s.Divisions[2].Computed, "an empty EFFECTIF_CALCULE is absent")
	require.Len(t, s.Groups, 3)
	assert.Equal(t, []string{"2 A", "2 B"}, s.Groups[0].Divisions)
	assert.Equal(t, []string{"102", "103"}, s.Groups[0].Services[0].Teachers)
	require.NotNil(t, s.Groups[1].Computed)
	assert.Equal(t, 18, *s.Groups[1].Computed)
	// The freshness of an export dated by its upload cannot be vouched for: the import says so.
	assert.Equal(t, []string{"date d'export absente du fichier : date de dépôt retenue (" +
		received.In(paris()).Format("02/01/2006 à 15 h 04") + ") ; la fraîcheur de cet export ne peut pas être garantie"}, s.Meta.Warnings)
}

func TestReadSIECLE(t *testing.T) {
	p, err := Read(fileUpload(t, "ElevesSansAdresses.xml"), Options{UAI: uai, SchoolYear: 2026})
	require.NoError(t, err)
	require.NotNil(t, p.SIECLE)
	s := p.SIECLE
	assert.Equal(t, "3.0", s.Version)
	assert.Equal(t, fact.TimeFromContent, s.Meta.ExportTimeFrom)
	assert.True(t, s.Meta.ExportedAt.Equal(time.Date(2026, 9, 5, 12, 32, 10, 0, time.UTC)), "HORODATAGE is Paris time: %v", s.Meta.ExportedAt)
	require.Len(t, s.Pupils, 8)
	assert.Equal(t, SIECLEPupil{ID: "1001", ENOET: "5001", INE: "123456789AB", LastName: "DUPONT", FirstName: "Émilie",
		BirthDate: "2011-03-14", MEF: "20010018110", EntryDate: "2026-09-01", Divisions: []string{"2 A"}, Groups: []string{"2GR-ESP"}}, s.Pupils[0])
	// Two STRUCTURES_ELEVE blocks for 1002: merged, none lost.
	assert.Equal(t, []string{"2 B"}, s.Pupils[1].Divisions)
	assert.Equal(t, []string{"2GR-ESP", "2GR-ALL"}, s.Pupils[1].Groups)
	assert.Equal(t, "123456789AB", s.Pupils[4].INE, "INE upper-cased")
	assert.Equal(t, []string{"2 A", "2 C"}, s.Pupils[4].Divisions)
	assert.Equal(t, "2026-06-30", s.Pupils[5].ExitDate, "left pupils stay in the part; Build decides")
	assert.Equal(t, []string{"Inactifs"}, s.Pupils[6].Divisions)
	assert.Equal(t, 1, s.Orphans)
	assert.Contains(t, s.Meta.Warnings, "élèves ayant plusieurs blocs STRUCTURES_ELEVE, fusionnés : 1")
}

func TestReadStructuresAndNomenclature(t *testing.T) {
	p, err := Read(fileUpload(t, "Structures.xml"), Options{UAI: uai})
	require.NoError(t, err)
	require.NotNil(t, p.Structures)
	assert.Equal(t, []SIECLEStructure{{Code: "2 A", Label: "Seconde A", MEFs: []string{"20010018110"}}, {Code: "2 B"}, {Code: "2 D", Label: "Seconde D"}}, p.Structures.Divisions)
	assert.Equal(t, []SIECLEStructure{{Code: "2GR-ESP", Label: "Espagnol", Divisions: []string{"2 A", "2 B"}}}, p.Structures.Groups)

	p, err = Read(fileUpload(t, "Nomenclature.xml"), Options{})
	require.NoError(t, err)
	require.NotNil(t, p.Nomenclature)
	assert.Equal(t, uai, p.Nomenclature.Meta.UAI)
	assert.Equal(t, []Programme{{MEF: "20010018110", Subject: "061300", Mode: "S", Hours: "4.00"}}, p.Nomenclature.Programmes)
	assert.Len(t, p.Nomenclature.Subjects, 1)
}

func TestReadLinks(t *testing.T) {
	const name = "0790029CELEGROUPE2026260908101500"
	xmlBytes := readTestdata(t, name+".xml")
	entryTime := time.Date(2026, 9, 8, 10, 20, 0, 0, time.UTC)
	cases := []struct {
		desc     string
		upload   Upload
		wantFrom string
		wantAt   time.Time
	}{
		{"bare, time from the name", bytesUpload(name+".xml", xmlBytes), fact.TimeFromFileName, time.Date(2026, 9, 8, 10, 15, 0, 0, paris())},
		{"zipped under the same name", bytesUpload(name+".zip", zipBytes(t, zipEntry{name: name + ".xml", data: xmlBytes})), fact.TimeFromFileName, time.Date(2026, 9, 8, 10, 15, 0, 0, paris())},
		{"entry renamed, zip keeps the name", bytesUpload(name+".zip", zipBytes(t, zipEntry{name: "liens.xml", data: xmlBytes})), fact.TimeFromFileName, time.Date(2026, 9, 8, 10, 15, 0, 0, paris())},
		{"name without the convention: zip entry time", bytesUpload("liens.zip", zipBytes(t, zipEntry{name: "liens.xml", data: xmlBytes, mod: entryTime})), fact.TimeFromZipEntry, entryTime},
		{"invalid timestamp in the name: upload time", bytesUpload("0790029CELEGROUPE2026261399999999.xml", xmlBytes), fact.TimeFromUpload, received},
	}
	for _, c := range cases {
		t.Run(c.desc, func(t *testing.T) {
			p, err := Read(c.upload, Options{UAI: uai, SchoolYear: 2026})
			require.NoError(t, err)
			require.NotNil(t, p.Links)
			l := p.Links
			assert.Equal(t, c.wantFrom, l.Meta.ExportTimeFrom)
			assert.True(t, c.wantAt.Equal(l.Meta.ExportedAt), "exported at %v, want %v", l.Meta.ExportedAt, c.wantAt)
			assert.Equal(t, uai, l.Meta.UAI)
			assert.Equal(t, "EDT", l.Software)
			assert.Equal(t, "2026-09-08", l.ImportDate)
			require.Len(t, l.Pupils, 3)
			assert.Equal(t, []LinksLink{{Group: "2GR-ESP", Start: "2026-09-01", End: "2027-07-04"}, {Group: "2GR-ALL", Start: "2026-09-01", End: "2026-09-05"}}, l.Pupils[0].Groups)
			assert.Equal(t, "1002", l.Pupils[1].ID, "ELEVE_ID as an attribute")
			assert.Equal(t, []LinksLink{{Group: "2GR-ESP"}, {Group: "2gr-all"}}, l.Pupils[1].Groups, "GROUPE@CODE and CODE_GROUPE both count")
		})
	}
}

func TestReadLinksUAIFromName(t *testing.T) {
	// No PARAMETRES at all: the name gives the UAI and the school year.
	doc := `<IMPORT_ELEVES><ELEVES><ELEVE ELEVE_ID="1"><GROUPES><GROUPE><CODE_GROUPE>G1</CODE_GROUPE></GROUPE></GROUPES></ELEVE></ELEVES></IMPORT_ELEVES>`
	p, err := Read(bytesUpload("0790029CELEGROUPE2026260908101500.xml", []byte(doc)), Options{})
	require.NoError(t, err)
	assert.Equal(t, uai, p.Links.Meta.UAI)
	assert.Equal(t, 2026, p.Links.Meta.SchoolYear)

	_, err = Read(bytesUpload("0790029CELEGROUPE2026260908101500.xml", []byte(doc)), Options{UAI: "0860001J"})
	assertInputError(t, err, "0790029CELEGROUPE2026260908101500.xml", "ce fichier concerne l'établissement 0790029C, pas 0860001J")
}

func feedUploads(t testing.TB) []Upload {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join("testdata", "aaf"))
	require.NoError(t, err)
	var out []Upload
	// Reverse order: structures come last, and the reader must not care.
	for i := len(entries) - 1; i >= 0; i-- {
		out = append(out, fileUpload(t, filepath.Join("aaf", entries[i].Name())))
	}
	return out
}

func TestReadFeed(t *testing.T) {
	feed, err := ReadFeed(feedUploads(t), Options{SchoolYear: 2026})
	require.NoError(t, err)
	assert.Equal(t, FeedStats{Files: 5, Records: 15, Structures: 2, Pupils: 6, Staff: 3, Ignored: 1}, feed.Stats)
	assert.Equal(t, fact.TimeFromFileName, feed.ExportTimeFrom)
	assert.True(t, feed.ExtractedAt.Equal(time.Date(2026, 9, 9, 0, 0, 0, 0, paris())))
	assert.Contains(t, feed.Warnings, "références à une structure sans fiche EtabEducNat dans l'annuaire : 2")
	assert.Contains(t, feed.Warnings, "valeurs hors de la forme <structure>$<code>, ignorées : 1")
	require.Len(t, feed.Schools, 2)

	p := feed.Schools[uai]
	require.NotNil(t, p)
	assert.True(t, p.StructureFound)
	assert.Equal(t, "52006", p.StructureID)
	assert.Equal(t, "LYCEE JEAN MACÉ", p.Name)
	assert.Equal(t, uai, p.Meta.UAI)
	assert.Equal(t, 2026, p.Meta.SchoolYear)
	assert.Equal(t, fact.SourceENT, p.Meta.Source)
	assert.Equal(t, 4, p.Pupils, "P1, P2, P3 and P6; P5 was deleted")
	assert.Equal(t, 1, p.Teachers, "T1 teaches; T2 directs")
	assert.Equal(t, 2, p.Staff)
	assert.Equal(t, []ENTUnit{
		{Code: "2 A", Label: "Seconde A", Listed: true, Pupils: 3, TeacherLinks: 2, PrincipalLinks: 1},
		{Code: "2 B", Label: "Seconde B", Listed: true, Pupils: 1},
		{Code: "2 C", Listed: true},
	}, p.Classes)
	assert.Equal(t, []ENTUnit{
		{Code: "2GR-ESP", Label: "Espagnol", Listed: true, Divisions: []string{"2 A", "2 B"}, Pupils: 2, TeacherLinks: 1},
		{Code: "2GR-VIDE", Label: "Groupe vide", Listed: true, Divisions: []string{"2 C"}},
	}, p.Groups, "P6's groups were replaced by nothing")

	other := feed.Schools["0860001J"]
	require.NotNil(t, other)
	assert.Equal(t, 1, other.Pupils)
	assert.Equal(t, 1, other.Teachers)
	assert.Equal(t, []ENTUnit{{Code: "1S1", Label: "Premiere", Listed: true, Pupils: 1, TeacherLinks: 1}}, other.Classes)
	assert.Empty(t, other.Groups)
}

func TestReadFeedZippedAndFiltered(t *testing.T) {
	var entries []zipEntry
	for _, u := range feedUploads(t) {
		b := make([]byte, u.Size)
		_, err := u.Content.ReadAt(b, 0)
		require.NoError(t, err)
		entries = append(entries, zipEntry{name: "feed/" + u.Name, data: b})
	}
	entries = append(entries, zipEntry{name: "feed/ficAlimMENESR.dtd", data: []byte("<!ELEMENT ficAlimMENESR ANY>")})
	z := bytesUpload("FULL_TEST_Complet_20260909.zip", zipBytes(t, entries...))

	// One school kept, through Read as a school would upload it.
	p, err := Read(z, Options{UAI: uai})
	require.NoError(t, err)
	require.NotNil(t, p.ENT)
	assert.Equal(t, 4, p.ENT.Pupils)
	assert.Contains(t, p.ENT.Meta.Warnings, "le fichier feed/ficAlimMENESR.dtd de l'archive zip est ignoré : ce n'est pas un fichier XML")

	// A school absent from the feed: a part saying so.
	p, err = Read(z, Options{UAI: "0170051N"})
	require.NoError(t, err)
	require.NotNil(t, p.ENT)
	assert.False(t, p.ENT.StructureFound)
	assert.Equal(t, "0170051N", p.ENT.Meta.UAI)
	assert.NotNil(t, p.ENT.Classes)
}

func TestDetect(t *testing.T) {
	cases := map[string]fact.Source{
		"sts_emp_0790029C_2026.xml":                     fact.SourceSTS,
		"ElevesSansAdresses.xml":                        fact.SourceSIECLE,
		"Structures.xml":                                fact.SourceStructures,
		"Nomenclature.xml":                              fact.SourceNomenclature,
		"0790029CELEGROUPE2026260908101500.xml":         fact.SourceLinks,
		"aaf/FULL_TEST_Complet_20260909_Eleve_0000.xml": fact.SourceENT,
	}
	for name, want := range cases {
		got, err := Detect(fileUpload(t, name), Limits{})
		require.NoError(t, err, name)
		assert.Equal(t, want, got, name)
	}
	// The name does not matter: a SIECLE export saved under an STS name is SIECLE.
	u := bytesUpload("sts_emp_0790029C_2026.xml", readTestdata(t, "ElevesSansAdresses.xml"))
	got, err := Detect(u, Limits{})
	require.NoError(t, err)
	assert.Equal(t, fact.SourceSIECLE, got)
}

func TestPartJSONRoundTrip(t *testing.T) {
	for _, name := range []string{"sts_emp_0790029C_2026.xml", "ElevesSansAdresses.xml", "0790029CELEGROUPE2026260908101500.xml"} {
		p, err := Read(fileUpload(t, name), Options{})
		require.NoError(t, err)
		b, err := json.Marshal(p)
		require.NoError(t, err)
		var back Part
		require.NoError(t, json.Unmarshal(b, &back))
		assert.Equal(t, p.Source(), back.Source())
		b2, err := json.Marshal(&back)
		require.NoError(t, err)
		assert.JSONEq(t, string(b), string(b2), name)
	}
}
