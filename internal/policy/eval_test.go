package policy_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigie-edu/vigie/internal/fact"
	"github.com/vigie-edu/vigie/internal/policy"
)

func TestEvaluateTypicalSchoolPassesEveryCheck(t *testing.T) {
	set := national(t)
	ev, err := set.Evaluate(context.Background(), input(t, typical()))
	require.NoError(t, err)
	assert.False(t, ev.Isolated)
	require.Len(t, ev.Results, 24)
	for _, r := range ev.Results {
		assert.Equal(t, policy.StatusPass, r.Status, "%s: %+v", r.Check, r)
		assert.Equal(t, policy.ModeEnforce, r.Mode)
		assert.NotNil(t, r.Items)
	}
	assert.Equal(t, set.Catalogue().IDs(), ids(ev), "results in catalogue order")
}

func ids(ev policy.Evaluation) []string {
	out := make([]string, len(ev.Results))
	for i, r := range ev.Results {
		out[i] = r.Check
	}
	return out
}

func TestEvaluateDefectsNameEveryItem(t *testing.T) {
	snap := typical()
	var empty []string
	for k, g := range snap.Groups {
		if len(empty) < 5 {
			g.SIECLE.Pupils = 0
			empty = append(empty, g.Code)
		}
		_ = k
	}
	delete(snap.Sources, fact.SourceENT)
	ev, err := national(t).Evaluate(context.Background(), input(t, snap))
	require.NoError(t, err)

	pop := resultOf(t, ev, "siecle.groups_populated")
	assert.Equal(t, policy.StatusFail, pop.Status)
	var codes []string
	for _, it := range pop.Items {
		codes = append(codes, it.Code)
		assert.Equal(t, "group", it.Kind)
		assert.Contains(t, it.Detail, "aucun élève actif")
	}
	assert.ElementsMatch(t, empty, codes)

	ent := resultOf(t, ev, "ent.groups_populated")
	assert.Equal(t, policy.StatusUnknown, ent.Status, "never a pass on a missing source")
	assert.Contains(t, ent.Reason, "annuaire fédérateur (AAF) : aucun export déposé")
	require.Len(t, ent.Items, 1)
	assert.Equal(t, policy.Item{Code: "ent", Kind: "source", Detail: "annuaire fédérateur (AAF) : aucun export déposé"}, ent.Items[0])

	se := resultOf(t, ev, "siecle.structure_exported")
	assert.Equal(t, map[string]any{"basis": "structures"}, se.Extra)
}

func TestItemsSortNaturally(t *testing.T) {
	snap := typical()
	for _, d := range snap.Divisions {
		d.STS.PP = nil
	}
	ev, err := national(t).Evaluate(context.Background(), input(t, snap))
	require.NoError(t, err)
	pp := resultOf(t, ev, "sts.professeur_principal")
	require.Len(t, pp.Items, 28)
	for i := 1; i < len(pp.Items); i++ {
		a, b := pp.Items[i-1].Code, pp.Items[i].Code
		assert.True(t, len(a) < len(b) || len(a) == len(b) && a < b, "%s before %s", a, b)
	}
}

// brokenCheck fails at run time: two definitions of a complete rule disagree.
const brokenCheck = `result := {"status": "pass", "items": []} if input.uai

result := {"status": "fail", "items": []} if input.uai
`

func TestRuntimeErrorIsIsolatedToItsCheck(t *testing.T) {
	set, err := policy.Compile(context.Background(), withFile(t, "extra/broken.rego", checkModule("extra.broken", brokenCheck)))
	require.NoError(t, err, "the conflict only shows at run time")
	ev, err := set.Evaluate(context.Background(), input(t, typical()))
	require.NoError(t, err)
	assert.True(t, ev.Isolated)
	require.Len(t, ev.Results, 25)
	for _, r := range ev.Results {
		if r.Check == "extra.broken" {
			assert.Equal(t, policy.StatusError, r.Status)
			assert.Contains(t, r.Error, "erreur d'exécution de la règle (extra/broken.rego:")
			assert.Contains(t, r.Error, "produced conflicting values")
			continue
		}
		assert.Equal(t, policy.StatusPass, r.Status, r.Check)
	}
}

func TestUndefinedOrMalformedResultIsAnError(t *testing.T) {
	tests := []struct {
		name, rules, want string
	}{
		{"undefined", `result := {"status": "pass", "items": []} if input.nothing`, "aucun résultat"},
		{"not an object", `result := "pass"`, "un objet est attendu"},
		{"bad status", `result := {"status": "ok", "items": []}`, `statut "ok"`},
		{"bad items", `result := {"status": "fail", "items": "2NDE1"}`, "items doit être une liste"},
		{"bad item", `result := {"status": "fail", "items": ["2NDE1"]}`, "n'est pas un objet"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set, err := policy.Compile(context.Background(), withFile(t, "extra/odd.rego", checkModule("extra.odd", tt.rules)))
			require.NoError(t, err)
			ev, err := set.Evaluate(context.Background(), input(t, typical()))
			require.NoError(t, err)
			assert.False(t, ev.Isolated, "no runtime error: the single query succeeded")
			r := resultOf(t, ev, "extra.odd")
			assert.Equal(t, policy.StatusError, r.Status)
			assert.Contains(t, r.Error, tt.want)
		})
	}
}

// slowCheck takes tens of seconds: 25 million iterations.
const slowCheck = `result := {"status": "pass", "items": []} if {
	n := count([x | some i in numbers.range(1, 5000); some j in numbers.range(1, 5000); x := i + j])
	n > 0
}
`

func TestDeadlineStopsASlowPolicy(t *testing.T) {
	set, err := policy.Compile(context.Background(), withFile(t, "extra/slow.rego", checkModule("extra.slow", slowCheck)),
		policy.WithTimeout(300*time.Millisecond), policy.WithCheckTimeout(300*time.Millisecond))
	require.NoError(t, err)
	start := time.Now()
	ev, err := set.Evaluate(context.Background(), input(t, typical()))
	elapsed := time.Since(start)
	require.NoError(t, err)
	assert.Less(t, elapsed, 10*time.Second, "stopped, not run to the end")
	assert.True(t, ev.Isolated)
	slow := resultOf(t, ev, "extra.slow")
	assert.Equal(t, policy.StatusError, slow.Status)
	assert.Contains(t, slow.Error, "délai dépassé")
	assert.Equal(t, policy.StatusPass, resultOf(t, ev, "sts.divisions_present").Status)
}

func TestCallerCancellationIsAnError(t *testing.T) {
	set, err := policy.Compile(context.Background(), withFile(t, "extra/slow.rego", checkModule("extra.slow", slowCheck)))
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err = set.Evaluate(ctx, input(t, typical()))
	assert.ErrorIs(t, err, context.DeadlineExceeded)
}

func TestModesFromConfiguration(t *testing.T) {
	set, err := policy.Compile(context.Background(), nationalFiles(t), policy.WithConfig(map[string]any{
		"checks": map[string]any{
			"links.absent_ratio":    map[string]any{"mode": "off"},
			"ent.teacher_links":     map[string]any{"mode": "monitor"},
			"ent.matches_siecle":    map[string]any{"mode": "enforce", "start": "2026-11-02"},
			"sts.divisions_present": map[string]any{"mode": "enforce", "start": "2026-09-01"},
		},
		"schools": map[string]any{readinessUAI(): map[string]any{
			"checks": map[string]any{"siecle.pupils_identified": map[string]any{"mode": "off"}},
		}},
	}))
	require.NoError(t, err)
	ev, err := set.Evaluate(context.Background(), input(t, typical()))
	require.NoError(t, err)
	assert.Len(t, ev.Results, 22, "two checks off, not evaluated")
	assert.NotContains(t, ids(ev), "links.absent_ratio")
	assert.NotContains(t, ids(ev), "siecle.pupils_identified")
	assert.Equal(t, policy.ModeMonitor, resultOf(t, ev, "ent.teacher_links").Mode)
	assert.Equal(t, policy.ModeMonitor, resultOf(t, ev, "ent.matches_siecle").Mode, "enforced from a later date")
	assert.Equal(t, policy.ModeEnforce, resultOf(t, ev, "sts.divisions_present").Mode)
}

func readinessUAI() string { return typical().UAI }

func TestConcurrentEvaluationsShareTheSet(t *testing.T) {
	// Deadlines are wall-clock: 16 evaluations at once under -race on a shared machine would
	// meet the default ones, and this test is about sharing, not speed.
	set, err := policy.Compile(context.Background(), nationalFiles(t), policy.WithTimeout(time.Minute), policy.WithCheckTimeout(time.Minute))
	require.NoError(t, err)
	good, bad := typical(), typical()
	for _, d := range bad.Divisions {
		d.ENT.Pupils = 0
	}
	inGood, inBad := input(t, good), input(t, bad)
	var wg sync.WaitGroup
	errs := make(chan string, 64)
	for i := range 16 {
		wg.Go(func() {
			in, want := inGood, policy.StatusPass
			if i%2 == 1 {
				in, want = inBad, policy.StatusFail
			}
			for range 3 {
				ev, err := set.Evaluate(context.Background(), in)
				if err != nil {
					errs <- err.Error()
					return
				}
				for _, r := range ev.Results {
					if r.Check == "ent.classes_populated" && r.Status != want {
						errs <- string(r.Status)
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}
