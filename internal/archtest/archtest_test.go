package archtest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const module = "github.com/vigie-edu/vigie"

type pkg struct {
	ImportPath string
	Imports    []string
}

func listPackages(t *testing.T) []pkg {
	t.Helper()
	cmd := exec.Command("go", "list", "-json", module+"/...")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	require.NoError(t, cmd.Run(), "go list: %s", errb.String())
	var pkgs []pkg
	dec := json.NewDecoder(&out)
	for {
		var p pkg
		err := dec.Decode(&p)
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
		pkgs = append(pkgs, p)
	}
	require.NotEmpty(t, pkgs)
	return pkgs
}

// frameworks: each may be imported only by the packages under its owner.
var frameworks = []struct {
	prefixes []string
	owner    string
}{
	{[]string{"github.com/labstack/echo"}, "internal/httpapi"},
	{[]string{"gorm.io/", "github.com/glebarez/", "github.com/jackc/", "github.com/pressly/goose", "modernc.org/sqlite", "github.com/lib/pq"}, "internal/store"},
	{[]string{"github.com/go-co-op/gocron"}, "internal/schedule"},
	{[]string{"github.com/open-policy-agent/opa"}, "internal/policy"},
	{[]string{"github.com/prometheus/"}, "internal/metrics"},
}

// domain packages import only the standard library, golang.org/x/text and these internal
// packages.
var domain = map[string][]string{
	"internal/apperr":    {},
	"internal/fact":      {},
	"internal/campaign":  {"internal/apperr"},
	"internal/access":    {"internal/apperr", "internal/campaign"},
	"internal/ingest":    {"internal/apperr", "internal/campaign", "internal/fact"},
	"internal/fixture":   {"internal/apperr", "internal/campaign", "internal/fact"},
	"internal/readiness": {"internal/apperr", "internal/campaign", "internal/fact", "internal/policy", "internal/access"},
}

func rel(path string) string { return strings.TrimPrefix(strings.TrimPrefix(path, module), "/") }

func under(path, dir string) bool { return path == dir || strings.HasPrefix(path, dir+"/") }

func isStd(imp string) bool {
	first, _, _ := strings.Cut(imp, "/")
	return !strings.Contains(first, ".")
}

func TestDependencyRules(t *testing.T) {
	for _, v := range violations(listPackages(t)) {
		t.Error(v)
	}
}

// TestRulesCatchViolations makes sure the rules above can fail.
func TestRulesCatchViolations(t *testing.T) {
	bad := []pkg{
		{ImportPath: module + "/internal/readiness", Imports: []string{"github.com/open-policy-agent/opa/v1/rego", module + "/internal/store"}},
		{ImportPath: module + "/internal/campaign", Imports: []string{"github.com/google/uuid"}},
		{ImportPath: module + "/internal/notify", Imports: []string{"gorm.io/gorm", module + "/cmd/vigie"}},
		{ImportPath: module + "/internal/store/storetest", Imports: []string{"gorm.io/gorm", "github.com/jackc/pgx/v5/stdlib"}},
		{ImportPath: module + "/internal/ingest", Imports: []string{"golang.org/x/text/encoding", "encoding/xml", module + "/internal/fact"}},
		{ImportPath: module + "/internal/httpapi", Imports: []string{"github.com/prometheus/client_golang/prometheus/promhttp"}},
	}
	assert.ElementsMatch(t, []string{
		"internal/readiness imports github.com/open-policy-agent/opa/v1/rego: only internal/policy may",
		"domain package internal/readiness imports github.com/open-policy-agent/opa/v1/rego: domain packages import no third-party code",
		"domain package internal/readiness imports internal/store: allowed internal imports are [internal/apperr internal/campaign internal/fact internal/policy internal/access]",
		"domain package internal/campaign imports github.com/google/uuid: domain packages import no third-party code",
		"internal/notify imports gorm.io/gorm: only internal/store may",
		"internal/notify imports github.com/vigie-edu/vigie/cmd/vigie: nothing imports cmd/",
		"internal/httpapi imports github.com/prometheus/client_golang/prometheus/promhttp: only internal/metrics may",
	}, violations(bad))
}

func violations(pkgs []pkg) []string {
	var out []string
	for _, p := range pkgs {
		me := rel(p.ImportPath)
		for _, imp := range p.Imports {
			if strings.HasPrefix(imp, module+"/cmd") {
				out = append(out, fmt.Sprintf("%s imports %s: nothing imports cmd/", me, imp))
			}
			for _, fw := range frameworks {
				for _, pre := range fw.prefixes {
					if strings.HasPrefix(imp, pre) && !under(me, fw.owner) {
						out = append(out, fmt.Sprintf("%s imports %s: only %s may", me, imp, fw.owner))
					}
				}
			}
			for dom, allowed := range domain {
				if !under(me, dom) {
					continue
				}
				switch {
				case isStd(imp), strings.HasPrefix(imp, "golang.org/x/text"):
				case strings.HasPrefix(imp, module+"/"):
					target := rel(imp)
					ok := under(target, dom)
					for _, a := range allowed {
						ok = ok || under(target, a)
					}
					if !ok {
						out = append(out, fmt.Sprintf("domain package %s imports %s: allowed internal imports are %v", me, target, allowed))
					}
				default:
					out = append(out, fmt.Sprintf("domain package %s imports %s: domain packages import no third-party code", me, imp))
				}
			}
		}
	}
	return out
}
