package apptest

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// axeJS is axe-core, vendored as a test asset (see testdata/axe/README.md).
//
//go:embed testdata/axe/axe.min.js
var axeJS string

// axeViolation is the part of an axe-core result a failure message shows.
type axeViolation struct {
	ID     string `json:"id"`
	Impact string `json:"impact"`
	Help   string `json:"help"`
	Nodes  []struct {
		Target  []any  `json:"target"`
		Summary string `json:"failureSummary"`
		HTML    string `json:"html"`
	} `json:"nodes"`
}

// Axe runs axe-core on the page as it is now and fails the test on every
// serious or critical violation (a missing label, contrast below WCAG AA,
// a control a keyboard cannot reach, ...). state names the page and its
// state in the failure, "curator, document open" say. Call it in each
// state a test reaches: axe only sees what is in the DOM at the time.
func (p *Page) Axe(tb testing.TB, state string) {
	tb.Helper()
	var raw string
	p.runFor(tb, 60*time.Second, "axe on "+state, func(ctx context.Context) (err error) {
		loaded, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`typeof axe === "object"`))
		if err != nil {
			return err
		}
		if !loaded {
			if _, err = chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](axeJS)); err != nil {
				return fmt.Errorf("inject axe-core: %w", err)
			}
		}
		raw, err = chromedp.Run(ctx, chromedp.Evaluate[string](
			`axe.run(document, {resultTypes: ["violations"]}).then(r => JSON.stringify(r.violations))`,
			chromedp.EvalAwaitPromise))
		return err
	})
	var vs []axeViolation
	if err := json.Unmarshal([]byte(raw), &vs); err != nil {
		tb.Fatalf("axe on %s: decode the result: %v", state, err)
	}
	for _, v := range vs {
		if v.Impact != "serious" && v.Impact != "critical" {
			continue
		}
		var b strings.Builder
		for i, n := range v.Nodes {
			if i == 5 {
				fmt.Fprintf(&b, "\n    ... and %d more", len(v.Nodes)-5)
				break
			}
			fmt.Fprintf(&b, "\n    %v %.200s\n      %s", n.Target, n.HTML, strings.ReplaceAll(n.Summary, "\n", "\n      "))
		}
		tb.Errorf("axe on %s: %s violation %s (%s) on %d element(s):%s", state, v.Impact, v.ID, v.Help, len(v.Nodes), b.String())
	}
}

// Widths are the screen widths Fits checks: a desktop and a phone.
var Widths = []int64{1280, 390}

// Fits checks the page as it is now at each of Widths: the document does
// not scroll sideways and no visible element reaches past the right or
// left edge of the viewport, except inside an element that scrolls or
// clips sideways on its own (a wide table in a scroll box). A box that
// scrolls sideways must be meant to: it takes the keyboard focus
// (tabindex, as a wide table's box does for axe); any other box whose
// content is wider than itself (a queue column, a panel) hides part of
// what it holds behind a sideways scroll, and fails. It restores
// the viewport afterwards. With XINQIAO_SCREENSHOTS set to a directory,
// a screenshot of each width is written there; on a failure one is
// written to the system temporary directory and named in the message.
func (p *Page) Fits(tb testing.TB, state string) {
	tb.Helper()
	defer p.Do(tb, chromedp.ResetViewport())
	for _, w := range Widths {
		p.Do(tb, chromedp.EmulateViewport(w, 844))
		var res struct {
			ScrollWidth int64    `json:"scrollWidth"`
			Inner       int64    `json:"inner"`
			Wide        []string `json:"wide"`
		}
		p.runFor(tb, 30*time.Second, fmt.Sprintf("overflow at %d px on %s", w, state), func(ctx context.Context) error {
			raw, err := chromedp.Run(ctx, chromedp.Evaluate[string](overflowJS, chromedp.EvalAwaitPromise))
			if err != nil {
				return err
			}
			return json.Unmarshal([]byte(raw), &res)
		})
		dir, keep := os.LookupEnv("XINQIAO_SCREENSHOTS")
		bad := res.ScrollWidth > res.Inner || len(res.Wide) > 0
		if !bad && !keep {
			continue
		}
		if !keep {
			dir = os.TempDir()
		}
		shot := filepath.Join(dir, fmt.Sprintf("%s-%s-%d.png", fileSafe(tb.Name()), fileSafe(state), w))
		p.run(tb, "screenshot", func(ctx context.Context) error {
			png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
			if err != nil {
				return err
			}
			return os.WriteFile(shot, png, 0o644)
		})
		if bad {
			tb.Errorf("%s at %d px: the page is %d px wide; elements past the edge: %s (screenshot %s)",
				state, w, res.ScrollWidth, strings.Join(res.Wide, ", "), shot)
		}
	}
}

// overflowJS measures, after the layout settles, the document's width,
// the visible elements past the viewport's edges that no scrolling or
// clipping ancestor contains, and the boxes that scroll sideways without
// taking the focus.
const overflowJS = `new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r))).then(() => {
  const inner = document.documentElement.clientWidth;
  const contained = e => {
    for (let a = e.parentElement; a && a !== document.body && a !== document.documentElement; a = a.parentElement) {
      const o = getComputedStyle(a).overflowX;
      if (o !== "visible") return true;
    }
    return false;
  };
  const name = e => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") +
    (typeof e.className === "string" && e.className ? "." + e.className.trim().split(/\s+/).join(".") : "");
  const wide = [];
  for (const e of document.body.querySelectorAll("*")) {
    const r = e.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) continue;
    const s = getComputedStyle(e);
    if (s.visibility === "hidden") continue;
    if (r.right <= inner + 1 && (r.left >= -1 || r.right <= 0)) continue;
    if (contained(e)) continue;
    wide.push(name(e) + " [" + Math.round(r.left) + ".." + Math.round(r.right) + "]");
    if (wide.length === 8) break;
  }
  for (const e of document.body.querySelectorAll("*")) {
    if (wide.length >= 12) break;
    const s = getComputedStyle(e);
    if (s.overflowX !== "auto" && s.overflowX !== "scroll") continue;
    if (e.hasAttribute("tabindex") || ["TEXTAREA", "INPUT", "SELECT"].includes(e.tagName)) continue;
    if (e.clientWidth === 0 || e.scrollWidth <= e.clientWidth + 1) continue;
    wide.push(name(e) + " scrolls sideways (" + e.scrollWidth + " px of content in " + e.clientWidth + " px)");
  }
  return JSON.stringify({scrollWidth: document.documentElement.scrollWidth, inner, wide});
})`

var unsafeFile = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

func fileSafe(s string) string { return strings.Trim(unsafeFile.ReplaceAllString(s, "_"), "_") }
