package store

import (
	"context"
	"fmt"
	"sort"
)

// Schema lists the application's tables and their columns (sorted), without goose's own
// table. It lets a test compare the two dialects.
func (s *Store) Schema(ctx context.Context) (map[string][]string, error) {
	var rows []struct {
		TableName  string
		ColumnName string
	}
	var q string
	switch s.dialect {
	case Postgres:
		q = `SELECT table_name, column_name FROM information_schema.columns
		     WHERE table_schema = current_schema() AND table_name <> 'goose_db_version'`
	default:
		q = `SELECT m.name AS table_name, p.name AS column_name
		     FROM sqlite_master m JOIN pragma_table_info(m.name) p
		     WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name <> 'goose_db_version'`
	}
	if err := s.db.WithContext(ctx).Raw(q).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("read %s schema: %w", s.dialect, err)
	}
	out := map[string][]string{}
	for _, r := range rows {
		out[r.TableName] = append(out[r.TableName], r.ColumnName)
	}
	for _, cols := range out {
		sort.Strings(cols)
	}
	return out, nil
}
