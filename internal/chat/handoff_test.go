package chat_test

import (
	"strings"
	"testing"
	"time"

	"xinqiao/internal/apptest"
	"xinqiao/internal/xinqiao"
)

// TestCounselorTakesOver follows the student's side of a handoff: the
// counselor joins, types, writes; the student sees each, types back, and
// no AI message arrives meanwhile.
func TestCounselorTakesOver(t *testing.T) {
	each(t, func(t *testing.T, s *apptest.Server, _ *apptest.Clock) {
		s.AddStaff(t, "wang", xinqiao.RoleCounselor, "王老师")
		wang := s.Login(t, "wang")
		if code := wang.Do(t, "POST", "/api/staff/duty", map[string]bool{"on": true}, nil); code != 200 {
			t.Fatalf("duty: got %d", code)
		}
		console := wang.DialStaff(t)
		sess := s.NewSession(t, "")
		c := s.DialStudent(t, sess.Token)
		c.Message(t, "x1", "我不想活了，今晚就从楼顶跳下去")
		c.WaitType(t, wait, "crisis")
		if f, _ := c.Wait(t, wait, func(f apptest.Frame) bool { return f.Type == "handoff" && f.OnDuty != nil }); !*f.OnDuty {
			t.Fatalf("got %s, want a teacher on duty", f.Raw)
		}
		var queue struct {
			Handoffs []xinqiao.Handoff `json:"handoffs"`
		}
		if code := wang.Do(t, "GET", "/api/handoffs?status=waiting", nil, &queue); code != 200 || len(queue.Handoffs) != 1 {
			t.Fatalf("queue: got %d %+v", code, queue)
		}
		id := queue.Handoffs[0].ID
		if code := wang.Do(t, "POST", "/api/handoffs/"+id+"/claim", nil, nil); code != 200 {
			t.Fatalf("claim: got %d", code)
		}
		if f, _ := c.Wait(t, wait, func(f apptest.Frame) bool { return f.Type == "handoff" && f.State == "joined" }); f.Counselor != "王老师" {
			t.Fatalf("got %s, want 王老师 joined", f.Raw)
		}
		if code := wang.Do(t, "POST", "/api/handoffs/"+id+"/typing", nil, nil); code != 200 && code != 204 {
			t.Fatalf("typing: got %d", code)
		}
		if f := c.WaitType(t, wait, "typing"); f.Role != "counselor" {
			t.Fatalf("got %s", f.Raw)
		}
		if code := wang.Do(t, "POST", "/api/handoffs/"+id+"/messages", map[string]string{"text": "我是王老师，我在这里陪你。"}, nil); code != 200 && code != 201 {
			t.Fatalf("relay: got %d", code)
		}
		m, skipped := c.Wait(t, wait, func(f apptest.Frame) bool { return f.Type == "message" && f.Role == "counselor" })
		if m.AIGenerated || m.Text != "我是王老师，我在这里陪你。" {
			t.Fatalf("got %s", m.Raw)
		}
		for _, f := range skipped {
			if isAssistant(f) {
				t.Fatalf("an AI message reached the student during the handoff: %s", f.Raw)
			}
		}
		console.Send(t, map[string]string{"type": "watch", "conversation_id": sess.ConversationID})
		// The watch's catch-up sends the stored messages once the console watches.
		console.Wait(t, wait, func(f apptest.Frame) bool {
			return f.Type == "message" && strings.Contains(string(f.Raw), sess.ConversationID)
		})
		c.Send(t, map[string]string{"type": "typing"})
		console.Wait(t, wait, func(f apptest.Frame) bool { return f.Type == "typing" && f.Role == "student" })
		c.Message(t, "x2", "老师我好害怕")
		c.WaitType(t, wait, "ack")
		c.Quiet(t, time.Second, isAssistant)
	})
}
