package policy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/topdown"
)

// Input is a policy input already converted to OPA's value representation: convert once per
// school, evaluate as often as needed.
type Input struct {
	v ast.Value
}

// InputFromJSON converts a JSON document (the policy input as bytes) with Vigie's direct
// decoder.
func InputFromJSON(b []byte) (Input, error) {
	v, err := parseJSONValue(b)
	if err != nil {
		return Input{}, fmt.Errorf("convert policy input: %w", err)
	}
	if _, ok := v.(ast.Object); !ok {
		return Input{}, fmt.Errorf("convert policy input: want a JSON object, got %s", ast.ValueName(v))
	}
	return Input{v: v}, nil
}

// InputFromReader converts a JSON document read from r with OPA's own decoder
// (ast.ValueFromReader); kept for comparison and for streams.
func InputFromReader(r io.Reader) (Input, error) {
	v, err := ast.ValueFromReader(r)
	if err != nil {
		return Input{}, fmt.Errorf("convert policy input: %w", err)
	}
	if _, ok := v.(ast.Object); !ok {
		return Input{}, fmt.Errorf("convert policy input: want a JSON object, got %s", ast.ValueName(v))
	}
	return Input{v: v}, nil
}

// InputWithJSON builds an input object from a few small fields and one large JSON object
// (the snapshot as stored) placed under key: the document is decoded once, directly, and
// nothing else is re-encoded.
func InputWithJSON(fields map[string]any, key string, doc []byte) (Input, error) {
	v, err := parseJSONValue(doc)
	if err != nil {
		return Input{}, fmt.Errorf("convert %s: %w", key, err)
	}
	if _, ok := v.(ast.Object); !ok {
		return Input{}, fmt.Errorf("convert %s: want a JSON object, got %s", key, ast.ValueName(v))
	}
	obj := ast.NewObjectWithCapacity(len(fields) + 1)
	for k, x := range fields {
		fv, err := ast.InterfaceToValue(x)
		if err != nil {
			return Input{}, fmt.Errorf("convert input field %s: %w", k, err)
		}
		obj.Insert(ast.StringTerm(k), ast.NewTerm(fv))
	}
	obj.Insert(ast.StringTerm(key), ast.NewTerm(v))
	return Input{v: obj}, nil
}

// InputFromGo converts a Go value (maps, slices, structs with JSON tags).
func InputFromGo(x any) (Input, error) {
	v, err := ast.InterfaceToValue(x)
	if err != nil {
		return Input{}, fmt.Errorf("convert policy input: %w", err)
	}
	return Input{v: v}, nil
}

// Status of a check's result.
type Status string

// Statuses a policy returns, plus StatusError when Vigie could not get a result.
const (
	StatusPass    Status = "pass"
	StatusFail    Status = "fail"
	StatusUnknown Status = "unknown"
	StatusError   Status = "error"
)

// Item is one failing element named by a result.
type Item struct {
	Code   string `json:"code"`
	Kind   string `json:"kind"` // division, group, pupil, source, service
	Detail string `json:"detail"`
}

// Result is one check's outcome for one school.
type Result struct {
	Check   string `json:"check"`
	Mode    string `json:"mode"` // enforce or monitor; checks switched off have no result
	Status  Status `json:"status"`
	Items   []Item `json:"items"`
	Reason  string `json:"reason,omitempty"`  // why unknown (French)
	Note    string `json:"note,omitempty"`    // e.g. not applicable (French)
	Summary string `json:"summary,omitempty"` // counts in one sentence (French)
	Error   string `json:"error,omitempty"`   // why Vigie has no result (status error)
	// Extra holds the result's other fields (e.g. "basis"), as JSON values.
	Extra map[string]any `json:"extra,omitempty"`
}

// Evaluation is the outcome of every check for one school.
type Evaluation struct {
	Results []Result // catalogue order
	// Isolated is true when the single query failed and the checks were evaluated one by one.
	Isolated bool
	Duration time.Duration
}

// returnTerm keeps results as OPA terms: Vigie reads them directly into structs instead of
// building intermediate maps.
func returnTerm(t *ast.Term, _ *rego.EvalContext) (any, error) { return t, nil }

// Evaluate runs every check on one input. The fast path is one query for all checks; when it
// fails (a runtime error in one check, or its deadline), each check is evaluated alone so
// that a broken check ends in StatusError for this school without hiding the others. An error
// is returned only when the caller's context ends.
func (s *Set) Evaluate(ctx context.Context, in Input) (Evaluation, error) {
	if in.v == nil {
		return Evaluation{}, errors.New("evaluate policies: empty input")
	}
	start := time.Now()
	ev, err := s.evalAll(ctx, in)
	if err == nil {
		ev.Duration = time.Since(start)
		return ev, nil
	}
	if ctx.Err() != nil {
		return Evaluation{}, fmt.Errorf("evaluate policies: %w", ctx.Err())
	}
	s.logger.Warn("policy query failed, evaluating checks one by one",
		"academy", s.academy, "version", s.version, "err", err)
	ev, err = s.evalIsolated(ctx, in)
	if err != nil {
		return Evaluation{}, err
	}
	ev.Duration = time.Since(start)
	return ev, nil
}

func (s *Set) evalAll(ctx context.Context, in Input) (Evaluation, error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	rs, err := s.all.Eval(ctx, rego.EvalParsedInput(in.v), rego.EvalGenerateJSON(returnTerm))
	if err != nil {
		return Evaluation{}, err
	}
	if len(rs) != 1 {
		return Evaluation{}, fmt.Errorf("policy query: %d results, want 1", len(rs))
	}
	modes, ok := termObject(rs[0].Bindings["modes"])
	if !ok {
		return Evaluation{}, errors.New("policy query: modes is not an object")
	}
	results, ok := termObject(rs[0].Bindings["results"])
	if !ok {
		return Evaluation{}, errors.New("policy query: results is not an object")
	}
	ev := Evaluation{Results: make([]Result, 0, len(s.catalogue.Checks))}
	for _, ch := range s.catalogue.Checks {
		mode := modeOf(modes, ch.ID)
		if mode == ModeOff {
			continue
		}
		var term *ast.Term
		if t := results.Get(ast.InternedTerm(ch.ID)); t != nil {
			if arr, ok := t.Value.(*ast.Array); ok && arr.Len() > 0 {
				term = arr.Elem(0)
			}
		}
		ev.Results = append(ev.Results, resultFrom(ch.ID, mode, term))
	}
	return ev, nil
}

func (s *Set) evalIsolated(ctx context.Context, in Input) (Evaluation, error) {
	modes := s.evalModes(ctx, in)
	ev := Evaluation{Isolated: true, Results: make([]Result, 0, len(s.catalogue.Checks))}
	for _, ch := range s.catalogue.Checks {
		mode := modeOf(modes, ch.ID)
		if mode == ModeOff {
			continue
		}
		r, err := s.evalCheck(ctx, ch.ID, in)
		if err != nil {
			if ctx.Err() != nil {
				return Evaluation{}, fmt.Errorf("evaluate policies: %w", ctx.Err())
			}
			r = Result{Status: StatusError, Error: describeEvalError(err)}
		}
		r.Check, r.Mode = ch.ID, mode
		ev.Results = append(ev.Results, r)
	}
	return ev, nil
}

// evalModes returns the modes of the checks, or nil (every check enforced) when the mode
// computation itself is broken.
func (s *Set) evalModes(ctx context.Context, in Input) ast.Object {
	ctx, cancel := context.WithTimeout(ctx, s.checkTimeout)
	defer cancel()
	rs, err := s.modes.Eval(ctx, rego.EvalParsedInput(in.v), rego.EvalGenerateJSON(returnTerm))
	if err != nil || len(rs) != 1 {
		s.logger.Warn("check modes failed, enforcing every check", "academy", s.academy, "err", err)
		return nil
	}
	modes, _ := termObject(rs[0].Bindings["modes"])
	return modes
}

func (s *Set) evalCheck(ctx context.Context, id string, in Input) (Result, error) {
	ctx, cancel := context.WithTimeout(ctx, s.checkTimeout)
	defer cancel()
	rs, err := s.checks[id].Eval(ctx, rego.EvalParsedInput(in.v), rego.EvalGenerateJSON(returnTerm))
	if err != nil {
		return Result{}, err
	}
	var term *ast.Term
	if len(rs) == 1 {
		term, _ = rs[0].Bindings["result"].(*ast.Term)
	}
	return resultFrom(id, "", term), nil
}

// describeEvalError explains in French why a check has no result.
func describeEvalError(err error) string {
	var te *topdown.Error
	if errors.As(err, &te) {
		if te.Code == topdown.CancelErr {
			return "évaluation interrompue : délai dépassé"
		}
		loc := ""
		if te.Location != nil {
			loc = fmt.Sprintf(" (%s:%d)", te.Location.File, te.Location.Row)
		}
		return fmt.Sprintf("erreur d'exécution de la règle%s : %s", loc, te.Message)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "évaluation interrompue : délai dépassé"
	}
	return "erreur d'exécution de la règle : " + err.Error()
}

func modeOf(modes ast.Object, id string) string {
	if modes == nil {
		return ModeEnforce
	}
	t := modes.Get(ast.InternedTerm(id))
	if t == nil {
		return ModeEnforce
	}
	switch m, _ := t.Value.(ast.String); string(m) {
	case ModeMonitor:
		return ModeMonitor
	case ModeOff:
		return ModeOff
	default:
		return ModeEnforce
	}
}

func termObject(x any) (ast.Object, bool) {
	t, ok := x.(*ast.Term)
	if !ok || t == nil {
		return nil, false
	}
	o, ok := t.Value.(ast.Object)
	return o, ok
}

var (
	keyStatus  = ast.InternedTerm("status")
	keyItems   = ast.InternedTerm("items")
	keyReason  = ast.InternedTerm("reason")
	keyNote    = ast.InternedTerm("note")
	keySummary = ast.InternedTerm("summary")
	keyCode    = ast.InternedTerm("code")
	keyKind    = ast.InternedTerm("kind")
	keyDetail  = ast.InternedTerm("detail")
)

// resultFrom reads a check's result object; anything malformed is StatusError.
func resultFrom(id, mode string, t *ast.Term) Result {
	r := Result{Check: id, Mode: mode}
	if t == nil {
		r.Status, r.Error = StatusError, "le contrôle n'a produit aucun résultat (règle result indéfinie)"
		return r
	}
	obj, ok := t.Value.(ast.Object)
	if !ok {
		r.Status, r.Error = StatusError, fmt.Sprintf("résultat invalide : un objet est attendu, pas %s", ast.ValueName(t.Value))
		return r
	}
	switch st := Status(termString(obj.Get(keyStatus))); st {
	case StatusPass, StatusFail, StatusUnknown:
		r.Status = st
	default:
		r.Status, r.Error = StatusError, fmt.Sprintf("résultat invalide : statut %q (pass, fail ou unknown attendu)", st)
		return r
	}
	r.Reason = termString(obj.Get(keyReason))
	r.Note = termString(obj.Get(keyNote))
	r.Summary = termString(obj.Get(keySummary))
	items, err := itemsFrom(obj.Get(keyItems))
	if err != nil {
		r.Status, r.Error = StatusError, "résultat invalide : "+err.Error()
		return r
	}
	r.Items = items
	obj.Foreach(func(k, v *ast.Term) {
		ks, ok := k.Value.(ast.String)
		if !ok {
			return
		}
		switch string(ks) {
		case "status", "items", "reason", "note", "summary":
			return
		}
		x, err := ast.JSON(v.Value)
		if err != nil {
			return
		}
		if r.Extra == nil {
			r.Extra = map[string]any{}
		}
		r.Extra[string(ks)] = x
	})
	return r
}

func itemsFrom(t *ast.Term) ([]Item, error) {
	items := []Item{}
	if t == nil {
		return items, nil
	}
	add := func(e *ast.Term) error {
		o, ok := e.Value.(ast.Object)
		if !ok {
			return fmt.Errorf("un élément de items n'est pas un objet (%s)", ast.ValueName(e.Value))
		}
		items = append(items, Item{
			Code:   termString(o.Get(keyCode)),
			Kind:   termString(o.Get(keyKind)),
			Detail: termString(o.Get(keyDetail)),
		})
		return nil
	}
	var err error
	switch v := t.Value.(type) {
	case *ast.Array:
		v.Foreach(func(e *ast.Term) {
			if err == nil {
				err = add(e)
			}
		})
	case ast.Set:
		v.Foreach(func(e *ast.Term) {
			if err == nil {
				err = add(e)
			}
		})
	case ast.Null:
	default:
		return nil, fmt.Errorf("items doit être une liste, pas %s", ast.ValueName(t.Value))
	}
	if err != nil {
		return nil, err
	}
	sort.SliceStable(items, func(i, j int) bool {
		if items[i].Kind != items[j].Kind {
			return items[i].Kind < items[j].Kind
		}
		return naturalLess(items[i].Code, items[j].Code)
	})
	return items, nil
}

func termString(t *ast.Term) string {
	if t == nil {
		return ""
	}
	if s, ok := t.Value.(ast.String); ok {
		return string(s)
	}
	return ""
}

// naturalLess orders codes as people read them: "2NDE2" before "2NDE10".
func naturalLess(a, b string) bool {
	for a != "" && b != "" {
		ad, bd := isDigit(a[0]), isDigit(b[0])
		if ad && bd {
			i, j := 0, 0
			for i < len(a) && isDigit(a[i]) {
				i++
			}
			for j < len(b) && isDigit(b[j]) {
				j++
			}
			na, nb := trimZeros(a[:i]), trimZeros(b[:j])
			if len(na) != len(nb) {
				return len(na) < len(nb)
			}
			if na != nb {
				return na < nb
			}
			a, b = a[i:], b[j:]
			continue
		}
		if a[0] != b[0] {
			return a[0] < b[0]
		}
		a, b = a[1:], b[1:]
	}
	return len(a) < len(b)
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func trimZeros(s string) string {
	for len(s) > 1 && s[0] == '0' {
		s = s[1:]
	}
	return s
}
