package authoring

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/vigie-edu/vigie/internal/apperr"
	"github.com/vigie-edu/vigie/internal/campaign"
	"github.com/vigie-edu/vigie/internal/policy"
	"github.com/vigie-edu/vigie/internal/store"
)

// CheckReport is what an author sees after every save: can the set be published, and why not.
type CheckReport struct {
	// OK: the set compiles (with its configuration) and every Rego test passes: publishable.
	OK       bool `json:"ok"`
	Compiles bool `json:"compiles"`
	// Problems prevent compiling: parse, compile, type, catalogue (METADATA, ids, severities)
	// and configuration errors, each with module, line and column.
	Problems []policy.Problem `json:"problems"`
	// Strict are OPA strict-mode problems (unused variables and imports, deprecated
	// built-ins...): shown, not blocking.
	Strict []policy.Problem `json:"strict"`
	// Lint are the project's lint findings: shown, not blocking.
	Lint []policy.Finding `json:"lint"`
	// Tests are the Rego tests' results with coverage per module; nil when the set does not
	// compile.
	Tests      *policy.TestReport `json:"tests"`
	Checks     int                `json:"checks"` // checks in the catalogue
	DurationMS int64              `json:"duration_ms"`
}

// Summary condenses a report for lists and for the version's gates.
type Summary struct {
	OK        bool      `json:"ok"`
	Compiles  bool      `json:"compiles"`
	Problems  int       `json:"problems"`
	Strict    int       `json:"strict"`
	Lint      int       `json:"lint"`
	Passed    int       `json:"tests_passed"`
	Failed    int       `json:"tests_failed"`
	Coverage  float64   `json:"coverage_pct"`
	CheckedAt time.Time `json:"checked_at"`
}

// Summary returns the summary of the report.
func (r *CheckReport) Summary(at time.Time) Summary {
	s := Summary{OK: r.OK, Compiles: r.Compiles, Problems: len(r.Problems), Strict: len(r.Strict), Lint: len(r.Lint), CheckedAt: at.UTC()}
	if r.Tests != nil {
		s.Passed, s.Failed = r.Tests.Passed, r.Tests.Failed+r.Tests.Errored
		if r.Tests.Coverage != nil {
			s.Coverage = r.Tests.Coverage.Percent
		}
	}
	return s
}

func (r *CheckReport) summaryJSON(at time.Time) json.RawMessage {
	b, _ := json.Marshal(r.Summary(at)) // plain fields: cannot fail
	return b
}

// Check runs every check of a content for an academy: compilation (normal, strict, with the
// configuration), lint and the Rego tests with coverage. It returns the compiled set when it
// compiles. Only the caller's context ending is an error.
func (s *Service) Check(ctx context.Context, academy campaign.Academy, c store.PolicyContent, label string) (*CheckReport, *policy.Set, error) {
	// A content is checked once: the publication that follows a save finds its report here.
	key := academy.Code + "/" + Digest(s.source.NationalVersion(), c)
	s.mu.Lock()
	cached, ok := s.reports[key]
	s.mu.Unlock()
	if ok {
		if !cached.Compiles {
			return cached, nil, nil
		}
		set, err := s.compiled(ctx, academy, c, label)
		if err == nil {
			return cached, set, nil
		}
	}
	rep, set, err := s.check(ctx, academy, c, label)
	if err != nil {
		return nil, nil, err
	}
	s.mu.Lock()
	if _, ok := s.reports[key]; !ok {
		s.reports[key] = rep
		s.reportOrder = append(s.reportOrder, key)
		if len(s.reportOrder) > 4*maxCachedSets {
			delete(s.reports, s.reportOrder[0])
			s.reportOrder = s.reportOrder[1:]
		}
	}
	s.mu.Unlock()
	return rep, set, nil
}

func (s *Service) check(ctx context.Context, academy campaign.Academy, c store.PolicyContent, label string) (*CheckReport, *policy.Set, error) {
	start := time.Now()
	rep := &CheckReport{Problems: []policy.Problem{}, Strict: []policy.Problem{}, Lint: []policy.Finding{}}
	if err := ValidateContent(c); err != nil {
		rep.Problems = append(rep.Problems, policy.Problem{Code: policy.CodeFile, Message: err.Error()})
		rep.DurationMS = time.Since(start).Milliseconds()
		return rep, nil, nil
	}
	files := s.source.Files(c)
	d := policy.Diagnose(files)
	rep.Problems = append(rep.Problems, d.Problems...)
	rep.Strict = append(rep.Strict, d.Strict...)
	rep.Lint = append(rep.Lint, policy.Lint(files)...)
	var set *policy.Set
	if len(rep.Problems) == 0 {
		var err error
		set, err = s.compiled(ctx, academy, c, label)
		var ce *policy.CompileError
		switch {
		case errors.As(err, &ce):
			rep.Problems = append(rep.Problems, ce.Problems...)
		case err != nil:
			if ctx.Err() != nil {
				return nil, nil, fmt.Errorf("check policies: %w", ctx.Err())
			}
			rep.Problems = append(rep.Problems, policy.Problem{Code: "rego_error", Message: err.Error()})
		}
	}
	rep.Compiles = len(rep.Problems) == 0
	if rep.Compiles {
		rep.Checks = len(set.Catalogue().Checks)
		tr, err := policy.RunTests(ctx, files, policy.TestOptions{Coverage: true, Timeout: s.opts.TestTimeout})
		var ce *policy.CompileError
		switch {
		case errors.As(err, &ce):
			rep.Problems = append(rep.Problems, ce.Problems...)
			rep.Compiles = false
		case err != nil:
			if ctx.Err() != nil {
				return nil, nil, fmt.Errorf("check policies: %w", ctx.Err())
			}
			return nil, nil, err
		default:
			rep.Tests = tr
		}
	}
	rep.OK = rep.Compiles && rep.Tests != nil && rep.Tests.OK()
	rep.DurationMS = time.Since(start).Milliseconds()
	if !rep.Compiles {
		set = nil
	}
	return rep, set, nil
}

// GateError refuses a publication or a rollback whose set does not compile or whose tests
// fail. It matches apperr.ErrInvalid: the author can fix it.
type GateError struct {
	Report *CheckReport
	// What was refused, in French; default "publication refusée".
	What string
}

func (e *GateError) Error() string {
	var why []string
	if !e.Report.Compiles {
		n := len(e.Report.Problems)
		first := ""
		if n > 0 {
			first = " (" + e.Report.Problems[0].String() + ")"
		}
		why = append(why, fmt.Sprintf("%d erreur(s) de compilation%s", n, first))
	}
	if t := e.Report.Tests; t != nil && !t.OK() {
		if t.Passed == 0 && t.Failed+t.Errored == 0 {
			why = append(why, "aucun test Rego")
		} else {
			why = append(why, fmt.Sprintf("%d test(s) Rego en échec", t.Failed+t.Errored))
		}
	}
	what := e.What
	if what == "" {
		what = "publication refusée"
	}
	return what + " : " + strings.Join(why, " ; ")
}

// Is makes a GateError match apperr.ErrInvalid.
func (e *GateError) Is(target error) bool { return target == apperr.ErrInvalid }
