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

// Exemption (dérogation) lets one school skip one check until a date: the check shows as
// exempt in its reports until then, unless it is revoked.
type Exemption struct {
	ID        int64
	AcademyID int64
	UAI       string
	CheckID   string
	Reason    string
	Until     time.Time
	CreatedBy string
	CreatedAt time.Time
	RevokedAt time.Time // zero while in force
	RevokedBy string
}

// ActiveAt tells whether the exemption applies at t.
func (e Exemption) ActiveAt(t time.Time) bool { return e.RevokedAt.IsZero() && t.Before(e.Until) }

type exemptionRow struct {
	ID        int64 `gorm:"primaryKey"`
	AcademyID int64
	UAI       string `gorm:"column:uai"`
	CheckID   string
	Reason    string
	Until     time.Time
	CreatedBy string
	CreatedAt time.Time
	RevokedAt *time.Time
	RevokedBy string
}

func (exemptionRow) TableName() string { return "exemptions" }

func (r exemptionRow) domain() Exemption {
	e := Exemption{ID: r.ID, AcademyID: r.AcademyID, UAI: r.UAI, CheckID: r.CheckID, Reason: r.Reason, Until: r.Until.UTC(),
		CreatedBy: r.CreatedBy, CreatedAt: r.CreatedAt.UTC(), RevokedBy: r.RevokedBy}
	if r.RevokedAt != nil {
		e.RevokedAt = r.RevokedAt.UTC()
	}
	return e
}

// CreateExemption records an exemption of a school of the scope. The check id is checked by
// the caller against the catalogue; Until must be after now.
func (s *Store) CreateExemption(ctx context.Context, scope access.Scope, e Exemption, by Actor) (Exemption, error) {
	sc, err := s.SchoolByUAI(ctx, scope, e.UAI)
	if err != nil {
		return Exemption{}, fmt.Errorf("exempt %s: %w", e.UAI, err)
	}
	if sc.AcademyID != e.AcademyID {
		return Exemption{}, fmt.Errorf("exempt %s: %w", e.UAI, apperr.ErrNotFound)
	}
	e.Reason = strings.TrimSpace(e.Reason)
	switch {
	case e.CheckID == "":
		return Exemption{}, apperr.Invalid("an exemption names a check")
	case e.Reason == "":
		return Exemption{}, apperr.Invalid("an exemption needs a reason")
	case len(e.Reason) > 2000:
		return Exemption{}, apperr.Invalid("the reason is longer than 2000 characters")
	case !e.Until.After(s.now()):
		return Exemption{}, apperr.Invalid("the end date of an exemption must be in the future")
	}
	row := exemptionRow{AcademyID: e.AcademyID, UAI: e.UAI, CheckID: e.CheckID, Reason: e.Reason, Until: e.Until.UTC(),
		CreatedBy: by.Login, CreatedAt: s.now()}
	err = s.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Create(&row).Error; err != nil {
			return err
		}
		return s.writeAudit(tx, by, Change{AcademyID: e.AcademyID, UAI: e.UAI, Action: "exemption.approve", TargetType: "exemption",
			TargetID: strconv.FormatInt(row.ID, 10), After: row.domain()})
	})
	if err != nil {
		return Exemption{}, fmt.Errorf("create exemption: %w", err)
	}
	return row.domain(), nil
}

func scopeExemptions(q *gorm.DB, scope access.Scope) *gorm.DB {
	return scopeSchools(q, scope, "exemptions")
}

// ExemptionByID returns one exemption of the scope.
func (s *Store) ExemptionByID(ctx context.Context, scope access.Scope, id int64) (Exemption, error) {
	var r exemptionRow
	if err := scopeExemptions(s.db.WithContext(ctx).Model(&exemptionRow{}), scope).Where("id = ?", id).Take(&r).Error; err != nil {
		return Exemption{}, notFound(err, "exemption %d", id)
	}
	return r.domain(), nil
}

// RevokeExemption ends an exemption now. Revoking it again changes nothing.
func (s *Store) RevokeExemption(ctx context.Context, scope access.Scope, id int64, by Actor) (Exemption, error) {
	before, err := s.ExemptionByID(ctx, scope, id)
	if err != nil {
		return Exemption{}, err
	}
	if !before.RevokedAt.IsZero() {
		return before, nil
	}
	after := before
	after.RevokedAt, after.RevokedBy = s.now(), by.Login
	err = s.tx(ctx, func(tx *gorm.DB) error {
		err := tx.Model(&exemptionRow{}).Where("id = ? AND revoked_at IS NULL", id).
			Updates(map[string]any{"revoked_at": after.RevokedAt, "revoked_by": after.RevokedBy}).Error
		if err != nil {
			return err
		}
		return s.writeAudit(tx, by, Change{AcademyID: before.AcademyID, UAI: before.UAI, Action: "exemption.revoke",
			TargetType: "exemption", TargetID: strconv.FormatInt(id, 10), Before: before, After: after})
	})
	if err != nil {
		return Exemption{}, fmt.Errorf("revoke exemption %d: %w", id, err)
	}
	return after, nil
}

// ExemptionFilter selects exemptions.
type ExemptionFilter struct {
	UAI      string
	CheckID  string
	ActiveAt time.Time // not zero: only those in force at that time
	Limit    int
	Offset   int
}

// ListExemptions returns the exemptions of an academy in scope, newest first, and how many match.
func (s *Store) ListExemptions(ctx context.Context, scope access.Scope, academyID int64, f ExemptionFilter) ([]Exemption, int64, error) {
	if !scope.AllowsAcademy(academyID) {
		return nil, 0, fmt.Errorf("exemptions of academy %d: %w", academyID, apperr.ErrNotFound)
	}
	q := scopeExemptions(s.db.WithContext(ctx).Model(&exemptionRow{}), scope).Where("academy_id = ?", academyID)
	if f.UAI != "" {
		q = q.Where("uai = ?", f.UAI)
	}
	if f.CheckID != "" {
		q = q.Where("check_id = ?", f.CheckID)
	}
	if !f.ActiveAt.IsZero() {
		q = q.Where("revoked_at IS NULL AND until > ?", f.ActiveAt.UTC())
	}
	var total int64
	if err := q.Count(&total).Error; err != nil {
		return nil, 0, fmt.Errorf("count exemptions: %w", err)
	}
	q = q.Order("created_at DESC, id DESC")
	if f.Limit > 0 {
		q = q.Limit(f.Limit).Offset(f.Offset)
	}
	var rows []exemptionRow
	if err := q.Find(&rows).Error; err != nil {
		return nil, 0, fmt.Errorf("list exemptions: %w", err)
	}
	out := make([]Exemption, len(rows))
	for i, r := range rows {
		out[i] = r.domain()
	}
	return out, total, nil
}

// ActiveExemptions returns the exemptions of the academy's schools in scope that are in force
// at a time, for the evaluation of readiness.
func (s *Store) ActiveExemptions(ctx context.Context, scope access.Scope, academyID int64, at time.Time) ([]Exemption, error) {
	out, _, err := s.ListExemptions(ctx, scope, academyID, ExemptionFilter{ActiveAt: at})
	return out, err
}
