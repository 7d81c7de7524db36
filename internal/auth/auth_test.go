package auth_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigie-edu/vigie/internal/apperr"
	"github.com/vigie-edu/vigie/internal/auth"
	"github.com/vigie-edu/vigie/internal/auth/authtest"
)

func TestPasswordHash(t *testing.T) {
	h, err := auth.HashPassword("correct horse battery", auth.DefaultParams)
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$"), h)
	ok, err := auth.VerifyPassword(h, "correct horse battery")
	require.NoError(t, err)
	assert.True(t, ok)
	ok, err = auth.VerifyPassword(h, "correct horse batterY")
	require.NoError(t, err)
	assert.False(t, ok)
	h2, err := auth.HashPassword("correct horse battery", auth.DefaultParams)
	require.NoError(t, err)
	assert.NotEqual(t, h, h2, "salted")

	ok, err = auth.VerifyPassword("", "anything at all")
	assert.NoError(t, err)
	assert.False(t, ok, "an account without password never matches")
	for _, bad := range []string{"$bcrypt$x", "$argon2id$v=19$m=0,t=1,p=1$AAAA$AAAA", "$argon2id$v=19$m=99999999,t=1,p=1$AAAA$AAAA", "$argon2id$v=19$m=8,t=1,p=1$!!$AAAA"} {
		_, err = auth.VerifyPassword(bad, "whatever password")
		assert.Error(t, err, bad)
	}
	_, err = auth.HashPassword("short", auth.DefaultParams)
	assert.ErrorIs(t, err, apperr.ErrInvalid)
	_, err = auth.HashPassword(strings.Repeat("x", 300), auth.DefaultParams)
	assert.ErrorIs(t, err, apperr.ErrInvalid)
}

func TestSecrets(t *testing.T) {
	a, err := auth.NewToken()
	require.NoError(t, err)
	b, err := auth.NewToken()
	require.NoError(t, err)
	assert.NotEqual(t, a, b)
	assert.True(t, auth.IsToken(a))
	assert.False(t, auth.IsToken("vs_abc"))
	assert.Len(t, auth.HashSecret(a), 64)
	assert.NotEqual(t, auth.HashSecret(a), auth.HashSecret(b))
	s, err := auth.NewSessionID()
	require.NoError(t, err)
	assert.Equal(t, auth.CSRFToken(s), auth.CSRFToken(s))
	assert.NotEqual(t, auth.CSRFToken(s), auth.CSRFToken(a))
	assert.True(t, auth.Equal("x", "x"))
	assert.False(t, auth.Equal("x", "y"))
}

func TestLimiter(t *testing.T) {
	l := auth.NewLimiter(3, time.Minute)
	t0 := time.Date(2026, 9, 1, 8, 0, 0, 0, time.UTC)
	for i := range 3 {
		ok, _ := l.Allow("alice", t0.Add(time.Duration(i)*time.Second))
		require.True(t, ok)
		l.Fail("alice", t0.Add(time.Duration(i)*time.Second))
	}
	ok, wait := l.Allow("alice", t0.Add(10*time.Second))
	assert.False(t, ok)
	assert.Equal(t, 50*time.Second, wait)
	ok, _ = l.Allow("bob", t0.Add(10*time.Second))
	assert.True(t, ok, "keys are independent")
	ok, _ = l.Allow("alice", t0.Add(61*time.Second))
	assert.True(t, ok, "the oldest failure left the window")
	l.Reset("alice")
	ok, _ = l.Allow("alice", t0.Add(11*time.Second))
	assert.True(t, ok)
}

// browse follows the provider's authorisation redirect the way a browser would, without
// following the final redirect to Vigie: it returns the callback URL.
func browse(t *testing.T, authURL string) *url.URL {
	t.Helper()
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(authURL)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusFound, resp.StatusCode)
	u, err := url.Parse(resp.Header.Get("Location"))
	require.NoError(t, err)
	return u
}

func TestOIDCAgainstInProcessProvider(t *testing.T) {
	ctx := context.Background()
	op := authtest.Start(t, "vigie", "s3cret")
	op.LogInAs(authtest.User{Subject: "agent-42", Email: "Agent@Ac-Poitiers.fr", EmailVerified: true, Name: "Agnès Dupré"})
	cfg := auth.OIDCConfig{Issuer: op.URL, ClientID: "vigie", ClientSecret: "s3cret", RedirectURL: "http://127.0.0.1:1/api/v1/auth/oidc/callback"}
	o, err := auth.NewOIDC(cfg, nil)
	require.NoError(t, err)

	flow, authURL, err := o.Start(ctx)
	require.NoError(t, err)
	assert.Contains(t, authURL, "code_challenge_method=S256")
	assert.NotContains(t, authURL, flow.Verifier, "the verifier never leaves Vigie")
	back := browse(t, authURL)
	assert.Equal(t, flow.State, back.Query().Get("state"))
	id, err := o.Finish(ctx, back.Query().Get("code"), flow.Verifier, flow.Nonce)
	require.NoError(t, err)
	assert.Equal(t, auth.Identity{Issuer: op.URL, Subject: "agent-42", Email: "agent@ac-poitiers.fr", EmailVerified: true, Name: "Agnès Dupré"}, id)

	t.Run("code used twice", func(t *testing.T) {
		_, err := o.Finish(ctx, back.Query().Get("code"), flow.Verifier, flow.Nonce)
		assert.ErrorIs(t, err, apperr.ErrUnauthorized)
	})
	t.Run("wrong PKCE verifier", func(t *testing.T) {
		f, u, err := o.Start(ctx)
		require.NoError(t, err)
		other, _, err := o.Start(ctx)
		require.NoError(t, err)
		_, err = o.Finish(ctx, browse(t, u).Query().Get("code"), other.Verifier, f.Nonce)
		assert.ErrorIs(t, err, apperr.ErrUnauthorized)
	})
	t.Run("wrong nonce", func(t *testing.T) {
		f, u, err := o.Start(ctx)
		require.NoError(t, err)
		_, err = o.Finish(ctx, browse(t, u).Query().Get("code"), f.Verifier, "another nonce")
		assert.ErrorIs(t, err, apperr.ErrUnauthorized)
	})
	t.Run("token for another client", func(t *testing.T) {
		op.Tamper(func(c map[string]any) { c["aud"] = "someone-else" })
		defer op.Tamper(nil)
		f, u, err := o.Start(ctx)
		require.NoError(t, err)
		_, err = o.Finish(ctx, browse(t, u).Query().Get("code"), f.Verifier, f.Nonce)
		assert.ErrorIs(t, err, apperr.ErrUnauthorized)
	})
	t.Run("expired token", func(t *testing.T) {
		op.Tamper(func(c map[string]any) { c["exp"] = time.Now().Add(-time.Hour).Unix() })
		defer op.Tamper(nil)
		f, u, err := o.Start(ctx)
		require.NoError(t, err)
		_, err = o.Finish(ctx, browse(t, u).Query().Get("code"), f.Verifier, f.Nonce)
		assert.ErrorIs(t, err, apperr.ErrUnauthorized)
	})
	t.Run("provider down", func(t *testing.T) {
		down, err := auth.NewOIDC(auth.OIDCConfig{Issuer: "http://127.0.0.1:1", ClientID: "x", RedirectURL: "http://x/cb"}, nil)
		require.NoError(t, err)
		_, _, err = down.Start(ctx)
		assert.ErrorIs(t, err, apperr.ErrUnavailable)
	})
}
