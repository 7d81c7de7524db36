package policy

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
)

// StepsQuery is the rule the campaign policy (policies/campaign) must define: the set of what
// a school's files show about each step of the campaign.
const StepsQuery = "data.vigie.campaign.observations"

// StepRules derives the state of the campaign steps from a school's facts and latest report.
// Compile once, evaluate for many schools; it is safe for concurrent use.
type StepRules struct {
	query   rego.PreparedEvalQuery
	timeout time.Duration
}

// StepObservation is what the files show about one step.
type StepObservation struct {
	Step     int
	State    string // done, in_progress or not_started
	Evidence string // French
	At       time.Time
}

// CompileStepRules compiles the non-test files of a campaign policy and prepares its query.
func CompileStepRules(ctx context.Context, files []File) (*StepRules, error) {
	var prod []File
	for _, f := range files {
		if !f.IsTest() {
			prod = append(prod, f)
		}
	}
	c, problems := compileFiles(prod, false)
	if len(problems) > 0 {
		return nil, newCompileError(problems)
	}
	pq, err := rego.New(
		rego.Query(StepsQuery),
		rego.Compiler(c),
		rego.Store(inmem.New()),
		rego.SetRegoVersion(ast.RegoV1),
	).PrepareForEval(ctx)
	if err != nil {
		return nil, newCompileError(problemsFrom(err, false))
	}
	return &StepRules{query: pq, timeout: DefaultTimeout}, nil
}

// Observe evaluates the rules for one school, whose input is the readiness input plus
// "report". Steps come out in order; a malformed observation is an error naming it.
func (r *StepRules) Observe(ctx context.Context, in Input) ([]StepObservation, error) {
	if in.v == nil {
		return nil, fmt.Errorf("observe campaign steps: empty input")
	}
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	rs, err := r.query.Eval(ctx, rego.EvalParsedInput(in.v))
	if err != nil {
		return nil, fmt.Errorf("observe campaign steps: %w", err)
	}
	if len(rs) == 0 || len(rs[0].Expressions) == 0 {
		return nil, nil // the policy says nothing about this school
	}
	list, ok := rs[0].Expressions[0].Value.([]any)
	if !ok {
		return nil, fmt.Errorf("observe campaign steps: %s is not a set", StepsQuery)
	}
	out := make([]StepObservation, 0, len(list))
	seen := map[int]bool{}
	for _, x := range list {
		o, err := stepObservation(x)
		if err != nil {
			return nil, fmt.Errorf("observe campaign steps: %w", err)
		}
		if seen[o.Step] {
			return nil, fmt.Errorf("observe campaign steps: step %d observed twice", o.Step)
		}
		seen[o.Step] = true
		out = append(out, o)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Step < out[j].Step })
	return out, nil
}

func stepObservation(x any) (StepObservation, error) {
	m, ok := x.(map[string]any)
	if !ok {
		return StepObservation{}, fmt.Errorf("an observation is not an object: %v", x)
	}
	var o StepObservation
	switch n := m["step"].(type) {
	case json.Number:
		i, err := n.Int64()
		if err != nil {
			return o, fmt.Errorf("observation step %v: %w", n, err)
		}
		o.Step = int(i)
	case float64:
		o.Step = int(n)
	default:
		return o, fmt.Errorf("observation without a step number: %v", m)
	}
	if o.Step < 1 || o.Step > 13 {
		return o, fmt.Errorf("observation of step %d: want 1 to 13", o.Step)
	}
	o.State, _ = m["state"].(string)
	o.Evidence, _ = m["evidence"].(string)
	if s, _ := m["at"].(string); s != "" {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			return o, fmt.Errorf("observation of step %d: time %q: %w", o.Step, s, err)
		}
		o.At = t
	}
	if o.State == "" {
		return o, fmt.Errorf("observation of step %d has no state", o.Step)
	}
	return o, nil
}
