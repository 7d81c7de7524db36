// Package storetest gives tests real, migrated databases: a SQLite file in a temporary
// directory, and a fresh PostgreSQL database per test, copied from a migrated template (one
// template per set of migrations, created once under an advisory lock). PostgreSQL is found at
// VIGIE_TEST_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/postgres). When it is
// unreachable the PostgreSQL half is skipped, unless VIGIE_REQUIRE_POSTGRES=1, where it fails.
package storetest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx" for the admin connection

	"github.com/vigie-edu/vigie/internal/store"
	"github.com/vigie-edu/vigie/migrations"
)

// DefaultAdminURL is where tests find PostgreSQL when VIGIE_TEST_POSTGRES_URL is unset.
const DefaultAdminURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// AdminURL returns the URL of the PostgreSQL maintenance database used to create test databases.
func AdminURL() string {
	if u := os.Getenv("VIGIE_TEST_POSTGRES_URL"); u != "" {
		return u
	}
	return DefaultAdminURL
}

// Required tells whether PostgreSQL tests must fail rather than skip when it is unreachable.
func Required() bool { return os.Getenv("VIGIE_REQUIRE_POSTGRES") == "1" }

// Logger returns a logger writing to the test log.
func Logger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// SQLite returns a migrated store on a new SQLite file, closed at the end of the test.
func SQLite(t testing.TB) *store.Store {
	t.Helper()
	return open(t, filepath.Join(t.TempDir(), "vigie.db"))
}

// Postgres returns a migrated store on a new PostgreSQL database, dropped at the end of the test.
func Postgres(t testing.TB) *store.Store {
	t.Helper()
	return open(t, NewPostgresDatabase(t))
}

// Each runs fn as two subtests, on SQLite and on PostgreSQL.
func Each(t *testing.T, fn func(t *testing.T, s *store.Store)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { fn(t, SQLite(t)) })
	t.Run("postgres", func(t *testing.T) { fn(t, Postgres(t)) })
}

func open(t testing.TB, dsn string) *store.Store {
	t.Helper()
	ctx := context.Background()
	s, err := store.Open(ctx, dsn, Logger(t))
	if err != nil {
		t.Fatalf("open test database: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatalf("migrate test database: %v", err)
	}
	return s
}

var (
	adminOnce sync.Once
	adminDB   *sql.DB
	adminErr  error
)

func admin() (*sql.DB, error) {
	adminOnce.Do(func() {
		db, err := sql.Open("pgx", AdminURL())
		if err != nil {
			adminErr = err
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := db.PingContext(ctx); err != nil {
			adminErr = fmt.Errorf("PostgreSQL at %s unreachable: %w", AdminURL(), err)
			return
		}
		adminDB = db
	})
	return adminDB, adminErr
}

// NewPostgresDatabase creates an empty-but-migrated PostgreSQL database for the test and
// returns its URL; the database is dropped at the end of the test.
func NewPostgresDatabase(t testing.TB) string {
	t.Helper()
	db, err := admin()
	if err != nil {
		if Required() {
			t.Fatalf("VIGIE_REQUIRE_POSTGRES=1 but %v", err)
		}
		t.Skipf("skipping PostgreSQL half: %v (set VIGIE_REQUIRE_POSTGRES=1 to fail instead)", err)
	}
	tpl, err := template(db)
	if err != nil {
		t.Fatalf("PostgreSQL template database: %v", err)
	}
	name := "vigie_t_" + randomHex(6)
	if err := withLock(db, func(conn *sql.Conn) error {
		_, err := conn.ExecContext(context.Background(), fmt.Sprintf(`CREATE DATABASE %s TEMPLATE %s`, name, tpl))
		return err
	}); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		if _, err := db.ExecContext(context.Background(), fmt.Sprintf(`DROP DATABASE IF EXISTS %s WITH (FORCE)`, name)); err != nil {
			t.Logf("drop test database %s: %v", name, err)
		}
	})
	return withDatabase(AdminURL(), name)
}

// withDatabase swaps the database name of a PostgreSQL URL.
func withDatabase(raw, name string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	u.Path = "/" + name
	q := u.Query()
	if q.Get("sslmode") == "" {
		q.Set("sslmode", "disable")
	}
	u.RawQuery = q.Encode()
	return u.String()
}

var (
	tplOnce sync.Once
	tplName string
	tplErr  error
)

// template returns the name of a migrated template database for the current migrations,
// creating it once across concurrent test processes.
func template(db *sql.DB) (string, error) {
	tplOnce.Do(func() {
		tplName = "vigie_tpl_" + migrationsHash()
		tplErr = withLock(db, func(conn *sql.Conn) error {
			ctx := context.Background()
			var exists bool
			if err := conn.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, tplName).Scan(&exists); err != nil {
				return err
			}
			if exists {
				return nil
			}
			building := tplName + "_wip"
			if _, err := conn.ExecContext(ctx, fmt.Sprintf(`DROP DATABASE IF EXISTS %s WITH (FORCE)`, building)); err != nil {
				return err
			}
			if _, err := conn.ExecContext(ctx, fmt.Sprintf(`CREATE DATABASE %s`, building)); err != nil {
				return err
			}
			s, err := store.Open(ctx, withDatabase(AdminURL(), building), slog.New(slog.DiscardHandler))
			if err != nil {
				return err
			}
			_, err = s.Migrate(ctx)
			_ = s.Close()
			if err != nil {
				return err
			}
			if _, err := conn.ExecContext(ctx, fmt.Sprintf(`ALTER DATABASE %s RENAME TO %s`, building, tplName)); err != nil {
				return err
			}
			// Templates of older migration sets are left in place: another test process may
			// still be copying one (a branch with other migrations); each is a few MB.
			return nil
		})
	})
	return tplName, tplErr
}

// withLock runs fn holding a cluster-wide advisory lock, so that concurrent test processes
// neither build the template twice nor copy it while another session uses it.
func withLock(db *sql.DB, fn func(conn *sql.Conn) error) error {
	ctx := context.Background()
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	const key = 0x76696769 // "vigi"
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, key); err != nil {
		return err
	}
	defer func() { _, _ = conn.ExecContext(ctx, `SELECT pg_advisory_unlock($1)`, key) }()
	return fn(conn)
}

func migrationsHash() string {
	h := sha256.New()
	var names []string
	_ = fs.WalkDir(migrations.FS, "postgres", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			names = append(names, p)
		}
		return nil
	})
	sort.Strings(names)
	for _, n := range names {
		b, _ := fs.ReadFile(migrations.FS, n)
		h.Write([]byte(n))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil))[:12]
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
