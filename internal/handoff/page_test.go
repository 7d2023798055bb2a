package handoff_test

import (
	"context"
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"xinqiao/internal/apptest"
	"xinqiao/internal/handoff"
	"xinqiao/internal/risk"
	"xinqiao/internal/storetest"
	"xinqiao/internal/xinqiao"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
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
	// The item says at a glance: level, kind, where, the flagged words.
	p.Do(t, chromedp.WaitVisible(chromedp.CSS("#waiting li .preview")))
	item := p.Text(t, "#waiting li")
	for _, want := range []string{"紧急 imminent", "立即处理 urgent", "未登记", "“" + risky + "”", "已等待"} {
		if !strings.Contains(item, want) {
			t.Errorf("queue item %q lacks %q", item, want)
		}
	}
	sess2 := s.NewSession(t, `{"lang":"zh"}`)
	other := s.DialStudent(t, sess2.Token)
	other.Message(t, "o1", "我想死")
	p.WaitCount(t, "#waiting li", 2)
	if got := p.Text(t, "#waiting li:nth-child(2)"); !strings.Contains(got, "待阅 review") || !strings.Contains(got, "“我想死”") {
		t.Errorf("second queue item %q: want the review kind and its words", got)
	}
	p.Do(t, chromedp.Click(chromedp.CSS("#waiting li.imminent .qitem")))
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

	// The queue's words are a read of the transcript, audited once per
	// console and message however often the item was sent again (claim,
	// a reply, close).
	evs, err := s.Store.AuditEvents(t.Context(), sess.ConversationID, 50)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, e := range evs {
		if e.Action == "conversation.preview" {
			seen[e.Detail]++
		}
	}
	for d, n := range seen {
		if n != 1 {
			t.Errorf("conversation.preview %q audited %d times, want once", d, n)
		}
	}
	if len(seen) == 0 || !strings.HasSuffix(slices.Sorted(maps.Keys(seen))[0], " message 1") {
		t.Errorf("conversation.preview audits %v: want the first for message 1, the flagged one", seen)
	}
}

// TestConsoleLabelsClockKeyboard checks what the console shows a counselor
// beyond the flow: codes as Chinese labels with the English beside them
// (categories, outcomes, referral kinds), rule ids replaced by a
// description with the id in the title, a wait clock that runs in an
// alert, and queue items opened from the keyboard.
func TestConsoleLabelsClockKeyboard(t *testing.T) {
	p := apptest.Browser(t)
	clk := apptest.NewClock(time.Now())
	s := boot(t, func(tb testing.TB) xinqiao.Store { return storetest.MustOpenSQLite(tb) }, clk)
	s.AddStaff(t, "wang", xinqiao.RoleCounselor, "王老师")
	p.Login(t, s.URL+"/counselor", "wang", "#console")
	p.Do(t, chromedp.WaitVisible(chromedp.CSS("#conn.ok")), chromedp.Click(chromedp.CSS("#duty")))

	sess := s.NewSession(t, `{"lang":"zh"}`)
	student := s.DialStudent(t, sess.Token)
	student.Message(t, "r1", risky)
	student.WaitType(t, wait, "crisis")
	p.WaitCount(t, "#waiting li.imminent", 1)
	if meta := p.Text(t, "#waiting li .meta"); !strings.Contains(meta, "自杀 suicide") {
		t.Errorf("queue item meta %q: want the category as 自杀 suicide", meta)
	}

	// An escalation alert's wait clock runs.
	clk.Add(61 * time.Second)
	if n, err := s.App.Handoffs.Tick(t.Context()); err != nil || n != 1 {
		t.Fatalf("tick: got %d, %v; want the first step fired", n, err)
	}
	p.Do(t, chromedp.WaitVisible(chromedp.CSS("#alertbar .since")))
	if got := p.Text(t, "#alertbar"); !strings.Contains(got, "“"+risky+"”") {
		t.Errorf("alert %q: want the flagged words, to tell it apart", got)
	}
	p.Axe(t, "counselor, escalation alert and an escalated item")
	p.Fits(t, "counselor, escalation alert and an escalated item")
	first := p.Text(t, "#alertbar .since")
	deadline := time.Now().Add(wait)
	for p.Text(t, "#alertbar .since") == first {
		if time.Now().After(deadline) {
			t.Fatalf("alert wait clock stuck at %q, want it to run", first)
		}
		time.Sleep(200 * time.Millisecond)
	}

	// The queue item is a control: focused and opened with Enter.
	if got := p.Eval(t, `(() => { const b = document.querySelector("#waiting li .qitem"); return b ? b.tagName + " " + b.tabIndex : "none"; })()`); got != "BUTTON 0" {
		t.Fatalf("queue item control: got %q, want a focusable BUTTON", got)
	}
	p.Do(t, chromedp.Focus(chromedp.CSS("#waiting li .qitem")), chromedp.KeyEvent("\r"))
	p.WaitCount(t, ".msg.flagged mark", 1)
	if got := p.Eval(t, `document.activeElement.classList.contains("qitem") ? "kept" : document.activeElement.tagName`); got != "kept" {
		t.Errorf("focus after opening: got %q, want it kept on the queue item", got)
	}

	// Rule ids are described; the ids are in the titles only.
	for _, sel := range []string{"#c-state", ".msg.flagged .rules", "#brief"} {
		if got := p.Text(t, sel); strings.Contains(got, "zh.") || strings.Contains(got, "combo.") {
			t.Errorf("%s shows rule ids: %q", sel, got)
		}
	}
	// Each is the rule's own description, as the rules in force give it.
	c := s.App.Rules.Live().Current()
	res := c.Classify(risky)
	if len(res.Rules) == 0 {
		t.Fatalf("%s matched no rule", risky)
	}
	// The gravest sign comes first: the first of the message's own rules
	// at the highest level, not a time word that alone is no risk.
	levels := map[string]risk.Level{}
	for _, r := range c.Rules() {
		levels[r.ID] = r.Level
	}
	gravest, weakest := "", ""
	for _, id := range res.Rules {
		if strings.HasPrefix(id, "combo.") {
			continue
		}
		if gravest == "" || levels[id] > levels[gravest] {
			gravest = id
		}
		if weakest == "" || levels[id] < levels[weakest] {
			weakest = id
		}
	}
	if levels[weakest] >= levels[gravest] {
		t.Fatalf("%s: its rules %v are all at one level; the test needs a weaker one", risky, res.Rules)
	}
	desc := c.Describe(gravest)
	want := "紧急 imminent · " + desc
	deadline = time.Now().Add(wait)
	for got := p.Text(t, ".msg.flagged .rules"); !strings.HasPrefix(got, want); got = p.Text(t, ".msg.flagged .rules") {
		if time.Now().After(deadline) {
			t.Fatalf("message rules: got %q, want the gravest sign first, %s: %q (not %s: %q)", got, gravest, desc, weakest, c.Describe(weakest))
		}
		time.Sleep(100 * time.Millisecond)
	}
	if got := p.Text(t, "#c-state"); !strings.Contains(got, desc) {
		t.Errorf("header: got %q, want the description %q", got, desc)
	}
	if got := p.Eval(t, `document.querySelector(".msg.flagged .rules").title`); !strings.Contains(got, "zh.") {
		t.Errorf("message rules title: got %q, want the rule ids", got)
	}

	// Claim: the join line names the teacher once.
	p.Do(t, chromedp.Click(chromedp.CSS("#b-claim")), chromedp.WaitEnabled(chromedp.CSS("#text")))
	p.WaitCount(t, ".msg.system", 2)
	if got := p.Eval(t, `[...document.querySelectorAll(".msg.system")].pop().textContent`); !strings.Contains(got, "王老师加入了对话") {
		t.Errorf("join line: got %q, want 王老师加入了对话", got)
	}

	// A referral and the close outcome show as labels.
	p.Do(t, chromedp.SetValue(chromedp.CSS("#ref-kind"), "parents_informed"), chromedp.Click(chromedp.CSS("#ref-form button")))
	p.WaitCount(t, "#notes li", 1)
	if got := p.Text(t, "#notes"); !strings.Contains(got, "已告知家长 Parents informed") || strings.Contains(got, "parents_informed") {
		t.Errorf("referral: got %q, want 已告知家长 Parents informed and no code", got)
	}
	p.Do(t, chromedp.SetValue(chromedp.CSS("#outcome"), "referred"), chromedp.Click(chromedp.CSS("#close-form button")))
	p.Do(t, chromedp.WaitVisible(chromedp.CSS("#close-form button:disabled")))
	if got := p.Text(t, "#c-state"); !strings.Contains(got, "已转介 Referred") || strings.Contains(got, "(referred)") {
		t.Errorf("closed header: got %q, want 已转介 Referred and no code", got)
	}
	p.Axe(t, "counselor, closed with a referral")
	p.Fits(t, "counselor, closed with a referral")
	// The counselor's own role is a label too.
	if got := p.Text(t, "#who"); got != "王老师（心理老师 counselor）" {
		t.Errorf("who: got %q, want 王老师（心理老师 counselor）", got)
	}

	// A student who asks for a teacher: the reason is said as such, not
	// described as a risk phrase.
	if err := s.Store.UpsertTerminal(t.Context(), xinqiao.Terminal{Code: "T-1", School: "一中", Place: "三楼心理室"}); err != nil {
		t.Fatal(err)
	}
	sess2 := s.NewSession(t, `{"lang":"zh","terminal":"T-1"}`)
	asker := s.DialStudent(t, sess2.Token)
	asker.Message(t, "a1", "我想找老师聊聊")
	// The AI has answered before the student asks: the request's message
	// is then the AI's, and the queue must still show the student's words.
	asker.Wait(t, wait, func(f apptest.Frame) bool { return f.Type == "message" && f.Role == xinqiao.RoleAssistant })
	asker.Send(t, map[string]string{"type": "ask_counselor"})
	p.WaitCount(t, "#waiting li .kind.requested", 1)
	if got := p.Text(t, "#waiting li"); !strings.Contains(got, "一中 · 三楼心理室") || !strings.Contains(got, "“我想找老师聊聊”") {
		t.Errorf("requested item: got %q, want the school, the place and the student's words", got)
	}
	// The queue item's wait clock runs too.
	first = p.Text(t, "#waiting li .since")
	deadline = time.Now().Add(wait)
	for p.Text(t, "#waiting li .since") == first {
		if time.Now().After(deadline) {
			t.Fatalf("queue wait clock stuck at %q, want it to run", first)
		}
		time.Sleep(200 * time.Millisecond)
	}
	p.Do(t, chromedp.Focus(chromedp.CSS("#waiting li .qitem")), chromedp.KeyEvent("\r"))
	waitFor(t, p, "#c-state", "找老师 requested")
	if got := p.Text(t, "#c-state"); !strings.Contains(got, "学生请老师来聊") || strings.Contains(got, "风险说法") {
		t.Errorf("requested header: got %q, want the student's request said as such", got)
	}

	// A flag the learned model raised with no rule ("模型 0.87，无规则") is
	// described too; the score and the id are in the title.
	modelRule := "模型 0.87，无规则"
	sess3 := s.NewSession(t, `{"lang":"zh"}`)
	if _, _, err := s.Store.AppendMessage(t.Context(), xinqiao.NewMessage{ConversationID: sess3.ConversationID, Role: xinqiao.RoleStudent,
		Text: "最近觉得一切都没有意义了", Risk: &xinqiao.RiskMark{Level: xinqiao.LevelHigh, Categories: []string{"suicide"},
			Rules: []string{modelRule}, Spans: []xinqiao.Span{{Start: 4, End: 12, Rule: modelRule}}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.App.Handoffs.Open(t.Context(), handoff.OpenRequest{ConversationID: sess3.ConversationID, Level: xinqiao.LevelHigh,
		Categories: []string{"suicide"}, Rules: []string{modelRule}, MessageSeq: 1}); err != nil {
		t.Fatal(err)
	}
	p.WaitCount(t, "#waiting li.high", 1)
	p.Do(t, chromedp.Focus(chromedp.CSS("#waiting li.high .qitem")), chromedp.KeyEvent("\r"))
	p.WaitCount(t, ".msg.flagged mark", 1)
	modelDesc := c.Describe(modelRule)
	for _, sel := range []string{"#c-state", ".msg.flagged .rules", "#brief"} {
		if got := p.Text(t, sel); !strings.Contains(got, modelDesc) || strings.Contains(got, "模型 0.87") || strings.Contains(got, "无规则") {
			t.Errorf("model flag in %s: got %q, want %q and no id", sel, got, modelDesc)
		}
	}
	if got := p.Eval(t, `document.querySelector(".msg.flagged mark").title`); !strings.Contains(got, modelRule) {
		t.Errorf("model span title: got %q, want the id with the score", got)
	}
	p.Axe(t, "counselor, model-raised flag open")
	p.Fits(t, "counselor, model-raised flag open")
}

// waitFor waits until the text of the first element matching css contains want.
func waitFor(t *testing.T, p *apptest.Page, css, want string) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for got := p.Text(t, css); !strings.Contains(got, want); got = p.Text(t, css) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: got %q, want %q", css, got, want)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestConsolePhone checks the console on a 390 px phone, with a flagged
// conversation open: no element is wider than the screen, the queue
// item's text is not stacked one character a line, and 退出 is on screen.
func TestConsolePhone(t *testing.T) {
	p := apptest.Browser(t)
	clk := apptest.NewClock(time.Now())
	s := boot(t, func(tb testing.TB) xinqiao.Store { return storetest.MustOpenSQLite(tb) }, clk)
	s.AddStaff(t, "wang", xinqiao.RoleCounselor, "王老师")
	p.Do(t, chromedp.EmulateViewport(390, 800))
	p.Login(t, s.URL+"/counselor", "wang", "#console")
	p.Do(t, chromedp.WaitVisible(chromedp.CSS("#conn.ok")), chromedp.Click(chromedp.CSS("#duty")))
	sess := s.NewSession(t, `{"lang":"zh"}`)
	student := s.DialStudent(t, sess.Token)
	student.Message(t, "r1", risky)
	student.WaitType(t, wait, "crisis")
	p.WaitCount(t, "#waiting li.imminent", 1)
	p.Do(t, chromedp.Click(chromedp.CSS("#waiting li .qitem")))
	p.WaitCount(t, ".msg.flagged mark", 1)
	time.Sleep(200 * time.Millisecond)
	wide := p.Eval(t, `[...document.querySelectorAll("body *")].filter(e => { const r = e.getBoundingClientRect(); return r.width > 0 && (r.right > innerWidth + 1 || r.left < -1); }).map(e => e.tagName + (e.id ? "#" + e.id : "") + (e.className && typeof e.className === "string" ? "." + e.className.split(" ")[0] : "")).slice(0, 8).join(" ")`)
	if w := p.Eval(t, "String(document.documentElement.scrollWidth)"); w != "390" || wide != "" {
		t.Errorf("at 390 px: page %s px wide; too wide: %q", w, wide)
	}
	if got := p.Eval(t, `(() => { const r = document.querySelector("#logout").getBoundingClientRect(); return r.width > 0 && r.left >= 0 && r.right <= innerWidth ? "on screen" : JSON.stringify(r); })()`); got != "on screen" {
		t.Errorf("退出 at 390 px: got %s, want on screen", got)
	}
	// No text is squeezed into a column a character or two wide.
	if got := p.Eval(t, `[...document.querySelectorAll("body *")].filter(e => { const r = e.getBoundingClientRect(), fs = parseFloat(getComputedStyle(e).fontSize); return e.children.length === 0 && e.textContent.trim().length > 2 && r.width > 0 && r.width < 2.5 * fs && r.height > 3 * fs; }).map(e => e.tagName + (e.id ? "#" + e.id : "") + " " + e.textContent.trim().slice(0, 10)).slice(0, 5).join(" | ")`); got != "" {
		t.Errorf("at 390 px, text stacked a character a line: %q", got)
	}
}

// TestConsoleKeyboardOnly takes a handoff from the queue to close with the
// keyboard alone: log in, open the queue item (j), see the help (?),
// claim (c), reply (r, typing, a canned phrase with 2, Enter) which the
// student receives on a real WebSocket, write a private note (n) and close
// (x). The page counts every trusted mouse or pointer event: none may
// occur. Typing a shortcut's letter in the reply never triggers it.
func TestConsoleKeyboardOnly(t *testing.T) {
	p := apptest.Browser(t)
	clk := apptest.NewClock(time.Now())
	s := boot(t, func(tb testing.TB) xinqiao.Store { return storetest.MustOpenSQLite(tb) }, clk)
	s.AddStaff(t, "wang", xinqiao.RoleCounselor, "王老师")

	// tabTo presses Tab until the element matching css has the focus.
	tabTo := func(css string) {
		t.Helper()
		for range 40 {
			if p.Eval(t, `String(document.activeElement && document.activeElement.matches(`+strconv.Quote(css)+`))`) == "true" {
				return
			}
			p.Do(t, chromedp.KeyEvent(kb.Tab))
		}
		t.Fatalf("Tab never reached %s (focus on %s)", css, p.Eval(t, `document.activeElement.outerHTML.slice(0, 80)`))
	}
	typeText := func(text string) { t.Helper(); p.Do(t, press(text)) }

	p.Do(t, chromedp.Navigate(s.URL+"/counselor"), chromedp.WaitVisible(chromedp.CSS(`input[name="username"]`)))
	tabTo(`input[name="username"]`)
	typeText("wang")
	tabTo(`input[name="password"]`)
	typeText(apptest.Password + "\r")
	p.Do(t, chromedp.WaitVisible(chromedp.CSS("#conn.ok")))
	p.Eval(t, `(() => { window.mouseEvents = 0; for (const k of ["mousedown", "mouseup", "click", "pointerdown", "pointerup", "dblclick", "contextmenu"]) document.addEventListener(k, (e) => { if (e.isTrusted && (k !== "click" || e.detail > 0)) window.mouseEvents++; }, true); return "ok"; })()`)

	sess := s.NewSession(t, `{"lang":"zh"}`)
	student := s.DialStudent(t, sess.Token)
	student.Message(t, "r1", risky)
	student.WaitType(t, wait, "crisis")
	p.WaitCount(t, "#waiting li.imminent", 1)

	// The help lists the shortcuts; ? opens and closes it.
	typeText("?")
	p.Do(t, chromedp.WaitVisible(chromedp.CSS("#keys")))
	if got := p.Text(t, "#keys"); !strings.Contains(got, "接手 Claim") || !strings.Contains(got, "常用语") {
		t.Errorf("help: got %q, want the shortcuts listed", got)
	}
	p.Axe(t, "counselor, shortcut help open")
	p.Fits(t, "counselor, shortcut help open")
	typeText("?")
	p.Do(t, chromedp.WaitNotVisible(chromedp.CSS("#keys")))

	typeText("j")
	p.WaitCount(t, ".msg.flagged mark", 1)
	if got := p.Eval(t, `document.activeElement.classList.contains("qitem") ? "item" : document.activeElement.tagName`); got != "item" {
		t.Errorf("after j: focus on %q, want the queue item", got)
	}
	typeText("c")
	p.Do(t, chromedp.WaitEnabled(chromedp.CSS("#text")))
	student.Wait(t, wait, func(f apptest.Frame) bool { return f.Type == "handoff" && f.State == "joined" })

	// In the reply, letters are text, not shortcuts; Esc leaves it, 2
	// inserts the second canned phrase at the caret, Enter sends.
	typeText("r")
	typeText("王老师在。")
	typeText("jkcx")
	p.Do(t, chromedp.KeyEvent(kb.Escape))
	typeText("2")
	if got := p.Eval(t, `document.activeElement.id`); got != "text" {
		t.Fatalf("after 2: focus on %q, want the reply", got)
	}
	p.Do(t, chromedp.KeyEvent(kb.Enter))
	reply, _ := student.Wait(t, wait, func(f apptest.Frame) bool { return f.Type == "message" && f.Role == xinqiao.RoleCounselor })
	if want := "王老师在。jkcx谢谢你愿意告诉我，这需要很大的勇气。"; reply.Text != want {
		t.Fatalf("student got %q, want %q", reply.Text, want)
	}
	p.WaitCount(t, ".msg.counselor", 1)
	p.Axe(t, "counselor, claimed conversation with a reply")
	p.Fits(t, "counselor, claimed conversation with a reply")

	p.Do(t, chromedp.KeyEvent(kb.Escape))
	typeText("n")
	typeText("学生在教室，情绪有所缓和")
	tabTo("#note-form button")
	p.Do(t, chromedp.KeyEvent(kb.Enter))
	p.WaitCount(t, "#notes li", 1)

	p.Do(t, chromedp.KeyEvent(kb.Escape))
	typeText("x")
	if got := p.Eval(t, `document.activeElement.id`); got != "outcome" {
		t.Fatalf("after x: focus on %q, want the outcome", got)
	}
	tabTo("#close-note")
	typeText("已疏导")
	tabTo("#close-form button")
	p.Do(t, chromedp.KeyEvent(kb.Enter))
	student.Wait(t, wait, func(f apptest.Frame) bool { return f.Type == "handoff" && f.State == "ended" })
	p.Do(t, chromedp.WaitVisible(chromedp.CSS("#close-form button:disabled")))
	if got := p.Text(t, "#c-state"); !strings.Contains(got, "已疏导 Resolved") {
		t.Errorf("header after close: %q, want 已疏导 Resolved", got)
	}
	if got := p.Eval(t, `String(window.mouseEvents)`); got != "0" {
		t.Errorf("%s mouse events, want none", got)
	}
}

// press types keys as a keyboard does: each key's text goes with its
// keydown, so a page that handles the keydown (a shortcut) and cancels it
// stops the text, as in a real browser. chromedp.KeyEvent sends the text
// as a separate event that a cancelled keydown does not stop.
func press(keys string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		for _, r := range keys {
			evs := kb.Encode(r)
			var send []*input.DispatchKeyEventParams
			for _, k := range evs {
				if k.Type == kb.KeyChar {
					evs[0].Text, evs[0].UnmodifiedText = k.Text, k.UnmodifiedText
					continue
				}
				send = append(send, k)
			}
			for _, k := range send {
				if _, err := cdp.Call(ctx, t, input.DispatchKeyEvent, *k); err != nil {
					return err
				}
			}
		}
		return nil
	})
}
