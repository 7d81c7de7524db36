package ingest

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigie-edu/vigie/internal/fact"
)

// TestSIECLEBadDates: a pupil's malformed date loses that date, not the file; the warning
// names the line, the field and the pupil, a few times, then counts. A malformed HORODATAGE
// falls back to DATE_EXPORT.
func TestSIECLEBadDates(t *testing.T) {
	pupils := func(n int, dates string) string {
		var b strings.Builder
		for i := range n {
			fmt.Fprintf(&b, "<ELEVE ELEVE_ID=\"%d\"><NOM_DE_FAMILLE>A</NOM_DE_FAMILLE>%s</ELEVE>\n", 1001+i, dates)
		}
		return b.String()
	}
	file := func(params, eleves string) []byte {
		return []byte(`<?xml version="1.0" encoding="UTF-8"?>
<BEE_ELEVES VERSION="3.0"><PARAMETRES><UAJ>0790029C</UAJ><ANNEE_SCOLAIRE>2026</ANNEE_SCOLAIRE>` + params + `</PARAMETRES>
<DONNEES><ELEVES>
` + eleves + `</ELEVES></DONNEES></BEE_ELEVES>`)
	}
	const stamp = "<HORODATAGE>05/09/2026 14:32:10</HORODATAGE>"
	exported := time.Date(2026, 9, 5, 14, 32, 10, 0, paris())
	cases := []struct {
		desc     string
		data     []byte
		want     SIECLEPupil // the first pupil
		pupils   int
		exported time.Time
		warnings []string
	}{
		{"bad birth date", file(stamp, pupils(1, "<DATE_NAISS>31/02/2010</DATE_NAISS><DATE_ENTREE>01/09/2026</DATE_ENTREE>")),
			SIECLEPupil{ID: "1001", LastName: "A", EntryDate: "2026-09-01"}, 1, exported,
			[]string{"ligne 4, élève 1001 : ELEVE/DATE_NAISS « 31/02/2010 » n'est pas une date (attendu AAAA-MM-JJ ou JJ/MM/AAAA) ; date ignorée"}},
		{"bad entry date", file(stamp, pupils(1, "<DATE_NAISS>2010-03-14</DATE_NAISS><DATE_ENTREE>rentrée</DATE_ENTREE>")),
			SIECLEPupil{ID: "1001", LastName: "A", BirthDate: "2010-03-14"}, 1, exported,
			[]string{"ligne 4, élève 1001 : ELEVE/DATE_ENTREE « rentrée » n'est pas une date (attendu AAAA-MM-JJ ou JJ/MM/AAAA) ; date ignorée"}},
		{"bad exit date: present", file(stamp, pupils(1, "<DATE_SORTIE>30/02/2026</DATE_SORTIE>")),
			SIECLEPupil{ID: "1001", LastName: "A"}, 1, exported,
			[]string{"ligne 4, élève 1001 : ELEVE/DATE_SORTIE « 30/02/2026 » n'est pas une date (attendu AAAA-MM-JJ ou JJ/MM/AAAA) ; l'élève est compté comme présent"}},
		{"many bad dates: five told, the rest counted", file(stamp, pupils(4, "<DATE_NAISS>00/00/0000</DATE_NAISS><DATE_SORTIE>x</DATE_SORTIE>")),
			SIECLEPupil{ID: "1001", LastName: "A"}, 4, exported,
			[]string{
				"ligne 4, élève 1001 : ELEVE/DATE_NAISS « 00/00/0000 » n'est pas une date (attendu AAAA-MM-JJ ou JJ/MM/AAAA) ; date ignorée",
				"ligne 4, élève 1001 : ELEVE/DATE_SORTIE « x » n'est pas une date (attendu AAAA-MM-JJ ou JJ/MM/AAAA) ; l'élève est compté comme présent",
				"ligne 5, élève 1002 : ELEVE/DATE_NAISS « 00/00/0000 » n'est pas une date (attendu AAAA-MM-JJ ou JJ/MM/AAAA) ; date ignorée",
				"ligne 5, élève 1002 : ELEVE/DATE_SORTIE « x » n'est pas une date (attendu AAAA-MM-JJ ou JJ/MM/AAAA) ; l'élève est compté comme présent",
				"ligne 6, élève 1003 : ELEVE/DATE_NAISS « 00/00/0000 » n'est pas une date (attendu AAAA-MM-JJ ou JJ/MM/AAAA) ; date ignorée",
				"autres dates d'élèves invalides, traitées de même : 3",
			}},
		{"bad HORODATAGE, good DATE_EXPORT", file("<HORODATAGE>14/10/2025 à 17h02</HORODATAGE><DATE_EXPORT>14/10/2025</DATE_EXPORT>", pupils(1, "")),
			SIECLEPupil{ID: "1001", LastName: "A"}, 1, time.Date(2025, 10, 14, 0, 0, 0, 0, paris()),
			[]string{"ligne 2, PARAMETRES/HORODATAGE : « 14/10/2025 à 17h02 » n'est pas une date et heure (attendu JJ/MM/AAAA HH:MM:SS) ; DATE_EXPORT retenue (14/10/2025 à 00 h 00)"}},
	}
	for _, c := range cases {
		t.Run(c.desc, func(t *testing.T) {
			p, err := Read(bytesUpload("ElevesSansAdresses.xml", c.data), Options{UAI: uai, SchoolYear: 2026})
			require.NoError(t, err)
			s := p.SIECLE
			require.Len(t, s.Pupils, c.pupils)
			assert.Equal(t, c.want, s.Pupils[0])
			assert.Equal(t, fact.TimeFromContent, s.Meta.ExportTimeFrom)
			assert.True(t, c.exported.Equal(s.Meta.ExportedAt), "%v", s.Meta.ExportedAt)
			assert.Equal(t, c.warnings, s.Meta.Warnings)
		})
	}
}
