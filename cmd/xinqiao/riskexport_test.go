package main

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"xinqiao/internal/config"
	"xinqiao/internal/storetest"
	"xinqiao/internal/xinqiao"
)

// TestRiskExportUnauditedWritesNothing: an export over an existing file
// leaves it readable by its owner only; when the export cannot be recorded
// in the audit log, no student's words leave the service: no file, nothing
// on stdout, and the command says why.
func TestRiskExportUnauditedWritesNothing(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	env := map[string]string{"XINQIAO_DATA_DIR": dir}
	cfg, err := config.Load("test", nil, envFrom(env))
	if err != nil {
		t.Fatal(err)
	}
	store, err := openStore(ctx, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	wang := storetest.NewStaff(t, store, "wang", xinqiao.RoleCounselor)
	c, _ := storetest.NewConversation(t, store, "")
	m, _, err := store.AppendMessage(ctx, xinqiao.NewMessage{ConversationID: c.ID, Role: xinqiao.RoleStudent, Text: "药已经攒好了",
		Risk: &xinqiao.RiskMark{Level: "high", Categories: []string{"suicide"}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.SetRiskLabel(ctx, xinqiao.RiskLabel{ConversationID: c.ID, Seq: m.Seq, Label: xinqiao.LabelRisk,
		Source: xinqiao.LabelByCounselor, StaffID: wang.ID, UpdatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	store.Close()

	// An export over an existing file readable by others leaves it readable
	// by its owner only.
	open := filepath.Join(t.TempDir(), "open.jsonl")
	if err := os.WriteFile(open, []byte("old\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errb syncBuffer
	if err := run(ctx, []string{"risk", "export", "--out", open}, nil, &out, &errb, envFrom(env)); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(open); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("export over a 0644 file: %v, %v; want mode 0600", fi.Mode(), err)
	}
	if b, _ := os.ReadFile(open); !strings.Contains(string(b), "药已经攒好了") {
		t.Fatalf("export: %q", b)
	}

	// The audit log refuses every new entry, as a full or broken one would.
	db, err := sql.Open("sqlite", filepath.Join(dir, "xinqiao.db"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`CREATE TRIGGER audit_refused BEFORE INSERT ON audit_events BEGIN SELECT RAISE(FAIL, 'audit log unavailable'); END`); err != nil {
		t.Fatal(err)
	}
	db.Close()

	labels := filepath.Join(t.TempDir(), "labels.jsonl")
	for _, args := range [][]string{{"risk", "export", "--out", labels}, {"risk", "export"}} {
		var out, errb syncBuffer
		err := run(ctx, args, nil, &out, &errb, envFrom(env))
		if err == nil || !strings.Contains(err.Error(), "could not be audited") {
			t.Fatalf("%v: got %v, want an error saying the export could not be audited", args, err)
		}
		if out.String() != "" {
			t.Fatalf("%v: wrote %q to stdout", args, out.String())
		}
		if _, err := os.Stat(labels); !os.IsNotExist(err) {
			t.Fatalf("%v: left a file: %v", args, err)
		}
	}
}
