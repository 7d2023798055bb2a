package handoff_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"xinqiao/internal/apptest"
	"xinqiao/internal/storetest"
	"xinqiao/internal/xinqiao"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// TestConsoleIgnoresAStaleHandoffFrame: the server reads each handoff
// event's row on its own, so a frame read before a change can reach the
// console after the frame of the change. The console keeps the newest copy
// of each handoff by updated_at: a stale "active" frame after a newer
// "waiting" one does not hide the waiting student, nor does one after a
// close bring the closed handoff back. The frames are handed to the page's
// own socket handler, as the server would send them.
func TestConsoleIgnoresAStaleHandoffFrame(t *testing.T) {
	p := apptest.Browser(t)
	clk := apptest.NewClock(time.Now())
	s := boot(t, func(tb testing.TB) xinqiao.Store { return storetest.MustOpenSQLite(tb) }, clk)
	s.AddStaff(t, "wang", xinqiao.RoleCounselor, "王老师")
	// Keep the page's sockets reachable, to give the console frames.
	keep := `window.__socks = []; { const W = window.WebSocket;
		window.WebSocket = class extends W { constructor(...a) { super(...a); window.__socks.push(this); } }; }`
	p.Do(t, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: keep})
		return err
	}))
	p.Login(t, s.URL+"/counselor", "wang", "#console")
	p.Do(t, chromedp.WaitVisible(chromedp.CSS("#conn.ok")))

	sess := s.NewSession(t, `{"lang":"zh"}`)
	student := s.DialStudent(t, sess.Token)
	student.Message(t, "r1", risky)
	student.WaitType(t, wait, "crisis")
	p.WaitCount(t, "#waiting li", 1)
	hs, err := s.Store.Handoffs(context.Background(), xinqiao.HandoffFilter{ConversationID: sess.ConversationID})
	if err != nil || len(hs) != 1 {
		t.Fatalf("handoffs: %+v, %v", hs, err)
	}
	h := hs[0]
	give := func(h xinqiao.Handoff) {
		t.Helper()
		b, err := json.Marshal(map[string]any{"type": "handoff", "handoff": h})
		if err != nil {
			t.Fatal(err)
		}
		p.Eval(t, `(window.__socks.at(-1).onmessage({data: `+string(mustJSON(t, string(b)))+`}), "")`)
	}
	// A frame of the handoff as another counselor held it a moment ago,
	// before it went back to the queue.
	stale := h
	stale.State, stale.Counselor, stale.CounselorName = xinqiao.HandoffActive, "x", "李老师"
	stale.UpdatedAt = h.UpdatedAt.Add(-time.Second)
	give(stale)
	if n, m := p.Count(t, "#waiting li"), p.Count(t, "#active li"); n != 1 || m != 0 {
		t.Fatalf("after a stale active frame: %d waiting, %d active; want the student still waiting", n, m)
	}
	// A newer frame applies: the handoff is closed, and leaves the queue.
	closed := h
	closed.State, closed.UpdatedAt = xinqiao.HandoffClosed, h.UpdatedAt.Add(time.Second)
	give(closed)
	if n := p.Count(t, "#waiting li") + p.Count(t, "#active li"); n != 0 {
		t.Fatalf("after the close frame: %d items, want none", n)
	}
	// The stale frame arriving after the close does not bring it back.
	give(stale)
	if n := p.Count(t, "#waiting li") + p.Count(t, "#active li"); n != 0 {
		t.Fatalf("after a stale frame following the close: %d items, want none", n)
	}
}

// mustJSON quotes s as a JavaScript string.
func mustJSON(t *testing.T, s string) []byte {
	t.Helper()
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
