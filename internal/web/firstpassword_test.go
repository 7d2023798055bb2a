package web_test

import (
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"xinqiao/internal/app"
	"xinqiao/internal/apptest"
	"xinqiao/internal/storetest"
	"xinqiao/internal/xinqiao"

	"github.com/chromedp/chromedp"
)

// TestFirstPasswordMustBeChanged: an account an admin creates, or whose
// password an admin resets, logs in but can do nothing but read itself,
// log out and change the password (refused if unchanged) until it does —
// every other route and the console socket are refused by the server,
// whatever page is used; once changed, everything works.
func TestFirstPasswordMustBeChanged(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			s := apptest.Start(t, e.Open(t), app.Options{})
			s.AddStaff(t, "root", xinqiao.RoleAdmin, "管理员")
			root := s.Login(t, "root")
			const first = "given-by-admin-7Q"
			var zhou xinqiao.Staff
			if code := root.Do(t, "POST", "/api/staff/users", map[string]string{"username": "zhou", "password": first, "role": "counselor", "display_name": "周老师"}, &zhou); code != 201 || !zhou.MustChangePassword {
				t.Fatalf("create: got %d %+v, want an account that must change its password", code, zhou)
			}

			login := func(pw string) *apptest.Staff {
				jar, _ := cookiejar.New(nil)
				st := &apptest.Staff{S: s, Client: &http.Client{Jar: jar, Timeout: 10 * time.Second}}
				var me struct {
					Staff xinqiao.Staff `json:"staff"`
					CSRF  string        `json:"csrf"`
				}
				if code := st.Do(t, "POST", "/api/staff/login", map[string]string{"username": "zhou", "password": pw}, &me); code != 200 {
					t.Fatalf("login: got %d", code)
				}
				st.CSRF, st.Me = me.CSRF, me.Staff
				return st
			}
			z := login(first)
			if !z.Me.MustChangePassword {
				t.Fatalf("login: got %+v, want must_change_password", z.Me)
			}
			var out adminErr
			for _, c := range []struct{ method, path string }{
				{"GET", "/api/handoffs"},
				{"GET", "/api/reports"},
				{"POST", "/api/staff/duty"},
			} {
				if code := z.Do(t, c.method, c.path, map[string]bool{"on": true}, &out); code != 403 || !strings.Contains(out.Error.Message, "first password") {
					t.Errorf("%s %s before the change: got %d %q, want 403 naming the first password", c.method, c.path, code, out.Error.Message)
				}
			}
			h := http.Header{}
			u, _ := url.Parse(s.URL)
			for _, c := range z.Client.Jar.Cookies(u) {
				h.Add("Cookie", c.Name+"="+c.Value)
			}
			if _, resp, err := s.Dial(t, "/ws/staff", h); err == nil {
				t.Errorf("console socket before the change: opened, want it refused")
			} else if resp == nil || resp.StatusCode != 403 {
				t.Errorf("console socket before the change: got %v, want 403", resp)
			}
			var me struct{ Staff xinqiao.Staff }
			if code := z.Do(t, "GET", "/api/staff/me", nil, &me); code != 200 || !me.Staff.MustChangePassword {
				t.Fatalf("me before the change: got %d %+v", code, me.Staff)
			}
			if code := z.Do(t, "POST", "/api/staff/password", map[string]string{"current": first, "new": first}, &out); code != 400 {
				t.Fatalf("the same password again: got %d, want 400", code)
			}
			const own = "周老师自己的-心桥-2027"
			if code := z.Do(t, "POST", "/api/staff/password", map[string]string{"current": first, "new": own}, nil); code != 200 {
				t.Fatalf("change: got %d", code)
			}
			if code := z.Do(t, "GET", "/api/handoffs", nil, nil); code != 200 {
				t.Fatalf("after the change: got %d, want 200", code)
			}
			if st, _ := s.Store.StaffByUsername(t.Context(), "zhou"); st.MustChangePassword {
				t.Fatal("after the change: the account still must change its password")
			}

			// An admin's reset makes the password one to change again.
			if code := root.Do(t, "POST", "/api/staff/users/"+zhou.ID+"/password", map[string]string{"password": "reset-by-admin-42x"}, nil); code != 200 {
				t.Fatalf("reset: got %d", code)
			}
			z = login("reset-by-admin-42x")
			if code := z.Do(t, "GET", "/api/handoffs", nil, &out); code != 403 || !z.Me.MustChangePassword {
				t.Fatalf("after a reset: got %d, must change %v; want 403 until changed", code, z.Me.MustChangePassword)
			}
		})
	}
}

// TestFirstPasswordPage: in headless Chromium, a counselor logging in with
// the password an admin gave is asked for an own password before the
// console shows; a mismatch and a weak one are refused on the form; the
// new one opens the console and works at the next login.
func TestFirstPasswordPage(t *testing.T) {
	p := apptest.Browser(t)
	s := apptest.Start(t, storetest.MustOpenSQLite(t), app.Options{})
	s.AddStaff(t, "root", xinqiao.RoleAdmin, "管理员")
	const first, own = "given-by-admin-7Q", "周老师自己的-心桥-2027"
	if code := s.Login(t, "root").Do(t, "POST", "/api/staff/users", map[string]string{"username": "zhou", "password": first, "role": "counselor", "display_name": "周老师"}, nil); code != 201 {
		t.Fatalf("create: got %d", code)
	}
	p.Do(t, chromedp.Navigate(s.URL+"/counselor"),
		chromedp.WaitVisible(chromedp.CSS(`input[name="username"]`)),
		chromedp.SetValue(chromedp.CSS(`input[name="username"]`), "zhou"),
		chromedp.SetValue(chromedp.CSS(`input[name="password"]`), first),
		chromedp.Click(chromedp.CSS("form.login button")),
		chromedp.WaitVisible(chromedp.CSS(`form.first-password input[name="new"]`)))
	if got := p.Eval(t, `document.querySelector("#logout").offsetParent === null && document.activeElement.name`); got != "new" {
		t.Errorf("first password form: got %q, want the console hidden and the focus on the new password", got)
	}
	p.Axe(t, "first password form")
	p.Fits(t, "first password form")

	set := func(pw, again string) {
		p.Do(t, chromedp.SetValue(chromedp.CSS(`form.first-password input[name="new"]`), pw),
			chromedp.SetValue(chromedp.CSS(`form.first-password input[name="again"]`), again),
			chromedp.Click(chromedp.CSS("form.first-password button.primary")))
	}
	set(own, own+"x")
	waitText(t, p, "form.first-password .error", "不一样")
	set("1234567890", "1234567890")
	waitText(t, p, "form.first-password .error", "不符合要求")
	p.Axe(t, "first password form with an error")
	if st, _ := s.Store.StaffByUsername(t.Context(), "zhou"); !st.MustChangePassword {
		t.Fatal("a refused new password cleared the flag")
	}
	set(own, own)
	p.Do(t, chromedp.WaitVisible(chromedp.CSS("#logout")))
	if st, _ := s.Store.StaffByUsername(t.Context(), "zhou"); st.MustChangePassword {
		t.Fatal("after the change: the account still must change its password")
	}
	var me struct{ Staff xinqiao.Staff }
	anon := &apptest.Staff{S: s, Client: http.DefaultClient}
	if code := anon.Do(t, "POST", "/api/staff/login", map[string]string{"username": "zhou", "password": own}, &me); code != 200 || me.Staff.MustChangePassword {
		t.Fatalf("login with the new password: got %d %+v", code, me.Staff)
	}
}
