package ingest

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigie-edu/vigie/internal/apperr"
)

// assertInputError checks that err is an *apperr.InputError naming file, whose text has want.
func assertInputError(t *testing.T, err error, file, want string) *apperr.InputError {
	t.Helper()
	require.Error(t, err)
	ie, ok := errors.AsType[*apperr.InputError](err)
	require.True(t, ok, "want an *apperr.InputError, got %T: %v", err, err)
	assert.True(t, errors.Is(err, apperr.ErrInvalid))
	assert.Equal(t, file, ie.File, "the error names the file: %v", err)
	assert.Contains(t, err.Error(), want)
	return ie
}
