package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/vigie-edu/vigie/internal/access"
	"github.com/vigie-edu/vigie/internal/importer"
	"github.com/vigie-edu/vigie/internal/ingest"
	"github.com/vigie-edu/vigie/internal/store"
)

func cmdImport(ctx context.Context, e env) error {
	fs := flags("import", e)
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
			return usagef("open %s: %v", path, err)
		}
		defer f.Close()
		fi, err := f.Stat()
		if err != nil {
			return usagef("stat %s: %v", path, err)
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
	if err != nil {
		return usagef("academy %s: %v (create it with 'vigie schools import --academy %s FILE.csv')", *academy, err, *academy)
	}
	im := importer.New(st, log, ingest.DefaultLimits(), nil)
	res, err := im.Import(ctx, access.System(), importer.Request{Academy: a, UAI: *uai, SchoolYear: *year, By: *by, Files: uploads})
	if err != nil {
		return err
	}
	for _, f := range res.Files {
		switch {
		case f.Err != nil:
			fmt.Fprintf(e.stderr, "refused: %v\n", f.Err)
		case f.Duplicate:
			fmt.Fprintf(e.stdout, "already imported: %s (import %d)\n", f.File, f.Import.ID)
		default:
			where := f.Import.UAI
			if where == "" {
				where = fmt.Sprintf("%d schools", f.Import.Schools)
			}
			fmt.Fprintf(e.stdout, "imported: %s (%s, %s, exported %s)\n", f.File, f.Import.Kind, where, f.Import.ExportedAt.Format(time.RFC3339))
		}
	}
	fmt.Fprintf(e.stdout, "%d file(s), %d refused; %d snapshot(s) rebuilt\n", len(res.Files), res.Rejected(), len(res.Snapshots))
	if res.Rejected() > 0 {
		return exitError{exitBadInput}
	}
	return nil
}
