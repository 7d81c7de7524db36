package ingest

import (
	"archive/zip"
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

var received = time.Date(2026, 9, 10, 8, 0, 0, 0, time.UTC)

// fileUpload loads a testdata file as an upload.
func fileUpload(t testing.TB, name string) Upload {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return bytesUpload(filepath.Base(name), b)
}

func bytesUpload(name string, b []byte) Upload {
	return Upload{Name: name, Content: bytes.NewReader(b), Size: int64(len(b)), ReceivedAt: received}
}

type zipEntry struct {
	name string
	data []byte
	mod  time.Time
}

// zipBytes builds a zip in memory.
func zipBytes(t testing.TB, entries ...zipEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		h := &zip.FileHeader{Name: e.name, Method: zip.Deflate}
		if !e.mod.IsZero() {
			h.Modified = e.mod
		}
		w, err := zw.CreateHeader(h)
		require.NoError(t, err)
		_, err = w.Write(e.data)
		require.NoError(t, err)
	}
	require.NoError(t, zw.Close())
	return buf.Bytes()
}

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return b
}
