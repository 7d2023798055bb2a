package web_test

import (
	"context"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"

	"xinqiao/internal/app"
	"xinqiao/internal/apptest"
	"xinqiao/internal/storetest"
	"xinqiao/internal/web"
	"xinqiao/internal/xinqiao"

	"github.com/chromedp/chromedp"
)

// adminErr is the JSON error of a refused request.
type adminErr struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// adminFixture starts the service with an admin (root), a counselor (wang)
// and a curator (li), all logged in.
func adminFixture(t *testing.T, e storetest.Engine) (s *apptest.Server, root, wang, li *apptest.Staff) {
	t.Helper()
	s = apptest.Start(t, e.Open(t), app.Options{})
	s.AddStaff(t, "root", xinqiao.RoleAdmin, "管理员")
	s.AddStaff(t, "wang", xinqiao.RoleCounselor, "王老师")
	s.AddStaff(t, "li", xinqiao.RoleCurator, "李老师")
	return s, s.Login(t, "root"), adminSession(t, s, "wang"), adminSession(t, s, "li")
}

// adminSession opens a staff session directly in the store, as a login
// would, so that tests needing many sessions stay under the login rate
// limit of five per address.
func adminSession(t *testing.T, s *apptest.Server, username string) *apptest.Staff {
	t.Helper()
	ctx := context.Background()
	st, err := s.Store.StaffByUsername(ctx, username)
	if err != nil {
		t.Fatal(err)
	}
	tok, csrf, now := xinqiao.NewToken(), xinqiao.NewToken(), time.Now()
	sess := xinqiao.StaffSession{TokenHash: xinqiao.HashToken(tok), StaffID: st.ID, CSRF: csrf, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
	if err := s.Store.CreateStaffSession(ctx, sess); err != nil {
		t.Fatal(err)
	}
	jar, _ := cookiejar.New(nil)
	u, _ := url.Parse(s.URL)
	jar.SetCookies(u, []*http.Cookie{{Name: web.StaffCookie, Value: tok, Path: "/"}})
	return &apptest.Staff{S: s, Client: &http.Client{Jar: jar, Timeout: 10 * time.Second}, CSRF: csrf, Me: st}
}

func adminAuditActions(t *testing.T, s *apptest.Server, target string) []string {
	t.Helper()
	evs, err := s.Store.AuditEvents(context.Background(), target, 500)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range evs {
		out = append(out, e.Action)
	}
	return out
}

// TestAdminAccess checks who may use the admin API: anonymous callers get
// 401, other roles 403, and a POST without the CSRF header 403.
func TestAdminAccess(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			s, root, wang, li := adminFixture(t, e)
			anon := &apptest.Staff{S: s, Client: http.DefaultClient}
			noCSRF := &apptest.Staff{S: s, Client: root.Client}
			target := "/api/staff/users/" + li.Me.ID
			tests := []struct {
				name   string
				who    *apptest.Staff
				method string
				path   string
				body   any
				code   int
			}{
				{"anonymous edit", anon, "POST", target, map[string]any{"display_name": "x"}, 401},
				{"anonymous reset", anon, "POST", target + "/password", map[string]any{"password": "long-enough-pw"}, 401},
				{"anonymous audit", anon, "GET", "/api/audit", nil, 401},
				{"counselor edit", wang, "POST", target, map[string]any{"disabled": true}, 403},
				{"counselor reset", wang, "POST", target + "/password", map[string]any{"password": "long-enough-pw"}, 403},
				{"counselor audit", wang, "GET", "/api/audit", nil, 403},
				{"curator edits itself", li, "POST", target, map[string]any{"role": "admin"}, 403},
				{"admin edit without CSRF", noCSRF, "POST", target, map[string]any{"disabled": true}, 403},
				{"admin reset without CSRF", noCSRF, "POST", target + "/password", map[string]any{"password": "long-enough-pw"}, 403},
				{"admin audit", root, "GET", "/api/audit", nil, 200},
				{"admin page", anon, "GET", "/admin", nil, 200},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					var out adminErr
					if tt.path == "/admin" {
						resp, err := http.Get(s.URL + tt.path)
						if err != nil {
							t.Fatal(err)
						}
						resp.Body.Close()
						if resp.StatusCode != tt.code || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
							t.Fatalf("got %d %s, want %d text/html", resp.StatusCode, resp.Header.Get("Content-Type"), tt.code)
						}
						return
					}
					if got := tt.who.Do(t, tt.method, tt.path, tt.body, &out); got != tt.code {
						t.Fatalf("got %d (%s), want %d", got, out.Error.Code, tt.code)
					}
				})
			}
			got, _ := s.Store.StaffByID(context.Background(), li.Me.ID)
			if got.Disabled || got.Role != xinqiao.RoleCurator || got.DisplayName != "李老师" {
				t.Fatalf("got %+v, want li unchanged by refused requests", got)
			}
			if code := li.Do(t, "GET", "/api/staff/me", nil, nil); code != 200 {
				t.Fatalf("li after refused requests: got %d, want 200", code)
			}
		})
	}
}

// TestAdminBadInput sends malformed and invalid requests: each gets 400
// with a JSON error, and nothing changes or is audited.
func TestAdminBadInput(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			s, root, wang, _ := adminFixture(t, e)
			ctx := context.Background()
			before, _ := s.Store.StaffByID(ctx, wang.Me.ID)
			edit := "/api/staff/users/" + wang.Me.ID
			tests := []struct {
				name   string
				method string
				path   string
				body   any
				code   int
			}{
				{"empty object", "POST", edit, map[string]any{}, 400},
				{"no body", "POST", edit, nil, 400},
				{"unknown field", "POST", edit, map[string]any{"display_name": "x", "username": "w2"}, 400},
				{"unknown role", "POST", edit, map[string]any{"role": "janitor", "display_name": "改了"}, 400},
				{"blank display name", "POST", edit, map[string]any{"display_name": "   ", "school": "改了"}, 400},
				{"long display name", "POST", edit, map[string]any{"display_name": strings.Repeat("名", 65)}, 400},
				{"long school", "POST", edit, map[string]any{"school": strings.Repeat("校", 129)}, 400},
				{"disabled as text", "POST", edit, map[string]any{"disabled": "yes"}, 400},
				{"trailing data", "POST", edit, `{"display_name":"x"}{}`, 400},
				{"short password", "POST", edit + "/password", map[string]any{"password": "short"}, 400},
				{"password unknown field", "POST", edit + "/password", map[string]any{"password": "long-enough-pw", "current": "x"}, 400},
				{"no password", "POST", edit + "/password", map[string]any{}, 400},
				{"limit zero", "GET", "/api/audit?limit=0", nil, 400},
				{"limit too big", "GET", "/api/audit?limit=501", nil, 400},
				{"limit not a number", "GET", "/api/audit?limit=ten", nil, 400},
				{"missing account", "POST", "/api/staff/users/nobody", map[string]any{"disabled": true}, 404},
				{"missing account reset", "POST", "/api/staff/users/nobody/password", map[string]any{"password": "long-enough-pw"}, 404},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					var out adminErr
					body := tt.body
					if s, ok := body.(string); ok {
						body = adminRawJSON(s)
					}
					if got := root.Do(t, tt.method, tt.path, body, &out); got != tt.code || out.Error.Code == "" || out.Error.Message == "" {
						t.Fatalf("got %d %+v, want %d with a JSON error", got, out, tt.code)
					}
				})
			}
			after, _ := s.Store.StaffByID(ctx, wang.Me.ID)
			if after != before {
				t.Fatalf("got %+v, want unchanged %+v", after, before)
			}
			if code := wang.Do(t, "GET", "/api/staff/me", nil, nil); code != 200 {
				t.Fatalf("wang after refused requests: got %d, want 200 (session kept)", code)
			}
			if got := adminAuditActions(t, s, wang.Me.ID); len(got) != 0 {
				t.Fatalf("got audit events %v for wang, want none", got)
			}
		})
	}
}

// adminRawJSON is a request body sent as it is.
type adminRawJSON string

// MarshalJSON implements json.Marshaler; the text is sent even when it is
// not one JSON value, so that the server's refusal can be tested.
func (r adminRawJSON) MarshalJSON() ([]byte, error) { return []byte(r), nil }

// TestAdminManagesAccounts edits, disables, re-enables and resets accounts
// and reads the audit log.
func TestAdminManagesAccounts(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			s, root, wang, li := adminFixture(t, e)
			ctx := context.Background()
			anon := &apptest.Staff{S: s, Client: http.DefaultClient}
			var got xinqiao.Staff
			var out adminErr

			// Edit: name, school and role; the audit says what changed.
			if code := root.Do(t, "POST", "/api/staff/users/"+wang.Me.ID, map[string]any{"display_name": " 王晓 ", "school": "育才中学", "role": "supervisor"}, &got); code != 200 {
				t.Fatalf("edit: got %d, want 200", code)
			}
			if got.DisplayName != "王晓" || got.School != "育才中学" || got.Role != xinqiao.RoleSupervisor || got.Disabled {
				t.Fatalf("edit: got %+v, want 王晓 of 育才中学, supervisor", got)
			}
			evs, _ := s.Store.AuditEvents(ctx, wang.Me.ID, 10)
			if len(evs) != 1 || evs[0].Action != "staff.update" || evs[0].Actor != root.Me.ID ||
				!strings.Contains(evs[0].Detail, "role: counselor→supervisor") || !strings.Contains(evs[0].Detail, "school: →育才中学") {
				t.Fatalf("edit audit: got %+v, want one staff.update by root naming the changes", evs)
			}

			// An admin cannot disable or demote their own account.
			for _, body := range []map[string]any{{"disabled": true}, {"role": "counselor"}} {
				if code := root.Do(t, "POST", "/api/staff/users/"+root.Me.ID, body, &out); code != 409 {
					t.Fatalf("self %v: got %d, want 409", body, code)
				}
			}
			if code := root.Do(t, "POST", "/api/staff/users/"+root.Me.ID, map[string]any{"display_name": "总管理员", "role": "admin"}, &got); code != 200 || got.DisplayName != "总管理员" {
				t.Fatalf("self rename: got %d %+v, want 200", code, got)
			}
			if code := root.Do(t, "POST", "/api/staff/users/"+root.Me.ID+"/password", map[string]any{"password": "long-enough-pw"}, &out); code != 403 {
				t.Fatalf("self reset: got %d, want 403", code)
			}

			// Disabling ends every session of the account at once.
			wang2 := adminSession(t, s, "wang")
			if code := root.Do(t, "POST", "/api/staff/users/"+wang.Me.ID, map[string]any{"disabled": true}, &got); code != 200 || !got.Disabled || got.OnDuty {
				t.Fatalf("disable: got %d %+v, want disabled and off duty", code, got)
			}
			for i, st := range []*apptest.Staff{wang, wang2} {
				if code := st.Do(t, "GET", "/api/staff/me", nil, &out); code != 401 {
					t.Fatalf("disabled user's session %d: got %d, want 401", i, code)
				}
			}
			if code := anon.Do(t, "POST", "/api/staff/login", map[string]string{"username": "wang", "password": apptest.Password}, &out); code != 401 {
				t.Fatalf("disabled user's login: got %d, want 401", code)
			}
			evs, _ = s.Store.AuditEvents(ctx, wang.Me.ID, 1)
			if len(evs) != 1 || evs[0].Action != "staff.disable" || evs[0].Detail != "sessions_ended=2" {
				t.Fatalf("disable audit: got %+v, want staff.disable with sessions_ended=2", evs)
			}
			if code := root.Do(t, "POST", "/api/staff/users/"+wang.Me.ID, map[string]any{"disabled": false}, &got); code != 200 || got.Disabled {
				t.Fatalf("enable: got %d %+v", code, got)
			}
			if st := s.Login(t, "wang"); st.Me.Role != xinqiao.RoleSupervisor {
				t.Fatalf("re-enabled login: got role %q, want supervisor", st.Me.Role)
			}

			// Reset: policy checked, sessions ended, the new password works.
			if code := root.Do(t, "POST", "/api/staff/users/"+li.Me.ID+"/password", map[string]any{"password": "reset-by-admin-42"}, nil); code != 200 {
				t.Fatalf("reset: got %d, want 200", code)
			}
			if code := li.Do(t, "GET", "/api/staff/me", nil, &out); code != 401 {
				t.Fatalf("li's session after reset: got %d, want 401", code)
			}
			if code := anon.Do(t, "POST", "/api/staff/login", map[string]string{"username": "li", "password": apptest.Password}, &out); code != 401 {
				t.Fatalf("old password: got %d, want 401", code)
			}
			if code := anon.Do(t, "POST", "/api/staff/login", map[string]string{"username": "li", "password": "reset-by-admin-42"}, &out); code != 200 {
				t.Fatalf("new password: got %d, want 200", code)
			}

			// The audit log: newest first, filtered, limited, and itself audited.
			var log struct {
				Events []xinqiao.AuditEvent `json:"events"`
			}
			if code := root.Do(t, "GET", "/api/audit?target="+wang.Me.ID, nil, &log); code != 200 {
				t.Fatalf("audit: got %d, want 200", code)
			}
			var actions []string
			for _, ev := range log.Events {
				actions = append(actions, ev.Action)
				if ev.Target != wang.Me.ID {
					t.Fatalf("audit filtered by wang: got target %q", ev.Target)
				}
			}
			if got, want := strings.Join(actions, ","), "staff.enable,staff.disable,staff.update"; got != want {
				t.Fatalf("wang's audit: got %s, want %s", got, want)
			}
			if code := root.Do(t, "GET", "/api/audit?limit=2", nil, &log); code != 200 || len(log.Events) != 2 {
				t.Fatalf("audit limit=2: got %d with %d events, want 2", code, len(log.Events))
			}
			if ev := log.Events[0]; ev.Action != "audit.read" || ev.Actor != root.Me.ID || ev.Detail != "target= limit=2" {
				t.Fatalf("newest event: got %+v, want this audit.read", ev)
			}
			if got := adminAuditActions(t, s, li.Me.ID); strings.Join(got, ",") != "staff.reset_password" {
				t.Fatalf("li's audit: got %v, want staff.reset_password", got)
			}
			for _, ev := range adminAllEvents(t, s) {
				if strings.Contains(ev.Detail, "reset-by-admin-42") || strings.Contains(ev.Detail, apptest.Password) {
					t.Fatalf("a password is in the audit trail: %+v", ev)
				}
			}
		})
	}
}

func adminAllEvents(t *testing.T, s *apptest.Server) []xinqiao.AuditEvent {
	t.Helper()
	evs, err := s.Store.AuditEvents(context.Background(), "", 500)
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

// TestAdminsCannotDisableEachOther has the only two admins disable each
// other at the same moment: one wins; the other is refused (409 from the
// last-admin check, or 401 when its session already ended), so an enabled
// admin always remains.
func TestAdminsCannotDisableEachOther(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			s := apptest.Start(t, e.Open(t), app.Options{})
			for round := range 4 {
				names := []string{"a" + string(rune('0'+round)), "b" + string(rune('0'+round))}
				for _, n := range names {
					s.AddStaff(t, n, xinqiao.RoleAdmin, n)
				}
				a, b := adminSession(t, s, names[0]), adminSession(t, s, names[1])
				// a and b must be the only enabled admins.
				all, _ := s.Store.ListStaff(context.Background())
				for _, st := range all {
					if st.Role == xinqiao.RoleAdmin && !st.Disabled && st.ID != a.Me.ID && st.ID != b.Me.ID {
						if code := a.Do(t, "POST", "/api/staff/users/"+st.ID, map[string]any{"disabled": true}, nil); code != 200 {
							t.Fatalf("retire %s: got %d", st.Username, code)
						}
					}
				}
				codes := make([]int, 2)
				var wg sync.WaitGroup
				for i, pair := range [][2]*apptest.Staff{{a, b}, {b, a}} {
					wg.Add(1)
					go func() {
						defer wg.Done()
						codes[i] = pair[0].Do(t, "POST", "/api/staff/users/"+pair[1].Me.ID, map[string]any{"disabled": true}, nil)
					}()
				}
				wg.Wait()
				ok := 0
				for _, c := range codes {
					switch c {
					case 200:
						ok++
					case 401, 409:
					default:
						t.Fatalf("round %d: got codes %v, want 200, 401 or 409", round, codes)
					}
				}
				if ok != 1 {
					t.Fatalf("round %d: got codes %v, want exactly one 200", round, codes)
				}
			}
		})
	}
}

// TestAdminPage drives /admin in headless Chromium: log in, create a
// counselor (the generated password is shown once and works), register a
// terminal and see its address, see both in the audit log, disable the
// counselor; Chinese first, nothing from elsewhere, fits a phone.
func TestAdminPage(t *testing.T) {
	p := apptest.Browser(t)
	s := apptest.Start(t, storetest.MustOpenSQLite(t), app.Options{})
	s.AddStaff(t, "root", xinqiao.RoleAdmin, "管理员")
	s.AddStaff(t, "root2", xinqiao.RoleAdmin, "另一位管理员")

	// The login form: each label above its field, the fields lined up.
	p.Do(t, chromedp.Navigate(s.URL+"/admin"), chromedp.WaitVisible(chromedp.CSS(`input[name="password"]`)))
	if got := p.Eval(t, `(() => { const [u, pw] = [...document.querySelectorAll("form.login input")].map(e => e.getBoundingClientRect()); return u.left === pw.left && u.width === pw.width && u.top < pw.top; })()`); got != "true" {
		t.Errorf("login form: the username and password fields are not lined up one above the other")
	}
	p.Axe(t, "admin login form")
	p.Login(t, "", "root", `#users tr[data-username="root"]`)
	p.Axe(t, "admin page")
	for _, sel := range []string{"h1", "#sec-users h2", "#sec-terminals h2", "#sec-audit h2", "#users th", "#user-create h3"} {
		if got := p.Text(t, sel); !adminStartsHan(got) {
			t.Errorf("%s: got %q, want Chinese first", sel, got)
		}
	}

	// Create a counselor with the suggested password.
	pw := p.Eval(t, `document.querySelector("#new-pw").value`)
	if len(pw) < 10 {
		t.Fatalf("suggested password: got %q, want 10 characters or more", pw)
	}
	p.Do(t,
		chromedp.SetValue(chromedp.CSS("#new-username"), "zhou"),
		chromedp.SetValue(chromedp.CSS("#new-name"), "周老师"),
		chromedp.SetValue(chromedp.CSS("#new-school"), "育才中学"),
		chromedp.Click(chromedp.CSS("#user-create button.primary")),
		chromedp.WaitVisible(chromedp.CSS(`#users tr[data-username="zhou"]`)),
		chromedp.WaitVisible(chromedp.CSS("#once")),
	)
	if got := p.Text(t, "#once-pw"); got != pw {
		t.Fatalf("shown once: got %q, want the suggested password %q", got, pw)
	}
	p.Axe(t, "admin page with a password shown once")
	// The audit log shows the new account at once, without a click.
	p.WaitCount(t, `#audit tr[data-action="staff.create"]`, 1)
	if got := p.Text(t, `#users tr[data-username="zhou"] .role`); !strings.Contains(got, "心理老师") {
		t.Errorf("zhou's role: got %q, want 心理老师 (counselor)", got)
	}
	if got := p.Eval(t, `document.querySelector("#new-pw").value`); got == pw || got == "" {
		t.Errorf("after create: got password field %q, want a fresh suggestion", got)
	}
	anon := &apptest.Staff{S: s, Client: http.DefaultClient}
	var me struct{ Staff xinqiao.Staff }
	if code := anon.Do(t, "POST", "/api/staff/login", map[string]string{"username": "zhou", "password": pw}, &me); code != 200 || me.Staff.Role != xinqiao.RoleCounselor || me.Staff.School != "育才中学" || !me.Staff.MustChangePassword {
		t.Fatalf("zhou's login: got %d %+v, want a counselor of 育才中学 who must change the password", code, me.Staff)
	}
	p.Do(t, chromedp.Click(chromedp.CSS("#once-done")))
	if got := p.Eval(t, `document.querySelector("#once-pw").textContent`); got != "" {
		t.Errorf("after done: got %q still on the page", got)
	}

	// Register a terminal and see the address to open on it.
	p.Do(t,
		chromedp.SetValue(chromedp.CSS("#t-code"), "YC-101"),
		chromedp.SetValue(chromedp.CSS("#t-school"), "育才中学"),
		chromedp.SetValue(chromedp.CSS("#t-place"), "心理辅导室门口"),
		chromedp.SetValue(chromedp.CSS("#t-band"), "junior"),
		chromedp.Click(chromedp.CSS("#terminal-form button.primary")),
		chromedp.WaitVisible(chromedp.CSS(`#terminals tr[data-code="YC-101"]`)),
	)
	if got, want := p.Text(t, `#terminals tr[data-code="YC-101"] a.url`), s.URL+"/?t=YC-101"; got != want {
		t.Errorf("terminal address: got %q, want %q", got, want)
	}
	if got := p.Text(t, `#terminals tr[data-code="YC-101"]`); !strings.Contains(got, "初中") || !strings.Contains(got, "心理辅导室门口") {
		t.Errorf("terminal row: got %q, want 初中 and the place", got)
	}
	if tm, err := s.Store.Terminal(context.Background(), "YC-101"); err != nil || tm.Band != xinqiao.BandJunior || tm.School != "育才中学" {
		t.Fatalf("stored terminal: got %+v, %v", tm, err)
	}

	// The audit log shows both changes, without a click.
	p.WaitCount(t, `#audit tr[data-action="terminal.register"]`, 1)
	p.WaitCount(t, `#audit tr[data-action="staff.create"]`, 1)
	if got := p.Text(t, `#audit tr[data-action="staff.create"] .action`); !strings.HasPrefix(got, "创建账号") {
		t.Errorf("audit action: got %q, want 创建账号 first", got)
	}
	if got := p.Text(t, `#audit tr[data-action="staff.create"]`); !strings.Contains(got, "周老师") || !strings.Contains(got, "管理员") {
		t.Errorf("audit row: got %q, want the actor and the target by name", got)
	}

	// Disable the counselor: two clicks, then the row shows it.
	p.Do(t,
		chromedp.Click(chromedp.CSS(`#users tr[data-username="zhou"] button.disable`)),
		chromedp.Click(chromedp.CSS(`#users tr[data-username="zhou"] button.disable`)),
		chromedp.WaitVisible(chromedp.CSS(`#users tr.disabled[data-username="zhou"]`)),
	)
	if st, _ := s.Store.StaffByUsername(context.Background(), "zhou"); !st.Disabled {
		t.Fatalf("zhou: got %+v, want disabled", st)
	}
	p.WaitCount(t, `#audit tr[data-action="staff.disable"]`, 1)

	// Another admin's change elsewhere reaches the open log by itself.
	root2 := s.Login(t, "root2")
	if code := root2.Do(t, "POST", "/api/terminals", map[string]string{"code": "YC-202", "school": "育才中学"}, nil); code != 200 && code != 201 {
		t.Fatalf("root2 registers a terminal: got %d", code)
	}
	deadline := time.Now().Add(20 * time.Second)
	for p.Count(t, `#audit tr[data-action="terminal.register"]`) < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("the other admin's change did not reach the open audit log in 20 s: %s", p.Text(t, "#audit tbody"))
		}
		time.Sleep(200 * time.Millisecond)
	}
	if got := p.Text(t, `#audit tbody tr[data-action="terminal.register"]`); !strings.Contains(got, "另一位管理员") {
		t.Errorf("newest terminal row: got %q, want it by 另一位管理员", got)
	}
	if got := p.Eval(t, `performance.getEntriesByType("resource").filter(e => !e.name.startsWith(location.origin)).map(e => e.name).join(" ")`); got != "" {
		t.Errorf("external resources: got %q, want none", got)
	}

	// Every action the service audits is named in Chinese, with the code beside.
	rootID, err := s.Store.StaffByUsername(context.Background(), "root")
	if err != nil {
		t.Fatal(err)
	}
	actions := []string{"audit.read", "case.list", "case.read", "conversation.preview", "conversation.read", "conversation.watch",
		"kb.submit", "kb.approve", "kb.retire", "kb.retire_request", "reports.read", "risk_label.export", "risk_label.set",
		"risk_model.publish", "risk_rules.publish", "staff.create", "staff.disable", "staff.duty", "staff.enable",
		"staff.password", "staff.reset_password", "staff.update", "terminal.register"}
	for _, a := range actions {
		if err := s.Store.Audit(context.Background(), xinqiao.AuditEvent{At: time.Now(), Actor: rootID.ID, Action: a, Target: "t-" + a}); err != nil {
			t.Fatal(err)
		}
	}
	p.Do(t, chromedp.SetValue(chromedp.CSS("#a-limit"), "200"), chromedp.Click(chromedp.CSS("#audit-filter button[type=submit]")))
	p.WaitCount(t, `#audit tr[data-action="risk_rules.publish"]`, 1)
	for _, a := range actions {
		if got := p.Text(t, `#audit tr[data-action="`+a+`"] .action`); !adminStartsHan(got) || !strings.Contains(got, a) {
			t.Errorf("audit action %s: got %q, want a Chinese name with the code beside", a, got)
		}
	}

	p.Axe(t, "admin page after the changes")
	p.Do(t, chromedp.Click(chromedp.CSS(`#users tr[data-username="zhou"] button.edit`)), chromedp.WaitVisible(chromedp.CSS("#user-edit")),
		chromedp.Click(chromedp.CSS(`#users tr[data-username="zhou"] button.reset`)), chromedp.WaitVisible(chromedp.CSS("#user-reset")))
	p.Axe(t, "admin page with the edit and reset forms open")
	p.Fits(t, "admin page")
}

// adminStartsHan reports whether s starts with a Chinese character.
func adminStartsHan(s string) bool {
	for _, r := range strings.TrimSpace(s) {
		return unicode.Is(unicode.Han, r)
	}
	return false
}
