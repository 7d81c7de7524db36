package httpapi

import (
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v5"

	"github.com/vigie-edu/vigie/internal/access"
	"github.com/vigie-edu/vigie/internal/apperr"
	"github.com/vigie-edu/vigie/internal/campaign"
	"github.com/vigie-edu/vigie/internal/store"
	"github.com/vigie-edu/vigie/internal/tracker"
)

// Actions of the campaign routes (policies/authz).
const (
	ActionCampaignRead      Action = "campaign.read"      // calendars, step states, a school's forecast
	ActionCampaignEdit      Action = "campaign.edit"      // start a campaign, edit its calendar (supervisors)
	ActionAttestationCreate Action = "attestation.create" // attest or withdraw a step (school admins)
	ActionForecastRead      Action = "forecast.read"      // the academy's forecast: who to call first (supervisors)
	ActionJobRead           Action = "job.read"           // scheduled job runs
	ActionNotificationPrefs Action = "notification.prefs" // one's own e-mail preferences
)

// campaignRoutes are the routes of campaign tracking, the scheduled jobs and notifications;
// routeTable appends them.
func (s *Server) campaignRoutes() []route {
	return []route{
		{http.MethodGet, academy + "/campaigns", ActionCampaignRead, s.listCampaigns, classNormal},
		{http.MethodPost, academy + "/campaigns", ActionCampaignEdit, s.createCampaign, classNormal},
		{http.MethodGet, academy + "/campaign", ActionCampaignRead, s.getCampaign, classNormal},
		{http.MethodPatch, academy + "/campaign", ActionCampaignEdit, s.updateCampaign, classNormal},
		{http.MethodGet, academy + "/steps", ActionCampaignRead, s.academySteps, classNormal},
		{http.MethodGet, academy + "/forecast", ActionForecastRead, s.academyForecast, classNormal},
		{http.MethodGet, school + "/steps", ActionCampaignRead, s.schoolSteps, classNormal},
		{http.MethodPost, school + "/attestations", ActionAttestationCreate, s.createAttestation, classNormal},
		{http.MethodDelete, school + "/attestations", ActionAttestationCreate, s.withdrawAttestation, classNormal},
		{http.MethodGet, school + "/forecast", ActionCampaignRead, s.schoolForecast, classNormal},
		{http.MethodGet, school + "/year-over-year", ActionCampaignRead, s.yearOverYear, classNormal},
		{http.MethodGet, academy + "/jobs", ActionJobRead, s.listJobRuns, classNormal},
		{http.MethodGet, api + "/jobs", ActionJobRead, s.listJobRuns, classNormal},
		{http.MethodGet, api + "/me/notifications", ActionNotificationPrefs, s.getNotificationPrefs, classNormal},
		{http.MethodPut, api + "/me/notifications", ActionNotificationPrefs, s.putNotificationPrefs, classNormal},
		{http.MethodGet, api + "/unsubscribe/:token", ActionPublic, s.unsubscribePage, classNormal},
		{http.MethodPost, api + "/unsubscribe/:token", ActionPublic, s.unsubscribe, classNormal},
	}
}

// campaignOpDocs documents campaignRoutes in the OpenAPI document.
func campaignOpDocs() map[string]opDoc {
	yearQ := []param{{"year", "integer", "school year, e.g. 2026 for 2026-2027 (default: the one in progress)"}}
	return map[string]opDoc{
		"GET " + academy + "/campaigns":      {summary: "The academy's campaigns and their calendars, the latest school year first", tag: "campaign", status: 200, resp: itemsOf[campaignJSON]{}},
		"POST " + academy + "/campaigns":     {summary: "Start a school year's campaign, from the previous year's calendar when asked", tag: "campaign", body: campaignRequest{}, status: 201, resp: campaignJSON{}},
		"GET " + academy + "/campaign":       {summary: "One campaign: start of the school year, handover time, deadline of each step", tag: "campaign", query: yearQ, status: 200, resp: campaignJSON{}},
		"PATCH " + academy + "/campaign":     {summary: "Edit a campaign's calendar (a date \"\" removes a step's deadline)", tag: "campaign", query: yearQ, body: calendarRequest{}, status: 200, resp: campaignJSON{}},
		"GET " + academy + "/steps":          {summary: "Step states of the schools, with counts per step and state", tag: "campaign", query: append(append([]param{{"step", "integer", "1 to 13"}, {"state", "string", "not_started, in_progress, done, blocked or late"}, {"uai", "string", "school"}}, yearQ...), pagingParams...), status: 200, resp: academyStepsJSON{}},
		"GET " + academy + "/forecast":       {summary: "Handover forecast of every school; those that will still fail even if they act today come first (call these first)", tag: "campaign", query: []param{{"outcome", "string", "green, on_track, will_fail or unknown"}}, status: 200, resp: forecastListJSON{}},
		"GET " + school + "/steps":           {summary: "The school's 13 steps with state, evidence, deadline and blocker, and its attestations", tag: "campaign", query: yearQ, status: 200, resp: schoolStepsJSON{}},
		"POST " + school + "/attestations":   {summary: "Attest that a step of the school's own is done (school admins; not steps 2 and 13, the academy's); a newer contradicting fact expires it, a failing blocker or error check of the step shows it contradicted", tag: "campaign", body: attestationRequest{}, status: 201, resp: attestationResultJSON{}},
		"DELETE " + school + "/attestations": {summary: "Withdraw the school's attestation of a step", tag: "campaign", query: append([]param{{"step", "integer", "1 to 13"}}, yearQ...), status: 200, resp: attestationJSON{}},
		"GET " + school + "/forecast":        {summary: "The school's handover forecast", tag: "campaign", status: 200, resp: forecastJSON{}},
		"GET " + school + "/year-over-year":  {summary: "The school's steps and status now and at the same date last year", tag: "campaign", query: []param{{"at", "string", "date (AAAA-MM-JJ, end of day) or RFC 3339 time (default: now)"}}, status: 200, resp: yearOverYearJSON{}},
		"GET " + academy + "/jobs":           {summary: "Scheduled job runs (ingestion, evaluation, digest, retention), the latest slot first", tag: "jobs", query: append([]param{{"job", "string", "dropfolder, evaluate, digest or retention"}, {"status", "string", "running, done or failed"}, {"since", "string", "date or RFC 3339 time"}}, pagingParams...), status: 200, resp: list[jobRunJSON]{}},
		"GET /api/v1/jobs":                   {summary: "Scheduled job runs (platform administrators)", tag: "jobs", query: append([]param{{"job", "string", "dropfolder, evaluate, digest or retention"}, {"status", "string", "running, done or failed"}, {"since", "string", "date or RFC 3339 time"}}, pagingParams...), status: 200, resp: list[jobRunJSON]{}},
		"GET /api/v1/me/notifications":       {summary: "The caller's e-mail preferences", tag: "notifications", status: 200, resp: notificationPrefsJSON{}},
		"PUT /api/v1/me/notifications":       {summary: "Change the caller's e-mail preferences: on or off, how often an unchanged item is repeated", tag: "notifications", body: notificationPrefsRequest{}, status: 200, resp: notificationPrefsJSON{}},
		"GET /api/v1/unsubscribe/:token":     {summary: "Unsubscribe page of an e-mail's link: a button that confirms", tag: "notifications", status: 200, media: "text/html"},
		"POST /api/v1/unsubscribe/:token":    {summary: "Unsubscribe from the e-mails (one-click, RFC 8058)", tag: "notifications", status: 200, resp: messageJSON{}},
	}
}

type deadlineJSON struct {
	Step  int    `json:"step"`
	Title string `json:"title"`
	DueOn string `json:"due_on"` // YYYY-MM-DD: late from the next day
}

type campaignJSON struct {
	SchoolYear   int            `json:"school_year"`
	Label        string         `json:"label"` // 2026-2027
	Start        string         `json:"start"` // YYYY-MM-DD
	HandoverTime string         `json:"handover_time"`
	Deadlines    []deadlineJSON `json:"deadlines"`
	CopiedFrom   *int           `json:"copied_from"`
	UpdatedAt    time.Time      `json:"updated_at"`
	UpdatedBy    string         `json:"updated_by"`
}

func toCampaignJSON(c campaign.Campaign) campaignJSON {
	out := campaignJSON{SchoolYear: c.Calendar.SchoolYear, Label: fmt.Sprintf("%d-%d", c.Calendar.SchoolYear, c.Calendar.SchoolYear+1),
		Start: c.Calendar.Start.String(), HandoverTime: campaign.FormatHandoverTime(c.Calendar.HandoverTime), Deadlines: []deadlineJSON{},
		UpdatedAt: c.UpdatedAt, UpdatedBy: c.UpdatedBy}
	if c.CopiedFrom != 0 {
		y := c.CopiedFrom
		out.CopiedFrom = &y
	}
	for _, st := range c.Calendar.DeadlineSteps() {
		info, _ := st.Info()
		out.Deadlines = append(out.Deadlines, deadlineJSON{Step: int(st), Title: info.Title, DueOn: c.Calendar.Deadlines[st].String()})
	}
	return out
}

type campaignRequest struct {
	SchoolYear   int    `json:"school_year"`
	Start        string `json:"start,omitempty"`         // YYYY-MM-DD; default: the previous start's day, or 1 September
	FromPrevious bool   `json:"from_previous,omitempty"` // start from the previous school year's calendar
}

type calendarRequest struct {
	Start        *string           `json:"start,omitempty"`
	HandoverTime *string           `json:"handover_time,omitempty"` // HH:MM
	Deadlines    map[string]string `json:"deadlines,omitempty"`     // step number -> YYYY-MM-DD, or "" to remove
}

func yearParam(c *echo.Context, name string, now time.Time) (int, error) {
	v := strings.TrimSpace(c.QueryParam(name))
	if v == "" {
		return campaign.SchoolYearOf(now), nil
	}
	y, err := strconv.Atoi(v)
	if err != nil || y < 2000 || y > 2100 {
		return 0, apperr.Invalid("%s=%q: want a school year such as 2026", name, v)
	}
	return y, nil
}

func (s *Server) listCampaigns(c *echo.Context) error {
	g := grantOf(c)
	cs, err := s.deps.Store.ListCampaigns(c.Request().Context(), g.scope, g.academy.ID)
	if err != nil {
		return err
	}
	items := make([]campaignJSON, len(cs))
	for i, x := range cs {
		items[i] = toCampaignJSON(x)
	}
	return c.JSON(http.StatusOK, itemsOf[campaignJSON]{Items: items})
}

func (s *Server) getCampaign(c *echo.Context) error {
	g := grantOf(c)
	year, err := yearParam(c, "year", s.now())
	if err != nil {
		return err
	}
	x, err := s.deps.Store.Campaign(c.Request().Context(), g.scope, g.academy.ID, year)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toCampaignJSON(x))
}

func (s *Server) createCampaign(c *echo.Context) error {
	g := grantOf(c)
	var in campaignRequest
	if err := decode(c, &in); err != nil {
		return err
	}
	start, err := campaign.ParseDate(in.Start)
	if err != nil {
		return err
	}
	x, err := s.deps.Store.CreateCampaign(c.Request().Context(), g.scope, g.academy.ID,
		store.NewCampaign{SchoolYear: in.SchoolYear, Start: start, FromPrevious: in.FromPrevious}, s.actor(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, toCampaignJSON(x))
}

func (s *Server) updateCampaign(c *echo.Context) error {
	g := grantOf(c)
	year, err := yearParam(c, "year", s.now())
	if err != nil {
		return err
	}
	var in calendarRequest
	if err := decode(c, &in); err != nil {
		return err
	}
	var up store.CalendarUpdate
	if in.Start != nil {
		d, err := campaign.ParseDate(*in.Start)
		if err != nil {
			return err
		}
		up.Start = &d
	}
	if in.HandoverTime != nil {
		h, err := campaign.ParseHandoverTime(*in.HandoverTime)
		if err != nil {
			return err
		}
		up.HandoverTime = &h
	}
	if len(in.Deadlines) > 0 {
		up.Deadlines = map[campaign.Step]campaign.Date{}
		for k, v := range in.Deadlines {
			n, err := strconv.Atoi(k)
			if err != nil {
				return apperr.Invalid("deadlines: step %q: want a step number from 1 to 13", k)
			}
			d, err := campaign.ParseDate(v)
			if err != nil {
				return err
			}
			up.Deadlines[campaign.Step(n)] = d
		}
	}
	x, err := s.deps.Store.UpdateCalendar(c.Request().Context(), g.scope, g.academy.ID, year, up, s.actor(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toCampaignJSON(x))
}

type stepJSON struct {
	Step          int        `json:"step"`
	Title         string     `json:"title"`
	System        string     `json:"system"`
	State         string     `json:"state"`
	StateLabel    string     `json:"state_label"`
	Progress      string     `json:"progress"`
	Source        string     `json:"source"` // fact, attestation or none
	Evidence      string     `json:"evidence"`
	EvidenceAt    *time.Time `json:"evidence_at"`
	AttestationID *int64     `json:"attestation_id"`
	BlockedBy     *int       `json:"blocked_by"`
	Deadline      string     `json:"deadline"`
	Overdue       bool       `json:"overdue"`
	Since         time.Time  `json:"since"`
}

func toStepJSON(st store.SchoolStep) stepJSON {
	info, _ := st.Step.Info()
	out := stepJSON{Step: int(st.Step), Title: info.Title, System: info.System, State: string(st.State), StateLabel: st.State.Label(),
		Progress: string(st.Progress), Source: string(st.Source), Evidence: st.Evidence, EvidenceAt: timeOrNil(st.EvidenceAt),
		Deadline: st.Deadline.String(), Overdue: st.Overdue, Since: st.Since}
	if st.AttestationID != 0 {
		id := st.AttestationID
		out.AttestationID = &id
	}
	if st.BlockedBy != 0 {
		b := int(st.BlockedBy)
		out.BlockedBy = &b
	}
	return out
}

type attestationJSON struct {
	ID            int64      `json:"id"`
	UAI           string     `json:"uai"`
	SchoolYear    int        `json:"school_year"`
	Step          int        `json:"step"`
	By            string     `json:"by"`
	At            time.Time  `json:"at"`
	Comment       string     `json:"comment"`
	Active        bool       `json:"active"`
	ExpiredAt     *time.Time `json:"expired_at"`
	ExpiredReason string     `json:"expired_reason,omitempty"`
}

func toAttestationJSON(a campaign.Attestation) attestationJSON {
	return attestationJSON{ID: a.ID, UAI: a.UAI, SchoolYear: a.SchoolYear, Step: int(a.Step), By: a.By, At: a.At, Comment: a.Comment,
		Active: a.Active(), ExpiredAt: timeOrNil(a.ExpiredAt), ExpiredReason: a.ExpiredReason}
}

type schoolStepsJSON struct {
	UAI          string            `json:"uai"`
	SchoolYear   int               `json:"school_year"`
	Steps        []stepJSON        `json:"steps"` // empty until the school is first tracked
	Attestations []attestationJSON `json:"attestations"`
}

func (s *Server) schoolSteps(c *echo.Context) error {
	g := grantOf(c)
	ctx := c.Request().Context()
	year, err := yearParam(c, "year", s.now())
	if err != nil {
		return err
	}
	if _, err := s.schoolInScope(ctx, g); err != nil {
		return err
	}
	steps, err := s.deps.Store.SchoolSteps(ctx, g.scope, g.uai, year)
	if err != nil {
		return err
	}
	atts, err := s.deps.Store.SchoolAttestations(ctx, g.scope, g.uai, year)
	if err != nil {
		return err
	}
	out := schoolStepsJSON{UAI: g.uai, SchoolYear: year, Steps: make([]stepJSON, len(steps)), Attestations: make([]attestationJSON, len(atts))}
	for i, st := range steps {
		out.Steps[i] = toStepJSON(st)
	}
	for i, a := range atts {
		out.Attestations[i] = toAttestationJSON(a)
	}
	return c.JSON(http.StatusOK, out)
}

type schoolStepJSON struct {
	UAI string `json:"uai"`
	stepJSON
}

type academyStepsJSON struct {
	Items   []schoolStepJSON          `json:"items"`
	Total   int64                     `json:"total"`
	Page    int                       `json:"page"`
	PerPage int                       `json:"per_page"`
	Counts  map[string]map[string]int `json:"counts"` // step -> state -> schools
}

func (s *Server) academySteps(c *echo.Context) error {
	g := grantOf(c)
	ctx := c.Request().Context()
	p, err := pageParams(c)
	if err != nil {
		return err
	}
	year, err := yearParam(c, "year", s.now())
	if err != nil {
		return err
	}
	f := store.StepFilter{State: campaign.StepState(c.QueryParam("state")), Limit: p.limit(), Offset: p.offset()}
	switch f.State {
	case "", campaign.StateNotStarted, campaign.StateInProgress, campaign.StateDone, campaign.StateBlocked, campaign.StateLate:
	default:
		return apperr.Invalid("state=%q: want not_started, in_progress, done, blocked or late", f.State)
	}
	if v := c.QueryParam("step"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return apperr.Invalid("step=%q: want 1 to 13", v)
		}
		if _, err := campaign.Step(n).Info(); err != nil {
			return err
		}
		f.Step = campaign.Step(n)
	}
	if f.UAI, err = uaiParam(c, "uai"); err != nil {
		return err
	}
	rows, total, err := s.deps.Store.AcademySteps(ctx, g.scope, g.academy.ID, year, f)
	if err != nil {
		return err
	}
	counts, err := s.deps.Store.StepCounts(ctx, g.scope, g.academy.ID, year)
	if err != nil {
		return err
	}
	out := academyStepsJSON{Items: make([]schoolStepJSON, len(rows)), Total: total, Page: p.Page, PerPage: p.PerPage, Counts: map[string]map[string]int{}}
	for i, r := range rows {
		out.Items[i] = schoolStepJSON{UAI: r.UAI, stepJSON: toStepJSON(r)}
	}
	for st, byState := range counts {
		m := map[string]int{}
		for state, n := range byState {
			m[string(state)] = n
		}
		out.Counts[strconv.Itoa(int(st))] = m
	}
	return c.JSON(http.StatusOK, out)
}

type attestationRequest struct {
	Step    int    `json:"step"`
	Comment string `json:"comment,omitempty"`
}

type attestationResultJSON struct {
	Attestation attestationJSON `json:"attestation"`
	Steps       []stepJSON      `json:"steps"` // the school's steps once the attestation counts
}

// createAttestation records the school admin's attestation and recomputes the school's steps
// at once, so that the answer shows the attested step done, or why it is not.
func (s *Server) createAttestation(c *echo.Context) error {
	g := grantOf(c)
	ctx := c.Request().Context()
	var in attestationRequest
	if err := decode(c, &in); err != nil {
		return err
	}
	if _, err := s.schoolInScope(ctx, g); err != nil {
		return err
	}
	a := campaign.Attestation{UAI: g.uai, Step: campaign.Step(in.Step), Comment: in.Comment}
	var steps []store.SchoolStep
	var err error
	if s.deps.Tracker != nil {
		a, steps, err = s.deps.Tracker.Attest(ctx, g.scope, g.academy, a, s.actor(c), s.now())
	} else {
		now := s.now()
		a.SchoolYear, a.AcademyID, a.By, a.At = campaign.SchoolYearOf(now), g.academy.ID, principalOf(c).user.Login, now
		if a, err = s.deps.Store.CreateAttestation(ctx, g.scope, a, s.actor(c)); err == nil {
			steps, err = s.deps.Store.SchoolSteps(ctx, g.scope, g.uai, a.SchoolYear)
		}
	}
	if err != nil {
		return err
	}
	out := attestationResultJSON{Attestation: toAttestationJSON(a), Steps: make([]stepJSON, len(steps))}
	for i, st := range steps {
		out.Steps[i] = toStepJSON(st)
	}
	return c.JSON(http.StatusCreated, out)
}

// withdrawAttestation withdraws the school's attestation of a step (?step=N) in force.
func (s *Server) withdrawAttestation(c *echo.Context) error {
	g := grantOf(c)
	year, err := yearParam(c, "year", s.now())
	if err != nil {
		return err
	}
	step, err := strconv.Atoi(c.QueryParam("step"))
	if err != nil {
		return apperr.Invalid("step=%q: want 1 to 13", c.QueryParam("step"))
	}
	a, err := s.withdraw(c, g, campaign.Step(step), year)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toAttestationJSON(a))
}

// withdraw withdraws the school's attestation of a step in force for the school year, audited,
// and recomputes the school's steps; the API's DELETE and the school page's form share it.
// Like attesting, it is for the school's own steps only.
func (s *Server) withdraw(c *echo.Context, g *grant, step campaign.Step, year int) (campaign.Attestation, error) {
	ctx := c.Request().Context()
	info, err := step.Info()
	if err != nil {
		return campaign.Attestation{}, err
	}
	if !info.Attestable() {
		return campaign.Attestation{}, apperr.Invalid("L'étape %d (%s) est faite par l'académie, pas par l'établissement : son attestation ne peut pas être retirée par l'établissement", int(step), info.Title)
	}
	if _, err := s.schoolInScope(ctx, g); err != nil {
		return campaign.Attestation{}, err
	}
	atts, err := s.deps.Store.SchoolAttestations(ctx, g.scope, g.uai, year)
	if err != nil {
		return campaign.Attestation{}, err
	}
	var a campaign.Attestation
	for _, x := range atts { // newest first
		if x.Step == step && x.Active() {
			a = x
			break
		}
	}
	if a.ID == 0 {
		return campaign.Attestation{}, fmt.Errorf("attestation of step %d of %s in force: %w", step, g.uai, apperr.ErrNotFound)
	}
	a, err = s.deps.Store.WithdrawAttestation(ctx, g.scope, a.ID, s.actor(c))
	if err != nil {
		return campaign.Attestation{}, err
	}
	if s.deps.Tracker != nil {
		if _, err := s.deps.Tracker.RefreshSchool(ctx, g.scope, g.academy, g.uai, s.now()); err != nil {
			return campaign.Attestation{}, err
		}
	}
	return a, nil
}

type forecastItemJSON struct {
	Check      string     `json:"check"`
	Step       int        `json:"step"`
	Severity   string     `json:"severity"`
	Title      string     `json:"title"`
	Unknown    bool       `json:"unknown"`
	Stage      string     `json:"stage"`
	FixBy      *time.Time `json:"fix_by"`
	ReachesGAR *time.Time `json:"reaches_gar_at"`
	InFlight   *time.Time `json:"in_flight_until"`
	ETA        *time.Time `json:"eta"`
	Late       bool       `json:"late"` // cannot reach the target handover even if fixed now
}

type forecastJSON struct {
	UAI                 string             `json:"uai"`
	Name                string             `json:"name,omitempty"`
	Outcome             string             `json:"outcome"`
	OutcomeLabel        string             `json:"outcome_label"`
	Status              string             `json:"status"`
	Target              time.Time          `json:"target"`
	GreenAtNextHandover bool               `json:"green_at_next_handover"`
	EarliestGreen       *time.Time         `json:"earliest_green"`
	Reason              string             `json:"reason"`
	CallFirst           bool               `json:"call_first"`
	ComputedAt          time.Time          `json:"computed_at"`
	Items               []forecastItemJSON `json:"items"`
}

func toForecastJSON(f store.SchoolForecast, name string) forecastJSON {
	out := forecastJSON{UAI: f.UAI, Name: name, Outcome: string(f.Outcome), OutcomeLabel: f.Outcome.Label(), Status: f.Status, Target: f.Target,
		GreenAtNextHandover: f.GreenAtNextHandover, EarliestGreen: timeOrNil(f.EarliestGreen), Reason: f.Reason,
		CallFirst: f.Outcome == campaign.ForecastWillFail, ComputedAt: f.ComputedAt, Items: make([]forecastItemJSON, len(f.Items))}
	late := map[string]bool{}
	for _, it := range f.Late {
		late[it.Check] = true
	}
	for i, it := range f.Items {
		out.Items[i] = forecastItemJSON{Check: it.Check, Step: it.Step, Severity: it.Severity, Title: it.Title, Unknown: it.Unknown,
			Stage: it.Stage, FixBy: timeOrNil(it.FixBy), ReachesGAR: timeOrNil(it.ReachesGAR), InFlight: timeOrNil(it.InFlight),
			ETA: timeOrNil(it.ETA), Late: late[it.Check]}
	}
	return out
}

type forecastListJSON struct {
	Items  []forecastJSON `json:"items"`  // call-first schools first, the furthest from green first
	Counts map[string]int `json:"counts"` // per outcome
}

func (s *Server) academyForecast(c *echo.Context) error {
	g := grantOf(c)
	ctx := c.Request().Context()
	outcome := campaign.ForecastOutcome(c.QueryParam("outcome"))
	switch outcome {
	case "", campaign.ForecastGreen, campaign.ForecastOnTrack, campaign.ForecastWillFail, campaign.ForecastUnknown:
	default:
		return apperr.Invalid("outcome=%q: want green, on_track, will_fail or unknown", outcome)
	}
	fs, err := s.deps.Store.Forecasts(ctx, g.scope, g.academy.ID, store.ForecastFilter{Outcome: outcome})
	if err != nil {
		return err
	}
	schools, _, err := s.deps.Store.ListSchools(ctx, g.scope, store.SchoolFilter{})
	if err != nil {
		return err
	}
	names := make(map[string]string, len(schools))
	for _, sc := range schools {
		names[sc.UAI] = sc.Name
	}
	plain := make([]campaign.Forecast, len(fs))
	byUAI := make(map[string]store.SchoolForecast, len(fs))
	for i, f := range fs {
		plain[i], byUAI[f.UAI] = f.Forecast, f
	}
	out := forecastListJSON{Items: make([]forecastJSON, 0, len(fs)), Counts: map[string]int{}}
	first := map[string]bool{}
	for _, f := range campaign.CallFirst(plain) {
		out.Items = append(out.Items, toForecastJSON(byUAI[f.UAI], names[f.UAI]))
		first[f.UAI] = true
	}
	rest := make([]store.SchoolForecast, 0, len(fs))
	for _, f := range fs {
		out.Counts[string(f.Outcome)]++
		if !first[f.UAI] {
			rest = append(rest, f)
		}
	}
	rank := map[campaign.ForecastOutcome]int{campaign.ForecastUnknown: 0, campaign.ForecastOnTrack: 1, campaign.ForecastGreen: 2}
	sort.SliceStable(rest, func(i, j int) bool {
		if rank[rest[i].Outcome] != rank[rest[j].Outcome] {
			return rank[rest[i].Outcome] < rank[rest[j].Outcome]
		}
		return rest[i].UAI < rest[j].UAI
	})
	for _, f := range rest {
		out.Items = append(out.Items, toForecastJSON(f, names[f.UAI]))
	}
	return c.JSON(http.StatusOK, out)
}

func (s *Server) schoolForecast(c *echo.Context) error {
	g := grantOf(c)
	ctx := c.Request().Context()
	sc, err := s.schoolInScope(ctx, g)
	if err != nil {
		return err
	}
	f, err := s.deps.Store.ForecastOf(ctx, g.scope, g.uai)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toForecastJSON(f, sc.Name))
}

type pastStepJSON struct {
	Step       int       `json:"step"`
	Title      string    `json:"title"`
	State      string    `json:"state"`
	StateLabel string    `json:"state_label"`
	Source     string    `json:"source"`
	Evidence   string    `json:"evidence"`
	BlockedBy  *int      `json:"blocked_by"`
	Since      time.Time `json:"since"`
}

type yearOverYearJSON struct {
	UAI            string         `json:"uai"`
	At             time.Time      `json:"at"`
	SchoolYear     int            `json:"school_year"`
	Status         string         `json:"status"` // "" when never evaluated
	Steps          []stepJSON     `json:"steps"`
	LastYearAt     time.Time      `json:"last_year_at"`
	LastSchoolYear int            `json:"last_school_year"`
	LastYearStatus string         `json:"last_year_status"`
	LastYearSteps  []pastStepJSON `json:"last_year_steps"`
}

func (s *Server) yearOverYear(c *echo.Context) error {
	g := grantOf(c)
	ctx := c.Request().Context()
	at, err := timeParam(c, "at")
	if err != nil {
		return err
	}
	if at.IsZero() {
		at = s.now()
	}
	if _, err := s.schoolInScope(ctx, g); err != nil {
		return err
	}
	y, err := tracker.YearOverYearOf(ctx, s.deps.Store, g.scope, g.uai, at)
	if err != nil {
		return err
	}
	out := yearOverYearJSON{UAI: y.UAI, At: y.Now, SchoolYear: y.SchoolYear, Status: y.Status, Steps: make([]stepJSON, len(y.Steps)),
		LastYearAt: y.LastYearAt, LastSchoolYear: y.LastSchoolYear, LastYearStatus: y.LastYearStatus,
		LastYearSteps: make([]pastStepJSON, len(y.LastYearSteps))}
	for i, st := range y.Steps {
		out.Steps[i] = toStepJSON(st)
	}
	for i, e := range y.LastYearSteps {
		info, _ := e.Step.Info()
		p := pastStepJSON{Step: int(e.Step), Title: info.Title, State: string(e.State), StateLabel: e.State.Label(), Source: string(e.Source),
			Evidence: e.Evidence, Since: e.At}
		if e.BlockedBy != 0 {
			b := int(e.BlockedBy)
			p.BlockedBy = &b
		}
		out.LastYearSteps[i] = p
	}
	return c.JSON(http.StatusOK, out)
}

type jobRunJSON struct {
	ID         int64          `json:"id"`
	Job        string         `json:"job"`
	Slot       time.Time      `json:"slot"`
	Replica    string         `json:"replica"`
	Attempt    int            `json:"attempt"`
	Status     string         `json:"status"`
	StartedAt  time.Time      `json:"started_at"`
	FinishedAt *time.Time     `json:"finished_at"`
	DurationMS int64          `json:"duration_ms"`
	Counts     map[string]int `json:"counts"`
	Error      string         `json:"error,omitempty"`
}

func (s *Server) listJobRuns(c *echo.Context) error {
	g := grantOf(c)
	p, err := pageParams(c)
	if err != nil {
		return err
	}
	f := store.JobRunFilter{Job: c.QueryParam("job"), Status: c.QueryParam("status"), Limit: p.limit(), Offset: p.offset()}
	if f.Since, err = timeParam(c, "since"); err != nil {
		return err
	}
	scope := g.scope
	if g.academy.ID == 0 && g.decision.PlatformAdmin {
		scope = access.System()
	}
	runs, total, err := s.deps.Store.ListJobRuns(c.Request().Context(), scope, f)
	if err != nil {
		return err
	}
	items := make([]jobRunJSON, len(runs))
	for i, r := range runs {
		j := jobRunJSON{ID: r.ID, Job: r.Job, Slot: r.Slot, Replica: r.Replica, Attempt: r.Attempt, Status: r.Status,
			StartedAt: r.StartedAt, FinishedAt: timeOrNil(r.FinishedAt), Counts: r.Counts, Error: r.Error}
		if !r.FinishedAt.IsZero() {
			j.DurationMS = r.FinishedAt.Sub(r.StartedAt).Milliseconds()
		}
		items[i] = j
	}
	return c.JSON(http.StatusOK, newList(items, total, p))
}

type notificationPrefsJSON struct {
	EmailEnabled bool   `json:"email_enabled"`
	RepeatDays   int    `json:"repeat_days"` // 0: the academy's default
	Email        string `json:"email"`       // where the e-mails go ("" : none, set by an administrator)
}

type notificationPrefsRequest struct {
	EmailEnabled *bool `json:"email_enabled,omitempty"`
	RepeatDays   *int  `json:"repeat_days,omitempty"`
}

func (s *Server) getNotificationPrefs(c *echo.Context) error {
	u := principalOf(c).user
	p, err := s.deps.Store.NotificationPrefsOf(c.Request().Context(), access.System(), u.ID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, notificationPrefsJSON{EmailEnabled: p.EmailEnabled, RepeatDays: p.RepeatDays, Email: u.Email})
}

func (s *Server) putNotificationPrefs(c *echo.Context) error {
	u := principalOf(c).user
	var in notificationPrefsRequest
	if err := decode(c, &in); err != nil {
		return err
	}
	ctx := c.Request().Context()
	p, err := s.deps.Store.NotificationPrefsOf(ctx, access.System(), u.ID)
	if err != nil {
		return err
	}
	if in.EmailEnabled != nil {
		p.EmailEnabled = *in.EmailEnabled
	}
	if in.RepeatDays != nil {
		p.RepeatDays = *in.RepeatDays
	}
	if p, err = s.deps.Store.SetNotificationPrefs(ctx, access.System(), u.ID, p.EmailEnabled, p.RepeatDays, s.actor(c)); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, notificationPrefsJSON{EmailEnabled: p.EmailEnabled, RepeatDays: p.RepeatDays, Email: u.Email})
}

type messageJSON struct {
	Message string `json:"message"`
}

// unsubscribePage answers the link of an e-mail with a button: following a link never changes
// anything (mail scanners follow links); the button, or a one-click client, posts.
func (s *Server) unsubscribePage(c *echo.Context) error {
	token := c.Param("token")
	if len(token) != 48 || strings.Trim(token, "0123456789abcdef") != "" {
		return fmt.Errorf("unsubscribe token: %w", apperr.ErrNotFound)
	}
	page := `<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8"><title>Vigie : se désabonner</title></head>` +
		`<body><h1>Ne plus recevoir les messages de Vigie</h1>` +
		`<p>Vous ne recevrez plus les récapitulatifs du matin. Vous pourrez les réactiver dans vos préférences.</p>` +
		`<form method="post"><button type="submit">Confirmer le désabonnement</button></form></body></html>`
	return c.HTML(http.StatusOK, page)
}

func (s *Server) unsubscribe(c *echo.Context) error {
	id, err := s.deps.Store.Unsubscribe(c.Request().Context(), access.System(), c.Param("token"))
	if err != nil {
		return err
	}
	s.log.Info("unsubscribed from e-mails", "user", id)
	return c.JSON(http.StatusOK, messageJSON{Message: "Vous ne recevrez plus les messages de Vigie."})
}
