package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/vigie-edu/vigie/internal/access"
	"github.com/vigie-edu/vigie/internal/apperr"
	"github.com/vigie-edu/vigie/internal/auth"
	"github.com/vigie-edu/vigie/internal/authoring"
	"github.com/vigie-edu/vigie/internal/demo"
	"github.com/vigie-edu/vigie/internal/evaluator"
	"github.com/vigie-edu/vigie/internal/httpapi"
	"github.com/vigie-edu/vigie/internal/importer"
	"github.com/vigie-edu/vigie/internal/ingest"
	"github.com/vigie-edu/vigie/internal/policy"
	"github.com/vigie-edu/vigie/internal/store"
	"github.com/vigie-edu/vigie/policies"
)

func cmdServe(ctx context.Context, e env) error {
	fs := flags("serve", e)
	cfg, err := parse(fs, e, e.args)
	if err != nil {
		return err
	}
	log, level := newLevelLogger(cfg, e.stderr)
	cfg.Print(e.stdout)

	st, err := store.Open(ctx, cfg.DatabaseURL, log)
	if err != nil {
		return err
	}
	defer st.Close()
	if cfg.Migrate {
		if _, err := st.Migrate(ctx); err != nil {
			return err
		}
	} else if ms, err := st.MigrationStatus(ctx); err == nil && !ms.UpToDate() {
		log.Warn("migrations pending: not ready until `vigie migrate up` has run", "current", ms.Current, "latest", ms.Latest)
	}

	// Metrics, the run-time log level and the admin port (off by default): operate.go.
	ops := newOperations(st, level, log)
	waitAdmin, err := ops.startAdmin(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer waitAdmin()

	// Policies: the authorisation policy decides every API request; the national readiness
	// set gives the check catalogue.
	authzFiles, err := policy.LoadFS(policies.FS, policies.AuthzDir)
	if err != nil {
		return err
	}
	authorizer, err := policy.NewAuthorizer(ctx, authzFiles)
	if err != nil {
		return fmt.Errorf("authorisation policy: %w", err)
	}
	readinessFiles, err := policy.LoadFS(policies.FS, policies.ReadinessDir)
	if err != nil {
		return err
	}
	national, err := policy.Compile(ctx, readinessFiles, policy.WithLogger(log))
	if err != nil {
		return fmt.Errorf("readiness policies: %w", err)
	}

	// Each academy is evaluated with its published policy version (compiled once per version),
	// or the national defaults until it publishes one; authors draft, check, preview,
	// publish and roll back through the authoring service.
	sets := authoring.NewSource(st, readinessFiles, log, policy.WithLogger(log))
	policyAuthoring := authoring.New(st, sets, log, authoring.Options{})

	// Campaign tracking and the scheduled jobs (drop folders, daily evaluation, digest,
	// retention): cmd/vigie/schedule.go.
	tr, err := newTracker(ctx, st, sets, log)
	if err != nil {
		return err
	}

	// Demo mode: the demo academy, its campaign steps and forecasts, and the accounts the
	// login page shows.
	var demoAccounts []httpapi.DemoAccount
	if cfg.Demo {
		if _, err := st.AcademyByCode(ctx, access.System(), demo.AcademyCode); errors.Is(err, apperr.ErrNotFound) {
			fmt.Fprintln(e.stdout, "Demo mode: preparing the demo academy (first start only; about a minute)...")
		}
		res, err := demo.Seed(ctx, st, demo.Options{Log: log, Sets: sets})
		if err != nil {
			return fmt.Errorf("seed the demo academy: %w", err)
		}
		if res.Seeded {
			if _, err := tr.RefreshAcademy(ctx, access.Academy(res.Academy.ID), res.Academy, time.Now()); err != nil {
				return fmt.Errorf("campaign of the demo academy: %w", err)
			}
		}
		fmt.Fprintf(e.stdout, "Demo academy %q ready. Demo accounts (password %q):\n", res.Academy.Code, demo.Password)
		for _, a := range res.Accounts {
			fmt.Fprintf(e.stdout, "  %-14s %s\n", a.Login, a.Label)
			demoAccounts = append(demoAccounts, httpapi.DemoAccount{Login: a.Login, Password: a.Password, Label: a.Label})
		}
	}
	digests, err := newDigests(cfg, st, log)
	if err != nil {
		return err
	}
	if cfg.Scheduler {
		stop, err := startScheduler(cfg, st, sets, tr, digests, ops, log)
		if err != nil {
			return err
		}
		defer stop()
	}

	var oidc *auth.OIDC
	if cfg.OIDCIssuer != "" {
		oidc, err = auth.NewOIDC(auth.OIDCConfig{Issuer: cfg.OIDCIssuer, ClientID: cfg.OIDCClientID,
			ClientSecret: cfg.OIDCClientSecret, RedirectURL: cfg.OIDCRedirectURL}, nil)
		if err != nil {
			return err
		}
	}

	srv, err := httpapi.New(httpapi.Deps{
		Store:        st,
		Logger:       log,
		Version:      buildVersion(),
		Authorizer:   authorizer,
		Importer:     importer.New(st, log, ingest.DefaultLimits(), nil, ops.importerOptions()...),
		Evaluator:    evaluator.New(st, sets, log, ops.evaluatorOptions()),
		Checks:       national.Catalogue(),
		Policies:     policyAuthoring,
		OIDC:         oidc,
		Tracker:      tr,
		DemoAccounts: demoAccounts,
		Metrics:      ops.metrics.Handler(),
		MetricsToken: cfg.MetricsToken,
		Observer:     ops.httpObserver(),
		Options: httpapi.Options{
			CookieSecure:   cfg.CookieSecure,
			SessionIdle:    cfg.SessionIdle,
			SessionMaxAge:  cfg.SessionMaxAge,
			UploadMaxBytes: int64(cfg.UploadMaxMB) << 20,
			RequestTimeout: cfg.RequestTimeout,
			DataDir:        cfg.DataDir,
		},
	})
	if err != nil {
		return err
	}
	l, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	fmt.Fprintf(e.stdout, "Vigie listening on http://%s\n", l.Addr())
	if cfg.Demo {
		fmt.Fprintf(e.stdout, "Open http://%s/ in a browser and log in with a demo account above.\n", l.Addr())
	}
	log.Info("listening", "addr", l.Addr().String(), "database", string(st.Dialect()), "oidc", oidc != nil)
	return srv.Serve(ctx, l, cfg.ShutdownIn)
}
