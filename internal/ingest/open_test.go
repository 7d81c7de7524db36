package ingest

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"errors"
	"hash/crc32"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigie-edu/vigie/internal/apperr"
	"github.com/vigie-edu/vigie/internal/fact"
)

func TestZipWithNoise(t *testing.T) {
	sts := readTestdata(t, "sts_emp_0790029C_2026.xml")
	mod := time.Date(2026, 9, 3, 17, 45, 0, 0, time.UTC)
	z := zipBytes(t,
		zipEntry{name: "__MACOSX/._sts_emp_0790029C_2026.xml", data: []byte("junk")},
		zipEntry{name: "export/", data: nil},
		zipEntry{name: "export/.DS_Store", data: []byte("junk")},
		zipEntry{name: "export/sts_emp_0790029C_2026.xml", data: sts, mod: mod},
	)
	p, err := Read(bytesUpload("sts_emp_0790029C_2026.zip", z), Options{UAI: uai})
	require.NoError(t, err)
	require.NotNil(t, p.STS)
	m := p.STS.Meta
	assert.Equal(t, "sts_emp_0790029C_2026.zip", m.File)
	assert.Equal(t, "export/sts_emp_0790029C_2026.xml", m.Entry)
	assert.Equal(t, fact.TimeFromZipEntry, m.ExportTimeFrom)
	assert.True(t, m.ExportedAt.Equal(mod), "%v", m.ExportedAt)
	assert.Equal(t, int64(len(sts)), m.Size)
	assert.Equal(t, []string{"date d'export absente du fichier : date du fichier dans l'archive zip retenue (03/09/2026 à 19 h 45) ; " +
		"la fraîcheur de cet export ne peut pas être garantie"}, m.Warnings, "no noise warning, only the time's")
}

func TestMtimeFallback(t *testing.T) {
	u := fileUpload(t, "sts_emp_0790029C_2026.xml")
	u.ModTime = time.Date(2026, 9, 2, 8, 0, 0, 0, time.UTC)
	p, err := Read(u, Options{})
	require.NoError(t, err)
	assert.Equal(t, fact.TimeFromMtime, p.STS.Meta.ExportTimeFrom)
	assert.True(t, u.ModTime.Equal(p.STS.Meta.ExportedAt))
	assert.Equal(t, []string{"date d'export absente du fichier : date de modification du fichier retenue (02/09/2026 à 10 h 00) ; " +
		"la fraîcheur de cet export ne peut pas être garantie"}, p.STS.Meta.Warnings)
}

// zipBomb returns a zip whose single entry inflates n zero bytes.
func zipBomb(t *testing.T, name string, n int) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.Create(name)
	require.NoError(t, err)
	_, err = w.Write([]byte("<BEE_ELEVES><X>"))
	require.NoError(t, err)
	zeros := make([]byte, 1<<20)
	for i := range zeros {
		zeros[i] = ' '
	}
	for written := 0; written < n; written += len(zeros) {
		_, err = w.Write(zeros)
		require.NoError(t, err)
	}
	require.NoError(t, zw.Close())
	return buf.Bytes()
}

func TestZipProblems(t *testing.T) {
	sts := readTestdata(t, "sts_emp_0790029C_2026.xml")
	bee := readTestdata(t, "ElevesSansAdresses.xml")
	bomb := zipBomb(t, "ElevesSansAdresses.xml", 8<<20)
	require.Less(t, len(bomb), 64<<10, "8 MiB of spaces compress to a few KiB")

	cases := []struct {
		desc string
		name string
		data []byte
		lim  Limits
		want string
		file string // the name the error gives; "" for name
	}{
		{"several XML files", "export.zip", zipBytes(t, zipEntry{name: "ElevesSansAdresses.xml", data: bee}, zipEntry{name: "sts_emp_0790029C_2026.xml", data: sts}),
			Limits{}, "l'archive zip contient plusieurs fichiers XML (ElevesSansAdresses.xml, sts_emp_0790029C_2026.xml) : déposez un seul fichier par archive zip", ""},
		{"no XML file", "export.zip", zipBytes(t, zipEntry{name: "a.txt", data: []byte("a")}, zipEntry{name: "b.txt", data: []byte("b")}), Limits{}, "ne contient aucun fichier XML (contenu : a.txt, b.txt)", ""},
		{"empty zip", "export.zip", zipBytes(t), Limits{}, "l'archive zip est vide", ""},
		{"document bureautique (tableur ou texte), pas un export", "export.xml", zipBytes(t, zipEntry{name: "[Content_Types].xml", data: []byte("<Types/>")}, zipEntry{name: "xl/workbook.xml", data: []byte("<workbook/>")}),
			Limits{}, "document bureautique (tableur ou texte), pas un export", ""},
		{"spreadsheet without XML extension", "export.xlsx", zipBytes(t, zipEntry{name: "[Content_Types].txt", data: []byte("x")}, zipEntry{name: "mimetype", data: []byte("x")}), Limits{}, "document bureautique (tableur ou texte), pas un export", ""},
		{"zip bomb by ratio", "ElevesSansAdresses.zip", bomb, Limits{}, "taux de compression supérieur à 100:1", "ElevesSansAdresses.zip (ElevesSansAdresses.xml)"},
		{"size cap", "ElevesSansAdresses.zip", bomb, Limits{MaxFileSize: 2 << 20, MaxRatio: 1 << 20}, "dépasse la limite de 2 Mio pour un fichier d'établissement", "ElevesSansAdresses.zip (ElevesSansAdresses.xml)"},
		{"bare file over the cap", "ElevesSansAdresses.xml", bee, Limits{MaxFileSize: 1024}, "dépasse la limite", ""},
	}
	for _, c := range cases {
		t.Run(c.desc, func(t *testing.T) {
			_, err := Read(bytesUpload(c.name, c.data), Options{Limits: c.lim})
			assertInputError(t, err, firstNonEmpty(c.file, c.name), c.want)
		})
	}
	// Size and ratio errors also match ErrTooLarge, for the HTTP layer's 413.
	_, err := Read(bytesUpload("b.zip", bomb), Options{})
	assert.True(t, errors.Is(err, apperr.ErrTooLarge))
}

func TestZipCorruptEntry(t *testing.T) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.CreateHeader(&zip.FileHeader{Name: "Structures.xml", Method: zip.Store})
	require.NoError(t, err)
	data := readTestdata(t, "Structures.xml")
	_, err = w.Write(data)
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	z := buf.Bytes()
	// Flip a byte of the stored content (inside a comment-free text node): the CRC no longer matches.
	i := bytes.Index(z, []byte("Seconde D"))
	require.Positive(t, i)
	z[i] = 'Z'
	_, err = Read(bytesUpload("Structures.zip", z), Options{})
	assertInputError(t, err, "Structures.zip (Structures.xml)", "somme de contrôle")
}

func TestEncodings(t *testing.T) {
	utf := "<BEE_STRUCTURES><PARAMETRES><UAJ>0790029C</UAJ><ANNEE_SCOLAIRE>2026</ANNEE_SCOLAIRE></PARAMETRES><DONNEES><DIVISIONS><DIVISION CODE_STRUCTURE=\"2 A\"><LIBELLE_LONG>Seconde € Élan œuvre</LIBELLE_LONG></DIVISION></DIVISIONS></DONNEES></BEE_STRUCTURES>"
	latin9 := func(s string) []byte {
		r := map[rune]byte{'€': 0xa4, 'É': 0xc9, 'œ': 0xbd}
		var b []byte
		for _, c := range s {
			if v, ok := r[c]; ok {
				b = append(b, v)
			} else {
				b = append(b, byte(c))
			}
		}
		return b
	}
	cp1252 := func(s string) []byte {
		r := map[rune]byte{'€': 0x80, 'É': 0xc9, 'œ': 0x9c}
		var b []byte
		for _, c := range s {
			if v, ok := r[c]; ok {
				b = append(b, v)
			} else {
				b = append(b, byte(c))
			}
		}
		return b
	}
	cases := []struct {
		desc string
		data []byte
		want string
	}{
		{"UTF-8, no prolog", []byte(utf), "Seconde € Élan œuvre"},
		{"UTF-8 with BOM", append([]byte("\xef\xbb\xbf<?xml version=\"1.0\" encoding=\"UTF-8\"?>"), utf...), "Seconde € Élan œuvre"},
		{"ISO-8859-15", append([]byte(`<?xml version="1.0" encoding="ISO-8859-15"?>`), latin9(utf)...), "Seconde € Élan œuvre"},
		{"iso-8859-15 lower case", append([]byte(`<?xml version="1.0" encoding="iso-8859-15"?>`), latin9(utf)...), "Seconde € Élan œuvre"},
		{"windows-1252", append([]byte(`<?xml version="1.0" encoding="windows-1252"?>`), cp1252(utf)...), "Seconde € Élan œuvre"},
		// ISO-8859-1 (read as windows-1252, as browsers do) has no € nor œ at Latin-9's places: ¤ and ½.
		{"ISO-8859-1", append([]byte(`<?xml version="1.0" encoding="ISO-8859-1"?>`), latin9(utf)...), "Seconde ¤ Élan ½uvre"},
	}
	for _, c := range cases {
		t.Run(c.desc, func(t *testing.T) {
			p, err := Read(bytesUpload("Structures.xml", c.data), Options{})
			require.NoError(t, err)
			require.Len(t, p.Structures.Divisions, 1)
			assert.Equal(t, c.want, p.Structures.Divisions[0].Label)
		})
	}
}

func TestDetectRefusesSeveralSchoolFiles(t *testing.T) {
	z := zipBytes(t, zipEntry{name: "a.xml", data: []byte("<BEE_STRUCTURES/>")}, zipEntry{name: "b.xml", data: []byte("<STS_EDT/>")})
	_, err := Detect(bytesUpload("x.zip", z), Limits{})
	assertInputError(t, err, "x.zip", "plusieurs fichiers XML (a.xml, b.xml)")
}

// TestLyingZipHeader: a header announcing 200 MB for a few bytes neither passes nor makes the
// reader reserve the announced size.
func TestLyingZipHeader(t *testing.T) {
	content := []byte("<BEE_STRUCTURES/>")
	var raw bytes.Buffer
	fw, err := flate.NewWriter(&raw, flate.BestCompression)
	require.NoError(t, err)
	_, err = fw.Write(content)
	require.NoError(t, err)
	require.NoError(t, fw.Close())
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.CreateRaw(&zip.FileHeader{Name: "Structures.xml", Method: zip.Deflate, CRC32: crc32.ChecksumIEEE(content),
		CompressedSize64: uint64(raw.Len()), UncompressedSize64: 200 << 20})
	require.NoError(t, err)
	_, err = w.Write(raw.Bytes())
	require.NoError(t, err)
	require.NoError(t, zw.Close())

	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err = Read(bytesUpload("Structures.zip", buf.Bytes()), Options{})
	runtime.ReadMemStats(&after)
	assertInputError(t, err, "Structures.zip (Structures.xml)", "la taille ou la somme de contrôle ne correspond pas")
	assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(16<<20))
}

// TestNestedZip: a zip holding a zip (an archive of the archive SIECLE gave) is unwrapped one
// level, under the same limits: a bomb inside is still refused, and a deeper nesting is
// refused with what to upload.
func TestNestedZip(t *testing.T) {
	bee := readTestdata(t, "ElevesSansAdresses.xml")
	mod := time.Date(2026, 9, 5, 14, 40, 0, 0, time.UTC)
	inner := zipBytes(t, zipEntry{name: "ElevesSansAdresses.xml", data: bee, mod: mod})
	double := zipBytes(t, zipEntry{name: "ElevesSansAdresses.zip", data: inner}, zipEntry{name: "__MACOSX/._ElevesSansAdresses.zip", data: []byte("junk")})

	p, err := Read(bytesUpload("Eleves_double.zip", double), Options{UAI: uai, SchoolYear: 2026})
	require.NoError(t, err)
	require.NotNil(t, p.SIECLE)
	m := p.SIECLE.Meta
	assert.Equal(t, "Eleves_double.zip", m.File)
	assert.Equal(t, "ElevesSansAdresses.zip/ElevesSansAdresses.xml", m.Entry)
	assert.Len(t, p.SIECLE.Pupils, 8)
	assert.Equal(t, "l'archive zip contient une autre archive zip (ElevesSansAdresses.zip) : son contenu est lu", m.Warnings[0])
	src, err := Detect(bytesUpload("Eleves_double.zip", double), Limits{})
	require.NoError(t, err)
	assert.Equal(t, fact.SourceSIECLE, src)

	withReadme := zipBytes(t, zipEntry{name: "export/ElevesSansAdresses.zip", data: inner}, zipEntry{name: "export/lisezmoi.txt", data: []byte("x")})
	p, err = Read(bytesUpload("Eleves_double.zip", withReadme), Options{UAI: uai})
	require.NoError(t, err)
	assert.Equal(t, []string{"l'archive zip contient une autre archive zip (export/ElevesSansAdresses.zip) : son contenu est lu",
		"le fichier export/lisezmoi.txt de l'archive zip est ignoré : ce n'est pas un fichier XML"}, p.SIECLE.Meta.Warnings[:2])

	bomb := zipBomb(t, "ElevesSansAdresses.xml", 8<<20)
	cases := []struct {
		desc string
		data []byte
		lim  Limits
		file string
		want string
	}{
		{"zip bomb inside", zipBytes(t, zipEntry{name: "ElevesSansAdresses.zip", data: bomb}), Limits{},
			"Eleves_double.zip (ElevesSansAdresses.zip/ElevesSansAdresses.xml)", "taux de compression supérieur à 100:1"},
		{"size cap inside", zipBytes(t, zipEntry{name: "ElevesSansAdresses.zip", data: bomb}), Limits{MaxFileSize: 2 << 20, MaxRatio: 1 << 20},
			"Eleves_double.zip (ElevesSansAdresses.zip/ElevesSansAdresses.xml)", "dépasse la limite de 2 Mio"},
		{"inner zip over the budget", zipBytes(t, zipEntry{name: "ElevesSansAdresses.zip", data: bomb}), Limits{MaxFileSize: 4 << 10, MaxRatio: 1 << 20},
			"Eleves_double.zip (ElevesSansAdresses.zip)", "le contenu décompressé dépasse la limite"},
		{"two levels", zipBytes(t, zipEntry{name: "a.zip", data: zipBytes(t, zipEntry{name: "b.zip", data: inner})}), Limits{},
			"Eleves_double.zip", "l'archive zip a.zip contient elle-même une archive zip (b.zip) : déposez le fichier XML"},
		{"not a zip inside", zipBytes(t, zipEntry{name: "ElevesSansAdresses.zip", data: bee}), Limits{},
			"Eleves_double.zip (ElevesSansAdresses.zip)", "archive zip illisible"},
	}
	for _, c := range cases {
		t.Run(c.desc, func(t *testing.T) {
			_, err := Read(bytesUpload("Eleves_double.zip", c.data), Options{Limits: c.lim})
			assertInputError(t, err, c.file, c.want)
		})
	}

	// A feed's budget is larger: the inner zip is still held in memory only up to a school file's size.
	var feed []zipEntry
	for _, u := range feedUploads(t) {
		b := make([]byte, u.Size)
		_, err := u.Content.ReadAt(b, 0)
		require.NoError(t, err)
		feed = append(feed, zipEntry{name: u.Name, data: b})
	}
	feedZip := zipBytes(t, zipEntry{name: "AAF.zip", data: zipBytes(t, feed...)})
	f, err := ReadFeed([]Upload{bytesUpload("AAF_double.zip", feedZip)}, Options{})
	require.NoError(t, err)
	assert.Equal(t, 5, f.Stats.Files)
	assert.Contains(t, f.Warnings, "l'archive zip contient une autre archive zip (AAF.zip) : son contenu est lu")
	_, err = ReadFeed([]Upload{bytesUpload("AAF_double.zip", feedZip)}, Options{Limits: Limits{MaxFileSize: 1 << 10}})
	assertInputError(t, err, "AAF_double.zip (AAF.zip)", "archive zip contenue dans l'archive zip trop grande (plus de 1 Kio) : déposez-la elle-même")
}
