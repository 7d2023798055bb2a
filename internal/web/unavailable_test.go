package web_test

import (
	"context"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"xinqiao/internal/app"
	"xinqiao/internal/apptest"
	"xinqiao/internal/storetest"
	"xinqiao/internal/web"
	"xinqiao/internal/xinqiao"

	"github.com/chromedp/chromedp"
)

// TestClaimDuringOutageIsUnavailable: a counselor who claims a handoff or
// asks for the queue while the database is away gets 503 `unavailable`
// with Retry-After on REST and the same code on the staff socket, not
// `internal`; once it is back the same claim succeeds.
func TestClaimDuringOutageIsUnavailable(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			db := storetest.NewOutage(e.Open(t))
			s := apptest.Start(t, db, app.Options{})
			ctx := context.Background()
			s.AddStaff(t, "wang", xinqiao.RoleCounselor, "王老师")
			c, _ := storetest.NewConversation(t, s.Store, "")
			h, _, _, err := s.Store.OpenHandoff(ctx, xinqiao.NewHandoff{ConversationID: c.ID, Level: xinqiao.LevelHigh,
				Categories: []string{"suicide"}, Rules: []string{"zh.test"}, MessageSeq: 1, At: time.Now()})
			if err != nil {
				t.Fatal(err)
			}
			wang := s.Login(t, "wang")
			console := wang.DialStaff(t)
			console.WaitType(t, 10*time.Second, "queue")

			db.Down()
			var out web.ErrorBody
			resp := wang.DoHeader(t, "POST", "/api/handoffs/"+h.ID+"/claim", nil, &out)
			if resp.StatusCode != 503 || out.Error.Code != xinqiao.EUNAVAILABLE {
				t.Fatalf("claim during the outage: got %d %+v, want 503 unavailable", resp.StatusCode, out.Error)
			}
			if ra, err := strconv.Atoi(resp.Header.Get("Retry-After")); err != nil || ra != web.RetryAfter {
				t.Fatalf("claim during the outage: Retry-After %q, want %d", resp.Header.Get("Retry-After"), web.RetryAfter)
			}
			console.Send(t, map[string]string{"type": "queue"})
			f := console.WaitType(t, 10*time.Second, "error")
			if f.Code != xinqiao.EUNAVAILABLE {
				t.Fatalf("queue during the outage on the staff socket: got %s, want code unavailable", f.Raw)
			}

			db.Up()
			resp = wang.DoHeader(t, "POST", "/api/handoffs/"+h.ID+"/claim", nil, nil)
			if resp.StatusCode != 200 || resp.Header.Get("Retry-After") != "" {
				t.Fatalf("claim after the outage: got %d (Retry-After %q), want 200 without Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
			}
		})
	}
}

// TestConsoleSaysTryAgainDuringOutage drives the counselor console in
// headless Chromium: a claim while the database is away shows, in Chinese
// and English, that the system cannot reach it and to try again, not
// "internal error"; the same click once it is back claims the handoff.
func TestConsoleSaysTryAgainDuringOutage(t *testing.T) {
	p := apptest.Browser(t)
	db := storetest.NewOutage(storetest.MustOpenSQLite(t))
	s := apptest.Start(t, db, app.Options{})
	s.AddStaff(t, "wang", xinqiao.RoleCounselor, "王老师")
	p.Login(t, s.URL+"/counselor", "wang", "#console")
	sess := s.NewSession(t, `{"lang":"zh"}`)
	student := s.DialStudent(t, sess.Token)
	student.Message(t, "r1", "我今晚就要跳楼，已经想好了，不想活了")
	student.WaitType(t, 10*time.Second, "crisis")
	p.WaitCount(t, "#waiting li", 1)
	p.Do(t, chromedp.Click(chromedp.CSS("#waiting li button")))
	p.WaitCount(t, ".msg.student", 1)

	db.Down()
	p.Do(t, chromedp.Click(chromedp.CSS("#b-claim")))
	p.WaitCount(t, "#err:not(:empty)", 1)
	if got := p.Text(t, "#err"); !strings.Contains(got, "稍等") || !strings.Contains(got, "try again") || strings.Contains(got, "internal") {
		t.Fatalf("console during the outage says %q, want the bilingual try-again sentence", got)
	}

	db.Up()
	p.Do(t, chromedp.Click(chromedp.CSS("#b-claim")))
	p.WaitCount(t, "#b-claim:disabled", 1)
	if got := p.Text(t, "#err"); got != "" {
		t.Fatalf("console after the outage still says %q", got)
	}
}

// failedReads is an Outage that reports each failed read of one handoff.
type failedReads struct {
	*storetest.Outage
	id     atomic.Value // the handoff's id, once it is known
	failed chan struct{}
}

func (f *failedReads) Handoff(ctx context.Context, id string) (xinqiao.Handoff, error) {
	h, err := f.Outage.Handoff(ctx, id)
	if err != nil && f.id.Load() == id {
		select {
		case f.failed <- struct{}{}:
		default:
		}
	}
	return h, err
}

// TestConsoleGetsHandoffWhoseReadFailed: a handoff opened while the
// database cannot be read (its event came, its row could not be read)
// still reaches an open console as a "handoff" frame once the database is
// back, without the console reconnecting or asking for its queue.
func TestConsoleGetsHandoffWhoseReadFailed(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			db := storetest.NewOutage(e.Open(t))
			reads := &failedReads{Outage: db, failed: make(chan struct{}, 1)}
			s := apptest.Start(t, reads, app.Options{})
			ctx := context.Background()
			s.AddStaff(t, "wang", xinqiao.RoleCounselor, "王老师")
			c, _ := storetest.NewConversation(t, db.Store, "")
			console := s.Login(t, "wang").DialStaff(t)
			if q := console.WaitType(t, 10*time.Second, "queue"); strings.Contains(string(q.Raw), c.ID) {
				t.Fatalf("first queue %s already holds the conversation", q.Raw)
			}

			db.Down()
			h, _, _, err := db.Store.OpenHandoff(ctx, xinqiao.NewHandoff{ConversationID: c.ID, Level: xinqiao.LevelHigh,
				Categories: []string{"suicide"}, Rules: []string{"zh.test"}, MessageSeq: 1, At: time.Now()})
			if err != nil {
				t.Fatal(err)
			}
			reads.id.Store(h.ID)
			if err := db.Store.Publish(ctx, xinqiao.Event{Kind: "handoff", ConversationID: c.ID, HandoffID: h.ID}); err != nil {
				t.Fatal(err)
			}
			select {
			case <-reads.failed:
			case <-time.After(10 * time.Second):
				t.Fatal("the console hub never tried to read the handoff of the event")
			}

			db.Up()
			f, _ := console.Wait(t, 10*time.Second, func(f apptest.Frame) bool {
				return f.Type == "handoff" && strings.Contains(string(f.Raw), h.ID)
			})
			if !strings.Contains(string(f.Raw), `"state":"waiting"`) {
				t.Fatalf("got %s, want the handoff waiting", f.Raw)
			}
		})
	}
}
