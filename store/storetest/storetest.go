// Package storetest gives tests a fresh, migrated store.DB on every
// database available: a private SQLite database always, and a private
// PostgreSQL schema when SEGMENTBOT_TEST_POSTGRES names a database.
//
// It is for tests only and must not be imported by production code.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/segmentbot/segmentbot/store"
)

// EnvPostgres names the PostgreSQL database tests may use, e.g.
// postgres://postgres@127.0.0.1:5432/test?sslmode=disable.
const EnvPostgres = "SEGMENTBOT_TEST_POSTGRES"

// Dialects lists the databases available to tests: "sqlite" always, and
// "postgres" when EnvPostgres is set. Under CI=true a missing PostgreSQL
// fails the test instead.
func Dialects(t testing.TB) []string {
	t.Helper()
	if os.Getenv(EnvPostgres) != "" {
		return []string{"sqlite", "postgres"}
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is empty, but CI=true requires the PostgreSQL tests", EnvPostgres)
	}
	return []string{"sqlite"}
}

// Each runs fn as the subtests "sqlite" and "postgres", each with a fresh
// database. The postgres subtest is skipped when EnvPostgres is empty
// (and fails under CI=true).
func Each(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	t.Helper()
	for _, dialect := range []string{"sqlite", "postgres"} {
		t.Run(dialect, func(t *testing.T) {
			fn(t, Open(t, dialect))
		})
	}
}

// Open returns a fresh, migrated database of the dialect ("sqlite" or
// "postgres"), closed and removed when the test ends. SQLite is an
// in-memory database; PostgreSQL is a new schema in EnvPostgres's database.
func Open(t testing.TB, dialect string) *store.DB {
	t.Helper()
	var dsn string
	switch dialect {
	case "sqlite":
		dsn = "sqlite::memory:"
	case "postgres":
		dsn = postgresSchema(t)
	default:
		t.Fatalf("storetest: unknown dialect %q", dialect)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	db, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatalf("storetest: open %s: %v", dialect, err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// OpenFile returns a fresh SQLite database in a file of the test's
// temporary directory: WAL mode with separate read and write pools, as in
// production.
func OpenFile(t testing.TB) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), "sqlite:"+filepath.Join(t.TempDir(), "segmentbot.db"))
	if err != nil {
		t.Fatalf("storetest: open sqlite file: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// postgresSchema creates a schema for one test and returns a DSN whose
// search_path points at it; the schema is dropped when the test ends.
func postgresSchema(t testing.TB) string {
	t.Helper()
	base := os.Getenv(EnvPostgres)
	if base == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is empty, but CI=true requires the PostgreSQL tests", EnvPostgres)
		}
		t.Skipf("%s is empty: PostgreSQL tests skipped", EnvPostgres)
	}
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("storetest: %s: %v", EnvPostgres, err)
	}
	admin, err := sql.Open("postgres", base)
	if err != nil {
		t.Fatalf("storetest: open %s: %v", EnvPostgres, err)
	}
	t.Cleanup(func() { admin.Close() })

	suffix := make([]byte, 6)
	rand.Read(suffix)
	schema := "storetest_" + hex.EncodeToString(suffix)
	ctx := context.Background()
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("storetest: create schema: %v", err)
	}
	// Registered before the store's own Close, so it runs after it.
	t.Cleanup(func() {
		if _, err := admin.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("storetest: drop schema %s: %v", schema, err)
		}
	})
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// DSN returns a DATABASE_URL for a fresh database of the dialect, for
// tests that open the store themselves (the whole service, a restarted
// process): a SQLite file in the test's temporary directory, or a new
// PostgreSQL schema. Both are removed when the test ends.
func DSN(t testing.TB, dialect string) string {
	t.Helper()
	switch dialect {
	case "sqlite":
		return "sqlite:" + filepath.Join(t.TempDir(), "segmentbot.db")
	case "postgres":
		return postgresSchema(t)
	}
	t.Fatalf("storetest: unknown dialect %q", dialect)
	return ""
}

// EachDSN runs fn as the subtests "sqlite" and "postgres", each with the
// DATABASE_URL of a fresh database (see DSN).
func EachDSN(t *testing.T, fn func(t *testing.T, dsn string)) {
	t.Helper()
	for _, dialect := range []string{"sqlite", "postgres"} {
		t.Run(dialect, func(t *testing.T) {
			fn(t, DSN(t, dialect))
		})
	}
}
