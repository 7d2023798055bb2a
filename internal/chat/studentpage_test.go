package chat_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"xinqiao/internal/app"
	"xinqiao/internal/apptest"
	"xinqiao/internal/config"
	"xinqiao/internal/storetest"
	"xinqiao/internal/xinqiao"

	"github.com/chromedp/chromedp"
)

// screen is a viewport the student page is tested on.
type screen struct {
	name string
	w, h int64
}

// Layout flows (the crisis card, asking for a teacher, an ended
// conversation) are tested on a school terminal and a cheap phone; flows
// whose layout the others cover, on the phone only, which keeps the
// package within go test's time limit on a busy machine.
var (
	bothScreens = []screen{{"1280px", 1280, 800}, {"390px", 390, 700}}
	phone       = bothScreens[1:]
)

// eachScreen runs fn on every store engine and screen, in one browser,
// with the student page open on a fresh server built from the store open
// returns (wrap it to inject faults).
func eachScreen(t *testing.T, open func(tb testing.TB, e storetest.Engine) xinqiao.Store, screens []screen, fn func(t *testing.T, p *apptest.Page, s *apptest.Server)) {
	p := apptest.Browser(t)
	if open == nil {
		open = func(tb testing.TB, e storetest.Engine) xinqiao.Store { return e.Open(tb) }
	}
	for _, e := range storetest.Engines(t) {
		for _, v := range screens {
			t.Run(e.Name+"/"+v.name, func(t *testing.T) {
				s := apptest.Start(t, open(t, e), app.Options{})
				p.Do(t, chromedp.EmulateViewport(v.w, v.h), chromedp.Navigate(s.URL+"/"),
					chromedp.WaitVisible(chromedp.CSS("#hotline-list .line")))
				fn(t, p, s)
			})
		}
	}
}

// typeMessage types a message into the page and sends it.
func typeMessage(t *testing.T, p *apptest.Page, text string) {
	t.Helper()
	p.Do(t, chromedp.SetValue(chromedp.CSS("#input"), text), chromedp.Click(chromedp.CSS("#send")))
}

// telLinks checks that every number inside the element css is a tel: link
// dialling the digits shown, and returns "ok" or what is wrong.
const telLinks = `((css) => {
  const box = document.querySelector(css);
  const nums = [...box.querySelectorAll(".num")];
  if (!nums.length) return "no numbers in " + css;
  for (const n of nums) {
    if (n.tagName !== "A") return "number " + n.textContent + " is not a link";
    const href = n.getAttribute("href") || "";
    if (href !== "tel:" + n.textContent.replace(/[^0-9+]/g, "")) return "number " + n.textContent + " dials " + href;
  }
  return "ok";
})`

// adviceVisible returns "ok" when the crisis card's paragraph containing
// want is inside the card's visible box (no scrolling inside the card) and
// inside the window, else the geometry.
const adviceVisible = `((want) => {
  const card = document.getElementById("crisis");
  const p = [...card.querySelectorAll("p")].find((e) => e.textContent.includes(want));
  if (!p) return "no paragraph with " + want;
  const c = card.getBoundingClientRect(), r = p.getBoundingClientRect();
  const shownTop = c.top + card.clientTop, shownBottom = shownTop + card.clientHeight;
  if (card.scrollTop === 0 && r.top >= shownTop && r.bottom <= shownBottom && r.bottom <= innerHeight) return "ok";
  return JSON.stringify({scrollTop: card.scrollTop, cardTop: c.top, shownBottom, adviceTop: r.top, adviceBottom: r.bottom, window: innerHeight});
})`

// TestStudentPageCrisisAndHandoff follows a risky conversation on the
// page at 1280 and 390 px: every hotline number is a tel: link; the
// crisis card's advice to find an adult is visible without scrolling
// inside the card; once the teacher has joined, another risky message adds
// no second notice and leaves the banner on the teacher; when the teacher
// ends the conversation, the next message offers 开始新的对话 in Chinese,
// which starts a new conversation with the refused text back in the box.
func TestStudentPageCrisisAndHandoff(t *testing.T) {
	eachScreen(t, nil, bothScreens, func(t *testing.T, p *apptest.Page, s *apptest.Server) {
		if got := p.Eval(t, telLinks+`("#hotline-list")`); got != "ok" {
			t.Fatalf("hotline strip: %s", got)
		}
		s.AddStaff(t, "wang", xinqiao.RoleCounselor, "王老师")
		wang := s.Login(t, "wang")
		if code := wang.Do(t, "POST", "/api/staff/duty", map[string]bool{"on": true}, nil); code != 200 {
			t.Fatalf("duty: got %d", code)
		}

		typeMessage(t, p, "我不想活了，药已经攒好了，今晚就吃")
		p.Do(t, chromedp.WaitVisible(chromedp.CSS("#crisis")), chromedp.WaitVisible(chromedp.CSS("#handoff")))
		if got := p.Eval(t, adviceVisible+`("身边")`); got != "ok" {
			t.Fatalf("the advice to find an adult is not visible without scrolling in the card: %s", got)
		}
		if got := p.Eval(t, `(() => { const r = document.getElementById("send").getBoundingClientRect(); return r.height > 0 && r.bottom <= innerHeight; })()`); got != "true" {
			t.Fatal("with the crisis card shown, the send button is off the screen")
		}
		if got := p.Eval(t, telLinks+`("#crisis")`); got != "ok" {
			t.Fatalf("crisis card: %s", got)
		}
		if crisis := p.Text(t, "#crisis"); !strings.Contains(crisis, "110") || !strings.Contains(crisis, "120") {
			t.Fatalf("crisis card %q lacks 110/120", crisis)
		}
		cardNamesItsNumbers(t, p, "热线栏")

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
		p.Do(t, chromedp.Poll[chromedp.Void](`document.getElementById("handoff").textContent.includes("王老师")`))
		claimed := handoffUpdated(t, wang, id)

		// Another risky message, then a plain one: the page has seen
		// everything the server did for the first when the second is shown
		// with its seq (frames of a conversation arrive in order).
		typeMessage(t, p, "我还是想死，药就在我手边")
		p.WaitCount(t, ".msg.student[data-seq]", 2)
		typeMessage(t, p, "老师你还在吗")
		p.WaitCount(t, ".msg.student[data-seq]", 3)
		notices := p.Eval(t, `[...document.querySelectorAll(".msg.system")].map((e) => e.querySelector(".body").textContent).join("\n")`)
		seen := map[string]bool{}
		for _, n := range strings.Split(notices, "\n") {
			if seen[n] {
				t.Fatalf("notice %q shown twice; notices:\n%s", n, notices)
			}
			seen[n] = true
		}
		if banner := p.Text(t, "#handoff"); !strings.Contains(banner, "王老师") {
			t.Fatalf("banner %q, want 王老师 still in the chat", banner)
		}
		// The escalations of both messages run after their acks (the plain
		// one escalates too: the conversation stays at the level of the
		// first); each must have reached the handoff before the close, or
		// the close rightly leaves it to open a handoff of its own.
		waitMerged(t, wang, s.Store, queue.Handoffs[0].ConversationID, id, claimed)

		if code := wang.Do(t, "POST", "/api/handoffs/"+id+"/close", map[string]string{"outcome": "resolved", "mode": "ended"}, nil); code != 200 {
			t.Fatalf("close: got %d", code)
		}
		// The page offers a new conversation at once, before anything is
		// typed into the closed one.
		p.Do(t, chromedp.Poll[chromedp.Void](`document.getElementById("handoff").textContent.includes("离开")`),
			chromedp.WaitVisible(chromedp.CSS("#restart")), chromedp.WaitNotVisible(chromedp.CSS("#composer")))
		if got := p.Text(t, "#ended"); !strings.Contains(got, "开始新的对话") {
			t.Fatalf("ended panel %q, want 开始新的对话", got)
		}
		p.Do(t, chromedp.Click(chromedp.CSS("#restart")), chromedp.WaitVisible(chromedp.CSS("#composer")))
		if n := p.Count(t, ".msg"); n != 0 {
			t.Fatalf("%d messages on screen in the new conversation", n)
		}
		typeMessage(t, p, "考试前一晚总是睡不着，怎么办")
		p.WaitCount(t, ".msg.assistant", 1)
	})
}

// TestStudentPageTypesIntoEndedConversation: a message sent to a
// conversation that ended without the page knowing (it was closed while
// the page looked away) is refused with code ended; the page offers
// 开始新的对话 with no resend button, and the new conversation starts with
// the refused text back in the box.
func TestStudentPageTypesIntoEndedConversation(t *testing.T) {
	var spy *convSpy
	open := func(tb testing.TB, e storetest.Engine) xinqiao.Store {
		spy = &convSpy{Store: e.Open(tb)}
		return spy
	}
	eachScreen(t, open, phone, func(t *testing.T, p *apptest.Page, s *apptest.Server) {
		typeMessage(t, p, "我和好朋友吵架了")
		p.WaitCount(t, ".msg.assistant", 1)
		if err := s.Store.SetMode(context.Background(), spy.last(), xinqiao.ModeEnded); err != nil {
			t.Fatal(err)
		}
		typeMessage(t, p, "谢谢老师")
		p.Do(t, chromedp.WaitVisible(chromedp.CSS("#restart")), chromedp.WaitNotVisible(chromedp.CSS("#composer")))
		if got := p.Text(t, "#ended"); !strings.Contains(got, "开始新的对话") {
			t.Fatalf("ended panel %q, want 开始新的对话", got)
		}
		if n := p.Count(t, ".msg .retry"); n != 0 {
			t.Fatalf("%d resend buttons on a conversation that has ended", n)
		}
		p.Do(t, chromedp.Click(chromedp.CSS("#restart")), chromedp.WaitVisible(chromedp.CSS("#composer")))
		if got := p.Eval(t, `document.getElementById("input").value`); got != "谢谢老师" {
			t.Fatalf("input %q, want the refused message back", got)
		}
		typeMessage(t, p, "谢谢老师")
		p.WaitCount(t, ".msg.assistant", 1)
	})
}

// emergencyShown returns "ok" when the crisis card itself shows 110 and
// 120 as links on the screen, else what is missing.
const emergencyShown = `(() => {
  const card = document.getElementById("crisis"), c = card.getBoundingClientRect();
  for (const num of ["110", "120"]) {
    const a = [...card.querySelectorAll("a.num")].find((e) => e.textContent === num);
    if (!a) return "no link " + num + " in the card";
    const r = a.getBoundingClientRect();
    if (!r.height || r.top < c.top || r.bottom > innerHeight) return num + " is off the screen: " + JSON.stringify(r);
  }
  return "ok";
})()`

// cardNamesItsNumbers checks that the crisis card does not send the
// student to the hotline strip it hides, and shows the emergency numbers
// itself.
func cardNamesItsNumbers(t *testing.T, p *apptest.Page, strip string) {
	t.Helper()
	if got := p.Eval(t, `document.getElementById("hotlines").classList.contains("hidden")`); got != "true" {
		t.Fatal("the hotline strip is shown beside the crisis card")
	}
	if text := p.Text(t, "#crisis-text"); strings.Contains(text, strip) {
		t.Fatalf("the crisis card points to the hidden hotline strip: %q", text)
	}
	if got := p.Eval(t, emergencyShown); got != "ok" {
		t.Fatalf("crisis card: %s", got)
	}
}

// TestStudentPageEditsARefusedMessage: a message the server refuses as
// too long, or as no message at all, goes back into the box with what to
// change (the server's limit for a long one), with no 重发 button that
// could only fail again; the shortened message is sent.
func TestStudentPageEditsARefusedMessage(t *testing.T) {
	p := apptest.Browser(t)
	s := apptest.Start(t, storetest.MustOpenSQLite(t), app.Options{}, func(c *config.Config) { c.MaxMessageLen = 20 })
	p.Do(t, chromedp.EmulateViewport(390, 700), chromedp.Navigate(s.URL+"/"), chromedp.WaitVisible(chromedp.CSS("#hotline-list .line")))
	long := "今天数学考试没考好，回家不知道怎么和爸爸妈妈说才好"
	typeMessage(t, p, long)
	p.Do(t, chromedp.WaitVisible(chromedp.CSS("#hint")))
	if got := p.Eval(t, `document.getElementById("input").value`); got != long {
		t.Fatalf("box holds %q, want the refused text back", got)
	}
	if hint := p.Text(t, "#hint"); !strings.Contains(hint, "20") || !strings.Contains(hint, "25") || !strings.Contains(hint, "删短") {
		t.Fatalf("hint %q, want the limit 20, the length 25 and to shorten it", hint)
	}
	if n := p.Count(t, ".retry"); n != 0 {
		t.Fatalf("%d resend buttons for a message too long to send", n)
	}
	if n := p.Count(t, ".msg.student"); n != 0 {
		t.Fatalf("%d student messages in the log, want the refused one back in the box", n)
	}
	if got := p.Text(t, "#count"); got != "25/20" {
		t.Fatalf("count %q, want 25/20", got)
	}
	// Sent again as it is, it stays in the box and nothing goes out.
	p.Do(t, chromedp.Click(chromedp.CSS("#send")))
	if got := p.Eval(t, `document.getElementById("input").value`); got != long || p.Count(t, ".msg.student") != 0 {
		t.Fatalf("box %q after sending a known-long message again", got)
	}
	p.Axe(t, "student page, message too long")
	p.Fits(t, "student page, message too long")
	typeMessage(t, p, "今天数学考试没考好")
	p.WaitCount(t, ".msg.student[data-seq]", 1)
	p.Do(t, chromedp.WaitNotVisible(chromedp.CSS("#hint")))

	// A message the server reads as empty (U+0085 is space to it, not to
	// the page) comes back for editing too.
	typeMessage(t, p, "\u0085")
	p.Do(t, chromedp.WaitVisible(chromedp.CSS("#hint")))
	if hint := p.Text(t, "#hint"); !strings.Contains(hint, "空") || !strings.Contains(hint, "输入框") {
		t.Fatalf("hint %q, want why and that the text is back in the box", hint)
	}
	if got := p.Eval(t, `document.getElementById("input").value === "\u0085"`); got != "true" || p.Count(t, ".retry") != 0 {
		t.Fatalf("an invalid message: box holds it %s, %d resend buttons", got, p.Count(t, ".retry"))
	}
	if n := p.Count(t, ".msg.student"); n != 1 {
		t.Fatalf("%d student messages in the log, want the one sent", n)
	}
}

// TestStudentPageEndedInEnglish: an ended conversation on an English page
// offers to start again in English.
func TestStudentPageEndedInEnglish(t *testing.T) {
	p := apptest.Browser(t)
	s := apptest.Start(t, storetest.MustOpenSQLite(t), app.Options{})
	s.AddStaff(t, "wang", xinqiao.RoleCounselor, "王老师")
	wang := s.Login(t, "wang")
	p.Do(t, chromedp.Navigate(s.URL+"/?lang=en"), chromedp.WaitVisible(chromedp.CSS("#hotline-list .line")))
	typeMessage(t, p, "I want to kill myself tonight, I have the pills ready")
	p.Do(t, chromedp.WaitVisible(chromedp.CSS("#crisis")))
	cardNamesItsNumbers(t, p, "strip")
	var queue struct {
		Handoffs []xinqiao.Handoff `json:"handoffs"`
	}
	if code := wang.Do(t, "GET", "/api/handoffs?status=waiting", nil, &queue); code != 200 || len(queue.Handoffs) != 1 {
		t.Fatalf("queue: got %d %+v", code, queue)
	}
	id := queue.Handoffs[0].ID
	wang.Do(t, "POST", "/api/handoffs/"+id+"/claim", nil, nil)
	if code := wang.Do(t, "POST", "/api/handoffs/"+id+"/close", map[string]string{"outcome": "resolved", "mode": "ended"}, nil); code != 200 {
		t.Fatalf("close: got %d", code)
	}
	p.Do(t, chromedp.Poll[chromedp.Void](`document.getElementById("handoff").textContent.includes("left")`),
		chromedp.WaitVisible(chromedp.CSS("#restart")))
	if got := p.Text(t, "#restart"); got != "Start a new conversation" {
		t.Fatalf("got %q, want Start a new conversation", got)
	}
	p.Axe(t, "student page, conversation ended")
	p.Fits(t, "student page, conversation ended")
}

// TestStudentPageClearReturnsToChinese: after 清屏 the next student finds
// the page in Chinese, with no grade chosen, even when the last one
// switched to English and chatted.
func TestStudentPageClearReturnsToChinese(t *testing.T) {
	p := apptest.Browser(t)
	s := apptest.Start(t, storetest.MustOpenSQLite(t), app.Options{})
	p.Do(t, chromedp.Navigate(s.URL+"/"), chromedp.WaitVisible(chromedp.CSS("#hotline-list .line")),
		chromedp.Click(chromedp.CSS("#lang")))
	if ph := p.Eval(t, `document.getElementById("input").placeholder`); !strings.Contains(ph, "Type") {
		t.Fatalf("got placeholder %q after switching to English", ph)
	}
	typeMessage(t, p, "I feel stressed about exams")
	p.WaitCount(t, ".msg.assistant", 1)
	p.Do(t, chromedp.Click(chromedp.CSS("#clear")))
	p.Do(t, chromedp.Poll[chromedp.Void](`document.querySelectorAll(".msg").length === 0 && document.getElementById("hotline-list").textContent.includes("热线")`))
	got := p.Eval(t, `[document.documentElement.lang, document.getElementById("input").placeholder, document.getElementById("clear").textContent, document.getElementById("band").value].join("|")`)
	if got != "zh-CN|在这里输入……|清屏|" {
		t.Fatalf("after 清屏 got %q, want the page in Chinese with no grade", got)
	}
	typeMessage(t, p, "考试前一晚总是睡不着，怎么办")
	p.WaitCount(t, ".msg.assistant", 1)
	if label := p.Text(t, ".msg.assistant .label"); !strings.Contains(label, "AI 生成") {
		t.Fatalf("got label %q, want the Chinese AI label", label)
	}
}

// downStore is a store whose writes of student messages fail while down
// is set, as when the database is unreachable, counting the attempts.
type downStore struct {
	xinqiao.Store
	down     atomic.Bool
	attempts atomic.Int32
}

func (d *downStore) AppendStudentMessage(ctx context.Context, m xinqiao.NewMessage, t xinqiao.NewTurn) (xinqiao.Message, *xinqiao.PendingTurn, bool, error) {
	if d.down.Load() {
		d.attempts.Add(1)
		return xinqiao.Message{}, nil, false, errors.New("database is unreachable")
	}
	return d.Store.AppendStudentMessage(ctx, m, t)
}

// TestStudentPageResendsByItself: a message the server could not store
// is sent again by the page, with the same client_id, saying that it is
// retrying, until the store is back and the message is acked, stored once
// and answered.
func TestStudentPageResendsByItself(t *testing.T) {
	var ds *downStore
	open := func(tb testing.TB, e storetest.Engine) xinqiao.Store {
		ds = &downStore{Store: e.Open(tb)}
		return ds
	}
	eachScreen(t, open, phone, func(t *testing.T, p *apptest.Page, s *apptest.Server) {
		ds.down.Store(true)
		typeMessage(t, p, "我和好朋友吵架了")
		p.Do(t, chromedp.Poll[chromedp.Void](`document.querySelector(".msg.student .label").textContent.includes("正在重试")`))
		deadline := time.Now().Add(15 * time.Second)
		for ds.attempts.Load() < 2 {
			if time.Now().After(deadline) {
				t.Fatalf("the page sent the message %d times while the store was down, want it sent again by itself", ds.attempts.Load())
			}
			time.Sleep(50 * time.Millisecond)
		}
		ds.down.Store(false)
		p.WaitCount(t, ".msg.assistant", 1)
		if n, label := p.Count(t, ".msg.student.pending, .msg.student.retrying, .msg .retry"), p.Text(t, ".msg.student .label"); n != 0 || label != "我" {
			t.Fatalf("after the ack: %d pending, retrying or resend marks, label %q", n, label)
		}
		if seq := p.Eval(t, `document.querySelector(".msg.student").dataset.seq`); seq != "1" {
			t.Fatalf("the student message has seq %s, want 1 (stored once, first)", seq)
		}
	})
}

// TestStudentPageFeedbackAndTrust: the welcome text says, before the
// first message, that the psychology teacher may read the conversation;
// each answer has 不对 / 让我难受 / 有帮助, and what a student presses is what
// a curator sees beside the cited document version on /curator; after a
// long session the page suggests a rest, once; the 关于 page, opened from
// the chat, says who reads conversations and the real retention.
func TestStudentPageFeedbackAndTrust(t *testing.T) {
	eachScreen(t, nil, phone, func(t *testing.T, p *apptest.Page, s *apptest.Server) {
		if intro := p.Text(t, "#log .intro"); !strings.Contains(intro, "心理老师会读到") || !strings.Contains(intro, "请老师来") {
			t.Fatalf("welcome %q does not say when the psychology teacher reads the conversation", intro)
		}
		typeMessage(t, p, "考试前一晚总是睡不着，怎么办")
		p.WaitCount(t, ".msg.assistant .feedback button", 3)
		if got := p.Text(t, ".msg.assistant .feedback"); !strings.Contains(got, "不对") || !strings.Contains(got, "让我难受") || !strings.Contains(got, "有帮助") {
			t.Fatalf("feedback bar %q", got)
		}
		source := p.Eval(t, `document.querySelector(".msg.assistant .sources").textContent`)
		p.Do(t, chromedp.Click(chromedp.CSS(`.msg.assistant .feedback button[data-kind="upsetting"]`)),
			chromedp.WaitVisible(chromedp.CSS(".msg.assistant .fb-note")))
		if note := p.Text(t, ".msg.assistant .fb-note"); !strings.Contains(note, "找老师聊聊") {
			t.Fatalf("after 让我难受 the page says %q, want a way to a teacher", note)
		}
		p.Axe(t, "student page after feedback")
		if pressed := p.Eval(t, `document.querySelector('.msg.assistant .feedback button[data-kind="upsetting"]').getAttribute("aria-pressed")`); pressed != "true" {
			t.Fatalf("aria-pressed %s after the press", pressed)
		}

		// A long session: the page suggests a rest once (the threshold is
		// the page's own setting, brought down to now).
		p.Do(t, chromedp.Evaluate[chromedp.Void](`document.querySelector('meta[name="xinqiao-rest-minutes"]').content = "0"`))
		typeMessage(t, p, "我和好朋友吵架了")
		p.WaitCount(t, ".msg.assistant", 2)
		typeMessage(t, p, "还是很难过")
		p.WaitCount(t, ".msg.assistant", 3)
		if n, text := p.Count(t, "#log .rest"), p.Text(t, "#log .rest"); n != 1 || !strings.Contains(text, "休息") {
			t.Fatalf("got %d rest reminders (%q), want one", n, text)
		}

		if href, target := p.Eval(t, `document.getElementById("about").getAttribute("href")`), p.Eval(t, `document.getElementById("about").target`); href != "/about?lang=zh" || target != "_blank" {
			t.Fatalf("about link %s target %s, want /about?lang=zh in a new tab (the chat lives only in its tab)", href, target)
		}
		p.Do(t, chromedp.Navigate(s.URL+"/about?lang=zh"), chromedp.WaitVisible(chromedp.CSS("#zh .keep-days")))
		about := p.Text(t, "#zh")
		for _, want := range []string{"AI", "审核", "心理老师会读", "找老师聊聊", "180 天后自动删除", "投诉"} {
			if !strings.Contains(about, want) {
				t.Fatalf("about page lacks %q:\n%s", want, about)
			}
		}
		p.Do(t, chromedp.Navigate(s.URL+"/about?lang=en"), chromedp.WaitVisible(chromedp.CSS("#en .keep-days")))
		if about := p.Text(t, "#en"); !strings.Contains(about, "deleted 180 days after") || !strings.Contains(about, "Talk to a teacher") {
			t.Fatalf("English about page:\n%s", about)
		}

		s.AddStaff(t, "li", xinqiao.RoleCurator, "李老师")
		p.Login(t, s.URL+"/curator", "li", "#tabs")
		p.Do(t, chromedp.Click(chromedp.CSS(`.tab[data-tab="feedback"]`)))
		p.WaitCount(t, "#feedback tbody tr[data-doc]", 1)
		row := p.Text(t, "#feedback tbody tr[data-doc]")
		title := p.Eval(t, `document.querySelector("#feedback tbody tr[data-doc] td").firstChild.textContent`)
		if !strings.Contains(source, title) || p.Text(t, "#feedback tbody tr[data-doc] td.upsetting") != "1" || p.Text(t, "#feedback tbody tr[data-doc] td.wrong") != "0" {
			t.Fatalf("curator row %q (title %q), want the answer's first source from %q with one 让我难受", row, title, source)
		}
	})
}

// TestStudentPageAskTeacher: 找老师聊聊 sends ask_counselor; the page shows
// the server's sentence (a teacher on duty is coming, with the numbers as
// tel: links), says a teacher has been asked instead of offering the button
// again, and the counselor finds a requested handoff and joins.
func TestStudentPageAskTeacher(t *testing.T) {
	eachScreen(t, nil, bothScreens, func(t *testing.T, p *apptest.Page, s *apptest.Server) {
		s.AddStaff(t, "wang", xinqiao.RoleCounselor, "王老师")
		wang := s.Login(t, "wang")
		if code := wang.Do(t, "POST", "/api/staff/duty", map[string]bool{"on": true}, nil); code != 200 {
			t.Fatalf("duty: got %d", code)
		}
		if got := p.Text(t, "#ask"); got != "找老师聊聊" {
			t.Fatalf("ask button %q", got)
		}
		p.Do(t, chromedp.Click(chromedp.CSS("#ask")), chromedp.WaitVisible(chromedp.CSS("#handoff")))
		p.WaitCount(t, ".msg.system", 1)
		if banner := p.Text(t, "#handoff"); !strings.Contains(banner, "老师会尽快来") {
			t.Fatalf("banner %q, want a teacher coming", banner)
		}
		if notice := p.Text(t, ".msg.system"); !strings.Contains(notice, "你想和老师聊聊") || !strings.Contains(notice, "110") {
			t.Fatalf("notice %q, want the server's sentence: a teacher is coming, and 110", notice)
		}
		if got := p.Eval(t, telLinks+`(".msg.system")`); got != "ok" {
			t.Fatalf("notice: %s", got)
		}
		if visible := p.Eval(t, `document.getElementById("ask").offsetParent !== null && !document.getElementById("ask").disabled`); visible != "false" {
			t.Fatal("找老师聊聊 is still offered after the teacher was asked")
		}
		var queue struct {
			Handoffs []xinqiao.Handoff `json:"handoffs"`
		}
		if code := wang.Do(t, "GET", "/api/handoffs?status=waiting", nil, &queue); code != 200 || len(queue.Handoffs) != 1 || queue.Handoffs[0].Kind != xinqiao.KindRequested {
			t.Fatalf("queue: got %d %+v, want one requested handoff", code, queue)
		}
		// The student keeps talking meanwhile, and is answered.
		typeMessage(t, p, "考试前一晚总是睡不着，怎么办")
		p.WaitCount(t, ".msg.assistant", 1)
		if n := p.Count(t, ".msg.system"); n != 1 {
			t.Fatalf("%d notices after one request for a teacher, want 1", n)
		}
		if code := wang.Do(t, "POST", "/api/handoffs/"+queue.Handoffs[0].ID+"/claim", nil, nil); code != 200 {
			t.Fatalf("claim: got %d", code)
		}
		p.Do(t, chromedp.Poll[chromedp.Void](`document.getElementById("handoff").textContent.includes("王老师")`))
	})
}

// TestStudentPageAskTeacherOffDuty: asked in English with nobody on duty,
// the page says so in English, with the emergency numbers.
func TestStudentPageAskTeacherOffDuty(t *testing.T) {
	p := apptest.Browser(t)
	s := apptest.Start(t, storetest.MustOpenSQLite(t), app.Options{})
	p.Do(t, chromedp.Navigate(s.URL+"/?lang=en"), chromedp.WaitVisible(chromedp.CSS("#hotline-list .line")))
	if got := p.Text(t, "#ask"); got != "Talk to a teacher" {
		t.Fatalf("ask button %q", got)
	}
	p.Do(t, chromedp.Click(chromedp.CSS("#ask")), chromedp.WaitVisible(chromedp.CSS("#handoff")))
	p.WaitCount(t, ".msg.system", 1)
	if banner, notice := p.Text(t, "#handoff"), p.Text(t, ".msg.system"); !strings.Contains(banner, "No teacher is on duty") || !strings.Contains(notice, "No teacher is on duty") || !strings.Contains(notice, "110") {
		t.Fatalf("banner %q, notice %q, want nobody on duty and 110", banner, notice)
	}
	p.Axe(t, "student page, nobody on duty")
	p.Fits(t, "student page, nobody on duty")
}

// convSpy is a store that remembers the conversations created in it.
type convSpy struct {
	xinqiao.Store
	mu  sync.Mutex
	ids []string
}

func (c *convSpy) CreateConversation(ctx context.Context, conv xinqiao.Conversation, sess xinqiao.StudentSession) error {
	c.mu.Lock()
	c.ids = append(c.ids, conv.ID)
	c.mu.Unlock()
	return c.Store.CreateConversation(ctx, conv, sess)
}

// last returns the conversation created last.
func (c *convSpy) last() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ids[len(c.ids)-1]
}

// TestStudentPageResendsARiskyMessage: a risky message sent while the
// database is away shows the crisis card at once and is not stored; the
// page sends it again by itself, and once the database is back it is
// stored once and exactly one handoff opens.
func TestStudentPageResendsARiskyMessage(t *testing.T) {
	var ds *downStore
	open := func(tb testing.TB, e storetest.Engine) xinqiao.Store {
		ds = &downStore{Store: e.Open(tb)}
		return ds
	}
	eachScreen(t, open, phone, func(t *testing.T, p *apptest.Page, s *apptest.Server) {
		ds.down.Store(true)
		typeMessage(t, p, riskyText)
		p.Do(t, chromedp.WaitVisible(chromedp.CSS("#crisis")))
		deadline := time.Now().Add(15 * time.Second)
		for ds.attempts.Load() < 2 {
			if time.Now().After(deadline) {
				t.Fatalf("the page sent the message %d times while the store was down, want it sent again by itself", ds.attempts.Load())
			}
			time.Sleep(50 * time.Millisecond)
		}
		ds.down.Store(false)
		p.Do(t, chromedp.WaitVisible(chromedp.CSS("#handoff")))
		time.Sleep(500 * time.Millisecond) // a second opening would land now
		hs, err := s.Store.Handoffs(context.Background(), xinqiao.HandoffFilter{})
		if err != nil || len(hs) != 1 {
			t.Fatalf("got handoffs %+v, %v; want exactly one", hs, err)
		}
		ms, err := s.Store.Messages(context.Background(), hs[0].ConversationID, 0, 20)
		if err != nil {
			t.Fatal(err)
		}
		students := 0
		for _, m := range ms {
			if m.Role == xinqiao.RoleStudent {
				students++
			}
		}
		if students != 1 {
			t.Fatalf("the risky message was stored %d times, want once", students)
		}
	})
}

// handoffUpdated is the handoff's updated_at as the API gives it.
func handoffUpdated(t *testing.T, st *apptest.Staff, id string) time.Time {
	t.Helper()
	var got struct {
		Handoff xinqiao.Handoff `json:"handoff"`
	}
	if code := st.Do(t, "GET", "/api/handoffs/"+id, nil, &got); code != 200 {
		t.Fatalf("handoff %s: got %d", id, code)
	}
	return got.Handoff.UpdatedAt
}

// waitMerged waits until every student message of the conversation has
// had its turn (an escalation's ends once the handoff is open or merged),
// then checks that the handoff id has changed since since (a merge always
// moves its updated_at): the later messages' escalations reached it, and
// none is still running to reach it after a close.
func waitMerged(t *testing.T, st *apptest.Staff, store xinqiao.Store, convID, id string, since time.Time) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		pending := pendingOf(t, store, convID)
		if len(pending) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("turns of messages %v still pending: their escalations have not reached handoff %s", pending, id)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !handoffUpdated(t, st, id).After(since) {
		t.Fatalf("handoff %s unchanged since %v: no later escalation merged into it", id, since)
	}
}
