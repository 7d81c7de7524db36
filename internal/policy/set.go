// Package policy is Vigie's only importer of OPA. It compiles a policy set once (Rego modules
// plus the academy's configuration), reads and validates the check catalogue from the
// modules' METADATA annotations, prepares the queries once, and evaluates them for many
// schools concurrently, each evaluation under a deadline. It also runs the Rego tests of a
// set with coverage, reports compile problems with their positions for policy authors, and
// answers authorisation questions from the authz policy. Everything it returns is plain Go.
package policy

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage"
	"github.com/open-policy-agent/opa/v1/storage/inmem"

	// The policies format dates in Europe/Paris: carry the time zone database in the binary.
	_ "time/tzdata"
)

// Defaults of the evaluation deadlines.
const (
	DefaultTimeout      = 2 * time.Second
	DefaultCheckTimeout = time.Second
)

// unsafeBuiltins may not appear in a policy set: a readiness check or an authorisation rule
// has no business reaching the network.
var unsafeBuiltins = map[string]struct{}{
	"http.send":          {},
	"net.lookup_ip_addr": {},
	"opa.runtime":        {},
}

type settings struct {
	academy      string
	version      string
	overrides    map[string]any
	timeout      time.Duration
	checkTimeout time.Duration
	strict       bool
	logger       *slog.Logger
}

// Option configures Compile.
type Option func(*settings)

// WithAcademy names the academy the set belongs to (informational; reported by Set.Academy).
func WithAcademy(code string) Option { return func(s *settings) { s.academy = code } }

// WithVersion names the version of the set (informational; reported by Set.Version).
func WithVersion(v string) Option { return func(s *settings) { s.version = v } }

// WithConfig sets the academy's configuration overrides, deep-merged at compile time over the
// national defaults (data.vigie.defaults.config) into data.vigie.config. Per-school overrides
// go under "schools": {"<UAI>": {...}}.
func WithConfig(overrides map[string]any) Option {
	return func(s *settings) { s.overrides = overrides }
}

// WithTimeout bounds one evaluation of every check for one school (default DefaultTimeout).
func WithTimeout(d time.Duration) Option { return func(s *settings) { s.timeout = d } }

// WithCheckTimeout bounds the evaluation of one check when checks are evaluated one by one
// after the single query failed (default DefaultCheckTimeout).
func WithCheckTimeout(d time.Duration) Option { return func(s *settings) { s.checkTimeout = d } }

// WithStrict compiles in OPA's strict mode: unused variables and imports, deprecated
// built-ins and the like become compile problems.
func WithStrict(strict bool) Option { return func(s *settings) { s.strict = strict } }

// WithLogger sets the logger (default: discard).
func WithLogger(l *slog.Logger) Option { return func(s *settings) { s.logger = l } }

// Set is a compiled policy set with its prepared queries. It is immutable and safe for
// concurrent use: compile it once per academy and version, share it between workers.
type Set struct {
	academy      string
	version      string
	catalogue    Catalogue
	config       map[string]any
	compiler     *ast.Compiler
	store        storage.Store
	all          rego.PreparedEvalQuery
	modes        rego.PreparedEvalQuery
	checks       map[string]rego.PreparedEvalQuery
	timeout      time.Duration
	checkTimeout time.Duration
	logger       *slog.Logger
}

// Academy returns the academy given with WithAcademy.
func (s *Set) Academy() string { return s.academy }

// Version returns the version given with WithVersion.
func (s *Set) Version() string { return s.version }

// Catalogue returns the checks of the set, read from their annotations.
func (s *Set) Catalogue() Catalogue { return s.catalogue }

// Config returns a copy of the effective configuration (national defaults merged with the
// academy overrides), as the policies see it in data.vigie.config.
func (s *Set) Config() map[string]any { return deepCopy(s.config) }

// Compile parses and compiles the non-test files of a policy set, reads and validates its
// catalogue, merges the configuration and prepares every query. A set that does not compile
// returns a *CompileError listing every problem with its module, line and column.
func Compile(ctx context.Context, files []File, opts ...Option) (*Set, error) {
	st := settings{timeout: DefaultTimeout, checkTimeout: DefaultCheckTimeout}
	for _, o := range opts {
		o(&st)
	}
	if st.logger == nil {
		st.logger = slog.New(slog.DiscardHandler)
	}

	var prod []File
	for _, f := range files {
		if !f.IsTest() {
			prod = append(prod, f)
		}
	}
	compiler, problems := compileFiles(prod, st.strict)
	if len(problems) > 0 {
		return nil, newCompileError(problems)
	}
	cat, problems := readCatalogue(compiler)
	if len(problems) > 0 {
		return nil, newCompileError(problems)
	}

	defaults, err := evalDefaults(ctx, compiler)
	if err != nil {
		return nil, err
	}
	config, err := normalise(mergeConfig(defaults, st.overrides))
	if err != nil {
		return nil, newCompileError([]Problem{{Module: configModule, Code: CodeConfig, Message: err.Error()}})
	}
	if problems := validateConfig(config, cat); len(problems) > 0 {
		return nil, newCompileError(problems)
	}

	store := inmem.NewFromObjectWithOpts(map[string]any{"vigie": map[string]any{"config": deepCopy(config)}},
		inmem.OptRoundTripOnWrite(true), inmem.OptReturnASTValuesOnRead(true))

	s := &Set{
		academy:      st.academy,
		version:      st.version,
		catalogue:    cat,
		config:       config,
		compiler:     compiler,
		store:        store,
		checks:       make(map[string]rego.PreparedEvalQuery, len(cat.Checks)),
		timeout:      st.timeout,
		checkTimeout: st.checkTimeout,
		logger:       st.logger,
	}
	if s.all, err = s.prepare(ctx, allQuery(cat)); err != nil {
		return nil, err
	}
	if s.modes, err = s.prepare(ctx, modesQuery(cat)); err != nil {
		return nil, err
	}
	for _, ch := range cat.Checks {
		q, err := s.prepare(ctx, "result := "+resultRef(ch.ID))
		if err != nil {
			return nil, err
		}
		s.checks[ch.ID] = q
	}
	return s, nil
}

// compileFiles parses and compiles files.
func compileFiles(files []File, strict bool) (*ast.Compiler, []Problem) {
	modules, problems := parseFiles(files)
	if len(problems) > 0 {
		return nil, problems
	}
	c := newCompiler(strict)
	c.Compile(modules)
	if c.Failed() {
		return nil, problemsFrom(c.Errors, false)
	}
	return c, nil
}

func newCompiler(strict bool) *ast.Compiler {
	caps := ast.CapabilitiesForThisVersion()
	kept := caps.Builtins[:0:0]
	for _, b := range caps.Builtins {
		if _, unsafe := unsafeBuiltins[b.Name]; !unsafe {
			kept = append(kept, b)
		}
	}
	caps.Builtins = kept
	return ast.NewCompiler().
		WithCapabilities(caps).
		WithDefaultRegoVersion(ast.RegoV1).
		WithStrict(strict).
		WithEnablePrintStatements(false)
}

func parserOptions() ast.ParserOptions {
	return ast.ParserOptions{RegoVersion: ast.RegoV1, ProcessAnnotation: true}
}

func parseFiles(files []File) (map[string]*ast.Module, []Problem) {
	modules := make(map[string]*ast.Module, len(files))
	var problems []Problem
	for _, f := range files {
		if f.Path == "" {
			problems = append(problems, Problem{Code: CodeFile, Message: "a policy file has no path"})
			continue
		}
		if _, dup := modules[f.Path]; dup {
			problems = append(problems, Problem{Module: f.Path, Code: CodeFile, Message: "file given twice"})
			continue
		}
		m, err := ast.ParseModuleWithOpts(f.Path, string(f.Text), parserOptions())
		if err != nil {
			problems = append(problems, problemsFrom(err, false)...)
			continue
		}
		if m == nil {
			problems = append(problems, Problem{Module: f.Path, Code: CodeFile, Message: "empty module: a package declaration is required"})
			continue
		}
		modules[f.Path] = m
	}
	return modules, problems
}

func (s *Set) prepare(ctx context.Context, query string) (rego.PreparedEvalQuery, error) {
	body, err := ast.ParseBodyWithOpts(query, ast.ParserOptions{RegoVersion: ast.RegoV1})
	if err != nil {
		return rego.PreparedEvalQuery{}, fmt.Errorf("parse query %q: %w", query, err)
	}
	pq, err := rego.New(
		rego.ParsedQuery(body),
		rego.Compiler(s.compiler),
		rego.Store(s.store),
		rego.SetRegoVersion(ast.RegoV1),
	).PrepareForEval(ctx)
	if err != nil {
		// The modules compiled, so a query that does not is a broken library (e.g. a check_mode
		// function missing): the author's problem, reported with positions when OPA gives them.
		return rego.PreparedEvalQuery{}, newCompileError(problemsFrom(err, false))
	}
	return pq, nil
}

// resultRef is the reference to a check's result; ids are validated identifiers.
func resultRef(id string) string { return "data." + ChecksRoot + "." + id + ".result" }

// modesQuery computes every check's mode (enforce, monitor, off) with the library's
// check_mode, which reads the configuration for the school and the day.
func modesQuery(cat Catalogue) string {
	return "modes := {id: m | some id in " + idList(cat) + "; m := data.vigie.lib.check_mode(id)}"
}

// allQuery evaluates every check in one query. Each result is wrapped in an array so that an
// undefined result leaves that check's array empty instead of making the whole query
// undefined; checks switched off are not evaluated.
func allQuery(cat Catalogue) string {
	var b strings.Builder
	b.WriteString(modesQuery(cat))
	b.WriteString("; results := {")
	for i, ch := range cat.Checks {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%q: [r | modes[%q] != \"off\"; r := %s]", ch.ID, ch.ID, resultRef(ch.ID))
	}
	b.WriteString("}")
	return b.String()
}

func idList(cat Catalogue) string {
	var b strings.Builder
	b.WriteString("[")
	for i, ch := range cat.Checks {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%q", ch.ID)
	}
	b.WriteString("]")
	return b.String()
}

func evalDefaults(ctx context.Context, c *ast.Compiler) (map[string]any, error) {
	rs, err := rego.New(
		rego.Query("data.vigie.defaults.config"),
		rego.Compiler(c),
		rego.Store(inmem.New()),
		rego.SetRegoVersion(ast.RegoV1),
	).Eval(ctx)
	if err != nil {
		return nil, newCompileError(append(problemsFrom(err, false),
			Problem{Code: CodeConfig, Message: "evaluate data.vigie.defaults.config: " + err.Error()}))
	}
	if len(rs) == 0 || len(rs[0].Expressions) == 0 {
		return map[string]any{}, nil
	}
	m, ok := rs[0].Expressions[0].Value.(map[string]any)
	if !ok {
		return nil, newCompileError([]Problem{{Code: CodeConfig, Message: "data.vigie.defaults.config is not an object"}})
	}
	return m, nil
}

// mergeConfig deep-merges overrides over defaults: objects merge key by key, anything else
// (including null) replaces.
func mergeConfig(defaults, overrides map[string]any) map[string]any {
	out := deepCopy(defaults)
	for k, v := range overrides {
		if vm, ok := v.(map[string]any); ok {
			if dm, ok := out[k].(map[string]any); ok {
				out[k] = mergeConfig(dm, vm)
				continue
			}
		}
		out[k] = deepCopyValue(v)
	}
	return out
}

// normalise gives the configuration plain JSON types (float64 numbers, []any, map[string]any)
// whatever the caller passed: the policies and Config see one representation.
func normalise(m map[string]any) (map[string]any, error) {
	b, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("encode configuration: %w", err)
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, fmt.Errorf("decode configuration: %w", err)
	}
	return out, nil
}

func deepCopy(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = deepCopyValue(v)
	}
	return out
}

func deepCopyValue(v any) any {
	switch x := v.(type) {
	case map[string]any:
		return deepCopy(x)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = deepCopyValue(e)
		}
		return out
	default:
		return x
	}
}
