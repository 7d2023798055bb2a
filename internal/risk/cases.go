package risk

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"strconv"
	"strings"
)

// Case is one of our own labelled cases (exemplars/*.txt, written for
// xinqiao, none taken from a data set). They are the regression test of
// layer 1 (TestCases), the reference cases a district rule change is checked
// against before it is published, and the default exemplars of layer 3.
type Case struct {
	// Name is file/section/line, e.g. "cases/hyperbole_zh/9".
	Name string `json:"case"`
	Text string `json:"text"`
	// Label is the level as written: "medium", ">=high", "<=low", "low..medium".
	Label string `json:"want"`
	// Min and Max bound the levels the label allows.
	Min Level `json:"-"`
	Max Level `json:"-"`
	// Want are categories that must all be present, Deny ones that must not.
	Want []Category `json:"-"`
	Deny []Category `json:"-"`
}

// Fails says how r breaks the case's label, or "" when it holds.
func (c Case) Fails(r Result) string {
	if r.Level < c.Min || r.Level > c.Max {
		return fmt.Sprintf("got level %s (rules %v), want %s", r.Level, r.Rules, c.Label)
	}
	for _, w := range c.Want {
		if !slices.Contains(r.Categories, w) {
			return fmt.Sprintf("got categories %v, want %s among them", r.Categories, w)
		}
	}
	for _, d := range c.Deny {
		if slices.Contains(r.Categories, d) {
			return fmt.Sprintf("got categories %v, want no %s", r.Categories, d)
		}
	}
	return ""
}

// OwnCases returns our own labelled cases, exemplars/*.txt in name order.
func OwnCases() ([]Case, error) {
	names, err := fs.Glob(ownCases, "exemplars/*.txt")
	if err != nil {
		return nil, err
	}
	var out []Case
	for _, name := range names { // fs.Glob returns names sorted
		data, err := ownCases.ReadFile(name)
		if err != nil {
			return nil, err
		}
		cs, err := ParseCases(bytes.NewReader(data), strings.TrimSuffix(strings.TrimPrefix(name, "exemplars/"), ".txt"))
		if err != nil {
			return nil, err
		}
		out = append(out, cs...)
	}
	return out, nil
}

// ParseCases reads cases, one per line: LEVEL | CATEGORIES | TEXT, where
// LEVEL is a level, a range "a..b", ">=x" or "<=x", and CATEGORIES is "-" or
// a comma-separated list of categories that must be present ("!x": that must
// be absent). Blank lines and lines starting with # are skipped; "# name"
// (one word) starts a section. file names the cases and labels errors, which
// give the line.
func ParseCases(r io.Reader, file string) ([]Case, error) {
	var out []Case
	section := "cases"
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
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
		if len(parts) != 3 || strings.TrimSpace(parts[2]) == "" {
			return nil, fmt.Errorf("%s:%d: want LEVEL | CATEGORIES | TEXT", file, ln)
		}
		c := Case{Name: file + "/" + section + "/" + strconv.Itoa(ln), Text: strings.TrimSpace(parts[2]), Label: strings.TrimSpace(parts[0])}
		var err error
		if c.Min, c.Max, err = levelRange(c.Label); err != nil {
			return nil, fmt.Errorf("%s:%d: %v", file, ln, err)
		}
		if cats := strings.TrimSpace(parts[1]); cats != "-" {
			for _, s := range strings.Split(cats, ",") {
				s = strings.TrimSpace(s)
				deny := strings.HasPrefix(s, "!")
				k := Category(strings.TrimPrefix(s, "!"))
				if !validCategory(k) {
					return nil, fmt.Errorf("%s:%d: unknown category %q", file, ln, k)
				}
				if deny {
					c.Deny = append(c.Deny, k)
				} else {
					c.Want = addCategory(c.Want, k)
				}
			}
		}
		out = append(out, c)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s:%d: %v", file, ln+1, err)
	}
	return out, nil
}

// levelRange is the inclusive range of levels a case label allows.
func levelRange(s string) (lo, hi Level, err error) {
	switch {
	case strings.HasPrefix(s, ">="):
		lo, err = ParseLevel(s[2:])
		return lo, Imminent, err
	case strings.HasPrefix(s, "<="):
		hi, err = ParseLevel(s[2:])
		return None, hi, err
	case strings.Contains(s, ".."):
		a, b, _ := strings.Cut(s, "..")
		if lo, err = ParseLevel(a); err != nil {
			return
		}
		if hi, err = ParseLevel(b); err != nil {
			return
		}
		if hi < lo {
			err = fmt.Errorf("empty level range %q", s)
		}
		return
	}
	lo, err = ParseLevel(s)
	return lo, lo, err
}
