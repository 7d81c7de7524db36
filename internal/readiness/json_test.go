package readiness

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

func jsonMap(t *testing.T, r *Report) map[string]any {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, WriteJSON(&buf, r))
	var m map[string]any
	require.NoError(t, json.Unmarshal(buf.Bytes(), &m))
	var back Report
	require.NoError(t, json.Unmarshal(buf.Bytes(), &back), "a report reads back")
	require.Equal(t, r.EvaluatedAt.Unix(), back.EvaluatedAt.Unix())
	return m
}
