package httpapi

import (
	"fmt"
	"net/http"

	"github.com/labstack/echo/v5"
)

// Action names what a route does, for authorisation: the authorisation policy
// (policies/authz) allows or denies it. ActionPublic needs no login.
type Action string

// Actions. Each must be known to the policy (a test checks that someone may do it).
const (
	ActionPublic Action = "public"

	ActionSelfRead  Action = "self.read"
	ActionLogout    Action = "self.logout"
	ActionTokens    Action = "token.manage"
	ActionCatalogue Action = "catalogue.read"

	ActionAcademyList   Action = "academy.list"
	ActionAcademyRead   Action = "academy.read"
	ActionAcademyCreate Action = "academy.create"

	ActionSchoolList  Action = "school.list"
	ActionSchoolRead  Action = "school.read"
	ActionReportRead  Action = "report.read"
	ActionHistoryRead Action = "history.read"
	ActionSummaryRead Action = "summary.read"
	ActionExportRead  Action = "export.read"

	ActionImportRead   Action = "import.read"
	ActionSchoolUpload Action = "school.upload"
	ActionImportFeed   Action = "import.feed"

	ActionRunTrigger Action = "run.trigger"
	ActionRunRead    Action = "run.read"

	ActionExemptionRead    Action = "exemption.read"
	ActionExemptionApprove Action = "exemption.approve"
	ActionExemptionRevoke  Action = "exemption.revoke"

	ActionAuditRead Action = "audit.read"

	ActionUserList    Action = "user.list"
	ActionUserRead    Action = "user.read"
	ActionUserCreate  Action = "user.create"
	ActionUserUpdate  Action = "user.update"
	ActionGrantCreate Action = "grant.create"
	ActionGrantDelete Action = "grant.delete"
)

// Request classes: the body limit and time limit of a route.
type class int

const (
	classNormal     class = iota // JSON bodies up to 1 MiB, the configured request timeout
	classUpload                  // multipart uploads up to the configured size, the long timeout
	classLong                    // small bodies, the long timeout (evaluation runs)
	classOps                     // operators' routes (/metrics): no session or API token, the handler checks its own
	classFormUpload              // the pages' upload form: like classUpload, CSRF token as the body's first part
)

// route is one line of the route table.
type route struct {
	method string
	path   string
	action Action
	h      echo.HandlerFunc
	class  class
}

const (
	api     = "/api/v1"
	academy = api + "/academies/:academy"
	school  = academy + "/schools/:uai"
)

// routeTable lists every route of Vigie, in one place, with the action it needs.
func (s *Server) routeTable() []route {
	routes := []route{
		{http.MethodGet, "/healthz", ActionPublic, s.healthz, classNormal},
		{http.MethodGet, "/readyz", ActionPublic, s.readyz, classNormal},
		{http.MethodGet, api + "/openapi.json", ActionPublic, s.openAPI, classNormal},

		// Authentication and one's own account.
		{http.MethodPost, api + "/auth/login", ActionPublic, s.login, classNormal},
		{http.MethodPost, api + "/auth/logout", ActionLogout, s.logout, classNormal},
		{http.MethodGet, api + "/auth/oidc/login", ActionPublic, s.oidcLogin, classNormal},
		{http.MethodGet, api + "/auth/oidc/callback", ActionPublic, s.oidcCallback, classNormal},
		{http.MethodGet, api + "/me", ActionSelfRead, s.me, classNormal},
		{http.MethodGet, api + "/me/tokens", ActionTokens, s.listTokens, classNormal},
		{http.MethodPost, api + "/me/tokens", ActionTokens, s.createToken, classNormal},
		{http.MethodDelete, api + "/me/tokens/:id", ActionTokens, s.revokeToken, classNormal},

		// The check catalogue.
		{http.MethodGet, api + "/checks", ActionCatalogue, s.listChecks, classNormal},

		// Academies and their schools.
		{http.MethodGet, api + "/academies", ActionAcademyList, s.listAcademies, classNormal},
		{http.MethodPost, api + "/academies", ActionAcademyCreate, s.createAcademy, classNormal},
		{http.MethodGet, academy, ActionAcademyRead, s.getAcademy, classNormal},
		{http.MethodGet, academy + "/schools", ActionSchoolList, s.listSchools, classNormal},
		{http.MethodGet, school, ActionSchoolRead, s.getSchool, classNormal},

		// Readiness.
		{http.MethodGet, school + "/report", ActionReportRead, s.schoolReport, classNormal},
		{http.MethodGet, school + "/history", ActionHistoryRead, s.schoolHistory, classNormal},
		{http.MethodGet, academy + "/summary", ActionSummaryRead, s.academySummary, classNormal},
		{http.MethodGet, academy + "/trend", ActionSummaryRead, s.academyTrend, classNormal},
		{http.MethodGet, academy + "/export.csv", ActionExportRead, s.exportCSV, classLong},
		{http.MethodGet, academy + "/export.xlsx", ActionExportRead, s.exportXLSX, classLong},

		// Imports.
		{http.MethodPost, school + "/imports", ActionSchoolUpload, s.uploadSchool, classUpload},
		{http.MethodPost, academy + "/imports", ActionImportFeed, s.uploadAcademy, classUpload},
		{http.MethodGet, academy + "/imports", ActionImportRead, s.listImports, classNormal},
		{http.MethodGet, academy + "/imports/:id", ActionImportRead, s.getImport, classNormal},

		// Evaluation runs.
		{http.MethodPost, academy + "/runs", ActionRunTrigger, s.runAcademy, classLong},
		{http.MethodPost, school + "/runs", ActionRunTrigger, s.runSchool, classLong},
		{http.MethodGet, academy + "/runs", ActionRunRead, s.listRuns, classNormal},
		{http.MethodGet, academy + "/runs/:id", ActionRunRead, s.getRun, classNormal},

		// Exemptions.
		{http.MethodGet, academy + "/exemptions", ActionExemptionRead, s.listExemptions, classNormal},
		{http.MethodPost, school + "/exemptions", ActionExemptionApprove, s.createExemption, classNormal},
		{http.MethodDelete, academy + "/exemptions/:id", ActionExemptionRevoke, s.revokeExemption, classNormal},

		// Audit log.
		{http.MethodGet, academy + "/audit", ActionAuditRead, s.academyAudit, classNormal},
		{http.MethodGet, api + "/audit", ActionAuditRead, s.platformAudit, classNormal},

		// Accounts and grants (platform administrators).
		{http.MethodGet, api + "/users", ActionUserList, s.listUsers, classNormal},
		{http.MethodPost, api + "/users", ActionUserCreate, s.createUser, classNormal},
		{http.MethodGet, api + "/users/:id", ActionUserRead, s.getUser, classNormal},
		{http.MethodPatch, api + "/users/:id", ActionUserUpdate, s.updateUser, classNormal},
		{http.MethodPost, api + "/users/:id/grants", ActionGrantCreate, s.createGrant, classNormal},
		{http.MethodDelete, api + "/users/:id/grants/:grant", ActionGrantDelete, s.deleteGrant, classNormal},
	}
	// Campaign tracking, scheduled jobs and notifications: campaign.go. Policy authoring:
	// policies.go. Metrics: ops.go.
	return append(append(append(routes, s.campaignRoutes()...), s.policyRoutes()...), s.opsRoutes()...)
}

// maxJSONBody caps the body of every non-upload request.
const maxJSONBody = 1 << 20

func (s *Server) install() error {
	s.routes = s.routeTable()
	seen := map[string]bool{}
	for _, r := range append(s.pageRoutes(), s.routes...) { // pages (web_routes.go) are not in the API's table
		if r.action == "" {
			return fmt.Errorf("route %s %s has no action", r.method, r.path)
		}
		if seen[r.method+" "+r.path] {
			return fmt.Errorf("route %s %s is declared twice", r.method, r.path)
		}
		seen[r.method+" "+r.path] = true
		body, timeout := int64(maxJSONBody), s.opts.RequestTimeout
		csrf := s.csrf
		switch r.class {
		case classUpload:
			body, timeout = s.opts.UploadMaxBytes, s.opts.LongTimeout
		case classFormUpload:
			body, timeout, csrf = s.opts.UploadMaxBytes, s.opts.LongTimeout, s.csrfInForm
		case classLong:
			timeout = s.opts.LongTimeout
		case classOps:
			s.echo.Add(r.method, r.path, r.h, s.limits(body, timeout))
			continue
		}
		s.echo.Add(r.method, r.path, r.h, s.limits(body, timeout), s.authenticate, csrf, s.authorize(r))
	}
	notFound := func(c *echo.Context) error { return fmt.Errorf("route %s: %w", c.Request().URL.Path, echo.ErrNotFound) }
	s.echo.RouteNotFound("/*", notFound)
	return nil
}
