package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/vigie-edu/vigie/internal/access"
	"github.com/vigie-edu/vigie/internal/apperr"
)

// Actor is who makes a change, recorded in the audit log with it.
type Actor struct {
	UserID    int64  // 0 for Vigie itself
	Login     string // "system" for Vigie itself
	RequestID string
}

// SystemActor is Vigie itself (jobs, command line).
func SystemActor(name string) Actor {
	if name == "" {
		name = "system"
	}
	return Actor{Login: name}
}

// AuditEntry is one recorded write: who, what, when, before and after (JSON).
type AuditEntry struct {
	ID         int64
	At         time.Time
	AcademyID  int64 // 0: platform-wide
	UAI        string
	ActorID    int64
	Actor      string
	Action     string // the authorisation action, e.g. exemption.approve
	TargetType string // exemption, user, grant, token, import, run, session
	TargetID   string
	Before     json.RawMessage // null when the target did not exist
	After      json.RawMessage // null when the target was removed
	RequestID  string
}

type auditRow struct {
	ID         int64 `gorm:"primaryKey"`
	At         time.Time
	AcademyID  *int64
	UAI        string `gorm:"column:uai"`
	ActorID    *int64
	Actor      string
	Action     string
	TargetType string
	TargetID   string
	BeforeJSON string `gorm:"column:before_json"`
	AfterJSON  string `gorm:"column:after_json"`
	RequestID  string
}

func (auditRow) TableName() string { return "audit_log" }

func (r auditRow) domain() AuditEntry {
	e := AuditEntry{ID: r.ID, At: r.At.UTC(), UAI: r.UAI, Actor: r.Actor, Action: r.Action, TargetType: r.TargetType,
		TargetID: r.TargetID, RequestID: r.RequestID}
	if r.AcademyID != nil {
		e.AcademyID = *r.AcademyID
	}
	if r.ActorID != nil {
		e.ActorID = *r.ActorID
	}
	if r.BeforeJSON != "" {
		e.Before = json.RawMessage(r.BeforeJSON)
	}
	if r.AfterJSON != "" {
		e.After = json.RawMessage(r.AfterJSON)
	}
	return e
}

// Change describes one write for the audit log; Before and After are marshalled to JSON.
type Change struct {
	AcademyID  int64
	UAI        string
	Action     string
	TargetType string
	TargetID   string
	Before     any
	After      any
}

func (s *Store) writeAudit(tx *gorm.DB, by Actor, c Change) error {
	row := auditRow{At: s.now(), UAI: c.UAI, Actor: by.Login, Action: c.Action, TargetType: c.TargetType,
		TargetID: c.TargetID, RequestID: by.RequestID}
	if row.Actor == "" {
		row.Actor = "system"
	}
	if c.AcademyID != 0 {
		row.AcademyID = &c.AcademyID
	}
	if by.UserID != 0 {
		row.ActorID = &by.UserID
	}
	for _, x := range []struct {
		v   any
		dst *string
	}{{c.Before, &row.BeforeJSON}, {c.After, &row.AfterJSON}} {
		if x.v == nil {
			continue
		}
		b, err := json.Marshal(x.v)
		if err != nil {
			return fmt.Errorf("audit %s: encode: %w", c.Action, err)
		}
		*x.dst = string(b)
	}
	if err := tx.Create(&row).Error; err != nil {
		return fmt.Errorf("audit %s: %w", c.Action, err)
	}
	return nil
}

// RecordAudit records a write made elsewhere (an import, a run). The scope must show the
// academy (and school) the change is about; platform-wide entries need the System scope.
func (s *Store) RecordAudit(ctx context.Context, scope access.Scope, by Actor, c Change) error {
	switch {
	case c.AcademyID == 0 && !scope.IsSystem():
		return fmt.Errorf("audit %s: %w", c.Action, apperr.ErrForbidden)
	case c.UAI != "" && !scope.AllowsSchool(c.AcademyID, c.UAI):
		return fmt.Errorf("audit %s: %w", c.Action, apperr.ErrNotFound)
	case c.AcademyID != 0 && !scope.AllowsAcademy(c.AcademyID):
		return fmt.Errorf("audit %s: %w", c.Action, apperr.ErrNotFound)
	}
	return s.writeAudit(s.db.WithContext(ctx), by, c)
}

// AuditFilter selects audit entries.
type AuditFilter struct {
	AcademyID  int64 // 0: every academy the scope shows, and platform entries for System
	UAI        string
	Action     string
	TargetType string
	Since      time.Time
	Limit      int
	Offset     int
}

// ListAudit returns audit entries, newest first, and how many match. A scope limited to some
// schools sees only the entries about those schools.
func (s *Store) ListAudit(ctx context.Context, scope access.Scope, f AuditFilter) ([]AuditEntry, int64, error) {
	q := s.db.WithContext(ctx).Model(&auditRow{})
	if !scope.IsSystem() {
		id, ok := scope.AcademyID()
		if !ok || (f.AcademyID != 0 && f.AcademyID != id) {
			return nil, 0, fmt.Errorf("audit of academy %d: %w", f.AcademyID, apperr.ErrNotFound)
		}
		q = q.Where("academy_id = ?", id)
		if uais, limited := scope.UAIs(); limited {
			if len(uais) == 0 {
				return nil, 0, nil
			}
			q = q.Where("uai IN ?", uais)
		}
	} else if f.AcademyID != 0 {
		q = q.Where("academy_id = ?", f.AcademyID)
	}
	if f.UAI != "" {
		q = q.Where("uai = ?", f.UAI)
	}
	if f.Action != "" {
		q = q.Where("action = ?", f.Action)
	}
	if f.TargetType != "" {
		q = q.Where("target_type = ?", f.TargetType)
	}
	if !f.Since.IsZero() {
		q = q.Where("at >= ?", f.Since.UTC())
	}
	var total int64
	if err := q.Count(&total).Error; err != nil {
		return nil, 0, fmt.Errorf("count audit entries: %w", err)
	}
	q = q.Order("at DESC, id DESC")
	if f.Limit > 0 {
		q = q.Limit(f.Limit).Offset(f.Offset)
	}
	var rows []auditRow
	if err := q.Find(&rows).Error; err != nil {
		return nil, 0, fmt.Errorf("list audit entries: %w", err)
	}
	out := make([]AuditEntry, len(rows))
	for i, r := range rows {
		out[i] = r.domain()
	}
	return out, total, nil
}
