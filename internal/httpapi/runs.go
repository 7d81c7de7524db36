package httpapi

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v5"

	"github.com/vigie-edu/vigie/internal/apperr"
	"github.com/vigie-edu/vigie/internal/store"
)

var errEvaluatorMissing = errors.New("no evaluator configured")

type runJSON struct {
	ID            int64      `json:"id"`
	UAI           string     `json:"uai,omitempty"` // empty for a run over the whole academy
	Trigger       string     `json:"trigger"`
	RequestedBy   string     `json:"requested_by"`
	PolicyVersion string     `json:"policy_version"`
	StartedAt     time.Time  `json:"started_at"`
	FinishedAt    *time.Time `json:"finished_at"`
	DurationMS    int64      `json:"duration_ms"`
	Status        string     `json:"status"`
	Schools       int        `json:"schools"`
	Ready         int        `json:"ready"`
	AtRisk        int        `json:"at_risk"`
	NotReady      int        `json:"not_ready"`
	Errors        int        `json:"errors"`
	Error         string     `json:"error,omitempty"`
}

func toRunJSON(r store.Run) runJSON {
	return runJSON{ID: r.ID, UAI: r.UAI, Trigger: r.Trigger, RequestedBy: r.RequestedBy, PolicyVersion: r.PolicyVersion,
		StartedAt: r.StartedAt, FinishedAt: timeOrNil(r.FinishedAt), DurationMS: r.Duration().Milliseconds(), Status: r.Status,
		Schools: r.Schools, Ready: r.Ready, AtRisk: r.AtRisk, NotReady: r.NotReady, Errors: r.Errors, Error: r.Error}
}

// runAcademy evaluates every school of the academy now and answers when the run is over,
// with the campaign (step states, forecasts) recomputed from the new reports.
func (s *Server) runAcademy(c *echo.Context) error {
	if s.deps.Evaluator == nil {
		return errEvaluatorMissing
	}
	g := grantOf(c)
	ctx := c.Request().Context()
	run, err := s.deps.Evaluator.RunAcademy(ctx, g.scope, g.academy, "manual", principalOf(c).user.Login)
	if err != nil {
		return err
	}
	if s.deps.Tracker != nil {
		if _, err := s.deps.Tracker.RefreshAcademy(ctx, g.scope, g.academy, s.now()); err != nil {
			return fmt.Errorf("campaign after run %d: %w", run.ID, err)
		}
	}
	return s.ranOK(c, run)
}

// runSchool evaluates one school now.
func (s *Server) runSchool(c *echo.Context) error {
	run, err := s.evaluateSchool(c)
	if err != nil {
		return err
	}
	return s.ranOK(c, run)
}

// evaluateSchool evaluates the route's school now and recomputes its campaign (step states,
// forecast) from the new report, as the daily job does for every school: the school page
// and the forecast never describe an older report than the latest. The API and the school
// page's button share it.
func (s *Server) evaluateSchool(c *echo.Context) (store.Run, error) {
	if s.deps.Evaluator == nil {
		return store.Run{}, errEvaluatorMissing
	}
	g := grantOf(c)
	ctx := c.Request().Context()
	if _, err := s.schoolInScope(ctx, g); err != nil {
		return store.Run{}, err
	}
	run, err := s.deps.Evaluator.RunSchool(ctx, g.scope, g.academy, g.uai, "manual", principalOf(c).user.Login)
	if err != nil {
		return store.Run{}, err
	}
	if s.deps.Tracker != nil {
		if _, err := s.deps.Tracker.RefreshSchool(ctx, g.scope, g.academy, g.uai, s.now()); err != nil {
			return run, fmt.Errorf("campaign after run %d: %w", run.ID, err)
		}
	}
	return run, nil
}

func (s *Server) ranOK(c *echo.Context, run store.Run) error {
	out, err := s.auditRun(c, run)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, out)
}

// auditRun records who triggered a run in the audit log.
func (s *Server) auditRun(c *echo.Context, run store.Run) (runJSON, error) {
	g := grantOf(c)
	out := toRunJSON(run)
	return out, s.deps.Store.RecordAudit(c.Request().Context(), g.scope, s.actor(c), store.Change{AcademyID: g.academy.ID, UAI: run.UAI,
		Action: string(ActionRunTrigger), TargetType: "run", TargetID: fmt.Sprint(run.ID), After: out})
}

func (s *Server) listRuns(c *echo.Context) error {
	g := grantOf(c)
	p, err := pageParams(c)
	if err != nil {
		return err
	}
	f := store.RunFilter{Status: c.QueryParam("status"), Limit: p.limit(), Offset: p.offset()}
	if f.UAI, err = uaiParam(c, "uai"); err != nil {
		return err
	}
	switch c.QueryParam("scope") {
	case "":
	case "academy":
		f.AcademyOnly = true
	default:
		return apperr.Invalid("scope=%q: want academy or nothing", c.QueryParam("scope"))
	}
	if f.Since, err = timeParam(c, "since"); err != nil {
		return err
	}
	runs, total, err := s.deps.Store.ListRuns(c.Request().Context(), g.scope, g.academy.ID, f)
	if err != nil {
		return err
	}
	items := make([]runJSON, len(runs))
	for i, r := range runs {
		items[i] = toRunJSON(r)
	}
	return c.JSON(http.StatusOK, newList(items, total, p))
}

func (s *Server) getRun(c *echo.Context) error {
	g := grantOf(c)
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	r, err := s.deps.Store.RunByID(c.Request().Context(), g.scope, id)
	if err != nil {
		return err
	}
	if r.AcademyID != g.academy.ID {
		return fmt.Errorf("run %d: %w", id, apperr.ErrNotFound)
	}
	return c.JSON(http.StatusOK, toRunJSON(r))
}
