package chat_test

import (
	"strings"
	"testing"
	"time"

	"xinqiao/internal/apptest"
	"xinqiao/internal/xinqiao"
)

// openReview has a student say something medium and returns the session,
// the student's socket and the review, after the assistant's safety question.
func openReview(t *testing.T, s *apptest.Server, wang *apptest.Staff, text string) (apptest.Session, *apptest.Client, xinqiao.Handoff) {
	t.Helper()
	sess := s.NewSession(t, `{"lang":"zh"}`)
	c := s.DialStudent(t, sess.Token)
	c.Message(t, "m1", text)
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

// TestCounselorWritesInAReview: a counselor reading a review can write to
// the student. The first message joins: the student sees who joined, the AI
// steps back while they talk, and closing gives the conversation back to
// the AI with the usual line.
func TestCounselorWritesInAReview(t *testing.T) {
	each(t, func(t *testing.T, s *apptest.Server, clk *apptest.Clock) {
		clk.Set(mondayMorning)
		s.AddStaff(t, "wang", xinqiao.RoleCounselor, "王老师")
		wang := s.Login(t, "wang")
		_, c, h := openReview(t, s, wang, "有时候觉得活着没什么意思，不想活了")
		if code := wang.Do(t, "POST", "/api/handoffs/"+h.ID+"/claim", nil, nil); code != 200 {
			t.Fatalf("claim: got %d", code)
		}
		var bad struct {
			Error struct{ Code, Message string } `json:"error"`
		}
		if code := wang.Do(t, "POST", "/api/handoffs/"+h.ID+"/messages", map[string]string{"text": "你好，我是王老师，看到你说的话了", "client_id": "w1"}, &bad); code != 201 {
			t.Fatalf("writing in a claimed review: got %d %+v, want 201", code, bad)
		}
		reply, skipped := c.Wait(t, wait, func(f apptest.Frame) bool { return f.Type == "message" && f.Role == xinqiao.RoleCounselor })
		if reply.Text != "你好，我是王老师，看到你说的话了" || systemLines(skipped, "王老师加入了对话") != 1 {
			t.Fatalf("student got %s then %s; want the join line, then the message", describe(skipped), reply.Raw)
		}
		joined := false
		for _, f := range append(skipped, drain(c, 300*time.Millisecond)...) {
			joined = joined || (f.Type == "handoff" && f.State == "joined" && f.Counselor == "王老师")
		}
		if !joined {
			t.Fatalf("the student was not told 王老师 joined: %s", describe(skipped))
		}
		// While they talk the AI is quiet.
		c.Message(t, "m2", "嗯，谢谢老师")
		c.WaitType(t, wait, "ack")
		for _, f := range drain(c, 700*time.Millisecond) {
			if isAssistant(f) {
				t.Fatalf("the AI answered while the counselor talks: %s", f.Raw)
			}
		}
		if code := wang.Do(t, "POST", "/api/handoffs/"+h.ID+"/close", map[string]string{"outcome": "resolved"}, &bad); code != 200 {
			t.Fatalf("close: got %d %+v", code, bad)
		}
		_, skipped = c.Wait(t, wait, func(f apptest.Frame) bool { return f.Type == "handoff" && f.State == "ended" })
		if systemLines(append(skipped, drain(c, 300*time.Millisecond)...), "老师离开了对话") != 1 {
			t.Fatalf("after close: got %s, want the line that the teacher left", describe(skipped))
		}
		// Then the AI answers again.
		c.Message(t, "m3", "明天要考试，有点紧张")
		c.Wait(t, wait, isAssistant)
	})
}

// TestRaisedReviewNobodyJoined: a review a counselor only reads, raised to
// urgent by the student's next message, tells the student a teacher is
// being called, never that one joined; the handoff goes back to the queue.
func TestRaisedReviewNobodyJoined(t *testing.T) {
	each(t, func(t *testing.T, s *apptest.Server, clk *apptest.Clock) {
		clk.Set(mondayMorning)
		s.AddStaff(t, "wang", xinqiao.RoleCounselor, "王老师")
		wang := s.Login(t, "wang")
		sess, c, h := openReview(t, s, wang, "有时候觉得活着没什么意思，不想活了")
		if code := wang.Do(t, "POST", "/api/handoffs/"+h.ID+"/claim", nil, nil); code != 200 {
			t.Fatalf("claim: got %d", code)
		}
		drain(c, 300*time.Millisecond)
		c.Message(t, "m2", "我今晚就从楼顶跳下去")
		told, skipped := c.Wait(t, wait, func(f apptest.Frame) bool { return f.Type == "handoff" })
		skipped = append(append(skipped, told), drain(c, 700*time.Millisecond)...)
		for _, f := range skipped {
			if f.Type == "handoff" && f.State == "joined" {
				t.Fatalf("nobody joined, but the student was told %s", f.Raw)
			}
			if f.Type == "message" && f.Role == "system" && strings.Contains(f.Text, "加入了对话") {
				t.Fatalf("nobody joined, but the transcript says %s", f.Raw)
			}
		}
		if told.State != "waiting" || told.Kind != xinqiao.KindUrgent {
			t.Fatalf("student told %s, want an urgent handoff waiting", told.Raw)
		}
		var got struct{ Handoff xinqiao.Handoff }
		wang.Do(t, "GET", "/api/handoffs/"+h.ID, nil, &got)
		if got.Handoff.State != xinqiao.HandoffWaiting || got.Handoff.Kind != xinqiao.KindUrgent || got.Handoff.ConversationID != sess.ConversationID {
			t.Fatalf("handoff %+v: want the raised review waiting in the queue as urgent", got.Handoff)
		}
	})
}

// TestRaisedReviewTellsTheStudentWhoComes: when a review a counselor only
// reads is raised to urgent, the student gets the same honest sentence as
// for any new urgent handoff (with on_duty, stored as a system line): here
// nobody is on duty, so the page must not say a teacher has been asked to
// join and to wait.
func TestRaisedReviewTellsTheStudentWhoComes(t *testing.T) {
	each(t, func(t *testing.T, s *apptest.Server, clk *apptest.Clock) {
		clk.Set(mondayMorning)
		s.AddStaff(t, "wang", xinqiao.RoleCounselor, "王老师")
		wang := s.Login(t, "wang") // no console open and no duty switch: nobody is on duty
		_, c, h := openReview(t, s, wang, "有时候觉得活着没什么意思，不想活了")
		if code := wang.Do(t, "POST", "/api/handoffs/"+h.ID+"/claim", nil, nil); code != 200 {
			t.Fatalf("claim: got %d", code)
		}
		drain(c, 300*time.Millisecond)
		c.Message(t, "m2", "我今晚就从楼顶跳下去")
		told, skipped := c.Wait(t, wait, func(f apptest.Frame) bool { return f.Type == "handoff" && f.OnDuty != nil })
		if told.State != "waiting" || told.Kind != xinqiao.KindUrgent || *told.OnDuty || !strings.Contains(told.Text, "没有值班") {
			t.Fatalf("student told %s, want the urgent handoff waiting with nobody on duty, said plainly", told.Raw)
		}
		for _, f := range skipped {
			if f.Type == "handoff" && f.OnDuty == nil {
				t.Fatalf("before the sentence the page was sent %s, which it shows as a teacher coming", f.Raw)
			}
		}
		if n := systemLines(append(skipped, drain(c, 500*time.Millisecond)...), "没有值班"); n != 1 {
			t.Fatalf("got %d system lines saying nobody is on duty, want 1", n)
		}
	})
}
