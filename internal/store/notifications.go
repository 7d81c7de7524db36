package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/vigie-edu/vigie/internal/access"
	"github.com/vigie-edu/vigie/internal/apperr"
)

// Notification preferences, what users were told and what was sent are platform data about
// accounts: only the System scope (the digest job, the account's own requests through the API)
// reads or changes them.

// NotificationPrefs is a user's choice about e-mails.
type NotificationPrefs struct {
	UserID       int64
	EmailEnabled bool
	// RepeatDays: an unchanged open item is repeated at most every RepeatDays days; 0 means
	// the academy's default.
	RepeatDays       int
	UnsubscribeToken string
	UpdatedAt        time.Time
}

// MaxRepeatDays bounds the repeat cadence a user may choose.
const MaxRepeatDays = 30

type notificationPrefsRow struct {
	UserID           int64 `gorm:"primaryKey;autoIncrement:false"`
	EmailEnabled     bool
	RepeatDays       int
	UnsubscribeToken string
	UpdatedAt        time.Time
}

func (notificationPrefsRow) TableName() string { return "notification_prefs" }

func (r notificationPrefsRow) domain() NotificationPrefs {
	return NotificationPrefs{UserID: r.UserID, EmailEnabled: r.EmailEnabled, RepeatDays: r.RepeatDays,
		UnsubscribeToken: r.UnsubscribeToken, UpdatedAt: r.UpdatedAt.UTC()}
}

func newToken() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// NotificationPrefsOf returns a user's preferences, creating the defaults (e-mails on, the
// academy's cadence, a fresh unsubscribe token) on first use.
func (s *Store) NotificationPrefsOf(ctx context.Context, scope access.Scope, userID int64) (NotificationPrefs, error) {
	if err := systemOnly(scope, "notification preferences"); err != nil {
		return NotificationPrefs{}, err
	}
	db := s.db.WithContext(ctx)
	var r notificationPrefsRow
	err := db.Where("user_id = ?", userID).Take(&r).Error
	if err == nil {
		return r.domain(), nil
	}
	if !errors.Is(err, gorm.ErrRecordNotFound) {
		return NotificationPrefs{}, fmt.Errorf("notification preferences of user %d: %w", userID, err)
	}
	if _, _, err := s.userWhere(ctx, scope, "user "+strconv.FormatInt(userID, 10), "id = ?", userID); err != nil {
		return NotificationPrefs{}, err
	}
	r = notificationPrefsRow{UserID: userID, EmailEnabled: true, UnsubscribeToken: newToken(), UpdatedAt: s.now()}
	if err := db.Clauses(clause.OnConflict{DoNothing: true}).Create(&r).Error; err != nil {
		return NotificationPrefs{}, fmt.Errorf("create notification preferences of user %d: %w", userID, err)
	}
	if err := db.Where("user_id = ?", userID).Take(&r).Error; err != nil {
		return NotificationPrefs{}, notFound(err, "notification preferences of user %d", userID)
	}
	return r.domain(), nil
}

// SetNotificationPrefs changes whether a user gets e-mails and how often an unchanged item is
// repeated, audited.
func (s *Store) SetNotificationPrefs(ctx context.Context, scope access.Scope, userID int64, enabled bool, repeatDays int, by Actor) (NotificationPrefs, error) {
	if repeatDays < 0 || repeatDays > MaxRepeatDays {
		return NotificationPrefs{}, apperr.Invalid("repeat_days %d: want 0 (the default) to %d days", repeatDays, MaxRepeatDays)
	}
	before, err := s.NotificationPrefsOf(ctx, scope, userID)
	if err != nil {
		return NotificationPrefs{}, err
	}
	after := before
	after.EmailEnabled, after.RepeatDays, after.UpdatedAt = enabled, repeatDays, s.now()
	err = s.tx(ctx, func(tx *gorm.DB) error {
		err := tx.Model(&notificationPrefsRow{}).Where("user_id = ?", userID).
			Updates(map[string]any{"email_enabled": enabled, "repeat_days": repeatDays, "updated_at": after.UpdatedAt}).Error
		if err != nil {
			return fmt.Errorf("update notification preferences of user %d: %w", userID, err)
		}
		return s.writeAudit(tx, by, Change{Action: "notification.prefs", TargetType: "user", TargetID: strconv.FormatInt(userID, 10),
			Before: map[string]any{"email_enabled": before.EmailEnabled, "repeat_days": before.RepeatDays},
			After:  map[string]any{"email_enabled": enabled, "repeat_days": repeatDays}})
	})
	if err != nil {
		return NotificationPrefs{}, err
	}
	return after, nil
}

// Unsubscribe turns a user's e-mails off from the token of an e-mail's unsubscribe link.
func (s *Store) Unsubscribe(ctx context.Context, scope access.Scope, token string) (int64, error) {
	if err := systemOnly(scope, "unsubscribe"); err != nil {
		return 0, err
	}
	if len(token) != 48 {
		return 0, fmt.Errorf("unsubscribe token: %w", apperr.ErrNotFound)
	}
	var r notificationPrefsRow
	if err := s.db.WithContext(ctx).Where("unsubscribe_token = ?", token).Take(&r).Error; err != nil {
		return 0, notFound(err, "unsubscribe token")
	}
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Model(&notificationPrefsRow{}).Where("user_id = ?", r.UserID).
			Updates(map[string]any{"email_enabled": false, "updated_at": s.now()}).Error; err != nil {
			return fmt.Errorf("unsubscribe user %d: %w", r.UserID, err)
		}
		return s.writeAudit(tx, SystemActor("unsubscribe link"), Change{Action: "notification.unsubscribe", TargetType: "user",
			TargetID: strconv.FormatInt(r.UserID, 10), After: map[string]any{"email_enabled": false}})
	})
	return r.UserID, err
}

// Recipient is an account that may receive an academy's e-mails: enabled, with an address and
// a grant in the academy.
type Recipient struct {
	User  access.User
	Role  access.Role
	UAIs  []string // school_admin: the schools of the grants, sorted
	Prefs NotificationPrefs
}

// Recipients lists the supervisors and school admins of an academy who have an e-mail address
// and an active account, with their preferences.
func (s *Store) Recipients(ctx context.Context, scope access.Scope, academyID int64) ([]Recipient, error) {
	if err := systemOnly(scope, "recipients"); err != nil {
		return nil, err
	}
	var rows []struct {
		UserID int64
		Role   string
		UAIs   string `gorm:"column:uais"`
	}
	err := s.db.WithContext(ctx).Table("grants g").Joins("JOIN users u ON u.id = g.user_id").
		Where("g.academy_id = ? AND g.role IN ? AND u.disabled_at IS NULL AND u.email <> ''", academyID,
			[]string{string(access.Supervisor), string(access.SchoolAdmin)}).
		Select("g.user_id, g.role, g.uais").Order("g.user_id, g.role, g.id").Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("recipients of academy %d: %w", academyID, err)
	}
	var out []Recipient
	index := map[[2]any]int{}
	for _, r := range rows {
		k := [2]any{r.UserID, r.Role}
		i, ok := index[k]
		if !ok {
			u, err := s.UserByID(ctx, scope, r.UserID)
			if err != nil {
				return nil, err
			}
			prefs, err := s.NotificationPrefsOf(ctx, scope, r.UserID)
			if err != nil {
				return nil, err
			}
			out = append(out, Recipient{User: u, Role: access.Role(r.Role), Prefs: prefs})
			i = len(out) - 1
			index[k] = i
		}
		if r.UAIs != "" {
			out[i].UAIs = appendUnique(out[i].UAIs, splitUAIs(r.UAIs)...)
		}
	}
	return out, nil
}

func splitUAIs(s string) []string {
	var out []string
	start := 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == ',' {
			if i > start {
				out = append(out, s[start:i])
			}
			start = i + 1
		}
	}
	return out
}

func appendUnique(list []string, more ...string) []string {
	for _, m := range more {
		found := false
		for _, l := range list {
			if l == m {
				found = true
				break
			}
		}
		if !found {
			list = append(list, m)
		}
	}
	return list
}

// NotifiedItem is what a user was last told about one item (a to-do item, a deadline
// reminder).
type NotifiedItem struct {
	Key         string
	Fingerprint string // changes when the item's content changes
	FirstSentAt time.Time
	LastSentAt  time.Time
}

type notifiedItemRow struct {
	UserID      int64  `gorm:"primaryKey;autoIncrement:false"`
	ItemKey     string `gorm:"primaryKey"`
	Fingerprint string
	FirstSentAt time.Time
	LastSentAt  time.Time
}

func (notifiedItemRow) TableName() string { return "notified_items" }

// NotifiedItems returns what a user was told, by item key.
func (s *Store) NotifiedItems(ctx context.Context, scope access.Scope, userID int64) (map[string]NotifiedItem, error) {
	if err := systemOnly(scope, "notified items"); err != nil {
		return nil, err
	}
	var rows []notifiedItemRow
	if err := s.db.WithContext(ctx).Where("user_id = ?", userID).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("notified items of user %d: %w", userID, err)
	}
	out := make(map[string]NotifiedItem, len(rows))
	for _, r := range rows {
		out[r.ItemKey] = NotifiedItem{Key: r.ItemKey, Fingerprint: r.Fingerprint, FirstSentAt: r.FirstSentAt.UTC(), LastSentAt: r.LastSentAt.UTC()}
	}
	return out, nil
}

// Notification kinds.
const (
	NotifySchoolDigest     = "school_digest"
	NotifySupervisorDigest = "supervisor_digest"
	NotifyWebhook          = "webhook"
	NotifyJobFailure       = "job_failure"
)

// Notification statuses.
const (
	NotificationSent   = "sent"
	NotificationFailed = "failed"
)

// Notification is one message sent (or that failed) for a job slot.
type Notification struct {
	ID        int64
	Kind      string
	AcademyID int64
	UserID    int64
	Recipient string
	Slot      time.Time
	Subject   string
	Items     int
	Status    string
	Error     string
	SentAt    time.Time
}

type notificationRow struct {
	ID        int64 `gorm:"primaryKey"`
	Kind      string
	AcademyID *int64
	UserID    *int64
	Recipient string
	Slot      time.Time
	Subject   string
	Items     int
	Status    string
	Error     string
	SentAt    time.Time
}

func (notificationRow) TableName() string { return "notifications" }

func (r notificationRow) domain() Notification {
	n := Notification{ID: r.ID, Kind: r.Kind, Recipient: r.Recipient, Slot: r.Slot.UTC(), Subject: r.Subject, Items: r.Items,
		Status: r.Status, Error: r.Error, SentAt: r.SentAt.UTC()}
	if r.AcademyID != nil {
		n.AcademyID = *r.AcademyID
	}
	if r.UserID != nil {
		n.UserID = *r.UserID
	}
	return n
}

// NotificationSent tells whether a message of kind was already sent to recipient for slot: a
// retried or taken-over digest job does not send it twice.
func (s *Store) NotificationSent(ctx context.Context, scope access.Scope, kind, recipient string, slot time.Time) (bool, error) {
	if err := systemOnly(scope, "notifications"); err != nil {
		return false, err
	}
	var n int64
	err := s.db.WithContext(ctx).Model(&notificationRow{}).
		Where("kind = ? AND recipient = ? AND slot = ? AND status = ?", kind, recipient, slotKey(slot), NotificationSent).Count(&n).Error
	if err != nil {
		return false, fmt.Errorf("notification sent: %w", err)
	}
	return n > 0, nil
}

// RecordNotification records a message and, when it was sent, what its user was told, in one
// transaction. Recording the same kind, recipient and slot again replaces the record (a failed
// send retried).
func (s *Store) RecordNotification(ctx context.Context, scope access.Scope, n Notification, told []NotifiedItem) (Notification, error) {
	if err := systemOnly(scope, "record notification"); err != nil {
		return Notification{}, err
	}
	if n.SentAt.IsZero() {
		n.SentAt = s.now()
	}
	row := notificationRow{Kind: n.Kind, Recipient: n.Recipient, Slot: slotKey(n.Slot), Subject: n.Subject, Items: n.Items,
		Status: n.Status, Error: truncate(n.Error, 2000), SentAt: n.SentAt.UTC()}
	if n.AcademyID != 0 {
		row.AcademyID = &n.AcademyID
	}
	if n.UserID != 0 {
		row.UserID = &n.UserID
	}
	err := s.tx(ctx, func(tx *gorm.DB) error {
		err := tx.Clauses(clause.OnConflict{
			Columns:   []clause.Column{{Name: "kind"}, {Name: "recipient"}, {Name: "slot"}},
			DoUpdates: clause.AssignmentColumns([]string{"subject", "items", "status", "error", "sent_at"}),
		}).Create(&row).Error
		if err != nil {
			return fmt.Errorf("record notification to %s: %w", n.Recipient, err)
		}
		if n.Status != NotificationSent || n.UserID == 0 {
			return nil
		}
		for _, it := range told {
			r := notifiedItemRow{UserID: n.UserID, ItemKey: it.Key, Fingerprint: it.Fingerprint, FirstSentAt: n.SentAt.UTC(), LastSentAt: n.SentAt.UTC()}
			if !it.FirstSentAt.IsZero() {
				r.FirstSentAt = it.FirstSentAt.UTC()
			}
			first := clause.Assignments(map[string]any{"fingerprint": it.Fingerprint, "last_sent_at": n.SentAt.UTC()})
			if !it.FirstSentAt.IsZero() {
				first = append(first, clause.Assignment{Column: clause.Column{Name: "first_sent_at"}, Value: it.FirstSentAt.UTC()})
			}
			err := tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "user_id"}, {Name: "item_key"}}, DoUpdates: first}).Create(&r).Error
			if err != nil {
				return fmt.Errorf("record notified item %s: %w", it.Key, err)
			}
		}
		return nil
	})
	if err != nil {
		return Notification{}, err
	}
	return row.domain(), nil
}

// ForgetNotifiedItems removes what a user was told about items no longer open, so that an
// item that comes back is new again.
func (s *Store) ForgetNotifiedItems(ctx context.Context, scope access.Scope, userID int64, keys []string) error {
	if err := systemOnly(scope, "forget notified items"); err != nil {
		return err
	}
	if len(keys) == 0 {
		return nil
	}
	for start := 0; start < len(keys); start += 500 {
		part := keys[start:min(start+500, len(keys))]
		if err := s.db.WithContext(ctx).Where("user_id = ? AND item_key IN ?", userID, part).Delete(&notifiedItemRow{}).Error; err != nil {
			return fmt.Errorf("forget notified items of user %d: %w", userID, err)
		}
	}
	return nil
}

// NotificationFilter selects notifications.
type NotificationFilter struct {
	Kind      string
	AcademyID int64
	Since     time.Time
	Limit     int
}

// ListNotifications returns recorded notifications, newest first.
func (s *Store) ListNotifications(ctx context.Context, scope access.Scope, f NotificationFilter) ([]Notification, error) {
	if err := systemOnly(scope, "notifications"); err != nil {
		return nil, err
	}
	q := s.db.WithContext(ctx).Model(&notificationRow{})
	if f.Kind != "" {
		q = q.Where("kind = ?", f.Kind)
	}
	if f.AcademyID != 0 {
		q = q.Where("academy_id = ?", f.AcademyID)
	}
	if !f.Since.IsZero() {
		q = q.Where("sent_at >= ?", f.Since.UTC())
	}
	q = q.Order("sent_at DESC, id DESC")
	if f.Limit > 0 {
		q = q.Limit(f.Limit)
	}
	var rows []notificationRow
	if err := q.Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list notifications: %w", err)
	}
	out := make([]Notification, len(rows))
	for i, r := range rows {
		out[i] = r.domain()
	}
	return out, nil
}
