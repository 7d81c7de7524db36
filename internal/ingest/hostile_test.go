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
		{desc: "empty file", name: "x.xml", data: nil, want: "fichier vide"},
		{desc: "white space only", name: "x.xml", data: []byte("  \n\t\n"), want: "fichier vide : il ne contient que des espaces"},
		{desc: "prolog only", name: "x.xml", data: []byte(`<?xml version="1.0"?>` + "\n"), want: "aucun élément XML"},
		{desc: "truncated", name: "sts.xml", data: sts[:len(sts)/2], want: "le fichier est tronqué"},
		{desc: "mismatched tags", name: "x.xml", data: []byte("<STS_EDT>\n<PARAMETRES></DONNEES></STS_EDT>"), want: "XML mal formé : l'élément <PARAMETRES> est fermé par </DONNEES>", line: 2},
		{desc: "entity expansion", name: "bomb.xml", data: []byte(`<?xml version="1.0"?>
<!DOCTYPE STS_EDT [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
]>
<STS_EDT>&lol2;</STS_EDT>`), want: "définit des entités (leur expansion est refusée)", field: "DOCTYPE"},
		{desc: "undeclared entity", name: "x.xml", data: []byte(beeWith("<PRENOM2>&nbsp;</PRENOM2>")), want: "entité « &nbsp; » non déclarée"},
		{desc: "html page", name: "sts_emp_0790029C_2026.xml", data: []byte("<html><body>Session expirée</body></html>"), want: "une page web, pas un export"},
		{desc: "unknown root", name: "x.xml", data: []byte("<FOO/>"), want: "l'élément racine est <FOO>, qui n'est aucun des exports que lit Vigie"},
		{desc: "timetable upload to STS", name: "emp_sts_0790029C_2026.xml", data: []byte("<EDT_STS><PARAMETRES/></EDT_STS>"), opt: Options{Source: fact.SourceSTS},
			want: "pas l'export sts_emp de STS-Web : exportez-le depuis STS-Web, menu Exports > Emploi du temps"},
		{desc: "GAR export", name: "x.xml", data: []byte(`<men:GAR-ENT-Groupe xmlns:men="http://data.education.fr/ns/gar" Version="1.0"/>`), want: "un export de l'ENT vers le GAR (GAR-ENT-Groupe), que Vigie ne lit pas"},
		{desc: "parents export", name: "ResponsablesAvecAdresses.xml", data: []byte("<BEE_RESPONSABLES/>"), want: "responsables (parents)"},
		{desc: "wrong kind for the form", name: "ElevesSansAdresses.xml", data: []byte(beeWith("")), opt: Options{Source: fact.SourceSTS},
			want: "il faut ici un export STS-Web (sts_emp_<UAI>_<année>.xml, racine STS_EDT), mais c'est un export des élèves de SIECLE-BEE"},
		{desc: "private timetable editor", name: "sts_emp_0790029C_2026.xml", data: stsWith(t, "</PARAMETRES>", "<APPLICATION_SOURCE>EDT</APPLICATION_SOURCE></PARAMETRES>"),
			want: "vient d'un logiciel d'emploi du temps d'un éditeur privé, pas de STS-Web", field: "PARAMETRES/APPLICATION_SOURCE"},
		{desc: "another school", name: "sts.xml", data: sts, opt: Options{UAI: "0860001J"}, want: "ce fichier concerne l'établissement 0790029C, pas 0860001J", field: "PARAMETRES/UAJ@CODE", line: 5},
		{desc: "another school year", name: "sts.xml", data: sts, opt: Options{SchoolYear: 2025}, want: "ce fichier concerne l'année scolaire 2026-2027, pas 2025-2026 : déposez l'export de l'année 2025-2026", field: "PARAMETRES/ANNEE_SCOLAIRE@ANNEE"},
		{desc: "another school (SIECLE)", name: "e.xml", data: []byte(beeWith("")), opt: Options{UAI: "0860001J"}, want: "ce fichier concerne l'établissement 0790029C, pas 0860001J", line: 2},
		{desc: "no UAI anywhere", name: "e.xml", data: []byte(`<BEE_ELEVES><DONNEES/></BEE_ELEVES>`), want: "n'indique pas à quel établissement il se rapporte (aucun UAI)"},
		{desc: "bad PP date", name: "sts.xml", data: stsWith(t, "<DATE_FIN>2027-07-04</DATE_FIN>", "<DATE_FIN>31/13/2026</DATE_FIN>"),
			want: "enseignant 101 : « 31/13/2026 » n'est pas une date", field: "PROF_PRINC/DATE_FIN"},
		{desc: "bad head count", name: "sts.xml", data: stsWith(t, "<EFFECTIF_PREVU>28</EFFECTIF_PREVU>", "<EFFECTIF_PREVU>vingt-huit</EFFECTIF_PREVU>"),
			want: "division 2 B : « vingt-huit » n'est pas un effectif", field: "DIVISION/EFFECTIF_PREVU"},
		// A pupil's or a link's bad date is a warning (TestSIECLEBadDates, TestLinksBadDates); a bad HORODATAGE without DATE_EXPORT refuses.
		{desc: "bad HORODATAGE", name: "e.xml", data: []byte(strings.Replace(beeWith(""), "05/09/2026 14:32:10", "hier", 1)), want: "« hier » n'est pas une date et heure", field: "PARAMETRES/HORODATAGE"},
		{desc: "pupil without id", name: "e.xml", data: []byte(strings.Replace(beeWith(""), ` ELEVE_ID="1001"`, "", 1)), want: "un élève n'a pas d'ELEVE_ID", field: "ELEVE@ELEVE_ID"},
		{desc: "invalid UTF-8", name: "e.xml", data: []byte(beeWith("<PRENOM2>H\xe9l\xe8ne</PRENOM2>")), want: `déclarez encoding="ISO-8859-15" dans sa première ligne`, line: 4},
		// A byte order mark says UTF-8 as a declaration does (no declaration: windows-1252, see TestEncodingPrecedence).
		{desc: "invalid UTF-8 after a byte order mark", name: "e.xml", data: []byte("\xef\xbb\xbf<BEE_ELEVES>\n<X>\xe9</X></BEE_ELEVES>"), want: "UTF-8 invalide", line: 2},
		{desc: "invalid UTF-8 declared as UTF8", name: "e.xml", data: []byte("<?xml version=\"1.0\" encoding=\"UTF8\"?>\n<BEE_ELEVES><X>\xe9</X></BEE_ELEVES>"), want: `déclarez encoding="ISO-8859-15" dans sa première ligne`, line: 2},
		{desc: "unknown encoding", name: "e.xml", data: []byte(`<?xml version="1.0" encoding="X-KLINGON"?><BEE_ELEVES/>`), want: "encodage « x-klingon » non pris en charge"},
		{desc: "PDF", name: "export.xml", data: []byte("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj"), want: "document PDF"},
		{desc: "CSV", name: "export.xml", data: []byte("UAI;NOM;PRENOM\n0790029C;A;B\n"), want: "CSV"},
		{desc: "nesting bomb", name: "x.xml", data: []byte("<BEE_ELEVES>" + nested + "</BEE_ELEVES>"), want: "imbriqués sur plus de 256 niveaux"},
		{desc: "second root", name: "x.xml", data: []byte(beeWith("") + "<BEE_ELEVES/>"), want: "un second élément racine"},
		{desc: "feed without the school", name: "FULL_X_Complet_20260909_Eleve_0000.xml", data: readTestdata(t, "aaf/FULL_TEST_Complet_20260909_Eleve_0000.xml"), want: "qui couvre toute l'académie : importez-le au niveau de l'académie"},
		{desc: "feed request without id", name: "FULL_X_Complet_20260909_Eleve_0000.xml", opt: Options{UAI: uai},
			data: []byte("<ficAlimMENESR>\n<addRequest><attributes/></addRequest></ficAlimMENESR>"), want: "une requête n'a pas d'identifiant", line: 2},
		{desc: "not a zip after all", name: "x.zip", data: []byte("PK\x03\x04garbage"), want: "archive zip illisible"},
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
		{"truncated", eleve[:len(eleve)*2/3], "le fichier est tronqué", 0},
		{"invalid UTF-8", bytes.Replace(eleve, []byte("P3"), []byte("P\xe93"), 1), `déclarez encoding="ISO-8859-15" dans sa première ligne`, 26},
		{"entity expansion", []byte(`<!DOCTYPE ficAlimMENESR [<!ENTITY a "aaaaaaaa">]><ficAlimMENESR>&a;</ficAlimMENESR>`), "définit des entités", 0},
		{"not a feed", readTestdata(t, "Structures.xml"), "il faut ici un fichier d'alimentation de l'annuaire fédérateur (AAF, racine ficAlimMENESR), mais c'est un export des structures de SIECLE-BEE", 1},
		{"empty", nil, "fichier vide", 0},
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
