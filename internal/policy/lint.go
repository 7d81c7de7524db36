package policy

import (
	"bytes"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/format"
)

// Lint rules of Vigie. Regal (OPA's linter) is not served by the Go module proxy this project
// builds with, so Vigie checks a few rules of its own on top of OPA's strict mode. The rules
// that decide whether a set can be used at all (METADATA of every check, unique ids, valid
// severities) are not lint: they are catalogue problems, which make Compile fail.
const (
	RuleFormat       = "opa-fmt"        // the module is not as `opa fmt` writes it
	RuleUntested     = "check-untested" // a check has no Rego test in its package
	RuleUnknownInput = "unknown-input"  // a reference to an input field the policy input has not
	RulePrint        = "print-call"     // print() in a policy: switched off when Vigie evaluates
)

// Severities of findings.
const (
	FindingWarning = "warning"
	FindingInfo    = "info"
)

// Finding is one lint finding, positioned like a Problem. Findings never prevent a set from
// being published.
type Finding struct {
	Rule     string `json:"rule"`
	Severity string `json:"severity"` // warning or info
	Module   string `json:"module"`
	Line     int    `json:"line"`
	Column   int    `json:"column"`
	Message  string `json:"message"` // French, for the author
}

func (f Finding) String() string {
	return fmt.Sprintf("%s:%d:%d: %s (%s): %s", f.Module, f.Line, f.Column, f.Rule, f.Severity, f.Message)
}

// inputFields are the top-level fields of the policy input (docs/design.md, "The policy
// input"); schoolFields those of input.school; factFields those of the fact snapshot
// (internal/fact; a test keeps the list in step with its JSON tags).
var (
	inputFields  = []string{"uai", "school_year", "now", "today", "school", "facts"}
	schoolFields = []string{"uai", "name", "kind", "uses_groups", "academy", "departement"}
	factFields   = []string{"version", "uai", "school_year", "as_of", "sources", "divisions", "groups",
		"pupils", "teachers", "ent", "history"}
)

// FactFields returns the fields of the fact snapshot the lint rule unknown-input knows.
func FactFields() []string { return slices.Clone(factFields) }

// Lint checks the project's rules on files (tests included). Files that do not parse are
// skipped: Diagnose reports them.
func Lint(files []File) []Finding {
	var out []Finding
	modules := map[string]*ast.Module{}
	var paths []string
	for _, f := range files {
		m, err := ast.ParseModuleWithOpts(f.Path, string(f.Text), parserOptions())
		if err != nil || m == nil {
			continue
		}
		modules[f.Path] = m
		paths = append(paths, f.Path)
		if formatted, err := Format(f); err == nil && !bytes.Equal(formatted, f.Text) {
			out = append(out, Finding{Rule: RuleFormat, Severity: FindingInfo, Module: f.Path,
				Line: firstDifference(f.Text, formatted), Column: 1,
				Message: "le module n'est pas mis en forme comme `opa fmt` (vigie policy fmt le corrige)"})
		}
	}
	sort.Strings(paths)

	tested := map[string]bool{}
	for _, p := range paths {
		if !strings.HasSuffix(p, "_test.rego") {
			continue
		}
		m := modules[p]
		for _, r := range m.Rules {
			if strings.HasPrefix(r.Head.Name.String(), "test_") || strings.HasPrefix(r.Head.Ref().String(), "test_") {
				tested[m.Package.Path.String()] = true
				break
			}
		}
	}

	root := ast.MustParseRef("data." + ChecksRoot)
	seen := map[string]bool{}
	for _, p := range paths {
		if strings.HasSuffix(p, "_test.rego") {
			continue
		}
		m := modules[p]
		pkg := m.Package.Path.String()
		isCheck := m.Package.Path.HasPrefix(root) && len(m.Package.Path) > len(root)
		if isCheck && !seen[pkg] && !tested[pkg] {
			seen[pkg] = true
			out = append(out, finding(RuleUntested, FindingWarning, m.Package.Location,
				"le contrôle %s n'a aucun test Rego (règle test_… dans un fichier *_test.rego du même paquet)", strings.TrimPrefix(pkg, "data.")))
		}
		if isCheck || strings.HasPrefix(pkg, "data.vigie.lib") {
			out = append(out, unknownInputs(m)...)
		}
		ast.WalkExprs(m, func(e *ast.Expr) bool {
			if e.IsCall() && e.Operator().String() == "print" {
				out = append(out, finding(RulePrint, FindingWarning, e.Location,
					"print() est ignoré quand Vigie évalue les contrôles ; à réserver aux tests"))
			}
			return false
		})
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Module != b.Module {
			return a.Module < b.Module
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Column < b.Column
	})
	return out
}

// unknownInputs finds references such as input.facts.divison or input.scholl: a typo there
// leaves a rule undefined, and a check built on it could pass on data it never read.
func unknownInputs(m *ast.Module) []Finding {
	var out []Finding
	ast.WalkRefs(m, func(r ast.Ref) bool {
		if len(r) < 2 || !r[0].Equal(ast.InputRootDocument) {
			return false
		}
		key, ok := r[1].Value.(ast.String)
		if !ok {
			return false
		}
		loc := r[0].Location
		if !slices.Contains(inputFields, string(key)) {
			out = append(out, finding(RuleUnknownInput, FindingWarning, loc,
				"input.%s n'existe pas dans l'entrée des règles (champs : %s)", string(key), strings.Join(inputFields, ", ")))
			return false
		}
		if len(r) < 3 {
			return false
		}
		sub, ok := r[2].Value.(ast.String)
		if !ok {
			return false
		}
		switch string(key) {
		case "facts":
			if !slices.Contains(factFields, string(sub)) {
				out = append(out, finding(RuleUnknownInput, FindingWarning, loc,
					"input.facts.%s n'existe pas dans l'instantané (champs : %s)", string(sub), strings.Join(factFields, ", ")))
			}
		case "school":
			if !slices.Contains(schoolFields, string(sub)) {
				out = append(out, finding(RuleUnknownInput, FindingWarning, loc,
					"input.school.%s n'existe pas (champs : %s)", string(sub), strings.Join(schoolFields, ", ")))
			}
		}
		return false
	})
	return out
}

func finding(rule, severity string, loc *ast.Location, format string, args ...any) Finding {
	f := Finding{Rule: rule, Severity: severity, Message: fmt.Sprintf(format, args...)}
	if loc != nil {
		f.Module, f.Line, f.Column = loc.File, loc.Row, loc.Col
	}
	return f
}

// firstDifference is the first line (1-based) where a and b differ.
func firstDifference(a, b []byte) int {
	la, lb := bytes.Split(a, []byte("\n")), bytes.Split(b, []byte("\n"))
	for i := 0; i < len(la) && i < len(lb); i++ {
		if !bytes.Equal(la[i], lb[i]) {
			return i + 1
		}
	}
	return min(len(la), len(lb)) + 1
}

// Format returns the module as `opa fmt` writes it (Rego v1). A module that does not parse
// returns a *CompileError with its positions.
func Format(f File) ([]byte, error) {
	popts := parserOptions()
	out, err := format.SourceWithOpts(f.Path, f.Text, format.Opts{RegoVersion: ast.RegoV1, ParserOptions: &popts})
	if err != nil {
		if ps := problemsFrom(err, false); len(ps) > 0 && ps[0].Code != "rego_error" {
			return nil, newCompileError(ps)
		}
		return nil, fmt.Errorf("format %s: %w", f.Path, err)
	}
	return out, nil
}
