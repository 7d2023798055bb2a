package web_test

import (
	"strings"
	"testing"
	"time"

	"xinqiao/internal/app"
	"xinqiao/internal/apptest"
	"xinqiao/internal/storetest"
	"xinqiao/internal/xinqiao"

	"github.com/chromedp/chromedp"
)

// TestCuratorPage drives /curator in headless Chromium: the list, a
// document, a new draft with preview and chunk view, submission, approval
// by a second curator, the hit test and the gap report; the page is in
// Chinese first, loads nothing from elsewhere and fits a phone screen.
func TestCuratorPage(t *testing.T) {
	p := apptest.Browser(t)
	s := apptest.Start(t, storetest.MustOpenSQLite(t), app.Options{})
	s.AddStaff(t, "li", xinqiao.RoleCurator, "李老师")
	s.AddStaff(t, "chen", xinqiao.RoleCurator, "陈老师")
	for range 3 {
		if err := s.Store.CountGap(t.Context(), time.Now(), "sleep", "zh"); err != nil {
			t.Fatal(err)
		}
	}

	p.Login(t, s.URL+"/curator", "li", "#tabs")
	if got := p.Text(t, "#who"); got != "李老师" {
		t.Errorf("who: got %q, want 李老师", got)
	}
	p.WaitCount(t, "#docs tbody tr.pick", 40)

	// Chinese first, and nothing loaded from another origin.
	if got := p.Eval(t, "document.documentElement.lang"); got != "zh-CN" {
		t.Errorf("html lang: got %q, want zh-CN", got)
	}
	if got := p.Eval(t, "document.title"); !startsHan(got) {
		t.Errorf("title: got %q, want Chinese first", got)
	}
	for _, sel := range []string{"#tabs .tab", "#docs th", "h1"} {
		if got := p.Text(t, sel); !startsHan(got) {
			t.Errorf("%s: got %q, want Chinese first", sel, got)
		}
	}
	if got := p.Eval(t, `performance.getEntriesByType("resource").filter(e => !e.name.startsWith(location.origin)).map(e => e.name).join(" ")`); got != "" {
		t.Errorf("external resources: got %q, want none", got)
	}
	if got := p.Eval(t, `[...document.querySelectorAll("[src],[href]")].map(e => e.getAttribute("src") || e.getAttribute("href")).filter(u => /^(https?:)?\/\//.test(u)).join(" ")`); got != "" {
		t.Errorf("external links in the page: got %q, want none", got)
	}

	// Open a document of the vetted material.
	p.Do(t, chromedp.Click(chromedp.CSS(`#docs tr[data-id="exam-anxiety-zh"]`)),
		chromedp.WaitVisible(chromedp.CSS("#detail h2")))
	if got := p.Text(t, "#detail"); !strings.Contains(got, "exam-anxiety-zh") || !strings.Contains(got, "已发布 approved") {
		t.Errorf("detail: got %.300q, want the document approved", got)
	}

	// Write a new document: preview and chunks, then save and submit.
	p.Do(t, chromedp.Click(chromedp.CSS(`.tab[data-tab="edit"]`)),
		chromedp.WaitVisible(chromedp.CSS("#md")),
		chromedp.SetValue(chromedp.CSS("#md"), craneMD(1, "\n\n## 写下心愿\n\n**不用写得很好**，写下来就已经很勇敢了。")),
		chromedp.Click(chromedp.CSS("#do-preview")))
	p.WaitCount(t, "#chunks li", 1)
	if got := p.Text(t, "#preview h3"); got != "折纸鹤的时候" {
		t.Errorf("preview heading: got %q, want 折纸鹤的时候", got)
	}
	if got := p.Text(t, "#preview strong"); got != "不用写得很好" {
		t.Errorf("preview bold: got %q, want 不用写得很好", got)
	}
	if got := p.Text(t, "#chunks li"); !strings.Contains(got, "写下心愿") || !strings.Contains(got, "字") {
		t.Errorf("chunk view: got %q, want the heading and the length", got)
	}
	p.Do(t, chromedp.Click(chromedp.CSS("#do-save")))
	waitText(t, p, "#edit-msg", "crane-wish v1")
	p.Do(t, chromedp.Click(chromedp.CSS(`.tab[data-tab="list"]`)),
		chromedp.Click(chromedp.CSS(`#docs tr[data-id="crane-wish"]`)),
		chromedp.Click(chromedp.CSS(`#detail button.act-submit`)),
		chromedp.WaitVisible(chromedp.CSS(`#detail button.act-approve`)))
	// The author may press approve, but the server refuses and the page says why.
	p.Do(t, chromedp.Click(chromedp.CSS(`#detail button.act-approve`)))
	waitText(t, p, "#detail .error", "另一位")

	// A second curator approves.
	// Logging out reloads the page: wait for the login form it comes back
	// with, or the next navigation races the reload.
	p.Do(t, chromedp.Click(chromedp.CSS("#logout")), chromedp.WaitVisible(chromedp.CSS("input[name=username]")))
	p.Login(t, s.URL+"/curator", "chen", "#tabs")
	p.Do(t, chromedp.Click(chromedp.CSS(`#docs tr[data-id="crane-wish"]`)),
		chromedp.Click(chromedp.CSS(`#detail button.act-approve`)),
		chromedp.WaitVisible(chromedp.CSS(`#detail .badge.approved`)))
	if got := p.Text(t, "#detail tbody"); !strings.Contains(got, "李老师") || !strings.Contains(got, "陈老师") {
		t.Errorf("versions: got %q, want author 李老师 and reviewer 陈老师 by name", got)
	}

	// Hit test: the new document comes first, with its scores.
	p.Do(t, chromedp.Click(chromedp.CSS(`.tab[data-tab="hit"]`)),
		chromedp.SetValue(chromedp.CSS("#hit-q"), "千纸鹤心愿课"),
		chromedp.Click(chromedp.CSS("#hit-form button")))
	p.WaitCount(t, "#hits tbody tr", 1)
	first := p.Text(t, "#hits tbody tr")
	if !strings.Contains(first, "crane-wish v1") || !strings.Contains(first, "(#1)") {
		t.Errorf("first hit: got %q, want crane-wish v1 ranked #1 with scores", first)
	}
	if got := p.Text(t, "#hit-verdict"); !startsHan(got) {
		t.Errorf("verdict: got %q, want Chinese first", got)
	}

	// Gap report.
	p.Do(t, chromedp.Click(chromedp.CSS(`.tab[data-tab="gaps"]`)))
	p.WaitCount(t, "#gaps tbody tr td + td", 1)
	if got := p.Text(t, "#gaps tbody tr"); !strings.Contains(got, "sleep") || !strings.Contains(got, "3") {
		t.Errorf("gap report: got %q, want sleep 3", got)
	}

	// A phone: nothing wider than the screen on any tab.
	p.Do(t, chromedp.EmulateViewport(375, 700))
	for _, tab := range []string{"list", "edit", "hit", "gaps"} {
		p.Do(t, chromedp.Click(chromedp.CSS(`.tab[data-tab="`+tab+`"]`)))
		time.Sleep(200 * time.Millisecond)
		got := p.Eval(t, `[...document.querySelectorAll("body *")].filter(e => e.getBoundingClientRect().right > innerWidth + 1 && !e.closest(".scroll")).map(e => e.tagName + (e.id ? "#" + e.id : "")).slice(0, 5).join(" ")`)
		if w := p.Eval(t, "document.documentElement.scrollWidth"); w != "375" || got != "" {
			t.Errorf("%s tab on a 375 px screen: page is %s px wide, too wide: %q", tab, w, got)
		}
	}
}

// waitText waits until the text of css contains want.
func waitText(t *testing.T, p *apptest.Page, css, want string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := p.Eval(t, `(document.querySelector(`+jsQuote(css)+`) || {}).textContent || ""`)
		if strings.Contains(got, want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: got %q, want it to contain %q", css, got, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func jsQuote(s string) string { return jsonStr(s) }

// startsHan reports whether s starts (after spaces) with a Han character.
func startsHan(s string) bool {
	for _, r := range strings.TrimSpace(s) {
		return r >= 0x4E00 && r <= 0x9FFF
	}
	return false
}
