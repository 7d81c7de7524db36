package campaign

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestPlural(t *testing.T) {
	for n, want := range map[int]string{0: "0 groupe vide", 1: "1 groupe vide", 2: "2 groupes vides", 12: "12 groupes vides"} {
		assert.Equal(t, want, Plural(n, "groupe vide", "groupes vides"))
	}
}

func TestQuotedList(t *testing.T) {
	assert.Equal(t, "", QuotedList(nil))
	assert.Equal(t, "« A »", QuotedList([]string{"A"}))
	assert.Equal(t, "« A » et « B »", QuotedList([]string{"A", "B"}))
	assert.Equal(t, "« A », « B » et « C »", QuotedList([]string{"A", "B", "C"}))
	assert.Equal(t, "« A », « B », « C » et 1 autre", QuotedList([]string{"A", "B", "C", "D"}))
	assert.Equal(t, "« A », « B », « C » et 2 autres", QuotedList([]string{"A", "B", "C", "D", "E"}))
}
