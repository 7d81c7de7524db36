package httpapi

import (
	"fmt"
	"net/http"

	"github.com/labstack/echo/v5"
)

// Action names what a route does, for authorisation. ActionPublic needs no login.
type Action string

// Actions.
const (
	ActionPublic Action = "public"
)

// route is one line of the route table.
type route struct {
	method string
	path   string
	action Action
	h      echo.HandlerFunc
}

// routes lists every route of Vigie, in one place.
func (s *Server) routes() []route {
	return []route{
		{http.MethodGet, "/healthz", ActionPublic, s.healthz},
		{http.MethodGet, "/readyz", ActionPublic, s.readyz},
	}
}

func (s *Server) install() error {
	for _, r := range s.routes() {
		if r.action == "" {
			return fmt.Errorf("route %s %s has no action", r.method, r.path)
		}
		s.echo.Add(r.method, r.path, r.h)
	}
	return nil
}
