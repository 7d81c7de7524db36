package store_test

import (
	"context"
	"path/filepath"
	"sort"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigie-edu/vigie/internal/access"
	"github.com/vigie-edu/vigie/internal/apperr"
	"github.com/vigie-edu/vigie/internal/campaign"
	"github.com/vigie-edu/vigie/internal/store"
	"github.com/vigie-edu/vigie/internal/store/storetest"
)

func TestMigrateIsIdempotentAndCurrent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		n, err := s.Migrate(ctx)
		require.NoError(t, err)
		assert.Zero(t, n, "a second migrate applies nothing")
		st, err := s.MigrationStatus(ctx)
		require.NoError(t, err)
		assert.True(t, st.UpToDate(), "status %+v", st)
		assert.Positive(t, st.Latest)
	})
}

// TestDialectsHaveTheSameSchema checks that the PostgreSQL and SQLite migrations end with the
// same tables and columns.
func TestDialectsHaveTheSameSchema(t *testing.T) {
	ctx := context.Background()
	lite := filepath.Join(t.TempDir(), "schema.db")
	s, err := store.Open(ctx, lite, storetest.Logger(t))
	require.NoError(t, err)
	_, err = s.Migrate(ctx)
	require.NoError(t, err)
	liteSchema, err := s.Schema(ctx)
	require.NoError(t, err)
	require.NoError(t, s.Close())

	pg := storetest.Postgres(t)
	pgSchema, err := pg.Schema(ctx)
	require.NoError(t, err)

	require.NotEmpty(t, liteSchema)
	assert.Equal(t, keys(pgSchema), keys(liteSchema), "tables")
	for table, cols := range pgSchema {
		assert.Equal(t, cols, liteSchema[table], "columns of %s", table)
	}
}

func keys(m map[string][]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func TestAcademies(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		sys := access.System()
		a, err := s.CreateAcademy(ctx, sys, "poitiers", "Poitiers")
		require.NoError(t, err)
		b, err := s.CreateAcademy(ctx, sys, "bordeaux", "Bordeaux")
		require.NoError(t, err)

		_, err = s.CreateAcademy(ctx, sys, "poitiers", "Encore")
		assert.ErrorIs(t, err, apperr.ErrConflict)
		_, err = s.CreateAcademy(ctx, sys, "Bad Code", "x")
		assert.ErrorIs(t, err, apperr.ErrInvalid)
		_, err = s.CreateAcademy(ctx, access.Academy(a.ID), "lille", "Lille")
		assert.ErrorIs(t, err, apperr.ErrForbidden, "only the system scope creates academies")

		got, err := s.AcademyByCode(ctx, access.Academy(a.ID), "poitiers")
		require.NoError(t, err)
		assert.Equal(t, a.ID, got.ID)
		_, err = s.AcademyByCode(ctx, access.Academy(a.ID), "bordeaux")
		assert.ErrorIs(t, err, apperr.ErrNotFound, "another academy is not found")
		_, err = s.AcademyByID(ctx, access.Academy(a.ID), b.ID)
		assert.ErrorIs(t, err, apperr.ErrNotFound)

		all, err := s.ListAcademies(ctx, sys)
		require.NoError(t, err)
		assert.Len(t, all, 2)
		mine, err := s.ListAcademies(ctx, access.Academy(b.ID))
		require.NoError(t, err)
		require.Len(t, mine, 1)
		assert.Equal(t, "bordeaux", mine[0].Code)
		none, err := s.ListAcademies(ctx, access.Scope{})
		require.NoError(t, err)
		assert.Empty(t, none)

		again, err := s.EnsureAcademy(ctx, sys, "poitiers", "Poitiers")
		require.NoError(t, err)
		assert.Equal(t, a.ID, again.ID)
	})
}

func school(uai, name string, kind campaign.Kind) campaign.School {
	sc := campaign.School{UAI: uai, Name: name, Kind: kind}
	if err := sc.Validate(); err != nil {
		panic(err)
	}
	return sc
}

func TestSchoolsScope(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		sys := access.System()
		poitiers, err := s.CreateAcademy(ctx, sys, "poitiers", "Poitiers")
		require.NoError(t, err)
		bordeaux, err := s.CreateAcademy(ctx, sys, "bordeaux", "Bordeaux")
		require.NoError(t, err)

		res, err := s.UpsertSchools(ctx, access.Academy(poitiers.ID), poitiers.ID, []campaign.School{
			school("0790029C", "Lycée Jean Macé", campaign.KindLycee),
			school("0860001J", "Collège Henri IV", campaign.KindCollege),
		})
		require.NoError(t, err)
		assert.Equal(t, 2, res.Inserted)
		_, err = s.UpsertSchools(ctx, access.Academy(bordeaux.ID), bordeaux.ID, []campaign.School{
			school("0330001X", "Lycée Montaigne", campaign.KindLycee),
			school("0790029C", "Usurpateur", campaign.KindLycee),
		})
		require.NoError(t, err)

		got, err := s.SchoolByUAI(ctx, access.Academy(poitiers.ID), "0790029C")
		require.NoError(t, err)
		assert.Equal(t, "Lycée Jean Macé", got.Name, "a school is never moved to another academy")
		assert.Equal(t, "79", got.Departement)

		tests := []struct {
			name  string
			scope access.Scope
			uai   string
			found bool
		}{
			{"own academy", access.Academy(poitiers.ID), "0860001J", true},
			{"other academy", access.Academy(bordeaux.ID), "0860001J", false},
			{"school admin, own school", access.Schools(poitiers.ID, "0790029C"), "0790029C", true},
			{"school admin, other school of the academy", access.Schools(poitiers.ID, "0790029C"), "0860001J", false},
			{"school admin, grant names a school of another academy", access.Schools(poitiers.ID, "0330001X"), "0330001X", false},
			{"zero scope", access.Scope{}, "0790029C", false},
			{"system", sys, "0330001X", true},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				_, err := s.SchoolByUAI(ctx, tt.scope, tt.uai)
				if tt.found {
					assert.NoError(t, err)
				} else {
					assert.ErrorIs(t, err, apperr.ErrNotFound)
				}
			})
		}

		list, total, err := s.ListSchools(ctx, access.Schools(poitiers.ID, "0790029C"), store.SchoolFilter{})
		require.NoError(t, err)
		assert.EqualValues(t, 1, total)
		require.Len(t, list, 1)
		list, _, err = s.ListSchools(ctx, access.Academy(poitiers.ID), store.SchoolFilter{Kind: campaign.KindCollege})
		require.NoError(t, err)
		require.Len(t, list, 1)
		assert.Equal(t, "0860001J", list[0].UAI)
		list, _, err = s.ListSchools(ctx, access.Academy(poitiers.ID), store.SchoolFilter{Search: "macé"})
		require.NoError(t, err)
		assert.Len(t, list, 1)

		_, err = s.UpsertSchools(ctx, access.Schools(poitiers.ID, "0790029C"), poitiers.ID, nil)
		assert.ErrorIs(t, err, apperr.ErrForbidden, "a school admin cannot write the registry")

		yes := true
		require.NoError(t, s.SetSchoolUsesGroups(ctx, access.Academy(poitiers.ID), "0860001J", &yes))
		err = s.SetSchoolUsesGroups(ctx, access.Academy(bordeaux.ID), "0860001J", &yes)
		assert.ErrorIs(t, err, apperr.ErrNotFound)
		got, err = s.SchoolByUAI(ctx, sys, "0860001J")
		require.NoError(t, err)
		assert.True(t, got.UsesGroupsEffective())
	})
}
