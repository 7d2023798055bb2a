package web_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"xinqiao/internal/app"
	"xinqiao/internal/apptest"
	"xinqiao/internal/storetest"
	"xinqiao/internal/xinqiao"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
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
	p.Axe(t, "curator list")
	// On a desktop, with no document open, the list takes the page's width.
	p.Do(t, chromedp.EmulateViewport(1280, 844))
	if got := p.Eval(t, `(() => { const m = document.querySelector("#tab-list").getBoundingClientRect().width, l = document.querySelector("#docs").getBoundingClientRect().width; return l > 0.95 * m ? "full" : Math.round(l) + " of " + Math.round(m) + " px"; })()`); got != "full" {
		t.Errorf("curator list at 1280 px with nothing open: %s wide, want the whole width", got)
	}
	p.Do(t, chromedp.ResetViewport())

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
	p.Axe(t, "curator document open")
	if got := p.Text(t, "#detail"); !strings.Contains(got, "exam-anxiety-zh") || !strings.Contains(got, "已发布 approved") {
		t.Errorf("detail: got %.300q, want the document approved", got)
	}

	// Write a new document in the fields: preview and chunks, then save and submit.
	p.Do(t, chromedp.Click(chromedp.CSS(`.tab[data-tab="edit"]`)),
		chromedp.WaitVisible(chromedp.CSS("#e-title")),
		chromedp.SetValue(chromedp.CSS("#e-id"), "crane-wish"),
		chromedp.SetValue(chromedp.CSS("#e-title"), craneTitle),
		chromedp.SetValue(chromedp.CSS("#e-topics"), "stress"),
		chromedp.SetValue(chromedp.CSS("#md"), "## 折纸鹤的时候\n\n在千纸鹤心愿课上，我们一边折纸鹤，一边把心里的烦恼写在翅膀上。\n\n## 写下心愿\n\n**不用写得很好**，写下来就已经很勇敢了。"),
		chromedp.Click(chromedp.CSS(`input[name="audience"][value="senior"]`)),
		chromedp.Click(chromedp.CSS(`input[name="audience"][value="primary"]`)),
		chromedp.Click(chromedp.CSS("#do-preview")))
	p.WaitCount(t, "#chunks li", 1)
	p.Axe(t, "curator editor with a preview")
	p.Do(t, chromedp.Click(chromedp.CSS("#do-save")))
	waitText(t, p, "#edit-msg", "crane-wish v1")
	if v, err := s.Store.Version(t.Context(), "crane-wish", 1); err != nil || v.Title != craneTitle || strings.Join(v.Audience, ",") != "primary,junior" || strings.Join(v.Topics, ",") != "stress" {
		t.Fatalf("stored draft: got %+v, %v; want the fields as typed", v, err)
	}
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
	p.Axe(t, "curator hit test")
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
	p.Axe(t, "curator gaps")
	if got := p.Text(t, "#gaps tbody tr"); !strings.Contains(got, "sleep") || !strings.Contains(got, "3") {
		t.Errorf("gap report: got %q, want sleep 3", got)
	}

	// A desktop and a phone: nothing wider than the screen on any tab.
	for _, tab := range []string{"list", "edit", "hit", "gaps", "feedback"} {
		p.Do(t, chromedp.Click(chromedp.CSS(`.tab[data-tab="`+tab+`"]`)))
		time.Sleep(200 * time.Millisecond)
		p.Fits(t, "curator "+tab+" tab")
	}
	p.Axe(t, "curator feedback")
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

// TestCuratorFindsAndEdits drives the curator's list of the whole vetted
// material in headless Chromium: a document low in the list opens in view
// with the focus on it and its submit button reachable without scrolling,
// on a desktop and on a phone; the search over titles and texts and the
// topic, band, language and due-for-review filters list exactly the
// matching documents; the editor's front matter fields refuse bad values
// beside each field and keep everything typed.
func TestCuratorFindsAndEdits(t *testing.T) {
	p := apptest.Browser(t)
	s := apptest.Start(t, storetest.MustOpenSQLite(t), app.Options{})
	s.AddStaff(t, "li", xinqiao.RoleCurator, "李老师")
	s.AddStaff(t, "chen", xinqiao.RoleCurator, "陈老师")
	li, chen := s.Login(t, "li"), s.Login(t, "chen")

	// A document last in the list, approved with its review long overdue,
	// then a second version left as a draft.
	doc := map[string]any{"id": "zz-old-advice", "title": "旧的建议", "lang": "zh", "audience": []string{"junior"},
		"topics": []string{"stress"}, "review_due": "2020-01-01", "body": "## 旧的建议\n\n深呼吸，慢慢来。"}
	var created struct{ Version version }
	if code := li.Do(t, "POST", "/api/kb/documents", doc, &created); code != 201 {
		t.Fatalf("create: got %d", code)
	}
	if code := li.Do(t, "POST", "/api/kb/documents/zz-old-advice/submit", map[string]int{"version": 1}, nil); code != 200 {
		t.Fatalf("submit: got %d", code)
	}
	if code := chen.Do(t, "POST", "/api/kb/documents/zz-old-advice/approve", map[string]int{"version": 1}, nil); code != 200 {
		t.Fatalf("approve: got %d", code)
	}
	doc["review_due"], doc["body"] = "2030-01-01", "## 新的建议\n\n深呼吸，慢慢来，再和信任的人说说。"
	if code := li.Do(t, "POST", "/api/kb/documents", doc, &created); code != 201 || created.Version.Version != 2 {
		t.Fatalf("second draft: got %d %+v", code, created.Version)
	}
	all, err := s.Store.Documents(t.Context(), xinqiao.DocumentFilter{})
	if err != nil || len(all) < 80 {
		t.Fatalf("documents: got %d, %v; want the vetted material", len(all), err)
	}
	want := func(keep func(d xinqiao.Document) bool) string {
		var ids []string
		for _, d := range all {
			if keep(d) {
				ids = append(ids, d.ID)
			}
		}
		return strings.Join(ids, ",")
	}
	listed := `[...document.querySelectorAll("#docs tr.pick")].map(r => r.dataset.id).join(",")`

	p.Do(t, chromedp.EmulateViewport(1280, 800))
	p.Login(t, s.URL+"/curator", "li", "#tabs")
	waitEval(t, p, listed, want(func(xinqiao.Document) bool { return true }))

	// Open the last document: it shows in the viewport, focused, with its
	// submit button on screen.
	inView := func(css string) string {
		return p.Eval(t, `(() => { const r = document.querySelector(`+jsQuote(css)+`).getBoundingClientRect(); return r.top >= 0 && r.bottom <= innerHeight && r.left >= 0 && r.right <= innerWidth; })()`)
	}
	p.Do(t, chromedp.Click(chromedp.CSS(`#docs tr[data-id="zz-old-advice"] button.open`)),
		chromedp.WaitVisible(chromedp.CSS(`#detail button.act-submit`)))
	if got := p.Eval(t, "scrollY"); got == "0" {
		t.Fatalf("scrollY: got 0, want the list scrolled down to its last row")
	}
	for _, css := range []string{"#detail h2", "#detail button.act-submit"} {
		if got := inView(css); got != "true" {
			t.Errorf("desktop: %s is off screen after opening the last document", css)
		}
	}
	if got := p.Eval(t, `document.getElementById("detail").contains(document.activeElement)`); got != "true" {
		t.Errorf("desktop: focus is on %s, want it in the document", p.Eval(t, "document.activeElement.outerHTML.slice(0, 80)"))
	}
	p.Axe(t, "curator, last document open")
	p.Do(t, chromedp.Click(chromedp.CSS(`#detail button.act-submit`)),
		chromedp.WaitVisible(chromedp.CSS(`#detail button.act-approve`)))
	if v, err := s.Store.Version(t.Context(), "zz-old-advice", 2); err != nil || v.State != xinqiao.StateReview {
		t.Fatalf("after submit: got %+v, %v; want v2 in review", v.State, err)
	}

	// Search and filters.
	setSelect := func(css, v string) { // sets a field as a user would, with its input and change events
		p.Do(t, chromedp.Evaluate[chromedp.Void](`(e => { e.value = `+jsQuote(v)+`; e.dispatchEvent(new Event("input")); e.dispatchEvent(new Event("change")); })(document.querySelector(`+jsQuote(css)+`))`))
	}
	p.Do(t, chromedp.SendKeys(chromedp.CSS("#f-q"), "翻来覆去"))
	waitEval(t, p, listed, "sleep-zh")
	if got := p.Text(t, `#docs tr[data-id="sleep-zh"] .match`); !strings.Contains(got, "翻来覆去") {
		t.Errorf("search match: got %q, want the words around 翻来覆去", got)
	}
	p.Axe(t, "curator list searched")
	p.Do(t, chromedp.SetValue(chromedp.CSS("#f-q"), "SLEEP"), chromedp.Click(chromedp.CSS("#f-go")))
	waitEval(t, p, listed, want(func(d xinqiao.Document) bool {
		v, _ := s.Store.Version(t.Context(), d.ID, d.Latest)
		return strings.Contains(strings.ToLower(d.ID+d.Title+strings.Join(d.Topics, " ")+v.Body), "sleep")
	}))
	setSelect("#f-q", "")
	setSelect("#f-topic", "sleep")
	waitEval(t, p, listed, want(func(d xinqiao.Document) bool { return slices.Contains(d.Topics, "sleep") }))
	setSelect("#f-topic", "")
	setSelect("#f-band", "primary")
	setSelect("#f-lang", "en")
	waitEval(t, p, listed, want(func(d xinqiao.Document) bool { return slices.Contains(d.Audience, "primary") && d.Lang == "en" }))
	setSelect("#f-band", "")
	setSelect("#f-lang", "")
	p.Do(t, chromedp.Click(chromedp.CSS("#f-due")))
	waitEval(t, p, listed, "zz-old-advice")
	p.Do(t, chromedp.Click(chromedp.CSS("#f-due")))
	setSelect("#f-state", "review")
	waitEval(t, p, listed, "zz-old-advice")
	setSelect("#f-state", "")
	waitEval(t, p, listed, want(func(xinqiao.Document) bool { return true }))
	p.Fits(t, "curator list")

	// The keyboard alone: Enter on a document's title opens it with the
	// focus in it; its close button returns the focus to the title.
	kbID := all[len(all)-2].ID
	p.Do(t, chromedp.Focus(chromedp.CSS(`#docs tr[data-id="`+kbID+`"] button.open`)), chromedp.KeyEvent(kb.Enter))
	waitEval(t, p, `document.activeElement.closest("#detail") !== null && document.querySelector("#detail h2").textContent.includes(`+jsQuote(kbID)+`)`, "true")
	p.Do(t, chromedp.Focus(chromedp.CSS("#detail button.close")), chromedp.KeyEvent(kb.Enter))
	waitEval(t, p, `document.activeElement.closest("tr") ? document.activeElement.closest("tr").dataset.id : ""`, kbID)

	// On a phone the document opens below the list, scrolled into view.
	p.Do(t, chromedp.EmulateViewport(390, 800),
		chromedp.Click(chromedp.CSS(`#docs tr[data-id="`+all[len(all)-3].ID+`"] button.open`)),
		chromedp.WaitVisible(chromedp.CSS(`#detail h2`)))
	waitEval(t, p, `document.querySelector("#detail h2").textContent.includes(`+jsQuote(all[len(all)-3].ID)+`)`, "true")
	time.Sleep(200 * time.Millisecond)
	if got := inView("#detail h2"); got != "true" {
		t.Errorf("phone: the document's heading is off screen")
	}
	p.Do(t, chromedp.EmulateViewport(1280, 800))

	// The editor: bad values are named beside their fields and nothing
	// typed is lost; fixed, the draft saves.
	body := "## 第一段\n\n这里是正文，不能丢。"
	p.Do(t, chromedp.Click(chromedp.CSS(`.tab[data-tab="edit"]`)), chromedp.Click(chromedp.CSS("#do-new")),
		chromedp.SetValue(chromedp.CSS("#e-id"), "bad id"),
		chromedp.SetValue(chromedp.CSS("#md"), body),
		chromedp.Click(chromedp.CSS(`input[name="audience"][value="junior"]`)),
		chromedp.Click(chromedp.CSS(`input[name="audience"][value="senior"]`)))
	setSelect("#e-kind", "card")
	p.Do(t, chromedp.Click(chromedp.CSS("#do-save")))
	waitText(t, p, "#edit-msg", "需要修改")
	for _, f := range []string{"id", "title", "audience", "topics", "pinned_for"} {
		if got := p.Text(t, `[data-field="`+f+`"] .field-error`); got == "" {
			t.Errorf("field %s: no error shown", f)
		}
	}
	if got := p.Eval(t, `document.querySelector("#e-id").getAttribute("aria-invalid") + " " + document.activeElement.id`); got != "true e-id" {
		t.Errorf("first bad field: got %q, want the id marked invalid and focused", got)
	}
	if got := p.Eval(t, `document.querySelector("#md").value`); got != body {
		t.Errorf("body after a refused save: got %q, want %q", got, body)
	}
	p.Axe(t, "curator editor with errors")
	if n, _ := s.Store.Documents(t.Context(), xinqiao.DocumentFilter{}); len(n) != len(all) {
		t.Fatalf("a refused draft was stored: %d documents, want %d", len(n), len(all))
	}
	p.Do(t, chromedp.SetValue(chromedp.CSS("#e-id"), "fixed-card"),
		chromedp.SetValue(chromedp.CSS("#e-title"), "修好了"),
		chromedp.SetValue(chromedp.CSS("#e-topics"), "stress, sleep"),
		chromedp.Click(chromedp.CSS(`input[name="audience"][value="junior"]`)))
	setSelect("#e-kind", "article")
	p.Do(t, chromedp.Click(chromedp.CSS("#do-save")))
	waitText(t, p, "#edit-msg", "fixed-card v1")
	if v, err := s.Store.Version(t.Context(), "fixed-card", 1); err != nil || v.Body != strings.TrimSpace(body) || strings.Join(v.Topics, ",") != "stress,sleep" || v.Kind != xinqiao.KindArticle {
		t.Fatalf("stored: got %+v, %v", v, err)
	}
	if got := p.Eval(t, `[...document.querySelectorAll(".field-error")].map(e => e.textContent).join("")`); got != "" {
		t.Errorf("after a good save: errors still shown: %q", got)
	}
}

// waitEval waits until a JavaScript expression's value is want.
func waitEval(t *testing.T, p *apptest.Page, expr, want string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := p.Eval(t, expr)
		if got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: got %.500q, want %.500q", expr, got, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
