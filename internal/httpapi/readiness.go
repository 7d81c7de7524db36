package httpapi

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v5"

	"github.com/vigie-edu/vigie/internal/campaign"
)

type checkCountJSON struct {
	Check    string         `json:"check"`
	Title    string         `json:"title"`
	Severity string         `json:"severity"`
	ByStatus map[string]int `json:"by_status"`
}

type departementJSON struct {
	Departement string         `json:"departement"`
	Schools     int            `json:"schools"`
	ByStatus    map[string]int `json:"by_status"`
}

type turnedRedJSON struct {
	UAI         string    `json:"uai"`
	Name        string    `json:"name"`
	Departement string    `json:"departement"`
	Previous    string    `json:"previous_status"`
	EvaluatedAt time.Time `json:"evaluated_at"`
}

type summaryJSON struct {
	Academy       string            `json:"academy"`
	Schools       int               `json:"schools"`
	ByStatus      map[string]int    `json:"by_status"`
	ByCheck       []checkCountJSON  `json:"by_check"`
	ByDepartement []departementJSON `json:"by_departement"`
	LatestRun     *runJSON          `json:"latest_run"`
	TurnedRed     []turnedRedJSON   `json:"turned_red"`
}

// academySummary counts the latest results of the academy: per status, per check, per
// département, and the schools that turned red since the previous run.
func (s *Server) academySummary(c *echo.Context) error {
	out, err := s.cachedView(c, "summary", func() (any, error) { return s.summary(c) })
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

func (s *Server) summary(c *echo.Context) (summaryJSON, error) {
	g := grantOf(c)
	sum, err := s.deps.Store.AcademySummary(c.Request().Context(), g.scope, g.academy.ID)
	if err != nil {
		return summaryJSON{}, err
	}
	out := summaryJSON{Academy: g.academy.Code, Schools: sum.Schools, ByStatus: sum.ByStatus,
		ByCheck: []checkCountJSON{}, ByDepartement: []departementJSON{}, TurnedRed: []turnedRedJSON{}}
	for _, cc := range sum.ByCheck {
		title := cc.CheckID
		if ch, ok := s.deps.Checks.Check(cc.CheckID); ok {
			title = ch.Title
		}
		out.ByCheck = append(out.ByCheck, checkCountJSON{Check: cc.CheckID, Title: title, Severity: cc.Severity, ByStatus: cc.ByStatus})
	}
	for _, d := range sum.ByDepartement {
		out.ByDepartement = append(out.ByDepartement, departementJSON{Departement: d.Departement, Schools: d.Schools, ByStatus: d.ByStatus})
	}
	if sum.LatestRun != nil {
		r := toRunJSON(*sum.LatestRun)
		out.LatestRun = &r
	}
	for _, t := range sum.TurnedRed {
		out.TurnedRed = append(out.TurnedRed, turnedRedJSON{UAI: t.UAI, Name: t.Name, Departement: t.Departement, Previous: t.Previous, EvaluatedAt: t.EvaluatedAt})
	}
	return out, nil
}

type trendJSON struct {
	Day      string `json:"day"`
	RunID    int64  `json:"run_id"`
	Schools  int    `json:"schools"`
	Ready    int    `json:"ready"`
	AtRisk   int    `json:"at_risk"`
	NotReady int    `json:"not_ready"`
}

// academyTrend gives the counts of each day's last academy run since ?since= (default: the
// start of the school year in progress).
func (s *Server) academyTrend(c *echo.Context) error {
	g := grantOf(c)
	since, err := timeParam(c, "since")
	if err != nil {
		return err
	}
	if since.IsZero() {
		since = time.Date(campaign.SchoolYearOf(s.now()), time.August, 1, 0, 0, 0, 0, campaign.Paris).UTC()
	}
	pts, err := s.deps.Store.AcademyTrend(c.Request().Context(), g.scope, g.academy.ID, since)
	if err != nil {
		return err
	}
	out := make([]trendJSON, len(pts))
	for i, p := range pts {
		out[i] = trendJSON{Day: p.Day, RunID: p.Run.ID, Schools: p.Schools, Ready: p.Ready, AtRisk: p.AtRisk, NotReady: p.NotReady}
	}
	return c.JSON(http.StatusOK, trendResponse{Academy: g.academy.Code, Since: since.Format(time.RFC3339), Points: out})
}
