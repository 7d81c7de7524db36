package httpapi

import (
	"net/http"

	"github.com/labstack/echo/v5"
)

// healthz answers while the process is alive.
func (s *Server) healthz(c *echo.Context) error {
	return c.JSON(http.StatusOK, map[string]string{"status": "ok", "version": s.deps.Version})
}

// readyz answers 200 when the database answers and its schema is current.
func (s *Server) readyz(c *echo.Context) error {
	ctx := c.Request().Context()
	if err := s.deps.Store.Ping(ctx); err != nil {
		s.log.Warn("not ready", "err", err)
		return c.JSON(http.StatusServiceUnavailable, map[string]string{"status": "database unreachable"})
	}
	st, err := s.deps.Store.MigrationStatus(ctx)
	if err != nil {
		s.log.Warn("not ready", "err", err)
		return c.JSON(http.StatusServiceUnavailable, map[string]string{"status": "migration status unknown"})
	}
	if !st.UpToDate() {
		return c.JSON(http.StatusServiceUnavailable, map[string]any{"status": "migrations pending", "pending": st.Pending})
	}
	return c.JSON(http.StatusOK, map[string]any{"status": "ready", "schema_version": st.Current})
}
