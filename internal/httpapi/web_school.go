package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v5"

	"github.com/vigie-edu/vigie/internal/apperr"
	"github.com/vigie-edu/vigie/internal/campaign"
	"github.com/vigie-edu/vigie/internal/policy"
	"github.com/vigie-edu/vigie/internal/readiness"
	"github.com/vigie-edu/vigie/internal/store"
)

// todoView is one to-do item with the failing items of its check and the titles of what
// blocks it.
type todoView struct {
	readiness.TodoItem
	Items     []readiness.Item
	Software  string
	Blockers  []todoRef
	Anchor    string
	StepTitle string
}

type todoRef struct{ Check, Title, Anchor string }

// stepView is one of the 13 campaign steps of the school.
type stepView struct {
	campaign.StepInfo
	State       campaign.StepState
	StateLabel  string
	Evidence    string
	EvidenceAt  time.Time
	Source      campaign.EvidenceSource
	Deadline    campaign.Date
	Overdue     bool
	BlockedBy   campaign.Step
	Attestation *campaign.Attestation
	CanAttest   bool
	// CanWithdraw: the user may withdraw the step's attestation in force.
	CanWithdraw bool
}

type schoolPage struct {
	Academy    campaign.Academy
	Base       string // the school page's path
	School     store.SchoolStatus
	Report     *readiness.Report
	At         time.Time // the report shown is the one in force then (zero: the latest)
	Todo       []todoView
	Passing    []readiness.CheckReport
	Other      []readiness.CheckReport // monitor mode and exemptions
	Steps      []stepView
	Forecast   *store.SchoolForecast
	History    []store.Result
	Imports    []store.Import
	Exemptions []store.Exemption
	CanUpload  bool
	CanAttest  bool
	UploadURL  string       // the API's, for vigie.js; the form without JavaScript posts to Base/depot
	Deposit    *depositView // the result of the upload the page comes back from
	Supervisor bool
	// NextHandover is the next time the ENT directory reaches the GAR, from now: beside an
	// older report (At set) the page labels it as today's, not that report's.
	NextHandover time.Time
	// CanRun: the user may evaluate the school now (the button posts to Base/evaluer).
	CanRun bool
	// Unevaluated are the files accepted since the latest evaluation, newest first: the
	// report and the forecast do not show their effect yet.
	Unevaluated []store.Import
}

// pageSchool is the school page: its status, the to-do list in order with for each item what
// is wrong (the exact divisions, groups, pupils), why it matters, what to do and by when, and
// what blocks it; the 13 campaign steps with their evidence and attestations; the upload of
// export files; the history of the school's reports.
func (s *Server) pageSchool(c *echo.Context) error {
	g := grantOf(c)
	ctx := c.Request().Context()
	st, err := s.schoolInScope(ctx, g)
	if err != nil {
		return err
	}
	base := "/academies/" + url.PathEscape(g.academy.Code) + "/etablissements/" + url.PathEscape(g.uai)
	out := schoolPage{Academy: g.academy, Base: base, School: st, NextHandover: readiness.DefaultTiming().NextHandover(s.now()),
		UploadURL: "/api/v1/academies/" + url.PathEscape(g.academy.Code) + "/schools/" + url.PathEscape(g.uai) + "/imports"}
	if v := c.QueryParam("au"); v != "" {
		if out.At, err = time.Parse(time.RFC3339, v); err != nil {
			return apperr.Invalid("au=%q: une date RFC 3339 est attendue", v)
		}
	}
	res, err := s.deps.Store.SchoolResult(ctx, g.scope, g.uai, out.At)
	switch {
	case errors.Is(err, apperr.ErrNotFound):
	case err != nil:
		return err
	default:
		var rep readiness.Report
		if err := json.Unmarshal(res.Report, &rep); err != nil {
			return fmt.Errorf("read report of %s: %w", g.uai, err)
		}
		out.Report = &rep
		out.Todo, out.Passing, out.Other = todoViews(&rep)
	}
	for _, a := range []struct {
		action Action
		dst    *bool
	}{{ActionSchoolUpload, &out.CanUpload}, {ActionAttestationCreate, &out.CanAttest}, {ActionSummaryRead, &out.Supervisor},
		{ActionRunTrigger, &out.CanRun}} {
		if *a.dst, err = s.may(c, a.action, g.academy.Code, g.uai); err != nil {
			return err
		}
	}
	out.Deposit = s.depositOf(c, g)
	out.CanRun = out.CanRun && s.deps.Evaluator != nil
	if out.Unevaluated, err = s.unevaluatedImports(c, g, st.EvaluatedAt); err != nil {
		return err
	}
	if out.Steps, err = s.stepViews(c, g, out.CanAttest); err != nil {
		return err
	}
	if f, err := s.deps.Store.ForecastOf(ctx, g.scope, g.uai); err == nil {
		out.Forecast = &f
	} else if !errors.Is(err, apperr.ErrNotFound) {
		return err
	}
	if out.History, err = s.deps.Store.SchoolHistory(ctx, g.scope, g.uai, 30); err != nil {
		return err
	}
	if out.Imports, _, err = s.deps.Store.ListImports(ctx, g.scope, store.ImportFilter{UAI: g.uai, Limit: 10}); err != nil {
		return err
	}
	if out.Exemptions, _, err = s.deps.Store.ListExemptions(ctx, g.scope, g.academy.ID, store.ExemptionFilter{UAI: g.uai, ActiveAt: s.now()}); err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "school", st.Name, out)
}

// unevaluatedImports lists the school's files accepted after its latest evaluation (every
// accepted file when it was never evaluated), newest first.
func (s *Server) unevaluatedImports(c *echo.Context, g *grant, evaluated time.Time) ([]store.Import, error) {
	imps, _, err := s.deps.Store.ListImports(c.Request().Context(), g.scope, store.ImportFilter{UAI: g.uai, Outcome: store.ImportAccepted, Limit: 50})
	if err != nil {
		return nil, err
	}
	var out []store.Import
	for _, imp := range imps {
		if imp.ImportedAt.After(evaluated) {
			out = append(out, imp)
		}
	}
	return out, nil
}

// pageEvaluate evaluates the school now, from the school page (a school admin checking a fix
// they just uploaded), then shows the page with the new report and forecast.
func (s *Server) pageEvaluate(c *echo.Context) error {
	run, err := s.evaluateSchool(c) // runs.go: the run, then the campaign and forecast
	if err != nil {
		return err
	}
	if _, err := s.auditRun(c, run); err != nil {
		return err
	}
	g := grantOf(c)
	return c.Redirect(http.StatusSeeOther, "/academies/"+url.PathEscape(g.academy.Code)+"/etablissements/"+url.PathEscape(g.uai)+"?ok=evaluation")
}

// may asks the authorisation policy whether the user of the request may do action on the
// school: the page shows only the controls that would work.
func (s *Server) may(c *echo.Context, action Action, academy, uai string) (bool, error) {
	p := principalOf(c)
	if p == nil {
		return false, nil
	}
	d, err := s.deps.Authorizer.Decide(c.Request().Context(), policy.Request{Subject: p.subject, Action: string(action), Academy: academy, UAI: uai})
	if err != nil {
		return false, err
	}
	return d.Allow, nil
}

// todoViews splits a report for the page: the to-do list with each item's failing items and
// blockers, the passing checks, and the checks in monitor mode or exempted.
func todoViews(rep *readiness.Report) (todo []todoView, passing, other []readiness.CheckReport) {
	checks := map[string]readiness.CheckReport{}
	for _, c := range rep.Checks {
		checks[c.ID] = c
		switch {
		case c.Status == readiness.CheckExempt || (c.Mode == policy.ModeMonitor && c.Status != readiness.CheckPass):
			other = append(other, c)
		case c.Status == readiness.CheckPass:
			passing = append(passing, c)
		}
	}
	anchor := func(id string) string { return "todo-" + strings.ReplaceAll(id, ".", "-") }
	for _, t := range rep.Todo {
		c := checks[t.Check]
		v := todoView{TodoItem: t, Items: c.Items, Software: c.Software, Anchor: anchor(t.Check)}
		if info, err := campaign.Step(t.Step).Info(); err == nil {
			v.StepTitle = info.Title
		}
		for _, b := range t.BlockedBy {
			v.Blockers = append(v.Blockers, todoRef{Check: b, Title: checks[b].Title, Anchor: anchor(b)})
		}
		todo = append(todo, v)
	}
	return todo, passing, other
}

// stepViews reads the school's 13 steps for the school year in progress, with the active
// attestations.
func (s *Server) stepViews(c *echo.Context, g *grant, canAttest bool) ([]stepView, error) {
	ctx := c.Request().Context()
	year := campaign.SchoolYearOf(s.now())
	steps, err := s.deps.Store.SchoolSteps(ctx, g.scope, g.uai, year)
	if err != nil {
		return nil, err
	}
	atts, err := s.deps.Store.SchoolAttestations(ctx, g.scope, g.uai, year)
	if err != nil {
		return nil, err
	}
	byStep := map[campaign.Step]store.SchoolStep{}
	for _, st := range steps {
		byStep[st.Step] = st
	}
	attBy := map[campaign.Step]*campaign.Attestation{}
	for i := range atts {
		if a := atts[i]; a.Active() {
			attBy[a.Step] = &atts[i]
		}
	}
	out := make([]stepView, 0, len(campaign.Steps))
	for _, info := range campaign.Steps {
		v := stepView{StepInfo: info, State: campaign.StateNotStarted, Attestation: attBy[info.Number]}
		if st, ok := byStep[info.Number]; ok {
			v.State, v.Evidence, v.EvidenceAt, v.Source = st.State, st.Evidence, st.EvidenceAt, st.Source
			v.Deadline, v.Overdue, v.BlockedBy = st.Deadline, st.Overdue, st.BlockedBy
		}
		v.StateLabel = v.State.Label()
		v.CanAttest = canAttest && s.deps.Tracker != nil && info.Attestable() && v.State != campaign.StateDone && v.Attestation == nil
		v.CanWithdraw = canAttest && info.Attestable() && v.Attestation != nil
		out = append(out, v)
	}
	return out, nil
}

// pageAttest records a school admin's attestation that a campaign step is done, and
// recomputes the school's steps.
func (s *Server) pageAttest(c *echo.Context) error {
	g := grantOf(c)
	if s.deps.Tracker == nil {
		return fmt.Errorf("attest: no campaign tracker: %w", apperr.ErrUnavailable)
	}
	n, err := strconv.Atoi(c.Param("step"))
	if err != nil {
		return fmt.Errorf("step %q: %w", c.Param("step"), apperr.ErrNotFound)
	}
	if _, err := s.schoolInScope(c.Request().Context(), g); err != nil {
		return err
	}
	a := campaign.Attestation{UAI: g.uai, Step: campaign.Step(n), Comment: c.FormValue("commentaire")}
	if _, _, err := s.deps.Tracker.Attest(c.Request().Context(), g.scope, g.academy, a, s.actor(c), s.now()); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/academies/"+url.PathEscape(g.academy.Code)+"/etablissements/"+url.PathEscape(g.uai)+"?ok=attestation#etape-"+strconv.Itoa(n))
}

// pageWithdraw withdraws the school's attestation of a step (the API's DELETE), from the
// school page, and recomputes the school's steps.
func (s *Server) pageWithdraw(c *echo.Context) error {
	g := grantOf(c)
	n, err := strconv.Atoi(c.Param("step"))
	if err != nil {
		return fmt.Errorf("step %q: %w", c.Param("step"), apperr.ErrNotFound)
	}
	if _, err := s.withdraw(c, g, campaign.Step(n), campaign.SchoolYearOf(s.now())); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/academies/"+url.PathEscape(g.academy.Code)+"/etablissements/"+url.PathEscape(g.uai)+"?ok=attestation_retiree#etape-"+strconv.Itoa(n))
}
