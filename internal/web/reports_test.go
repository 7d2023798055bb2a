package web_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"xinqiao/internal/app"
	"xinqiao/internal/apptest"
	"xinqiao/internal/reports"
	"xinqiao/internal/storetest"
	"xinqiao/internal/web"
	"xinqiao/internal/xinqiao"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// reportSecret is the student's text in the fixture: it must never appear
// in a report.
const reportSecret = "我不想活了这是学生原话"

// reportFixture starts the service on a store seeded, through the store
// methods and relative to now, with two schools' conversations started 12
// minutes ago: 一中's handoff waits (opened 10 minutes ago), 二中's (opened
// 11 minutes ago) was claimed after 60 s and closed as referred. Every event
// lies in the last 12 minutes, so that a one-day report holds them all but
// in the first minutes after midnight in Guangzhou (reportsOneDay). Staff:
// an admin, a supervisor, a counselor of 一中 on duty, a counselor without a
// school, a curator. Two gaps were counted.
func reportFixture(t *testing.T, store xinqiao.Store) (*apptest.Server, []string) {
	t.Helper()
	ctx := context.Background()
	s := apptest.Start(t, store, app.Options{})
	s.AddStaff(t, "root", xinqiao.RoleAdmin, "管理员")
	s.AddStaff(t, "zhang", xinqiao.RoleSupervisor, "张主任")
	s.AddStaff(t, "wang", xinqiao.RoleCounselor, "王老师")
	s.AddStaff(t, "chen", xinqiao.RoleCurator, "陈老师")
	li, err := web.CreateStaff(ctx, store, "li", apptest.Password, xinqiao.RoleCounselor, "李老师", "一中")
	if err != nil {
		t.Fatal(err)
	}
	if err := store.SetOnDuty(ctx, li.ID, true); err != nil {
		t.Fatal(err)
	}
	for _, tm := range []xinqiao.Terminal{{Code: "R-A", School: "一中"}, {Code: "R-B", School: "二中"}} {
		if err := store.UpsertTerminal(ctx, tm); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Now().UTC().Truncate(time.Millisecond)
	var ids []string
	for _, term := range []string{"R-A", "R-B"} {
		c := xinqiao.Conversation{ID: xinqiao.NewID(), Terminal: term, Lang: "zh", CreatedAt: now.Add(-12 * time.Minute)}
		ss := xinqiao.StudentSession{TokenHash: xinqiao.HashToken(xinqiao.NewToken()), CreatedAt: c.CreatedAt, ExpiresAt: now.Add(time.Hour)}
		if err := store.CreateConversation(ctx, c, ss); err != nil {
			t.Fatal(err)
		}
		if _, _, err := store.AppendMessage(ctx, xinqiao.NewMessage{ConversationID: c.ID, Role: xinqiao.RoleStudent, Text: reportSecret,
			Risk: &xinqiao.RiskMark{Level: xinqiao.LevelHigh, Categories: []string{"suicide"}, Rules: []string{"zh.test"}}}); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, c.ID)
	}
	open := func(convID string, at time.Time) xinqiao.Handoff {
		h, _, _, err := store.OpenHandoff(ctx, xinqiao.NewHandoff{ConversationID: convID, Level: xinqiao.LevelHigh,
			Categories: []string{"suicide"}, Rules: []string{"zh.test"}, MessageSeq: 1, At: at})
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	h1 := open(ids[0], now.Add(-10*time.Minute))
	h2 := open(ids[1], now.Add(-11*time.Minute))
	if _, err := store.ClaimHandoff(ctx, h2.ID, li.ID, h2.OpenedAt.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, err := store.CloseHandoff(ctx, h2.ID, xinqiao.CloseHandoff{StaffID: li.ID, Outcome: xinqiao.OutcomeReferred,
		Note: reportSecret, Mode: xinqiao.ModeAI, At: now.Add(-5 * time.Minute)}); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := store.CountGap(ctx, now.In(reports.Zone), "sleep", "zh"); err != nil {
			t.Fatal(err)
		}
	}
	return s, append(ids, h1.ID, h2.ID)
}

// reportsOneDay is the from date of a report of the fixture's day: today
// in Guangzhou, or from yesterday in the first quarter hour after midnight
// there, when the fixture's events straddle the two dates (the test failed
// at 00:04 Guangzhou time before its events were kept within 12 minutes).
func reportsOneDay(now time.Time) string {
	local := now.In(reports.Zone)
	midnight := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, reports.Zone)
	if local.Sub(midnight) < 15*time.Minute {
		return local.AddDate(0, 0, -1).Format(time.DateOnly)
	}
	return local.Format(time.DateOnly)
}

func TestReportsAPI(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			store := e.Open(t)
			s, secretIDs := reportFixture(t, store)
			today := time.Now().In(reports.Zone)
			day := func(d int) string { return today.AddDate(0, 0, d).Format(time.DateOnly) }
			login := map[string]*apptest.Staff{}
			for _, u := range []string{"root", "zhang", "li", "wang", "chen"} {
				login[u] = s.Login(t, u)
			}
			anon := &apptest.Staff{S: s, Client: http.DefaultClient}
			tests := []struct {
				name    string
				who     *apptest.Staff
				query   string
				code    int
				errCode string
				scope   string
				school  string
				opened  int // handoffs opened
				waiting int
			}{
				{"admin sees all", login["root"], "", 200, "", reports.ScopeAll, "", 2, 1},
				{"supervisor sees all", login["zhang"], "", 200, "", reports.ScopeAll, "", 2, 1},
				{"supervisor picks a school", login["zhang"], "?school=二中", 200, "", reports.ScopeAll, "二中", 1, 0},
				{"counselor sees own school", login["li"], "", 200, "", reports.ScopeSchool, "一中", 1, 1},
				{"counselor names own school", login["li"], "?school=一中", 200, "", reports.ScopeSchool, "一中", 1, 1},
				{"counselor asks another school", login["li"], "?school=二中", 403, "forbidden", "", "", 0, 0},
				{"counselor without school", login["wang"], "", 403, "forbidden", "", "", 0, 0},
				{"curator sees gaps only", login["chen"], "", 200, "", reports.ScopeGaps, "", 0, 0},
				{"anonymous", anon, "", 401, "unauthorized", "", "", 0, 0},
				{"bad from", login["zhang"], "?from=2026-13-01", 400, "invalid", "", "", 0, 0},
				{"bad to", login["zhang"], "?to=yesterday", 400, "invalid", "", "", 0, 0},
				{"reversed", login["zhang"], "?from=" + day(0) + "&to=" + day(-1), 400, "invalid", "", "", 0, 0},
				{"367 days", login["zhang"], "?from=" + day(-366) + "&to=" + day(0), 400, "invalid", "", "", 0, 0},
				{"366 days", login["zhang"], "?from=" + day(-365) + "&to=" + day(0), 200, "", reports.ScopeAll, "", 2, 1},
				{"one day", login["zhang"], "?from=" + reportsOneDay(today) + "&to=" + day(0), 200, "", reports.ScopeAll, "", 2, 1},
				{"period before", login["zhang"], "?from=" + day(-40) + "&to=" + day(-31), 200, "", reports.ScopeAll, "", 0, 1},
			}
			audited := 0
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					var rep reports.Report
					var eb web.ErrorBody
					code := tt.who.Do(t, "GET", "/api/reports"+tt.query, nil, &eb)
					if code != tt.code || eb.Error.Code != tt.errCode {
						t.Fatalf("got %d %q, want %d %q", code, eb.Error.Code, tt.code, tt.errCode)
					}
					if code != 200 {
						return
					}
					audited++
					body := getRaw(t, tt.who, "/api/reports"+tt.query, &rep)
					audited++
					for _, secret := range append([]string{reportSecret}, secretIDs...) {
						if strings.Contains(body, secret) {
							t.Errorf("report contains %q: no student text or ids allowed", secret)
						}
					}
					if rep.Scope != tt.scope || rep.School != tt.school {
						t.Errorf("scope: got %q %q, want %q %q", rep.Scope, rep.School, tt.scope, tt.school)
					}
					if rep.Gaps == nil {
						t.Fatalf("gaps: got none, want the gap part")
					}
					if tt.scope == reports.ScopeGaps {
						if rep.Handoffs != nil || rep.Days != nil || rep.Roster != nil || rep.FollowUps != nil {
							t.Errorf("curator: got %+v, want the gaps only", rep)
						}
						if rep.Gaps.Total != 2 {
							t.Errorf("gaps total: got %d, want 2", rep.Gaps.Total)
						}
						return
					}
					if rep.Handoffs == nil || rep.Roster == nil || rep.Totals == nil {
						t.Fatalf("got %+v, want handoffs, roster and totals", rep)
					}
					if got := rep.Handoffs.Opened; got != tt.opened {
						t.Errorf("handoffs opened: got %d, want %d", got, tt.opened)
					}
					if got := len(rep.Handoffs.Waiting); got != tt.waiting {
						t.Errorf("waiting: got %d, want %d", got, tt.waiting)
					}
					if tt.waiting == 1 {
						if w := rep.Handoffs.Waiting[0].WaitedSeconds; w < 590 || w > 700 {
							t.Errorf("waited: got %d s, want about 600", w)
						}
					}
					if tt.opened == 2 {
						h := rep.Handoffs
						if h.Claimed != 1 || h.Closed != 1 || h.Outcomes["referred"] != 1 || h.TimeToClaim.Count != 1 ||
							h.TimeToClaim.P50 != 60 || h.TimeToClaim.Max != 60 || h.OpenedByLevel["high"] != 2 {
							t.Errorf("handoffs: got %+v, want 1 claimed after 60 s, 1 closed as referred, 2 high", h)
						}
						if rep.Totals.ByLevel["high"] != 2 || rep.Totals.Conversations != 2 {
							t.Errorf("totals: got %+v, want 2 conversations and 2 high student messages", rep.Totals)
						}
					}
					if n := len(rep.Roster.OnDuty); n != 1 || rep.Roster.OnDuty[0].Name != "李老师" {
						if tt.school != "二中" || n != 0 {
							t.Errorf("roster: got %+v, want 李老师 on duty", rep.Roster.OnDuty)
						}
					}
					if want := len(rep.Days); rep.Days[want-1].Day != rep.To || rep.Days[0].Day != rep.From {
						t.Errorf("days: got %s..%s, want %s..%s", rep.Days[0].Day, rep.Days[want-1].Day, rep.From, rep.To)
					}
				})
			}
			evs, err := store.AuditEvents(context.Background(), "reports", 200)
			if err != nil {
				t.Fatal(err)
			}
			if len(evs) != audited {
				t.Errorf("audit: got %d reports.read events, want %d (one per served read)", len(evs), audited)
			}
			for _, ev := range evs {
				if ev.Action != "reports.read" || ev.Actor == "" {
					t.Errorf("audit event: got %+v, want action reports.read with an actor", ev)
				}
			}
		})
	}
}

// getRaw GETs path as st, decodes JSON into out and returns the body.
func getRaw(t *testing.T, st *apptest.Staff, path string, out any) string {
	t.Helper()
	resp, err := st.Client.Get(st.S.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: got %d, want 200", path, resp.StatusCode)
	}
	if err := json.Unmarshal(b, out); err != nil {
		t.Fatalf("GET %s: decode: %v", path, err)
	}
	return string(b)
}

func TestReportsCSV(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			store := e.Open(t)
			s, _ := reportFixture(t, store)
			tests := []struct {
				name  string
				who   string
				query string
				code  int
				rows  int
				head  string
			}{
				{"supervisor default 30 days", "zhang", "", 200, 31, "日期 day"},
				{"counselor one week", "li", "?from=" + time.Now().In(reports.Zone).AddDate(0, 0, -6).Format(time.DateOnly), 200, 8, "日期 day"},
				{"curator gaps", "chen", "", 200, 2, "日期 day"},
				{"reversed range", "zhang", "?from=2026-03-02&to=2026-03-01", 400, 0, ""},
				{"counselor without school", "wang", "", 403, 0, ""},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					st := s.Login(t, tt.who)
					resp, err := st.Client.Get(s.URL + "/api/reports.csv" + tt.query)
					if err != nil {
						t.Fatal(err)
					}
					defer resp.Body.Close()
					b, _ := io.ReadAll(resp.Body)
					if resp.StatusCode != tt.code {
						t.Fatalf("got %d %s, want %d", resp.StatusCode, b, tt.code)
					}
					if tt.code != 200 {
						if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
							t.Errorf("error content type: got %q, want JSON", ct)
						}
						return
					}
					if ct := resp.Header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
						t.Errorf("content type: got %q, want text/csv; charset=utf-8", ct)
					}
					if cd := resp.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment;") {
						t.Errorf("content disposition: got %q, want an attachment", cd)
					}
					if !strings.HasPrefix(string(b), "\ufeff") {
						t.Fatalf("got %q, want a UTF-8 byte-order mark first", b[:min(len(b), 8)])
					}
					rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(string(b), "\ufeff"))).ReadAll()
					if err != nil {
						t.Fatal(err)
					}
					if len(rows) != tt.rows || rows[0][0] != tt.head {
						t.Errorf("got %d rows, header %q; want %d rows, header %q", len(rows), rows[0][0], tt.rows, tt.head)
					}
					if strings.Contains(string(b), reportSecret) {
						t.Errorf("CSV contains student text")
					}
				})
			}
		})
	}
}

// TestReportsPage drives /reports in headless Chromium as a supervisor:
// login, tiles, the waiting handoff, the SVG chart, the school filter and
// the CSV link; Chinese first, nothing from elsewhere, fits a phone.
func TestReportsPage(t *testing.T) {
	p := apptest.Browser(t)
	s, _ := reportFixture(t, storetest.MustOpenSQLite(t))
	// Times are Beijing times whatever the browser's zone: run it in New
	// York, with 李老师 last seen at a known instant.
	li, err := s.Store.StaffByUsername(t.Context(), "li")
	if err != nil {
		t.Fatal(err)
	}
	seen := time.Now().UTC().Add(-30 * time.Second).Truncate(time.Second)
	if err := s.Store.TouchPresence(t.Context(), []string{li.ID}, seen); err != nil {
		t.Fatal(err)
	}
	p.Do(t, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: "America/New_York"})
		return err
	}))
	p.Login(t, s.URL+"/reports", "zhang", "#tiles .tile")
	p.Axe(t, "reports page with figures")
	p.Fits(t, "reports page with figures")
	if got, want := p.Text(t, "#roster tbody"), seen.In(reports.Zone).Format("15:04:05"); !strings.Contains(got, want) {
		t.Errorf("roster: got %q, want 李老师 last seen at %s Beijing time", got, want)
	}
	// Handoffs by kind with the time to a first look: the fixture's two
	// urgent handoffs, one claimed after a minute.
	if got := p.Eval(t, `[...document.querySelectorAll("#kinds tbody tr")].map(r => r.dataset.kind + ":" + [...r.cells].slice(1).map(c => c.textContent).join(",")).join(" ")`); got != "urgent:2,1,1,1分,1分,1分 requested:0,0,0,—,—,— review:0,0,0,—,—,—" {
		t.Errorf("by kind: got %q", got)
	}
	// Cards side by side (on a desktop) line up at the top.
	p.Do(t, chromedp.EmulateViewport(1280, 900))
	for _, sel := range []string{"#sec-now .grid > .card", "#tiles > .tile"} {
		if got := p.Eval(t, `String(new Set([...document.querySelectorAll(`+strconv.Quote(sel)+`)].slice(0, 2).map(e => Math.round(e.getBoundingClientRect().top))).size)`); got != "1" {
			t.Errorf("%s: the first two are not at the same height (%s tops)", sel, got)
		}
	}
	// Codes are shown with their Chinese label beside: outcomes, the gap's language.
	if got := p.Text(t, "#chart-outcomes"); !strings.Contains(got, "已转介 referred") {
		t.Errorf("outcomes chart: got %q, want 已转介 referred", got)
	}
	if got := p.Text(t, "#gaps tbody tr"); !strings.Contains(got, "中文 zh") {
		t.Errorf("gaps: got %q, want the language as 中文 zh", got)
	}
	if got := p.Text(t, "#kinds tbody tr"); !strings.HasPrefix(got, "立即处理 urgent") {
		t.Errorf("kind label: got %q, want 立即处理 urgent", got)
	}
	if got := p.Text(t, "#who"); got != "张主任" {
		t.Errorf("who: got %q, want 张主任", got)
	}
	if got := p.Eval(t, "document.title"); !startsHan(got) {
		t.Errorf("title: got %q, want Chinese first", got)
	}
	for _, sel := range []string{"h1", "#sec-now h2", "#daily th", "#tiles .tile div + div"} {
		if got := p.Text(t, sel); !startsHan(got) {
			t.Errorf("%s: got %q, want Chinese first", sel, got)
		}
	}
	if got := p.Count(t, "#waiting tbody tr"); got < 1 {
		t.Errorf("waiting rows: got %d, want 1", got)
	}
	if got := p.Text(t, "#waiting tbody"); !strings.Contains(got, "一中") || !strings.Contains(got, "分") {
		t.Errorf("waiting: got %q, want 一中 waiting some minutes", got)
	}
	if got := p.Text(t, "#roster tbody"); !strings.Contains(got, "李老师") {
		t.Errorf("roster: got %q, want 李老师", got)
	}
	if got := p.Count(t, "#chart-messages svg rect"); got < 1 {
		t.Errorf("chart bars: got %d, want at least 1", got)
	}
	// The daily table lists the days with activity and folds the rest
	// into one line, instead of 30 rows of mostly zeros.
	var rep reports.Report
	s.Login(t, "zhang").Do(t, "GET", "/api/reports", nil, &rep)
	active := 0
	for _, d := range rep.Days {
		n := d.Conversations + d.HandoffsOpened
		for _, c := range d.StudentMessages {
			n += c
		}
		if n > 0 {
			active++
		}
	}
	if got := p.Count(t, "#daily tbody tr.day"); active == 0 || got != active {
		t.Errorf("daily rows: got %d, want the %d days with activity", got, active)
	}
	if got, want := p.Text(t, "#daily tbody tr.quiet"), fmt.Sprintf("其余 %d 天没有活动", len(rep.Days)-active); !strings.HasPrefix(got, want) {
		t.Errorf("folded quiet days: got %q, want %q", got, want)
	}
	if got := p.Eval(t, "document.body.innerText"); strings.Contains(got, reportSecret) {
		t.Errorf("the page shows student text")
	}
	if got := p.Eval(t, `performance.getEntriesByType("resource").filter(e => !e.name.startsWith(location.origin)).map(e => e.name).join(" ")`); got != "" {
		t.Errorf("external resources: got %q, want none", got)
	}

	// Filter by school: 二中 has no waiting handoff.
	p.Do(t, chromedp.SetValue(chromedp.CSS("#f-school"), "二中"), chromedp.Click(chromedp.CSS("#filters button")))
	waitText(t, p, "#scope", "二中")
	waitText(t, p, "#waiting tbody", "没有等待中的求助")
	if got := p.Eval(t, `document.querySelector("#csv").getAttribute("href")`); !strings.Contains(got, "school=%E4%BA%8C%E4%B8%AD") || !strings.HasPrefix(got, "/api/reports.csv?from=") {
		t.Errorf("CSV link: got %q, want the CSV of the same range and school", got)
	}

	// A phone: nothing wider than the screen outside scroll boxes.
	p.Do(t, chromedp.EmulateViewport(375, 700))
	time.Sleep(200 * time.Millisecond)
	got := p.Eval(t, `[...document.querySelectorAll("body *")].filter(e => e.getBoundingClientRect().right > innerWidth + 1 && !e.closest(".scroll")).map(e => e.tagName + (e.id ? "#" + e.id : "")).slice(0, 5).join(" ")`)
	if w := p.Eval(t, "document.documentElement.scrollWidth"); w != "375" || got != "" {
		t.Errorf("on a 375 px screen: page is %s px wide, too wide: %q", w, got)
	}
}
