// Package store keeps segmentbot's data in PostgreSQL (lib/pq) or SQLite
// (modernc.org/sqlite) through sqlx, and implements segmentbot.Store.
//
// It owns the schema (embedded migrations, one folder per dialect) and every
// SQL statement; the few places where the two databases differ live in
// dialect.go. It must not know about HTTP, chat channels or CSV decoding:
// callers hand it domain values and get domain values and *segmentbot.Error
// codes back.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"    // PostgreSQL driver "postgres"
	_ "modernc.org/sqlite" // SQLite driver "sqlite"

	"github.com/segmentbot/segmentbot"
)

var _ segmentbot.Store = (*DB)(nil)

// ErrUnreachable marks an Open that could not reach the database server:
// no connection, or a server still starting. Trying again later may work;
// other errors (a wrong password, a failed migration) will not go away.
var ErrUnreachable = errors.New("database unreachable")

// pingTimeout bounds Open's first contact, so a server that never answers
// (a dropped packet, not a refused connection) is unreachable in time.
const pingTimeout = 10 * time.Second

func init() {
	sqlx.BindDriver("sqlite", sqlx.QUESTION)
}

// DB is the database behind segmentbot.Store.
type DB struct {
	db   *sqlx.DB // writes and transactions
	read *sqlx.DB // plain reads; the same pool as db except for SQLite files
	// side holds the transactions that run beside one of db's and that
	// it waits for (an import's attribute cells, see writeCellsApart):
	// were they to take a connection of db, a busy service whose every
	// connection of db waits for them would wait for ever. PostgreSQL
	// only; nil for SQLite, whose one writer runs them in the transaction
	// itself.
	side    *sqlx.DB
	dialect *dialect

	// Now returns the current time; tests replace it. Times are stored in
	// UTC with microsecond precision, the precision of PostgreSQL.
	Now func() time.Time
}

// Open connects to databaseURL (postgres://..., postgresql://... or
// sqlite:PATH, sqlite::memory: for a private in-memory database) and applies
// the migrations.
func Open(ctx context.Context, databaseURL string) (*DB, error) {
	var db *DB
	var err error
	switch {
	case strings.HasPrefix(databaseURL, "postgres://"), strings.HasPrefix(databaseURL, "postgresql://"):
		db, err = openPostgres(databaseURL)
	case strings.HasPrefix(databaseURL, "sqlite:"):
		db, err = openSQLite(strings.TrimPrefix(databaseURL, "sqlite:"))
	default:
		scheme, _, _ := strings.Cut(databaseURL, ":")
		return nil, fmt.Errorf("DATABASE_URL must start with postgres://, postgresql:// or sqlite: (got scheme %q)", scheme)
	}
	if err != nil {
		return nil, err
	}
	pingCtx, cancel := context.WithTimeout(ctx, pingTimeout)
	defer cancel()
	if err := db.Ping(pingCtx); err != nil {
		db.Close()
		if unreachable(err) {
			return nil, fmt.Errorf("%w: %w", ErrUnreachable, err)
		}
		return nil, err
	}
	if err := db.Migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// unreachable reports whether a failed ping never got an answer from the
// server (no route, refused, cut, timed out), or the answer "starting up"
// (57P03 cannot_connect_now). A malformed URL or a refused login is not.
func unreachable(err error) bool {
	var pqErr *pq.Error
	if errors.As(err, &pqErr) {
		return pqErr.Code == "57P03"
	}
	var opErr *net.OpError
	return errors.As(err, &opErr) || errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
}

func openPostgres(dsn string) (*DB, error) {
	// binary_parameters: lib/pq then sends a parameterised query in one
	// round trip instead of preparing it first; it halves the round trips
	// of the tap path. jit=off: the planner's JIT compiles the import's
	// set-based statements and a few wide upserts for hundreds of
	// milliseconds, more than they then take to run; lib/pq sends it as a
	// run-time parameter of every connection.
	dsn = withParam(dsn, "binary_parameters", "yes")
	dsn = withParam(dsn, "jit", "off")
	pool, err := sqlx.Open("postgres", dsn)
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	pool.SetMaxOpenConns(32)
	pool.SetMaxIdleConns(32)
	pool.SetConnMaxIdleTime(5 * time.Minute)
	side, err := sqlx.Open("postgres", dsn)
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	side.SetMaxOpenConns(sidePool)
	side.SetMaxIdleConns(sidePool)
	side.SetConnMaxIdleTime(5 * time.Minute)
	db := newDB(pool, pool, postgres)
	db.side = side
	return db, nil
}

// sidePool is how many transactions of DB.side run at once: a few
// imports' cells; more wait their turn, never for db's connections.
const sidePool = 4

// valuesRows is the VALUES list of a multi-row INSERT: rows groups of
// cols placeholders, "(?, ?), (?, ?)".
func valuesRows(rows, cols int) string {
	row := "(" + strings.TrimSuffix(strings.Repeat("?, ", cols), ", ") + ")"
	return strings.TrimSuffix(strings.Repeat(row+", ", rows), ", ")
}

// withParam adds key=value to a PostgreSQL DSN, URL or key/value form,
// unless the DSN sets key itself.
func withParam(dsn, key, value string) string {
	switch {
	case strings.Contains(dsn, key+"="):
		return dsn
	case strings.Contains(dsn, "?"):
		return dsn + "&" + key + "=" + value
	case strings.Contains(dsn, "://"):
		return dsn + "?" + key + "=" + value
	default:
		return dsn + " " + key + "=" + value
	}
}

// openSQLite opens path. Writes go through one connection, since SQLite
// runs one writer at a time and a second connection would only wait on
// the busy timeout; reads of a file get their own pool thanks to WAL. A
// private :memory: database exists only on its one connection, so it must
// have exactly one that never closes.
func openSQLite(path string) (*DB, error) {
	if path == "" {
		return nil, errors.New("DATABASE_URL: sqlite: needs a path, e.g. sqlite:segmentbot.db")
	}
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	params := "_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_txlock=immediate&_time_format=sqlite"
	memory := strings.HasPrefix(path, ":memory:")
	if !memory {
		if err := checkFolder(path); err != nil {
			return nil, err
		}
		params += "&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)"
	}
	write, err := sqlx.Open("sqlite", path+sep+params)
	if err != nil {
		return nil, fmt.Errorf("open sqlite %q: %w", path, err)
	}
	write.SetMaxOpenConns(1)
	write.SetMaxIdleConns(1)
	write.SetConnMaxLifetime(0)
	write.SetConnMaxIdleTime(0)
	if memory {
		return newDB(write, write, sqlite), nil
	}
	// Reads map the file (up to 1 GiB) instead of copying each page
	// through a read call: an audience count over a million members
	// touches tens of thousands of pages, and with the Go SQLite each
	// call costs (docs/decisions.md, attrs-store).
	read, err := sqlx.Open("sqlite", path+sep+params+"&_pragma=query_only(1)&_pragma=mmap_size(1073741824)")
	if err != nil {
		write.Close()
		return nil, fmt.Errorf("open sqlite %q: %w", path, err)
	}
	read.SetMaxOpenConns(4)
	read.SetMaxIdleConns(4)
	return newDB(write, read, sqlite), nil
}

// checkFolder says plainly that the folder of a SQLite file is missing or
// unreadable: SQLite's own error for it is "out of memory".
func checkFolder(path string) error {
	file, _, _ := strings.Cut(strings.TrimPrefix(path, "file:"), "?")
	if dir := filepath.Dir(file); dir != "." {
		if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("the folder %s does not exist", dir)
		} else if err != nil {
			return fmt.Errorf("the folder %s: %w", dir, err)
		}
	}
	return nil
}

func newDB(write, read *sqlx.DB, d *dialect) *DB {
	return &DB{db: write, read: read, dialect: d, Now: time.Now}
}

// Dialect names the database: "postgres" or "sqlite".
func (db *DB) Dialect() string { return db.dialect.name }

// Ping checks the database is reachable.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.db.PingContext(ctx); err != nil {
		return fmt.Errorf("ping %s: %w", db.dialect.name, err)
	}
	return nil
}

// Close closes the connection pools.
func (db *DB) Close() error {
	err := db.db.Close()
	if db.read != db.db {
		err = errors.Join(err, db.read.Close())
	}
	if db.side != nil {
		err = errors.Join(err, db.side.Close())
	}
	return err
}

// now is the current time as the database stores it.
func (db *DB) now() time.Time {
	return db.Now().UTC().Truncate(time.Microsecond)
}

// inTx runs fn in a transaction and commits it when fn succeeds.
func (db *DB) inTx(ctx context.Context, fn func(tx *sqlx.Tx) error) error {
	return txOn(ctx, db.db, fn)
}

// txOn is inTx on pool.
func txOn(ctx context.Context, pool *sqlx.DB, fn func(tx *sqlx.Tx) error) error {
	tx, err := pool.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// notFound turns sql.ErrNoRows into an ENOTFOUND error naming what is missing.
func notFound(err error, format string, args ...any) error {
	if errors.Is(err, sql.ErrNoRows) {
		return segmentbot.Errorf(segmentbot.ENOTFOUND, format, args...)
	}
	return err
}

// pageLimit applies the default page size.
func pageLimit(limit int) int {
	if limit <= 0 {
		return 100
	}
	return limit
}

// queryer is a pool or a transaction.
type queryer interface {
	sqlx.QueryerContext
	Rebind(query string) string
}
