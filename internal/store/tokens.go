package store

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/vigie-edu/vigie/internal/access"
	"github.com/vigie-edu/vigie/internal/apperr"
)

// Token is a personal API token. Only the SHA-256 of the secret is stored; Prefix (the first
// characters of the secret) lets its owner recognise it in a list.
type Token struct {
	ID         int64
	UserID     int64
	Name       string
	Prefix     string
	Scopes     []string // read, write, or action names
	CreatedAt  time.Time
	ExpiresAt  time.Time
	LastUsedAt time.Time
	RevokedAt  time.Time
}

// Active tells whether the token can be used at now.
func (t Token) Active(now time.Time) bool { return t.RevokedAt.IsZero() && now.Before(t.ExpiresAt) }

type tokenRow struct {
	ID         int64 `gorm:"primaryKey"`
	UserID     int64
	Name       string
	Prefix     string
	Hash       string
	Scopes     string
	CreatedAt  time.Time
	ExpiresAt  time.Time
	LastUsedAt *time.Time
	RevokedAt  *time.Time
}

func (tokenRow) TableName() string { return "api_tokens" }

func (r tokenRow) domain() Token {
	t := Token{ID: r.ID, UserID: r.UserID, Name: r.Name, Prefix: r.Prefix, CreatedAt: r.CreatedAt.UTC(), ExpiresAt: r.ExpiresAt.UTC()}
	if r.Scopes != "" {
		t.Scopes = strings.Split(r.Scopes, ",")
	}
	if r.LastUsedAt != nil {
		t.LastUsedAt = r.LastUsedAt.UTC()
	}
	if r.RevokedAt != nil {
		t.RevokedAt = r.RevokedAt.UTC()
	}
	return t
}

func auditToken(t Token) map[string]any {
	return map[string]any{"id": t.ID, "user_id": t.UserID, "name": t.Name, "prefix": t.Prefix, "scopes": t.Scopes,
		"expires_at": t.ExpiresAt}
}

// CreateToken stores a new token of a user under the hash of its secret.
func (s *Store) CreateToken(ctx context.Context, scope access.Scope, t Token, hash string, by Actor) (Token, error) {
	if err := systemOnly(scope, "create token"); err != nil {
		return Token{}, err
	}
	if strings.TrimSpace(t.Name) == "" {
		return Token{}, apperr.Invalid("a token needs a name")
	}
	if len(t.Scopes) == 0 {
		return Token{}, apperr.Invalid("a token needs at least one scope")
	}
	now := s.now()
	if !t.ExpiresAt.After(now) {
		return Token{}, apperr.Invalid("a token must expire in the future")
	}
	row := tokenRow{UserID: t.UserID, Name: strings.TrimSpace(t.Name), Prefix: t.Prefix, Hash: hash,
		Scopes: strings.Join(t.Scopes, ","), CreatedAt: now, ExpiresAt: t.ExpiresAt.UTC()}
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Create(&row).Error; err != nil {
			return err
		}
		return s.writeAudit(tx, by, Change{Action: "token.create", TargetType: "token", TargetID: strconv.FormatInt(row.ID, 10),
			After: auditToken(row.domain())})
	})
	if err != nil {
		return Token{}, fmt.Errorf("create token: %w", err)
	}
	return row.domain(), nil
}

// TokenByHash returns an active token and its user (with grants). A revoked or expired
// token, or one of a disabled account, is not found.
func (s *Store) TokenByHash(ctx context.Context, scope access.Scope, hash string, now time.Time) (Token, access.User, error) {
	if err := systemOnly(scope, "token"); err != nil {
		return Token{}, access.User{}, err
	}
	var rows []userGrantRow
	err := s.db.WithContext(ctx).Raw(`SELECT x.id AS t_id, x.name AS t_name, x.prefix AS t_prefix, x.scopes AS t_scopes,
		x.created_at AS t_created_at, x.expires_at AS t_expires_at, x.last_used_at AS t_last_used_at, `+userGrantColumns+`
		FROM api_tokens x `+userGrantJoins+`
		WHERE x.hash = ? AND x.revoked_at IS NULL AND x.expires_at > ? ORDER BY g.id`, hash, now.UTC()).Scan(&rows).Error
	if err != nil {
		return Token{}, access.User{}, fmt.Errorf("token: %w", err)
	}
	if len(rows) == 0 {
		return Token{}, access.User{}, fmt.Errorf("token: %w", apperr.ErrNotFound)
	}
	u := userFromRows(rows)
	if u.Disabled {
		return Token{}, access.User{}, fmt.Errorf("token of disabled user %d: %w", u.ID, apperr.ErrNotFound)
	}
	r0 := rows[0]
	r := tokenRow{ID: r0.TID, UserID: u.ID, Name: r0.TName, Prefix: r0.TPrefix, Scopes: r0.TScopes, CreatedAt: deref(r0.TCreatedAt),
		ExpiresAt: deref(r0.TExpiresAt), LastUsedAt: r0.TLastUsedAt}
	return r.domain(), u, nil
}

// TouchToken records the use of a token.
func (s *Store) TouchToken(ctx context.Context, scope access.Scope, id int64, at time.Time) error {
	if err := systemOnly(scope, "touch token"); err != nil {
		return err
	}
	if err := s.db.WithContext(ctx).Model(&tokenRow{}).Where("id = ?", id).Update("last_used_at", at.UTC()).Error; err != nil {
		return fmt.Errorf("touch token %d: %w", id, err)
	}
	return nil
}

// ListTokens returns the tokens of a user, newest first, revoked ones included.
func (s *Store) ListTokens(ctx context.Context, scope access.Scope, userID int64) ([]Token, error) {
	if err := systemOnly(scope, "list tokens"); err != nil {
		return nil, err
	}
	var rows []tokenRow
	if err := s.db.WithContext(ctx).Where("user_id = ?", userID).Order("created_at DESC, id DESC").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	out := make([]Token, len(rows))
	for i, r := range rows {
		out[i] = r.domain()
	}
	return out, nil
}

// RevokeToken revokes a token of a user; a token of another user is not found.
func (s *Store) RevokeToken(ctx context.Context, scope access.Scope, userID, tokenID int64, by Actor) (Token, error) {
	if err := systemOnly(scope, "revoke token"); err != nil {
		return Token{}, err
	}
	var out Token
	err := s.tx(ctx, func(tx *gorm.DB) error {
		var r tokenRow
		if err := tx.Where("id = ? AND user_id = ?", tokenID, userID).Take(&r).Error; err != nil {
			return notFound(err, "token %d", tokenID)
		}
		before := r.domain()
		if r.RevokedAt == nil {
			now := s.now()
			r.RevokedAt = &now
			if err := tx.Model(&tokenRow{}).Where("id = ?", tokenID).Update("revoked_at", now).Error; err != nil {
				return err
			}
		}
		out = r.domain()
		after := auditToken(out)
		after["revoked_at"] = out.RevokedAt
		return s.writeAudit(tx, by, Change{Action: "token.revoke", TargetType: "token", TargetID: strconv.FormatInt(tokenID, 10),
			Before: auditToken(before), After: after})
	})
	if err != nil {
		return Token{}, fmt.Errorf("revoke token %d: %w", tokenID, err)
	}
	return out, nil
}
