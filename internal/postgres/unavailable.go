package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"

	"xinqiao/internal/xinqiao"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// errUnavailable is the domain error of a database that cannot be reached
// just now: the caller did nothing wrong and may try again shortly.
var errUnavailable = xinqiao.Errorf(xinqiao.EUNAVAILABLE, "the database cannot be reached just now; try again in a moment")

// unavailable reports whether err says the database cannot be reached
// rather than that a statement is wrong: a connection that could not be
// made (refused, too many clients, the server starting or shutting down),
// one lost mid-way, or no connection free before the deadline.
func unavailable(err error) bool {
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) {
		return true
	}
	switch code := pgCode(err); {
	case strings.HasPrefix(code, "08"): // connection exception
		return true
	case code == "53300", // too_many_connections
		code == "57P01", code == "57P02", code == "57P03": // admin_shutdown, crash_shutdown, cannot_connect_now
		return true
	case code != "":
		return false
	}
	// A deadline passed waiting for a pooled connection (the pool returns
	// the bare context error) or for the server (pgconn's timeout error);
	// a socket that failed or closed mid-way. A cancelled request is none
	// of these: context.Canceled is not a net.Error.
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || pgconn.Timeout(err) ||
		errors.As(err, &ne) || errors.Is(err, io.ErrUnexpectedEOF)
}

// mapErr returns err with errUnavailable in its chain when the database
// could not be reached, so that every surface reports EUNAVAILABLE instead
// of EINTERNAL; other errors (pgx.ErrNoRows too) pass unchanged. The cause
// stays in the chain for the logs.
func mapErr(err error) error {
	if err == nil || errors.Is(err, errUnavailable) || !unavailable(err) {
		return err
	}
	return fmt.Errorf("%w: %w", errUnavailable, err)
}

// pool is the pgx pool with every error that leaves it passed through
// mapErr: the one place where this store tells an outage from a bug.
type pool struct{ *pgxpool.Pool }

// Exec runs a statement.
func (p pool) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	tag, err := p.Pool.Exec(ctx, sql, args...)
	return tag, mapErr(err)
}

// Query runs a query.
func (p pool) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	rows, err := p.Pool.Query(ctx, sql, args...)
	if err != nil {
		return rows, mapErr(err)
	}
	return mappedRows{rows}, nil
}

// QueryRow runs a query of at most one row.
func (p pool) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	return mappedRow{p.Pool.QueryRow(ctx, sql, args...)}
}

// Begin starts a transaction.
func (p pool) Begin(ctx context.Context) (pgx.Tx, error) {
	tx, err := p.Pool.Begin(ctx)
	if err != nil {
		return nil, mapErr(err)
	}
	return mappedTx{tx}, nil
}

// Acquire takes a connection from the pool.
func (p pool) Acquire(ctx context.Context) (*pgxpool.Conn, error) {
	c, err := p.Pool.Acquire(ctx)
	return c, mapErr(err)
}

type mappedRows struct{ pgx.Rows }

func (r mappedRows) Err() error { return mapErr(r.Rows.Err()) }

type mappedRow struct{ pgx.Row }

func (r mappedRow) Scan(dest ...any) error { return mapErr(r.Row.Scan(dest...)) }

type mappedTx struct{ pgx.Tx }

func (t mappedTx) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	tag, err := t.Tx.Exec(ctx, sql, args...)
	return tag, mapErr(err)
}

func (t mappedTx) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	rows, err := t.Tx.Query(ctx, sql, args...)
	if err != nil {
		return rows, mapErr(err)
	}
	return mappedRows{rows}, nil
}

func (t mappedTx) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	return mappedRow{t.Tx.QueryRow(ctx, sql, args...)}
}

func (t mappedTx) Commit(ctx context.Context) error { return mapErr(t.Tx.Commit(ctx)) }
