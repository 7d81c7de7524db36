package ingest

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/vigie-edu/vigie/internal/fact"
)

const bee = `<?xml version="1.0" encoding="UTF-8"?>
<BEE_ELEVES VERSION="3.0"><PARAMETRES><UAJ>0790029C</UAJ><ANNEE_SCOLAIRE>2026</ANNEE_SCOLAIRE><HORODATAGE>05/09/2026 14:32:10</HORODATAGE></PARAMETRES>
<DONNEES><ELEVES>
<ELEVE ELEVE_ID="1001"><NOM_DE_FAMILLE>A</NOM_DE_FAMILLE><PRENOM>B</PRENOM>%s</ELEVE>
</ELEVES></DONNEES></BEE_ELEVES>`

func beeWith(s string) string { return strings.Replace(bee, "%s", s, 1) }

func stsWith(t *testing.T, old, new string) []byte {
	t.Helper()
	b := readTestdata(t, "sts_emp_0790029C_2026.xml")
	assert.True(t, bytes.Contains(b, []byte(old)), "fixture has %q", old)
	return bytes.Replace(b, []byte(old), []byte(new), 1)
}

// TestHostileInputs: every bad input gives an *apperr.InputError naming the file, and, where it
// applies, the line and the element; none panics.
func TestHostileInputs(t *testing.T) {
	sts := readTestdata(t, "sts_emp_0790029C_2026.xml")
	nested := strings.Repeat("<A>", 300) + strings.Repeat("</A>", 300)
	cases := []struct {
		desc  string
		name  string
		data  []byte
		opt   Options
		want  string
		line  int    // 0: don't check
		field string // "": don't check
	}{
		{desc: "empty file", name: "x.xml", data: nil, want: "empty file"},
		{desc: "white space only", name: "x.xml", data: []byte("  \n\t\n"), want: "empty file"},
		{desc: "prolog only", name: "x.xml", data: []byte(`<?xml version="1.0"?>` + "\n"), want: "no XML element"},
		{desc: "truncated", name: "sts.xml", data: sts[:len(sts)/2], want: "truncated"},
		{desc: "mismatched tags", name: "x.xml", data: []byte("<STS_EDT>\n<PARAMETRES></DONNEES></STS_EDT>"), want: "malformed XML", line: 2},
		{desc: "entity expansion", name: "bomb.xml", data: []byte(`<?xml version="1.0"?>
<!DOCTYPE STS_EDT [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
]>
<STS_EDT>&lol2;</STS_EDT>`), want: "declares entities", field: "DOCTYPE"},
		{desc: "undeclared entity", name: "x.xml", data: []byte(beeWith("<PRENOM2>&nbsp;</PRENOM2>")), want: "undeclared entity"},
		{desc: "html page", name: "sts_emp_0790029C_2026.xml", data: []byte("<html><body>Session expirée</body></html>"), want: "a web page"},
		{desc: "unknown root", name: "x.xml", data: []byte("<FOO/>"), want: "root element <FOO>"},
		{desc: "timetable upload to STS", name: "emp_sts_0790029C_2026.xml", data: []byte("<EDT_STS><PARAMETRES/></EDT_STS>"), opt: Options{Source: fact.SourceSTS},
			want: "not the STS-Web export sts_emp: export it from STS-Web, menu Exports > Emploi du temps"},
		{desc: "GAR export", name: "x.xml", data: []byte(`<men:GAR-ENT-Groupe xmlns:men="http://data.education.fr/ns/gar" Version="1.0"/>`), want: "ENT export to the GAR"},
		{desc: "parents export", name: "ResponsablesAvecAdresses.xml", data: []byte("<BEE_RESPONSABLES/>"), want: "parents"},
		{desc: "wrong kind for the form", name: "ElevesSansAdresses.xml", data: []byte(beeWith("")), opt: Options{Source: fact.SourceSTS},
			want: "expected an STS-Web export (sts_emp_<UAI>_<year>.xml, root STS_EDT), but this is a SIECLE-BEE pupil export"},
		{desc: "private timetable editor", name: "sts_emp_0790029C_2026.xml", data: stsWith(t, "</PARAMETRES>", "<APPLICATION_SOURCE>EDT</APPLICATION_SOURCE></PARAMETRES>"),
			want: "comes from a private timetable editor", field: "PARAMETRES/APPLICATION_SOURCE"},
		{desc: "another school", name: "sts.xml", data: sts, opt: Options{UAI: "0860001J"}, want: "this file is for school 0790029C, not 0860001J", field: "PARAMETRES/UAJ@CODE", line: 5},
		{desc: "another school year", name: "sts.xml", data: sts, opt: Options{SchoolYear: 2025}, want: "this file is for school year 2026-2027, not 2025-2026", field: "PARAMETRES/ANNEE_SCOLAIRE@ANNEE"},
		{desc: "another school (SIECLE)", name: "e.xml", data: []byte(beeWith("")), opt: Options{UAI: "0860001J"}, want: "for school 0790029C, not 0860001J", line: 2},
		{desc: "no UAI anywhere", name: "e.xml", data: []byte(`<BEE_ELEVES><DONNEES/></BEE_ELEVES>`), want: "does not say which school"},
		{desc: "bad PP date", name: "sts.xml", data: stsWith(t, "<DATE_FIN>2027-07-04</DATE_FIN>", "<DATE_FIN>31/13/2026</DATE_FIN>"),
			want: `teacher 101: "31/13/2026" is not a date`, field: "PROF_PRINC/DATE_FIN"},
		{desc: "bad head count", name: "sts.xml", data: stsWith(t, "<EFFECTIF_PREVU>28</EFFECTIF_PREVU>", "<EFFECTIF_PREVU>vingt-huit</EFFECTIF_PREVU>"),
			want: `division 2 B: "vingt-huit" is not a head count`, field: "DIVISION/EFFECTIF_PREVU"},
		{desc: "bad exit date", name: "e.xml", data: []byte(beeWith("<DATE_SORTIE>30/02/2026</DATE_SORTIE>")), want: `pupil 1001: "30/02/2026" is not a date`, field: "ELEVE/DATE_SORTIE", line: 4},
		{desc: "bad HORODATAGE", name: "e.xml", data: []byte(strings.Replace(beeWith(""), "05/09/2026 14:32:10", "hier", 1)), want: `"hier" is not a date and time`, field: "PARAMETRES/HORODATAGE"},
		{desc: "bad link date", name: "0790029CELEGROUPE2026260908101500.xml", data: bytes.Replace(readTestdata(t, "0790029CELEGROUPE2026260908101500.xml"), []byte("2027-07-04"), []byte("2027-13-04"), 1),
			want: `pupil 1001: "2027-13-04" is not a date`, field: "GROUPE/DATE_FIN_GROUPE"},
		{desc: "pupil without id", name: "e.xml", data: []byte(strings.Replace(beeWith(""), ` ELEVE_ID="1001"`, "", 1)), want: "a pupil has no ELEVE_ID", field: "ELEVE@ELEVE_ID"},
		{desc: "invalid UTF-8", name: "e.xml", data: []byte(beeWith("<PRENOM2>H\xe9l\xe8ne</PRENOM2>")), want: `declare encoding="ISO-8859-15"`, line: 4},
		{desc: "invalid UTF-8, no prolog", name: "e.xml", data: []byte("<BEE_ELEVES>\n<X>\xe9</X></BEE_ELEVES>"), want: "invalid UTF-8", line: 2},
		{desc: "invalid UTF-8 declared as UTF8", name: "e.xml", data: []byte("<?xml version=\"1.0\" encoding=\"UTF8\"?>\n<BEE_ELEVES><X>\xe9</X></BEE_ELEVES>"), want: `declare encoding="ISO-8859-15"`, line: 2},
		{desc: "unknown encoding", name: "e.xml", data: []byte(`<?xml version="1.0" encoding="X-KLINGON"?><BEE_ELEVES/>`), want: `unsupported encoding "x-klingon"`},
		{desc: "PDF", name: "export.xml", data: []byte("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj"), want: "PDF document"},
		{desc: "CSV", name: "export.xml", data: []byte("UAI;NOM;PRENOM\n0790029C;A;B\n"), want: "CSV"},
		{desc: "nesting bomb", name: "x.xml", data: []byte("<BEE_ELEVES>" + nested + "</BEE_ELEVES>"), want: "nested more than 256 levels"},
		{desc: "second root", name: "x.xml", data: []byte(beeWith("") + "<BEE_ELEVES/>"), want: "second root"},
		{desc: "feed without the school", name: "FULL_X_Complet_20260909_Eleve_0000.xml", data: readTestdata(t, "aaf/FULL_TEST_Complet_20260909_Eleve_0000.xml"), want: "covers a whole academy"},
		{desc: "feed request without id", name: "FULL_X_Complet_20260909_Eleve_0000.xml", opt: Options{UAI: uai},
			data: []byte("<ficAlimMENESR>\n<addRequest><attributes/></addRequest></ficAlimMENESR>"), want: "a request has no identifier", line: 2},
		{desc: "not a zip after all", name: "x.zip", data: []byte("PK\x03\x04garbage"), want: "not a readable zip archive"},
	}
	for _, c := range cases {
		t.Run(c.desc, func(t *testing.T) {
			_, err := Read(bytesUpload(c.name, c.data), c.opt)
			ie := assertInputError(t, err, c.name, c.want)
			if c.line > 0 {
				assert.Equal(t, c.line, ie.Line, "line: %v", err)
			}
			if c.field != "" {
				assert.Equal(t, c.field, ie.Field, "field: %v", err)
			}
		})
	}
}

// TestHostileFeeds: the streamed feed reader refuses bad input the same way.
func TestHostileFeeds(t *testing.T) {
	eleve := readTestdata(t, "aaf/FULL_TEST_Complet_20260909_Eleve_0000.xml")
	cases := []struct {
		desc string
		data []byte
		want string
		line int
	}{
		{"truncated", eleve[:len(eleve)*2/3], "truncated", 0},
		{"invalid UTF-8", bytes.Replace(eleve, []byte("P3"), []byte("P\xe93"), 1), `declare encoding="ISO-8859-15"`, 26},
		{"entity expansion", []byte(`<!DOCTYPE ficAlimMENESR [<!ENTITY a "aaaaaaaa">]><ficAlimMENESR>&a;</ficAlimMENESR>`), "declares entities", 0},
		{"not a feed", readTestdata(t, "Structures.xml"), "expected a federating directory feed file (AAF, root ficAlimMENESR), but this is a SIECLE-BEE structure export", 1},
		{"empty", nil, "empty file", 0},
	}
	for _, c := range cases {
		t.Run(c.desc, func(t *testing.T) {
			_, err := ReadFeed([]Upload{bytesUpload("FULL_X_Complet_20260909_Eleve_0000.xml", c.data)}, Options{})
			ie := assertInputError(t, err, "FULL_X_Complet_20260909_Eleve_0000.xml", c.want)
			if c.line > 0 {
				assert.Equal(t, c.line, ie.Line)
			}
		})
	}
}
