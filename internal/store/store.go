// Package store is Vigie's persistence: the only package that imports GORM and the SQL
// drivers. It opens PostgreSQL (a postgres:// URL) or an embedded pure-Go SQLite file
// (anything else), applies the versioned SQL migrations of the migrations package with goose,
// and offers one file of methods per aggregate. Every method takes the caller's access.Scope
// first; a row outside the scope is apperr.ErrNotFound, never a silent empty value.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/glebarez/sqlite"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/vigie-edu/vigie/internal/apperr"
	"github.com/vigie-edu/vigie/migrations"
)

// Dialect names the database engine.
type Dialect string

// Supported dialects.
const (
	Postgres Dialect = "postgres"
	SQLite   Dialect = "sqlite"
)

// Store is the database. It is safe for concurrent use.
type Store struct {
	db      *gorm.DB
	sqlDB   *sql.DB
	dialect Dialect
	log     *slog.Logger
	now     func() time.Time
}

// IsPostgresURL tells whether a database URL selects PostgreSQL.
func IsPostgresURL(url string) bool {
	return strings.HasPrefix(url, "postgres://") || strings.HasPrefix(url, "postgresql://")
}

// Open connects to the database named by url: PostgreSQL for a postgres:// URL, otherwise a
// SQLite file path (its directory is created). It does not migrate; call Migrate.
func Open(ctx context.Context, url string, log *slog.Logger) (*Store, error) {
	cfg := &gorm.Config{
		Logger:                 logger.Discard,
		SkipDefaultTransaction: true,
		NowFunc:                func() time.Time { return time.Now().UTC() },
		TranslateError:         false,
	}
	s := &Store{log: log, now: func() time.Time { return time.Now().UTC() }}
	var dial gorm.Dialector
	if IsPostgresURL(url) {
		s.dialect = Postgres
		dial = postgres.Open(url)
	} else {
		s.dialect = SQLite
		path := strings.TrimPrefix(url, "sqlite://")
		path = strings.TrimPrefix(path, "file:")
		if i := strings.IndexByte(path, '?'); i >= 0 {
			path = path[:i]
		}
		if dir := filepath.Dir(path); dir != "." {
			if err := os.MkdirAll(dir, 0o750); err != nil {
				return nil, fmt.Errorf("open sqlite %s: %w", path, err)
			}
		}
		// WAL lets readers run beside the writer; IMMEDIATE transactions take the write lock
		// at BEGIN, so two writers queue on busy_timeout instead of failing on upgrade.
		dsn := path + "?_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)" +
			"&_pragma=synchronous(NORMAL)&_txlock=immediate"
		dial = sqlite.Open(dsn)
	}
	db, err := gorm.Open(dial, cfg)
	if err != nil {
		return nil, fmt.Errorf("open %s database: %w", s.dialect, err)
	}
	s.db = db.WithContext(ctx)
	if s.sqlDB, err = db.DB(); err != nil {
		return nil, fmt.Errorf("open %s database: %w", s.dialect, err)
	}
	if s.dialect == Postgres {
		s.sqlDB.SetMaxOpenConns(20)
		s.sqlDB.SetMaxIdleConns(10)
	} else {
		s.sqlDB.SetMaxOpenConns(8)
	}
	s.sqlDB.SetConnMaxIdleTime(5 * time.Minute)
	s.db = db
	if err := s.Ping(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Dialect returns the database engine.
func (s *Store) Dialect() Dialect { return s.dialect }

// Close releases the connections.
func (s *Store) Close() error { return s.sqlDB.Close() }

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := s.sqlDB.PingContext(ctx); err != nil {
		return fmt.Errorf("ping %s database: %w", s.dialect, err)
	}
	return nil
}

func (s *Store) provider() (*goose.Provider, error) {
	sub, err := fs.Sub(migrations.FS, string(s.dialect))
	if err != nil {
		return nil, fmt.Errorf("migrations for %s: %w", s.dialect, err)
	}
	var opts []goose.ProviderOption
	dialect := goose.DialectSQLite3
	if s.dialect == Postgres {
		dialect = goose.DialectPostgres
		// Replicas starting together: one applies the migrations, the others wait.
		locker, err := lock.NewPostgresSessionLocker()
		if err != nil {
			return nil, fmt.Errorf("migration lock: %w", err)
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	p, err := goose.NewProvider(dialect, s.sqlDB, sub, opts...)
	if err != nil {
		return nil, fmt.Errorf("migrations for %s: %w", s.dialect, err)
	}
	return p, nil
}

// Migrate applies every pending migration and returns how many it applied.
func (s *Store) Migrate(ctx context.Context) (int, error) {
	p, err := s.provider()
	if err != nil {
		return 0, err
	}
	res, err := p.Up(ctx)
	if err != nil {
		return len(res), fmt.Errorf("migrate %s database: %w", s.dialect, err)
	}
	for _, r := range res {
		s.log.Info("migration applied", "version", r.Source.Version, "file", filepath.Base(r.Source.Path), "duration", r.Duration)
	}
	return len(res), nil
}

// MigrationStatus is the schema version of the database and of this binary.
type MigrationStatus struct {
	Current int64
	Latest  int64
	Pending []string // file names not yet applied
}

// UpToDate tells whether every migration is applied.
func (m MigrationStatus) UpToDate() bool { return len(m.Pending) == 0 && m.Current == m.Latest }

// MigrationStatus reports the applied and pending migrations.
func (s *Store) MigrationStatus(ctx context.Context) (MigrationStatus, error) {
	p, err := s.provider()
	if err != nil {
		return MigrationStatus{}, err
	}
	st, err := p.Status(ctx)
	if err != nil {
		return MigrationStatus{}, fmt.Errorf("migration status: %w", err)
	}
	var m MigrationStatus
	for _, x := range st {
		if x.Source.Version > m.Latest {
			m.Latest = x.Source.Version
		}
		if x.State == goose.StateApplied {
			if x.Source.Version > m.Current {
				m.Current = x.Source.Version
			}
		} else {
			m.Pending = append(m.Pending, filepath.Base(x.Source.Path))
		}
	}
	return m, nil
}

// tx runs fn in one transaction.
func (s *Store) tx(ctx context.Context, fn func(tx *gorm.DB) error) error {
	return s.db.WithContext(ctx).Transaction(fn)
}

// notFound turns gorm's not-found into apperr.ErrNotFound with context.
func notFound(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	msg := fmt.Sprintf(format, args...)
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return fmt.Errorf("%s: %w", msg, apperr.ErrNotFound)
	}
	return fmt.Errorf("%s: %w", msg, err)
}

// isUniqueViolation recognises a unique-constraint failure on either engine.
func isUniqueViolation(err error) bool {
	if err == nil {
		return false
	}
	m := err.Error()
	return strings.Contains(m, "UNIQUE constraint failed") || strings.Contains(m, "SQLSTATE 23505") ||
		strings.Contains(m, "duplicate key value")
}
