package main

import (
	"context"
	"fmt"
	"net"

	"github.com/vigie-edu/vigie/internal/httpapi"
	"github.com/vigie-edu/vigie/internal/store"
)

func cmdServe(ctx context.Context, e env) error {
	fs := flags("serve", e)
	cfg, err := parse(fs, e, e.args)
	if err != nil {
		return err
	}
	log := newLogger(cfg, e.stderr)
	cfg.Print(e.stdout)

	st, err := store.Open(ctx, cfg.DatabaseURL, log)
	if err != nil {
		return err
	}
	defer st.Close()
	if _, err := st.Migrate(ctx); err != nil {
		return err
	}

	srv, err := httpapi.New(httpapi.Deps{Store: st, Logger: log, Version: buildVersion()})
	if err != nil {
		return err
	}
	l, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	fmt.Fprintf(e.stdout, "Vigie listening on http://%s\n", l.Addr())
	log.Info("listening", "addr", l.Addr().String(), "database", string(st.Dialect()))
	return srv.Serve(ctx, l, cfg.ShutdownIn)
}
