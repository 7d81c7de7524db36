package demo_test

import (
	"bytes"
	"context"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigie-edu/vigie/internal/access"
	"github.com/vigie-edu/vigie/internal/auth"
	"github.com/vigie-edu/vigie/internal/demo"
	"github.com/vigie-edu/vigie/internal/evaluator"
	"github.com/vigie-edu/vigie/internal/policy"
	"github.com/vigie-edu/vigie/internal/store"
	"github.com/vigie-edu/vigie/internal/store/storetest"
	"github.com/vigie-edu/vigie/policies"
)

func TestSeedSmallDemo(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		files, err := policy.LoadFS(policies.FS, policies.ReadinessDir)
		require.NoError(t, err)
		now := time.Date(2026, 10, 12, 14, 0, 0, 0, time.UTC)
		var logs bytes.Buffer
		opts := demo.Options{Schools: 14, Days: 8, Stages: 3, Scale: 0.2, Now: now,
			Log: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})), Sets: evaluator.NewNationalSource(files)}
		res, err := demo.Seed(ctx, st, opts)
		require.NoError(t, err, logs.String())
		require.True(t, res.Seeded)
		// Start-up output stays readable: one line for the seeding, not one per imported file.
		assert.Contains(t, logs.String(), "demo academy seeded")
		assert.NotContains(t, logs.String(), "file imported")
		assert.Less(t, strings.Count(logs.String(), "\n"), 20, logs.String())

		scope := access.Academy(res.Academy.ID)
		schools, total, err := st.ListSchools(ctx, scope, store.SchoolFilter{})
		require.NoError(t, err)
		assert.EqualValues(t, 14, total)
		assert.NotEmpty(t, schools[0].Bassin, "bassins come from the directory CSV")

		runs, n, err := st.ListRuns(ctx, scope, res.Academy.ID, store.RunFilter{AcademyOnly: true})
		require.NoError(t, err)
		assert.EqualValues(t, 8, n, "one evaluation a day")
		for _, r := range runs {
			assert.Equal(t, store.RunDone, r.Status)
			assert.Equal(t, 14, r.Schools)
		}
		first, last := runs[len(runs)-1], runs[0]
		assert.Equal(t, 7*24*time.Hour, last.StartedAt.Sub(first.StartedAt))
		assert.Greater(t, last.Ready, first.Ready, "schools fix their defects over the weeks: %+v -> %+v", first, last)
		assert.Positive(t, last.NotReady+last.AtRisk, "some schools stay stuck")

		// Demo accounts log in with the shown password and see what their role allows.
		require.Len(t, res.Accounts, 4)
		for _, a := range res.Accounts {
			u, hash, err := st.UserCredentials(ctx, access.System(), a.Login)
			require.NoError(t, err, a.Login)
			ok, err := auth.VerifyPassword(hash, a.Password)
			require.NoError(t, err)
			assert.True(t, ok, a.Login)
			require.Len(t, u.Grants, 1)
			assert.Equal(t, a.Role, u.Grants[0].Role)
		}

		// The school admin follows a school still not ready, and one that is not.
		latest, err := st.LatestResults(ctx, scope, res.Academy.ID, time.Time{})
		require.NoError(t, err)
		status := map[string]string{}
		for _, r := range latest {
			status[r.UAI] = r.Status
		}
		admin := res.Accounts[3]
		require.Len(t, admin.UAIs, 2)
		got := []string{status[admin.UAIs[0]], status[admin.UAIs[1]]}
		assert.Contains(t, got, "not_ready", admin.UAIs)
		assert.True(t, slices.ContainsFunc(got, func(s string) bool { return s == "ready" || s == "at_risk" }), "%v", got)

		// A second start finds the demo and seeds nothing.
		again, err := demo.Seed(ctx, st, opts)
		require.NoError(t, err)
		assert.False(t, again.Seeded)
		assert.Equal(t, res.Accounts, again.Accounts)
	})
}
