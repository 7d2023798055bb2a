package chat_test

import (
	"strings"
	"testing"
	"time"

	"xinqiao/internal/app"
	"xinqiao/internal/apptest"
	"xinqiao/internal/storetest"

	"github.com/chromedp/chromedp"
)

// TestStudentPage drives the real page in headless Chromium: an answer
// with its AI label and sources, the crisis card, a dropped connection
// that resumes without losing or repeating anything, the English switch,
// and a clear screen that leaves nothing in the browser.
func TestStudentPage(t *testing.T) {
	p := apptest.Browser(t)
	s := apptest.Start(t, storetest.MustOpenSQLite(t), app.Options{})
	send := func(text string) {
		p.Do(t, chromedp.SetValue(chromedp.CSS("#input"), text), chromedp.Click(chromedp.CSS("#send")))
	}

	p.Do(t, chromedp.Navigate(s.URL+"/"), chromedp.WaitVisible(chromedp.CSS("#hotline-list .line")))
	if strip := p.Text(t, "#hotlines"); !strings.Contains(strip, "12356") {
		t.Fatalf("hotline strip %q lacks 12356", strip)
	}

	send("考试前一晚总是睡不着，怎么办")
	p.WaitCount(t, ".msg.assistant", 1)
	label, sources := p.Text(t, ".msg.assistant .label"), p.Text(t, ".msg.assistant .sources")
	if !strings.Contains(label, "AI") || !strings.Contains(sources, "参考资料") {
		t.Fatalf("got label %q sources %q, want the AI label and sources", label, sources)
	}
	if n := p.Count(t, ".msg.pending"); n != 0 {
		t.Fatalf("%d messages still pending after the answer", n)
	}
	p.Axe(t, "student page with an answer")
	p.Fits(t, "student page with an answer")

	// The connection drops; the page reconnects, resumes and loses nothing.
	s.HTTP.CloseClientConnections()
	time.Sleep(300 * time.Millisecond)
	send("我和好朋友吵架了")
	p.WaitCount(t, ".msg.assistant", 2)
	if n := p.Count(t, ".msg.student"); n != 2 {
		t.Fatalf("got %d student messages after the reconnect, want 2 (none lost, none repeated)", n)
	}

	send("我不想活了，药已经攒好了，今晚就吃")
	p.Do(t, chromedp.WaitVisible(chromedp.CSS("#crisis")), chromedp.WaitVisible(chromedp.CSS("#handoff")))
	if crisis := p.Text(t, "#crisis"); !strings.Contains(crisis, "110") || !strings.Contains(crisis, "120") {
		t.Fatalf("crisis card %q lacks 110/120", crisis)
	}
	p.Axe(t, "student page with the crisis card")
	p.Fits(t, "student page with the crisis card")

	// Clear screen: nothing of the conversation stays in the page or the browser.
	p.Do(t, chromedp.Click(chromedp.CSS("#clear")), chromedp.WaitNotVisible(chromedp.CSS("#crisis")))
	if n, kept := p.Count(t, ".msg"), p.Eval(t, "localStorage.length + sessionStorage.length + document.cookie.length"); n != 0 || kept != "0" {
		t.Fatalf("after clear: %d messages on screen, %s bytes kept in browser storage", n, kept)
	}
	p.Do(t, chromedp.Click(chromedp.CSS("#lang")))
	if ph := p.Eval(t, `document.getElementById("input").placeholder`); !strings.Contains(ph, "Type") {
		t.Fatalf("got placeholder %q after switching to English", ph)
	}
	// A grade band chosen before the first message starts the conversation in it.
	p.Do(t, chromedp.SetValue(chromedp.CSS("#band"), "senior"), chromedp.Evaluate[chromedp.Void](`document.getElementById("band").dispatchEvent(new Event("change"))`))
	time.Sleep(300 * time.Millisecond)
	send("I feel stressed about exams")
	p.WaitCount(t, ".msg.assistant", 1)
	if p.Eval(t, `document.getElementById("band").disabled`) != "true" {
		t.Fatal("the grade band can still be changed after the first message")
	}
	if label := p.Text(t, ".msg.assistant .label"); !strings.Contains(label, "AI-generated") {
		t.Fatalf("got label %q, want the English AI label", label)
	}
	p.Axe(t, "student page in English")
}
