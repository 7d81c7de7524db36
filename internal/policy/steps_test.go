package policy_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigie-edu/vigie/internal/apperr"
	"github.com/vigie-edu/vigie/internal/policy"
	"github.com/vigie-edu/vigie/policies"
)

func TestStepRules(t *testing.T) {
	ctx := context.Background()
	files, err := policy.LoadFS(policies.FS, policies.CampaignDir)
	require.NoError(t, err)
	rules, err := policy.CompileStepRules(ctx, files)
	require.NoError(t, err)

	snap := []byte(`{"version":1,"uai":"0790029C","school_year":2026,
		"sources":{"sts":{"file":"sts.xml","exported_at":"2026-09-10T08:00:00Z","school_year":2026},
		           "ent":{"file":"aaf","exported_at":"2026-09-15T00:00:00Z"}},
		"divisions":{"2NDE1":{"code":"2NDE1","sts":{"present":true,"mefs":[],"services":0}}},
		"groups":{},"pupils":{"active":0}}`)
	in, err := policy.InputWithJSON(map[string]any{
		"uai": "0790029C", "school_year": 2026, "now": "2026-09-16T05:30:00+02:00", "today": "2026-09-16",
		"report": map[string]any{"status": "not_ready", "checks": map[string]any{
			"sts.divisions_present": map[string]any{"status": "pass", "items": 0},
			"sts.pedagogical_team":  map[string]any{"status": "fail", "items": 1},
			"ent.structure_known":   map[string]any{"status": "fail", "items": 1},
		}},
	}, "facts", snap)
	require.NoError(t, err)
	obs, err := rules.Observe(ctx, in)
	require.NoError(t, err)
	byStep := map[int]policy.StepObservation{}
	for _, o := range obs {
		byStep[o.Step] = o
	}
	assert.Equal(t, []int{1, 5, 11, 13}, func() []int {
		var s []int
		for _, o := range obs {
			s = append(s, o.Step)
		}
		return s
	}(), "in step order")
	assert.Equal(t, "done", byStep[5].State)
	assert.Equal(t, "1 division dans STS-Web (export du 10/09/2026)", byStep[5].Evidence)
	assert.True(t, byStep[5].At.Equal(time.Date(2026, 9, 10, 8, 0, 0, 0, time.UTC)))
	assert.Equal(t, "not_started", byStep[11].State)
	assert.Equal(t, "not_started", byStep[13].State)

	_, err = rules.Observe(ctx, policy.Input{})
	assert.Error(t, err)
}

func TestStepRulesRejectsBadPolicies(t *testing.T) {
	ctx := context.Background()
	_, err := policy.CompileStepRules(ctx, []policy.File{{Path: "campaign/x.rego", Text: []byte("package vigie.campaign\nobservations contains x if {")}})
	assert.ErrorIs(t, err, apperr.ErrInvalid, "a compile problem is the author's")

	compile := func(src string) *policy.StepRules {
		r, err := policy.CompileStepRules(ctx, []policy.File{{Path: "campaign/x.rego", Text: []byte("package vigie.campaign\n" + src)}})
		require.NoError(t, err)
		return r
	}
	in, err := policy.InputFromJSON([]byte(`{"uai":"0790029C"}`))
	require.NoError(t, err)
	for name, src := range map[string]string{
		"twice":    `observations := {{"step": 1, "state": "done"}, {"step": 1, "state": "in_progress"}}`,
		"range":    `observations := {{"step": 14, "state": "done"}}`,
		"no state": `observations := {{"step": 2}}`,
		"bad time": `observations := {{"step": 2, "state": "done", "at": "yesterday"}}`,
		"not set":  `observations := 3`,
	} {
		_, err := compile(src).Observe(ctx, in)
		assert.Error(t, err, name)
	}
	obs, err := compile(`observations := {{"step": 3, "state": "done", "evidence": "ok"}}`).Observe(ctx, in)
	require.NoError(t, err)
	assert.Equal(t, []policy.StepObservation{{Step: 3, State: "done", Evidence: "ok"}}, obs)
}
