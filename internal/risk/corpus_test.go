package risk_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"xinqiao/internal/risk"
)

// corpusName is a corpus file's name: writer (one or two letters: a–z, then
// za, zb, …), genre, language, batch number.
var corpusName = regexp.MustCompile(`^([a-z]{1,2})_([a-z_]+)_(hans|hant|yue|en)_(\d{2})\.jsonl$`)

// corpusLang maps a file name's language part to the rows' lang.
var corpusLang = map[string]string{"hans": "zh-Hans", "hant": "zh-Hant", "yue": "yue", "en": "en"}

// TestCorpusFiles holds every file of the shipped corpus to its format: the
// trainer reads it, each row names its file as its batch and the genre and
// language of the file name, long posts in Chinese are 200–600 characters, no text
// appears twice, and MANIFEST.md has one row for the file with its line count.
func TestCorpusFiles(t *testing.T) {
	dir := "corpus"
	man, err := os.ReadFile(filepath.Join(dir, "MANIFEST.md"))
	if err != nil {
		t.Fatal(err)
	}
	manifest := map[string]int{}
	for _, line := range strings.Split(string(man), "\n") {
		cells := strings.Split(line, "|")
		if len(cells) < 7 || !strings.HasSuffix(strings.TrimSpace(cells[1]), ".jsonl") {
			continue
		}
		n, err := strconv.Atoi(strings.TrimSpace(cells[5]))
		if err != nil {
			t.Errorf("MANIFEST.md: %q: bad line count", line)
			continue
		}
		name := strings.TrimSpace(cells[1])
		if _, dup := manifest[name]; dup {
			t.Errorf("MANIFEST.md: %s listed twice", name)
		}
		manifest[name] = n
	}
	names, err := filepath.Glob(filepath.Join(dir, "*.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	if len(names) == 0 {
		t.Fatal("no corpus files")
	}
	seen := map[string]string{}
	for _, path := range names {
		base := filepath.Base(path)
		m := corpusName.FindStringSubmatch(base)
		if m == nil {
			t.Errorf("%s: name is not <writer>_<genre>_<lang>_NN.jsonl", base)
			continue
		}
		body, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		n, err := risk.ReadCorpusCount(base, bytes.NewReader(body))
		if err != nil {
			t.Errorf("trainer refuses %v", err)
			continue
		}
		if want, ok := manifest[base]; !ok {
			t.Errorf("%s: no MANIFEST.md row", base)
		} else if want != n {
			t.Errorf("%s: %d rows, MANIFEST.md says %d", base, n, want)
		}
		sc := bufio.NewScanner(bytes.NewReader(body))
		sc.Buffer(nil, 1<<20)
		for ln := 1; sc.Scan(); ln++ {
			var r struct{ Text, Genre, Lang, Batch string }
			if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
				t.Errorf("%s:%d: %v", base, ln, err)
				continue
			}
			if r.Batch+".jsonl" != base || r.Genre != m[2] || r.Lang != corpusLang[m[3]] {
				t.Errorf("%s:%d: batch %q genre %q lang %q do not match the file name", base, ln, r.Batch, r.Genre, r.Lang)
			}
			if r.Genre == "post" && strings.HasPrefix(r.Lang, "zh-") {
				if k := len([]rune(r.Text)); k < 200 || k > 600 {
					t.Errorf("%s:%d: post of %d characters, want 200–600", base, ln, k)
				}
			}
			if prev, ok := seen[r.Text]; ok {
				t.Errorf("%s:%d: same text as %s", base, ln, prev)
			}
			seen[r.Text] = base + ":" + strconv.Itoa(ln)
		}
		if err := sc.Err(); err != nil {
			t.Errorf("%s: %v", base, err)
		}
	}
}
