// Package httpapi is Vigie's HTTP surface: the JSON API under /api/v1, the server-rendered
// pages, and the probes. It is the only package that imports Echo. Every route is declared
// once in routes.go with the action it needs; the authorisation policy (Rego, through
// internal/policy) decides each request; errors are mapped to status codes in one place,
// errors.go. Middleware (request ids, secure headers, body limits, timeouts, session or token
// authentication, CSRF) is shared by the API and the pages.
package httpapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/labstack/echo/v5"

	"github.com/vigie-edu/vigie/internal/access"
	"github.com/vigie-edu/vigie/internal/auth"
	"github.com/vigie-edu/vigie/internal/authoring"
	"github.com/vigie-edu/vigie/internal/campaign"
	"github.com/vigie-edu/vigie/internal/importer"
	"github.com/vigie-edu/vigie/internal/policy"
	"github.com/vigie-edu/vigie/internal/store"
	"github.com/vigie-edu/vigie/internal/tracker"
)

// Evaluator runs readiness evaluations (internal/evaluator); the API triggers runs through it.
type Evaluator interface {
	RunAcademy(ctx context.Context, scope access.Scope, academy campaign.Academy, trigger, by string) (store.Run, error)
	RunSchool(ctx context.Context, scope access.Scope, academy campaign.Academy, uai, trigger, by string) (store.Run, error)
}

// Options are the HTTP settings from the configuration.
type Options struct {
	CookieSecure   bool          // Secure cookies with the __Host- prefix
	SessionIdle    time.Duration // default 2h
	SessionMaxAge  time.Duration // default 12h
	UploadMaxBytes int64         // all files of one upload; default 200 MiB
	RequestTimeout time.Duration // default 30s; uploads and runs get LongTimeout
	LongTimeout    time.Duration // default 10 min
	DataDir        string        // uploads are streamed to DataDir/uploads
	LoginFailures  int           // failed logins allowed per login and per address in LoginWindow (default 10)
	LoginWindow    time.Duration // default 15 min
}

func (o *Options) defaults() {
	if o.SessionIdle <= 0 {
		o.SessionIdle = 2 * time.Hour
	}
	if o.SessionMaxAge <= 0 {
		o.SessionMaxAge = 12 * time.Hour
	}
	if o.UploadMaxBytes <= 0 {
		o.UploadMaxBytes = 200 << 20
	}
	if o.RequestTimeout <= 0 {
		o.RequestTimeout = 30 * time.Second
	}
	if o.LongTimeout <= 0 {
		o.LongTimeout = 10 * time.Minute
	}
	if o.DataDir == "" {
		o.DataDir = "data"
	}
	if o.LoginFailures <= 0 {
		o.LoginFailures = 10
	}
	if o.LoginWindow <= 0 {
		o.LoginWindow = 15 * time.Minute
	}
}

// Deps are what the HTTP layer needs.
type Deps struct {
	Store      *store.Store
	Logger     *slog.Logger
	Version    string
	Authorizer *policy.Authorizer // decides every API request
	Importer   *importer.Importer
	Evaluator  Evaluator          // nil: run triggers answer 503
	Checks     policy.Catalogue   // the check catalogue (national policy set)
	OIDC       *auth.OIDC         // nil: OIDC login is off
	Policies   *authoring.Service // policy authoring; nil: its routes answer 503
	Options    Options
	Now        func() time.Time // nil: time.Now
	// Tracker is the campaign tracker (step states, attestations); nil: the school page
	// shows no campaign steps.
	Tracker *tracker.Tracker
	// DemoAccounts are shown on the login page; set in demo mode only.
	DemoAccounts []DemoAccount
	// Metrics serves /metrics (nil: 404); with MetricsToken set, only to that bearer token.
	Metrics      http.Handler
	MetricsToken string
	// Observer sees every request (metrics); zero: nothing observes.
	Observer Observer
}

// Server serves Vigie over HTTP.
type Server struct {
	deps    Deps
	opts    Options
	echo    *echo.Echo
	log     *slog.Logger
	now     func() time.Time
	limiter *auth.Limiter
	cop     *http.CrossOriginProtection
	routes  []route
	cache   viewCache
	web     *web // templates and static files of the pages

	academiesMu sync.RWMutex
	academies   map[string]campaign.Academy // by code
}

// New builds the server and installs every route.
func New(deps Deps) (*Server, error) {
	if deps.Store == nil || deps.Logger == nil || deps.Authorizer == nil || deps.Importer == nil {
		return nil, errors.New("httpapi: store, logger, authorizer and importer are required")
	}
	deps.Options.defaults()
	var err error
	now := deps.Now
	if now == nil {
		now = time.Now
	}
	e := echo.New()
	e.Logger = deps.Logger
	s := &Server{deps: deps, opts: deps.Options, echo: e, log: deps.Logger, now: now,
		limiter: auth.NewLimiter(deps.Options.LoginFailures, deps.Options.LoginWindow),
		cop:     http.NewCrossOriginProtection()}
	if s.web, err = newWeb(); err != nil {
		return nil, err
	}
	e.HTTPErrorHandler = s.handleError
	e.Use(s.requestID, s.observe, s.accessLog, s.recoverPanic, s.secureHeaders)
	if err = s.install(); err != nil {
		return nil, err
	}
	return s, nil
}

// Handler returns the http.Handler of the server.
func (s *Server) Handler() http.Handler { return s.echo }

// Serve answers HTTP on l until ctx is done, then shuts down gracefully within grace.
func (s *Server) Serve(ctx context.Context, l net.Listener, grace time.Duration) error {
	srv := &http.Server{
		Handler:           s.echo,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       s.opts.LongTimeout, // uploads of academy feeds are large
		WriteTimeout:      s.opts.LongTimeout + 30*time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(l) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve http: %w", err)
	case <-ctx.Done():
	}
	s.log.Info("shutting down", "grace", grace)
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shut down http: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve http: %w", err)
	}
	return nil
}
