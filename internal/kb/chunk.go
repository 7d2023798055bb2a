package kb

import (
	"regexp"
	"strings"
	"unicode/utf8"
)

// Chunk sizes in characters (runes). Chinese carries about twice the meaning
// per character of English letters-per-word, so these sizes fit both: a
// chunk is a section, or a few paragraphs of a long one.
const (
	MinChunkRunes = 150
	MaxChunkRunes = 500
)

// Piece is a chunk cut from a document before it is stored: the heading of
// its section, its Markdown text, and the plain context that is embedded
// and tokenised (title, heading and text).
type Piece struct {
	Heading string `json:"heading,omitempty"`
	Text    string `json:"text"`
	Context string `json:"context"`
}

type section struct {
	heading string
	paras   []string
}

// ChunkMarkdown cuts a document body into pieces: one per "##" section,
// sections longer than MaxChunkRunes split at paragraphs (and a paragraph
// longer than that at sentence ends), short neighbouring sections merged
// until MinChunkRunes. The title and heading are kept in every piece's
// context.
func ChunkMarkdown(title, body string) []Piece {
	var secs []section
	cur := section{}
	var para []string
	endPara := func() {
		if len(para) > 0 {
			cur.paras = append(cur.paras, strings.Join(para, "\n"))
			para = nil
		}
	}
	for _, line := range strings.Split(body, "\n") {
		t := strings.TrimSpace(line)
		if h, ok := heading(t); ok {
			endPara()
			if len(cur.paras) > 0 || cur.heading != "" {
				secs = append(secs, cur)
			}
			cur = section{heading: h}
			continue
		}
		if t == "" {
			endPara()
			continue
		}
		para = append(para, t)
	}
	endPara()
	if len(cur.paras) > 0 || cur.heading != "" {
		secs = append(secs, cur)
	}

	var out []Piece
	add := func(h string, paras []string) {
		if len(paras) == 0 {
			return
		}
		text := strings.Join(paras, "\n\n")
		out = append(out, Piece{Heading: h, Text: text, Context: contextText(title, h, text)})
	}
	for i := 0; i < len(secs); i++ {
		s := secs[i]
		// Merge short sections forward while they stay small.
		for i+1 < len(secs) && runes(s.paras) < MinChunkRunes && runes(s.paras)+runes(secs[i+1].paras) <= MaxChunkRunes {
			next := secs[i+1]
			if next.heading != "" {
				next.paras = append([]string{"## " + next.heading}, next.paras...)
			}
			s.paras = append(s.paras, next.paras...)
			i++
		}
		var buf []string
		n := 0
		for _, p := range splitLong(s.paras) {
			pn := utf8.RuneCountInString(p)
			if n > 0 && n+pn > MaxChunkRunes {
				add(s.heading, buf)
				buf, n = nil, 0
			}
			buf = append(buf, p)
			n += pn
		}
		// A short tail joins the previous piece of the same section.
		if n < MinChunkRunes/2 && len(out) > 0 && out[len(out)-1].Heading == s.heading && len(buf) > 0 &&
			utf8.RuneCountInString(out[len(out)-1].Text)+n <= MaxChunkRunes+MinChunkRunes/2 {
			last := &out[len(out)-1]
			last.Text += "\n\n" + strings.Join(buf, "\n\n")
			last.Context = contextText(title, last.Heading, last.Text)
			continue
		}
		add(s.heading, buf)
	}
	return out
}

var headingRE = regexp.MustCompile(`^#{1,6}\s+(.+?)\s*#*$`)

func heading(line string) (string, bool) {
	m := headingRE.FindStringSubmatch(line)
	if m == nil {
		return "", false
	}
	return m[1], true
}

func runes(paras []string) int {
	n := 0
	for _, p := range paras {
		n += utf8.RuneCountInString(p)
	}
	return n
}

// splitLong splits paragraphs longer than MaxChunkRunes at sentence ends.
func splitLong(paras []string) []string {
	var out []string
	for _, p := range paras {
		if utf8.RuneCountInString(p) <= MaxChunkRunes {
			out = append(out, p)
			continue
		}
		var cur strings.Builder
		n := 0
		for _, r := range p {
			cur.WriteRune(r)
			n++
			if n >= MaxChunkRunes*2/3 && strings.ContainsRune("。！？!?；;\n", r) || n >= MaxChunkRunes {
				out = append(out, strings.TrimSpace(cur.String()))
				cur.Reset()
				n = 0
			}
		}
		if s := strings.TrimSpace(cur.String()); s != "" {
			out = append(out, s)
		}
	}
	return out
}

var (
	linkRE     = regexp.MustCompile(`\[([^\]]*)\]\([^)]*\)`)
	emphasisRE = regexp.MustCompile("[*_`]+")
	listRE     = regexp.MustCompile(`(?m)^\s*(?:[-*+]|\d+[.)])\s+|^#+\s*|^>\s?`)
)

// Plain strips the Markdown marks that carry no words.
func Plain(md string) string {
	s := linkRE.ReplaceAllString(md, "$1")
	s = listRE.ReplaceAllString(s, "")
	return emphasisRE.ReplaceAllString(s, "")
}

func contextText(title, heading, text string) string {
	parts := []string{title}
	if heading != "" {
		parts = append(parts, heading)
	}
	return strings.Join(append(parts, Plain(text)), "\n")
}
