package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"xinqiao/internal/xinqiao"

	sqlite3 "modernc.org/sqlite"
	sqlite3lib "modernc.org/sqlite/lib"
)

// errUnavailable is the domain error of a database file that another
// process keeps locked beyond the busy timeout, or of a writer not free
// before the deadline: the caller did nothing wrong and may try again.
var errUnavailable = xinqiao.Errorf(xinqiao.EUNAVAILABLE, "the database is busy just now; try again in a moment")

// unavailable reports whether err is SQLITE_BUSY or SQLITE_LOCKED (any
// extended code of them) or a deadline that passed while waiting.
func unavailable(err error) bool {
	var se *sqlite3.Error
	if errors.As(err, &se) {
		primary := se.Code() & 0xff
		return primary == sqlite3lib.SQLITE_BUSY || primary == sqlite3lib.SQLITE_LOCKED
	}
	return errors.Is(err, context.DeadlineExceeded)
}

// mapErr returns err with errUnavailable in its chain when the database
// was busy, so that every surface reports EUNAVAILABLE instead of
// EINTERNAL; other errors (sql.ErrNoRows too) pass unchanged.
func mapErr(err error) error {
	if err == nil || errors.Is(err, errUnavailable) || !unavailable(err) {
		return err
	}
	return fmt.Errorf("%w: %w", errUnavailable, err)
}

// writer is the one writer connection with the errors of its statements
// passed through mapErr (db.tx maps those inside a transaction): in WAL
// mode only a writer waits for a lock.
type writer struct{ *sql.DB }

// ExecContext runs a statement.
func (w writer) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	res, err := w.DB.ExecContext(ctx, q, args...)
	return res, mapErr(err)
}

// QueryContext runs a query.
func (w writer) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	rows, err := w.DB.QueryContext(ctx, q, args...)
	return rows, mapErr(err)
}
