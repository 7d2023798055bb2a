package sqlite

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"xinqiao/internal/xinqiao"
)

// TestLockedBeyondTheBusyTimeoutIsUnavailable: while another process holds
// the write lock longer than the busy timeout (shortened here from 10 s to
// 100 ms on the one writer connection), staff writes fail as EUNAVAILABLE,
// not EINTERNAL, both alone and in a transaction; once the lock is let go
// they reach the data again (a missing row is ENOTFOUND).
func TestLockedBeyondTheBusyTimeoutIsUnavailable(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "x.db")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.w.ExecContext(ctx, `PRAGMA busy_timeout = 100`); err != nil {
		t.Fatal(err)
	}
	other, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	lock, err := other.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	if _, err := lock.ExecContext(ctx, `BEGIN IMMEDIATE`); err != nil {
		t.Fatal(err)
	}
	actions := map[string]func() error{
		"duty":  func() error { return db.SetOnDuty(ctx, "s-none", true) },
		"claim": func() error { _, err := db.ClaimHandoff(ctx, "h-none", "s-none", time.Now()); return err },
	}
	for name, act := range actions {
		if err := act(); xinqiao.ErrorCode(err) != xinqiao.EUNAVAILABLE {
			t.Fatalf("%s while locked: got %q (%v), want unavailable", name, xinqiao.ErrorCode(err), err)
		}
	}
	if _, err := lock.ExecContext(ctx, `ROLLBACK`); err != nil {
		t.Fatal(err)
	}
	for name, act := range actions {
		if err := act(); xinqiao.ErrorCode(err) != xinqiao.ENOTFOUND {
			t.Fatalf("%s after the lock: got %q (%v), want not_found", name, xinqiao.ErrorCode(err), err)
		}
	}
}
