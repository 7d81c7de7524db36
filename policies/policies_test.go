package policies_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigie-edu/vigie/internal/policy"
	"github.com/vigie-edu/vigie/policies"
)

// TestRego runs every Rego test of the embedded policies, as `opa test policies/` does, and
// fails on any failing or erroring test. Coverage goes to the test log.
func TestRego(t *testing.T) {
	for _, dir := range []string{policies.ReadinessDir, policies.AuthzDir} {
		t.Run(dir, func(t *testing.T) {
			files, err := policy.LoadFS(policies.FS, dir)
			require.NoError(t, err)
			// A generous per-test timeout: it stops a runaway test, and -race on a shared
			// machine slows the exhaustive ones well past OPA's default of 5 s.
			rep, err := policy.RunTests(context.Background(), files, policy.TestOptions{Coverage: true, Timeout: time.Minute})
			require.NoError(t, err)
			for _, r := range rep.Results {
				if r.Outcome != policy.TestPass {
					t.Errorf("%s.%s (%s:%d): %s %s", r.Package, r.Name, r.Module, r.Line, r.Outcome, r.Message)
				}
			}
			assert.True(t, rep.OK(), "passed %d, failed %d, errors %d", rep.Passed, rep.Failed, rep.Errored)
			require.NotNil(t, rep.Coverage)
			t.Logf("rego %s: %d tests passed; coverage %.1f %% (%d lines covered, %d not)",
				dir, rep.Passed, rep.Coverage.Percent, rep.Coverage.CoveredLines, rep.Coverage.NotCoveredLines)
			for _, m := range rep.Coverage.Modules {
				if m.Percent < 100 {
					t.Logf("  %s: %.1f %%, not covered %v", m.Module, m.Percent, m.NotCovered)
				}
			}
		})
	}
}

// TestNationalSetCompiles guards the catalogue: every check of checks.md is present, once.
func TestNationalSetCompiles(t *testing.T) {
	files, err := policy.LoadFS(policies.FS, policies.ReadinessDir)
	require.NoError(t, err)
	set, err := policy.Compile(context.Background(), files)
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{
		"sts.divisions_present", "sts.division_headcount", "sts.professeur_principal",
		"sts.pedagogical_team", "sts.service_teacher_known", "sts.groups_present",
		"sts.group_well_formed", "sts.group_headcount", "siecle.structure_exported",
		"siecle.pupils_in_one_division", "siecle.no_duplicate_pupils", "siecle.pupils_identified",
		"siecle.groups_populated", "siecle.division_headcount", "links.imported",
		"links.absent_ratio", "ent.structure_known", "ent.classes_populated",
		"ent.groups_populated", "ent.matches_siecle", "ent.professeur_principal",
		"ent.teacher_links", "campaign.groups_not_carried_over", "campaign.sources_fresh",
	}, set.Catalogue().IDs())

	d := policy.Diagnose(files)
	assert.Empty(t, d.Problems)
	assert.Empty(t, d.Strict, "the policies are clean in strict mode")
}
