package store

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/vigie-edu/vigie/internal/access"
	"github.com/vigie-edu/vigie/internal/apperr"
)

// Snapshot is a stored fact snapshot of one school.
type Snapshot struct {
	ID            int64
	AcademyID     int64
	UAI           string
	SchoolYear    int
	AsOf          time.Time
	CreatedAt     time.Time
	SchemaVersion int
	Sources       []byte // JSON summary of the sources
	Facts         []byte // JSON of fact.Snapshot
}

type snapshotRow struct {
	ID            int64 `gorm:"primaryKey"`
	AcademyID     int64
	UAI           string `gorm:"column:uai"`
	SchoolYear    int
	AsOf          time.Time
	CreatedAt     time.Time
	SchemaVersion int
	Sources       string
	Facts         []byte
}

func (snapshotRow) TableName() string { return "snapshots" }

func (r snapshotRow) domain() (Snapshot, error) {
	facts, err := decompress(r.Facts)
	if err != nil {
		return Snapshot{}, fmt.Errorf("snapshot %d of %s: %w", r.ID, r.UAI, err)
	}
	return Snapshot{
		ID: r.ID, AcademyID: r.AcademyID, UAI: r.UAI, SchoolYear: r.SchoolYear, AsOf: r.AsOf.UTC(),
		CreatedAt: r.CreatedAt.UTC(), SchemaVersion: r.SchemaVersion, Sources: []byte(r.Sources), Facts: facts,
	}, nil
}

// SaveSnapshot stores a new snapshot of a school.
func (s *Store) SaveSnapshot(ctx context.Context, scope access.Scope, sn Snapshot) (Snapshot, error) {
	if !scope.AllowsSchool(sn.AcademyID, sn.UAI) {
		return Snapshot{}, fmt.Errorf("snapshot of %s: %w", sn.UAI, apperr.ErrNotFound)
	}
	if sn.CreatedAt.IsZero() {
		sn.CreatedAt = s.now()
	}
	r := snapshotRow{
		AcademyID: sn.AcademyID, UAI: sn.UAI, SchoolYear: sn.SchoolYear, AsOf: sn.AsOf.UTC(), CreatedAt: sn.CreatedAt.UTC(),
		SchemaVersion: sn.SchemaVersion, Sources: string(sn.Sources), Facts: compress(sn.Facts),
	}
	if r.Sources == "" {
		r.Sources = "{}"
	}
	if err := s.db.WithContext(ctx).Create(&r).Error; err != nil {
		return Snapshot{}, fmt.Errorf("save snapshot of %s: %w", sn.UAI, err)
	}
	sn.ID = r.ID
	return sn, nil
}

// SnapshotAt returns the latest snapshot of a school created at or before t (zero t: latest).
func (s *Store) SnapshotAt(ctx context.Context, scope access.Scope, uai string, t time.Time) (Snapshot, error) {
	q := scopeSchools(s.db.WithContext(ctx).Model(&snapshotRow{}), scope, "snapshots").Where("uai = ?", uai)
	if !t.IsZero() {
		q = q.Where("created_at <= ?", t.UTC())
	}
	var r snapshotRow
	if err := q.Order("created_at DESC, id DESC").Take(&r).Error; err != nil {
		return Snapshot{}, notFound(err, "snapshot of %s", uai)
	}
	return r.domain()
}

// SnapshotByID returns one snapshot.
func (s *Store) SnapshotByID(ctx context.Context, scope access.Scope, id int64) (Snapshot, error) {
	var r snapshotRow
	if err := scopeSchools(s.db.WithContext(ctx).Model(&snapshotRow{}), scope, "snapshots").Where("id = ?", id).Take(&r).Error; err != nil {
		return Snapshot{}, notFound(err, "snapshot %d", id)
	}
	return r.domain()
}

// EachLatestSnapshot calls fn with the latest snapshot of every school of the academy in scope,
// in batches so that memory stays bounded.
func (s *Store) EachLatestSnapshot(ctx context.Context, scope access.Scope, academyID int64, fn func(Snapshot) error) error {
	if !scope.AllowsAcademy(academyID) {
		return fmt.Errorf("snapshots of academy %d: %w", academyID, apperr.ErrNotFound)
	}
	latest := s.db.WithContext(ctx).Model(&snapshotRow{}).Select("MAX(id)").Where("academy_id = ?", academyID).Group("uai")
	q := scopeSchools(s.db.WithContext(ctx).Model(&snapshotRow{}), scope, "snapshots").
		Where("academy_id = ? AND id IN (?)", academyID, latest)
	var batch []snapshotRow
	return q.FindInBatches(&batch, 100, func(tx *gorm.DB, _ int) error {
		for _, r := range batch {
			sn, err := r.domain()
			if err != nil {
				return err
			}
			if err := fn(sn); err != nil {
				return err
			}
		}
		return nil
	}).Error
}

// LatestSnapshotIDs returns the id of the latest snapshot of every school of the academy in
// scope, by UAI.
func (s *Store) LatestSnapshotIDs(ctx context.Context, scope access.Scope, academyID int64) (map[string]int64, error) {
	if !scope.AllowsAcademy(academyID) {
		return nil, fmt.Errorf("snapshots of academy %d: %w", academyID, apperr.ErrNotFound)
	}
	var rows []struct {
		UAI string `gorm:"column:uai"`
		ID  int64
	}
	q := scopeSchools(s.db.WithContext(ctx).Model(&snapshotRow{}), scope, "snapshots").
		Select("uai, MAX(id) AS id").Where("academy_id = ?", academyID).Group("uai")
	if err := q.Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("latest snapshots of academy %d: %w", academyID, err)
	}
	out := make(map[string]int64, len(rows))
	for _, r := range rows {
		out[r.UAI] = r.ID
	}
	return out, nil
}
