// Package storetest is the conformance suite every store engine must pass,
// and the helpers that open a fresh store of each engine for the tests of
// other packages: SQLite always, PostgreSQL whenever TEST_DATABASE_URL is set.
package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"xinqiao/internal/postgres"
	"xinqiao/internal/sqlite"
	"xinqiao/internal/xinqiao"

	"github.com/jackc/pgx/v5"
)

// Engine opens fresh, empty stores of one kind.
type Engine struct {
	Name string
	Open func(tb testing.TB) xinqiao.Store
}

// Engines returns SQLite, and PostgreSQL when TEST_DATABASE_URL is set. CI
// always sets it, so the Postgres half is never silently skipped there.
func Engines(tb testing.TB) []Engine {
	tb.Helper()
	es := []Engine{{Name: "sqlite", Open: func(tb testing.TB) xinqiao.Store { return MustOpenSQLite(tb) }}}
	if os.Getenv("TEST_DATABASE_URL") != "" {
		es = append(es, Engine{Name: "postgres", Open: func(tb testing.TB) xinqiao.Store { return MustOpenPostgres(tb) }})
	} else if os.Getenv("CI") != "" {
		tb.Fatal("CI is set but TEST_DATABASE_URL is not: the PostgreSQL half of the tests would be skipped")
	}
	return es
}

// MustOpenSQLite opens a SQLite store in a fresh temporary folder, closed
// when the test ends.
func MustOpenSQLite(tb testing.TB) *sqlite.DB {
	tb.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(tb.TempDir(), "xinqiao.db"))
	if err != nil {
		tb.Fatalf("open sqlite: %v", err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// PostgresURL returns a connection string for a fresh, empty schema in the
// database of TEST_DATABASE_URL (the vector extension stays in public), and
// drops the schema when the test ends. It skips the test when
// TEST_DATABASE_URL is unset (callers that must not skip use Engines).
func PostgresURL(tb testing.TB) string {
	tb.Helper()
	var b [6]byte
	_, _ = rand.Read(b[:])
	return PostgresSchemaURL(tb, "t_"+hex.EncodeToString(b[:]))
}

// PostgresSchemaURL is PostgresURL with a schema name of the caller's
// choosing (a fresh one: it must not exist yet).
func PostgresSchemaURL(tb testing.TB, schema string) string {
	tb.Helper()
	base := os.Getenv("TEST_DATABASE_URL")
	if base == "" {
		tb.Skip("TEST_DATABASE_URL is not set")
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		tb.Fatalf("connect to TEST_DATABASE_URL: %v", err)
	}
	defer conn.Close(ctx)
	id := pgx.Identifier{schema}.Sanitize()
	if _, err := conn.Exec(ctx, `CREATE EXTENSION IF NOT EXISTS vector SCHEMA public`); err != nil {
		tb.Fatalf("create extension: %v", err)
	}
	if _, err := conn.Exec(ctx, `CREATE SCHEMA `+id); err != nil {
		tb.Fatalf("create schema: %v", err)
	}
	tb.Cleanup(func() {
		c, err := pgx.Connect(context.Background(), base)
		if err != nil {
			return
		}
		defer c.Close(context.Background())
		c.Exec(context.Background(), `DROP SCHEMA `+id+` CASCADE`)
	})
	u, err := url.Parse(base)
	if err != nil {
		tb.Fatalf("TEST_DATABASE_URL: %v", err)
	}
	q := u.Query()
	q.Set("search_path", fmt.Sprintf("%s,public", schema))
	u.RawQuery = q.Encode()
	return u.String()
}

// nodePoolSize is the connections each of PostgresNodes' stores opens at
// most. The production default (24 a node) let a three-node test take 75 of
// a server's 100 connections, 50 of them at once in a burst of claims; with
// other suites on the same server, one connection more was refused ("too
// many clients", SQLSTATE 53300) and that claim failed as internal.
const nodePoolSize = 8

// PostgresNodes opens n stores on one fresh schema, as n nodes of one
// deployment would, each closed when the test ends and each with a pool of
// nodePoolSize unless TEST_DATABASE_URL sets pool_max_conns. It skips the
// test when TEST_DATABASE_URL is unset.
func PostgresNodes(tb testing.TB, n int) []*postgres.DB {
	tb.Helper()
	u := PostgresURL(tb)
	if !strings.Contains(u, "pool_max_conns") {
		u += fmt.Sprintf("&pool_max_conns=%d", nodePoolSize)
	}
	out := make([]*postgres.DB, n)
	for i := range out {
		db, err := postgres.Open(context.Background(), u, nil)
		if err != nil {
			tb.Fatalf("open node %d: %v", i, err)
		}
		tb.Cleanup(func() { db.Close() })
		out[i] = db
	}
	return out
}

// MustOpenPostgres opens a Postgres store on a fresh schema, closed when
// the test ends.
func MustOpenPostgres(tb testing.TB) *postgres.DB {
	tb.Helper()
	db, err := postgres.Open(context.Background(), PostgresURL(tb), nil)
	if err != nil {
		tb.Fatalf("open postgres: %v", err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}
