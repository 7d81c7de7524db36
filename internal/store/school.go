package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/vigie-edu/vigie/internal/access"
	"github.com/vigie-edu/vigie/internal/apperr"
	"github.com/vigie-edu/vigie/internal/campaign"
)

type schoolRow struct {
	ID          int64 `gorm:"primaryKey"`
	AcademyID   int64
	UAI         string `gorm:"column:uai"`
	Name        string
	Kind        string
	Departement string
	Bassin      string
	UsesGroups  *bool
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

func (schoolRow) TableName() string { return "schools" }

func (r schoolRow) domain() campaign.School {
	return campaign.School{
		ID: r.ID, AcademyID: r.AcademyID, UAI: r.UAI, Name: r.Name, Kind: campaign.Kind(r.Kind),
		Departement: r.Departement, Bassin: r.Bassin, UsesGroups: r.UsesGroups, UpdatedAt: r.UpdatedAt,
	}
}

// scopeSchools restricts a query on a table with academy_id and uai columns to the scope.
func scopeSchools(q *gorm.DB, scope access.Scope, table string) *gorm.DB {
	if scope.IsSystem() {
		return q
	}
	id, ok := scope.AcademyID()
	if !ok {
		return q.Where("1 = 0")
	}
	q = q.Where(table+".academy_id = ?", id)
	if uais, limited := scope.UAIs(); limited {
		if len(uais) == 0 {
			return q.Where("1 = 0")
		}
		q = q.Where(table+".uai IN ?", uais)
	}
	return q
}

// UpsertResult counts what UpsertSchools did.
type UpsertResult struct {
	Inserted int
	Updated  int
	// Refused lists schools that belong to another academy, by UAI, with a reason.
	Refused map[string]string
}

// UpsertSchools inserts or updates schools of one academy in one transaction. A UAI already
// registered in another academy is refused (listed in the result), not moved.
func (s *Store) UpsertSchools(ctx context.Context, scope access.Scope, academyID int64, schools []campaign.School) (UpsertResult, error) {
	res := UpsertResult{Refused: map[string]string{}}
	if !scope.AllowsAllSchools(academyID) {
		return res, fmt.Errorf("upsert schools of academy %d: %w", academyID, apperr.ErrForbidden)
	}
	now := s.now()
	err := s.tx(ctx, func(tx *gorm.DB) error {
		const batch = 500
		for start := 0; start < len(schools); start += batch {
			part := schools[start:min(start+batch, len(schools))]
			uais := make([]string, len(part))
			for i, sc := range part {
				uais[i] = sc.UAI
			}
			var existing []struct {
				UAI       string `gorm:"column:uai"`
				AcademyID int64
			}
			if err := tx.Table("schools").Select("uai, academy_id").Where("uai IN ?", uais).Scan(&existing).Error; err != nil {
				return fmt.Errorf("look up schools: %w", err)
			}
			owner := make(map[string]int64, len(existing))
			for _, e := range existing {
				owner[e.UAI] = e.AcademyID
			}
			rows := make([]schoolRow, 0, len(part))
			seen := make(map[string]bool, len(part))
			for _, sc := range part {
				if a, ok := owner[sc.UAI]; ok && a != academyID {
					res.Refused[sc.UAI] = "registered in another academy"
					continue
				}
				if seen[sc.UAI] {
					continue // a repeated row in the same batch: the first one wins
				}
				seen[sc.UAI] = true
				if _, ok := owner[sc.UAI]; ok {
					res.Updated++
				} else {
					res.Inserted++
				}
				rows = append(rows, schoolRow{
					AcademyID: academyID, UAI: sc.UAI, Name: sc.Name, Kind: string(sc.Kind),
					Departement: sc.Departement, Bassin: sc.Bassin, UsesGroups: sc.UsesGroups,
					CreatedAt: now, UpdatedAt: now,
				})
			}
			if len(rows) == 0 {
				continue
			}
			err := tx.Clauses(clause.OnConflict{
				Columns:   []clause.Column{{Name: "uai"}},
				DoUpdates: clause.AssignmentColumns([]string{"name", "kind", "departement", "bassin", "updated_at"}),
				Where:     clause.Where{Exprs: []clause.Expression{clause.Expr{SQL: "schools.academy_id = excluded.academy_id"}}},
			}).Create(&rows).Error
			if err != nil {
				return fmt.Errorf("upsert schools: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return UpsertResult{}, err
	}
	return res, nil
}

// SchoolByUAI returns a school, if the scope shows it.
func (s *Store) SchoolByUAI(ctx context.Context, scope access.Scope, uai string) (campaign.School, error) {
	var r schoolRow
	q := scopeSchools(s.db.WithContext(ctx).Table("schools"), scope, "schools")
	if err := q.Where("uai = ?", uai).Take(&r).Error; err != nil {
		return campaign.School{}, notFound(err, "school %s", uai)
	}
	return r.domain(), nil
}

// SetSchoolUsesGroups records whether a school uses groups (nil: default for its kind).
func (s *Store) SetSchoolUsesGroups(ctx context.Context, scope access.Scope, uai string, uses *bool) error {
	q := scopeSchools(s.db.WithContext(ctx).Table("schools"), scope, "schools")
	res := q.Where("uai = ?", uai).Updates(map[string]any{"uses_groups": uses, "updated_at": s.now()})
	if res.Error != nil {
		return fmt.Errorf("update school %s: %w", uai, res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("school %s: %w", uai, apperr.ErrNotFound)
	}
	return nil
}

// SchoolFilter selects schools in ListSchools.
type SchoolFilter struct {
	Kind        campaign.Kind
	Departement string
	Bassin      string
	Search      string // in UAI or name, case-insensitive
	UAIs        []string
	Limit       int // 0: no limit
	Offset      int
}

// ListSchools returns the schools the scope shows, by UAI, and how many match in all.
func (s *Store) ListSchools(ctx context.Context, scope access.Scope, f SchoolFilter) ([]campaign.School, int64, error) {
	q := scopeSchools(s.db.WithContext(ctx).Table("schools"), scope, "schools")
	if f.Kind != "" {
		q = q.Where("kind = ?", string(f.Kind))
	}
	if f.Departement != "" {
		q = q.Where("departement = ?", f.Departement)
	}
	if f.Bassin != "" {
		q = q.Where("bassin = ?", f.Bassin)
	}
	if len(f.UAIs) > 0 {
		q = q.Where("uai IN ?", f.UAIs)
	}
	if f.Search != "" {
		like := "%" + strings.ToLower(strings.NewReplacer("%", "", "_", "").Replace(f.Search)) + "%"
		q = q.Where("(LOWER(uai) LIKE ? OR LOWER(name) LIKE ?)", like, like)
	}
	var total int64
	if err := q.Count(&total).Error; err != nil {
		return nil, 0, fmt.Errorf("count schools: %w", err)
	}
	q = q.Order("uai")
	if f.Limit > 0 {
		q = q.Limit(f.Limit).Offset(f.Offset)
	}
	var rows []schoolRow
	if err := q.Find(&rows).Error; err != nil {
		return nil, 0, fmt.Errorf("list schools: %w", err)
	}
	out := make([]campaign.School, len(rows))
	for i, r := range rows {
		out[i] = r.domain()
	}
	return out, total, nil
}

// SchoolStatus is a school with the summary of its latest final result (Status empty when it
// was never evaluated).
type SchoolStatus struct {
	campaign.School
	Status         string
	ResultID       int64
	RunID          int64
	EvaluatedAt    time.Time
	Blockers       int
	Errors         int
	Warnings       int
	Unknown        int
	Todo           int
	PupilsAffected int
}

// Status filter values besides ready, at_risk and not_ready.
const StatusNone = "none" // never evaluated

// SchoolStatusFilter selects and orders schools in ListSchoolStatuses.
type SchoolStatusFilter struct {
	SchoolFilter
	Status string // ready, at_risk, not_ready or none
	Check  string // only schools whose latest result has this check failing, unknown or in error
	// Sort is one of uai, name, status, departement, todo, blockers, pupils, evaluated_at;
	// a leading '-' reverses it. Ties are broken by UAI.
	Sort string
}

var schoolSorts = map[string]string{
	"uai": "s.uai", "name": "s.name", "departement": "s.departement", "kind": "s.kind",
	"status":       "CASE r.status WHEN 'not_ready' THEN 0 WHEN 'at_risk' THEN 1 WHEN 'ready' THEN 2 ELSE 3 END",
	"todo":         "COALESCE(r.todo, -1)",
	"blockers":     "COALESCE(r.blockers, -1)",
	"pupils":       "COALESCE(r.pupils_affected, -1)",
	"evaluated_at": "r.evaluated_at",
}

// ValidSchoolSort tells whether s is a sort ListSchoolStatuses knows.
func ValidSchoolSort(s string) bool {
	_, ok := schoolSorts[strings.TrimPrefix(s, "-")]
	return s == "" || ok
}

// latestResultJoin joins each school s with its latest final result r (if any).
const latestResultJoin = "LEFT JOIN results r ON r.id = (SELECT MAX(x.id) FROM results x WHERE x.academy_id = s.academy_id AND x.uai = s.uai AND x.final)"

// ListSchoolStatuses returns the schools of an academy in scope with their latest status,
// filtered, sorted and paged, and how many match in all.
func (s *Store) ListSchoolStatuses(ctx context.Context, scope access.Scope, academyID int64, f SchoolStatusFilter) ([]SchoolStatus, int64, error) {
	if !scope.AllowsAcademy(academyID) {
		return nil, 0, fmt.Errorf("schools of academy %d: %w", academyID, apperr.ErrNotFound)
	}
	order, ok := schoolSorts[strings.TrimPrefix(f.Sort, "-")]
	if f.Sort == "" {
		order = schoolSorts["uai"]
	} else if !ok {
		return nil, 0, apperr.Invalid("unknown sort %q", f.Sort)
	}
	if strings.HasPrefix(f.Sort, "-") {
		order += " DESC"
	}
	q := scopeSchools(s.db.WithContext(ctx).Table("schools s"), scope, "s").Joins(latestResultJoin).Where("s.academy_id = ?", academyID)
	if f.Kind != "" {
		q = q.Where("s.kind = ?", string(f.Kind))
	}
	if f.Departement != "" {
		q = q.Where("s.departement = ?", f.Departement)
	}
	if f.Bassin != "" {
		q = q.Where("s.bassin = ?", f.Bassin)
	}
	if len(f.UAIs) > 0 {
		q = q.Where("s.uai IN ?", f.UAIs)
	}
	if f.Search != "" {
		like := "%" + strings.ToLower(strings.NewReplacer("%", "", "_", "").Replace(f.Search)) + "%"
		q = q.Where("(LOWER(s.uai) LIKE ? OR LOWER(s.name) LIKE ?)", like, like)
	}
	switch f.Status {
	case "":
	case StatusNone:
		q = q.Where("r.id IS NULL")
	case "ready", "at_risk", "not_ready":
		q = q.Where("r.status = ?", f.Status)
	default:
		return nil, 0, apperr.Invalid("unknown status %q", f.Status)
	}
	if f.Check != "" {
		q = q.Where("EXISTS (SELECT 1 FROM check_results c WHERE c.result_id = r.id AND c.check_id = ? AND c.status IN ('fail', 'unknown', 'error'))", f.Check)
	}
	var total int64
	if err := q.Session(&gorm.Session{}).Count(&total).Error; err != nil {
		return nil, 0, fmt.Errorf("count schools: %w", err)
	}
	q = q.Select(`s.id, s.academy_id, s.uai, s.name, s.kind, s.departement, s.bassin, s.uses_groups, s.updated_at,
		r.id AS result_id, r.run_id, r.status, r.evaluated_at, r.blockers, r.errors, r.warnings, r.unknown, r.todo, r.pupils_affected`).
		Order(order).Order("s.uai")
	if f.Limit > 0 {
		q = q.Limit(f.Limit).Offset(f.Offset)
	}
	var rows []struct {
		ID             int64
		AcademyID      int64
		UAI            string `gorm:"column:uai"`
		Name           string
		Kind           string
		Departement    string
		Bassin         string
		UsesGroups     *bool
		UpdatedAt      time.Time
		ResultID       *int64
		RunID          *int64
		Status         *string
		EvaluatedAt    *time.Time
		Blockers       *int
		Errors         *int
		Warnings       *int
		Unknown        *int
		Todo           *int
		PupilsAffected *int
	}
	if err := q.Scan(&rows).Error; err != nil {
		return nil, 0, fmt.Errorf("list schools with status: %w", err)
	}
	out := make([]SchoolStatus, len(rows))
	for i, r := range rows {
		st := SchoolStatus{School: schoolRow{ID: r.ID, AcademyID: r.AcademyID, UAI: r.UAI, Name: r.Name, Kind: r.Kind,
			Departement: r.Departement, Bassin: r.Bassin, UsesGroups: r.UsesGroups, UpdatedAt: r.UpdatedAt}.domain()}
		if r.ResultID != nil {
			st.ResultID, st.RunID, st.Status = *r.ResultID, deref(r.RunID), deref(r.Status)
			st.EvaluatedAt = deref(r.EvaluatedAt).UTC()
			st.Blockers, st.Errors, st.Warnings = deref(r.Blockers), deref(r.Errors), deref(r.Warnings)
			st.Unknown, st.Todo, st.PupilsAffected = deref(r.Unknown), deref(r.Todo), deref(r.PupilsAffected)
		}
		out[i] = st
	}
	return out, total, nil
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
