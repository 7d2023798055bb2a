package risk_test

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"xinqiao/internal/risk"
)

// levelSpec is an inclusive range of acceptable levels.
type levelSpec struct{ min, max risk.Level }

func parseLevelSpec(s string) (levelSpec, error) {
	switch {
	case strings.HasPrefix(s, ">="):
		l, err := risk.ParseLevel(s[2:])
		return levelSpec{l, risk.Imminent}, err
	case strings.HasPrefix(s, "<="):
		l, err := risk.ParseLevel(s[2:])
		return levelSpec{risk.None, l}, err
	case strings.Contains(s, ".."):
		a, b, _ := strings.Cut(s, "..")
		lo, err := risk.ParseLevel(a)
		if err != nil {
			return levelSpec{}, err
		}
		hi, err := risk.ParseLevel(b)
		return levelSpec{lo, hi}, err
	}
	l, err := risk.ParseLevel(s)
	return levelSpec{l, l}, err
}

type labelledCase struct {
	name  string
	level levelSpec
	want  []risk.Category
	deny  []risk.Category
	text  string
}

// loadCases reads every case file in exemplars/ (*.txt, in name order).
func loadCases(t *testing.T) []labelledCase {
	t.Helper()
	names, err := filepath.Glob("exemplars/*.txt")
	if err != nil {
		t.Fatal(err)
	}
	if len(names) == 0 {
		t.Fatal("no case files in exemplars/")
	}
	var out []labelledCase
	for _, name := range names {
		out = append(out, loadCaseFile(t, name)...)
	}
	return out
}

func loadCaseFile(t *testing.T, path string) []labelledCase {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	file := strings.TrimSuffix(filepath.Base(path), ".txt")
	var out []labelledCase
	section := "cases"
	sc := bufio.NewScanner(f)
	ln := 0
	for sc.Scan() {
		ln++
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		if strings.HasPrefix(line, "#") {
			if name := strings.TrimSpace(line[1:]); name != "" && !strings.ContainsAny(name, " :") {
				section = name
			}
			continue
		}
		parts := strings.SplitN(line, " | ", 3)
		if len(parts) != 3 {
			t.Fatalf("%s:%d: want LEVEL | CATEGORIES | TEXT", path, ln)
		}
		ls, err := parseLevelSpec(strings.TrimSpace(parts[0]))
		if err != nil {
			t.Fatalf("%s:%d: %v", path, ln, err)
		}
		lc := labelledCase{name: file + "/" + section + "/" + itoa(ln), level: ls, text: parts[2]}
		if cats := strings.TrimSpace(parts[1]); cats != "-" {
			for _, c := range strings.Split(cats, ",") {
				if strings.HasPrefix(c, "!") {
					lc.deny = append(lc.deny, risk.Category(c[1:]))
				} else {
					lc.want = append(lc.want, risk.Category(c))
				}
			}
		}
		out = append(out, lc)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func itoa(n int) string {
	b := []byte{}
	for n > 0 || len(b) == 0 {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
	}
	return string(b)
}

func hasCategory(cs []risk.Category, c risk.Category) bool {
	for _, x := range cs {
		if x == c {
			return true
		}
	}
	return false
}

// TestCases runs every labelled case in exemplars/*.txt. A rule change
// that breaks one fails the build.
func TestCases(t *testing.T) {
	c := mustLoad(t)
	cases := loadCases(t)
	if len(cases) < 400 {
		t.Fatalf("got %d labelled cases, want at least 400", len(cases))
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := c.Classify(tc.text)
			if got.Level < tc.level.min || got.Level > tc.level.max {
				t.Errorf("Classify(%q): got level %s (rules %v), want %s..%s", tc.text, got.Level, got.Rules, tc.level.min, tc.level.max)
			}
			for _, w := range tc.want {
				if !hasCategory(got.Categories, w) {
					t.Errorf("Classify(%q): got categories %v, want %s among them", tc.text, got.Categories, w)
				}
			}
			for _, d := range tc.deny {
				if hasCategory(got.Categories, d) {
					t.Errorf("Classify(%q): got categories %v, want no %s", tc.text, got.Categories, d)
				}
			}
		})
	}
}

func mustLoad(tb testing.TB) *risk.Classifier {
	tb.Helper()
	c, err := risk.Load("")
	if err != nil {
		tb.Fatalf("Load: %v", err)
	}
	return c
}
