package ingest

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestLinksBadDates: in the links file, as in SIECLE-BEE pupils (TestSIECLEBadDates), a
// malformed date loses that date, not the file nor the link; the warning names the line, the
// pupil and the field, five times at most, then counts. A link whose end date is unreadable
// counts as current.
func TestLinksBadDates(t *testing.T) {
	const name = "0790029CELEGROUPE2026260908101500.xml"
	sample := string(readTestdata(t, name))
	replace := func(pairs ...string) []byte {
		s := sample
		for i := 0; i < len(pairs); i += 2 {
			require.Contains(t, s, pairs[i])
			s = strings.Replace(s, pairs[i], pairs[i+1], 1)
		}
		return []byte(s)
	}
	// many writes n pupils, each with a bad birth date and a link with a bad end date.
	many := func(n int) []byte {
		var b strings.Builder
		for i := range n {
			fmt.Fprintf(&b, "<ELEVE><ELEVE_ID>%d</ELEVE_ID><DATE_NAISS>00/00/0000</DATE_NAISS><GROUPES><GROUPE><CODE_GROUPE>2GR-ESP</CODE_GROUPE><DATE_FIN_GROUPE>x</DATE_FIN_GROUPE></GROUPE></GROUPES></ELEVE>\n", 2001+i)
		}
		return []byte(`<?xml version="1.0" encoding="UTF-8"?>
<IMPORT_ELEVES VERSION="1.3"><PARAMETRES><UAJ>0790029C</UAJ><ANNEE_SCOLAIRE>2026</ANNEE_SCOLAIRE></PARAMETRES><DONNEES><ELEVES>
` + b.String() + `</ELEVES></DONNEES></IMPORT_ELEVES>`)
	}
	const notDate = " n'est pas une date (attendu AAAA-MM-JJ ou JJ/MM/AAAA) ; "
	esp := LinksLink{Group: "2GR-ESP", Start: "2026-09-01", End: "2027-07-04"}
	cases := []struct {
		desc     string
		data     []byte
		want     LinksPupil // the first pupil
		pupils   int
		inESP    int // pupils counted in 2GR-ESP on 10 September 2026
		inALL    int // and in 2GR-ALL
		warnings []string
	}{
		{"bad birth date", replace("2011-03-14", "31/02/2011"),
			LinksPupil{ID: "1001", LastName: "DUPONT", FirstName: "Émilie", Groups: []LinksLink{esp, {Group: "2GR-ALL", Start: "2026-09-01", End: "2026-09-05"}}},
			3, 3, 1, []string{"ligne 15, élève 1001 : ELEVE/DATE_NAISS « 31/02/2011 »" + notDate + "date ignorée"}},
		{"bad start date: the link stays", replace("<DATE_DEBUT_GROUPE>2026-09-01</DATE_DEBUT_GROUPE><DATE_FIN_GROUPE>2026-09-05", "<DATE_DEBUT_GROUPE>1er septembre</DATE_DEBUT_GROUPE><DATE_FIN_GROUPE>2026-09-05"),
			LinksPupil{ID: "1001", LastName: "DUPONT", FirstName: "Émilie", BirthDate: "2011-03-14", Groups: []LinksLink{esp, {Group: "2GR-ALL", End: "2026-09-05"}}},
			3, 3, 1, []string{"ligne 18, élève 1001 : GROUPE/DATE_DEBUT_GROUPE « 1er septembre »" + notDate + "date ignorée, le lien est retenu"}},
		// The end date 5 September is past on 10 September: read, the link would not count.
		{"bad end date: the link counts as current", replace("2026-09-05", "05/13/2026"),
			LinksPupil{ID: "1001", LastName: "DUPONT", FirstName: "Émilie", BirthDate: "2011-03-14", Groups: []LinksLink{esp, {Group: "2GR-ALL", Start: "2026-09-01"}}},
			3, 3, 2, []string{"ligne 18, élève 1001 : GROUPE/DATE_FIN_GROUPE « 05/13/2026 »" + notDate + "le lien au groupe « 2GR-ALL » est compté comme en cours"}},
		{"pupil known by INE only", replace("<ELEVE_ID>1001</ELEVE_ID>", "<INE>123456789ab</INE>", "2011-03-14", "hier"),
			LinksPupil{INE: "123456789AB", LastName: "DUPONT", FirstName: "Émilie", Groups: []LinksLink{esp, {Group: "2GR-ALL", Start: "2026-09-01", End: "2026-09-05"}}},
			3, 3, 1, []string{"ligne 15, élève 123456789AB : ELEVE/DATE_NAISS « hier »" + notDate + "date ignorée"}},
		{"many bad dates: five told, the rest counted", many(4),
			LinksPupil{ID: "2001", Groups: []LinksLink{{Group: "2GR-ESP"}}},
			4, 4, 0, []string{
				"ligne 3, élève 2001 : ELEVE/DATE_NAISS « 00/00/0000 »" + notDate + "date ignorée",
				"ligne 3, élève 2001 : GROUPE/DATE_FIN_GROUPE « x »" + notDate + "le lien au groupe « 2GR-ESP » est compté comme en cours",
				"ligne 4, élève 2002 : ELEVE/DATE_NAISS « 00/00/0000 »" + notDate + "date ignorée",
				"ligne 4, élève 2002 : GROUPE/DATE_FIN_GROUPE « x »" + notDate + "le lien au groupe « 2GR-ESP » est compté comme en cours",
				"ligne 5, élève 2003 : ELEVE/DATE_NAISS « 00/00/0000 »" + notDate + "date ignorée",
				"autres dates d'élèves invalides, traitées de même : 3",
			}},
	}
	for _, c := range cases {
		t.Run(c.desc, func(t *testing.T) {
			p, err := Read(bytesUpload(name, c.data), Options{UAI: uai, SchoolYear: 2026})
			require.NoError(t, err)
			l := p.Links
			require.NotNil(t, l)
			require.Len(t, l.Pupils, c.pupils)
			assert.Equal(t, c.want, l.Pupils[0])
			assert.Equal(t, c.warnings, l.Meta.Warnings)
			s, err := Build(BuildInput{UAI: uai, SchoolYear: 2026, AsOf: asOf, Links: l})
			require.NoError(t, err)
			in := func(group string) int {
				if g := s.Groups[group]; g != nil {
					return g.Links.Pupils
				}
				return 0
			}
			assert.Equal(t, c.inESP, in("2GR-ESP"))
			assert.Equal(t, c.inALL, in("2GR-ALL"))
		})
	}
}
