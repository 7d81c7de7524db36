package policy_test

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/vigie-edu/vigie/internal/campaign"
	"github.com/vigie-edu/vigie/internal/fact"
	"github.com/vigie-edu/vigie/internal/policy"
	"github.com/vigie-edu/vigie/internal/readiness/readinesstest"
	"github.com/vigie-edu/vigie/policies"
)

// nationalFiles are the embedded national readiness policies, tests included.
func nationalFiles(t testing.TB) []policy.File {
	t.Helper()
	files, err := policy.LoadFS(policies.FS, policies.ReadinessDir)
	require.NoError(t, err)
	return files
}

var (
	nationalOnce sync.Once
	nationalSet  *policy.Set
	nationalErr  error
)

// national compiles the national set once for the package's tests.
func national(t testing.TB) *policy.Set {
	t.Helper()
	nationalOnce.Do(func() {
		files, err := policy.LoadFS(policies.FS, policies.ReadinessDir)
		if err != nil {
			nationalErr = err
			return
		}
		nationalSet, nationalErr = policy.Compile(context.Background(), files, policy.WithAcademy("poitiers"), policy.WithVersion("test"))
	})
	require.NoError(t, nationalErr)
	return nationalSet
}

// inputJSON builds the policy input of a snapshot as readiness does.
func inputJSON(t testing.TB, snap *fact.Snapshot, kind campaign.Kind) []byte {
	t.Helper()
	paris, err := time.LoadLocation("Europe/Paris")
	require.NoError(t, err)
	now := readinesstest.Now.In(paris)
	b, err := json.Marshal(map[string]any{
		"uai": snap.UAI, "school_year": 2026,
		"now": now.Format(time.RFC3339), "today": now.Format(time.DateOnly),
		"school": map[string]any{"uai": snap.UAI, "name": "Lycée", "kind": string(kind), "uses_groups": nil,
			"academy": "poitiers", "departement": "79"},
		"facts": snap,
	})
	require.NoError(t, err)
	return b
}

func input(t testing.TB, snap *fact.Snapshot) policy.Input {
	t.Helper()
	in, err := policy.InputFromJSON(inputJSON(t, snap, campaign.KindLycee))
	require.NoError(t, err)
	return in
}

func typical() *fact.Snapshot {
	return readinesstest.Snapshot(readinesstest.Lycee(readinesstest.UAI(1)))
}

func resultOf(t testing.TB, ev policy.Evaluation, id string) policy.Result {
	t.Helper()
	for _, r := range ev.Results {
		if r.Check == id {
			return r
		}
	}
	t.Fatalf("no result for %s", id)
	return policy.Result{}
}

// withFile returns the national files plus one more module.
func withFile(t testing.TB, path, text string) []policy.File {
	t.Helper()
	return append(nationalFiles(t), policy.File{Path: path, Text: []byte(text)})
}

// checkModule is a minimal valid check module with the given id and result body.
func checkModule(id, rules string) string {
	return `# METADATA
# scope: package
# title: Contrôle de test
# description: Sert aux tests.
# custom:
#   id: ` + id + `
#   severity: warning
#   step: 13
#   needs: [ent]
#   fix: Rien.
#   fix_stage: ent
package vigie.checks.` + id + `

` + rules
}
