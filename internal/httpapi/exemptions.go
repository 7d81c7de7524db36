package httpapi

import (
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v5"

	"github.com/vigie-edu/vigie/internal/apperr"
	"github.com/vigie-edu/vigie/internal/campaign"
	"github.com/vigie-edu/vigie/internal/store"
)

type exemptionJSON struct {
	ID        int64      `json:"id"`
	UAI       string     `json:"uai"`
	Check     string     `json:"check"`
	Reason    string     `json:"reason"`
	Until     time.Time  `json:"until"`
	CreatedBy string     `json:"created_by"`
	CreatedAt time.Time  `json:"created_at"`
	RevokedAt *time.Time `json:"revoked_at"`
	RevokedBy string     `json:"revoked_by,omitempty"`
	Active    bool       `json:"active"`
}

func (s *Server) toExemptionJSON(e store.Exemption) exemptionJSON {
	return exemptionJSON{ID: e.ID, UAI: e.UAI, Check: e.CheckID, Reason: e.Reason, Until: e.Until, CreatedBy: e.CreatedBy,
		CreatedAt: e.CreatedAt, RevokedAt: timeOrNil(e.RevokedAt), RevokedBy: e.RevokedBy, Active: e.ActiveAt(s.now())}
}

func (s *Server) listExemptions(c *echo.Context) error {
	g := grantOf(c)
	p, err := pageParams(c)
	if err != nil {
		return err
	}
	f := store.ExemptionFilter{CheckID: c.QueryParam("check"), Limit: p.limit(), Offset: p.offset()}
	if f.UAI, err = uaiParam(c, "uai"); err != nil {
		return err
	}
	switch c.QueryParam("active") {
	case "", "false":
	case "true":
		f.ActiveAt = s.now()
	default:
		return apperr.Invalid("active=%q: want true or false", c.QueryParam("active"))
	}
	ex, total, err := s.deps.Store.ListExemptions(c.Request().Context(), g.scope, g.academy.ID, f)
	if err != nil {
		return err
	}
	items := make([]exemptionJSON, len(ex))
	for i, e := range ex {
		items[i] = s.toExemptionJSON(e)
	}
	return c.JSON(http.StatusOK, newList(items, total, p))
}

// createExemption grants an exemption of one check to the school of the path until a date
// (inclusive: the check is exempt until the end of that day, Paris time).
func (s *Server) createExemption(c *echo.Context) error {
	g := grantOf(c)
	var in exemptionRequest
	if err := decode(c, &in); err != nil {
		return err
	}
	if _, ok := s.deps.Checks.Check(in.Check); !ok {
		return apperr.Invalid("check %q is not in the catalogue", in.Check)
	}
	day, err := time.ParseInLocation(time.DateOnly, strings.TrimSpace(in.Until), campaign.Paris)
	if err != nil {
		return apperr.Invalid("until=%q: want a date AAAA-MM-JJ", in.Until)
	}
	if day.After(s.now().AddDate(1, 0, 0)) {
		return apperr.Invalid("until=%q: an exemption lasts at most one year", in.Until)
	}
	e, err := s.deps.Store.CreateExemption(c.Request().Context(), g.scope, store.Exemption{AcademyID: g.academy.ID, UAI: g.uai,
		CheckID: in.Check, Reason: in.Reason, Until: day.AddDate(0, 0, 1).UTC()}, s.actor(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, s.toExemptionJSON(e))
}

func (s *Server) revokeExemption(c *echo.Context) error {
	g := grantOf(c)
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	e, err := s.deps.Store.RevokeExemption(c.Request().Context(), g.scope, id, s.actor(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, s.toExemptionJSON(e))
}
