package httpapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/vigie-edu/vigie/internal/store"
	"github.com/vigie-edu/vigie/internal/store/storetest"
)

// roles of the scenario table, in the order of its columns.
var roles = []string{"sup", "sa", "aut", "root"}

// scenario is one route of the table with the status each role gets on three targets:
// own (Poitiers, the school admin's school), sibling (Poitiers, another school) and foreign
// (Bordeaux, a school of another academy). Columns: supervisor of Poitiers, school admin of
// 0790029C, policy author of Poitiers, platform administrator.
type scenario struct {
	method, path string
	body         func(role, target string, n int) any
	own          [4]int
	sibling      [4]int
	foreign      [4]int
	noTarget     bool // the route names no academy: one target only
}

var (
	json200 = [4]int{200, 200, 200, 200}
	supOnly = [4]int{200, 403, 403, 403}
	foreign = [4]int{404, 404, 404, 403} // another academy: hidden, except that platform admins know academies
	hidden  = [4]int{404, 404, 404, 404}
	rootOK  = [4]int{403, 403, 403, 200}
)

// uploadBody is a multipart upload of a file that is not an export: refused, but recorded.
var uploadBody = []byte("--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"notes.txt\"\r\n\r\nceci n'est pas un export\r\n--b--\r\n")

const uploadType = "multipart/form-data; boundary=b"

func scenarios() []scenario {
	acad := "/api/v1/academies/{academy}"
	sch := acad + "/schools/{uai}"
	return []scenario{
		{method: "GET", path: "/api/v1/me", own: json200, noTarget: true},
		{method: "GET", path: "/api/v1/me/tokens", own: json200, noTarget: true},
		{method: "POST", path: "/api/v1/me/tokens", body: func(string, string, int) any { return map[string]any{"name": "x", "scopes": []string{"read"}} },
			own: [4]int{403, 403, 403, 403}, noTarget: true}, // a token cannot make tokens
		{method: "DELETE", path: "/api/v1/me/tokens/{othertoken}", own: hidden, noTarget: true}, // another user's token
		{method: "POST", path: "/api/v1/auth/logout", own: [4]int{400, 400, 400, 400}, noTarget: true},
		{method: "GET", path: "/api/v1/checks", own: json200, noTarget: true},
		{method: "GET", path: "/api/v1/academies", own: json200, noTarget: true},
		{method: "POST", path: "/api/v1/academies", body: func(r, _ string, n int) any {
			return map[string]any{"code": fmt.Sprintf("acad%s%d", r, n), "name": "Test"}
		},
			own: [4]int{403, 403, 403, 201}, noTarget: true},
		{method: "GET", path: acad, own: json200, sibling: json200, foreign: [4]int{404, 404, 404, 200}},
		{method: "GET", path: acad + "/schools?status=ready&sort=-name", own: [4]int{200, 200, 403, 403}, sibling: [4]int{200, 200, 403, 403}, foreign: foreign},
		{method: "GET", path: sch, own: [4]int{200, 200, 404, 404}, sibling: [4]int{200, 404, 404, 404}, foreign: hidden},
		{method: "GET", path: sch + "/report", own: [4]int{200, 200, 404, 404}, sibling: [4]int{200, 404, 404, 404}, foreign: hidden},
		{method: "GET", path: sch + "/report?at=2030-01-01", own: [4]int{200, 200, 404, 404}, sibling: [4]int{200, 404, 404, 404}, foreign: hidden},
		{method: "GET", path: sch + "/history", own: [4]int{200, 200, 404, 404}, sibling: [4]int{200, 404, 404, 404}, foreign: hidden},
		{method: "GET", path: acad + "/summary", own: supOnly, sibling: supOnly, foreign: foreign},
		{method: "GET", path: acad + "/trend", own: supOnly, sibling: supOnly, foreign: foreign},
		{method: "GET", path: acad + "/export.csv", own: supOnly, sibling: supOnly, foreign: foreign},
		{method: "GET", path: acad + "/export.xlsx?status=ready", own: supOnly, sibling: supOnly, foreign: foreign},
		{method: "POST", path: sch + "/imports", body: func(string, string, int) any { return uploadBody },
			own: [4]int{200, 200, 404, 404}, sibling: [4]int{200, 404, 404, 404}, foreign: hidden},
		{method: "POST", path: acad + "/imports", body: func(string, string, int) any { return uploadBody },
			own: supOnly, sibling: supOnly, foreign: foreign},
		{method: "GET", path: acad + "/imports", own: [4]int{200, 200, 403, 403}, sibling: [4]int{200, 200, 403, 403}, foreign: foreign},
		{method: "GET", path: acad + "/imports/{import}", own: [4]int{200, 200, 403, 403}, sibling: [4]int{200, 404, 403, 403}, foreign: foreign},
		// A school admin evaluates its own school (to check a fix the same day), neither another
		// school nor the whole academy.
		{method: "POST", path: acad + "/runs", own: [4]int{201, 403, 403, 403}, sibling: [4]int{201, 403, 403, 403}, foreign: foreign},
		{method: "POST", path: sch + "/runs", own: [4]int{201, 201, 404, 404}, sibling: [4]int{201, 404, 404, 404}, foreign: hidden},
		{method: "GET", path: acad + "/runs?scope=academy", own: [4]int{200, 200, 403, 403}, sibling: [4]int{200, 200, 403, 403}, foreign: foreign},
		{method: "GET", path: acad + "/runs/{run}", own: [4]int{200, 200, 403, 403}, sibling: [4]int{200, 404, 403, 403}, foreign: foreign},
		{method: "GET", path: acad + "/exemptions?active=true", own: [4]int{200, 200, 403, 403}, sibling: [4]int{200, 200, 403, 403}, foreign: foreign},
		{method: "POST", path: sch + "/exemptions", body: func(string, string, int) any {
			return map[string]any{"check": "sts.groups_present", "reason": "collège sans groupes", "until": "2027-01-31"}
		}, own: [4]int{201, 403, 404, 404}, sibling: [4]int{201, 404, 404, 404}, foreign: hidden},
		{method: "DELETE", path: acad + "/exemptions/{exemption}", own: supOnly, sibling: supOnly, foreign: foreign},
		{method: "GET", path: acad + "/audit", own: [4]int{200, 403, 403, 200}, sibling: [4]int{200, 403, 403, 200}, foreign: [4]int{404, 404, 404, 200}},
		{method: "GET", path: "/api/v1/audit", own: rootOK, noTarget: true},
		{method: "GET", path: "/api/v1/users", own: rootOK, noTarget: true},
		{method: "POST", path: "/api/v1/users", body: func(r, _ string, n int) any {
			return map[string]any{"login": fmt.Sprintf("new-%s-%d", r, n), "name": "Nouveau"}
		},
			own: [4]int{403, 403, 403, 201}, noTarget: true},
		{method: "GET", path: "/api/v1/users/{user}", own: rootOK, noTarget: true},
		{method: "PATCH", path: "/api/v1/users/{user}", body: func(string, string, int) any { return map[string]any{"name": "Marie Curie"} },
			own: rootOK, noTarget: true},
		{method: "POST", path: "/api/v1/users/{user}/grants", body: func(string, string, int) any {
			return map[string]any{"academy": "poitiers", "role": "school_admin", "uais": []string{uaiSibling}}
		}, own: [4]int{403, 403, 403, 201}, noTarget: true},
		{method: "DELETE", path: "/api/v1/users/{user}/grants/{grant}", own: [4]int{403, 403, 403, 204}, noTarget: true},
	}
}

// targets maps a target name to the values of the path placeholders.
func (e *env) targets() map[string]map[string]string {
	id := func(k string) string { return strconv.FormatInt(e.ids[k], 10) }
	base := map[string]string{"othertoken": id("token:supb"), "user": id("user:supb")}
	t := map[string]map[string]string{
		"own":     {"academy": "poitiers", "uai": uaiOwn},
		"sibling": {"academy": "poitiers", "uai": uaiSibling},
		"foreign": {"academy": "bordeaux", "uai": uaiForeign},
	}
	for _, vars := range t {
		for _, kind := range []string{"import", "run", "exemption"} {
			vars[kind] = id(kind + ":" + vars["uai"])
		}
		for k, v := range base {
			vars[k] = v
		}
	}
	e.policyTargets(t) // policies_test.go
	return t
}

// TestScenarioTable runs every route for every role on its own school, another school of its
// academy and a school of another academy, on both databases, and checks each 2xx JSON answer
// against the OpenAPI document.
func TestScenarioTable(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		doc := e.srv.buildOpenAPI()
		targets := e.targets()
		covered := map[string]bool{}
		n, cases := 0, 0
		for _, sc := range append(append(scenarios(), campaignScenarios()...), policyScenarios()...) { // campaign_test.go, policies_test.go
			routeKey := sc.method + " " + strings.Split(sc.path, "?")[0]
			covered[routeKey] = true
			order := []string{"own", "sibling", "foreign"}
			wants := [][4]int{sc.own, sc.sibling, sc.foreign}
			if sc.noTarget {
				order, wants = order[:1], wants[:1]
			}
			for ti, target := range order {
				vars := targets[target]
				for ri, role := range roles {
					n++
					vars["grant"] = strconv.FormatInt(e.ids["grant:"+role], 10) // a grant that exists (root deletes its own last)
					if role == "root" {
						vars["grant"] = strconv.FormatInt(e.ids["grant:supb"], 10)
					}
					req := request{method: sc.method, path: expand(sc.path, vars), token: e.tokens[role]}
					if sc.body != nil {
						req.body = sc.body(role, target, n)
						if b, ok := req.body.([]byte); ok {
							req.body, req.contentType = b, uploadType
						}
					}
					resp := e.do(nil, req)
					cases++
					want := wants[ti][ri]
					if !assert.Equal(t, want, resp.status, "%s %s as %s (%s): %s", sc.method, req.path, role, target, resp.body) {
						continue
					}
					if want >= 400 {
						var ae apiError
						resp.json(t, &ae)
						assert.NotEmpty(t, ae.Code)
						assert.NotEmpty(t, ae.RequestID)
						assert.Equal(t, resp.header.Get("X-Request-Id"), ae.RequestID)
					} else if strings.HasPrefix(resp.header.Get("Content-Type"), "application/json") {
						assert.NoError(t, validateResponse(doc, sc.method, routePath(sc.path), want, resp.body), "%s %s as %s", sc.method, req.path, role)
					}
				}
			}
			// Nobody logged in: 401, whatever the target.
			resp := e.do(nil, request{method: sc.method, path: expand(sc.path, targets["foreign"])})
			assert.Equal(t, http.StatusUnauthorized, resp.status, "%s %s anonymous", sc.method, sc.path)
			cases++
		}
		t.Logf("%d scenario cases", cases)
		for _, r := range e.srv.routes {
			if r.action == ActionPublic {
				continue
			}
			assert.True(t, covered[r.method+" "+openAPIPathToTemplate(r.path)], "route %s %s has no scenario", r.method, r.path)
		}
	})
}

// routePath turns a scenario path into the route's Echo path.
func routePath(p string) string {
	p = strings.Split(p, "?")[0]
	r := strings.NewReplacer("{academy}", ":academy", "{uai}", ":uai", "{import}", ":id", "{run}", ":id", "{exemption}", ":id",
		"{othertoken}", ":id", "{user}", ":id", "{grant}", ":grant")
	return r.Replace(p)
}

// openAPIPathToTemplate is the inverse used to match routes with scenarios.
func openAPIPathToTemplate(p string) string {
	r := strings.NewReplacer(":academy", "{academy}", ":uai", "{uai}", ":grant", "{grant}")
	p = r.Replace(p)
	switch {
	case strings.Contains(p, "/imports/:id"):
		p = strings.Replace(p, ":id", "{import}", 1)
	case strings.Contains(p, "/runs/:id"):
		p = strings.Replace(p, ":id", "{run}", 1)
	case strings.Contains(p, "/exemptions/:id"):
		p = strings.Replace(p, ":id", "{exemption}", 1)
	case strings.Contains(p, "/tokens/:id"):
		p = strings.Replace(p, ":id", "{othertoken}", 1)
	case strings.Contains(p, "/users/:id"):
		p = strings.Replace(p, ":id", "{user}", 1)
	}
	return openAPIPath(p) // named parameters (:draft, :version) keep their name
}

// validateResponse checks a JSON body against the schema the OpenAPI document gives the
// route's success status.
func validateResponse(doc map[string]any, method, echoPath string, status int, body []byte) error {
	paths := doc["paths"].(map[string]any)
	item, ok := paths[openAPIPath(echoPath)].(map[string]any)
	if !ok {
		return fmt.Errorf("path %s not documented", echoPath)
	}
	op, ok := item[strings.ToLower(method)].(map[string]any)
	if !ok {
		return fmt.Errorf("%s %s not documented", method, echoPath)
	}
	resp, ok := op["responses"].(map[string]any)[strconv.Itoa(status)].(map[string]any)
	if !ok {
		return fmt.Errorf("%s %s: status %d not documented", method, echoPath, status)
	}
	content, _ := resp["content"].(map[string]any)
	media, _ := content["application/json"].(map[string]any)
	if media == nil {
		return fmt.Errorf("%s %s: no JSON schema for %d", method, echoPath, status)
	}
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return err
	}
	return validate(media["schema"].(map[string]any), v, "$")
}

func validate(schema map[string]any, v any, at string) error {
	if typ, ok := schema["type"]; ok {
		var types []string
		switch t := typ.(type) {
		case string:
			types = []string{t}
		case []string:
			types = t
		}
		if !slices.ContainsFunc(types, func(t string) bool { return hasType(t, v) }) {
			return fmt.Errorf("%s: %v is not %v", at, v, types)
		}
	}
	if enum, ok := schema["enum"].([]string); ok {
		if s, _ := v.(string); !slices.Contains(enum, s) {
			return fmt.Errorf("%s: %v not in %v", at, v, enum)
		}
	}
	switch x := v.(type) {
	case map[string]any:
		props, _ := schema["properties"].(map[string]any)
		req, _ := schema["required"].([]string)
		for _, r := range req {
			if _, ok := x[r]; !ok {
				return fmt.Errorf("%s: missing %q", at, r)
			}
		}
		for k, val := range x {
			if ps, ok := props[k].(map[string]any); ok {
				if err := validate(ps, val, at+"."+k); err != nil {
					return err
				}
			} else if ap, ok := schema["additionalProperties"].(map[string]any); ok {
				if err := validate(ap, val, at+"."+k); err != nil {
					return err
				}
			} else if props != nil {
				return fmt.Errorf("%s: undocumented property %q", at, k)
			}
		}
	case []any:
		if items, ok := schema["items"].(map[string]any); ok {
			for i, it := range x {
				if err := validate(items, it, fmt.Sprintf("%s[%d]", at, i)); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func hasType(t string, v any) bool {
	switch t {
	case "null":
		return v == nil
	case "string":
		_, ok := v.(string)
		return ok
	case "boolean":
		_, ok := v.(bool)
		return ok
	case "integer":
		f, ok := v.(float64)
		return ok && f == float64(int64(f))
	case "number":
		_, ok := v.(float64)
		return ok
	case "array":
		_, ok := v.([]any)
		return ok
	case "object":
		_, ok := v.(map[string]any)
		return ok
	}
	return false
}
