package store

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/vigie-edu/vigie/internal/access"
	"github.com/vigie-edu/vigie/internal/apperr"
)

// Sessions and pending OIDC logins are platform data, read by the authentication of a request
// with the System scope. Only hashes of session ids and OAuth2 states are stored.

// Session is a browser session.
type Session struct {
	IDHash     string
	UserID     int64
	Method     string // password | oidc
	CreatedAt  time.Time
	LastSeenAt time.Time
	ExpiresAt  time.Time
	IP         string
	UserAgent  string
}

type sessionRow struct {
	IDHash     string `gorm:"primaryKey"`
	UserID     int64
	Method     string
	CreatedAt  time.Time
	LastSeenAt time.Time
	ExpiresAt  time.Time
	IP         string `gorm:"column:ip"`
	UserAgent  string
}

func (sessionRow) TableName() string { return "sessions" }

func (r sessionRow) domain() Session {
	return Session{IDHash: r.IDHash, UserID: r.UserID, Method: r.Method, CreatedAt: r.CreatedAt.UTC(),
		LastSeenAt: r.LastSeenAt.UTC(), ExpiresAt: r.ExpiresAt.UTC(), IP: r.IP, UserAgent: r.UserAgent}
}

// CreateSession stores a new session and records the login in the audit log.
func (s *Store) CreateSession(ctx context.Context, scope access.Scope, se Session, by Actor) error {
	if err := systemOnly(scope, "create session"); err != nil {
		return err
	}
	if se.CreatedAt.IsZero() {
		se.CreatedAt = s.now()
	}
	if se.LastSeenAt.IsZero() {
		se.LastSeenAt = se.CreatedAt
	}
	if len(se.UserAgent) > 300 {
		se.UserAgent = se.UserAgent[:300]
	}
	row := sessionRow{IDHash: se.IDHash, UserID: se.UserID, Method: se.Method, CreatedAt: se.CreatedAt.UTC(),
		LastSeenAt: se.LastSeenAt.UTC(), ExpiresAt: se.ExpiresAt.UTC(), IP: se.IP, UserAgent: se.UserAgent}
	return s.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Create(&row).Error; err != nil {
			return fmt.Errorf("create session: %w", err)
		}
		if err := tx.Model(&userRow{}).Where("id = ?", se.UserID).Update("last_login_at", row.CreatedAt).Error; err != nil {
			return fmt.Errorf("record login: %w", err)
		}
		return s.writeAudit(tx, by, Change{Action: "session.login", TargetType: "user", TargetID: fmt.Sprint(se.UserID),
			After: map[string]string{"method": se.Method, "ip": se.IP}})
	})
}

// SessionByHash returns a live session and its user (with grants). An expired session, or
// one of a disabled account, is not found.
func (s *Store) SessionByHash(ctx context.Context, scope access.Scope, idHash string, now time.Time) (Session, access.User, error) {
	if err := systemOnly(scope, "session"); err != nil {
		return Session{}, access.User{}, err
	}
	var rows []userGrantRow
	err := s.db.WithContext(ctx).Raw(`SELECT x.id_hash AS s_id_hash, x.method AS s_method, x.created_at AS s_created_at,
		x.last_seen_at AS s_last_seen_at, x.expires_at AS s_expires_at, x.ip AS s_ip, x.user_agent AS s_user_agent, `+userGrantColumns+`
		FROM sessions x `+userGrantJoins+`
		WHERE x.id_hash = ? AND x.expires_at > ? ORDER BY g.id`, idHash, now.UTC()).Scan(&rows).Error
	if err != nil {
		return Session{}, access.User{}, fmt.Errorf("session: %w", err)
	}
	if len(rows) == 0 {
		return Session{}, access.User{}, fmt.Errorf("session: %w", apperr.ErrNotFound)
	}
	u := userFromRows(rows)
	if u.Disabled {
		return Session{}, access.User{}, fmt.Errorf("session of disabled user %d: %w", u.ID, apperr.ErrNotFound)
	}
	r0 := rows[0]
	r := sessionRow{IDHash: r0.SIDHash, UserID: u.ID, Method: r0.SMethod, CreatedAt: deref(r0.SCreatedAt),
		LastSeenAt: deref(r0.SLastSeenAt), ExpiresAt: deref(r0.SExpiresAt), IP: r0.SIP, UserAgent: r0.SUserAgent}
	return r.domain(), u, nil
}

// TouchSession records activity on a session and moves its expiry.
func (s *Store) TouchSession(ctx context.Context, scope access.Scope, idHash string, seen, expires time.Time) error {
	if err := systemOnly(scope, "touch session"); err != nil {
		return err
	}
	err := s.db.WithContext(ctx).Model(&sessionRow{}).Where("id_hash = ?", idHash).
		Updates(map[string]any{"last_seen_at": seen.UTC(), "expires_at": expires.UTC()}).Error
	if err != nil {
		return fmt.Errorf("touch session: %w", err)
	}
	return nil
}

// DeleteSession ends a session (logout).
func (s *Store) DeleteSession(ctx context.Context, scope access.Scope, idHash string, by Actor) error {
	if err := systemOnly(scope, "delete session"); err != nil {
		return err
	}
	return s.tx(ctx, func(tx *gorm.DB) error {
		res := tx.Where("id_hash = ?", idHash).Delete(&sessionRow{})
		if res.Error != nil {
			return fmt.Errorf("delete session: %w", res.Error)
		}
		if res.RowsAffected == 0 {
			return fmt.Errorf("session: %w", apperr.ErrNotFound)
		}
		return s.writeAudit(tx, by, Change{Action: "session.logout", TargetType: "user", TargetID: fmt.Sprint(by.UserID)})
	})
}

// DeleteExpired removes expired sessions and login flows, and returns how many.
func (s *Store) DeleteExpired(ctx context.Context, scope access.Scope, now time.Time) (int64, error) {
	if err := systemOnly(scope, "delete expired sessions"); err != nil {
		return 0, err
	}
	a := s.db.WithContext(ctx).Where("expires_at <= ?", now.UTC()).Delete(&sessionRow{})
	if a.Error != nil {
		return 0, fmt.Errorf("delete expired sessions: %w", a.Error)
	}
	b := s.db.WithContext(ctx).Where("expires_at <= ?", now.UTC()).Delete(&loginFlowRow{})
	if b.Error != nil {
		return 0, fmt.Errorf("delete expired login flows: %w", b.Error)
	}
	return a.RowsAffected + b.RowsAffected, nil
}

// LoginFlow is a pending OIDC login: what the callback needs to finish it.
type LoginFlow struct {
	StateHash string
	Verifier  string // PKCE code verifier
	Nonce     string
	ReturnTo  string
	CreatedAt time.Time
	ExpiresAt time.Time
}

type loginFlowRow struct {
	StateHash string `gorm:"primaryKey"`
	Verifier  string
	Nonce     string
	ReturnTo  string
	CreatedAt time.Time
	ExpiresAt time.Time
}

func (loginFlowRow) TableName() string { return "login_flows" }

// SaveLoginFlow stores a pending OIDC login.
func (s *Store) SaveLoginFlow(ctx context.Context, scope access.Scope, f LoginFlow) error {
	if err := systemOnly(scope, "save login flow"); err != nil {
		return err
	}
	if f.CreatedAt.IsZero() {
		f.CreatedAt = s.now()
	}
	row := loginFlowRow{StateHash: f.StateHash, Verifier: f.Verifier, Nonce: f.Nonce, ReturnTo: f.ReturnTo,
		CreatedAt: f.CreatedAt.UTC(), ExpiresAt: f.ExpiresAt.UTC()}
	if err := s.db.WithContext(ctx).Create(&row).Error; err != nil {
		return fmt.Errorf("save login flow: %w", err)
	}
	return nil
}

// TakeLoginFlow returns a pending OIDC login and deletes it: a state is used once. An
// expired or unknown state is not found.
func (s *Store) TakeLoginFlow(ctx context.Context, scope access.Scope, stateHash string, now time.Time) (LoginFlow, error) {
	if err := systemOnly(scope, "take login flow"); err != nil {
		return LoginFlow{}, err
	}
	var r loginFlowRow
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Where("state_hash = ?", stateHash).Take(&r).Error; err != nil {
			return notFound(err, "login flow")
		}
		res := tx.Where("state_hash = ?", stateHash).Delete(&loginFlowRow{})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 { // taken by a concurrent callback
			return fmt.Errorf("login flow: %w", apperr.ErrNotFound)
		}
		return nil
	})
	if err != nil {
		return LoginFlow{}, fmt.Errorf("take login flow: %w", err)
	}
	if !r.ExpiresAt.After(now) {
		return LoginFlow{}, fmt.Errorf("login flow expired: %w", apperr.ErrNotFound)
	}
	return LoginFlow{StateHash: r.StateHash, Verifier: r.Verifier, Nonce: r.Nonce, ReturnTo: r.ReturnTo,
		CreatedAt: r.CreatedAt.UTC(), ExpiresAt: r.ExpiresAt.UTC()}, nil
}
