package httpapi

import (
	"net/http"

	"github.com/labstack/echo/v5"

	"github.com/vigie-edu/vigie/internal/policy"
)

// listChecks serves the check catalogue, read from the policies' annotations.
func (s *Server) listChecks(c *echo.Context) error {
	checks := s.deps.Checks.Checks
	if checks == nil {
		checks = []policy.Check{}
	}
	return c.JSON(http.StatusOK, itemsOf[policy.Check]{Items: checks})
}
