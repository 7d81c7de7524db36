package httpapi

import (
	"encoding/json"
	"net/http"
	"reflect"
	"regexp"
	"strings"
	"time"

	"github.com/labstack/echo/v5"

	"github.com/vigie-edu/vigie/internal/policy"
)

// The OpenAPI 3.1 document of /api/v1 is built from the route table (paths, methods, the
// action each route needs) and from opDocs below (summary, parameters, bodies); schemas are
// derived from the Go types the handlers encode, so they cannot drift from the JSON. Tests
// check that every route is documented and that real responses match their schemas.

type param struct {
	name, typ, desc string
}

type opDoc struct {
	summary string
	tag     string
	query   []param
	body    any    // request body type (JSON), nil for none
	upload  bool   // multipart/form-data with "file" parts
	status  int    // success status
	resp    any    // response body type (JSON); nil for no content
	media   string // response media type when not JSON
	raw     map[string]any
}

var pagingParams = []param{{"page", "integer", "page number, from 1"}, {"per_page", "integer", "items per page, 1 to 500 (default 50)"}}

var schoolFilters = []param{
	{"status", "string", "ready, at_risk, not_ready or none (never evaluated)"},
	{"check", "string", "only schools whose latest result has this check failing, unknown or in error"},
	{"departement", "string", "code du département, e.g. 79"}, {"bassin", "string", "bassin de formation"},
	{"kind", "string", "college, lycee, lp or other"}, {"q", "string", "search in UAI and name"},
	{"sort", "string", "uai, name, status, departement, kind, todo, blockers, pupils or evaluated_at; prefix - to reverse"},
}

// reportSchema describes the stored report of a school (the readiness package's JSON, as
// `vigie check` prints it); it is served as stored, so only its main fields are pinned.
var reportSchema = map[string]any{
	"type":     "object",
	"required": []string{"uai", "status", "checks", "todo"},
	"properties": map[string]any{
		"uai": map[string]any{"type": "string"}, "school_year": map[string]any{"type": "integer"},
		"evaluated_at": map[string]any{"type": "string", "format": "date-time"},
		"status":       map[string]any{"type": "string", "enum": []string{"ready", "at_risk", "not_ready"}},
		"checks":       map[string]any{"type": "array", "items": map[string]any{"type": "object"}},
		"todo":         map[string]any{"type": "array", "items": map[string]any{"type": "object"}},
	},
}

func opDocs() map[string]opDoc {
	docs := map[string]opDoc{
		"GET /healthz":                           {summary: "Process alive", tag: "probes", status: 200, raw: map[string]any{"type": "object"}},
		"GET /readyz":                            {summary: "Database reachable and schema current", tag: "probes", status: 200, raw: map[string]any{"type": "object"}},
		"GET /api/v1/openapi.json":               {summary: "This document", tag: "meta", status: 200, raw: map[string]any{"type": "object"}},
		"POST /api/v1/auth/login":                {summary: "Open a browser session with a login and password (rate-limited); answers the CSRF token", tag: "auth", body: loginRequest{}, status: 200, resp: sessionJSON{}},
		"POST /api/v1/auth/logout":               {summary: "End the browser session", tag: "auth", status: 204},
		"GET /api/v1/auth/oidc/login":            {summary: "Redirect to the identity provider (authorisation code + PKCE)", tag: "auth", query: []param{{"return_to", "string", "local path to return to after login"}}, status: 302},
		"GET /api/v1/auth/oidc/callback":         {summary: "Return from the identity provider: open a session and redirect", tag: "auth", query: []param{{"code", "string", "authorisation code"}, {"state", "string", "state sent at login"}}, status: 302},
		"GET /api/v1/me":                         {summary: "The caller, their grants, and the CSRF token of a browser session", tag: "auth", status: 200, resp: sessionJSON{}},
		"GET /api/v1/me/tokens":                  {summary: "The caller's personal API tokens", tag: "auth", status: 200, resp: itemsOf[tokenJSON]{}},
		"POST /api/v1/me/tokens":                 {summary: "Create a personal API token; its secret is shown in this answer only", tag: "auth", body: tokenRequest{}, status: 201, resp: tokenJSON{}},
		"DELETE /api/v1/me/tokens/:id":           {summary: "Revoke a personal API token", tag: "auth", status: 200, resp: tokenJSON{}},
		"GET /api/v1/checks":                     {summary: "The check catalogue, from the policies' annotations", tag: "checks", status: 200, resp: itemsOf[policy.Check]{}},
		"GET /api/v1/academies":                  {summary: "Academies of the caller (every academy for platform administrators)", tag: "academies", status: 200, resp: itemsOf[academyJSON]{}},
		"POST /api/v1/academies":                 {summary: "Create an academy", tag: "academies", body: academyRequest{}, status: 201, resp: academyJSON{}},
		"GET " + academy:                         {summary: "One academy", tag: "academies", status: 200, resp: academyJSON{}},
		"GET " + academy + "/schools":            {summary: "Schools with their latest status: filters, sort, paging", tag: "schools", query: append(append([]param{}, schoolFilters...), pagingParams...), status: 200, resp: list[schoolJSON]{}},
		"GET " + school:                          {summary: "One school with its latest status and exemptions in force", tag: "schools", status: 200, resp: schoolDetailJSON{}},
		"GET " + school + "/report":              {summary: "The school's latest report and to-do list (same JSON as vigie check), or the one in force at a past date", tag: "readiness", query: []param{{"at", "string", "date (AAAA-MM-JJ, end of day) or RFC 3339 time"}}, status: 200, raw: reportSchema},
		"GET " + school + "/history":             {summary: "The school's past results, newest first", tag: "readiness", query: []param{{"limit", "integer", "1 to 1000 (default 120)"}}, status: 200, resp: itemsOf[historyJSON]{}},
		"GET " + academy + "/summary":            {summary: "Academy summary: counts per status, check and département; schools turned red since the previous run", tag: "readiness", status: 200, resp: summaryJSON{}},
		"GET " + academy + "/trend":              {summary: "Counts of each day's last academy run over the campaign", tag: "readiness", query: []param{{"since", "string", "date or RFC 3339 time (default: 1 August of the school year)"}}, status: 200, resp: trendResponse{}},
		"GET " + academy + "/export.csv":         {summary: "The academy view as CSV (UTF-8 with BOM, ';', French column names)", tag: "exports", query: schoolFilters, status: 200, media: "text/csv"},
		"GET " + academy + "/export.xlsx":        {summary: "The academy view as an Excel workbook (French column names)", tag: "exports", query: schoolFilters, status: 200, media: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
		"POST " + school + "/imports":            {summary: "Upload export files for the school (multipart, one or several \"file\" parts)", tag: "imports", upload: true, status: 200, resp: uploadJSON{}},
		"POST " + academy + "/imports":           {summary: "Upload academy-wide files: the federating directory feed, or files naming their school", tag: "imports", upload: true, status: 200, resp: uploadJSON{}},
		"GET " + academy + "/imports":            {summary: "Imports, newest first", tag: "imports", query: append([]param{{"uai", "string", "school"}, {"kind", "string", "sts, siecle, links, ent..."}, {"outcome", "string", "accepted or rejected"}}, pagingParams...), status: 200, resp: list[importJSON]{}},
		"GET " + academy + "/imports/:id":        {summary: "One import, with its error and warnings", tag: "imports", status: 200, resp: importJSON{}},
		"POST " + academy + "/runs":              {summary: "Evaluate every school of the academy now", tag: "runs", status: 201, resp: runJSON{}},
		"POST " + school + "/runs":               {summary: "Evaluate the school now", tag: "runs", status: 201, resp: runJSON{}},
		"GET " + academy + "/runs":               {summary: "Evaluation runs with duration and counts, newest first", tag: "runs", query: append([]param{{"uai", "string", "school"}, {"scope", "string", "academy: only runs over the whole academy"}, {"status", "string", "running, done or failed"}, {"since", "string", "date or RFC 3339 time"}}, pagingParams...), status: 200, resp: list[runJSON]{}},
		"GET " + academy + "/runs/:id":           {summary: "One run", tag: "runs", status: 200, resp: runJSON{}},
		"GET " + academy + "/exemptions":         {summary: "Exemptions", tag: "exemptions", query: append([]param{{"uai", "string", "school"}, {"check", "string", "check id"}, {"active", "boolean", "only those in force"}}, pagingParams...), status: 200, resp: list[exemptionJSON]{}},
		"POST " + school + "/exemptions":         {summary: "Exempt the school from a check until a date", tag: "exemptions", body: exemptionRequest{}, status: 201, resp: exemptionJSON{}},
		"DELETE " + academy + "/exemptions/:id":  {summary: "Revoke an exemption", tag: "exemptions", status: 200, resp: exemptionJSON{}},
		"GET " + academy + "/audit":              {summary: "Audit log of the academy: who changed what, when, before and after", tag: "audit", query: append([]param{{"uai", "string", "school"}, {"action", "string", "e.g. exemption.approve"}, {"target_type", "string", "e.g. exemption"}, {"since", "string", "date or RFC 3339 time"}}, pagingParams...), status: 200, resp: list[auditJSON]{}},
		"GET /api/v1/audit":                      {summary: "The whole audit log (platform administrators)", tag: "audit", query: append([]param{{"uai", "string", "school"}, {"action", "string", "e.g. user.create"}, {"target_type", "string", "e.g. user"}, {"since", "string", "date or RFC 3339 time"}}, pagingParams...), status: 200, resp: list[auditJSON]{}},
		"GET /api/v1/users":                      {summary: "Accounts with their grants", tag: "users", status: 200, resp: itemsOf[userJSON]{}},
		"POST /api/v1/users":                     {summary: "Create an account", tag: "users", body: userRequest{}, status: 201, resp: userJSON{}},
		"GET /api/v1/users/:id":                  {summary: "One account", tag: "users", status: 200, resp: userJSON{}},
		"PATCH /api/v1/users/:id":                {summary: "Change an account (name, e-mail, password, disabled)", tag: "users", body: userUpdateRequest{}, status: 200, resp: userJSON{}},
		"POST /api/v1/users/:id/grants":          {summary: "Grant a role in an academy", tag: "users", body: grantRequest{}, status: 201, resp: grantJSON{}},
		"DELETE /api/v1/users/:id/grants/:grant": {summary: "Revoke a grant", tag: "users", status: 204},
	}
	for k, v := range campaignOpDocs() { // campaign.go
		docs[k] = v
	}
	for k, v := range opsOpDocs() { // ops.go
		docs[k] = v
	}
	for k, v := range policyOpDocs() { // policies_openapi.go
		docs[k] = v
	}
	return docs
}

var pathParam = regexp.MustCompile(`:([a-z_]+)`)

// openAPIPath turns an Echo path into an OpenAPI path template.
func openAPIPath(p string) string { return pathParam.ReplaceAllString(p, "{$1}") }

var paramDocs = map[string]string{
	"academy": "academy code, e.g. poitiers", "uai": "school UAI, e.g. 0790029C",
	"id": "numeric id", "grant": "grant id",
}

// buildOpenAPI builds the document from the route table.
func (s *Server) buildOpenAPI() map[string]any {
	docs := opDocs()
	errResp := map[string]any{"description": "error", "content": map[string]any{"application/json": map[string]any{"schema": schemaOf(reflect.TypeOf(apiError{}))}}}
	paths := map[string]any{}
	for _, r := range s.routes {
		d := docs[r.method+" "+r.path]
		op := map[string]any{"summary": d.summary, "tags": []string{d.tag}, "operationId": operationID(r),
			"x-vigie-action": string(r.action)}
		var params []any
		for _, m := range pathParam.FindAllStringSubmatch(r.path, -1) {
			params = append(params, map[string]any{"name": m[1], "in": "path", "required": true, "description": paramDocs[m[1]],
				"schema": map[string]any{"type": "string"}})
		}
		for _, q := range d.query {
			params = append(params, map[string]any{"name": q.name, "in": "query", "description": q.desc, "schema": map[string]any{"type": q.typ}})
		}
		if params != nil {
			op["parameters"] = params
		}
		switch {
		case d.upload:
			op["requestBody"] = map[string]any{"required": true, "content": map[string]any{"multipart/form-data": map[string]any{
				"schema": map[string]any{"type": "object", "properties": map[string]any{"file": map[string]any{
					"type": "array", "items": map[string]any{"type": "string", "format": "binary"}}}}}}}
		case d.body != nil:
			op["requestBody"] = map[string]any{"required": true, "content": map[string]any{"application/json": map[string]any{
				"schema": schemaOf(reflect.TypeOf(d.body))}}}
		}
		ok := map[string]any{"description": http.StatusText(d.status)}
		switch {
		case d.media != "":
			ok["content"] = map[string]any{d.media: map[string]any{"schema": map[string]any{"type": "string", "format": "binary"}}}
		case d.raw != nil:
			ok["content"] = map[string]any{"application/json": map[string]any{"schema": d.raw}}
		case d.resp != nil:
			ok["content"] = map[string]any{"application/json": map[string]any{"schema": schemaOf(reflect.TypeOf(d.resp))}}
		}
		responses := map[string]any{itoa(d.status): ok, "default": errResp}
		op["responses"] = responses
		if r.action != ActionPublic {
			op["security"] = []any{map[string]any{"bearerToken": []string{}}, map[string]any{"sessionCookie": []string{}}}
		}
		p := openAPIPath(r.path)
		item, _ := paths[p].(map[string]any)
		if item == nil {
			item = map[string]any{}
			paths[p] = item
		}
		item[strings.ToLower(r.method)] = op
	}
	return map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{"title": "Vigie API", "version": "1",
			"description": "Readiness of school directories for the GAR handover. Scripts authenticate with a personal token " +
				"(Authorization: Bearer vigie_pat_...); browsers with the session cookie and, on state-changing requests, " +
				"the X-CSRF-Token header. Data outside the caller's scope answers 404; an allowed read with a forbidden " +
				"write answers 403. Errors are JSON {code, message, request_id}. x-vigie-action names the authorisation action."},
		"paths": paths,
		"components": map[string]any{"securitySchemes": map[string]any{
			"bearerToken":   map[string]any{"type": "http", "scheme": "bearer", "description": "personal API token"},
			"sessionCookie": map[string]any{"type": "apiKey", "in": "cookie", "name": s.sessionCookieName(), "description": "browser session; send X-CSRF-Token on POST, PATCH, DELETE"},
		}},
	}
}

func operationID(r route) string {
	p := strings.NewReplacer("/api/v1/", "", ":", "", "/", "_", ".", "_").Replace(r.path)
	return strings.ToLower(r.method) + "_" + strings.Trim(p, "_")
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

var (
	timeType = reflect.TypeOf(time.Time{})
	rawType  = reflect.TypeOf(json.RawMessage{})
)

// schemaOf derives a JSON schema from a Go type the way encoding/json encodes it: fields
// without omitempty are required; pointers, slices and maps may be null.
func schemaOf(t reflect.Type) map[string]any {
	nullable := func(m map[string]any) map[string]any {
		if typ, ok := m["type"].(string); ok {
			m["type"] = []string{typ, "null"}
		}
		return m
	}
	switch {
	case t == timeType:
		return map[string]any{"type": "string", "format": "date-time"}
	case t == rawType:
		return map[string]any{}
	}
	switch t.Kind() {
	case reflect.Pointer:
		return nullable(schemaOf(t.Elem()))
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return map[string]any{"type": "integer"}
	case reflect.Float32, reflect.Float64:
		return map[string]any{"type": "number"}
	case reflect.Slice, reflect.Array:
		return nullable(map[string]any{"type": "array", "items": schemaOf(t.Elem())})
	case reflect.Map:
		return nullable(map[string]any{"type": "object", "additionalProperties": schemaOf(t.Elem())})
	case reflect.Interface:
		return map[string]any{}
	case reflect.Struct:
		props := map[string]any{}
		var required []string
		addFields(t, props, &required)
		out := map[string]any{"type": "object", "properties": props}
		if len(required) > 0 {
			out["required"] = required
		}
		return out
	}
	return map[string]any{}
}

func addFields(t reflect.Type, props map[string]any, required *[]string) {
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			addFields(f.Type, props, required)
			continue
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		props[name] = schemaOf(f.Type)
		if !strings.Contains(opts, "omitempty") {
			*required = append(*required, name)
		}
	}
}

// openAPI serves the document.
func (s *Server) openAPI(c *echo.Context) error {
	c.Response().Header().Set("Cache-Control", "public, max-age=300")
	return c.JSON(http.StatusOK, s.buildOpenAPI())
}
