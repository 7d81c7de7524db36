package readiness

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestWhatNamesSources: a failing source is named as people know it, not by its code; a code
// that is no source (a links file name) stays as it is.
func TestWhatNamesSources(t *testing.T) {
	c := CheckReport{Status: CheckFail, Items: []Item{{Code: "sts", Kind: "source"}}}
	assert.Equal(t, "1 source\u00a0: STS-Web (sts_emp)", what(c))
	c.Items = append(c.Items, Item{Code: "0790029CELEGROUPE2026.xml", Kind: "source"})
	assert.Equal(t, "2 sources\u00a0: STS-Web (sts_emp), 0790029CELEGROUPE2026.xml", what(c))
}
