package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/vigie-edu/vigie/internal/access"
	"github.com/vigie-edu/vigie/internal/apperr"
	"github.com/vigie-edu/vigie/internal/campaign"
)

type academyRow struct {
	ID        int64 `gorm:"primaryKey"`
	Code      string
	Name      string
	CreatedAt time.Time
}

func (academyRow) TableName() string { return "academies" }

func (r academyRow) domain() campaign.Academy {
	return campaign.Academy{ID: r.ID, Code: r.Code, Name: r.Name, CreatedAt: r.CreatedAt}
}

// CreateAcademy adds an academy. Only the System scope may create academies.
func (s *Store) CreateAcademy(ctx context.Context, scope access.Scope, code, name string) (campaign.Academy, error) {
	if !scope.IsSystem() {
		return campaign.Academy{}, fmt.Errorf("create academy %s: %w", code, apperr.ErrForbidden)
	}
	if err := campaign.ValidateAcademyCode(code); err != nil {
		return campaign.Academy{}, err
	}
	if name == "" {
		return campaign.Academy{}, apperr.Invalid("academy %s: empty name", code)
	}
	r := academyRow{Code: code, Name: name, CreatedAt: s.now()}
	if err := s.db.WithContext(ctx).Create(&r).Error; err != nil {
		if isUniqueViolation(err) {
			return campaign.Academy{}, fmt.Errorf("create academy %s: already exists: %w", code, apperr.ErrConflict)
		}
		return campaign.Academy{}, fmt.Errorf("create academy %s: %w", code, err)
	}
	return r.domain(), nil
}

// EnsureAcademy returns the academy with this code, creating it when missing (System scope).
func (s *Store) EnsureAcademy(ctx context.Context, scope access.Scope, code, name string) (campaign.Academy, error) {
	a, err := s.AcademyByCode(ctx, scope, code)
	if err == nil {
		return a, nil
	}
	a, err = s.CreateAcademy(ctx, scope, code, name)
	if err != nil && errors.Is(err, apperr.ErrConflict) {
		return s.AcademyByCode(ctx, scope, code)
	}
	return a, err
}

// AcademyByCode returns the academy with this code, if the scope shows it.
func (s *Store) AcademyByCode(ctx context.Context, scope access.Scope, code string) (campaign.Academy, error) {
	var r academyRow
	err := s.db.WithContext(ctx).Where("code = ?", code).Take(&r).Error
	if err != nil {
		return campaign.Academy{}, notFound(err, "academy %s", code)
	}
	if !scope.AllowsAcademy(r.ID) {
		return campaign.Academy{}, fmt.Errorf("academy %s: %w", code, apperr.ErrNotFound)
	}
	return r.domain(), nil
}

// AcademyByID returns an academy, if the scope shows it.
func (s *Store) AcademyByID(ctx context.Context, scope access.Scope, id int64) (campaign.Academy, error) {
	if !scope.AllowsAcademy(id) {
		return campaign.Academy{}, fmt.Errorf("academy %d: %w", id, apperr.ErrNotFound)
	}
	var r academyRow
	if err := s.db.WithContext(ctx).Where("id = ?", id).Take(&r).Error; err != nil {
		return campaign.Academy{}, notFound(err, "academy %d", id)
	}
	return r.domain(), nil
}

// ListAcademies returns the academies the scope shows, by code.
func (s *Store) ListAcademies(ctx context.Context, scope access.Scope) ([]campaign.Academy, error) {
	q := s.db.WithContext(ctx).Order("code")
	if !scope.IsSystem() {
		id, ok := scope.AcademyID()
		if !ok {
			return nil, nil
		}
		q = q.Where("id = ?", id)
	}
	var rows []academyRow
	if err := q.Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list academies: %w", err)
	}
	out := make([]campaign.Academy, len(rows))
	for i, r := range rows {
		out[i] = r.domain()
	}
	return out, nil
}
