package chat_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"xinqiao/internal/app"
	"xinqiao/internal/apptest"
	"xinqiao/internal/storetest"
	"xinqiao/internal/xinqiao"

	"github.com/gorilla/websocket"
)

const wait = 5 * time.Second

// each runs fn against a fresh server on every store engine.
func each(t *testing.T, fn func(t *testing.T, s *apptest.Server, clk *apptest.Clock)) {
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			clk := apptest.NewClock(time.Now())
			s := apptest.Start(t, e.Open(t), app.Options{Now: clk.Now})
			fn(t, s, clk)
		})
	}
}

func isAssistant(f apptest.Frame) bool { return f.Type == "message" && f.Role == "assistant" }

func TestMessageAckAndAnswer(t *testing.T) {
	each(t, func(t *testing.T, s *apptest.Server, _ *apptest.Clock) {
		sess := s.NewSession(t, `{"lang":"zh"}`)
		c := s.DialStudent(t, sess.Token)
		c.Message(t, "m1", "明天就要考试了，我紧张得睡不着，怎么办？")
		ack := c.WaitType(t, wait, "ack")
		if ack.ClientID != "m1" || ack.Seq != 1 {
			t.Fatalf("got ack %s, want client m1 seq 1", ack.Raw)
		}
		ans, skipped := c.Wait(t, wait, isAssistant)
		if ans.Seq != 2 || !ans.AIGenerated || len(ans.Sources) == 0 || ans.Text == "" {
			t.Fatalf("got answer %s, want seq 2, ai_generated, with sources", ans.Raw)
		}
		echoed := false
		for _, f := range skipped {
			if f.Type == "message" && f.Role == "student" && f.Seq == 1 && f.ClientID == "m1" {
				echoed = true
			}
			if f.Type == "crisis" {
				t.Fatalf("got a crisis frame for exam nerves: %s", f.Raw)
			}
		}
		if !echoed {
			t.Fatalf("the student's own message was not sent back with its seq; got %s", describe(skipped))
		}
		for _, src := range ans.Sources {
			if src.DocID == "" || src.Version < 1 || src.Title == "" {
				t.Fatalf("got source %+v, want doc id, version and title", src)
			}
		}
		ms, err := s.Store.Messages(context.Background(), sess.ConversationID, 0, 10)
		if err != nil || len(ms) != 2 || ms[0].Risk == nil || ms[0].Risk.Level == "" || ms[1].Role != xinqiao.RoleAssistant {
			t.Fatalf("got stored %+v, %v; want the message with its risk mark and the answer", ms, err)
		}
	})
}

func TestEnglishAnswer(t *testing.T) {
	each(t, func(t *testing.T, s *apptest.Server, _ *apptest.Clock) {
		sess := s.NewSession(t, `{"lang":"en"}`)
		c := s.DialStudent(t, sess.Token)
		c.Message(t, "e1", "I can't sleep the night before a test, what can I do?")
		ans, _ := c.Wait(t, wait, isAssistant)
		if len(ans.Sources) == 0 || strings.ContainsAny(ans.Text, "的了是") {
			t.Fatalf("got %s, want an English answer with sources", ans.Raw)
		}
	})
}

func TestResendIsStoredOnce(t *testing.T) {
	each(t, func(t *testing.T, s *apptest.Server, _ *apptest.Clock) {
		sess := s.NewSession(t, "")
		c := s.DialStudent(t, sess.Token)
		c.Message(t, "dup", "我和同桌吵架了")
		first := c.WaitType(t, wait, "ack")
		c.Wait(t, wait, isAssistant)
		c.Message(t, "dup", "我和同桌吵架了")
		second := c.WaitType(t, wait, "ack")
		if second.Seq != first.Seq {
			t.Fatalf("got seq %d for the resend, want %d", second.Seq, first.Seq)
		}
		c.Quiet(t, 500*time.Millisecond, isAssistant)
		ms, _ := s.Store.Messages(context.Background(), sess.ConversationID, 0, 100)
		if len(ms) != 2 {
			t.Fatalf("got %d stored messages, want 2 (one message, one answer)", len(ms))
		}
	})
}

func TestOrderingAndResume(t *testing.T) {
	each(t, func(t *testing.T, s *apptest.Server, _ *apptest.Clock) {
		sess := s.NewSession(t, "")
		a := s.DialStudent(t, sess.Token)
		b := s.DialStudent(t, sess.Token) // a second socket on the same conversation
		b.Send(t, map[string]any{"type": "resume", "after_seq": 0})
		texts := []string{"最近总是很烦", "作业太多了写不完", "怎么安排时间"}
		for i, text := range texts {
			a.Message(t, fmt.Sprint("o", i), text)
			a.Wait(t, wait, isAssistant)
		}
		// The second socket saw seqs 1..6 in order, with no gap. (Its resume
		// may be read after seq 1 was already delivered, and then replays it:
		// a repeat, which the page drops by seq, never a gap.)
		var last int64
		for last < 6 {
			f := b.Next(t, wait)
			if f.Type != "message" || f.Seq <= last {
				continue
			}
			if f.Seq != last+1 {
				t.Fatalf("second socket got seq %d after %d: a gap", f.Seq, last)
			}
			last = f.Seq
		}
		// Drop a socket, resume from seq 2 on a new one: 3..6, student messages included.
		a.Conn.Close()
		c := s.DialStudent(t, sess.Token)
		c.Send(t, map[string]any{"type": "resume", "after_seq": 2})
		var got []apptest.Frame
		for len(got) < 4 {
			f := c.Next(t, wait)
			if f.Type == "message" {
				got = append(got, f)
			}
		}
		for i, f := range got {
			if f.Seq != int64(3+i) {
				t.Fatalf("resume: got seq %d at %d, want %d", f.Seq, i, 3+i)
			}
		}
		if got[0].Role != "student" || got[0].Text != texts[1] {
			t.Fatalf("resume: got %s first, want the student's second message", got[0].Raw)
		}
	})
}

func TestNewSessionDoesNotShowPreviousConversation(t *testing.T) {
	each(t, func(t *testing.T, s *apptest.Server, _ *apptest.Clock) {
		first := s.NewSession(t, "")
		c := s.DialStudent(t, first.Token)
		c.Message(t, "p1", "我的秘密心事")
		c.Wait(t, wait, isAssistant)
		second := s.NewSession(t, "")
		if second.ConversationID == first.ConversationID || second.Token == first.Token {
			t.Fatal("a new session reused the previous conversation")
		}
		d := s.DialStudent(t, second.Token)
		d.Send(t, map[string]any{"type": "resume", "after_seq": 0})
		d.Quiet(t, 500*time.Millisecond, func(f apptest.Frame) bool { return f.Type == "message" })
	})
}

func TestRiskyMessageShowsCrisisAndSilencesAI(t *testing.T) {
	each(t, func(t *testing.T, s *apptest.Server, _ *apptest.Clock) {
		sess := s.NewSession(t, "")
		c := s.DialStudent(t, sess.Token)
		c.Message(t, "r1", "我攒了很多安眠药，今晚就全部吃掉，不想活了")
		// The card goes out as soon as the message is classified, before
		// the store is touched: ahead of the ack.
		crisis, before := c.Wait(t, wait, func(f apptest.Frame) bool { return f.Type == "crisis" })
		for _, f := range before {
			if f.Type == "ack" {
				t.Fatalf("got the ack before the crisis card: %s", describe(before))
			}
		}
		_, skipped := c.Wait(t, wait, func(f apptest.Frame) bool { return f.Type == "ack" })
		cards := 1 + countType(skipped, "crisis")
		if crisis.Level != "imminent" && crisis.Level != "high" {
			t.Fatalf("got crisis level %q, want high or imminent", crisis.Level)
		}
		if len(crisis.Hotlines) == 0 || crisis.Text == "" {
			t.Fatalf("got crisis %s, want text and hotlines", crisis.Raw)
		}
		has := map[string]bool{}
		for _, h := range crisis.Hotlines {
			has[h.Number] = true
		}
		if crisis.Level == "imminent" && (!has["110"] || !has["120"]) {
			t.Fatalf("imminent crisis without 110/120: %s", crisis.Raw)
		}
		// The pipeline's own frame says whether anyone is on duty; the
		// handoff service's event may bring a plain "waiting" first.
		ho, skipped := c.Wait(t, wait, func(f apptest.Frame) bool { return f.Type == "handoff" && f.OnDuty != nil })
		if ho.State != "waiting" || *ho.OnDuty {
			t.Fatalf("got %s, want waiting with nobody on duty", ho.Raw)
		}
		// One card for the message: the escalation does not show it again.
		if cards += countType(skipped, "crisis"); cards != 1 {
			t.Fatalf("got %d crisis cards for one message, want 1", cards)
		}
		c.Quiet(t, time.Second, func(f apptest.Frame) bool { return isAssistant(f) || f.Type == "crisis" })
		conv, _ := s.Store.Conversation(context.Background(), sess.ConversationID)
		if conv.Mode != xinqiao.ModeHandoff || (conv.RiskLevel != "high" && conv.RiskLevel != "imminent") {
			t.Fatalf("got conversation %+v, want handoff mode at high or above", conv)
		}
		// Later messages get no AI answer either.
		c.Message(t, "r2", "你在吗")
		c.WaitType(t, wait, "ack")
		c.Quiet(t, time.Second, isAssistant)
		// A reconnecting student sees the crisis card and the handoff again.
		d := s.DialStudent(t, sess.Token)
		d.WaitType(t, wait, "crisis")
		d.WaitType(t, wait, "handoff")
	})
}

// countType counts the frames of a type.
func countType(fs []apptest.Frame, typ string) int {
	n := 0
	for _, f := range fs {
		if f.Type == typ {
			n++
		}
	}
	return n
}

// TestRiskyMessageInAFloodShowsTheCrisisCard: a message over the rate is
// refused before it is stored, but it is read first, so a risky one still
// shows the card at once; the page's resend stores it later.
func TestRiskyMessageInAFloodShowsTheCrisisCard(t *testing.T) {
	each(t, func(t *testing.T, s *apptest.Server, _ *apptest.Clock) {
		c := s.DialStudent(t, s.NewSession(t, "").Token)
		for i := range 30 {
			c.Message(t, fmt.Sprint("f", i), fmt.Sprint("消息", i))
		}
		c.Message(t, "risky", "我攒了很多安眠药，今晚就全部吃掉，不想活了")
		limited, crisis := false, false
		c.Wait(t, wait, func(f apptest.Frame) bool {
			limited = limited || (f.Type == "error" && f.Code == "rate_limited" && f.ClientID == "risky")
			crisis = crisis || f.Type == "crisis"
			return limited && crisis
		})
	})
}

func TestHyperboleIsNotACrisis(t *testing.T) {
	each(t, func(t *testing.T, s *apptest.Server, _ *apptest.Clock) {
		sess := s.NewSession(t, "")
		c := s.DialStudent(t, sess.Token)
		c.Message(t, "h1", "这道数学题难死了，累死我了")
		_, skipped := c.Wait(t, wait, isAssistant)
		for _, f := range skipped {
			if f.Type == "crisis" || f.Type == "handoff" {
				t.Fatalf("got %s for hyperbole", f.Raw)
			}
		}
	})
}

func TestBadInput(t *testing.T) {
	each(t, func(t *testing.T, s *apptest.Server, clk *apptest.Clock) {
		sess := s.NewSession(t, "")
		c := s.DialStudent(t, sess.Token)
		tests := []struct {
			name  string
			frame []byte
			code  string
		}{
			{"empty text", []byte(`{"type":"message","client_id":"x1","text":"   "}`), "invalid"},
			{"missing client id", []byte(`{"type":"message","text":"hi"}`), "invalid"},
			{"too long", []byte(`{"type":"message","client_id":"x2","text":"` + strings.Repeat("长", 2001) + `"}`), "too_long"},
			{"malformed json", []byte(`{"type":`), "invalid"},
			{"unknown type", []byte(`{"type":"dance"}`), "invalid"},
			{"invalid utf-8", []byte("{\"type\":\"message\",\"client_id\":\"x3\",\"text\":\"\xff\xfe\"}"), "invalid"},
			{"negative resume", []byte(`{"type":"resume","after_seq":-1}`), "invalid"},
			{"huge resume", []byte(`{"type":"resume","after_seq":99999999}`), "invalid"},
			{"resume without seq", []byte(`{"type":"resume"}`), "invalid"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if err := c.Conn.WriteMessage(websocket.TextMessage, tt.frame); err != nil {
					t.Fatal(err)
				}
				f := c.WaitType(t, wait, "error")
				if f.Code != tt.code {
					t.Fatalf("got error %s, want code %s", f.Raw, tt.code)
				}
			})
		}
		t.Run("binary frame", func(t *testing.T) {
			c.Conn.WriteMessage(websocket.BinaryMessage, []byte{1, 2, 3})
			if f := c.WaitType(t, wait, "error"); f.Code != "invalid_frame" {
				t.Fatalf("got %s", f.Raw)
			}
		})
		t.Run("still healthy", func(t *testing.T) {
			c.Message(t, "ok1", "你好")
			if f := c.WaitType(t, wait, "ack"); f.ClientID != "ok1" {
				t.Fatalf("got %s", f.Raw)
			}
			ms, _ := s.Store.Messages(context.Background(), sess.ConversationID, 0, 10)
			if len(ms) == 0 || ms[0].Text != "你好" {
				t.Fatalf("bad frames were stored: %+v", ms)
			}
		})
		t.Run("flood", func(t *testing.T) {
			limited := false
			for i := range 30 {
				c.Message(t, fmt.Sprint("f", i), fmt.Sprint("消息", i))
			}
			deadline := time.After(wait)
			for !limited {
				select {
				case <-deadline:
					t.Fatal("30 messages at once were never rate limited")
				default:
				}
				f := c.Next(t, wait)
				if f.Type == "error" && f.Code == "rate_limited" {
					limited = true
				}
			}
		})
		t.Run("one megabyte frame closes with 1009", func(t *testing.T) {
			d := s.DialStudent(t, sess.Token)
			d.Conn.WriteMessage(websocket.TextMessage, []byte(`{"type":"message","client_id":"big","text":"`+strings.Repeat("a", 1<<20)+`"}`))
			select {
			case <-d.Closed():
			case <-time.After(wait):
				t.Fatal("socket not closed")
			}
			if !websocket.IsCloseError(d.CloseErr, websocket.CloseMessageTooBig) {
				t.Fatalf("got %v, want close 1009", d.CloseErr)
			}
		})
		t.Run("keeps misbehaving", func(t *testing.T) {
			d := s.DialStudent(t, sess.Token)
			for range 15 {
				d.Conn.WriteMessage(websocket.TextMessage, []byte(`nope`))
			}
			select {
			case <-d.Closed():
			case <-time.After(wait):
				t.Fatal("a socket sending only garbage was not closed")
			}
			if !websocket.IsCloseError(d.CloseErr, websocket.ClosePolicyViolation) {
				t.Fatalf("got %v, want close 1008", d.CloseErr)
			}
		})
		t.Run("forged token", func(t *testing.T) {
			_, resp, err := s.Dial(t, "/ws/student?token=forged", nil)
			if err == nil || resp == nil || resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("got %v %v, want 401", err, resp)
			}
		})
		t.Run("foreign origin", func(t *testing.T) {
			_, resp, err := s.Dial(t, "/ws/student?token="+sess.Token, http.Header{"Origin": {"https://evil.example"}})
			if err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
				t.Fatalf("got %v %v, want 403", err, resp)
			}
		})
		t.Run("expired token", func(t *testing.T) {
			clk.Add(13 * time.Hour)
			_, resp, err := s.Dial(t, "/ws/student?token="+sess.Token, nil)
			if err == nil || resp == nil || resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("got %v %v, want 401", err, resp)
			}
		})
		t.Run("bad session requests", func(t *testing.T) {
			for _, body := range []string{`{"lang":"fr"}`, `{"band":"college"}`, `{"lang":`, `{"unknown":1}`} {
				resp, err := http.Post(s.URL+"/api/student/sessions", "application/json", strings.NewReader(body))
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusBadRequest {
					t.Fatalf("%s: got %d, want 400", body, resp.StatusCode)
				}
			}
		})
	})
}

func TestCrisisWhenStoreIsDown(t *testing.T) {
	each(t, func(t *testing.T, s *apptest.Server, _ *apptest.Clock) {
		sess := s.NewSession(t, "")
		c := s.DialStudent(t, sess.Token)
		c.Message(t, "w", "你好")
		c.WaitType(t, wait, "ack")
		s.Store.Close() // the database goes away under a live socket
		c.Message(t, "d1", "我不想活了，今晚就从楼顶跳下去")
		var gotCrisis, gotNotStored bool
		for !(gotCrisis && gotNotStored) {
			f := c.Next(t, wait)
			switch {
			case f.Type == "crisis":
				gotCrisis = len(f.Hotlines) > 0
			case f.Type == "error" && f.Code == "not_stored" && f.ClientID == "d1":
				gotNotStored = true
			case f.Type == "ack" && f.ClientID == "d1":
				t.Fatal("acknowledged a message the store could not keep")
			}
		}
	})
}

// TestNoCrisisCardForMediumWhenStoreIsDown: a medium message the store
// could not keep gets not_stored and no crisis card (the card is for high
// and above, stored or not).
func TestNoCrisisCardForMediumWhenStoreIsDown(t *testing.T) {
	each(t, func(t *testing.T, s *apptest.Server, _ *apptest.Clock) {
		sess := s.NewSession(t, "")
		c := s.DialStudent(t, sess.Token)
		c.Message(t, "w", "你好")
		c.WaitType(t, wait, "ack")
		s.Store.Close()
		c.Message(t, "m1", "有时候觉得活着没什么意思，不想活了") // medium (TestMediumIdeationOpensAReview)
		c.Message(t, "e1", " ")                 // an invalid frame: its error comes after anything m1 sent
		_, seen := c.Wait(t, wait, func(f apptest.Frame) bool { return f.Type == "error" && f.ClientID == "e1" })
		notStored := false
		for _, f := range seen {
			switch {
			case f.Type == "crisis":
				t.Fatalf("a medium message showed a crisis card: %s", describe(seen))
			case f.Type == "error" && f.Code == "not_stored" && f.ClientID == "m1":
				notStored = true
			}
		}
		if !notStored {
			t.Fatalf("got %s, want not_stored for m1", describe(seen))
		}
	})
}

func describe(fs []apptest.Frame) string {
	var b strings.Builder
	for _, f := range fs {
		b.Write(f.Raw)
		b.WriteByte(' ')
	}
	return b.String()
}
