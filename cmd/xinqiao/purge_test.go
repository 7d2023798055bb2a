package main

import (
	"context"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"xinqiao/internal/config"
	"xinqiao/internal/sqlite"
	"xinqiao/internal/xinqiao"
)

func TestRetentionDaysConfig(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want int
		err  bool
	}{
		{"default", nil, nil, 180, false},
		{"forever", map[string]string{"XINQIAO_RETENTION_DAYS": "0"}, nil, 0, false},
		{"lowest", map[string]string{"XINQIAO_RETENTION_DAYS": "30"}, nil, 30, false},
		{"highest", nil, []string{"-retention-days", "3650"}, 3650, false},
		{"flag wins", map[string]string{"XINQIAO_RETENTION_DAYS": "400"}, []string{"-retention-days", "90"}, 90, false},
		{"too short", map[string]string{"XINQIAO_RETENTION_DAYS": "29"}, nil, 0, true},
		{"too long", nil, []string{"-retention-days", "3651"}, 0, true},
		{"negative", map[string]string{"XINQIAO_RETENTION_DAYS": "-1"}, nil, 0, true},
		{"not a number", map[string]string{"XINQIAO_RETENTION_DAYS": "half a year"}, nil, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := config.Load("xinqiao", tt.args, envFrom(tt.env))
			if tt.err {
				if err == nil || !strings.Contains(err.Error(), "XINQIAO_RETENTION_DAYS") {
					t.Fatalf("got %v, want an error naming XINQIAO_RETENTION_DAYS", err)
				}
				return
			}
			if err != nil || c.RetentionDays != tt.want {
				t.Fatalf("got %d (%v), want %d", c.RetentionDays, err, tt.want)
			}
		})
	}
}

// TestPurgeCommand stores an old and a recent conversation and runs
// xinqiao purge: the dry run counts and keeps, the real run deletes the old
// one only, and a second run finds nothing.
func TestPurgeCommand(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(dir, "xinqiao.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	now := time.Now().UTC()
	ids := map[string]string{}
	for name, at := range map[string]time.Time{"old": now.AddDate(0, 0, -200), "recent": now.AddDate(0, 0, -2)} {
		c := xinqiao.Conversation{ID: xinqiao.NewID(), Lang: "zh", CreatedAt: at}
		ss := xinqiao.StudentSession{TokenHash: xinqiao.HashToken(xinqiao.NewToken()), CreatedAt: at, ExpiresAt: now.Add(time.Hour)}
		if err := db.CreateConversation(ctx, c, ss); err != nil {
			t.Fatal(err)
		}
		ids[name] = c.ID
	}
	env := envFrom(map[string]string{"XINQIAO_DATA_DIR": dir})
	count := func(out, kind string) string {
		m := regexp.MustCompile(`(?m)^  ` + kind + ` +(\d+)`).FindStringSubmatch(out)
		if m == nil {
			return "missing"
		}
		return m[1]
	}
	tests := []struct {
		name          string
		args          []string
		conversations string
		sessions      string
		oldKept       bool
	}{
		{"dry run counts only", []string{"purge", "--dry-run"}, "1", "1", true},
		{"forever keeps conversations", []string{"purge", "-retention-days", "0"}, "0", "0", true},
		{"purge", []string{"purge"}, "1", "1", false},
		{"again finds nothing", []string{"purge"}, "0", "0", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errb syncBuffer
			if err := run(ctx, tt.args, nil, &out, &errb, env); err != nil {
				t.Fatalf("%v: %v; stderr %s", tt.args, err, errb.String())
			}
			if got := count(out.String(), "conversations"); got != tt.conversations {
				t.Fatalf("got %s conversations, want %s; output %q", got, tt.conversations, out.String())
			}
			if got := count(out.String(), "student_sessions"); got != tt.sessions {
				t.Fatalf("got %s student sessions, want %s; output %q", got, tt.sessions, out.String())
			}
			_, err := db.Conversation(ctx, ids["old"])
			if kept := err == nil; kept != tt.oldKept {
				t.Fatalf("got old conversation kept %v (%v), want %v", kept, err, tt.oldKept)
			}
			if _, err := db.Conversation(ctx, ids["recent"]); err != nil {
				t.Fatalf("got %v, want the recent conversation kept", err)
			}
		})
	}
	var out, errb syncBuffer
	if err := run(ctx, []string{"purge", "-retention-days", "7"}, nil, &out, &errb, env); err == nil || !strings.Contains(err.Error(), "XINQIAO_RETENTION_DAYS") {
		t.Fatalf("got %v, want an error naming XINQIAO_RETENTION_DAYS", err)
	}
}
