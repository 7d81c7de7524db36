package ingest

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const deltaEleve = `<?xml version="1.0" encoding="UTF-8"?>
<ficAlimMENESR>
  <modifyRequest>
    <operationalAttributes><attr name="categoriePersonne"><value>Eleve</value></attr></operationalAttributes>
    <identifier><id>E1</id></identifier>
    <modifications><modification name="ENTEleveClasses" operation="replace"><value>52006$2 B</value></modification></modifications>
  </modifyRequest>
  <deleteRequest>
    <operationalAttributes><attr name="categoriePersonne"><value>Eleve</value></attr></operationalAttributes>
    <identifier><id>E2</id></identifier>
  </deleteRequest>
</ficAlimMENESR>
`

// TestFeedCheckComplete: only a complete extraction (EtabEducNat, Eleve and PersEducNat, in
// any number of chunks) is usable; the categories are read from the names and the records.
func TestFeedCheckComplete(t *testing.T) {
	const (
		etab   = "aaf/FULL_TEST_Complet_20260909_EtabEducNat_0000.xml"
		eleve  = "aaf/FULL_TEST_Complet_20260909_Eleve_0000.xml"
		eleve1 = "aaf/FULL_TEST_Complet_20260909_Eleve_0001.xml"
		pers   = "aaf/FULL_TEST_Complet_20260909_PersEducNat_0000.xml"
	)
	as := func(name, testdata string) Upload { return bytesUpload(name, readTestdata(t, testdata)) }
	cases := []struct {
		desc    string
		uploads []Upload
		file    string // named by the error; empty when complete
		want    string
	}{
		{desc: "complete, chunked", uploads: feedUploads(t)},
		{desc: "complete, files renamed: the records' categories", uploads: []Upload{
			as("a.xml", etab), as("b.xml", eleve), as("c.xml", pers)}},
		{desc: "empty PersEducNat chunk: named by its file", uploads: []Upload{
			as("X_Complet_20260909_EtabEducNat_0000.xml", etab), as("X_Complet_20260909_Eleve_0000.xml", eleve),
			bytesUpload("X_Complet_20260909_PersEducNat_0000.xml", []byte(`<?xml version="1.0"?><ficAlimMENESR></ficAlimMENESR>`))}},
		{desc: "complete with a Delta on top", uploads: append(feedUploads(t), bytesUpload("ENT2D_Delta_20260910_Eleve_0000.xml", []byte(deltaEleve)))},
		{desc: "Delta alone", uploads: []Upload{bytesUpload("ENT2D_Delta_20251015_Eleve_0000.xml", []byte(deltaEleve))},
			file: "ENT2D_Delta_20251015_Eleve_0000.xml",
			want: "extraction différentielle (Delta) : Vigie a besoin d'une extraction complète (Complet_…) ; déposez les fichiers EtabEducNat, Eleve, PersEducNat de la dernière extraction complète"},
		{desc: "pupils only", uploads: []Upload{as("FULL_TEST_Complet_20260909_Eleve_0000.xml", eleve), as("FULL_TEST_Complet_20260909_Eleve_0001.xml", eleve1)},
			file: "FULL_TEST_Complet_20260909_Eleve_0000.xml (+1 fichier)",
			want: "flux de l'annuaire incomplet : catégories manquantes EtabEducNat, PersEducNat ; déposez l'extraction complète (EtabEducNat, Eleve, PersEducNat)"},
		{desc: "no staff", uploads: []Upload{as("FULL_TEST_Complet_20260909_EtabEducNat_0000.xml", etab), as("FULL_TEST_Complet_20260909_Eleve_0000.xml", eleve)},
			file: "FULL_TEST_Complet_20260909_Eleve_0000.xml (+1 fichier)", // sorted by name
			want: "flux de l'annuaire incomplet : catégorie manquante PersEducNat ; déposez l'extraction complète"},
		{desc: "the Delta does not stand for a missing category", uploads: []Upload{as("FULL_TEST_Complet_20260909_EtabEducNat_0000.xml", etab),
			as("FULL_TEST_Complet_20260909_PersEducNat_0000.xml", pers), bytesUpload("ENT2D_Delta_20260910_Eleve_0000.xml", []byte(deltaEleve))},
			file: "ENT2D_Delta_20260910_Eleve_0000.xml (+2 fichiers)", want: "catégorie manquante Eleve ;"},
		{desc: "a renamed staff file and no pupils", uploads: []Upload{as("Y_Complet_20260909_EtabEducNat_0000.xml", etab),
			as("staff.xml", pers)}, file: "Y_Complet_20260909_EtabEducNat_0000.xml (+1 fichier)", want: "catégorie manquante Eleve ;"},
	}
	for _, c := range cases {
		t.Run(c.desc, func(t *testing.T) {
			feed, err := ReadFeed(c.uploads, Options{})
			require.NoError(t, err, "reading never refuses a partial feed: the caller decides")
			err = feed.CheckComplete()
			if c.want == "" {
				assert.NoError(t, err)
				return
			}
			assertInputError(t, err, c.file, c.want)
		})
	}
}

// TestReadFeedPartRefusesPartialFeed: a feed file read for one school must be complete too.
func TestReadFeedPartRefusesPartialFeed(t *testing.T) {
	_, err := Read(bytesUpload("ENT2D_Delta_20251015_Eleve_0000.xml", []byte(deltaEleve)), Options{UAI: "0790029C"})
	assertInputError(t, err, "ENT2D_Delta_20251015_Eleve_0000.xml", "extraction différentielle (Delta)")
}
