// Package httpapi is Vigie's HTTP surface: the JSON API under /api/v1, the server-rendered
// pages, and the probes. It is the only package that imports Echo. Every route is declared
// once in routes.go with the action it needs; errors are mapped to status codes in one place,
// errors.go.
package httpapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/labstack/echo/v5"

	"github.com/vigie-edu/vigie/internal/store"
)

// Deps are what the HTTP layer needs.
type Deps struct {
	Store   *store.Store
	Logger  *slog.Logger
	Version string
}

// Server serves Vigie over HTTP.
type Server struct {
	deps Deps
	echo *echo.Echo
	log  *slog.Logger
}

// New builds the server and installs every route.
func New(deps Deps) (*Server, error) {
	if deps.Store == nil || deps.Logger == nil {
		return nil, errors.New("httpapi: store and logger are required")
	}
	e := echo.New()
	e.Logger = deps.Logger
	s := &Server{deps: deps, echo: e, log: deps.Logger}
	e.HTTPErrorHandler = s.handleError
	if err := s.install(); err != nil {
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
		ReadTimeout:       5 * time.Minute, // uploads of academy feeds are large
		WriteTimeout:      5 * time.Minute,
		IdleTimeout:       2 * time.Minute,
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
