package ingest

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestFutureExportTime: an export time later than the import (beyond a few minutes of clock
// drift) is read all the same, with a warning, whatever it was read from.
func TestFutureExportTime(t *testing.T) {
	const future = "date d'export postérieure à la date de dépôt (10/09/2026 à 10 h 00) : "
	const tail = " ; l'horloge de l'ordinateur qui a produit l'export est peut-être déréglée, ou ce n'est pas le bon fichier"
	stamped := func(s string) Upload { // received is 10/09/2026 at 10:00, Paris
		return bytesUpload("ElevesSansAdresses.xml", []byte(strings.Replace(beeWith(""), "05/09/2026 14:32:10", s, 1)))
	}
	sts := fileUpload(t, "sts_emp_0790029C_2026.xml")
	mtime := sts
	mtime.ModTime = time.Date(2027, 9, 2, 8, 0, 0, 0, time.UTC)
	zipped := bytesUpload("sts.zip", zipBytes(t, zipEntry{name: "sts_emp_0790029C_2026.xml", data: readTestdata(t, "sts_emp_0790029C_2026.xml"),
		mod: time.Date(2026, 9, 11, 9, 0, 0, 0, time.UTC)}))
	cases := []struct {
		desc string
		u    Upload
		want string // "": no such warning
	}{
		{"content time a year ahead", stamped("05/09/2027 14:32:10"), future + "05/09/2027 à 14 h 32, lue dans le fichier" + tail},
		{"content time minutes ahead: clock drift", stamped("10/09/2026 10:05:00"), ""},
		{"content time in the past", stamped("09/09/2026 10:05:00"), ""},
		{"mtime ahead", mtime, future + "02/09/2027 à 10 h 00, date de modification du fichier" + tail},
		{"zip entry time ahead", zipped, future + "11/09/2026 à 11 h 00, date du fichier dans l'archive zip" + tail},
	}
	for _, c := range cases {
		t.Run(c.desc, func(t *testing.T) {
			p, err := Read(c.u, Options{})
			require.NoError(t, err)
			ws := p.Meta().Warnings
			if c.want == "" {
				for _, w := range ws {
					assert.NotContains(t, w, "postérieure")
				}
				return
			}
			assert.Contains(t, ws, c.want)
		})
	}

	feed := feedUploads(t)
	for i := range feed {
		feed[i].Name = strings.Replace(feed[i].Name, "20260909", "20261009", 1)
	}
	f, err := ReadFeed(feed, Options{})
	require.NoError(t, err)
	assert.Contains(t, f.Warnings, future+"09/10/2026 à 00 h 00, lue dans le nom du fichier"+tail)
}
