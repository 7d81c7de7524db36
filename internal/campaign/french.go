package campaign

import (
	"fmt"
	"strings"
)

// Plural writes a count with its noun phrase in agreement, « 1 groupe vide », « 2 groupes
// vides », instead of « groupe(s) vide(s) »: French takes the singular for 0 and 1. one and
// many carry the whole phrase that agrees (noun, adjectives, verb).
func Plural(n int, one, many string) string {
	if n >= 2 || n <= -2 {
		return fmt.Sprintf("%d %s", n, many)
	}
	return fmt.Sprintf("%d %s", n, one)
}

// QuotedList writes titles as « A », « B » et « C »; past three, « A », « B », « C » et
// 2 autres, so that a sentence stays readable whatever the count.
func QuotedList(titles []string) string {
	const shown = 3
	q := make([]string, 0, shown)
	for i, t := range titles {
		if i == shown {
			break
		}
		q = append(q, "« "+t+" »")
	}
	switch rest := len(titles) - len(q); {
	case rest > 0:
		return strings.Join(q, ", ") + " et " + Plural(rest, "autre", "autres")
	case len(q) <= 1:
		return strings.Join(q, "")
	default:
		return strings.Join(q[:len(q)-1], ", ") + " et " + q[len(q)-1]
	}
}
