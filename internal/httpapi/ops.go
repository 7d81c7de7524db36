package httpapi

import (
	"crypto/subtle"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v5"

	"github.com/vigie-edu/vigie/internal/apperr"
)

// Observer sees every HTTP request (internal/metrics, wired in cmd/vigie): Started when it
// comes in, Done with the route pattern (never the raw path) and the status once answered.
type Observer struct {
	Started func()
	Done    func(method, route string, status int, elapsed time.Duration)
}

// observe feeds the Observer. It runs outside accessLog, which maps errors to responses, so
// that the status it sees is the one sent.
func (s *Server) observe(next echo.HandlerFunc) echo.HandlerFunc {
	o := s.deps.Observer
	if o.Started == nil || o.Done == nil {
		return next
	}
	return func(c *echo.Context) error {
		start := time.Now()
		o.Started()
		err := next(c)
		status := 0
		if r, _ := echo.UnwrapResponse(c.Response()); r != nil {
			status = r.Status
		}
		route := c.Path()
		if route == "/*" { // the not-found catch-all: one label for every unknown path
			route = ""
		}
		o.Done(c.Request().Method, route, status, time.Since(start))
		return err
	}
}

// opsRoutes are the operator's routes of the main listener.
func (s *Server) opsRoutes() []route {
	return []route{
		// Public to the policy: a scraper has no account; --metrics-token guards it instead.
		{http.MethodGet, "/metrics", ActionPublic, s.metrics, classOps},
	}
}

func opsOpDocs() map[string]opDoc {
	return map[string]opDoc{
		"GET /metrics": {summary: "Prometheus metrics (Authorization: Bearer <metrics token> when one is configured)", tag: "probes",
			status: 200, media: "text/plain"},
	}
}

// metrics serves the Prometheus registry; with a metrics token set, only to its bearer.
func (s *Server) metrics(c *echo.Context) error {
	if s.deps.Metrics == nil {
		return fmt.Errorf("metrics are off: %w", apperr.ErrNotFound)
	}
	if want := s.deps.MetricsToken; want != "" {
		got, ok := strings.CutPrefix(c.Request().Header.Get("Authorization"), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
			// Answered here, as JSON: the error handler would send a browser-like client
			// (no Accept: application/json) to the login page.
			c.Response().Header().Set("WWW-Authenticate", `Bearer realm="vigie-metrics"`)
			return c.JSON(http.StatusUnauthorized, apiError{Code: "unauthorized", Message: "Jeton de métriques requis.", RequestID: requestIDOf(c)})
		}
	}
	s.deps.Metrics.ServeHTTP(c.Response(), c.Request())
	return nil
}
