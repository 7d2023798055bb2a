package web_test

import (
	"strconv"
	"testing"

	"xinqiao/internal/app"
	"xinqiao/internal/apptest"
	"xinqiao/internal/storetest"
	"xinqiao/internal/xinqiao"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// TestEveryPageAccessible opens every page of the service in headless
// Chromium, staff pages both at their login form and logged in as an
// admin, and checks each with axe-core (no serious or critical violation)
// and at a desktop's and a phone's width (nothing past the screen's edge).
// The page tests of each area check the states further in.
func TestEveryPageAccessible(t *testing.T) {
	p := apptest.Browser(t)
	s := apptest.Start(t, storetest.MustOpenSQLite(t), app.Options{})
	s.AddStaff(t, "root", xinqiao.RoleAdmin, "管理员")

	check := func(state string) {
		t.Helper()
		p.Axe(t, state)
		p.Fits(t, state)
	}
	p.Do(t, chromedp.Navigate(s.URL+"/"), chromedp.WaitVisible(chromedp.CSS("#hotline-list .line")))
	check("student page")
	p.Do(t, chromedp.Navigate(s.URL+"/about"), chromedp.WaitVisible(chromedp.CSS("h1")))
	check("about page")

	staff := []struct{ path, ready string }{
		{"/counselor", "#logout"},
		{"/curator", "#docs tbody tr"},
		{"/admin", `#users tr[data-username="root"]`},
		{"/reports", "#logout"},
		{"/rules", "#logout"},
	}
	for _, pg := range staff {
		p.Do(t, chromedp.Navigate(s.URL+pg.path), chromedp.WaitVisible(chromedp.CSS(`input[name="username"]`)))
		check(pg.path + " login form")
	}
	// A wrong password shows its error next to the form.
	p.Do(t, chromedp.SetValue(chromedp.CSS(`input[name="username"]`), "root"),
		chromedp.SetValue(chromedp.CSS(`input[name="password"]`), "not-the-password"),
		chromedp.Click(chromedp.CSS("form.login button")))
	waitText(t, p, "form.login .error", "用户名或密码不对")
	check("login form with an error")

	for i, pg := range staff {
		if i == 0 {
			p.Login(t, s.URL+pg.path, "root", pg.ready)
		} else {
			p.Do(t, chromedp.Navigate(s.URL+pg.path), chromedp.WaitVisible(chromedp.CSS(pg.ready)))
		}
		check(pg.path + " logged in")
		// The page's title stays on one line on a desktop, and on a phone
		// takes at most two, not squeezed beside the links into a column.
		for _, w := range []struct {
			px    int64
			lines float64
		}{{1280, 1}, {390, 2}} {
			p.Do(t, chromedp.EmulateViewport(w.px, 844))
			if got := p.Eval(t, `(h => { const lh = parseFloat(getComputedStyle(h).lineHeight), n = Math.round(h.getBoundingClientRect().height / lh); return n <= `+strconv.FormatFloat(w.lines, 'f', 0, 64)+` ? "ok" : n + " lines"; })(document.querySelector("header h1"))`); got != "ok" {
				t.Errorf("%s at %d px: the title takes %s", pg.path, w.px, got)
			}
		}
		p.Do(t, chromedp.ResetViewport())
		// The keyboard's focus is visible on each of the first controls.
		for i := 0; i < 8; i++ {
			p.Do(t, chromedp.KeyEvent(kb.Tab))
			if got := p.Eval(t, `(e => e === document.body ? "body" : (s => s.outlineStyle !== "none" && parseFloat(s.outlineWidth) >= 2 ? "ok" : e.outerHTML.slice(0, 80) + " outline " + s.outlineStyle + " " + s.outlineWidth)(getComputedStyle(e)))(document.activeElement)`); got != "ok" && got != "body" {
				t.Errorf("%s: focus on %s is not visible", pg.path, got)
			}
		}
	}
}
