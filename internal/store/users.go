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

// Users, their grants and their OIDC identities are platform data: only the System scope (a
// platform administrator, the command line, the authentication of a request) reads or
// changes them; any other scope finds nothing.

type userRow struct {
	ID           int64 `gorm:"primaryKey"`
	Login        string
	Name         string
	Email        string
	PasswordHash string
	DisabledAt   *time.Time
	LastLoginAt  *time.Time
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

func (userRow) TableName() string { return "users" }

func (r userRow) domain() access.User {
	u := access.User{ID: r.ID, Login: r.Login, Name: r.Name, Email: r.Email, HasPassword: r.PasswordHash != "",
		Disabled: r.DisabledAt != nil, CreatedAt: r.CreatedAt.UTC()}
	if r.LastLoginAt != nil {
		u.LastLoginAt = r.LastLoginAt.UTC()
	}
	return u
}

type grantRow struct {
	ID        int64 `gorm:"primaryKey"`
	UserID    int64
	AcademyID *int64
	Role      string
	UAIs      string `gorm:"column:uais"`
	CreatedAt time.Time
	CreatedBy string
}

func (grantRow) TableName() string { return "grants" }

type grantJoinRow struct {
	ID          int64
	UserID      int64
	AcademyID   *int64
	Role        string
	UAIs        string `gorm:"column:uais"`
	CreatedAt   time.Time
	CreatedBy   string
	AcademyCode string
}

func (r grantJoinRow) domain() access.Grant {
	g := access.Grant{ID: r.ID, UserID: r.UserID, AcademyCode: r.AcademyCode, Role: access.Role(r.Role),
		CreatedAt: r.CreatedAt.UTC(), CreatedBy: r.CreatedBy}
	if r.AcademyID != nil {
		g.AcademyID = *r.AcademyID
	}
	if r.UAIs != "" {
		g.UAIs = strings.Split(r.UAIs, ",")
	}
	return g
}

type identityRow struct {
	Issuer    string `gorm:"primaryKey"`
	Subject   string `gorm:"primaryKey"`
	UserID    int64
	CreatedAt time.Time
}

func (identityRow) TableName() string { return "user_identities" }

func systemOnly(scope access.Scope, what string) error {
	if !scope.IsSystem() {
		return fmt.Errorf("%s: %w", what, apperr.ErrNotFound)
	}
	return nil
}

// NewUser is an account to create.
type NewUser struct {
	Login        string
	Name         string
	Email        string
	PasswordHash string // '' for an account that logs in through OIDC only
}

// CreateUser adds an account.
func (s *Store) CreateUser(ctx context.Context, scope access.Scope, nu NewUser, by Actor) (access.User, error) {
	if err := systemOnly(scope, "create user"); err != nil {
		return access.User{}, err
	}
	login, err := access.NormalizeLogin(nu.Login)
	if err != nil {
		return access.User{}, err
	}
	now := s.now()
	row := userRow{Login: login, Name: strings.TrimSpace(nu.Name), Email: strings.ToLower(strings.TrimSpace(nu.Email)),
		PasswordHash: nu.PasswordHash, CreatedAt: now, UpdatedAt: now}
	err = s.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Create(&row).Error; err != nil {
			return err
		}
		return s.writeAudit(tx, by, Change{Action: "user.create", TargetType: "user", TargetID: strconv.FormatInt(row.ID, 10),
			After: auditUser(row)})
	})
	if err != nil {
		if isUniqueViolation(err) {
			return access.User{}, fmt.Errorf("create user %s: login taken: %w", login, apperr.ErrConflict)
		}
		return access.User{}, fmt.Errorf("create user %s: %w", login, err)
	}
	return row.domain(), nil
}

// auditUser is what the audit log keeps of an account: never the password hash.
func auditUser(r userRow) map[string]any {
	return map[string]any{"id": r.ID, "login": r.Login, "name": r.Name, "email": r.Email,
		"has_password": r.PasswordHash != "", "disabled": r.DisabledAt != nil}
}

func (s *Store) withGrants(ctx context.Context, users []access.User) ([]access.User, error) {
	if len(users) == 0 {
		return users, nil
	}
	ids := make([]int64, len(users))
	idx := make(map[int64]int, len(users))
	for i, u := range users {
		ids[i] = u.ID
		idx[u.ID] = i
	}
	var rows []grantJoinRow
	err := s.db.WithContext(ctx).Table("grants g").Select("g.*, COALESCE(a.code, '') AS academy_code").
		Joins("LEFT JOIN academies a ON a.id = g.academy_id").Where("g.user_id IN ?", ids).Order("g.id").Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("read grants: %w", err)
	}
	for _, r := range rows {
		i := idx[r.UserID]
		users[i].Grants = append(users[i].Grants, r.domain())
	}
	return users, nil
}

func (s *Store) userWhere(ctx context.Context, scope access.Scope, what string, query string, args ...any) (access.User, userRow, error) {
	if err := systemOnly(scope, what); err != nil {
		return access.User{}, userRow{}, err
	}
	var r userRow
	if err := s.db.WithContext(ctx).Where(query, args...).Take(&r).Error; err != nil {
		return access.User{}, userRow{}, notFound(err, "%s", what)
	}
	us, err := s.withGrants(ctx, []access.User{r.domain()})
	if err != nil {
		return access.User{}, userRow{}, err
	}
	return us[0], r, nil
}

// UserByID returns an account with its grants.
func (s *Store) UserByID(ctx context.Context, scope access.Scope, id int64) (access.User, error) {
	u, _, err := s.userWhere(ctx, scope, fmt.Sprintf("user %d", id), "id = ?", id)
	return u, err
}

// UserByLogin returns an account with its grants.
func (s *Store) UserByLogin(ctx context.Context, scope access.Scope, login string) (access.User, error) {
	u, _, err := s.userWhere(ctx, scope, "user "+login, "login = ?", strings.ToLower(strings.TrimSpace(login)))
	return u, err
}

// UserCredentials returns an account and its password hash, for a password login.
func (s *Store) UserCredentials(ctx context.Context, scope access.Scope, login string) (access.User, string, error) {
	u, r, err := s.userWhere(ctx, scope, "user "+login, "login = ?", strings.ToLower(strings.TrimSpace(login)))
	return u, r.PasswordHash, err
}

// UserByEmail returns the one account with this e-mail address; none or several is not found.
func (s *Store) UserByEmail(ctx context.Context, scope access.Scope, email string) (access.User, error) {
	if err := systemOnly(scope, "user by e-mail"); err != nil {
		return access.User{}, err
	}
	email = strings.ToLower(strings.TrimSpace(email))
	if email == "" {
		return access.User{}, fmt.Errorf("user by empty e-mail: %w", apperr.ErrNotFound)
	}
	var rows []userRow
	if err := s.db.WithContext(ctx).Where("email = ?", email).Limit(2).Find(&rows).Error; err != nil {
		return access.User{}, fmt.Errorf("user by e-mail: %w", err)
	}
	if len(rows) != 1 {
		return access.User{}, fmt.Errorf("user by e-mail (%d accounts): %w", len(rows), apperr.ErrNotFound)
	}
	us, err := s.withGrants(ctx, []access.User{rows[0].domain()})
	if err != nil {
		return access.User{}, err
	}
	return us[0], nil
}

// ListUsers returns every account with its grants, by login.
func (s *Store) ListUsers(ctx context.Context, scope access.Scope) ([]access.User, error) {
	if err := systemOnly(scope, "list users"); err != nil {
		return nil, err
	}
	var rows []userRow
	if err := s.db.WithContext(ctx).Order("login").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	out := make([]access.User, len(rows))
	for i, r := range rows {
		out[i] = r.domain()
	}
	return s.withGrants(ctx, out)
}

// UserUpdate changes an account; nil fields are left as they are.
type UserUpdate struct {
	Name         *string
	Email        *string
	PasswordHash *string
	Disabled     *bool
}

// UpdateUser changes an account. Disabling it also ends its sessions.
func (s *Store) UpdateUser(ctx context.Context, scope access.Scope, id int64, up UserUpdate, by Actor) (access.User, error) {
	if err := systemOnly(scope, "update user"); err != nil {
		return access.User{}, err
	}
	err := s.tx(ctx, func(tx *gorm.DB) error {
		var before userRow
		if err := tx.Where("id = ?", id).Take(&before).Error; err != nil {
			return notFound(err, "user %d", id)
		}
		after := before
		changes := map[string]any{"updated_at": s.now()}
		if up.Name != nil {
			after.Name = strings.TrimSpace(*up.Name)
			changes["name"] = after.Name
		}
		if up.Email != nil {
			after.Email = strings.ToLower(strings.TrimSpace(*up.Email))
			changes["email"] = after.Email
		}
		if up.PasswordHash != nil {
			after.PasswordHash = *up.PasswordHash
			changes["password_hash"] = after.PasswordHash
		}
		if up.Disabled != nil {
			if *up.Disabled && before.DisabledAt == nil {
				now := s.now()
				after.DisabledAt = &now
				changes["disabled_at"] = now
			} else if !*up.Disabled {
				after.DisabledAt = nil
				changes["disabled_at"] = nil
			}
		}
		if err := tx.Model(&userRow{}).Where("id = ?", id).Updates(changes).Error; err != nil {
			return err
		}
		if after.DisabledAt != nil || up.PasswordHash != nil {
			if err := tx.Where("user_id = ?", id).Delete(&sessionRow{}).Error; err != nil {
				return fmt.Errorf("end sessions: %w", err)
			}
		}
		return s.writeAudit(tx, by, Change{Action: "user.update", TargetType: "user", TargetID: strconv.FormatInt(id, 10),
			Before: auditUser(before), After: auditUser(after)})
	})
	if err != nil {
		return access.User{}, fmt.Errorf("update user %d: %w", id, err)
	}
	return s.UserByID(ctx, scope, id)
}

// TouchLogin records a successful login.
func (s *Store) TouchLogin(ctx context.Context, scope access.Scope, id int64, at time.Time) error {
	if err := systemOnly(scope, "record login"); err != nil {
		return err
	}
	if err := s.db.WithContext(ctx).Model(&userRow{}).Where("id = ?", id).Update("last_login_at", at.UTC()).Error; err != nil {
		return fmt.Errorf("record login of user %d: %w", id, err)
	}
	return nil
}

// AddGrant gives a user a role. The academy must exist and a school_admin grant may only list
// schools of that academy.
func (s *Store) AddGrant(ctx context.Context, scope access.Scope, g access.Grant, by Actor) (access.Grant, error) {
	if err := systemOnly(scope, "add grant"); err != nil {
		return access.Grant{}, err
	}
	if err := g.Validate(); err != nil {
		return access.Grant{}, err
	}
	if _, err := s.UserByID(ctx, scope, g.UserID); err != nil {
		return access.Grant{}, err
	}
	row := grantRow{UserID: g.UserID, Role: string(g.Role), UAIs: strings.Join(g.UAIs, ","), CreatedAt: s.now(), CreatedBy: by.Login}
	if g.AcademyID != 0 {
		a, err := s.AcademyByID(ctx, scope, g.AcademyID)
		if err != nil {
			return access.Grant{}, err
		}
		g.AcademyCode = a.Code
		row.AcademyID = &g.AcademyID
		if len(g.UAIs) > 0 {
			var n int64
			if err := s.db.WithContext(ctx).Table("schools").Where("academy_id = ? AND uai IN ?", g.AcademyID, g.UAIs).Count(&n).Error; err != nil {
				return access.Grant{}, fmt.Errorf("check grant schools: %w", err)
			}
			if int(n) != len(g.UAIs) {
				return access.Grant{}, apperr.Invalid("grant lists %d school(s) that are not schools of academy %s", len(g.UAIs)-int(n), a.Code)
			}
		}
	}
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Create(&row).Error; err != nil {
			return err
		}
		g.ID, g.CreatedAt, g.CreatedBy = row.ID, row.CreatedAt.UTC(), row.CreatedBy
		return s.writeAudit(tx, by, Change{AcademyID: g.AcademyID, Action: "grant.create", TargetType: "grant",
			TargetID: strconv.FormatInt(row.ID, 10), After: auditGrant(g)})
	})
	if err != nil {
		return access.Grant{}, fmt.Errorf("add grant: %w", err)
	}
	return g, nil
}

func auditGrant(g access.Grant) map[string]any {
	return map[string]any{"id": g.ID, "user_id": g.UserID, "academy": g.AcademyCode, "role": g.Role, "uais": g.UAIs}
}

// RevokeGrant removes a grant of a user.
func (s *Store) RevokeGrant(ctx context.Context, scope access.Scope, userID, grantID int64, by Actor) error {
	if err := systemOnly(scope, "revoke grant"); err != nil {
		return err
	}
	u, err := s.UserByID(ctx, scope, userID)
	if err != nil {
		return err
	}
	var g access.Grant
	found := false
	for _, x := range u.Grants {
		if x.ID == grantID {
			g, found = x, true
		}
	}
	if !found {
		return fmt.Errorf("grant %d of user %d: %w", grantID, userID, apperr.ErrNotFound)
	}
	return s.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Where("id = ?", grantID).Delete(&grantRow{}).Error; err != nil {
			return fmt.Errorf("revoke grant %d: %w", grantID, err)
		}
		return s.writeAudit(tx, by, Change{AcademyID: g.AcademyID, Action: "grant.delete", TargetType: "grant",
			TargetID: strconv.FormatInt(grantID, 10), Before: auditGrant(g)})
	})
}

// UserByIdentity returns the account linked to an OIDC identity.
func (s *Store) UserByIdentity(ctx context.Context, scope access.Scope, issuer, subject string) (access.User, error) {
	if err := systemOnly(scope, "user by identity"); err != nil {
		return access.User{}, err
	}
	var r identityRow
	if err := s.db.WithContext(ctx).Where("issuer = ? AND subject = ?", issuer, subject).Take(&r).Error; err != nil {
		return access.User{}, notFound(err, "identity %s at %s", subject, issuer)
	}
	return s.UserByID(ctx, scope, r.UserID)
}

// LinkIdentity links an OIDC identity (issuer, subject) to an account. Linking an identity
// already linked to another account is a conflict.
func (s *Store) LinkIdentity(ctx context.Context, scope access.Scope, issuer, subject string, userID int64, by Actor) error {
	if err := systemOnly(scope, "link identity"); err != nil {
		return err
	}
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Create(&identityRow{Issuer: issuer, Subject: subject, UserID: userID, CreatedAt: s.now()}).Error; err != nil {
			return err
		}
		return s.writeAudit(tx, by, Change{Action: "user.link_identity", TargetType: "user", TargetID: strconv.FormatInt(userID, 10),
			After: map[string]string{"issuer": issuer, "subject": subject}})
	})
	if err != nil {
		if isUniqueViolation(err) {
			return fmt.Errorf("link identity %s: %w", subject, apperr.ErrConflict)
		}
		return fmt.Errorf("link identity %s: %w", subject, err)
	}
	return nil
}

// userGrantColumns select a user (u) and one of its grants (g, with its academy a) per row, so
// that authenticating a request reads its credential, user and grants in one round trip.
const userGrantColumns = `u.id AS u_id, u.login AS u_login, u.name AS u_name, u.email AS u_email,
	u.password_hash AS u_password_hash, u.disabled_at AS u_disabled_at, u.last_login_at AS u_last_login_at,
	u.created_at AS u_created_at, g.id AS g_id, g.academy_id AS g_academy_id, g.role AS g_role, g.uais AS g_uais,
	g.created_at AS g_created_at, g.created_by AS g_created_by, a.code AS g_academy_code`

const userGrantJoins = `JOIN users u ON u.id = x.user_id LEFT JOIN grants g ON g.user_id = u.id
	LEFT JOIN academies a ON a.id = g.academy_id`

type userGrantRow struct {
	UID          int64      `gorm:"column:u_id"`
	ULogin       string     `gorm:"column:u_login"`
	UName        string     `gorm:"column:u_name"`
	UEmail       string     `gorm:"column:u_email"`
	UPassword    string     `gorm:"column:u_password_hash"`
	UDisabledAt  *time.Time `gorm:"column:u_disabled_at"`
	ULastLoginAt *time.Time `gorm:"column:u_last_login_at"`
	UCreatedAt   time.Time  `gorm:"column:u_created_at"`
	GID          *int64     `gorm:"column:g_id"`
	GAcademyID   *int64     `gorm:"column:g_academy_id"`
	GRole        *string    `gorm:"column:g_role"`
	GUAIs        *string    `gorm:"column:g_uais"`
	GCreatedAt   *time.Time `gorm:"column:g_created_at"`
	GCreatedBy   *string    `gorm:"column:g_created_by"`
	GAcademyCode *string    `gorm:"column:g_academy_code"`
	// The credential the user was found by: a token (t_) or a session (s_).
	TID         int64      `gorm:"column:t_id"`
	TName       string     `gorm:"column:t_name"`
	TPrefix     string     `gorm:"column:t_prefix"`
	TScopes     string     `gorm:"column:t_scopes"`
	TCreatedAt  *time.Time `gorm:"column:t_created_at"`
	TExpiresAt  *time.Time `gorm:"column:t_expires_at"`
	TLastUsedAt *time.Time `gorm:"column:t_last_used_at"`
	SIDHash     string     `gorm:"column:s_id_hash"`
	SMethod     string     `gorm:"column:s_method"`
	SCreatedAt  *time.Time `gorm:"column:s_created_at"`
	SLastSeenAt *time.Time `gorm:"column:s_last_seen_at"`
	SExpiresAt  *time.Time `gorm:"column:s_expires_at"`
	SIP         string     `gorm:"column:s_ip"`
	SUserAgent  string     `gorm:"column:s_user_agent"`
}

// userFromRows assembles a user and its grants from joined rows (ordered by grant id).
func userFromRows(rows []userGrantRow) access.User {
	r0 := rows[0]
	u := userRow{ID: r0.UID, Login: r0.ULogin, Name: r0.UName, Email: r0.UEmail, PasswordHash: r0.UPassword,
		DisabledAt: r0.UDisabledAt, LastLoginAt: r0.ULastLoginAt, CreatedAt: r0.UCreatedAt}.domain()
	for _, r := range rows {
		if r.GID == nil {
			continue
		}
		g := grantJoinRow{ID: *r.GID, UserID: r0.UID, AcademyID: r.GAcademyID, Role: deref(r.GRole), UAIs: deref(r.GUAIs),
			CreatedAt: deref(r.GCreatedAt), CreatedBy: deref(r.GCreatedBy), AcademyCode: deref(r.GAcademyCode)}
		u.Grants = append(u.Grants, g.domain())
	}
	return u
}
