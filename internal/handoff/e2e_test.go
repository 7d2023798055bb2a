package handoff_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"sync"
	"testing"
	"time"

	"xinqiao/internal/app"
	"xinqiao/internal/apptest"
	"xinqiao/internal/handoff"
	"xinqiao/internal/web"
	"xinqiao/internal/xinqiao"
)

const wait = 5 * time.Second

// risky is a message the built-in rules rate imminent.
const risky = "我今晚就要跳楼，已经想好了，不想活了"

// boot starts the whole service on a fresh store; the tests drive the
// ladder with Tick and the injected clock.
func boot(t testing.TB, open func(tb testing.TB) xinqiao.Store, clk *clock) *apptest.Server {
	t.Helper()
	hcfg := handoff.DefaultConfig()
	hcfg.Tick = time.Hour
	return apptest.Start(t, open(t), app.Options{Now: clk.Now, Handoff: &hcfg})
}

// staffFrame is a console frame.
type staffFrame struct {
	Type           string          `json:"type"`
	Handoff        xinqiao.Handoff `json:"handoff"`
	Handoffs       []xinqiao.Handoff
	ConversationID string          `json:"conversation_id"`
	Message        xinqiao.Message `json:"message"`
}

func decodeStaff(f apptest.Frame) staffFrame {
	var s staffFrame
	_ = json.Unmarshal(f.Raw, &s)
	return s
}

// loginDirect creates a counselor with a session straight in the store, as
// fifty logins from one address would meet the login rate limit.
func loginDirect(t testing.TB, s *apptest.Server, name string) *apptest.Staff {
	t.Helper()
	s.AddStaff(t, name, xinqiao.RoleCounselor, name)
	me, err := s.Store.StaffByUsername(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	tok, csrf := xinqiao.NewToken(), xinqiao.NewToken()
	now := time.Now()
	if err := s.Store.CreateStaffSession(context.Background(), xinqiao.StaffSession{TokenHash: xinqiao.HashToken(tok), StaffID: me.ID,
		CSRF: csrf, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	jar, _ := cookiejar.New(nil)
	u, _ := url.Parse(s.URL)
	jar.SetCookies(u, []*http.Cookie{{Name: web.StaffCookie, Value: tok, Path: "/"}})
	return &apptest.Staff{S: s, Client: &http.Client{Jar: jar, Timeout: 10 * time.Second}, CSRF: csrf, Me: me}
}

func onDuty(t *testing.T, st *apptest.Staff) {
	t.Helper()
	if code := st.Do(t, "POST", "/api/staff/duty", map[string]bool{"on": true}, nil); code != 200 {
		t.Fatalf("duty: got %d, want 200", code)
	}
}

func TestEndToEndRiskyMessageToCounselorReply(t *testing.T) {
	eachEngine(t, func(t *testing.T, open func(tb testing.TB) xinqiao.Store) {
		clk := apptest.NewClock(time.Now())
		s := boot(t, open, clk)
		s.AddStaff(t, "wang", xinqiao.RoleCounselor, "王老师")
		wang := s.Login(t, "wang")
		onDuty(t, wang)
		console := wang.DialStaff(t)
		console.WaitType(t, wait, "queue")

		sess := s.NewSession(t, `{"lang":"zh"}`)
		student := s.DialStudent(t, sess.Token)
		student.Message(t, "r1", risky)
		crisis := student.WaitType(t, wait, "crisis")
		if crisis.Level != xinqiao.LevelImminent || len(crisis.Hotlines) == 0 {
			t.Fatalf("got crisis %s, want imminent with hotlines", crisis.Raw)
		}
		ho, _ := console.Wait(t, wait, func(f apptest.Frame) bool {
			return f.Type == "handoff" && decodeStaff(f).Handoff.ConversationID == sess.ConversationID
		})
		h := decodeStaff(ho).Handoff
		if h.State != xinqiao.HandoffWaiting || h.Level != xinqiao.LevelImminent || len(h.Reason) == 0 {
			t.Fatalf("got %+v, want a waiting imminent handoff with its rules", h)
		}
		var list struct{ Handoffs []xinqiao.Handoff }
		if code := wang.Do(t, "GET", "/api/handoffs?status=waiting", nil, &list); code != 200 || len(list.Handoffs) != 1 {
			t.Fatalf("queue: got %d %+v", code, list)
		}
		// The transcript, with risk marks; the read is audited.
		var tr handoff.Transcript
		if code := wang.Do(t, "GET", "/api/conversations/"+sess.ConversationID, nil, &tr); code != 200 {
			t.Fatalf("transcript: got %d", code)
		}
		if len(tr.Messages) == 0 || tr.Messages[0].Risk == nil || tr.Messages[0].Risk.Level != xinqiao.LevelImminent || len(tr.Brief.Flagged) != 1 {
			t.Fatalf("got transcript %+v, want the flagged message", tr)
		}
		if evs, _ := s.Store.AuditEvents(context.Background(), sess.ConversationID, 10); len(evs) == 0 || evs[0].Action != "conversation.read" || evs[0].Actor != wang.Me.ID {
			t.Fatalf("got audit %+v, want the read recorded", evs)
		}
		console.Send(t, map[string]any{"type": "watch", "conversation_id": sess.ConversationID, "after_seq": 0})

		if code := wang.Do(t, "POST", "/api/handoffs/"+h.ID+"/claim", nil, nil); code != 200 {
			t.Fatalf("claim: got %d", code)
		}
		joined, _ := student.Wait(t, wait, func(f apptest.Frame) bool { return f.Type == "handoff" && f.State == "joined" })
		if joined.Counselor != "王老师" {
			t.Fatalf("got %s, want joined by 王老师", joined.Raw)
		}
		if code := wang.Do(t, "POST", "/api/handoffs/"+h.ID+"/messages", map[string]string{"text": "我是王老师，我在这里陪你。"}, nil); code != 201 {
			t.Fatalf("relay: got %d", code)
		}
		reply, _ := student.Wait(t, wait, func(f apptest.Frame) bool { return f.Type == "message" && f.Role == xinqiao.RoleCounselor })
		if reply.Text != "我是王老师，我在这里陪你。" || reply.AIGenerated {
			t.Fatalf("got %s, want the counselor's words", reply.Raw)
		}
		// The student answers; the console sees it live and no AI answer comes.
		student.Message(t, "r2", "谢谢老师")
		got, _ := console.Wait(t, wait, func(f apptest.Frame) bool {
			sf := decodeStaff(f)
			return f.Type == "message" && sf.Message.Role == xinqiao.RoleStudent && sf.Message.Text == "谢谢老师"
		})
		if decodeStaff(got).ConversationID != sess.ConversationID {
			t.Fatalf("got %s", got.Raw)
		}
		student.Quiet(t, 700*time.Millisecond, func(f apptest.Frame) bool { return f.Type == "message" && f.Role == xinqiao.RoleAssistant })

		// A supervisor observes read-only: sees the live messages, cannot post.
		s.AddStaff(t, "zhang", xinqiao.RoleSupervisor, "张督导")
		zhang := s.Login(t, "zhang")
		observer := zhang.DialStaff(t)
		observer.WaitType(t, wait, "queue")
		observer.Send(t, map[string]any{"type": "watch", "conversation_id": sess.ConversationID, "after_seq": 0})
		observer.Wait(t, wait, func(f apptest.Frame) bool {
			return f.Type == "message" && decodeStaff(f).Message.Text == "谢谢老师"
		})
		if code := zhang.Do(t, "POST", "/api/handoffs/"+h.ID+"/messages", map[string]string{"text": "督导插话"}, nil); code != 403 {
			t.Fatalf("supervisor post: got %d, want 403", code)
		}
		if evs, _ := s.Store.AuditEvents(context.Background(), sess.ConversationID, 10); evs[0].Action != "conversation.watch" || evs[0].Actor != zhang.Me.ID {
			t.Fatalf("got audit %+v, want the supervisor's watch recorded", evs[0])
		}

		// Clear 4xx for bad moves, state unchanged.
		s.AddStaff(t, "li", xinqiao.RoleCounselor, "李老师")
		li := s.Login(t, "li")
		tests := []struct {
			name, path string
			body       any
			who        *apptest.Staff
			want       int
		}{
			{"claim taken", "/claim", nil, li, 409},
			{"post to someone else's", "/messages", map[string]string{"text": "hi"}, li, 403},
			{"close someone else's", "/close", map[string]string{"outcome": "resolved"}, li, 403},
			{"bad outcome", "/close", map[string]string{"outcome": "whatever"}, wang, 400},
			{"close", "/close", map[string]string{"outcome": "resolved", "note": "情绪平稳"}, wang, 200},
			{"close twice", "/close", map[string]string{"outcome": "resolved"}, wang, 409},
			{"claim closed", "/claim", nil, li, 409},
			{"post to closed", "/messages", map[string]string{"text": "hi"}, wang, 409},
		}
		for _, tt := range tests {
			var e web.ErrorBody
			if code := tt.who.Do(t, "POST", "/api/handoffs/"+h.ID+tt.path, tt.body, &e); code != tt.want {
				t.Fatalf("%s: got %d %+v, want %d", tt.name, code, e, tt.want)
			}
		}
		student.Wait(t, wait, func(f apptest.Frame) bool { return f.Type == "handoff" && f.State == "ended" })
		final, _ := s.Store.Handoff(context.Background(), h.ID)
		if final.State != xinqiao.HandoffClosed || final.ClosedBy != wang.Me.ID || final.Note != "情绪平稳" {
			t.Fatalf("got %+v, want closed once by wang", final)
		}
		// Back to the AI, with the counselor's assessment as the level: a
		// harmless next message gets an answer, not a new handoff.
		if conv, _ := s.Store.Conversation(context.Background(), sess.ConversationID); conv.Mode != xinqiao.ModeAI || conv.RiskLevel != xinqiao.LevelLow {
			t.Fatalf("got mode %s level %s after close, want ai and low", conv.Mode, conv.RiskLevel)
		}
		student.Message(t, "r3", "明天考试好紧张，睡不着")
		ans, skipped := student.Wait(t, wait, func(f apptest.Frame) bool { return f.Type == "message" && f.Role == xinqiao.RoleAssistant })
		for _, f := range skipped {
			if f.Type == "crisis" {
				t.Fatalf("got a crisis frame for exam nerves after the close: %s", f.Raw)
			}
		}
		if !ans.AIGenerated {
			t.Fatalf("got %s, want an AI answer", ans.Raw)
		}
		// A new risky message still opens a new handoff.
		student.Message(t, "r4", risky)
		student.WaitType(t, wait, "crisis")
		ho2, _ := console.Wait(t, wait, func(f apptest.Frame) bool {
			return f.Type == "handoff" && decodeStaff(f).Handoff.State == xinqiao.HandoffWaiting
		})
		if h2 := decodeStaff(ho2).Handoff; h2.ID == h.ID || h2.ConversationID != sess.ConversationID {
			t.Fatalf("got %+v, want a new waiting handoff", h2)
		}
	})
}

func TestEndToEndFiftyClaims(t *testing.T) {
	eachEngine(t, func(t *testing.T, open func(tb testing.TB) xinqiao.Store) {
		clk := apptest.NewClock(time.Now())
		s := boot(t, open, clk)
		sess := s.NewSession(t, `{"lang":"zh"}`)
		student := s.DialStudent(t, sess.Token)
		student.Message(t, "r1", risky)
		student.WaitType(t, wait, "crisis")
		var h xinqiao.Handoff
		deadline := time.Now().Add(wait)
		for h.ID == "" && time.Now().Before(deadline) {
			h, _ = s.Store.LatestHandoff(context.Background(), sess.ConversationID)
			time.Sleep(10 * time.Millisecond)
		}
		const n = 50
		staff := make([]*apptest.Staff, n)
		for i := range staff {
			staff[i] = loginDirect(t, s, fmt.Sprintf("c%02d", i))
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		codes := map[int]int{}
		start := make(chan struct{})
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				code := staff[i].Do(t, "POST", "/api/handoffs/"+h.ID+"/claim", nil, nil)
				mu.Lock()
				codes[code]++
				mu.Unlock()
			}()
		}
		close(start)
		wg.Wait()
		if codes[200] != 1 || codes[409] != n-1 {
			t.Fatalf("got status counts %v, want one 200 and %d 409", codes, n-1)
		}
	})
}

func TestEndToEndLadderAndGrace(t *testing.T) {
	eachEngine(t, func(t *testing.T, open func(tb testing.TB) xinqiao.Store) {
		clk := apptest.NewClock(time.Now())
		s := boot(t, open, clk)
		ctx := context.Background()
		s.AddStaff(t, "wang", xinqiao.RoleCounselor, "王老师")
		wang := s.Login(t, "wang")
		sess := s.NewSession(t, `{"lang":"zh"}`)
		student := s.DialStudent(t, sess.Token)
		student.Message(t, "r1", risky)
		f, _ := student.Wait(t, wait, func(f apptest.Frame) bool { return f.Type == "handoff" && f.OnDuty != nil })
		if *f.OnDuty {
			t.Fatalf("got %s, want on_duty false: nobody is on duty", f.Raw)
		}
		h, _ := s.Store.LatestHandoff(ctx, sess.ConversationID)
		svc := s.App.Handoffs
		for _, st := range []struct {
			after time.Duration
			want  int
		}{{59 * time.Second, 0}, {time.Second, 1}, {119 * time.Second, 0}, {time.Second, 1}} {
			clk.Add(st.after)
			if n, err := svc.Tick(ctx); err != nil || n != st.want {
				t.Fatalf("after +%v: got %d timers, %v; want %d", st.after, n, err, st.want)
			}
		}
		if got, _ := s.Store.Handoff(ctx, h.ID); got.Escalated != 2 {
			t.Fatalf("got escalated %d, want 2 (duty at 60 s, on-call at 180 s)", got.Escalated)
		}
		// A counselor claims from the console, then loses the connection.
		console := wang.DialStaff(t)
		console.WaitType(t, wait, "queue")
		if code := wang.Do(t, "POST", "/api/handoffs/"+h.ID+"/claim", nil, nil); code != 200 {
			t.Fatalf("claim: got %d", code)
		}
		// The student is told each state once: joined, then waiting again.
		student.Wait(t, wait, func(f apptest.Frame) bool { return f.Type == "handoff" && f.State == "joined" })
		console.Conn.Close()
		deadline := time.Now().Add(wait)
		for {
			ts, _ := s.Store.Timers(ctx, h.ID)
			if n := len(ts); n > 0 && ts[n-1].Kind == xinqiao.TimerGrace && ts[n-1].FiredAt == nil {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("got timers %+v, want one grace timer after the console closed", ts)
			}
			time.Sleep(10 * time.Millisecond)
		}
		clk.Add(91 * time.Second)
		if n, _ := svc.Tick(ctx); n != 1 {
			t.Fatalf("got %d timers after the grace period, want 1", n)
		}
		student.Wait(t, wait, func(f apptest.Frame) bool { return f.Type == "handoff" && f.State == "waiting" })
		if got, _ := s.Store.Handoff(ctx, h.ID); got.State != xinqiao.HandoffWaiting {
			t.Fatalf("got %s, want waiting again", got.State)
		}
		// A student who reconnects during the handoff sees it again.
		again := s.DialStudent(t, sess.Token)
		again.Wait(t, wait, func(f apptest.Frame) bool { return f.Type == "handoff" && f.State == "waiting" })
	})
}

// TestFlaggedMessageStaysOnHarmlessWords: the queue preview shows the
// message that raised a handoff, not the student's latest words. A medium
// message opens a review; a harmless message while the conversation stays
// medium merges into it and leaves the flagged message where it was; a
// second medium message (as severe) takes its place, and an imminent one
// raising the review to urgent takes it again. A fresh console's queue shows the flagged words each time.
func TestFlaggedMessageStaysOnHarmlessWords(t *testing.T) {
	eachEngine(t, func(t *testing.T, open func(tb testing.TB) xinqiao.Store) {
		clk := apptest.NewClock(time.Now())
		s := boot(t, open, clk)
		s.AddStaff(t, "wang", xinqiao.RoleCounselor, "王老师")
		wang := s.Login(t, "wang")
		sess := s.NewSession(t, `{"lang":"zh"}`)
		student := s.DialStudent(t, sess.Token)
		ctx := context.Background()
		// preview reads the queue of a console dialled now.
		preview := func(t *testing.T) xinqiao.Handoff {
			t.Helper()
			console := wang.DialStaff(t)
			defer console.Conn.Close()
			f := decodeStaff(console.WaitType(t, wait, "queue"))
			for _, h := range f.Handoffs {
				if h.ConversationID == sess.ConversationID {
					return h
				}
			}
			t.Fatalf("the queue %+v has no handoff of the conversation", f.Handoffs)
			return xinqiao.Handoff{}
		}
		send := func(t *testing.T, id, text, level string) int64 {
			t.Helper()
			student.Message(t, id, text)
			ack, _ := student.Wait(t, wait, func(f apptest.Frame) bool { return f.Type == "ack" && f.ClientID == id })
			ms, err := s.Store.Messages(ctx, sess.ConversationID, ack.Seq-1, 1)
			if err != nil || len(ms) != 1 || ms[0].Risk == nil || ms[0].Risk.Level != level {
				t.Fatalf("precondition: %q is not graded %s (%+v, %v)", text, level, ms, err)
			}
			return ack.Seq
		}
		// urgentBy waits for the store to hold the urgent handoff (the
		// crisis card comes before it opens). A review merges before the
		// answer is queued, so an answer means its merge is done.
		urgentBy := func(t *testing.T) {
			t.Helper()
			for deadline := time.Now().Add(wait); ; time.Sleep(20 * time.Millisecond) {
				if h, err := s.Store.LatestHandoff(ctx, sess.ConversationID); err == nil && h.Kind == xinqiao.KindUrgent {
					return
				}
				if time.Now().After(deadline) {
					t.Fatal("the urgent handoff did not open")
				}
			}
		}
		const (
			medium   = "有时候觉得活着没什么意思，不想活了"
			harmless = "谢谢你听我说这些，我去写作业了"
			medium2  = "还是觉得活着好累，真的不想活了"
		)
		first := send(t, "m1", medium, xinqiao.LevelMedium)
		student.Wait(t, wait, isAnswer)
		if h := preview(t); h.MessageSeq != first || h.Preview != medium {
			t.Fatalf("after the medium message: got message %d preview %q, want %d %q", h.MessageSeq, h.Preview, first, medium)
		}
		send(t, "m2", harmless, xinqiao.LevelNone)
		student.Wait(t, wait, isAnswer)
		if h := preview(t); h.MessageSeq != first || h.Preview != medium {
			t.Fatalf("after harmless words: got message %d preview %q, want the flagged %d %q", h.MessageSeq, h.Preview, first, medium)
		}
		second := send(t, "m3", medium2, xinqiao.LevelMedium)
		student.Wait(t, wait, isAnswer)
		if h := preview(t); h.MessageSeq != second || h.Preview != medium2 {
			t.Fatalf("after a second medium message: got message %d preview %q, want %d %q", h.MessageSeq, h.Preview, second, medium2)
		}
		urgent := send(t, "m4", risky, xinqiao.LevelImminent)
		urgentBy(t)
		if h := preview(t); h.Kind != xinqiao.KindUrgent || h.MessageSeq != urgent || h.Preview != risky {
			t.Fatalf("after the urgent raise: got %s message %d preview %q, want urgent %d %q", h.Kind, h.MessageSeq, h.Preview, urgent, risky)
		}
	})
}

// isAnswer matches an assistant message.
func isAnswer(f apptest.Frame) bool { return f.Type == "message" && f.Role == xinqiao.RoleAssistant }
