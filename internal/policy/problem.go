package policy

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/vigie-edu/vigie/internal/apperr"
)

// Problem codes Vigie adds to OPA's (rego_parse_error, rego_compile_error, rego_type_error,
// rego_unsafe_var_error, rego_recursion_error).
const (
	CodeCatalogue = "vigie_catalogue_error" // a check's METADATA is missing, invalid or duplicated
	CodeConfig    = "vigie_config_error"    // the configuration (defaults or overrides) is invalid
	CodeFile      = "vigie_file_error"      // a file cannot be used as a policy module
)

// Problem is one error in a policy set, positioned for the author: module (file path as
// given in File.Path), 1-based line and column (0 when unknown).
type Problem struct {
	Module  string `json:"module"`
	Line    int    `json:"line"`
	Column  int    `json:"column"`
	Code    string `json:"code"`
	Message string `json:"message"`
	// Strict is true for problems reported only by OPA's strict mode (unused imports and
	// variables, deprecated built-ins, ...): the set compiles without them.
	Strict bool `json:"strict,omitempty"`
}

func (p Problem) String() string {
	var b strings.Builder
	if p.Module != "" {
		b.WriteString(p.Module)
		if p.Line > 0 {
			fmt.Fprintf(&b, ":%d", p.Line)
			if p.Column > 0 {
				fmt.Fprintf(&b, ":%d", p.Column)
			}
		}
		b.WriteString(": ")
	}
	b.WriteString(p.Code)
	b.WriteString(": ")
	b.WriteString(p.Message)
	return b.String()
}

// CompileError is a policy set that does not compile: every problem found, in module, line,
// column order. It matches apperr.ErrInvalid: a bad policy is user input.
type CompileError struct {
	Problems []Problem
}

func (e *CompileError) Error() string {
	if len(e.Problems) == 0 {
		return "compile policies: no problem recorded"
	}
	msgs := make([]string, 0, len(e.Problems))
	for _, p := range e.Problems {
		msgs = append(msgs, p.String())
	}
	return fmt.Sprintf("compile policies: %d problem(s): %s", len(e.Problems), strings.Join(msgs, "; "))
}

// Is makes a CompileError match apperr.ErrInvalid.
func (e *CompileError) Is(target error) bool { return target == apperr.ErrInvalid }

func newCompileError(problems []Problem) *CompileError {
	sortProblems(problems)
	return &CompileError{Problems: problems}
}

func sortProblems(ps []Problem) {
	sort.SliceStable(ps, func(i, j int) bool {
		a, b := ps[i], ps[j]
		if a.Module != b.Module {
			return a.Module < b.Module
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Column < b.Column
	})
}

// problemsFrom converts what OPA returns (ast.Errors, a single *ast.Error, or anything else)
// into problems.
func problemsFrom(err error, strict bool) []Problem {
	if err == nil {
		return nil
	}
	var errs ast.Errors
	if errors.As(err, &errs) {
		out := make([]Problem, 0, len(errs))
		for _, e := range errs {
			out = append(out, problemFromAST(e, strict))
		}
		return out
	}
	var one *ast.Error
	if errors.As(err, &one) {
		return []Problem{problemFromAST(one, strict)}
	}
	return []Problem{{Code: "rego_error", Message: err.Error(), Strict: strict}}
}

func problemFromAST(e *ast.Error, strict bool) Problem {
	p := Problem{Code: e.Code, Message: e.Message, Strict: strict}
	if e.Location != nil {
		p.Module = e.Location.File
		p.Line = e.Location.Row
		p.Column = e.Location.Col
	}
	return p
}
