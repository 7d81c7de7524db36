package campaign

import (
	"fmt"
	"strings"

	"github.com/vigie-edu/vigie/internal/apperr"
)

// uaiLetters are the check letters of a UAI, indexed by the first seven digits modulo 23.
const uaiLetters = "ABCDEFGHJKLMNPRSTUVWXYZ"

// ParseUAI validates a UAI (unité administrative immatriculée, the school identifier): seven
// digits and a check letter, the letter being uaiLetters[digits mod 23]. Surrounding spaces are
// trimmed and the letter may be lower case; the result is canonical (upper case).
func ParseUAI(s string) (string, error) {
	u := strings.ToUpper(strings.TrimSpace(s))
	if len(u) != 8 {
		return "", apperr.Invalid("UAI %q: want 7 digits and a check letter, got %d characters", s, len(u))
	}
	n := 0
	for i := 0; i < 7; i++ {
		c := u[i]
		if c < '0' || c > '9' {
			return "", apperr.Invalid("UAI %q: character %d is %q, want a digit", s, i+1, c)
		}
		n = n*10 + int(c-'0')
	}
	want := uaiLetters[n%23]
	if u[7] != want {
		return "", apperr.Invalid("UAI %q: check letter is %q, want %q for %s", s, u[7], want, u[:7])
	}
	return u, nil
}

// MustUAI is ParseUAI for constants in tests and generators; it panics on a bad UAI.
func MustUAI(s string) string {
	u, err := ParseUAI(s)
	if err != nil {
		panic(fmt.Sprintf("campaign.MustUAI: %v", err))
	}
	return u
}

// UAICheckLetter returns the check letter for seven digits.
func UAICheckLetter(digits string) (byte, error) {
	if len(digits) != 7 {
		return 0, apperr.Invalid("UAI digits %q: want 7", digits)
	}
	n := 0
	for i := 0; i < 7; i++ {
		c := digits[i]
		if c < '0' || c > '9' {
			return 0, apperr.Invalid("UAI digits %q: not a digit at %d", digits, i+1)
		}
		n = n*10 + int(c-'0')
	}
	return uaiLetters[n%23], nil
}
