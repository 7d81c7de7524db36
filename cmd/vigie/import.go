package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/vigie-edu/vigie/internal/access"
	"github.com/vigie-edu/vigie/internal/apperr"
	"github.com/vigie-edu/vigie/internal/campaign"
	"github.com/vigie-edu/vigie/internal/fact"
	"github.com/vigie-edu/vigie/internal/importer"
	"github.com/vigie-edu/vigie/internal/ingest"
	"github.com/vigie-edu/vigie/internal/readiness"
	"github.com/vigie-edu/vigie/internal/store"
)

func cmdImport(ctx context.Context, e env) error {
	fs := flags("import", e, "database-url", "log-level", "log-format")
	academy := fs.String("academy", "", "academy code (required)")
	uai := fs.String("uai", "", "the school the files are for (optional: each file names its school)")
	year := fs.Int("year", 0, "school year of the files, e.g. 2026 for 2026-2027 (default: the one in progress)")
	by := fs.String("by", "cli", "who imports, recorded with each file")
	fs.Usage = func() {
		fmt.Fprintln(e.stderr, "Usage: vigie import --academy CODE [--uai UAI] [--year YYYY] FILE...")
		fs.PrintDefaults()
	}
	cfg, err := parse(fs, e, e.args)
	if err != nil {
		return err
	}
	if *academy == "" || fs.NArg() == 0 {
		return usagef("usage: vigie import --academy CODE [--uai UAI] FILE...")
	}
	var uploads []ingest.Upload
	for _, path := range fs.Args() {
		f, err := os.Open(path)
		if err != nil {
			return usagef("impossible d'ouvrir %s : %s", path, frenchFileError(err))
		}
		defer f.Close()
		fi, err := f.Stat()
		if err != nil {
			return usagef("impossible de lire %s : %s", path, frenchFileError(err))
		}
		if fi.IsDir() {
			return usagef("impossible d'importer %s : c'est un dossier, pas un fichier", path)
		}
		uploads = append(uploads, ingest.Upload{Name: filepath.Base(path), Content: f, Size: fi.Size(),
			ReceivedAt: time.Now().UTC(), ModTime: fi.ModTime()})
	}
	log := newLogger(cfg, e.stderr)
	st, err := store.Open(ctx, cfg.DatabaseURL, log)
	if err != nil {
		return err
	}
	defer st.Close()
	if _, err := st.Migrate(ctx); err != nil {
		return err
	}
	a, err := st.AcademyByCode(ctx, access.System(), *academy)
	if errors.Is(err, apperr.ErrNotFound) {
		return usagef("académie « %s » inconnue : créez-la avec « vigie schools import --academy %s FICHIER.csv »", *academy, *academy)
	}
	if err != nil {
		return err
	}
	// The command prints each file's outcome: the importer's lines per file would repeat them,
	// so they show only with --log-level debug.
	quiet := cfg
	if quiet.LogLevel == "info" {
		quiet.LogLevel = "warn"
	}
	im := importer.New(st, newLogger(quiet, e.stderr), ingest.DefaultLimits(), nil)
	res, err := im.Import(ctx, access.System(), importer.Request{Academy: a, UAI: *uai, SchoolYear: *year, By: *by, Files: uploads})
	if err != nil {
		return err
	}
	writeImportResult(e, res)
	if res.Rejected() > 0 {
		return exitError{exitBadInput}
	}
	return nil
}

// writeImportResult prints, in French like `vigie check`, one line per file (refusals on
// stderr, once: the importer logs them only at debug) and a summary.
func writeImportResult(e env, res importer.Result) {
	const nbsp = "\u00a0"
	var files, imported, dup, rejected int
	feed := 0
	for _, f := range res.Files {
		files += f.Count()
		switch {
		case f.Err != nil:
			rejected += f.Count()
			fmt.Fprintf(e.stderr, "refusé%s: %v\n", nbsp, f.Err)
		case f.Duplicate:
			dup += f.Count()
			fmt.Fprintf(e.stdout, "déjà importé%s: %s (import n°%s%d)\n", nbsp, f.File, nbsp, f.Import.ID)
		default:
			imported += f.Count()
			feed += f.Feed
			where := f.Import.UAI
			if where == "" {
				where = plural(f.Import.Schools, "établissement", "établissements")
			}
			what := fact.Source(f.Import.Kind).Label()
			if f.Feed > 0 {
				what += ", " + plural(f.Feed, "fichier du flux de l'annuaire importé", "fichiers du flux de l'annuaire importés ensemble")
			}
			fmt.Fprintf(e.stdout, "importé%s: %s (%s, %s, exporté le %s, %s)\n", nbsp, f.File, what,
				where, readiness.FrenchDateTime(f.Import.ExportedAt, campaign.Paris), exportTimeFromLabels[f.Import.ExportTimeFrom])
			for _, w := range f.Import.Warnings {
				fmt.Fprintf(e.stdout, "  avertissement%s: %s\n", nbsp, w)
			}
		}
	}
	together := ""
	if feed > 1 {
		together = fmt.Sprintf(" (dont les %d du flux de l'annuaire, ensemble)", feed)
	}
	fmt.Fprintf(e.stdout, "%s%s: %d importé%s%s, %d déjà importé%s, %d refusé%s%s; faits reconstruits pour %s\n",
		plural(files, "fichier", "fichiers"), nbsp,
		imported, pluralS(imported), together, dup, pluralS(dup), rejected, pluralS(rejected), nbsp,
		plural(len(res.Snapshots), "établissement", "établissements"))
}

// frenchFileError says in French why a file could not be opened or read, for a sentence that
// already names the file: the system's message is English and repeats the path.
func frenchFileError(err error) string {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "fichier introuvable"
	case errors.Is(err, fs.ErrPermission):
		return "accès refusé"
	case errors.Is(err, syscall.EISDIR):
		return "c'est un dossier, pas un fichier"
	case errors.Is(err, syscall.ENOTDIR):
		return "un élément du chemin n'est pas un dossier"
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return fmt.Sprintf("erreur du système (%v)", err)
}

// exportTimeFromLabels says, in French, where an import's export time comes from.
var exportTimeFromLabels = map[string]string{
	fact.TimeFromContent:  "date lue dans le fichier",
	fact.TimeFromFileName: "date lue dans le nom du fichier",
	fact.TimeFromZipEntry: "date du fichier dans l'archive zip",
	fact.TimeFromMtime:    "date de modification du fichier",
	fact.TimeFromUpload:   "date de dépôt",
}

// plural writes a count with its noun, singular for 0 and 1 as French does.
func plural(n int, one, many string) string {
	if n > 1 {
		return fmt.Sprintf("%d %s", n, many)
	}
	return fmt.Sprintf("%d %s", n, one)
}

func pluralS(n int) string {
	if n > 1 {
		return "s"
	}
	return ""
}
