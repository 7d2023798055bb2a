package apptest

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Page is a tab of a headless Chromium, with helpers that fail the test.
type Page struct {
	Ctx context.Context
}

// Browser starts a headless Chromium for a page test. Chromium is found
// through XINQIAO_CHROMIUM or on the PATH; without it the test is skipped,
// except under CI, where a missing browser fails the run.
func Browser(tb testing.TB) *Page {
	tb.Helper()
	path := os.Getenv("XINQIAO_CHROMIUM")
	if path == "" {
		for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
			if p, err := exec.LookPath(name); err == nil {
				path = p
				break
			}
		}
	}
	if path == "" {
		if os.Getenv("CI") != "" {
			tb.Fatal("CI is set but no Chromium was found: the page tests would be skipped")
		}
		tb.Skip("no Chromium on this machine (set XINQIAO_CHROMIUM)")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.UserDataDir(tb.TempDir()),
		chromedp.WindowSize(1024, 768),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	tb.Cleanup(func() { cancelCtx(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil { // the first run starts the browser; no timeout on it
		tb.Fatalf("start Chromium: %v", err)
	}
	return &Page{Ctx: ctx}
}

func (p *Page) run(tb testing.TB, what string, f func(ctx context.Context) error) {
	tb.Helper()
	p.runFor(tb, 15*time.Second, what, f)
}

func (p *Page) runFor(tb testing.TB, limit time.Duration, what string, f func(ctx context.Context) error) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(p.Ctx, limit)
	defer cancel()
	if err := f(ctx); err != nil {
		var html string
		hctx, hcancel := context.WithTimeout(p.Ctx, 2*time.Second)
		html, _ = chromedp.Run(hctx, chromedp.OuterHTML(chromedp.CSS("body")))
		hcancel()
		tb.Fatalf("%s: %v\npage: %.3000s", what, err, html)
	}
}

// Do runs steps in order, failing the test on the first error.
func (p *Page) Do(tb testing.TB, steps ...chromedp.Action[chromedp.Void]) {
	tb.Helper()
	p.run(tb, "browser steps", func(ctx context.Context) error { return chromedp.Do(ctx, steps...) })
}

// Login logs username in (password Password) on the staff login form and
// waits until the CSS selector ready is visible. With a url it opens that
// page first; without one the form must be on its way already (after a
// logout, say).
func (p *Page) Login(tb testing.TB, url, username, ready string) {
	tb.Helper()
	var steps []chromedp.Action[chromedp.Void]
	if url != "" {
		steps = append(steps, chromedp.Navigate(url))
	}
	steps = append(steps,
		chromedp.WaitVisible(chromedp.CSS(`input[name="username"]`)),
		chromedp.SetValue(chromedp.CSS(`input[name="username"]`), username),
		chromedp.SetValue(chromedp.CSS(`input[name="password"]`), Password),
		chromedp.Click(chromedp.CSS("form.login button")),
		chromedp.WaitVisible(chromedp.CSS(ready)),
	)
	p.Do(tb, steps...)
}

// Text returns the visible text of the first element matching a CSS selector.
func (p *Page) Text(tb testing.TB, css string) string {
	tb.Helper()
	var s string
	p.run(tb, "text of "+css, func(ctx context.Context) (err error) {
		s, err = chromedp.Run(ctx, chromedp.Text(chromedp.CSS(css)))
		return err
	})
	return s
}

// Eval evaluates a JavaScript expression whose value is a string.
func (p *Page) Eval(tb testing.TB, expr string) string {
	tb.Helper()
	var s string
	p.run(tb, "evaluate "+expr, func(ctx context.Context) (err error) {
		s, err = chromedp.Run(ctx, chromedp.Evaluate[string]("String("+expr+")"))
		return err
	})
	return s
}

// Count returns how many elements match a CSS selector.
func (p *Page) Count(tb testing.TB, css string) int {
	tb.Helper()
	var n int
	p.run(tb, "count "+css, func(ctx context.Context) (err error) {
		n, err = chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll(`+jsString(css)+`).length`))
		return err
	})
	return n
}

// WaitCount waits until at least n elements match a CSS selector.
func (p *Page) WaitCount(tb testing.TB, css string, n int) {
	tb.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for p.Count(tb, css) < n {
		if time.Now().After(deadline) {
			html := p.Eval(tb, "document.body.outerHTML")
			tb.Fatalf("waited for %d of %s; page: %.3000s", n, css, html)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func jsString(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s) + `"`
}
