package retention_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"xinqiao/internal/retention"
	"xinqiao/internal/storetest"
	"xinqiao/internal/xinqiao"
)

func TestCutoff(t *testing.T) {
	now := time.Date(2026, 11, 29, 8, 0, 0, 0, time.UTC)
	tests := []struct {
		days int
		want time.Time
	}{
		{0, time.Time{}},
		{30, time.Date(2026, 10, 30, 8, 0, 0, 0, time.UTC)},
		{180, time.Date(2026, 6, 2, 8, 0, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		if got := retention.Cutoff(now, tt.days); !got.Equal(tt.want) {
			t.Errorf("Cutoff(%d days): got %v, want %v", tt.days, got, tt.want)
		}
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// TestRunPurgesAndLogsNumbersOnly runs the loop on every engine: the old
// conversation goes, the recent one stays, and the log holds counts, not ids.
func TestRunPurgesAndLogsNumbersOnly(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			s := e.Open(t)
			ctx := context.Background()
			now := time.Now().UTC()
			ids := map[string]time.Time{"old": now.AddDate(0, 0, -40), "recent": now.AddDate(0, 0, -1)}
			stored := map[string]string{}
			for name, at := range ids {
				c := xinqiao.Conversation{ID: xinqiao.NewID(), Lang: "zh", CreatedAt: at}
				ss := xinqiao.StudentSession{TokenHash: xinqiao.HashToken(xinqiao.NewToken()), CreatedAt: at, ExpiresAt: at.Add(time.Hour)}
				if err := s.CreateConversation(ctx, c, ss); err != nil {
					t.Fatal(err)
				}
				stored[name] = c.ID
			}
			var logs syncBuffer
			rctx, cancel := context.WithCancel(ctx)
			done := make(chan struct{})
			go func() {
				defer close(done)
				retention.Run(rctx, s, retention.Options{Days: 30, Delay: time.Millisecond, Every: time.Hour,
					Log: slog.New(slog.NewTextHandler(&logs, nil))})
			}()
			for deadline := time.Now().Add(10 * time.Second); !strings.Contains(logs.String(), "retention purge"); {
				if time.Now().After(deadline) {
					t.Fatalf("no purge logged: %q", logs.String())
				}
				time.Sleep(5 * time.Millisecond)
			}
			cancel()
			<-done
			tests := []struct {
				name string
				kept bool
			}{{"old", false}, {"recent", true}}
			for _, tt := range tests {
				_, err := s.Conversation(ctx, stored[tt.name])
				if kept := err == nil; kept != tt.kept {
					t.Errorf("%s conversation: got kept %v (%v), want %v", tt.name, kept, err, tt.kept)
				}
			}
			out := logs.String()
			if !strings.Contains(out, "conversations=1") || !strings.Contains(out, "student_sessions=2") {
				t.Errorf("got log %q, want conversations=1 and student_sessions=2", out)
			}
			for _, id := range stored {
				if strings.Contains(out, id) {
					t.Errorf("the log names conversation %s: %q", id, out)
				}
			}
		})
	}
}
