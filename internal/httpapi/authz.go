package httpapi

import (
	"context"
	"fmt"
	"strings"

	"github.com/labstack/echo/v5"

	"github.com/vigie-edu/vigie/internal/access"
	"github.com/vigie-edu/vigie/internal/apperr"
	"github.com/vigie-edu/vigie/internal/campaign"
	"github.com/vigie-edu/vigie/internal/policy"
)

// grant is what the authorisation of a request found: the academy and school of the route
// (from its path) and the scope the action reaches there. Handlers pass the scope to the store.
type grant struct {
	academy  campaign.Academy // zero for routes without an academy
	uai      string           // upper case; empty for routes without a school
	scope    access.Scope
	decision policy.Decision
}

func grantOf(c *echo.Context) *grant {
	g, _ := c.Get(keyGrant).(*grant)
	if g == nil {
		return &grant{} // public routes: an empty scope that shows nothing
	}
	return g
}

// authorize asks the authorisation policy whether the principal may do the route's action on
// the academy and school named by the path. Refusals answer 404 when the principal may not
// even see the resource (another academy, another school: its existence is not revealed),
// and 403 when they may see it but not do this.
func (s *Server) authorize(rt route) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c *echo.Context) error {
			if rt.action == ActionPublic {
				return next(c)
			}
			p := principalOf(c)
			if p == nil {
				return fmt.Errorf("%s %s: %w", rt.method, rt.path, apperr.ErrUnauthorized)
			}
			ctx := c.Request().Context()
			g := &grant{}
			if strings.Contains(rt.path, ":academy") {
				a, err := s.academyByCode(ctx, c.Param("academy"))
				if err != nil {
					return err
				}
				g.academy = a
			}
			if strings.Contains(rt.path, ":uai") {
				g.uai = strings.ToUpper(strings.TrimSpace(c.Param("uai")))
			}
			req := policy.Request{Subject: p.subject, Action: string(rt.action), Academy: g.academy.Code, UAI: g.uai}
			d, err := s.deps.Authorizer.Decide(ctx, req)
			if err != nil {
				return err
			}
			if !d.Allow {
				return s.refusal(c, req)
			}
			if p.token != nil && !tokenPermits(p.token.Scopes, rt.method, rt.action) {
				return fmt.Errorf("token %d lacks scope for %s: %w", p.token.ID, rt.action, errTokenScope)
			}
			g.decision = d
			switch sc, ok := d.Scope[g.academy.Code]; {
			case g.academy.ID != 0 && ok:
				g.scope = access.ScopeFor(g.academy.ID, sc.AllSchools, sc.UAIs)
			case g.academy.ID != 0 && d.PlatformAdmin:
				g.scope = access.Academy(g.academy.ID)
			case g.academy.ID == 0 && d.PlatformAdmin:
				g.scope = access.System()
			}
			c.Set(keyGrant, g)
			return next(c)
		}
	}
}

// refusal chooses between 403 and 404 for a refused request: may the principal see the
// resource at all (read the school, or the academy)?
func (s *Server) refusal(c *echo.Context, req policy.Request) error {
	if req.Academy == "" {
		return fmt.Errorf("%s: %w", req.Action, apperr.ErrForbidden)
	}
	see := req
	see.Action = "academy.read"
	if req.UAI != "" {
		see.Action = "school.read"
	}
	d, err := s.deps.Authorizer.Decide(c.Request().Context(), see)
	if err != nil {
		return err
	}
	if d.Allow {
		return fmt.Errorf("%s on %s %s: %w", req.Action, req.Academy, req.UAI, apperr.ErrForbidden)
	}
	return fmt.Errorf("%s on %s %s: %w", req.Action, req.Academy, req.UAI, apperr.ErrNotFound)
}

// Token scopes: "read" allows the safe methods of every action the user may do, "write"
// everything the user may do, and an action name that action only.
const (
	ScopeRead  = "read"
	ScopeWrite = "write"
)

// errTokenScope refuses what the user's role allows but the token's scopes do not: the
// answer says so, for the fix is a new token, not a new grant.
var errTokenScope = fmt.Errorf("token scope: %w", apperr.ErrForbidden)

func tokenPermits(scopes []string, method string, action Action) bool {
	for _, sc := range scopes {
		if sc == ScopeWrite || sc == string(action) || (sc == ScopeRead && isSafe(method)) {
			return true
		}
	}
	return false
}

// academyByCode reads an academy, remembering it: academies are created, never renamed or
// moved, so a known code always names the same academy.
func (s *Server) academyByCode(ctx context.Context, code string) (campaign.Academy, error) {
	s.academiesMu.RLock()
	a, ok := s.academies[code]
	s.academiesMu.RUnlock()
	if ok {
		return a, nil
	}
	a, err := s.deps.Store.AcademyByCode(ctx, access.System(), code)
	if err != nil {
		return campaign.Academy{}, err
	}
	s.academiesMu.Lock()
	if s.academies == nil {
		s.academies = map[string]campaign.Academy{}
	}
	s.academies[code] = a
	s.academiesMu.Unlock()
	return a, nil
}
