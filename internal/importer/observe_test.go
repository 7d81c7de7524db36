package importer_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigie-edu/vigie/internal/access"
	"github.com/vigie-edu/vigie/internal/fixture"
	"github.com/vigie-edu/vigie/internal/importer"
	"github.com/vigie-edu/vigie/internal/ingest"
	"github.com/vigie-edu/vigie/internal/store/storetest"
)

// TestObserver: the observer sees each file's kind, outcome and size: accepted, then the same
// file as a duplicate, a refused file, and a request that fails on Vigie's side.
func TestObserver(t *testing.T) {
	ctx := context.Background()
	st := storetest.SQLite(t)
	w := setup(t, st)
	var seen []importer.Observation
	im := importer.New(st, storetest.Logger(t), ingest.DefaultLimits(), func() time.Time { return fixture.DefaultNow },
		importer.WithObserver(func(o importer.Observation) { seen = append(seen, o) }))
	sts := upload(t, w.files[fixture.KindSTS][0])
	scope := access.Academy(w.academy.ID)
	for range 2 {
		sts.Content = upload(t, w.files[fixture.KindSTS][0]).Content
		_, err := im.Import(ctx, scope, importer.Request{Academy: w.academy, UAI: "0790029C", By: "test", Files: []ingest.Upload{sts}})
		require.NoError(t, err)
	}
	bad := memUpload("notes.txt", "ceci n'est pas un export")
	_, err := im.Import(ctx, scope, importer.Request{Academy: w.academy, UAI: "0790029C", By: "test", Files: []ingest.Upload{bad}})
	require.NoError(t, err)
	require.NoError(t, st.Close())
	_, err = im.Import(ctx, scope, importer.Request{Academy: w.academy, UAI: "0790029C", By: "test", Files: []ingest.Upload{bad}})
	require.Error(t, err, "the database is closed")

	assert.Equal(t, []importer.Observation{
		{Kind: "sts", Outcome: importer.ObservedAccepted, Bytes: sts.Size},
		{Kind: "sts", Outcome: importer.ObservedDuplicate, Bytes: sts.Size},
		{Kind: "", Outcome: importer.ObservedRejected, Bytes: bad.Size},
		{Kind: "", Outcome: importer.ObservedFailed, Bytes: bad.Size},
	}, seen)
}
