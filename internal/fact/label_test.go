package fact_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/vigie-edu/vigie/internal/fact"
)

func TestSourceLabel(t *testing.T) {
	for _, s := range fact.Sources {
		assert.NotEqual(t, string(s), s.Label(), "every source has a French label: %s", s)
	}
	assert.Equal(t, "STS-Web (sts_emp)", fact.SourceSTS.Label())
	assert.Equal(t, "type non reconnu", fact.Source("").Label())
	assert.Equal(t, "autre", fact.Source("autre").Label())
}
