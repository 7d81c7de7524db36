package store

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"gorm.io/gorm"

	"github.com/vigie-edu/vigie/internal/access"
	"github.com/vigie-edu/vigie/internal/apperr"
	"github.com/vigie-edu/vigie/internal/campaign"
)

type attestationRow struct {
	ID            int64 `gorm:"primaryKey"`
	AcademyID     int64
	UAI           string `gorm:"column:uai"`
	SchoolYear    int
	Step          int
	AttestedBy    string
	AttestedAt    time.Time
	Comment       string
	ExpiredAt     *time.Time
	ExpiredReason string
}

func (attestationRow) TableName() string { return "attestations" }

func (r attestationRow) domain() campaign.Attestation {
	a := campaign.Attestation{ID: r.ID, AcademyID: r.AcademyID, UAI: r.UAI, SchoolYear: r.SchoolYear, Step: campaign.Step(r.Step),
		By: r.AttestedBy, At: r.AttestedAt.UTC(), Comment: r.Comment, ExpiredReason: r.ExpiredReason}
	if r.ExpiredAt != nil {
		a.ExpiredAt = r.ExpiredAt.UTC()
	}
	return a
}

func auditAttestation(a campaign.Attestation) map[string]any {
	m := map[string]any{"uai": a.UAI, "school_year": a.SchoolYear, "step": int(a.Step), "by": a.By,
		"at": a.At.Format(time.RFC3339), "comment": a.Comment}
	if !a.ExpiredAt.IsZero() {
		m["expired_at"], m["expired_reason"] = a.ExpiredAt.Format(time.RFC3339), a.ExpiredReason
	}
	return m
}

// CreateAttestation records a school admin's attestation that a step is done, audited. At
// defaults to now.
func (s *Store) CreateAttestation(ctx context.Context, scope access.Scope, a campaign.Attestation, by Actor) (campaign.Attestation, error) {
	if err := a.Validate(); err != nil {
		return campaign.Attestation{}, err
	}
	sc, err := s.SchoolByUAI(ctx, scope, a.UAI)
	if err != nil {
		return campaign.Attestation{}, err
	}
	if a.AcademyID != 0 && a.AcademyID != sc.AcademyID {
		return campaign.Attestation{}, fmt.Errorf("attestation for %s: %w", a.UAI, apperr.ErrNotFound)
	}
	a.AcademyID = sc.AcademyID
	if a.At.IsZero() {
		a.At = s.now()
	}
	row := attestationRow{AcademyID: a.AcademyID, UAI: a.UAI, SchoolYear: a.SchoolYear, Step: int(a.Step), AttestedBy: a.By,
		AttestedAt: a.At.UTC(), Comment: a.Comment}
	err = s.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Create(&row).Error; err != nil {
			return fmt.Errorf("save attestation of step %d for %s: %w", a.Step, a.UAI, err)
		}
		a = row.domain()
		return s.writeAudit(tx, by, Change{AcademyID: a.AcademyID, UAI: a.UAI, Action: "attestation.create", TargetType: "attestation",
			TargetID: strconv.FormatInt(row.ID, 10), After: auditAttestation(a)})
	})
	if err != nil {
		return campaign.Attestation{}, err
	}
	return a, nil
}

// AttestationByID returns one attestation.
func (s *Store) AttestationByID(ctx context.Context, scope access.Scope, id int64) (campaign.Attestation, error) {
	var r attestationRow
	if err := scopeSchools(s.db.WithContext(ctx).Model(&attestationRow{}), scope, "attestations").Where("id = ?", id).Take(&r).Error; err != nil {
		return campaign.Attestation{}, notFound(err, "attestation %d", id)
	}
	return r.domain(), nil
}

// WithdrawAttestation ends an attestation before a fact contradicts it (its author changed
// their mind), audited. Withdrawing an attestation that no longer counts is a conflict.
func (s *Store) WithdrawAttestation(ctx context.Context, scope access.Scope, id int64, by Actor) (campaign.Attestation, error) {
	before, err := s.AttestationByID(ctx, scope, id)
	if err != nil {
		return campaign.Attestation{}, err
	}
	if !before.Active() {
		return campaign.Attestation{}, fmt.Errorf("attestation %d already expired: %w", id, apperr.ErrConflict)
	}
	now := s.now()
	after := before
	after.ExpiredAt, after.ExpiredReason = now, fmt.Sprintf("Retirée par %s", by.Login)
	err = s.tx(ctx, func(tx *gorm.DB) error {
		res := tx.Model(&attestationRow{}).Where("id = ? AND expired_at IS NULL", id).
			Updates(map[string]any{"expired_at": now, "expired_reason": after.ExpiredReason})
		if res.Error != nil {
			return fmt.Errorf("withdraw attestation %d: %w", id, res.Error)
		}
		if res.RowsAffected == 0 {
			return fmt.Errorf("attestation %d already expired: %w", id, apperr.ErrConflict)
		}
		return s.writeAudit(tx, by, Change{AcademyID: before.AcademyID, UAI: before.UAI, Action: "attestation.withdraw",
			TargetType: "attestation", TargetID: strconv.FormatInt(id, 10), Before: auditAttestation(before), After: auditAttestation(after)})
	})
	if err != nil {
		return campaign.Attestation{}, err
	}
	return after, nil
}

// SchoolAttestations returns a school's attestations for a school year, newest first, expired
// ones included.
func (s *Store) SchoolAttestations(ctx context.Context, scope access.Scope, uai string, year int) ([]campaign.Attestation, error) {
	if _, err := s.SchoolByUAI(ctx, scope, uai); err != nil {
		return nil, err
	}
	var rows []attestationRow
	q := scopeSchools(s.db.WithContext(ctx).Model(&attestationRow{}), scope, "attestations").
		Where("uai = ? AND school_year = ?", uai, year).Order("attested_at DESC, id DESC")
	if err := q.Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("attestations of %s: %w", uai, err)
	}
	out := make([]campaign.Attestation, len(rows))
	for i, r := range rows {
		out[i] = r.domain()
	}
	return out, nil
}

// ActiveAttestations returns the attestations in force of the academy's schools in scope for a
// school year, by UAI.
func (s *Store) ActiveAttestations(ctx context.Context, scope access.Scope, academyID int64, year int) (map[string][]campaign.Attestation, error) {
	if !scope.AllowsAcademy(academyID) {
		return nil, fmt.Errorf("attestations of academy %d: %w", academyID, apperr.ErrNotFound)
	}
	var rows []attestationRow
	q := scopeSchools(s.db.WithContext(ctx).Model(&attestationRow{}), scope, "attestations").
		Where("academy_id = ? AND school_year = ? AND expired_at IS NULL", academyID, year).Order("uai, step, id")
	if err := q.Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("attestations of academy %d: %w", academyID, err)
	}
	out := map[string][]campaign.Attestation{}
	for _, r := range rows {
		out[r.UAI] = append(out[r.UAI], r.domain())
	}
	return out, nil
}
