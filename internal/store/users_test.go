package store_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigie-edu/vigie/internal/access"
	"github.com/vigie-edu/vigie/internal/apperr"
	"github.com/vigie-edu/vigie/internal/store"
	"github.com/vigie-edu/vigie/internal/store/storetest"
)

var cli = store.SystemActor("cli")

func TestUsersAndGrants(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		sys := access.System()
		poitiers, bordeaux := twoAcademies(t, s)

		alice, err := s.CreateUser(ctx, sys, store.NewUser{Login: " Alice ", Name: "Alice Martin", Email: "Alice@AC-Poitiers.fr", PasswordHash: "h"}, cli)
		require.NoError(t, err)
		assert.Equal(t, "alice", alice.Login)
		assert.True(t, alice.HasPassword)
		_, err = s.CreateUser(ctx, sys, store.NewUser{Login: "ALICE"}, cli)
		assert.ErrorIs(t, err, apperr.ErrConflict)
		_, err = s.CreateUser(ctx, sys, store.NewUser{Login: "bad login"}, cli)
		assert.ErrorIs(t, err, apperr.ErrInvalid)
		_, err = s.CreateUser(ctx, access.Academy(poitiers.ID), store.NewUser{Login: "eve"}, cli)
		assert.ErrorIs(t, err, apperr.ErrNotFound, "only the system scope manages users")

		g, err := s.AddGrant(ctx, sys, access.Grant{UserID: alice.ID, AcademyID: poitiers.ID, Role: access.SchoolAdmin, UAIs: []string{"0860001j", "0790029C"}}, cli)
		require.NoError(t, err)
		assert.Equal(t, []string{"0790029C", "0860001J"}, g.UAIs)
		_, err = s.AddGrant(ctx, sys, access.Grant{UserID: alice.ID, AcademyID: poitiers.ID, Role: access.SchoolAdmin, UAIs: []string{"0330001X"}}, cli)
		assert.ErrorIs(t, err, apperr.ErrInvalid, "a school of another academy")
		_, err = s.AddGrant(ctx, sys, access.Grant{UserID: alice.ID, AcademyID: bordeaux.ID, Role: access.Supervisor}, cli)
		require.NoError(t, err)
		_, err = s.AddGrant(ctx, sys, access.Grant{UserID: alice.ID, Role: access.Supervisor}, cli)
		assert.ErrorIs(t, err, apperr.ErrInvalid, "a supervisor grant needs an academy")
		_, err = s.AddGrant(ctx, sys, access.Grant{UserID: alice.ID, AcademyID: 9999, Role: access.Supervisor}, cli)
		assert.ErrorIs(t, err, apperr.ErrNotFound)

		got, hash, err := s.UserCredentials(ctx, sys, "ALICE")
		require.NoError(t, err)
		assert.Equal(t, "h", hash)
		require.Len(t, got.Grants, 2)
		assert.Equal(t, "poitiers", got.Grants[0].AcademyCode)
		assert.Equal(t, "bordeaux", got.Grants[1].AcademyCode)
		assert.False(t, got.IsPlatformAdmin())

		byMail, err := s.UserByEmail(ctx, sys, "alice@ac-poitiers.fr")
		require.NoError(t, err)
		assert.Equal(t, alice.ID, byMail.ID)

		require.NoError(t, s.RevokeGrant(ctx, sys, alice.ID, got.Grants[1].ID, cli))
		assert.ErrorIs(t, s.RevokeGrant(ctx, sys, alice.ID, got.Grants[1].ID, cli), apperr.ErrNotFound)
		got, err = s.UserByID(ctx, sys, alice.ID)
		require.NoError(t, err)
		assert.Len(t, got.Grants, 1)

		root, err := s.CreateUser(ctx, sys, store.NewUser{Login: "root"}, cli)
		require.NoError(t, err)
		_, err = s.AddGrant(ctx, sys, access.Grant{UserID: root.ID, Role: access.PlatformAdmin}, cli)
		require.NoError(t, err)
		root, err = s.UserByLogin(ctx, sys, "root")
		require.NoError(t, err)
		assert.True(t, root.IsPlatformAdmin())
		assert.False(t, root.HasPassword)

		// OIDC identities.
		require.NoError(t, s.LinkIdentity(ctx, sys, "https://idp", "sub-1", alice.ID, cli))
		assert.ErrorIs(t, s.LinkIdentity(ctx, sys, "https://idp", "sub-1", root.ID, cli), apperr.ErrConflict)
		u, err := s.UserByIdentity(ctx, sys, "https://idp", "sub-1")
		require.NoError(t, err)
		assert.Equal(t, alice.ID, u.ID)
		_, err = s.UserByIdentity(ctx, sys, "https://other", "sub-1")
		assert.ErrorIs(t, err, apperr.ErrNotFound)

		// Disabling ends sessions.
		now := time.Now().UTC()
		require.NoError(t, s.CreateSession(ctx, sys, store.Session{IDHash: "abc", UserID: alice.ID, Method: "password", ExpiresAt: now.Add(time.Hour)}, cli))
		disabled := true
		_, err = s.UpdateUser(ctx, sys, alice.ID, store.UserUpdate{Disabled: &disabled}, cli)
		require.NoError(t, err)
		_, _, err = s.SessionByHash(ctx, sys, "abc", now)
		assert.ErrorIs(t, err, apperr.ErrNotFound)

		users, err := s.ListUsers(ctx, sys)
		require.NoError(t, err)
		require.Len(t, users, 2)
		assert.True(t, users[0].Disabled)

		entries, total, err := s.ListAudit(ctx, sys, store.AuditFilter{TargetType: "user"})
		require.NoError(t, err)
		assert.GreaterOrEqual(t, total, int64(4))
		assert.Equal(t, "user.update", entries[0].Action)
		assert.JSONEq(t, `{"id":`+strconv.FormatInt(alice.ID, 10)+`,"login":"alice","name":"Alice Martin","email":"alice@ac-poitiers.fr","has_password":true,"disabled":true}`, string(entries[0].After))
		assert.NotContains(t, string(entries[0].Before), `"h"`, "the password hash is never audited")
	})
}

func TestSessionsAndLoginFlows(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		sys := access.System()
		u, err := s.CreateUser(ctx, sys, store.NewUser{Login: "bob"}, cli)
		require.NoError(t, err)
		now := time.Date(2026, 9, 10, 8, 0, 0, 0, time.UTC)
		require.NoError(t, s.CreateSession(ctx, sys, store.Session{IDHash: "h1", UserID: u.ID, Method: "password", CreatedAt: now, ExpiresAt: now.Add(time.Hour), IP: "127.0.0.1"}, cli))
		se, got, err := s.SessionByHash(ctx, sys, "h1", now.Add(time.Minute))
		require.NoError(t, err)
		assert.Equal(t, u.ID, got.ID)
		assert.Equal(t, "password", se.Method)
		_, _, err = s.SessionByHash(ctx, sys, "h1", now.Add(2*time.Hour))
		assert.ErrorIs(t, err, apperr.ErrNotFound, "expired")
		require.NoError(t, s.TouchSession(ctx, sys, "h1", now.Add(time.Minute), now.Add(3*time.Hour)))
		_, _, err = s.SessionByHash(ctx, sys, "h1", now.Add(2*time.Hour))
		assert.NoError(t, err, "touched sessions live longer")
		_, _, err = s.SessionByHash(ctx, access.Academy(1), "h1", now)
		assert.ErrorIs(t, err, apperr.ErrNotFound)

		require.NoError(t, s.DeleteSession(ctx, sys, "h1", store.Actor{UserID: u.ID, Login: "bob"}))
		assert.ErrorIs(t, s.DeleteSession(ctx, sys, "h1", cli), apperr.ErrNotFound)

		require.NoError(t, s.SaveLoginFlow(ctx, sys, store.LoginFlow{StateHash: "st", Verifier: "v", Nonce: "n", ReturnTo: "/", ExpiresAt: now.Add(10 * time.Minute)}))
		f, err := s.TakeLoginFlow(ctx, sys, "st", now)
		require.NoError(t, err)
		assert.Equal(t, "v", f.Verifier)
		_, err = s.TakeLoginFlow(ctx, sys, "st", now)
		assert.ErrorIs(t, err, apperr.ErrNotFound, "a state is used once")
		require.NoError(t, s.SaveLoginFlow(ctx, sys, store.LoginFlow{StateHash: "old", ExpiresAt: now.Add(-time.Minute)}))
		_, err = s.TakeLoginFlow(ctx, sys, "old", now)
		assert.ErrorIs(t, err, apperr.ErrNotFound, "expired state")

		require.NoError(t, s.CreateSession(ctx, sys, store.Session{IDHash: "h2", UserID: u.ID, Method: "oidc", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}, cli))
		n, err := s.DeleteExpired(ctx, sys, now.Add(2*time.Hour))
		require.NoError(t, err)
		assert.EqualValues(t, 1, n)
	})
}

func TestTokens(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		sys := access.System()
		u, err := s.CreateUser(ctx, sys, store.NewUser{Login: "carol"}, cli)
		require.NoError(t, err)
		other, err := s.CreateUser(ctx, sys, store.NewUser{Login: "dave"}, cli)
		require.NoError(t, err)
		now := time.Now().UTC()
		tok, err := s.CreateToken(ctx, sys, store.Token{UserID: u.ID, Name: "script", Prefix: "vigie_ab", Scopes: []string{"read"}, ExpiresAt: now.Add(24 * time.Hour)}, "hash1", cli)
		require.NoError(t, err)
		_, err = s.CreateToken(ctx, sys, store.Token{UserID: u.ID, Name: "past", Scopes: []string{"read"}, ExpiresAt: now.Add(-time.Hour)}, "hash2", cli)
		assert.ErrorIs(t, err, apperr.ErrInvalid)
		_, err = s.CreateToken(ctx, sys, store.Token{UserID: u.ID, Name: "none", ExpiresAt: now.Add(time.Hour)}, "hash3", cli)
		assert.ErrorIs(t, err, apperr.ErrInvalid)

		got, owner, err := s.TokenByHash(ctx, sys, "hash1", now)
		require.NoError(t, err)
		assert.Equal(t, u.ID, owner.ID)
		assert.Equal(t, []string{"read"}, got.Scopes)
		_, _, err = s.TokenByHash(ctx, sys, "hash1", now.Add(25*time.Hour))
		assert.ErrorIs(t, err, apperr.ErrNotFound, "expired")
		require.NoError(t, s.TouchToken(ctx, sys, tok.ID, now))

		_, err = s.RevokeToken(ctx, sys, other.ID, tok.ID, cli)
		assert.ErrorIs(t, err, apperr.ErrNotFound, "another user's token")
		rev, err := s.RevokeToken(ctx, sys, u.ID, tok.ID, cli)
		require.NoError(t, err)
		assert.False(t, rev.Active(now))
		_, _, err = s.TokenByHash(ctx, sys, "hash1", now)
		assert.ErrorIs(t, err, apperr.ErrNotFound, "revoked")
		list, err := s.ListTokens(ctx, sys, u.ID)
		require.NoError(t, err)
		require.Len(t, list, 1)
		assert.False(t, list[0].LastUsedAt.IsZero())
	})
}
