package postgres_test

import (
	"context"
	"strings"
	"testing"

	"xinqiao/internal/postgres"
	"xinqiao/internal/storetest"
	"xinqiao/migrations"
)

func TestMigrationsRerunAndNewerSchemaRefused(t *testing.T) {
	ctx := context.Background()
	url := storetest.PostgresURL(t)
	for range 2 {
		db, err := postgres.Open(ctx, url, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := db.Ping(ctx); err != nil {
			t.Fatal(err)
		}
		db.Close()
	}
	db, err := postgres.Open(ctx, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	var n int
	db.Pool().QueryRow(ctx, `SELECT COUNT(*) FROM schema_migrations`).Scan(&n)
	if want := migrations.Latest("postgres"); n != want {
		t.Fatalf("got %d migration rows, want %d", n, want)
	}
	if _, err := db.Pool().Exec(ctx, `INSERT INTO schema_migrations (version, name) VALUES (999, 'future')`); err != nil {
		t.Fatal(err)
	}
	if err := db.Ping(ctx); err == nil {
		t.Fatal("Ping passed on a schema newer than the binary")
	}
	db.Close()
	_, err = postgres.Open(ctx, url, nil)
	if err == nil || !strings.Contains(err.Error(), "newer xinqiao") {
		t.Fatalf("got %v, want a refusal naming a newer binary", err)
	}
}

func TestConcurrentStartsMigrateOnce(t *testing.T) {
	ctx := context.Background()
	url := storetest.PostgresURL(t)
	errs := make(chan error, 4)
	for range 4 {
		go func() {
			db, err := postgres.Open(ctx, url, nil)
			if err == nil {
				db.Close()
			}
			errs <- err
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Fatalf("a node failed to start beside the others: %v", err)
		}
	}
}
