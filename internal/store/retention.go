package store

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/vigie-edu/vigie/internal/access"
	"github.com/vigie-edu/vigie/internal/apperr"
)

// HistoryPurged counts what PurgeHistory deleted.
type HistoryPurged struct {
	ImportOriginals int64 // original files of imports (the records and their facts stay)
	Results         int64 // final results, with their check outcomes
}

// PurgeHistory deletes, in one transaction, the original files of imports received before
// importsBefore, and the final results evaluated before resultsBefore except each school's
// latest (its current status stays). A zero time keeps that kind. Import records and the facts
// read from them stay: snapshots and the history of each source are rebuilt from those, never
// from the originals. Runs stay too (the trend reads their counts).
func (s *Store) PurgeHistory(ctx context.Context, scope access.Scope, importsBefore, resultsBefore time.Time) (HistoryPurged, error) {
	if !scope.IsSystem() {
		return HistoryPurged{}, fmt.Errorf("purge history: %w", apperr.ErrNotFound)
	}
	var p HistoryPurged
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if !importsBefore.IsZero() {
			old := tx.Model(&importRow{}).Select("id").Where("imported_at < ?", importsBefore.UTC())
			res := tx.Where("import_id IN (?)", old).Delete(&importBlobRow{})
			if res.Error != nil {
				return fmt.Errorf("purge import originals: %w", res.Error)
			}
			p.ImportOriginals = res.RowsAffected
		}
		if !resultsBefore.IsZero() {
			latest := tx.Model(&resultRow{}).Select("MAX(id)").Where("final").Group("academy_id, uai")
			res := tx.Where("final AND evaluated_at < ? AND id NOT IN (?)", resultsBefore.UTC(), latest).Delete(&resultRow{})
			if res.Error != nil {
				return fmt.Errorf("purge old results: %w", res.Error)
			}
			p.Results = res.RowsAffected
		}
		return nil
	})
	if err != nil {
		return HistoryPurged{}, err
	}
	return p, nil
}
