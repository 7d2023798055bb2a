package sqlite_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	"xinqiao/internal/sqlite"
	"xinqiao/migrations"

	_ "modernc.org/sqlite"
)

func TestMigrationsRerunAndNewerSchemaRefused(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "x.db")
	for range 2 { // the second open re-runs nothing
		db, err := sqlite.Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		if err := db.Ping(ctx); err != nil {
			t.Fatal(err)
		}
		db.Close()
	}
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	var n int
	raw.QueryRow(`SELECT COUNT(*) FROM schema_migrations`).Scan(&n)
	if want := migrations.Latest("sqlite"); n != want {
		t.Fatalf("got %d migration rows, want %d", n, want)
	}
	if _, err := raw.Exec(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'future', 0)`); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	_, err = sqlite.Open(ctx, path)
	if err == nil || !strings.Contains(err.Error(), "newer xinqiao") {
		t.Fatalf("got %v, want a refusal naming a newer binary", err)
	}
}

func TestMigrationFilesAreWellFormed(t *testing.T) {
	for _, engine := range []string{"sqlite", "postgres"} {
		ms, err := migrations.Load(engine)
		if err != nil {
			t.Fatal(err)
		}
		if len(ms) == 0 || ms[0].Version != 1 {
			t.Fatalf("%s: got %d migrations", engine, len(ms))
		}
	}
	if sq, pg := migrations.Latest("sqlite"), migrations.Latest("postgres"); sq != pg {
		t.Fatalf("sqlite has %d migrations, postgres %d: each change goes to both engines", sq, pg)
	}
}
