package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v5"

	"github.com/vigie-edu/vigie/internal/apperr"
	"github.com/vigie-edu/vigie/internal/campaign"
	"github.com/vigie-edu/vigie/internal/store"
)

type schoolJSON struct {
	UAI            string     `json:"uai"`
	Name           string     `json:"name"`
	Kind           string     `json:"kind"`
	Departement    string     `json:"departement"`
	Bassin         string     `json:"bassin"`
	UsesGroups     bool       `json:"uses_groups"`
	Status         string     `json:"status"` // ready, at_risk, not_ready, or none (never evaluated)
	EvaluatedAt    *time.Time `json:"evaluated_at"`
	RunID          int64      `json:"run_id,omitempty"`
	Blockers       int        `json:"blockers"`
	Errors         int        `json:"errors"`
	Warnings       int        `json:"warnings"`
	Unknown        int        `json:"unknown"`
	Todo           int        `json:"todo"`
	PupilsAffected int        `json:"pupils_affected"`
}

func toSchoolJSON(st store.SchoolStatus) schoolJSON {
	status := st.Status
	if status == "" {
		status = store.StatusNone
	}
	return schoolJSON{UAI: st.UAI, Name: st.Name, Kind: string(st.Kind), Departement: st.Departement, Bassin: st.Bassin,
		UsesGroups: st.UsesGroupsEffective(), Status: status, EvaluatedAt: timeOrNil(st.EvaluatedAt), RunID: st.RunID,
		Blockers: st.Blockers, Errors: st.Errors, Warnings: st.Warnings, Unknown: st.Unknown, Todo: st.Todo,
		PupilsAffected: st.PupilsAffected}
}

// schoolFilter reads the filters shared by the school list and the exports.
func schoolFilter(c *echo.Context) (store.SchoolStatusFilter, error) {
	var f store.SchoolStatusFilter
	f.Status = c.QueryParam("status")
	switch f.Status {
	case "", "ready", "at_risk", "not_ready", store.StatusNone:
	default:
		return f, &queryError{Name: "status", Value: f.Status, Want: "ready, at_risk, not_ready or none",
			Attendu: "valeurs possibles : ready (prêt), at_risk (à risque), not_ready (non prêt) ou none (jamais évalué)"}
	}
	f.Check = c.QueryParam("check")
	f.Departement = c.QueryParam("departement")
	f.Bassin = c.QueryParam("bassin")
	if k := c.QueryParam("kind"); k != "" {
		switch campaign.Kind(k) {
		case campaign.KindCollege, campaign.KindLycee, campaign.KindLP, campaign.KindOther:
			f.Kind = campaign.Kind(k)
		default:
			return f, &queryError{Name: "kind", Value: k, Want: "college, lycee, lp or other",
				Attendu: "valeurs possibles : college (collège), lycee (lycée), lp (lycée professionnel) ou other (autre)"}
		}
	}
	f.Search = strings.TrimSpace(c.QueryParam("q"))
	f.Sort = c.QueryParam("sort")
	if !store.ValidSchoolSort(f.Sort) {
		return f, &queryError{Name: "sort", Value: f.Sort, Want: "uai, name, status, departement, kind, todo, blockers, pupils or evaluated_at, with - to reverse",
			Attendu: "tri possible par uai, name, status, departement, kind, todo, blockers, pupils ou evaluated_at, précédé de - pour l'ordre inverse"}
	}
	return f, nil
}

// listSchools lists the academy's schools the caller can see, with their latest status.
func (s *Server) listSchools(c *echo.Context) error {
	g := grantOf(c)
	f, err := schoolFilter(c)
	if err != nil {
		return err
	}
	p, err := pageParams(c)
	if err != nil {
		return err
	}
	f.Limit, f.Offset = p.limit(), p.offset()
	out, err := s.cachedView(c, "schools", func() (any, error) {
		rows, total, err := s.deps.Store.ListSchoolStatuses(c.Request().Context(), g.scope, g.academy.ID, f)
		if err != nil {
			return nil, err
		}
		items := make([]schoolJSON, len(rows))
		for i, r := range rows {
			items[i] = toSchoolJSON(r)
		}
		return newList(items, total, p), nil
	})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

// schoolInScope returns the school of the route when it is a school of the route's academy
// that the scope shows.
func (s *Server) schoolInScope(ctx context.Context, g *grant) (store.SchoolStatus, error) {
	rows, _, err := s.deps.Store.ListSchoolStatuses(ctx, g.scope, g.academy.ID, store.SchoolStatusFilter{
		SchoolFilter: store.SchoolFilter{UAIs: []string{g.uai}}})
	if err != nil {
		return store.SchoolStatus{}, err
	}
	if len(rows) != 1 {
		return store.SchoolStatus{}, fmt.Errorf("school %s in academy %s: %w", g.uai, g.academy.Code, apperr.ErrNotFound)
	}
	return rows[0], nil
}

type schoolDetailJSON struct {
	schoolJSON
	Exemptions []exemptionJSON `json:"exemptions"` // in force
}

func (s *Server) getSchool(c *echo.Context) error {
	g := grantOf(c)
	ctx := c.Request().Context()
	st, err := s.schoolInScope(ctx, g)
	if err != nil {
		return err
	}
	ex, _, err := s.deps.Store.ListExemptions(ctx, g.scope, g.academy.ID, store.ExemptionFilter{UAI: g.uai, ActiveAt: s.now()})
	if err != nil {
		return err
	}
	out := schoolDetailJSON{schoolJSON: toSchoolJSON(st), Exemptions: []exemptionJSON{}}
	for _, e := range ex {
		out.Exemptions = append(out.Exemptions, s.toExemptionJSON(e))
	}
	return c.JSON(http.StatusOK, out)
}

// schoolReport serves the school's latest report (or the one in force at ?at=), the same JSON
// as `vigie check`: status, checks and the ordered to-do list.
func (s *Server) schoolReport(c *echo.Context) error {
	g := grantOf(c)
	ctx := c.Request().Context()
	at, err := timeParam(c, "at")
	if err != nil {
		return err
	}
	if _, err := s.schoolInScope(ctx, g); err != nil {
		return err
	}
	res, err := s.deps.Store.SchoolResult(ctx, g.scope, g.uai, at)
	if err != nil {
		return err
	}
	c.Response().Header().Set("X-Vigie-Run", strconv.FormatInt(res.RunID, 10))
	return c.JSONBlob(http.StatusOK, res.Report)
}

type historyJSON struct {
	RunID          int64     `json:"run_id"`
	EvaluatedAt    time.Time `json:"evaluated_at"`
	PolicyVersion  string    `json:"policy_version"`
	Status         string    `json:"status"`
	Blockers       int       `json:"blockers"`
	Errors         int       `json:"errors"`
	Warnings       int       `json:"warnings"`
	Unknown        int       `json:"unknown"`
	Todo           int       `json:"todo"`
	PupilsAffected int       `json:"pupils_affected"`
}

func (s *Server) schoolHistory(c *echo.Context) error {
	g := grantOf(c)
	ctx := c.Request().Context()
	if _, err := s.schoolInScope(ctx, g); err != nil {
		return err
	}
	limit := 120
	if v := c.QueryParam("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return apperr.Invalid("limit=%q: want 1 to 1000", v)
		}
		limit = n
	}
	rs, err := s.deps.Store.SchoolHistory(ctx, g.scope, g.uai, limit)
	if err != nil {
		return err
	}
	out := make([]historyJSON, len(rs))
	for i, r := range rs {
		out[i] = historyJSON{RunID: r.RunID, EvaluatedAt: r.EvaluatedAt, PolicyVersion: r.PolicyVersion, Status: r.Status,
			Blockers: r.Blockers, Errors: r.Errors, Warnings: r.Warnings, Unknown: r.Unknown, Todo: r.Todo, PupilsAffected: r.PupilsAffected}
	}
	return c.JSON(http.StatusOK, itemsOf[historyJSON]{Items: out})
}
