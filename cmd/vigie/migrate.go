package main

import (
	"context"
	"fmt"

	"github.com/vigie-edu/vigie/internal/store"
)

func cmdMigrate(ctx context.Context, e env) error {
	fs := flags("migrate", e, "database-url", "log-level", "log-format")
	fs.Usage = func() {
		fmt.Fprintln(e.stderr, "Usage: vigie migrate [flags] up|status")
		fs.PrintDefaults()
	}
	cfg, err := parse(fs, e, e.args)
	if err != nil {
		return err
	}
	sub := "up"
	if fs.NArg() > 0 {
		sub = fs.Arg(0)
	}
	log := newLogger(cfg, e.stderr)
	st, err := store.Open(ctx, cfg.DatabaseURL, log)
	if err != nil {
		return err
	}
	defer st.Close()
	switch sub {
	case "up":
		n, err := st.Migrate(ctx)
		if err != nil {
			return err
		}
		m, err := st.MigrationStatus(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "%d migration(s) applied; schema version %d (%s)\n", n, m.Current, st.Dialect())
		return nil
	case "status":
		m, err := st.MigrationStatus(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "schema version %d of %d (%s)\n", m.Current, m.Latest, st.Dialect())
		for _, p := range m.Pending {
			fmt.Fprintf(e.stdout, "pending: %s\n", p)
		}
		if !m.UpToDate() {
			return exitError{exitFailure}
		}
		return nil
	default:
		return usagef("unknown migrate subcommand %q: want up or status", sub)
	}
}
