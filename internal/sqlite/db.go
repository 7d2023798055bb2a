// Package sqlite is the embedded default store: one file under the data
// folder, pure Go (modernc.org/sqlite), WAL mode, foreign keys on. It serves a
// single node; PostgreSQL is the store that scales out.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"xinqiao/internal/groupcommit"
	"xinqiao/internal/xinqiao"
	"xinqiao/migrations"

	sqlite3 "modernc.org/sqlite"
	sqlite3lib "modernc.org/sqlite/lib"
)

// DB is the SQLite store. Writes go through one connection (SQLite has one
// writer at a time; queueing them in Go avoids busy errors), reads through a
// small pool that WAL lets run beside the writer.
type DB struct {
	xinqiao.LocalBroker // one node: events stay in process

	w    writer
	r    *sql.DB
	path string
	now  func() time.Time
	// appends batches concurrent appends into shared transactions.
	appends *groupcommit.Committer[appendReq, appendRes]
	ws      writerStmts
	rs      readerStmts
}

var _ xinqiao.Store = (*DB)(nil)

// Open opens (creating if needed) the database file at path and applies the
// migrations. ":memory:" is not supported: the read pool must see the writer's
// data, so tests use a file in a temporary folder.
func Open(ctx context.Context, path string) (*DB, error) {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("data folder %s cannot be created: %w (set XINQIAO_DATA_DIR to a writable folder)", dir, err)
		}
	}
	dsn := func(extra ...string) string {
		q := url.Values{}
		q.Add("_pragma", "foreign_keys(1)")
		q.Add("_pragma", "busy_timeout(10000)")
		q.Add("_pragma", "journal_mode(WAL)")
		q.Add("_pragma", "synchronous(NORMAL)")
		for _, e := range extra {
			k, v, _ := strings.Cut(e, "=")
			q.Add(k, v)
		}
		return "file:" + path + "?" + q.Encode()
	}
	w, err := sql.Open("sqlite", dsn("_txlock=immediate"))
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetConnMaxIdleTime(0)
	r, err := sql.Open("sqlite", dsn("_pragma=query_only(1)"))
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	r.SetMaxOpenConns(4)
	// Keep all four open: database/sql closes connections beyond its two
	// idle ones by default, and a new one costs its pragmas and re-prepares
	// every statement.
	r.SetMaxIdleConns(4)
	db := &DB{w: writer{w}, r: r, path: path, now: time.Now}
	if err := w.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("database file %s cannot be opened: %w (is the data folder writable?)", path, err)
	}
	if err := db.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	if err := errors.Join(db.prepareWriter(ctx), db.prepareReader(ctx)); err != nil {
		db.Close()
		return nil, err
	}
	db.appends = db.newAppender()
	return db, nil
}

// Engine implements xinqiao.Store.
func (db *DB) Engine() string { return "sqlite" }

// Path returns the database file's path.
func (db *DB) Path() string { return db.path }

// SetClock replaces the store's clock; tests use it to control expiries.
func (db *DB) SetClock(now func() time.Time) { db.now = now }

// Close implements xinqiao.Store.
func (db *DB) Close() error {
	if db.appends != nil {
		db.appends.Close()
	}
	return errors.Join(db.r.Close(), db.w.Close())
}

// Ping implements xinqiao.Store: the file answers and the schema is current.
func (db *DB) Ping(ctx context.Context) error {
	v, err := db.schemaVersion(ctx, db.r)
	if err != nil {
		return fmt.Errorf("sqlite: %w", err)
	}
	if want := migrations.Latest("sqlite"); v != want {
		return fmt.Errorf("sqlite: schema version %d, want %d", v, want)
	}
	return nil
}

type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func (db *DB) schemaVersion(ctx context.Context, q querier) (int, error) {
	const stmt = `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`
	var v int
	if err := q.QueryRowContext(ctx, stmt).Scan(&v); err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	return v, nil
}

// migrate applies the pending migrations, each in its own transaction, and
// refuses a database written by a newer binary.
func (db *DB) migrate(ctx context.Context) error {
	const create = `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`
	if _, err := db.w.ExecContext(ctx, create); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	ms, err := migrations.Load("sqlite")
	if err != nil {
		return err
	}
	cur, err := db.schemaVersion(ctx, db.w)
	if err != nil {
		return err
	}
	if latest := len(ms); cur > latest {
		return fmt.Errorf("database %s has schema version %d but this binary knows only up to %d: run a newer xinqiao", db.path, cur, latest)
	}
	for _, m := range ms[cur:] {
		if err := db.tx(ctx, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
				m.Version, m.Name, ms2(db.now()))
			return err
		}); err != nil {
			return fmt.Errorf("migration %04d_%s: %w", m.Version, m.Name, err)
		}
	}
	return nil
}

// tx runs fn in a write transaction, committing when it returns nil.
func (db *DB) tx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", mapErr(err))
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return mapErr(err)
	}
	return mapErr(tx.Commit())
}

// ms2 converts a time to the stored form: milliseconds since the epoch.
func ms2(t time.Time) int64 { return t.UnixMilli() }

// fromMS converts the stored form back to a UTC time.
func fromMS(v int64) time.Time { return time.UnixMilli(v).UTC() }

// isUnique reports whether err is a unique-constraint violation.
func isUnique(err error) bool {
	var se *sqlite3.Error
	if errors.As(err, &se) {
		code := se.Code()
		return code == sqlite3lib.SQLITE_CONSTRAINT_UNIQUE || code == sqlite3lib.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}

// isForeignKey reports whether err is a foreign-key violation.
func isForeignKey(err error) bool {
	var se *sqlite3.Error
	return errors.As(err, &se) && se.Code() == sqlite3lib.SQLITE_CONSTRAINT_FOREIGNKEY
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func nullString(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }

// rowScanner is what a scan function reads a row from: *sql.Row or *sql.Rows.
type rowScanner interface{ Scan(dest ...any) error }

// collect scans every row of a query with scan and closes the rows; what
// names the query in errors. It takes the query's own results, so a call
// reads: rows, err := db.r.QueryContext(…); return collect(rows, err, "list x", scanX).
// R is the scan function's own parameter type (an interface *sql.Rows meets).
func collect[T any, R rowScanner](rows *sql.Rows, err error, what string, scan func(R) (T, error)) ([]T, error) {
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(any(rows).(R))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return out, nil
}
