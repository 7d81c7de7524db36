package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigie-edu/vigie/internal/access"
	"github.com/vigie-edu/vigie/internal/apperr"
	"github.com/vigie-edu/vigie/internal/store"
	"github.com/vigie-edu/vigie/internal/store/storetest"
)

func TestPlatformState(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		poitiers, bordeaux := twoAcademies(t, s)
		day := time.Date(2026, 9, 10, 8, 0, 0, 0, time.UTC)

		// Poitiers: one school ready, one never evaluated; Bordeaux's school not ready.
		for _, x := range []struct {
			academy int64
			uai     string
			status  string
		}{{poitiers.ID, "0790029C", "ready"}, {bordeaux.ID, "0330001X", "not_ready"}} {
			run, err := s.StartRun(ctx, access.Academy(x.academy), store.Run{AcademyID: x.academy, Trigger: "test", StartedAt: day})
			require.NoError(t, err)
			require.NoError(t, s.SaveResults(ctx, access.Academy(x.academy), run.ID, []store.Result{{UAI: x.uai, EvaluatedAt: day, Status: x.status, Report: []byte(`{}`)}}))
			_, err = s.FinishRunAt(ctx, access.Academy(x.academy), run.ID, day, nil)
			require.NoError(t, err)
		}
		for i, imp := range []store.Import{
			{AcademyID: poitiers.ID, UAI: "0790029C", Kind: "sts", FileName: "a.xml", SHA256: "a", ImportedAt: day, Outcome: store.ImportAccepted},
			{AcademyID: poitiers.ID, UAI: "0790029C", Kind: "sts", FileName: "b.xml", SHA256: "b", ImportedAt: day.Add(time.Hour), Outcome: store.ImportAccepted},
			{AcademyID: poitiers.ID, UAI: "0790029C", Kind: "links", FileName: "c.xml", SHA256: "c", ImportedAt: day.Add(2 * time.Hour), Outcome: store.ImportRejected},
			{AcademyID: bordeaux.ID, Kind: "ent", FileName: "feed.zip", SHA256: "d", ImportedAt: day.Add(-time.Hour), Outcome: store.ImportAccepted},
		} {
			imp.ImportedBy = "test"
			_, _, err := s.SaveImport(ctx, access.System(), imp, store.Blob{}, nil)
			require.NoError(t, err, "import %d", i)
		}

		st, err := s.PlatformState(ctx, access.System())
		require.NoError(t, err)
		assert.ElementsMatch(t, []store.StatusCount{
			{Academy: "bordeaux", Status: "not_ready", N: 1},
			{Academy: "poitiers", Status: "ready", N: 1},
			{Academy: "poitiers", Status: store.StatusNone, N: 1},
		}, st.Schools)
		require.Len(t, st.Sources, 2, "rejected imports do not count: %+v", st.Sources)
		assert.Equal(t, store.SourceImport{Academy: "bordeaux", Kind: "ent", Newest: day.Add(-time.Hour)}, st.Sources[0])
		assert.Equal(t, store.SourceImport{Academy: "poitiers", Kind: "sts", Newest: day.Add(time.Hour)}, st.Sources[1])

		_, err = s.PlatformState(ctx, access.Academy(poitiers.ID))
		assert.ErrorIs(t, err, apperr.ErrNotFound, "an academy scope does not see the platform")
	})
}
