package policy

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
)

// ChecksRoot is the package under which every check lives: the check with id "sts.x" is
// package vigie.checks.sts.x and its result is data.vigie.checks.sts.x.result.
const ChecksRoot = "vigie.checks"

// Severity of a check.
type Severity string

// Severities, from the most to the least serious.
const (
	SeverityBlocker Severity = "blocker" // pupils get empty resources at the GAR handover
	SeverityError   Severity = "error"   // the chain is broken and will be soon
	SeverityWarning Severity = "warning" // quality
)

// Rank orders severities: blocker 0, error 1, warning 2, anything else 3.
func (s Severity) Rank() int {
	switch s {
	case SeverityBlocker:
		return 0
	case SeverityError:
		return 1
	case SeverityWarning:
		return 2
	default:
		return 3
	}
}

// Sources a check may need (fact.Source values; "siecle_nomenclature" is known but unused by
// the national checks).
var knownSources = []string{"sts", "siecle", "siecle_structures", "siecle_nomenclature", "links", "ent"}

// FixStages are where a fix happens, which decides how long it takes to reach the GAR:
// STS-Web, SIECLE-BEE, the pupil-group links import, the federating directory/ENT, the
// academy, or Vigie itself (a new upload).
var FixStages = []string{"sts", "siecle", "links", "ent", "academy", "vigie"}

// Check is one readiness check as its METADATA annotations describe it.
type Check struct {
	ID          string   `json:"id"`
	Package     string   `json:"package"` // data.vigie.checks.sts.divisions_present
	Title       string   `json:"title"`
	Description string   `json:"description"` // why it matters for pupils (French)
	Severity    Severity `json:"severity"`
	Step        int      `json:"step"` // campaign step 1-13; 0 for none
	StepNote    string   `json:"step_note,omitempty"`
	Needs       []string `json:"needs"`              // sources the check needs
	NeedsAny    bool     `json:"needs_any"`          // any one of Needs is enough
	Optional    []string `json:"optional,omitempty"` // sources used when usable
	Software    string   `json:"software,omitempty"`
	Who         string   `json:"who,omitempty"`
	Fix         string   `json:"fix"`       // what to do: software, menu path (French)
	FixStage    string   `json:"fix_stage"` // one of FixStages
	BlockedBy   []string `json:"blocked_by,omitempty"`
	Module      string   `json:"module"` // file holding the annotation
	Line        int      `json:"line"`
	// Custom holds every custom annotation, including those Vigie does not interpret.
	Custom map[string]any `json:"custom,omitempty"`
}

// Catalogue is the list of checks of a policy set, ordered by step then id.
type Catalogue struct {
	Checks []Check
	byID   map[string]int
}

// Check returns the check with the given id.
func (c Catalogue) Check(id string) (Check, bool) {
	i, ok := c.byID[id]
	if !ok {
		return Check{}, false
	}
	return c.Checks[i], true
}

// IDs lists the check ids in catalogue order.
func (c Catalogue) IDs() []string {
	ids := make([]string, len(c.Checks))
	for i, ch := range c.Checks {
		ids[i] = ch.ID
	}
	return ids
}

var checkIDPattern = regexp.MustCompile(`^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$`)

// readCatalogue builds the catalogue from the package annotations of the compiled modules
// under ChecksRoot and validates it.
func readCatalogue(c *ast.Compiler) (Catalogue, []Problem) {
	root := ast.MustParseRef("data." + ChecksRoot)
	as := c.GetAnnotationSet()
	var checks []Check
	var problems []Problem
	seenPkg := map[string]bool{}
	hasResult := map[string]bool{}
	var pkgs []*ast.Module

	names := make([]string, 0, len(c.Modules))
	for name := range c.Modules {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		m := c.Modules[name]
		if !m.Package.Path.HasPrefix(root) || len(m.Package.Path) <= len(root) {
			continue
		}
		pkg := m.Package.Path.String()
		for _, r := range m.Rules {
			if r.Head.Ref().Equal(ast.Ref{ast.VarTerm("result")}) {
				hasResult[pkg] = true
			}
		}
		if !seenPkg[pkg] {
			seenPkg[pkg] = true
			pkgs = append(pkgs, m)
		}
	}

	for _, m := range pkgs {
		pkg := m.Package.Path.String()
		a := as.GetPackageScope(m.Package)
		if a == nil {
			// The package may be split over several modules: find the annotated one.
			for _, name := range names {
				other := c.Modules[name]
				if other.Package.Path.Equal(m.Package.Path) {
					if a = as.GetPackageScope(other.Package); a != nil {
						break
					}
				}
			}
		}
		loc := m.Package.Location
		if a == nil {
			problems = append(problems, catalogueProblem(loc, "package %s has no METADATA annotation with scope: package describing its check", pkg))
			continue
		}
		ch, ps := checkFromAnnotations(pkg, a)
		problems = append(problems, ps...)
		if !hasResult[pkg] {
			problems = append(problems, catalogueProblem(a.Location, "check %s defines no result rule", ch.ID))
		}
		if len(ps) == 0 {
			checks = append(checks, ch)
		}
	}

	cat := Catalogue{byID: map[string]int{}}
	sort.SliceStable(checks, func(i, j int) bool {
		if checks[i].Step != checks[j].Step {
			return checks[i].Step < checks[j].Step
		}
		return checks[i].ID < checks[j].ID
	})
	for _, ch := range checks {
		if _, dup := cat.byID[ch.ID]; dup {
			problems = append(problems, Problem{Module: ch.Module, Line: ch.Line, Code: CodeCatalogue,
				Message: fmt.Sprintf("check id %s declared twice", ch.ID)})
			continue
		}
		cat.byID[ch.ID] = len(cat.Checks)
		cat.Checks = append(cat.Checks, ch)
	}
	for _, ch := range cat.Checks {
		for _, b := range ch.BlockedBy {
			if _, ok := cat.byID[b]; !ok {
				problems = append(problems, Problem{Module: ch.Module, Line: ch.Line, Code: CodeCatalogue,
					Message: fmt.Sprintf("check %s: blocked_by names unknown check %s", ch.ID, b)})
			}
			if b == ch.ID {
				problems = append(problems, Problem{Module: ch.Module, Line: ch.Line, Code: CodeCatalogue,
					Message: fmt.Sprintf("check %s: blocked by itself", ch.ID)})
			}
		}
	}
	return cat, problems
}

func catalogueProblem(loc *ast.Location, format string, args ...any) Problem {
	p := Problem{Code: CodeCatalogue, Message: fmt.Sprintf(format, args...)}
	if loc != nil {
		p.Module, p.Line, p.Column = loc.File, loc.Row, loc.Col
	}
	return p
}

// checkFromAnnotations reads one check from its package annotations; every missing or
// invalid field is a problem.
func checkFromAnnotations(pkg string, a *ast.Annotations) (Check, []Problem) {
	var ps []Problem
	bad := func(format string, args ...any) {
		ps = append(ps, catalogueProblem(a.Location, "package %s: %s", pkg, fmt.Sprintf(format, args...)))
	}
	ch := Check{
		Package:     pkg,
		Title:       strings.TrimSpace(a.Title),
		Description: strings.TrimSpace(a.Description),
		Custom:      a.Custom,
	}
	if a.Location != nil {
		ch.Module, ch.Line = a.Location.File, a.Location.Row
	}
	if ch.Title == "" {
		bad("title is required")
	}
	if ch.Description == "" {
		bad("description is required (why the check matters for pupils)")
	}
	cu := a.Custom
	if cu == nil {
		bad("custom annotations are required (id, severity, step, needs, fix)")
		return ch, ps
	}

	ch.ID = customString(cu, "id")
	want := strings.TrimPrefix(pkg, "data."+ChecksRoot+".")
	switch {
	case ch.ID == "":
		bad("custom.id is required")
	case !checkIDPattern.MatchString(ch.ID):
		bad("custom.id %q: want lower-case words separated by dots", ch.ID)
	case ch.ID != want:
		bad("custom.id %q does not match the package: want %q", ch.ID, want)
	}

	ch.Severity = Severity(customString(cu, "severity"))
	if ch.Severity.Rank() > 2 {
		bad("custom.severity %q: want blocker, error or warning", ch.Severity)
	}

	step, ok := customInt(cu, "step")
	if !ok || step < 0 || step > 13 {
		bad("custom.step: want an integer from 0 (no step) to 13, got %v", cu["step"])
	}
	ch.Step = step
	ch.StepNote = customString(cu, "step_note")

	var okNeeds bool
	ch.Needs, okNeeds = customStrings(cu, "needs")
	if !okNeeds {
		bad("custom.needs: want a list of sources (%s)", strings.Join(knownSources, ", "))
	}
	for _, s := range ch.Needs {
		if !slices.Contains(knownSources, s) {
			bad("custom.needs: unknown source %q", s)
		}
	}
	opt, okOpt := customStrings(cu, "optional")
	if !okOpt {
		bad("custom.optional: want a list of sources")
	}
	for _, s := range opt {
		if !slices.Contains(knownSources, s) {
			bad("custom.optional: unknown source %q", s)
		}
	}
	ch.Optional = opt
	switch m := customString(cu, "needs_mode"); m {
	case "", "all":
	case "any":
		ch.NeedsAny = true
	default:
		bad("custom.needs_mode %q: want all or any", m)
	}

	ch.Fix = strings.TrimSpace(customString(cu, "fix"))
	if ch.Fix == "" {
		bad("custom.fix is required (software, menu path, who)")
	}
	ch.Software = customString(cu, "software")
	ch.Who = customString(cu, "who")
	ch.FixStage = customString(cu, "fix_stage")
	if ch.FixStage == "" {
		bad("custom.fix_stage is required (%s)", strings.Join(FixStages, ", "))
	} else if !slices.Contains(FixStages, ch.FixStage) {
		bad("custom.fix_stage %q: want one of %s", ch.FixStage, strings.Join(FixStages, ", "))
	}
	var okBlocked bool
	ch.BlockedBy, okBlocked = customStrings(cu, "blocked_by")
	if !okBlocked {
		bad("custom.blocked_by: want a list of check ids")
	}
	return ch, ps
}

func customString(m map[string]any, key string) string {
	s, _ := m[key].(string)
	return strings.TrimSpace(s)
}

// customInt accepts the integer types YAML and JSON decoding produce.
func customInt(m map[string]any, key string) (int, bool) {
	switch v := m[key].(type) {
	case int:
		return v, true
	case int64:
		return int(v), true
	case uint64:
		return int(v), true
	case float64:
		if v == float64(int(v)) {
			return int(v), true
		}
	}
	return 0, false
}

// customStrings reads an optional list of strings; a missing key is an empty list.
func customStrings(m map[string]any, key string) ([]string, bool) {
	v, ok := m[key]
	if !ok || v == nil {
		return nil, true
	}
	list, ok := v.([]any)
	if !ok {
		return nil, false
	}
	out := make([]string, 0, len(list))
	for _, x := range list {
		s, ok := x.(string)
		if !ok {
			return nil, false
		}
		out = append(out, strings.TrimSpace(s))
	}
	return out, true
}
