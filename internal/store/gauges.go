package store

import (
	"context"
	"fmt"
	"time"

	"github.com/vigie-edu/vigie/internal/access"
	"github.com/vigie-edu/vigie/internal/apperr"
)

// StatusCount is how many schools of an academy have a status (StatusNone: never evaluated).
type StatusCount struct {
	Academy string // academy code
	Status  string
	N       int
}

// SourceImport is the newest accepted import of a source (kind) in an academy.
type SourceImport struct {
	Academy string // academy code
	Kind    string
	Newest  time.Time
}

// PlatformState is what the metrics show of every academy: schools per status of their latest
// final result, and the newest accepted import per source.
type PlatformState struct {
	Schools []StatusCount
	Sources []SourceImport
}

// PlatformState reads the state of every academy in two grouped queries (System scope only).
func (s *Store) PlatformState(ctx context.Context, scope access.Scope) (PlatformState, error) {
	if !scope.IsSystem() {
		return PlatformState{}, fmt.Errorf("platform state: %w", apperr.ErrNotFound)
	}
	var st PlatformState
	db := s.db.WithContext(ctx)
	err := db.Table("schools s").Joins("JOIN academies a ON a.id = s.academy_id").Joins(latestResultJoin).
		Select("a.code AS academy, COALESCE(r.status, '" + StatusNone + "') AS status, COUNT(*) AS n").
		Group("a.code, COALESCE(r.status, '" + StatusNone + "')").Order("a.code, status").Scan(&st.Schools).Error
	if err != nil {
		return PlatformState{}, fmt.Errorf("schools per status: %w", err)
	}
	var rows []struct {
		Academy string
		Kind    string
		Newest  string // MAX() of a timestamp comes back as text on SQLite
	}
	err = db.Table("imports i").Joins("JOIN academies a ON a.id = i.academy_id").
		Select("a.code AS academy, i.kind, MAX(i.imported_at) AS newest").
		Where("i.outcome = ? AND i.kind <> ''", ImportAccepted).Group("a.code, i.kind").Order("a.code, i.kind").Scan(&rows).Error
	if err != nil {
		return PlatformState{}, fmt.Errorf("newest import per source: %w", err)
	}
	for _, r := range rows {
		t, err := parseDBTime(r.Newest)
		if err != nil {
			return PlatformState{}, fmt.Errorf("newest import of %s in %s: %w", r.Kind, r.Academy, err)
		}
		st.Sources = append(st.Sources, SourceImport{Academy: r.Academy, Kind: r.Kind, Newest: t})
	}
	return st, nil
}

// parseDBTime reads a timestamp scanned as text: PostgreSQL's and the SQLite driver's forms.
func parseDBTime(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999-07:00", "2006-01-02 15:04:05.999999999Z07:00",
		"2006-01-02 15:04:05.999999999-07", "2006-01-02 15:04:05.999999999", "2006-01-02T15:04:05.999999999"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("unreadable time %q", s)
}
