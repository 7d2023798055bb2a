package handoff_test

import (
	"strings"
	"testing"
	"time"

	"xinqiao/internal/apptest"
	"xinqiao/internal/storetest"
	"xinqiao/internal/xinqiao"

	"github.com/chromedp/chromedp"
)

// TestCounselorConsole drives the real console in headless Chromium: log
// in, see a risky conversation arrive in the queue, open it with the
// flagged message highlighted and the brief, claim it, reply, see the
// student's answer live, and close it with an outcome.
func TestCounselorConsole(t *testing.T) {
	p := apptest.Browser(t)
	clk := apptest.NewClock(time.Now())
	s := boot(t, func(tb testing.TB) xinqiao.Store { return storetest.MustOpenSQLite(tb) }, clk)
	s.AddStaff(t, "wang", xinqiao.RoleCounselor, "王老师")

	p.Login(t, s.URL+"/counselor", "wang", "#console")
	p.Do(t, chromedp.WaitVisible(chromedp.CSS("#conn.ok")),
		chromedp.Click(chromedp.CSS("#duty")),
	)

	sess := s.NewSession(t, `{"lang":"zh"}`)
	student := s.DialStudent(t, sess.Token)
	student.Message(t, "r1", risky)
	student.WaitType(t, wait, "crisis")

	p.WaitCount(t, "#waiting li.imminent", 1)
	if item := p.Text(t, "#waiting li"); !strings.Contains(item, "未登记终端") || !strings.Contains(item, "紧急") {
		t.Fatalf("queue item %q lacks the level and the terminal", item)
	}
	p.Do(t, chromedp.Click(chromedp.CSS("#waiting li")))
	p.WaitCount(t, ".msg.flagged mark", 1)
	if brief := p.Text(t, "#brief"); !strings.Contains(brief, "紧急") {
		t.Fatalf("brief %q lacks the level", brief)
	}
	p.Do(t, chromedp.Click(chromedp.CSS("#b-claim")), chromedp.WaitEnabled(chromedp.CSS("#text")))
	joined, _ := student.Wait(t, wait, func(f apptest.Frame) bool { return f.Type == "handoff" && f.State == "joined" })
	if joined.Counselor != "王老师" {
		t.Fatalf("got %s, want joined by 王老师", joined.Raw)
	}

	p.Do(t, chromedp.SetValue(chromedp.CSS("#text"), "我是王老师，我在这里。"), chromedp.Click(chromedp.CSS("#b-send")))
	reply, _ := student.Wait(t, wait, func(f apptest.Frame) bool { return f.Type == "message" && f.Role == xinqiao.RoleCounselor })
	if reply.Text != "我是王老师，我在这里。" {
		t.Fatalf("got %s", reply.Raw)
	}
	p.WaitCount(t, ".msg.counselor", 1)
	student.Message(t, "r2", "谢谢老师，我现在在教室")
	p.WaitCount(t, ".msg.student", 2)

	p.Do(t, chromedp.SetValue(chromedp.CSS("#note"), "学生在教室，情绪有所缓和"), chromedp.Click(chromedp.CSS("#note-form button")))
	p.WaitCount(t, "#notes li", 1)

	p.Do(t, chromedp.SetValue(chromedp.CSS("#outcome"), "resolved"), chromedp.Click(chromedp.CSS("#close-form button")))
	student.Wait(t, wait, func(f apptest.Frame) bool { return f.Type == "handoff" && f.State == "ended" })
	p.Do(t, chromedp.WaitVisible(chromedp.CSS("#close-form button:disabled")))
	if state := p.Text(t, "#c-state"); !strings.Contains(state, "closed") {
		t.Fatalf("header %q, want closed", state)
	}
}
