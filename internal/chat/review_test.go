package chat_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"xinqiao/internal/app"
	"xinqiao/internal/apptest"
	"xinqiao/internal/handoff"
	"xinqiao/internal/storetest"
	"xinqiao/internal/xinqiao"
)

// Fixed moments in Guangzhou time (UTC+8): Monday 7 December 2026 in duty
// hours, in the evening while the 12356 line is still open, and at night
// with every helpline closed.
var (
	mondayMorning = time.Date(2026, 12, 7, 2, 0, 0, 0, time.UTC)  // 10:00 CST
	mondayEvening = time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC) // 20:00 CST
	mondayNight   = time.Date(2026, 12, 7, 15, 0, 0, 0, time.UTC) // 23:00 CST
)

// reviewWait bounds how long a review may take to reach the console: well
// under turnSweep (10 s), so a review opened only by the next sweep, not
// at once on the message, fails; with room for a loaded CI machine.
const reviewWait = 4 * time.Second

type queue struct {
	Handoffs []xinqiao.Handoff `json:"handoffs"`
}

func (q queue) kinds() string {
	var out []string
	for _, h := range q.Handoffs {
		out = append(out, h.Kind+"/"+h.Level+"/"+h.State)
	}
	return strings.Join(out, ",")
}

// consoleHandoff waits for the staff socket to announce a handoff of a kind
// for a conversation.
func consoleHandoff(t *testing.T, console *apptest.Client, timeout time.Duration, convID, kind string) xinqiao.Handoff {
	t.Helper()
	var got xinqiao.Handoff
	console.Wait(t, timeout, func(f apptest.Frame) bool {
		if f.Type != "handoff" {
			return false
		}
		var body struct {
			Handoff xinqiao.Handoff `json:"handoff"`
		}
		_ = json.Unmarshal(f.Raw, &body)
		got = body.Handoff
		return got.Kind == kind && got.ConversationID == convID
	})
	return got
}

// claimTheWaiting waits for the student's page to show a waiting handoff,
// has wang claim it (the only one waiting) and waits for the page to show
// wang joined; it returns the handoff's id.
func claimTheWaiting(t *testing.T, wang *apptest.Staff, c *apptest.Client) string {
	t.Helper()
	c.Wait(t, wait, func(f apptest.Frame) bool { return f.Type == "handoff" && f.State == "waiting" })
	var q queue
	if code := wang.Do(t, "GET", "/api/handoffs?status=waiting", nil, &q); code != 200 || len(q.Handoffs) != 1 {
		t.Fatalf("queue: got %d %s", code, q.kinds())
	}
	id := q.Handoffs[0].ID
	if code := wang.Do(t, "POST", "/api/handoffs/"+id+"/claim", nil, nil); code != 200 {
		t.Fatalf("claim: got %d", code)
	}
	c.Wait(t, wait, func(f apptest.Frame) bool { return f.Type == "handoff" && f.State == "joined" })
	return id
}

func systemLines(fs []apptest.Frame, substr string) int {
	n := 0
	for _, f := range fs {
		if f.Type == "message" && f.Role == "system" && strings.Contains(f.Text, substr) {
			n++
		}
	}
	return n
}

// TestMediumIdeationOpensAReview: medium ideation in Mandarin, Cantonese and
// English reaches the counselor's console as a review at once, without a
// crisis card for the student; the assistant answers, the student is told
// once that the psychology teacher will read the conversation, and the
// standard safety question is asked once. The second message is an
// ordinary reply: a thank-you after ideation ("谢谢你听我说这些"), read with
// the message before it, is one the learned model grades high (a possible
// goodbye), which this test is not about.
func TestMediumIdeationOpensAReview(t *testing.T) {
	each(t, func(t *testing.T, s *apptest.Server, clk *apptest.Clock) {
		clk.Set(mondayMorning)
		s.AddStaff(t, "wang", xinqiao.RoleCounselor, "王老师")
		wang := s.Login(t, "wang")
		console := wang.DialStaff(t)
		console.WaitType(t, wait, "queue")
		for _, tc := range []struct{ lang, text, notice, question, thanks string }{
			{"zh", "有时候觉得活着没什么意思，不想活了", "心理老师会看到这段对话", "你现在就有伤害自己或者结束生命的想法吗？", "好吧，我再想想"},
			{"zh", "我真係唔想再活落去", "心理老师会看到这段对话", "你现在就有伤害自己或者结束生命的想法吗？", "好啦，我再諗吓"},
			{"en", "I wish I wasn't alive, I really can't hold on", "psychology teacher will read this conversation", "Are you thinking about hurting yourself right now?", "ok, I'll think about it"},
		} {
			sess := s.NewSession(t, `{"lang":"`+tc.lang+`"}`)
			c := s.DialStudent(t, sess.Token)
			c.Message(t, "m1", tc.text)
			ack := c.WaitType(t, wait, "ack")
			if ms, err := s.Store.Messages(context.Background(), sess.ConversationID, ack.Seq-1, 1); err != nil || len(ms) != 1 || ms[0].Risk == nil || ms[0].Risk.Level != xinqiao.LevelMedium {
				t.Fatalf("precondition: %q is no longer graded medium (%+v, %v); pick another medium example", tc.text, ms, err)
			}
			if h := consoleHandoff(t, console, reviewWait, sess.ConversationID, xinqiao.KindReview); h.ConversationID != sess.ConversationID || h.Level != xinqiao.LevelMedium || h.State != xinqiao.HandoffWaiting {
				t.Fatalf("%q: console got %+v, want a waiting medium review of this conversation", tc.text, h)
			}
			q, skipped := c.Wait(t, wait, func(f apptest.Frame) bool { return isAssistant(f) && strings.Contains(f.Text, tc.question) })
			if systemLines(skipped, tc.notice) != 1 {
				t.Fatalf("%q: got %s, want one notice that the teacher reads the conversation", tc.text, describe(skipped))
			}
			answered := false
			for _, f := range skipped {
				if f.Type == "crisis" || f.Type == "handoff" {
					t.Fatalf("%q: the student was interrupted by %s", tc.text, f.Raw)
				}
				answered = answered || (isAssistant(f) && f.Seq < q.Seq)
			}
			if !answered {
				t.Fatalf("%q: no answer before the safety question %s; got %s", tc.text, q.Raw, describe(skipped))
			}
			// A second message while the conversation is medium: the same
			// review, told and asked once.
			c.Message(t, "m2", tc.thanks)
			c.WaitType(t, wait, "ack")
			_, more := c.Wait(t, wait, isAssistant)
			more = append(more, drain(c, 500*time.Millisecond)...)
			for _, f := range more {
				if (f.Type == "message" && f.Role == "system") || strings.Contains(f.Text, tc.question) || f.Type == "crisis" {
					t.Fatalf("%q: second message repeated %s", tc.text, f.Raw)
				}
			}
		}
		var got queue
		if code := wang.Do(t, "GET", "/api/handoffs?kind=review", nil, &got); code != 200 || len(got.Handoffs) != 3 {
			t.Fatalf("review queue: got %d %s, want three reviews", code, got.kinds())
		}
	})
}

// drain returns the frames that arrive within d.
func drain(c *apptest.Client, d time.Duration) []apptest.Frame {
	var out []apptest.Frame
	for {
		f, ok := c.TryNext(d)
		if !ok {
			return out
		}
		out = append(out, f)
	}
}

// TestSafetyAnswerYesRaisesTheReview: a yes to the safety question is read
// by the dialogue reading as high: the crisis card shows, and the open
// review becomes the urgent handoff (the same one, not a second).
func TestSafetyAnswerYesRaisesTheReview(t *testing.T) {
	each(t, func(t *testing.T, s *apptest.Server, clk *apptest.Clock) {
		clk.Set(mondayMorning)
		s.AddStaff(t, "wang", xinqiao.RoleCounselor, "王老师")
		wang := s.Login(t, "wang")
		console := wang.DialStaff(t)
		for _, yes := range []string{"有", "yes"} {
			sess := s.NewSession(t, `{"lang":"zh"}`)
			c := s.DialStudent(t, sess.Token)
			c.Message(t, "m1", "有时候觉得活着没什么意思，不想活了")
			review := consoleHandoff(t, console, wait, sess.ConversationID, xinqiao.KindReview)
			c.Wait(t, wait, func(f apptest.Frame) bool { return isAssistant(f) && strings.Contains(f.Text, "你现在就有") })
			c.Message(t, "m2", yes)
			if f := c.WaitType(t, wait, "crisis"); f.Level != xinqiao.LevelHigh {
				t.Fatalf("%q: got %s, want a high crisis card", yes, f.Raw)
			}
			if f := c.WaitType(t, wait, "handoff"); f.State != "waiting" || f.Kind != xinqiao.KindUrgent || f.OnDuty == nil || !*f.OnDuty {
				t.Fatalf("%q: got %s, want an urgent waiting handoff with a teacher on duty", yes, f.Raw)
			}
			urgent := consoleHandoff(t, console, wait, sess.ConversationID, xinqiao.KindUrgent)
			if urgent.ID != review.ID || urgent.Level != xinqiao.LevelHigh {
				t.Fatalf("%q: got %+v, want review %s raised to urgent high", yes, urgent, review.ID)
			}
			var got queue
			if wang.Do(t, "GET", "/api/handoffs?status=waiting,active", nil, &got); !strings.Contains(got.kinds(), "urgent/high/waiting") {
				t.Fatalf("%q: queue %s", yes, got.kinds())
			}
			var mine int
			for _, h := range got.Handoffs {
				if h.ConversationID == sess.ConversationID {
					mine++
				}
			}
			if mine != 1 {
				t.Fatalf("%q: got %d open handoffs for the conversation, want 1", yes, mine)
			}
		}
	})
}

// TestReviewOutcomes: a counselor claims a review (the student is not told:
// a review is read, not joined); 看过，无需跟进 needs a reason and lowers the
// level; 转为个案跟进 files a follow-up for the next school day. The API
// refuses an unknown kind.
func TestReviewOutcomes(t *testing.T) {
	each(t, func(t *testing.T, s *apptest.Server, clk *apptest.Clock) {
		ctx := context.Background()
		clk.Set(mondayMorning)
		s.AddStaff(t, "wang", xinqiao.RoleCounselor, "王老师")
		wang := s.Login(t, "wang")
		var bad struct {
			Error struct{ Code string } `json:"error"`
		}
		if code := wang.Do(t, "GET", "/api/handoffs?kind=bogus", nil, &bad); code != 400 || bad.Error.Code != xinqiao.EINVALID {
			t.Fatalf("unknown kind: got %d %+v, want 400 invalid", code, bad)
		}
		open := func() (apptest.Session, *apptest.Client, xinqiao.Handoff) {
			sess := s.NewSession(t, `{"lang":"zh"}`)
			c := s.DialStudent(t, sess.Token)
			c.Message(t, "m1", "有时候觉得活着没什么意思，不想活了")
			c.Wait(t, wait, func(f apptest.Frame) bool { return isAssistant(f) && strings.Contains(f.Text, "你现在就有") })
			var got queue
			wang.Do(t, "GET", "/api/handoffs?kind=review&status=waiting", nil, &got)
			for _, h := range got.Handoffs {
				if h.ConversationID == sess.ConversationID {
					return sess, c, h
				}
			}
			t.Fatalf("no review for %s in %s", sess.ConversationID, got.kinds())
			return sess, c, xinqiao.Handoff{}
		}
		sess, c, h := open()
		if code := wang.Do(t, "POST", "/api/handoffs/"+h.ID+"/claim", nil, nil); code != 200 {
			t.Fatalf("claim: got %d", code)
		}
		if code := wang.Do(t, "POST", "/api/handoffs/"+h.ID+"/close", map[string]string{"outcome": "reviewed"}, &bad); code != 400 || bad.Error.Code != xinqiao.EINVALID {
			t.Fatalf("reviewed without a reason: got %d %+v, want 400 invalid", code, bad)
		}
		if code := wang.Do(t, "POST", "/api/handoffs/"+h.ID+"/close", map[string]string{"outcome": "reviewed", "note": "情绪低落但无计划，班主任已知情"}, nil); code != 200 {
			t.Fatalf("close reviewed: got %d", code)
		}
		for _, f := range drain(c, 500*time.Millisecond) {
			if f.Type == "handoff" || (f.Type == "message" && f.Role == "system") {
				t.Fatalf("claiming and closing a review told the student %s", f.Raw)
			}
		}
		conv, err := s.Store.Conversation(ctx, sess.ConversationID)
		if err != nil || conv.RiskLevel != xinqiao.LevelLow || conv.Mode != xinqiao.ModeAI {
			t.Fatalf("after 看过，无需跟进: got level %q mode %q, %v; want low, ai", conv.RiskLevel, conv.Mode, err)
		}

		_, _, h2 := open()
		wang.Do(t, "POST", "/api/handoffs/"+h2.ID+"/claim", nil, nil)
		if code := wang.Do(t, "POST", "/api/handoffs/"+h2.ID+"/close", map[string]string{"outcome": "follow_up", "note": "想约谈"}, nil); code != 200 {
			t.Fatalf("close follow_up: got %d", code)
		}
		fs, err := s.Store.FollowUps(ctx, h2.CaseID)
		if err != nil || len(fs) != 1 || !fs[0].Due.Equal(handoff.NextSchoolDay(mondayMorning)) || !strings.Contains(fs[0].Task, "想约谈") {
			t.Fatalf("got follow-ups %+v, %v; want one due the next school day", fs, err)
		}
		// Reports count reviews and their time to a first look (the claim).
		var rep struct {
			Handoffs struct {
				Kinds map[string]struct {
					Opened, Claimed int
					TimeToClaim     struct{ Count int } `json:"time_to_claim"`
				} `json:"kinds"`
			} `json:"handoffs"`
		}
		s.AddStaff(t, "li", xinqiao.RoleSupervisor, "李主任")
		if code := s.Login(t, "li").Do(t, "GET", "/api/reports", nil, &rep); code != 200 {
			t.Fatalf("reports: got %d", code)
		}
		if r := rep.Handoffs.Kinds[xinqiao.KindReview]; r.Opened != 2 || r.Claimed != 2 || r.TimeToClaim.Count != 2 {
			t.Fatalf("reports: got reviews %+v, want 2 opened, 2 looked at, 2 times to a look", r)
		}
		// An urgent handoff cannot be closed as a review.
		sess3 := s.NewSession(t, "")
		c3 := s.DialStudent(t, sess3.Token)
		c3.Message(t, "u1", "我不想活了，今晚就从楼顶跳下去")
		c3.WaitType(t, wait, "handoff")
		var got queue
		wang.Do(t, "GET", "/api/handoffs?kind=urgent", nil, &got)
		if len(got.Handoffs) != 1 {
			t.Fatalf("urgent queue: %s", got.kinds())
		}
		wang.Do(t, "POST", "/api/handoffs/"+got.Handoffs[0].ID+"/claim", nil, nil)
		if code := wang.Do(t, "POST", "/api/handoffs/"+got.Handoffs[0].ID+"/close", map[string]string{"outcome": "reviewed", "note": "x"}, &bad); code != 400 {
			t.Fatalf("reviewed on an urgent handoff: got %d, want 400", code)
		}
	})
}

// TestAskCounselor: in duty hours, with a counselor's console open (no duty
// switch), ask_counselor opens one requested handoff and the page is told a
// teacher will come; asking again re-sends the state and opens nothing; a
// flood is rate-limited. After hours, the page is told when a teacher will
// read it and only the lines open now are named.
func TestAskCounselor(t *testing.T) {
	each(t, func(t *testing.T, s *apptest.Server, clk *apptest.Clock) {
		clk.Set(mondayMorning)
		s.AddStaff(t, "wang", xinqiao.RoleCounselor, "王老师")
		wang := s.Login(t, "wang")
		console := wang.DialStaff(t)
		console.WaitType(t, wait, "queue")

		sess := s.NewSession(t, `{"lang":"zh"}`)
		c := s.DialStudent(t, sess.Token)
		c.Send(t, map[string]string{"type": "ask_counselor"})
		f := c.WaitType(t, wait, "handoff")
		if f.State != "waiting" || f.Kind != xinqiao.KindRequested || f.OnDuty == nil || !*f.OnDuty || !strings.Contains(f.Text, "老师会尽快") {
			t.Fatalf("in hours: got %s, want requested, a teacher on duty and coming", f.Raw)
		}
		h := consoleHandoff(t, console, wait, sess.ConversationID, xinqiao.KindRequested)
		c.Send(t, map[string]string{"type": "ask_counselor"})
		if again := c.WaitType(t, wait, "handoff"); again.Kind != xinqiao.KindRequested || again.State != "waiting" {
			t.Fatalf("asked again: got %s", again.Raw)
		}
		limited := false
		for i := 0; i < 10 && !limited; i++ {
			c.Send(t, map[string]string{"type": "ask_counselor"})
			g, _ := c.Wait(t, wait, func(f apptest.Frame) bool { return f.Type == "handoff" || f.Type == "error" })
			limited = g.Type == "error" && g.Code == xinqiao.ERATELIMITED
		}
		if !limited {
			t.Fatal("a flood of ask_counselor was never rate-limited")
		}
		var got queue
		wang.Do(t, "GET", "/api/handoffs", nil, &got)
		if len(got.Handoffs) != 1 || got.Handoffs[0].ID != h.ID {
			t.Fatalf("queue after repeated asks: %s, want one requested handoff", got.kinds())
		}
		// A page that reconnects sees its request again.
		again := s.DialStudent(t, sess.Token)
		if f := again.WaitType(t, wait, "handoff"); f.State != "waiting" || f.Kind != xinqiao.KindRequested {
			t.Fatalf("reconnected: got %s, want the waiting request", f.Raw)
		}
		again.Conn.Close()
		// The AI keeps answering until a counselor claims; then the chat is theirs.
		c.Message(t, "m1", "明天考试，我紧张得睡不着怎么办")
		c.Wait(t, wait, isAssistant)
		if code := wang.Do(t, "POST", "/api/handoffs/"+h.ID+"/claim", nil, nil); code != 200 {
			t.Fatalf("claim: got %d", code)
		}
		if j, _ := c.Wait(t, wait, func(f apptest.Frame) bool { return f.Type == "handoff" && f.State == "joined" }); j.Counselor != "王老师" || j.Kind != xinqiao.KindRequested {
			t.Fatalf("got %s, want 王老师 joined", j.Raw)
		}
		c.Send(t, map[string]string{"type": "ask_counselor"})
		time.Sleep(time.Second) // past the rate limit's refill of one
		c.Send(t, map[string]string{"type": "ask_counselor"})
		c.Message(t, "m2", "谢谢老师")
		c.WaitType(t, wait, "ack")
		c.Quiet(t, time.Second, isAssistant)

		// After hours, with the console still open: nobody is on duty.
		for _, tc := range []struct {
			at        time.Time
			lang      string
			want, not []string
		}{
			{mondayEvening, "zh", []string{"值班时间", "12356", "110", "120"}, []string{"12355", "86812121", "上面的热线"}},
			{mondayNight, "zh", []string{"值班时间", "110", "120"}, []string{"12356", "12355", "86812121", "上面的热线"}},
			{mondayNight, "en", []string{"duty hours", "110", "120"}, []string{"12356", "12355", "86812121", "hotlines above"}},
		} {
			clk.Set(tc.at)
			night := s.NewSession(t, `{"lang":"`+tc.lang+`"}`)
			n := s.DialStudent(t, night.Token)
			n.Send(t, map[string]string{"type": "ask_counselor"})
			f := n.WaitType(t, wait, "handoff")
			if f.Kind != xinqiao.KindRequested || f.OnDuty == nil || *f.OnDuty {
				t.Fatalf("%v: got %s, want requested with nobody on duty", tc.at, f.Raw)
			}
			for _, w := range tc.want {
				if !strings.Contains(f.Text, w) {
					t.Errorf("%v %s: %q lacks %q", tc.at, tc.lang, f.Text, w)
				}
			}
			for _, w := range tc.not {
				if strings.Contains(f.Text, w) {
					t.Errorf("%v %s: %q names %q, which is closed now", tc.at, tc.lang, f.Text, w)
				}
			}
		}
	})
}

// TestNoticeOncePerChange: while a counselor is in the chat, a student's
// further risky messages add no "a teacher has been told" notice and no
// waiting frame; at night the notice never sends the student to a closed
// line.
func TestNoticeOncePerChange(t *testing.T) {
	each(t, func(t *testing.T, s *apptest.Server, clk *apptest.Clock) {
		clk.Set(mondayNight)
		s.AddStaff(t, "wang", xinqiao.RoleCounselor, "王老师")
		wang := s.Login(t, "wang")
		sess := s.NewSession(t, `{"lang":"zh"}`)
		c := s.DialStudent(t, sess.Token)
		c.Message(t, "x1", "我不想活了，今晚就从楼顶跳下去")
		notice, _ := c.Wait(t, wait, func(f apptest.Frame) bool { return f.Type == "message" && f.Role == "system" })
		for _, closed := range []string{"上面的热线", "12356", "12355", "86812121"} {
			if strings.Contains(notice.Text, closed) {
				t.Fatalf("at 23:00 the notice %q sends the student to %q", notice.Text, closed)
			}
		}
		if !strings.Contains(notice.Text, "110") || !strings.Contains(notice.Text, "120") {
			t.Fatalf("notice %q lacks 110 and 120", notice.Text)
		}
		c.Message(t, "x2", "我真的不想活了，今晚就去")
		c.WaitType(t, wait, "ack")
		for _, g := range drain(c, time.Second) {
			if (g.Type == "message" && g.Role == "system") || g.Type == "handoff" {
				t.Fatalf("a second risky message while waiting repeated %s", g.Raw)
			}
		}
		var got queue
		wang.Do(t, "GET", "/api/handoffs", nil, &got)
		if len(got.Handoffs) != 1 {
			t.Fatalf("queue: %s", got.kinds())
		}
		if code := wang.Do(t, "POST", "/api/handoffs/"+got.Handoffs[0].ID+"/claim", nil, nil); code != 200 {
			t.Fatalf("claim: got %d", code)
		}
		c.Wait(t, wait, func(f apptest.Frame) bool { return f.Type == "handoff" && f.State == "joined" })
		for i, text := range []string{"我好害怕，今晚就想跳下去", "老师我还是想死"} {
			c.Message(t, "y"+string(rune('0'+i)), text)
			c.WaitType(t, wait, "ack")
		}
		for _, g := range drain(c, time.Second) {
			if (g.Type == "message" && g.Role == "system" && g.Text == notice.Text) || (g.Type == "handoff" && g.State != "joined") {
				t.Fatalf("during the takeover the student got %s", g.Raw)
			}
		}
	})
}

// TestEndedConversation: after a counselor ends the conversation, the
// student's next message gets an "ended" error in the conversation's
// language, so the page can offer a new conversation.
func TestEndedConversation(t *testing.T) {
	each(t, func(t *testing.T, s *apptest.Server, clk *apptest.Clock) {
		s.AddStaff(t, "wang", xinqiao.RoleCounselor, "王老师")
		wang := s.Login(t, "wang")
		for _, tc := range []struct{ lang, want string }{{"zh", "开始新的对话"}, {"en", "Start a new conversation"}} {
			sess := s.NewSession(t, `{"lang":"`+tc.lang+`"}`)
			c := s.DialStudent(t, sess.Token)
			c.Message(t, "x1", "我不想活了，今晚就从楼顶跳下去")
			c.WaitType(t, wait, "handoff")
			var got queue
			wang.Do(t, "GET", "/api/handoffs?status=waiting", nil, &got)
			if len(got.Handoffs) != 1 {
				t.Fatalf("queue: %s", got.kinds())
			}
			id := got.Handoffs[0].ID
			wang.Do(t, "POST", "/api/handoffs/"+id+"/claim", nil, nil)
			if code := wang.Do(t, "POST", "/api/handoffs/"+id+"/close", map[string]string{"outcome": "referred", "note": "已联系家长", "mode": "ended"}, nil); code != 200 {
				t.Fatalf("close: got %d", code)
			}
			c.Wait(t, wait, func(f apptest.Frame) bool { return f.Type == "handoff" && f.State == "ended" })
			c.Message(t, "x2", "老师你还在吗")
			f := c.WaitType(t, wait, "error")
			if f.Code != "ended" || f.ClientID != "x2" || !strings.Contains(f.Message, tc.want) {
				t.Fatalf("%s: got %s, want code ended with %q", tc.lang, f.Raw, tc.want)
			}
			c.Send(t, map[string]string{"type": "ask_counselor"})
			if f := c.WaitType(t, wait, "error"); f.Code != "ended" {
				t.Fatalf("%s: ask_counselor after the end: got %s", tc.lang, f.Raw)
			}
		}
	})
}

// TestConsoleOpenIsOnDuty: within duty hours a counselor whose console is
// open counts as on duty without the switch, also when the console is on
// another node; after hours only the switch counts.
func TestConsoleOpenIsOnDuty(t *testing.T) {
	each(t, func(t *testing.T, s *apptest.Server, clk *apptest.Clock) {
		clk.Set(mondayMorning)
		s.AddStaff(t, "wang", xinqiao.RoleCounselor, "王老师")
		wang := s.Login(t, "wang")
		wang.DialStaff(t).WaitType(t, wait, "queue")
		sess := s.NewSession(t, "")
		c := s.DialStudent(t, sess.Token)
		c.Message(t, "x1", "我不想活了，今晚就从楼顶跳下去")
		if f := c.WaitType(t, wait, "handoff"); f.OnDuty == nil || !*f.OnDuty || strings.Contains(f.Text, "没有值班") {
			t.Fatalf("console open in duty hours: got %s, want a teacher on duty", f.Raw)
		}
		clk.Set(mondayNight)
		late := s.NewSession(t, "")
		l := s.DialStudent(t, late.Token)
		l.Message(t, "x1", "我不想活了，今晚就从楼顶跳下去")
		if f := l.WaitType(t, wait, "handoff"); f.OnDuty == nil || *f.OnDuty {
			t.Fatalf("console open at night without the switch: got %s, want nobody on duty", f.Raw)
		}
		if code := wang.Do(t, "POST", "/api/staff/duty", map[string]bool{"on": true}, nil); code != 200 {
			t.Fatalf("duty: got %d", code)
		}
		later := s.NewSession(t, "")
		l2 := s.DialStudent(t, later.Token)
		l2.Message(t, "x1", "我不想活了，今晚就从楼顶跳下去")
		if f := l2.WaitType(t, wait, "handoff"); f.OnDuty == nil || !*f.OnDuty {
			t.Fatalf("duty switched on at night: got %s, want a teacher on duty", f.Raw)
		}
	})
}

// TestConsoleOnAnotherNodeIsOnDuty runs two nodes on one PostgreSQL
// database: the counselor's console is on node a, the student on node b.
func TestConsoleOnAnotherNodeIsOnDuty(t *testing.T) {
	nodes := storetest.PostgresNodes(t, 2) // skips without TEST_DATABASE_URL; CI always sets it
	clk := apptest.NewClock(mondayMorning)
	a := apptest.Start(t, nodes[0], app.Options{Node: "a", Now: clk.Now})
	b := apptest.Start(t, nodes[1], app.Options{Node: "b", Now: clk.Now})
	a.AddStaff(t, "wang", xinqiao.RoleCounselor, "王老师")
	wang := a.Login(t, "wang")
	wang.DialStaff(t).WaitType(t, wait, "queue")
	sess := b.NewSession(t, "")
	c := b.DialStudent(t, sess.Token)
	c.Send(t, map[string]string{"type": "ask_counselor"})
	if f := c.WaitType(t, wait, "handoff"); f.OnDuty == nil || !*f.OnDuty {
		t.Fatalf("node b got %s, want the counselor on node a on duty", f.Raw)
	}
}
