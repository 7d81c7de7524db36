package httpapi

import (
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/labstack/echo/v5"

	"github.com/vigie-edu/vigie/internal/access"
	"github.com/vigie-edu/vigie/internal/campaign"
	"github.com/vigie-edu/vigie/internal/store"
)

type academyJSON struct {
	ID        int64     `json:"id"`
	Code      string    `json:"code"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
	Roles     []string  `json:"roles"`             // the caller's roles in this academy
	Schools   *int64    `json:"schools,omitempty"` // schools the caller can see (detail only)
}

func toAcademyJSON(a campaign.Academy, u access.User) academyJSON {
	roles := []string{}
	for _, g := range u.Grants {
		if g.AcademyID == a.ID && !slices.Contains(roles, string(g.Role)) {
			roles = append(roles, string(g.Role))
		}
	}
	slices.Sort(roles)
	return academyJSON{ID: a.ID, Code: a.Code, Name: a.Name, CreatedAt: a.CreatedAt, Roles: roles}
}

// listAcademies lists every academy for a platform administrator, else the academies of the
// caller's grants.
func (s *Server) listAcademies(c *echo.Context) error {
	ctx := c.Request().Context()
	u := principalOf(c).user
	var as []campaign.Academy
	if u.IsPlatformAdmin() {
		all, err := s.deps.Store.ListAcademies(ctx, access.System())
		if err != nil {
			return err
		}
		as = all
	} else {
		var ids []int64
		for _, g := range u.Grants {
			if g.AcademyID != 0 && !slices.Contains(ids, g.AcademyID) {
				ids = append(ids, g.AcademyID)
			}
		}
		for _, id := range ids {
			a, err := s.deps.Store.AcademyByID(ctx, access.System(), id)
			if err != nil {
				return err
			}
			as = append(as, a)
		}
		slices.SortFunc(as, func(a, b campaign.Academy) int { return compareStrings(a.Code, b.Code) })
	}
	out := make([]academyJSON, len(as))
	for i, a := range as {
		out[i] = toAcademyJSON(a, u)
	}
	return c.JSON(http.StatusOK, itemsOf[academyJSON]{Items: out})
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func (s *Server) createAcademy(c *echo.Context) error {
	var in academyRequest
	if err := decode(c, &in); err != nil {
		return err
	}
	ctx := c.Request().Context()
	a, err := s.deps.Store.CreateAcademy(ctx, access.System(), in.Code, in.Name)
	if err != nil {
		return err
	}
	out := toAcademyJSON(a, principalOf(c).user)
	if err := s.deps.Store.RecordAudit(ctx, access.System(), s.actor(c), store.Change{AcademyID: a.ID, Action: string(ActionAcademyCreate),
		TargetType: "academy", TargetID: strconv.FormatInt(a.ID, 10), After: out}); err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, out)
}

func (s *Server) getAcademy(c *echo.Context) error {
	g := grantOf(c)
	out := toAcademyJSON(g.academy, principalOf(c).user)
	if !g.scope.IsSystem() && g.scope.AllowsAcademy(g.academy.ID) {
		_, n, err := s.deps.Store.ListSchools(c.Request().Context(), g.scope, store.SchoolFilter{Limit: 1})
		if err != nil {
			return err
		}
		out.Schools = &n
	}
	return c.JSON(http.StatusOK, out)
}
