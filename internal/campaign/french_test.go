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
