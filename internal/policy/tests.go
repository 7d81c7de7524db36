package policy

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/cover"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
	"github.com/open-policy-agent/opa/v1/tester"
	"github.com/open-policy-agent/opa/v1/topdown"
)

// TestOptions configures RunTests.
type TestOptions struct {
	Coverage bool          // measure coverage per module
	Timeout  time.Duration // per test (default 5 s)
	Filter   string        // regular expression on test names; empty runs all
	Parallel int           // tests run at once (default: number of CPUs)
}

// Test outcomes.
const (
	TestPass  = "pass"
	TestFail  = "fail"
	TestError = "error"
	TestSkip  = "skip"
)

// TestResult is the outcome of one Rego test.
type TestResult struct {
	Package  string        `json:"package"` // data.vigie.checks.sts.divisions_present
	Name     string        `json:"name"`    // test_pass
	Module   string        `json:"module"`
	Line     int           `json:"line"`
	Outcome  string        `json:"outcome"` // pass, fail, error, skip
	Message  string        `json:"message,omitempty"`
	Duration time.Duration `json:"duration"`
}

// LineRange is an inclusive range of lines.
type LineRange struct {
	Start int `json:"start"`
	End   int `json:"end"`
}

// ModuleCoverage is the coverage of one module by the tests.
type ModuleCoverage struct {
	Module          string      `json:"module"`
	Percent         float64     `json:"percent"`
	CoveredLines    int         `json:"covered_lines"`
	NotCoveredLines int         `json:"not_covered_lines"`
	NotCovered      []LineRange `json:"not_covered,omitempty"`
}

// Coverage of the policies (test modules excluded).
type Coverage struct {
	Percent         float64          `json:"percent"`
	CoveredLines    int              `json:"covered_lines"`
	NotCoveredLines int              `json:"not_covered_lines"`
	Modules         []ModuleCoverage `json:"modules"`
}

// TestReport is the outcome of the Rego tests of a set.
type TestReport struct {
	Results  []TestResult  `json:"results"` // module, line order
	Passed   int           `json:"passed"`
	Failed   int           `json:"failed"`
	Errored  int           `json:"errored"`
	Skipped  int           `json:"skipped"`
	Coverage *Coverage     `json:"coverage,omitempty"`
	Duration time.Duration `json:"duration"`
}

// OK tells whether every test passed (skipped tests aside) and at least one ran.
func (r *TestReport) OK() bool { return r.Failed == 0 && r.Errored == 0 && r.Passed > 0 }

// RunTests compiles every file of a set, tests included, and runs the Rego tests (rules named
// test_*) as `opa test` does, without Vigie's configuration data: policies fall back on
// their defaults. A set that does not compile returns a *CompileError.
func RunTests(ctx context.Context, files []File, opts TestOptions) (*TestReport, error) {
	start := time.Now()
	modules, problems := parseFiles(files)
	if len(problems) > 0 {
		return nil, newCompileError(problems)
	}
	runner := tester.NewRunner().
		SetCompiler(newCompiler(false)).
		SetStore(inmem.New()).
		SetModules(modules).
		SetDefaultRegoVersion(ast.RegoV1).
		CapturePrintOutput(true).
		EnableTracing(false)
	if opts.Timeout > 0 {
		runner = runner.SetTimeout(opts.Timeout)
	}
	if opts.Filter != "" {
		runner = runner.Filter(opts.Filter)
	}
	if opts.Parallel > 0 {
		runner = runner.SetParallel(opts.Parallel)
	}
	var cov *cover.Cover
	if opts.Coverage {
		cov = cover.New()
		runner = runner.SetCoverageQueryTracer(cov).SetCoverageRuns(nil)
	}
	ch, err := runner.RunTests(ctx, nil)
	if err != nil {
		if ps := problemsFrom(err, false); len(ps) > 0 && ps[0].Code != "rego_error" {
			return nil, newCompileError(ps)
		}
		return nil, fmt.Errorf("run rego tests: %w", err)
	}
	rep := &TestReport{}
	for r := range ch {
		tr := TestResult{Package: r.Package, Name: r.Name, Duration: r.Duration}
		if r.Location != nil {
			tr.Module, tr.Line = r.Location.File, r.Location.Row
		}
		switch {
		case r.Skip:
			tr.Outcome = TestSkip
			rep.Skipped++
		case r.Error != nil:
			tr.Outcome, tr.Message = TestError, testErrorMessage(r.Error)
			rep.Errored++
		case r.Fail:
			tr.Outcome = TestFail
			rep.Failed++
		default:
			tr.Outcome = TestPass
			rep.Passed++
		}
		if len(r.Output) > 0 {
			tr.Message = strings.TrimSpace(tr.Message + "\n" + string(r.Output))
		}
		rep.Results = append(rep.Results, tr)
	}
	if ctx.Err() != nil {
		return nil, fmt.Errorf("run rego tests: %w", ctx.Err())
	}
	locateFailures(ctx, modules, rep.Results, opts)
	sort.Slice(rep.Results, func(i, j int) bool {
		a, b := rep.Results[i], rep.Results[j]
		if a.Module != b.Module {
			return a.Module < b.Module
		}
		return a.Line < b.Line
	})
	if cov != nil {
		rep.Coverage = coverageOf(cov, modules)
	}
	rep.Duration = time.Since(start)
	return rep, nil
}

// maxTraced bounds the failing tests rerun with tracing to find where they fail.
const maxTraced = 20

// locateFailures reruns the failing tests with tracing (costly, so only them) and names the
// expression of the test body that failed: the tester of OPA v1.22.3 does not report it.
func locateFailures(ctx context.Context, modules map[string]*ast.Module, results []TestResult, opts TestOptions) {
	var names []string
	byName := map[string]*TestResult{}
	for i := range results {
		r := &results[i]
		if r.Outcome == TestFail && len(names) < maxTraced {
			full := r.Package + "." + r.Name
			names = append(names, regexp.QuoteMeta(full))
			byName[full] = r
		}
	}
	if len(names) == 0 {
		return
	}
	runner := tester.NewRunner().
		SetCompiler(newCompiler(false)).
		SetStore(inmem.New()).
		SetModules(modules).
		SetDefaultRegoVersion(ast.RegoV1).
		CapturePrintOutput(true).
		EnableTracing(true).
		Filter("^(" + strings.Join(names, "|") + ")$")
	if opts.Timeout > 0 {
		runner = runner.SetTimeout(opts.Timeout)
	}
	ch, err := runner.RunTests(ctx, nil)
	if err != nil {
		return
	}
	for r := range ch {
		tr, ok := byName[r.Package+"."+r.Name]
		if !ok || r.Location == nil {
			continue
		}
		if e := lastFailure(r.Trace, r.Location); e != nil {
			tr.Message = fmt.Sprintf("failed at line %d: %s", e.Location.Row, e.String())
		}
	}
}

// lastFailure is the last expression of the test's own module, at or after the test's line,
// that failed: the outermost failing expression of the test body.
func lastFailure(trace []*topdown.Event, test *ast.Location) *ast.Expr {
	var last *ast.Expr
	for _, ev := range trace {
		if ev.Op != topdown.FailOp || ev.Location == nil || ev.Location.File != test.File || ev.Location.Row < test.Row {
			continue
		}
		if e, ok := ev.Node.(*ast.Expr); ok {
			last = e
		}
	}
	return last
}

func testErrorMessage(err error) string {
	var te *topdown.Error
	if errors.As(err, &te) && te.Location != nil {
		return fmt.Sprintf("%s:%d: %s", te.Location.File, te.Location.Row, te.Message)
	}
	return err.Error()
}

// coverageOf reports coverage of the policy modules: test modules are covered by definition
// and would only inflate the figure.
func coverageOf(cov *cover.Cover, modules map[string]*ast.Module) *Coverage {
	policies := make(map[string]*ast.Module, len(modules))
	for name, m := range modules {
		if !strings.HasSuffix(name, "_test.rego") {
			policies[name] = m
		}
	}
	rep := cov.Report(policies)
	out := &Coverage{}
	names := make([]string, 0, len(rep.Files))
	for name := range rep.Files {
		if _, ok := policies[name]; ok {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	for _, name := range names {
		fr := rep.Files[name]
		mc := ModuleCoverage{Module: name, CoveredLines: fr.CoveredLines, NotCoveredLines: fr.NotCoveredLines, Percent: fr.Coverage}
		if fr.CoveredLines+fr.NotCoveredLines > 0 && fr.NotCoveredLines == 0 {
			mc.Percent = 100
		}
		for _, r := range fr.NotCovered {
			mc.NotCovered = append(mc.NotCovered, LineRange{Start: r.Start.Row, End: r.End.Row})
		}
		out.CoveredLines += fr.CoveredLines
		out.NotCoveredLines += fr.NotCoveredLines
		out.Modules = append(out.Modules, mc)
	}
	if total := out.CoveredLines + out.NotCoveredLines; total > 0 {
		out.Percent = 100 * float64(out.CoveredLines) / float64(total)
	}
	return out
}

// Diagnostics are the problems of a policy set for its author.
type Diagnostics struct {
	Problems []Problem `json:"problems"` // the set does not compile with them
	Strict   []Problem `json:"strict"`   // strict-mode problems; the set compiles nonetheless
}

// Diagnose compiles files (tests included) normally, then, when that succeeds, in strict mode,
// and reports both kinds of problems with their positions. It also validates the catalogue.
func Diagnose(files []File) Diagnostics {
	var d Diagnostics
	c, problems := compileFiles(files, false)
	if len(problems) > 0 {
		sortProblems(problems)
		d.Problems = problems
		return d
	}
	if _, problems := readCatalogue(c); len(problems) > 0 {
		sortProblems(problems)
		d.Problems = problems
	}
	if _, strict := compileFiles(files, true); len(strict) > 0 {
		for i := range strict {
			strict[i].Strict = true
		}
		sortProblems(strict)
		d.Strict = strict
	}
	return d
}
