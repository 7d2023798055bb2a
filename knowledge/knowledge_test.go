package knowledge_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"

	"xinqiao/knowledge"
)

// doc is a document as the curators' guide (README.md) defines it.
type doc struct {
	path   string
	fields map[string]string
	lists  map[string][]string
	body   string
}

var (
	allowedFields = map[string]bool{
		"id": true, "title": true, "lang": true, "kind": true, "audience": true, "topics": true,
		"version": true, "reviewed_by": true, "reviewed_at": true, "review_due": true,
		"pinned_for": true, "translation_of": true,
	}
	listFields  = map[string]bool{"audience": true, "topics": true, "pinned_for": true}
	required    = []string{"id", "title", "lang", "audience", "topics", "version", "reviewed_by", "reviewed_at", "review_due"}
	bands       = map[string]bool{"primary": true, "junior": true, "senior": true}
	slugRE      = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
	pinnedKinds = map[string]bool{
		"medium_risk": true, "self_harm": true, "abuse": true, "eating": true,
		"sexuality_young": true, "bullying_now": true, "crisis": true, "crisis_other": true,
	}
	digitsRunRE = regexp.MustCompile(`[0-9０-９]{3,}`)
	urlRE       = regexp.MustCompile(`(?i)(https?://|www\.|\.com\b|\.cn\b|\.org\b)`)
)

// parse reads one document: front matter between "---" lines with "key: value"
// and "key: [a, b]" lines, then the Markdown body.
func parse(p string, data []byte) (*doc, error) {
	text := strings.ReplaceAll(string(data), "\r\n", "\n")
	if !strings.HasPrefix(text, "---\n") {
		return nil, fmt.Errorf("no front matter")
	}
	end := strings.Index(text[4:], "\n---\n")
	if end < 0 {
		return nil, fmt.Errorf("front matter not closed")
	}
	d := &doc{path: p, fields: map[string]string{}, lists: map[string][]string{}, body: text[4+end+5:]}
	for _, line := range strings.Split(text[4:4+end], "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			return nil, fmt.Errorf("front matter line %q: want key: value", line)
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if !allowedFields[k] {
			return nil, fmt.Errorf("unknown field %q", k)
		}
		if _, dup := d.fields[k]; dup {
			return nil, fmt.Errorf("field %q twice", k)
		}
		d.fields[k] = v
		if listFields[k] {
			if !strings.HasPrefix(v, "[") || !strings.HasSuffix(v, "]") {
				return nil, fmt.Errorf("field %q: want a list [a, b]", k)
			}
			for _, item := range strings.Split(strings.Trim(v, "[]"), ",") {
				if item = strings.TrimSpace(item); item != "" {
					d.lists[k] = append(d.lists[k], item)
				}
			}
		}
	}
	return d, nil
}

func loadDocs(t *testing.T) []*doc {
	t.Helper()
	paths, err := knowledge.DocumentPaths()
	if err != nil {
		t.Fatalf("DocumentPaths: %v", err)
	}
	var docs []*doc
	for _, p := range paths {
		data, err := fs.ReadFile(knowledge.FS, p)
		if err != nil {
			t.Fatalf("read %s: %v", p, err)
		}
		d, err := parse(p, data)
		if err != nil {
			t.Errorf("%s: %v", p, err)
			continue
		}
		docs = append(docs, d)
	}
	return docs
}

func countHan(s string) int {
	n := 0
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			n++
		}
	}
	return n
}

func countNonSpace(s string) int {
	n := 0
	for _, r := range s {
		if !unicode.IsSpace(r) {
			n++
		}
	}
	return n
}

func TestReadmeNotEmbedded(t *testing.T) {
	if _, err := fs.Stat(knowledge.FS, "README.md"); err == nil {
		t.Errorf("README.md: got it embedded, want it outside the document set")
	}
}

func TestDocuments(t *testing.T) {
	docs := loadDocs(t)
	ids := map[string]*doc{}
	var articles, zh, en, cards int
	for _, d := range docs {
		id := d.fields["id"]
		for _, f := range required {
			if d.fields[f] == "" {
				t.Errorf("%s: got no %s, want one", d.path, f)
			}
		}
		if !slugRE.MatchString(id) {
			t.Errorf("%s: got id %q, want a lower-case slug", d.path, id)
		}
		if want := path.Base(d.path); want != id+".md" {
			t.Errorf("%s: got id %q, want the file named %s.md", d.path, id, id)
		}
		if ids[id] != nil {
			t.Errorf("%s: got id %q also in %s, want unique ids", d.path, id, ids[id].path)
		}
		ids[id] = d
		lang := d.fields["lang"]
		if dir := path.Dir(d.path); dir != "cards" && dir != lang {
			t.Errorf("%s: got lang %q in folder %s, want the folder to match", d.path, lang, dir)
		}
		if lang != "zh" && lang != "en" {
			t.Errorf("%s: got lang %q, want zh or en", d.path, lang)
		}
		if lang == "en" && !strings.HasSuffix(id, "-en") || lang == "zh" && !strings.HasSuffix(id, "-zh") {
			t.Errorf("%s: got id %q, want it to end in -%s", d.path, id, lang)
		}
		if len(d.lists["audience"]) == 0 {
			t.Errorf("%s: got no audience, want grade bands", d.path)
		}
		for _, b := range d.lists["audience"] {
			if !bands[b] {
				t.Errorf("%s: got audience %q, want primary, junior or senior", d.path, b)
			}
		}
		if len(d.lists["topics"]) == 0 {
			t.Errorf("%s: got no topics, want at least one", d.path)
		}
		for _, tp := range d.lists["topics"] {
			if !slugRE.MatchString(tp) {
				t.Errorf("%s: got topic %q, want an English slug", d.path, tp)
			}
		}
		if v, err := strconv.Atoi(d.fields["version"]); err != nil || v < 1 {
			t.Errorf("%s: got version %q, want an integer ≥ 1", d.path, d.fields["version"])
		}
		at, err1 := time.Parse(time.DateOnly, d.fields["reviewed_at"])
		due, err2 := time.Parse(time.DateOnly, d.fields["review_due"])
		if err1 != nil || err2 != nil || !due.After(at) || due.After(at.AddDate(1, 0, 1)) {
			t.Errorf("%s: got reviewed_at %q review_due %q, want dates with the due date within a year after", d.path, d.fields["reviewed_at"], d.fields["review_due"])
		}
		if strings.ContainsAny(d.fields["reviewed_by"], "0123456789") || d.fields["reviewed_by"] == "" {
			t.Errorf("%s: got reviewed_by %q, want a role", d.path, d.fields["reviewed_by"])
		}
		checkProse(t, d)

		kind := d.fields["kind"]
		switch kind {
		case "card":
			cards++
			checkCard(t, d)
		case "", "article":
			articles++
			if lang == "zh" {
				zh++
			} else {
				en++
			}
			if len(d.lists["pinned_for"]) > 0 {
				t.Errorf("%s: got pinned_for on an article, want it only on cards", d.path)
			}
			checkArticle(t, d)
		default:
			t.Errorf("%s: got kind %q, want article or card", d.path, kind)
		}
	}
	// Translations point at an existing Chinese document of the same kind and bands.
	for _, d := range docs {
		of := d.fields["translation_of"]
		if d.fields["lang"] == "en" && of == "" {
			t.Errorf("%s: got no translation_of, want the zh id it adapts", d.path)
		}
		if of == "" {
			continue
		}
		src := ids[of]
		if src == nil || src.fields["lang"] != "zh" {
			t.Errorf("%s: got translation_of %q, want an existing zh document", d.path, of)
			continue
		}
		if !slices.Equal(src.lists["audience"], d.lists["audience"]) || src.fields["kind"] != d.fields["kind"] || !slices.Equal(src.lists["pinned_for"], d.lists["pinned_for"]) {
			t.Errorf("%s: got audience/kind/pinned_for differing from %s, want them equal", d.path, of)
		}
	}
	if articles < 44 || zh < 30 || en < 10 {
		t.Errorf("got %d articles (%d zh, %d en), want at least 44 with 10 in English", articles, zh, en)
	}
	t.Logf("%d articles (%d zh, %d en), %d cards", articles, zh, en, cards)
}

// checkProse applies the rules that hold for every document: no phone numbers
// (numbers come from the registry), no URLs, nothing that reads like medication.
func checkProse(t *testing.T, d *doc) {
	t.Helper()
	text := d.fields["title"] + "\n" + d.body
	if m := digitsRunRE.FindString(text); m != "" {
		t.Errorf("%s: got %q in the text, want no numbers of three or more digits (phone numbers come from hotlines.json)", d.path, m)
	}
	if m := urlRE.FindString(text); m != "" {
		t.Errorf("%s: got %q in the text, want no URLs", d.path, m)
	}
	for _, w := range []string{"药", "处方", "剂量", "诊断为", "抑郁症", "焦虑症", "medication", "medicine", "pills", "dose", "diagnos", "disorder"} {
		if strings.Contains(strings.ToLower(text), w) {
			t.Errorf("%s: got %q in the text, want no medication or diagnosis words", d.path, w)
		}
	}
}

func checkArticle(t *testing.T, d *doc) {
	t.Helper()
	var sections int
	for _, line := range strings.Split(d.body, "\n") {
		switch {
		case strings.HasPrefix(line, "## "):
			sections++
		case strings.HasPrefix(line, "#") && !strings.HasPrefix(line, "###"):
			t.Errorf("%s: got heading %q, want only ## (and ###) headings in the body", d.path, line)
		}
	}
	if sections < 3 || sections > 6 {
		t.Errorf("%s: got %d ## sections, want 3 to 6", d.path, sections)
	}
	if first := strings.TrimSpace(d.body); !strings.HasPrefix(first, "## ") {
		t.Errorf("%s: got text before the first ## heading, want every paragraph inside a section", d.path)
	}
	switch d.fields["lang"] {
	case "zh":
		if n := countHan(d.body); n < 400 || n > 1200 {
			t.Errorf("%s: got %d Chinese characters, want 400 to 1200", d.path, n)
		}
	case "en":
		if n := len(strings.Fields(d.body)); n < 250 || n > 700 {
			t.Errorf("%s: got %d words, want 250 to 700", d.path, n)
		}
	}
}

func checkCard(t *testing.T, d *doc) {
	t.Helper()
	pins := d.lists["pinned_for"]
	if len(pins) == 0 {
		t.Errorf("%s: got no pinned_for on a card, want one", d.path)
	}
	for _, p := range pins {
		if !pinnedKinds[p] {
			t.Errorf("%s: got pinned_for %q, want one of %v", d.path, p, pinnedKinds)
		}
	}
	if strings.Contains(d.body, "#") {
		t.Errorf("%s: got a heading in a card, want plain paragraphs sent whole", d.path)
	}
	switch d.fields["lang"] {
	case "zh":
		if n := countNonSpace(d.body); n < 150 || n > 350 {
			t.Errorf("%s: got %d characters, want 150 to 350", d.path, n)
		}
	case "en":
		// English needs more letters for the same message: 60 to 130 words.
		if n := len(strings.Fields(d.body)); n < 60 || n > 130 {
			t.Errorf("%s: got %d words, want 60 to 130", d.path, n)
		}
	}
}

// Every pinned kind has a card in both languages covering every band.
func TestCardsCoverEveryPin(t *testing.T) {
	have := map[string]map[string]bool{}
	for _, d := range loadDocs(t) {
		if d.fields["kind"] != "card" {
			continue
		}
		for _, p := range d.lists["pinned_for"] {
			for _, b := range d.lists["audience"] {
				key := p + "/" + b
				if have[key] == nil {
					have[key] = map[string]bool{}
				}
				have[key][d.fields["lang"]] = true
			}
		}
	}
	for p := range pinnedKinds {
		for b := range bands {
			if p == "sexuality_young" && b != "primary" {
				continue // only for primary pupils
			}
			for _, lang := range []string{"zh", "en"} {
				if !have[p+"/"+b][lang] {
					t.Errorf("pinned_for %s, band %s, lang %s: got no card, want one", p, b, lang)
				}
			}
		}
	}
}

type evalLine struct {
	Q        string   `json:"q"`
	Lang     string   `json:"lang"`
	Band     string   `json:"band"`
	Relevant []string `json:"relevant"`
}

// The retrieval evaluation set names only documents that exist, in the question's
// language and band.
func TestRetrievalEvalSet(t *testing.T) {
	f, err := os.Open("../internal/kb/testdata/retrieval_eval.jsonl")
	if err != nil {
		t.Fatalf("open eval set: %v", err)
	}
	defer f.Close()
	docs := map[string]*doc{}
	for _, d := range loadDocs(t) {
		docs[d.fields["id"]] = d
	}
	seen := map[string]bool{}
	var n, zh, en int
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		dec := json.NewDecoder(strings.NewReader(sc.Text()))
		dec.DisallowUnknownFields()
		var e evalLine
		if err := dec.Decode(&e); err != nil {
			t.Errorf("line %d: %v", line, err)
			continue
		}
		n++
		switch e.Lang {
		case "zh":
			zh++
		case "en":
			en++
		default:
			t.Errorf("line %d: got lang %q, want zh or en", line, e.Lang)
		}
		if e.Band != "" && !bands[e.Band] {
			t.Errorf("line %d: got band %q, want primary, junior, senior or empty", line, e.Band)
		}
		if strings.TrimSpace(e.Q) == "" || seen[e.Q] {
			t.Errorf("line %d: got question %q empty or repeated", line, e.Q)
		}
		seen[e.Q] = true
		if len(e.Relevant) == 0 {
			t.Errorf("line %d: got no relevant documents, want at least one", line)
		}
		for _, id := range e.Relevant {
			d := docs[id]
			if d == nil {
				t.Errorf("line %d: got relevant %q, want an existing document id", line, id)
				continue
			}
			if d.fields["lang"] != e.Lang {
				t.Errorf("line %d: got relevant %q in %s, want documents in the question's language %s", line, id, d.fields["lang"], e.Lang)
			}
			if e.Band != "" && !slices.Contains(d.lists["audience"], e.Band) {
				t.Errorf("line %d: got relevant %q for bands %v, want it to serve band %s", line, id, d.lists["audience"], e.Band)
			}
			if d.fields["kind"] == "card" {
				t.Errorf("line %d: got relevant card %q, want articles (cards are pinned, not retrieved)", line, id)
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if n < 100 || en < 20 || zh < 70 {
		t.Errorf("got %d questions (%d zh, %d en), want at least 100, about three quarters Chinese", n, zh, en)
	}
	t.Logf("%d questions (%d zh, %d en)", n, zh, en)
}
