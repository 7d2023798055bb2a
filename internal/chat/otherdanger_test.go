package chat_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"xinqiao/internal/apptest"
	"xinqiao/internal/xinqiao"
)

// TestSomeoneElseInDanger: a student telling of someone else in danger now
// (a sister who took pills and does not wake) gets, before the ack, the
// crisis card for someone else: its own words and the ambulance first, then
// the police; the console gets an urgent handoff for concern_for_other; a
// reconnecting page sees the same card. Worry about a friend in general
// shows no card, and a student's own crisis keeps the usual card.
func TestSomeoneElseInDanger(t *testing.T) {
	each(t, func(t *testing.T, s *apptest.Server, clk *apptest.Clock) {
		clk.Set(mondayMorning) // helplines open: they must still come after 120 and 110
		s.AddStaff(t, "wang", xinqiao.RoleCounselor, "王老师")
		wang := s.Login(t, "wang")
		if code := wang.Do(t, "POST", "/api/staff/duty", map[string]bool{"on": true}, nil); code != 200 {
			t.Fatalf("duty: got %d", code)
		}
		console := wang.DialStaff(t)
		console.WaitType(t, wait, "queue")

		for _, tc := range []struct{ lang, text, words string }{
			{"zh", "我妹妹吃了好多药，叫不醒", "急救电话"},
			{"en", "my friend just said she took all her pills and now she's not answering", "emergency number"},
		} {
			sess := s.NewSession(t, `{"lang":"`+tc.lang+`"}`)
			c := s.DialStudent(t, sess.Token)
			c.Message(t, "o1", tc.text)
			crisis, before := c.Wait(t, wait, func(f apptest.Frame) bool { return f.Type == "crisis" })
			if countType(before, "ack") > 0 {
				t.Fatalf("%q: got the ack before the crisis card: %s", tc.text, describe(before))
			}
			checkOtherCard(t, tc.text, crisis, tc.words)
			h := consoleHandoff(t, console, wait, sess.ConversationID, xinqiao.KindUrgent)
			if h.Level != xinqiao.LevelHigh || h.State != xinqiao.HandoffWaiting || !slices.Contains(h.Categories, "concern_for_other") {
				t.Fatalf("%q: console got %+v, want a waiting urgent handoff at high for concern_for_other", tc.text, h)
			}
			c.Quiet(t, time.Second, isAssistant)
			// The page of a student who reconnects shows the same card.
			d := s.DialStudent(t, sess.Token)
			checkOtherCard(t, tc.text+" (reconnected)", d.WaitType(t, wait, "crisis"), tc.words)
		}

		// Worry about a friend in general: no card, no urgent handoff.
		sess := s.NewSession(t, `{"lang":"zh"}`)
		c := s.DialStudent(t, sess.Token)
		c.Message(t, "w1", "我朋友最近好像很不开心，我担心她")
		c.WaitType(t, wait, "ack")
		c.Quiet(t, time.Second, func(f apptest.Frame) bool { return f.Type == "crisis" })

		// The student's own crisis keeps the usual card.
		sess = s.NewSession(t, `{"lang":"zh"}`)
		c = s.DialStudent(t, sess.Token)
		c.Message(t, "s1", "我不想活了，今晚就从楼顶跳下去")
		own := c.WaitType(t, wait, "crisis")
		if own.For != "" || strings.Contains(own.Text, "急救电话") {
			t.Fatalf("own crisis got the card for someone else: %s", own.Raw)
		}
	})
}

// checkOtherCard checks the card for someone else in danger: marked
// "for": "other", high, its words, and 120 then 110 before any helpline.
func checkOtherCard(t *testing.T, what string, f apptest.Frame, words string) {
	t.Helper()
	if f.For != "other" || f.Level != "high" || !strings.Contains(f.Text, words) {
		t.Fatalf("%s: got crisis %s, want the high card for someone else (%q)", what, f.Raw, words)
	}
	if len(f.Hotlines) < 3 || f.Hotlines[0].Number != "120" || f.Hotlines[1].Number != "110" {
		t.Fatalf("%s: got lines %s, want 120, then 110, then the helplines", what, f.Raw)
	}
}
