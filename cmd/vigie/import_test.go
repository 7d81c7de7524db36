package main

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigie-edu/vigie/internal/fixture"
)

// TestImportSpeaksFrench: `vigie import` reports in French like `vigie check`, each refused
// file once, and an unknown academy in one plain sentence.
func TestImportSpeaksFrench(t *testing.T) {
	dir := t.TempDir()
	vars := envFrom(map[string]string{"VIGIE_DATABASE_URL": filepath.Join(dir, "v.db"), "VIGIE_DATA_DIR": dir})
	var out, errb bytes.Buffer
	require.Equal(t, 0, run(context.Background(), []string{"schools", "import", "--academy", "poitiers", oneSchoolDirectory(t)}, vars, &out, &errb), errb.String())

	sts, err := os.ReadFile(filepath.Join("..", "..", "internal", "ingest", "testdata", "sts_emp_0790029C_2026.xml"))
	require.NoError(t, err)
	good := filepath.Join(dir, "sts_emp_0790029C_2026.xml")
	require.NoError(t, os.WriteFile(good, sts, 0o600))
	mtime := time.Date(2026, 9, 2, 8, 0, 0, 0, time.UTC)
	require.NoError(t, os.Chtimes(good, mtime, mtime))
	bad := filepath.Join(dir, "notes.xml")
	require.NoError(t, os.WriteFile(bad, []byte("<NOTES/>"), 0o600))

	out.Reset()
	errb.Reset()
	code := run(context.Background(), []string{"import", "--academy", "poitiers", "--year", "2026", good, bad}, vars, &out, &errb)
	assert.Equal(t, 2, code, "a refused file is bad input")
	assert.Contains(t, out.String(), "importé\u00a0: sts_emp_0790029C_2026.xml (STS-Web (sts_emp), 0790029C, exporté le mercredi 2 septembre 2026 à 10\u00a0h\u00a000, date de modification du fichier)\n")
	assert.Contains(t, out.String(), "  avertissement\u00a0: date d'export absente du fichier : date de modification du fichier retenue (02/09/2026 à 10 h 00) ; "+
		"la fraîcheur de cet export ne peut pas être garantie\n")
	assert.Contains(t, out.String(), "2 fichiers\u00a0: 1 importé, 0 déjà importé, 1 refusé\u00a0; faits reconstruits pour 1 établissement\n")
	assert.Equal(t, 1, strings.Count(errb.String(), "notes.xml"), "a refused file is told once:\n%s", errb.String())
	assert.True(t, strings.HasPrefix(errb.String(), "refusé\u00a0: notes.xml"), errb.String())
	for _, english := range []string{"imported", "refused", "file(s)", "snapshot", "exported"} {
		assert.NotContains(t, out.String()+errb.String(), english)
	}

	out.Reset()
	errb.Reset()
	require.Equal(t, 0, run(context.Background(), []string{"import", "--academy", "poitiers", "--year", "2026", good}, vars, &out, &errb), errb.String())
	assert.Regexp(t, `^déjà importé\x{a0}: sts_emp_0790029C_2026\.xml \(import n°\x{a0}\d+\)\n`, out.String())
	assert.Contains(t, out.String(), "1 fichier\u00a0: 0 importé, 1 déjà importé, 0 refusé\u00a0; faits reconstruits pour 0 établissement\n")

	errb.Reset()
	assert.Equal(t, 2, run(context.Background(), []string{"import", "--academy", "nope", good}, vars, &out, &errb))
	assert.Equal(t, "vigie import: académie « nope » inconnue : créez-la avec « vigie schools import --academy nope FICHIER.csv »\n", errb.String())
}

// TestImportFileErrorsInFrench: a file that cannot be imported is told in a French sentence
// with its path, not with the system's English message.
func TestImportFileErrorsInFrench(t *testing.T) {
	dir := t.TempDir()
	vars := envFrom(map[string]string{"VIGIE_DATABASE_URL": filepath.Join(dir, "v.db"), "VIGIE_DATA_DIR": dir})
	missing := filepath.Join(dir, "x.xml")
	notDir := filepath.Join(dir, "f.xml")
	require.NoError(t, os.WriteFile(notDir, []byte("<x/>"), 0o600))
	for _, tt := range []struct{ path, want string }{
		{missing, "vigie import: impossible d'ouvrir " + missing + " : fichier introuvable\n"},
		{dir, "vigie import: impossible d'importer " + dir + " : c'est un dossier, pas un fichier\n"},
		{filepath.Join(notDir, "y.xml"), "vigie import: impossible d'ouvrir " + filepath.Join(notDir, "y.xml") + " : un élément du chemin n'est pas un dossier\n"},
	} {
		var out, errb bytes.Buffer
		assert.Equal(t, 2, run(context.Background(), []string{"import", "--academy", "poitiers", tt.path}, vars, &out, &errb))
		assert.Equal(t, tt.want, errb.String())
		assert.NotContains(t, errb.String(), "no such file")
	}

	// Root reads any file, so a refused access is checked on the error itself.
	for err, want := range map[error]string{
		&fs.PathError{Op: "open", Path: "x.xml", Err: syscall.EACCES}: "accès refusé",
		&fs.PathError{Op: "open", Path: "x.xml", Err: syscall.ENOENT}: "fichier introuvable",
		&fs.PathError{Op: "read", Path: "x.xml", Err: syscall.EISDIR}: "c'est un dossier, pas un fichier",
		&fs.PathError{Op: "open", Path: "x.xml", Err: syscall.EMFILE}: "erreur du système (too many open files)",
	} {
		assert.Equal(t, want, frenchFileError(err))
	}
}

// TestImportCountsFeedFiles: the files of a directory feed are one import, but the summary
// counts the files the user gave, and says they went in together.
func TestImportCountsFeedFiles(t *testing.T) {
	dir := t.TempDir()
	vars := envFrom(map[string]string{"VIGIE_DATABASE_URL": filepath.Join(dir, "v.db"), "VIGIE_DATA_DIR": dir})
	var out, errb bytes.Buffer
	require.Equal(t, 0, run(context.Background(), []string{"schools", "import", "--academy", "poitiers", oneSchoolDirectory(t)}, vars, &out, &errb), errb.String())
	paths, _ := writeSchool(t, fixture.SchoolSpec{Seed: 3, Now: fixture.DefaultNow, UAI: "0790029C", Pupils: 100})
	var feed []string
	for _, p := range paths {
		if strings.Contains(filepath.Base(p), "_Complet_") {
			feed = append(feed, p)
		}
	}
	require.Greater(t, len(feed), 1)
	n := strconv.Itoa(len(feed))

	out.Reset()
	errb.Reset()
	require.Equal(t, 0, run(context.Background(), append([]string{"import", "--academy", "poitiers"}, feed...), vars, &out, &errb), errb.String())
	assert.Contains(t, out.String(), "annuaire fédérateur (AAF), "+n+" fichiers du flux de l'annuaire importés ensemble, 1 établissement,")
	assert.Contains(t, out.String(), n+" fichiers\u00a0: "+n+" importés (dont les "+n+" du flux de l'annuaire, ensemble), 0 déjà importé, 0 refusé\u00a0;")
}
