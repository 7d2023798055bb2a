package apptest

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/chromedp"
)

// recorder is a testing.TB that keeps the errors a helper reports instead
// of failing the test.
type recorder struct {
	testing.TB
	mu     sync.Mutex
	errors []string
}

func (r *recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

func (r *recorder) all() string { return strings.Join(r.errors, "\n") }

// pages serves fixed HTML documents by path.
func pages(t *testing.T, docs map[string]string) string {
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		doc, ok := docs[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<!doctype html><html lang="en"><head><meta name="viewport" content="width=device-width"><title>t</title></head><body><main><h1>Page</h1>`+doc+`</main></body></html>`)
	}))
	t.Cleanup(hs.Close)
	return hs.URL
}

// TestAxeReportsSeriousViolations shows that Axe fails a page with an
// unlabelled field and grey-on-white text, and passes the same page fixed.
func TestAxeReportsSeriousViolations(t *testing.T) {
	p := Browser(t)
	url := pages(t, map[string]string{
		"/bad":  `<input type="text" name="q"><p style="color:#bbb;background:#fff">faint</p>`,
		"/good": `<label>Search <input type="text" name="q"></label><p style="color:#333;background:#fff">clear</p>`,
	})

	p.Do(t, chromedp.Navigate(url+"/bad"))
	bad := &recorder{TB: t}
	p.Axe(bad, "bad page")
	for _, want := range []string{"label", "color-contrast"} {
		if !strings.Contains(bad.all(), "violation "+want) {
			t.Errorf("bad page: got %q, want a %s violation", bad.all(), want)
		}
	}

	p.Do(t, chromedp.Navigate(url+"/good"))
	good := &recorder{TB: t}
	p.Axe(good, "good page")
	if len(good.errors) != 0 {
		t.Errorf("good page: got %q, want no violation", good.all())
	}
}

// TestFitsFindsWideElements shows that Fits fails an element wider than a
// phone and passes the same element in a box meant to scroll sideways (it
// takes the focus), but fails a box that hides its content's right side
// behind a sideways scroll.
func TestFitsFindsWideElements(t *testing.T) {
	p := Browser(t)
	url := pages(t, map[string]string{
		"/wide":   `<div id="w" style="width:600px">wide</div>`,
		"/scroll": `<div style="overflow-x:auto" tabindex="0"><div id="w" style="width:600px">wide</div></div>`,
		"/hidden": `<div id="q" style="overflow:auto;width:200px"><div style="width:300px">wider than its column</div></div>`,
		"/huge":   `<div id="h" style="width:2000px">huge</div>`,
	})
	for _, c := range []struct {
		path string
		want []string // what the errors say, one per failing width
	}{
		{"/wide", []string{"at 390 px", "div#w"}},
		{"/scroll", nil},
		{"/huge", []string{"at 1280 px", "at 390 px", "div#h"}},
		{"/hidden", []string{"at 1280 px", "at 390 px", "div#q scrolls sideways"}},
	} {
		p.Do(t, chromedp.Navigate(url+c.path))
		r := &recorder{TB: t}
		p.Fits(r, c.path)
		if c.want == nil && len(r.errors) != 0 {
			t.Errorf("%s: got %q, want it to fit", c.path, r.all())
		}
		for _, w := range c.want {
			if !strings.Contains(r.all(), w) {
				t.Errorf("%s: got %q, want it to say %q", c.path, r.all(), w)
			}
		}
		if strings.Contains(r.all(), "at 1280 px") && c.path == "/wide" {
			t.Errorf("%s: got %q, want 600 px to fit 1280 px", c.path, r.all())
		}
	}
}
