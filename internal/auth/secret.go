package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
)

// Prefixes of the secrets Vigie hands out, so that a leaked one is recognisable (and secret
// scanners can be taught the pattern).
const (
	TokenPrefix   = "vigie_pat_"
	sessionPrefix = "vs_"
	// TokenShownPrefix is how many characters of a token are kept to recognise it in a list.
	TokenShownPrefix = len(TokenPrefix) + 6
)

// NewSecret returns prefix followed by 32 random bytes, base64url-encoded (256 bits).
func NewSecret(prefix string) (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("new secret: %w", err)
	}
	return prefix + base64.RawURLEncoding.EncodeToString(b), nil
}

// NewSessionID returns a new random session id.
func NewSessionID() (string, error) { return NewSecret(sessionPrefix) }

// NewToken returns a new personal API token.
func NewToken() (string, error) { return NewSecret(TokenPrefix) }

// IsToken tells whether s looks like a personal API token.
func IsToken(s string) bool { return strings.HasPrefix(s, TokenPrefix) && len(s) > TokenShownPrefix }

// HashSecret is what is stored of a session id, token or OAuth2 state: its SHA-256, hex.
// The secrets have 256 bits of entropy, so a fast hash is enough.
func HashSecret(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// CSRFToken derives the CSRF token of a session from its id: the browser receives it in the
// login answer (or the page) and sends it back in the X-CSRF-Token header; a cross-site
// page can read neither the cookie nor the token.
func CSRFToken(sessionID string) string {
	h := sha256.Sum256([]byte("vigie-csrf\x00" + sessionID))
	return base64.RawURLEncoding.EncodeToString(h[:])
}

// Equal compares two secrets in constant time.
func Equal(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }
