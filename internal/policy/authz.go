package policy

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
)

// AuthzQuery is the rule the authorisation policy must define: {"allow": bool, "scope": ...}.
const AuthzQuery = "data.vigie.authz.decision"

// Grant gives a role in an academy; school_admin grants list the UAIs they cover.
type Grant struct {
	Academy string
	Role    string // supervisor, policy_author, school_admin, or any role the policy knows
	UAIs    []string
}

// Subject is who asks.
type Subject struct {
	ID            string
	Grants        []Grant
	PlatformAdmin bool
}

// Request is one authorisation question: may Subject do Action on the resource?
type Request struct {
	Subject Subject
	Action  string // e.g. "school.read"; the policy denies actions it does not know
	Academy string // resource academy, empty for platform actions
	UAI     string // resource school, empty for academy-wide actions
}

// Scope is what an action reaches in one academy.
type Scope struct {
	AllSchools bool
	UAIs       []string // when not AllSchools
}

// Decision is the policy's answer.
type Decision struct {
	Allow         bool
	PlatformAdmin bool
	// Scope, per academy, for the requested action: filter lists with it.
	Scope map[string]Scope
}

// Authorizer answers authorisation requests from a compiled authz policy. It is safe for
// concurrent use.
type Authorizer struct {
	query   rego.PreparedEvalQuery
	timeout time.Duration
}

// NewAuthorizer compiles the non-test files of an authorisation policy and prepares its
// decision query once.
func NewAuthorizer(ctx context.Context, files []File) (*Authorizer, error) {
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
		rego.Query(AuthzQuery),
		rego.Compiler(c),
		rego.Store(inmem.New()),
		rego.SetRegoVersion(ast.RegoV1),
	).PrepareForEval(ctx)
	if err != nil {
		return nil, newCompileError(problemsFrom(err, false))
	}
	return &Authorizer{query: pq, timeout: 250 * time.Millisecond}, nil
}

// Decide evaluates one request. A policy error or an undefined decision denies, with the
// error returned for logging.
func (a *Authorizer) Decide(ctx context.Context, req Request) (Decision, error) {
	ctx, cancel := context.WithTimeout(ctx, a.timeout)
	defer cancel()
	rs, err := a.query.Eval(ctx, rego.EvalParsedInput(authzInput(req)), rego.EvalGenerateJSON(returnTerm))
	if err != nil {
		return Decision{}, fmt.Errorf("decide %s for %s: %w", req.Action, req.Subject.ID, err)
	}
	if len(rs) != 1 || len(rs[0].Expressions) != 1 {
		return Decision{}, fmt.Errorf("decide %s for %s: %w", req.Action, req.Subject.ID, errors.New("decision undefined"))
	}
	obj, ok := termObject(rs[0].Expressions[0].Value)
	if !ok {
		return Decision{}, fmt.Errorf("decide %s for %s: decision is not an object", req.Action, req.Subject.ID)
	}
	d := Decision{
		Allow:         termBool(obj.Get(ast.InternedTerm("allow"))),
		PlatformAdmin: termBool(obj.Get(ast.InternedTerm("platform_admin"))),
		Scope:         map[string]Scope{},
	}
	if st := obj.Get(ast.InternedTerm("scope")); st != nil {
		if so, ok := st.Value.(ast.Object); ok {
			so.Foreach(func(k, v *ast.Term) {
				academy, ok := k.Value.(ast.String)
				if !ok {
					return
				}
				sc := Scope{}
				if vo, ok := v.Value.(ast.Object); ok {
					sc.AllSchools = termBool(vo.Get(ast.InternedTerm("all_schools")))
					if u := vo.Get(ast.InternedTerm("uais")); u != nil {
						if arr, ok := u.Value.(*ast.Array); ok {
							arr.Foreach(func(e *ast.Term) {
								if s, ok := e.Value.(ast.String); ok {
									sc.UAIs = append(sc.UAIs, string(s))
								}
							})
						}
					}
				}
				sort.Strings(sc.UAIs)
				d.Scope[string(academy)] = sc
			})
		}
	}
	return d, nil
}

// authzInput builds the input by hand: a handful of fields, no reflection.
func authzInput(req Request) ast.Value {
	grants := make([]*ast.Term, 0, len(req.Subject.Grants))
	for _, g := range req.Subject.Grants {
		uais := make([]*ast.Term, 0, len(g.UAIs))
		for _, u := range g.UAIs {
			uais = append(uais, ast.StringTerm(u))
		}
		grants = append(grants, ast.ObjectTerm(
			ast.Item(ast.StringTerm("academy"), ast.StringTerm(g.Academy)),
			ast.Item(ast.StringTerm("role"), ast.StringTerm(g.Role)),
			ast.Item(ast.StringTerm("uais"), ast.ArrayTerm(uais...)),
		))
	}
	return ast.NewObject(
		ast.Item(ast.StringTerm("user"), ast.ObjectTerm(
			ast.Item(ast.StringTerm("id"), ast.StringTerm(req.Subject.ID)),
			ast.Item(ast.StringTerm("grants"), ast.ArrayTerm(grants...)),
			ast.Item(ast.StringTerm("platform_admin"), ast.BooleanTerm(req.Subject.PlatformAdmin)),
		)),
		ast.Item(ast.StringTerm("action"), ast.StringTerm(req.Action)),
		ast.Item(ast.StringTerm("resource"), ast.ObjectTerm(
			ast.Item(ast.StringTerm("academy"), ast.StringTerm(req.Academy)),
			ast.Item(ast.StringTerm("uai"), ast.StringTerm(req.UAI)),
		)),
	)
}

func termBool(t *ast.Term) bool {
	if t == nil {
		return false
	}
	b, ok := t.Value.(ast.Boolean)
	return ok && bool(b)
}
