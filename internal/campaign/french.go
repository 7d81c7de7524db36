package campaign

import "fmt"

// Plural writes a count with its noun phrase in agreement, « 1 groupe vide », « 2 groupes
// vides », instead of « groupe(s) vide(s) »: French takes the singular for 0 and 1. one and
// many carry the whole phrase that agrees (noun, adjectives, verb).
func Plural(n int, one, many string) string {
	if n >= 2 || n <= -2 {
		return fmt.Sprintf("%d %s", n, many)
	}
	return fmt.Sprintf("%d %s", n, one)
}
