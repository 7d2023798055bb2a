package postgres_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"xinqiao/internal/postgres"
	"xinqiao/internal/storetest"
	"xinqiao/internal/xinqiao"

	"github.com/jackc/pgx/v5"
)

// TestRefusedConnectionsAreUnavailable opens a store as a login role of its
// own, then lets the server refuse that role (CONNECTION LIMIT 0, its
// sessions terminated): staff actions must fail as EUNAVAILABLE, not
// EINTERNAL, a missing row must still be ENOTFOUND once the role may connect
// again, and the role is dropped after.
func TestRefusedConnectionsAreUnavailable(t *testing.T) {
	ctx := context.Background()
	schemaURL := storetest.PostgresURL(t)
	admin, err := pgx.Connect(ctx, os.Getenv("TEST_DATABASE_URL"))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	u, err := url.Parse(schemaURL)
	if err != nil {
		t.Fatal(err)
	}
	schema := strings.Split(u.Query().Get("search_path"), ",")[0]
	var b [4]byte
	_, _ = rand.Read(b[:])
	role := "xq_refused_" + hex.EncodeToString(b[:])
	id := pgx.Identifier{role}.Sanitize()
	for _, q := range []string{
		`CREATE ROLE ` + id + ` LOGIN PASSWORD 'refused'`,
		`GRANT ALL ON SCHEMA ` + pgx.Identifier{schema}.Sanitize() + ` TO ` + id,
	} {
		if _, err := admin.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	var db *postgres.DB
	t.Cleanup(func() {
		if db != nil {
			db.Close()
		}
		c, err := pgx.Connect(context.Background(), os.Getenv("TEST_DATABASE_URL"))
		if err != nil {
			t.Errorf("drop role %s: %v", role, err)
			return
		}
		defer c.Close(context.Background())
		c.Exec(context.Background(), `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1`, role)
		for _, q := range []string{`DROP OWNED BY ` + id + ` CASCADE`, `DROP ROLE ` + id} {
			if _, err := c.Exec(context.Background(), q); err != nil {
				t.Errorf("%s: %v", q, err)
			}
		}
	})
	u.User = url.UserPassword(role, "refused")
	db, err = postgres.Open(ctx, u.String(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.StaffByID(ctx, "nobody"); xinqiao.ErrorCode(err) != xinqiao.ENOTFOUND {
		t.Fatalf("before the refusal: got %v, want not_found", err)
	}

	for _, q := range []string{
		`ALTER ROLE ` + id + ` CONNECTION LIMIT 0`,
		`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '` + role + `'`,
	} {
		if _, err := admin.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	actions := map[string]func(ctx context.Context) error{
		"staff": func(ctx context.Context) error { _, err := db.StaffByID(ctx, "nobody"); return err },
		"claim": func(ctx context.Context) error {
			_, err := db.ClaimHandoff(ctx, "h-none", "s-none", time.Now())
			return err
		},
		"queue": func(ctx context.Context) error {
			_, err := db.Handoffs(ctx, xinqiao.HandoffFilter{})
			return err
		},
	}
	for name, act := range actions {
		// The first call after the termination may meet a dead pooled
		// connection (57P01, or the socket closed) rather than a refused
		// new one (53300): both are the same outage, so try twice.
		for i := range 2 {
			cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			err := act(cctx)
			cancel()
			if got := xinqiao.ErrorCode(err); got != xinqiao.EUNAVAILABLE {
				t.Fatalf("%s, call %d while refused: got %q (%v), want unavailable", name, i+1, got, err)
			}
			if i == 1 && !strings.Contains(err.Error(), "53300") {
				t.Errorf("%s: got %v, want the server's refusal (SQLSTATE 53300) in the chain for the logs", name, err)
			}
		}
	}

	if _, err := admin.Exec(ctx, `ALTER ROLE `+id+` CONNECTION LIMIT -1`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.StaffByID(ctx, "nobody"); xinqiao.ErrorCode(err) != xinqiao.ENOTFOUND {
		t.Fatalf("after the refusal ended: got %v, want not_found", err)
	}
}

// TestDeadlineWaitingForAConnectionIsUnavailable holds every connection of a
// one-connection pool, so that a staff read times out waiting for one.
func TestDeadlineWaitingForAConnectionIsUnavailable(t *testing.T) {
	ctx := context.Background()
	db, err := postgres.Open(ctx, storetest.PostgresURL(t)+"&pool_max_conns=1", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	held, err := db.Pool().Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer held.Release()
	cctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	if _, err := db.StaffByID(cctx, "nobody"); xinqiao.ErrorCode(err) != xinqiao.EUNAVAILABLE {
		t.Fatalf("got %q (%v), want unavailable", xinqiao.ErrorCode(err), err)
	}
}
