package web_test

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"xinqiao/internal/app"
	"xinqiao/internal/apptest"
	"xinqiao/internal/storetest"
	"xinqiao/internal/xinqiao"

	"github.com/chromedp/chromedp"
)

// rulesPageStatus is the part of GET /api/risk/rules the page test reads.
type rulesPageStatus struct {
	Version      int    `json:"version"`
	Source       string `json:"source"`
	Note         string `json:"note"`
	AuthorName   string `json:"author_name"`
	InForce      bool   `json:"in_force"`
	BuiltinRules int    `json:"builtin_rules"`
	Rules        []struct {
		ID string `json:"id"`
	} `json:"rules"`
}

// rulesPageCheck is the part of POST /api/risk/rules/check the page test reads.
type rulesPageCheck struct {
	OK      bool `json:"ok"`
	Results []struct {
		Text    string `json:"text"`
		Current struct {
			Level string   `json:"level"`
			Rules []string `json:"rules"`
		} `json:"current"`
	} `json:"results"`
	Cases int `json:"cases"`
}

// The invented slang of the test: no built-in rule knows it.
const (
	pageSlang    = "数星星桥"
	pageSentence = "我最近又去数星星桥了"
	pageBenign   = "周末和同学去公园玩"
)

// setDraft puts text into the draft editor as typing would (with an input
// event, so that line numbers and the unsaved marker follow).
func setDraft(t *testing.T, p *apptest.Page, text string) {
	t.Helper()
	p.Eval(t, `(() => { const d = document.querySelector("#draft"); d.value = `+jsonStr(text)+`; d.dispatchEvent(new Event("input")); return "" })()`)
}

func draftValue(t *testing.T, p *apptest.Page) string {
	t.Helper()
	return p.Eval(t, `document.querySelector("#draft").value`)
}

// pageLogin logs out of /rules, logs username in on its login form and
// waits for the CSS selector ready.
func pageLogin(t *testing.T, p *apptest.Page, username, ready string) {
	t.Helper()
	// Logging out reloads the page with the login form.
	p.Do(t, chromedp.Click(chromedp.CSS("#logout")))
	p.Login(t, "", username, ready)
}

// TestRulesPage drives /rules in headless Chromium as a counselor: the form
// turns an invented slang phrase into a rule block, "try it" shows it graded
// none now and high in the draft with the span marked, publishing makes it
// version 1 and the classifier in force grades it high (checked through the
// API too); a syntax error points at its line; a publish from a stale base
// after someone else's publish shows the conflict and keeps the draft; a
// draft that lowers reference cases lists them, is refused to a counselor
// and published by a supervisor who accepts it; the page fits a phone; a
// curator is told the page is not for them.
func TestRulesPage(t *testing.T) {
	p := apptest.Browser(t)
	s := apptest.Start(t, storetest.MustOpenSQLite(t), app.Options{})
	s.AddStaff(t, "wang", xinqiao.RoleCounselor, "王老师")
	s.AddStaff(t, "zhang", xinqiao.RoleSupervisor, "张主任")
	s.AddStaff(t, "chen", xinqiao.RoleCurator, "陈老师")
	zhang := adminSession(t, s, "zhang")

	var st0 rulesPageStatus
	if code := zhang.Do(t, "GET", "/api/risk/rules", nil, &st0); code != 200 || st0.Version != 0 || st0.BuiltinRules == 0 {
		t.Fatalf("before: got %d %+v, want 200, version 0 and the built-in rules counted", code, st0)
	}

	p.Login(t, s.URL+"/rules", "wang", "#app")
	if got := p.Eval(t, "document.title"); !startsHan(got) {
		t.Errorf("title: got %q, want Chinese first", got)
	}
	for _, sel := range []string{"h1", "#sec-add h2", "#sec-draft h2", "#sec-try h2", "#sec-publish h2", "#sec-history h2"} {
		if got := p.Text(t, sel); !startsHan(got) {
			t.Errorf("%s: got %q, want Chinese first", sel, got)
		}
	}
	waitText(t, p, "#status-version", "还没有发布")
	if got, want := p.Text(t, "#status-counts"), fmt.Sprintf("内置规则 %d 条", st0.BuiltinRules); !strings.Contains(got, want) {
		t.Errorf("counts: got %q, want %q", got, want)
	}
	if got := p.Eval(t, `performance.getEntriesByType("resource").filter(e => !e.name.startsWith(location.origin)).map(e => e.name).join(" ")`); got != "" {
		t.Errorf("external resources: got %q, want none", got)
	}

	// A phrase with | is refused and leaves the draft alone.
	p.Do(t, chromedp.SetValue(chromedp.CSS("#add-phrases"), "坏|说法"), chromedp.Click(chromedp.CSS("#add-go")))
	waitText(t, p, "#add-msg", "|")
	if got := p.Eval(t, `document.querySelector("#add-msg").className`); got != "error" {
		t.Errorf("refused phrase: message class %q, want error", got)
	}
	if got := draftValue(t, p); got != "" {
		t.Errorf("draft after a refused phrase: got %q, want it empty", got)
	}

	// The form builds a rule block: blanks trimmed, one id per category.
	p.Do(t,
		chromedp.SetValue(chromedp.CSS("#add-phrases"), "  "+pageSlang+"  \n\n看月亮船\n"),
		chromedp.SetValue(chromedp.CSS("#add-lang"), "zh"),
		chromedp.SetValue(chromedp.CSS("#add-category"), "self_harm"),
		chromedp.SetValue(chromedp.CSS("#add-level"), "high"),
		chromedp.SetValue(chromedp.CSS("#add-note"), "某校学生对自伤的说法"),
		chromedp.SetValue(chromedp.CSS("#add-desc"), "说自伤的俚语（本校说法）"),
		chromedp.Click(chromedp.CSS("#add-go")))
	waitText(t, p, "#add-msg", "district.self_harm.1")
	draft1 := draftValue(t, p)
	for _, want := range []string{"rule district.self_harm.1\n", "lang: zh\n", "category: self_harm\n", "level: high\n",
		"match: " + pageSlang + " | 看月亮船\n", "note: 某校学生对自伤的说法\n", "desc: 说自伤的俚语（本校说法）\n"} {
		if !strings.Contains(draft1, want) {
			t.Errorf("draft: got %q, want a line %q", draft1, want)
		}
	}
	if got := p.Count(t, "#gutter span"); got != strings.Count(draft1, "\n")+1 {
		t.Errorf("line numbers: got %d, want %d", got, strings.Count(draft1, "\n")+1)
	}
	waitText(t, p, "#dirty", "未发布")

	// Try it: none with the rules in force, high with the draft, the slang marked.
	p.Do(t, chromedp.SetValue(chromedp.CSS("#try-texts"), pageSentence+"\n"+pageBenign),
		chromedp.Click(chromedp.CSS("#do-check")))
	p.WaitCount(t, "#results tbody tr", 2)
	waitText(t, p, "#check-msg", "可以编译")
	p.Axe(t, "rules page with a checked draft")
	p.Fits(t, "rules page with a checked draft")
	if got := p.Text(t, "#results th"); !startsHan(got) {
		t.Errorf("#results th: got %q, want Chinese first", got)
	}
	row := func(n, col int) string {
		return p.Text(t, fmt.Sprintf("#results tbody tr:nth-child(%d) td:nth-child(%d)", n, col))
	}
	if now, dr := row(1, 2), row(1, 3); !strings.Contains(now, "none") || !strings.Contains(dr, "high") || !strings.Contains(dr, "district.self_harm.1") {
		t.Errorf("sentence 1: got now %q, draft %q; want none now, high by district.self_harm.1 in the draft", now, dr)
	}
	if got := p.Text(t, "#results tbody tr:nth-child(1) mark.hl-draft"); got != pageSlang {
		t.Errorf("marked span: got %q, want %q", got, pageSlang)
	}
	if got := p.Eval(t, `document.querySelector("#results tbody tr:nth-child(1)").className`); !strings.Contains(got, "differs") {
		t.Errorf("row 1 class: got %q, want it marked as differing", got)
	}
	if got := p.Eval(t, `document.querySelector("#results tbody tr:nth-child(2)").className`); strings.Contains(got, "differs") {
		t.Errorf("row 2 class: got %q, want the benign sentence unmarked", got)
	}
	if n := p.Count(t, "#results tbody tr:nth-child(2) mark.hl-draft"); n != 0 {
		t.Errorf("benign sentence: got %d draft marks, want 0", n)
	}
	cases := regexp.MustCompile(`共运行 (\d+) 条参考用例`).FindStringSubmatch(p.Text(t, "#cases-summary"))
	if cases == nil || cases[1] == "0" {
		t.Errorf("reference cases: got %q, want a count of cases run", p.Text(t, "#cases-summary"))
	}
	if got := p.Eval(t, `JSON.stringify(Object.entries(localStorage))`); strings.Contains(got, pageSentence) || strings.Contains(got, pageBenign) {
		t.Errorf("localStorage holds a try-it sentence: %.300s", got)
	}

	// Publish: a note is required, then version 1.
	p.Do(t, chromedp.Click(chromedp.CSS("#do-publish")))
	waitText(t, p, "#pub-msg", "请填写发布说明")
	p.Do(t, chromedp.SetValue(chromedp.CSS("#pub-note"), "加入某校学生的自伤俚语"), chromedp.Click(chromedp.CSS("#do-publish")))
	waitText(t, p, "#pub-msg", "已发布第 1 版")
	waitText(t, p, "#status-version", "第 1 版")
	waitText(t, p, "#status-version", "王老师")
	waitText(t, p, "#rules tbody", "district.self_harm.1")
	waitText(t, p, "#history tbody", "加入某校学生的自伤俚语")
	waitText(t, p, "#dirty", "与已发布版本相同")
	if got := p.Count(t, "#history tbody tr[data-version]"); got != 1 {
		t.Errorf("history rows: got %d, want 1", got)
	}
	if got := p.Eval(t, `document.querySelector("#pub-note").value`); got != "" {
		t.Errorf("note after publish: got %q, want it cleared", got)
	}

	var st1 rulesPageStatus
	if code := zhang.Do(t, "GET", "/api/risk/rules", nil, &st1); code != 200 || st1.Version != 1 || st1.AuthorName != "王老师" || !st1.InForce ||
		st1.Note != "加入某校学生的自伤俚语" || st1.Source != draftValue(t, p) {
		t.Fatalf("after publish: got %d %+v, want version 1 by 王老师, in force, with the page's draft as source", code, st1)
	}
	// The classifier in force now grades the slang high (within seconds on every node).
	deadline := time.Now().Add(5 * time.Second)
	for {
		var ck rulesPageCheck
		code := zhang.Do(t, "POST", "/api/risk/rules/check", map[string]any{"source": st1.Source, "texts": []string{pageSentence}}, &ck)
		if code != 200 || !ck.OK || len(ck.Results) != 1 {
			t.Fatalf("check: got %d %+v, want 200 ok with one result", code, ck)
		}
		cur := ck.Results[0].Current
		if cur.Level == "high" && strings.Contains(strings.Join(cur.Rules, " "), "district.self_harm.1") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("rules in force after publish: got %+v, want high by district.self_harm.1", cur)
		}
		time.Sleep(100 * time.Millisecond)
	}
	// The console describes the district's rule by the desc written here.
	var descs struct {
		Descriptions map[string]string `json:"descriptions"`
	}
	if code := zhang.Do(t, "GET", "/api/risk/rules/descriptions", nil, &descs); code != 200 || descs.Descriptions["district.self_harm.1"] != "说自伤的俚语（本校说法）" ||
		descs.Descriptions["zh.suicide.ideation.want_die"] == "" {
		t.Errorf("descriptions: got %d, district.self_harm.1 %q, want the desc from the form and the built-in rules'", code, descs.Descriptions["district.self_harm.1"])
	}

	// The other staff pages link here; a reload shows the published version.
	p.Do(t, chromedp.Navigate(s.URL+"/reports"))
	p.WaitCount(t, `nav.pages a[href="/rules"]`, 1)
	p.Do(t, chromedp.Navigate(s.URL+"/rules"), chromedp.WaitVisible(chromedp.CSS("#app")))
	waitText(t, p, "#status-version", "第 1 版")
	if got := draftValue(t, p); got != st1.Source {
		t.Errorf("draft after reload: got %q, want the published source %q", got, st1.Source)
	}

	// A syntax error names its line, which the editor selects.
	bad := st1.Source + "\nrule district.bullying.1\nmatch 没有冒号\n"
	badLine := strings.Count(st1.Source, "\n") + 3
	setDraft(t, p, bad)
	p.Do(t, chromedp.SetValue(chromedp.CSS("#try-texts"), pageSentence), chromedp.Click(chromedp.CSS("#do-check")))
	waitText(t, p, "#draft-error", fmt.Sprintf("第 %d 行", badLine))
	if got := p.Text(t, "#gutter .err"); got != strconv.Itoa(badLine) {
		t.Errorf("gutter: got line %q marked, want %d", got, badLine)
	}
	if got := p.Eval(t, `(() => { const d = document.querySelector("#draft"); return d.value.slice(d.selectionStart, d.selectionEnd) })()`); got != "match 没有冒号" {
		t.Errorf("selection: got %q, want the bad line", got)
	}
	if got := p.Text(t, "#results tbody tr:nth-child(1) td:nth-child(3)"); !strings.Contains(got, "无法编译") {
		t.Errorf("draft column of a broken draft: got %q, want it said", got)
	}
	// Publishing it is refused with the same line.
	p.Do(t, chromedp.SetValue(chromedp.CSS("#pub-note"), "坏的"), chromedp.Click(chromedp.CSS("#do-publish")))
	waitText(t, p, "#pub-msg", "无法编译")
	waitText(t, p, "#draft-error", fmt.Sprintf("第 %d 行", badLine))

	// Conflict: a supervisor publishes through the API while the counselor
	// edits a draft based on version 1.
	p.Do(t, chromedp.Click(chromedp.CSS("#do-reset")))
	waitText(t, p, "#dirty", "与已发布版本相同")
	p.Do(t,
		chromedp.SetValue(chromedp.CSS("#add-phrases"), "看云朵塔"),
		chromedp.SetValue(chromedp.CSS("#add-category"), "bullying"),
		chromedp.SetValue(chromedp.CSS("#add-level"), "medium"),
		chromedp.Click(chromedp.CSS("#add-go")))
	waitText(t, p, "#add-msg", "district.bullying.1")
	mine := draftValue(t, p)
	var v2 rulesPageStatus
	if code := zhang.Do(t, "PUT", "/api/risk/rules", map[string]any{"source": st1.Source + "\n# 张主任看过\n", "base_version": 1, "note": "主管的修改"}, &v2); code != 200 || v2.Version != 2 {
		t.Fatalf("publish by API: got %d %+v, want 200 version 2", code, v2)
	}
	p.Do(t, chromedp.SetValue(chromedp.CSS("#pub-note"), "加入欺凌说法"), chromedp.Click(chromedp.CSS("#do-publish")))
	waitText(t, p, "#conflict", "发布冲突")
	waitText(t, p, "#conflict", "第 2 版")
	waitText(t, p, "#pub-msg", "没有发布")
	waitText(t, p, "#status-version", "第 2 版")
	if got := draftValue(t, p); got != mine {
		t.Errorf("draft after a conflict: got %q, want the counselor's draft %q kept", got, mine)
	}
	var st2 rulesPageStatus
	if zhang.Do(t, "GET", "/api/risk/rules", nil, &st2); st2.Version != 2 {
		t.Errorf("after the conflict: got version %d, want 2 (the stale publish refused)", st2.Version)
	}
	// Keeping the draft over the new version publishes it as version 3.
	p.Do(t, chromedp.Click(chromedp.CSS("#conflict-keep")), chromedp.Click(chromedp.CSS("#do-publish")))
	waitText(t, p, "#pub-msg", "已发布第 3 版")
	var st3 rulesPageStatus
	if zhang.Do(t, "GET", "/api/risk/rules", nil, &st3); st3.Version != 3 || st3.Source != mine || st3.Note != "加入欺凌说法" {
		t.Errorf("after keeping the draft: got %+v, want version 3 with the counselor's draft", st3)
	}

	// Switching off a built-in rule lowers reference cases: a counselor is
	// shown which and cannot publish it; a supervisor accepts and publishes.
	lowering := st3.Source + "\ndisable zh.suicide.ideation.want_die\n"
	setDraft(t, p, lowering)
	p.Do(t, chromedp.SetValue(chromedp.CSS("#pub-note"), "关掉想死"), chromedp.Click(chromedp.CSS("#do-publish")))
	waitText(t, p, "#lowered", "等级降低")
	waitText(t, p, "#pub-msg", "主管")
	if got := p.Count(t, "#lowered li"); got == 0 {
		t.Errorf("lowered cases: got none listed, want them shown")
	}
	if got := p.Count(t, "#accept-lowered"); got != 0 {
		t.Errorf("counselor: got %d accept boxes, want none", got)
	}
	if got := p.Count(t, "#changed tbody tr.lowered"); got == 0 {
		t.Errorf("changed cases: got no row marked lowered")
	}
	if got := p.Eval(t, `document.querySelector("#changed tbody tr").className`); got != "lowered" {
		t.Errorf("changed cases: first row class %q, want lowered ones first", got)
	}
	var st4 rulesPageStatus
	if zhang.Do(t, "GET", "/api/risk/rules", nil, &st4); st4.Version != 3 {
		t.Errorf("after the counselor's lowering publish: got version %d, want 3", st4.Version)
	}
	p.Do(t, chromedp.Click(chromedp.CSS("#do-reset")))
	waitText(t, p, "#dirty", "与已发布版本相同")
	pageLogin(t, p, "zhang", "#app")
	setDraft(t, p, lowering)
	p.Do(t, chromedp.SetValue(chromedp.CSS("#pub-note"), "主管确认关掉"), chromedp.Click(chromedp.CSS("#do-publish")))
	p.WaitCount(t, "#accept-lowered", 1)
	waitText(t, p, "#lowered", "等级降低")
	p.Axe(t, "rules page asking a supervisor to accept a lowering")
	p.Do(t, chromedp.Click(chromedp.CSS("#accept-lowered")), chromedp.Click(chromedp.CSS("#do-publish")))
	waitText(t, p, "#pub-msg", "已发布第 4 版")
	if zhang.Do(t, "GET", "/api/risk/rules", nil, &st4); st4.Version != 4 || st4.Source != lowering {
		t.Errorf("after the supervisor accepted: got version %d, want 4 with the lowering draft", st4.Version)
	}

	// A phone: nothing wider than the screen outside scroll boxes.
	p.Do(t, chromedp.EmulateViewport(375, 700))
	time.Sleep(200 * time.Millisecond)
	wide := p.Eval(t, `[...document.querySelectorAll("body *")].filter(e => e.getBoundingClientRect().right > innerWidth + 1 && !e.closest(".scroll")).map(e => e.tagName + (e.id ? "#" + e.id : "")).slice(0, 5).join(" ")`)
	if w := p.Eval(t, "document.documentElement.scrollWidth"); w != "375" || wide != "" {
		t.Errorf("on a 375 px screen: page is %s px wide, too wide: %q", w, wide)
	}
	p.Do(t, chromedp.EmulateViewport(1024, 768))

	// A curator is told this page is not for them.
	pageLogin(t, p, "chen", "#denied")
	if got := p.Text(t, "#denied"); !strings.Contains(got, "教研员") {
		t.Errorf("curator: got %q, want the page to say it is not for curators", got)
	}
	if got := p.Count(t, "#app:not(.hidden)"); got != 0 {
		t.Errorf("curator: the rules app is shown")
	}
}

// TestRulesPageShowsRaisedLookalikes: a draft that pages on hyperbole shows,
// before anything is published, the look-alikes it would raise above their
// label, marked as false alarms.
func TestRulesPageShowsRaisedLookalikes(t *testing.T) {
	p := apptest.Browser(t)
	s := apptest.Start(t, storetest.MustOpenSQLite(t), app.Options{})
	s.AddStaff(t, "wang", xinqiao.RoleCounselor, "王老师")
	p.Login(t, s.URL+"/rules", "wang", "#app")
	setDraft(t, p, "rule district.noisy\nlang: zh\ncategory: suicide\nlevel: high\nmatch: 累死\n")
	p.Do(t, chromedp.SetValue(chromedp.CSS("#try-texts"), "今天累死了"), chromedp.Click(chromedp.CSS("#do-check")))
	p.WaitCount(t, "#results tbody tr", 1)
	waitText(t, p, "#cases-summary", "升到警报等级")
	if n := p.Count(t, "#changed tbody tr"); n == 0 {
		t.Fatal("no changed reference cases listed")
	}
	if got := p.Text(t, "#changed tbody tr:first-child"); !strings.Contains(got, "误报") {
		t.Errorf("first changed case: got %q, want it marked as a false alarm", got)
	}
	if got := p.Text(t, "#results tbody tr:first-child"); !strings.Contains(got, "raised") {
		t.Errorf("try-it row: got %q, want the draft's rise marked", got)
	}
}
