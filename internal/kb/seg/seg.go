// Package seg segments Chinese and English text for retrieval without any
// database extension or dictionary: runs of Han characters, lowercased Latin
// words and digit runs, after folding full-width forms and expanding a small
// colloquial-to-canonical phrase map. The keyword index (CJK bigrams) and the
// local embedder (character n-grams) are both built on it, for documents
// and queries alike.
package seg

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// RunKind says what a Run holds.
type RunKind uint8

// Kinds of runs.
const (
	Han   RunKind = iota + 1 // consecutive Han characters
	Word                     // a lowercased Latin word
	Digit                    // consecutive ASCII digits
)

// Run is a maximal piece of text of one kind. Punctuation, spaces and other
// scripts separate runs and are dropped.
type Run struct {
	Kind RunKind
	Text string
}

// Normalize folds full-width ASCII to half-width, lowercases, and appends
// the canonical terms of the colloquial phrases found (see Expand).
func Normalize(s string) string {
	return Expand(fold(s))
}

func fold(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 0xFF01 && r <= 0xFF5E: // full-width ASCII
			r -= 0xFEE0
		case r == 0x3000: // ideographic space
			r = ' '
		}
		return unicode.ToLower(r)
	}, s)
}

// Runs splits already normalised text into runs.
func Runs(s string) []Run {
	var out []Run
	start, kind := 0, RunKind(0)
	flush := func(end int) {
		if kind != 0 && end > start {
			out = append(out, Run{kind, s[start:end]})
		}
		kind = 0
	}
	for i, r := range s {
		var k RunKind
		switch {
		case unicode.Is(unicode.Han, r):
			k = Han
		case r < utf8.RuneSelf && 'a' <= r && r <= 'z', unicode.IsLetter(r) && r < 0x250:
			k = Word
		case '0' <= r && r <= '9':
			k = Digit
		case r == '\'' && kind == Word: // don't, it's: keep inside the word
			continue
		}
		if k != kind {
			flush(i)
			if k != 0 {
				start, kind = i, k
			}
		}
	}
	flush(len(s))
	return out
}

// Tokens returns the keyword tokens of s: Han bigrams (a single Han
// character stands alone), stemmed English words without stop words, and
// digit runs. The same function indexes documents and queries.
func Tokens(s string) []string {
	var out []string
	for _, r := range Runs(Normalize(s)) {
		switch r.Kind {
		case Han:
			rs := []rune(r.Text)
			if len(rs) == 1 {
				out = append(out, r.Text)
				continue
			}
			for i := 0; i+1 < len(rs); i++ {
				out = append(out, string(rs[i:i+2]))
			}
		case Word:
			w := strings.ReplaceAll(r.Text, "'", "")
			if stop[w] || len(w) < 2 {
				continue
			}
			out = append(out, Stem(w))
		case Digit:
			out = append(out, r.Text)
		}
	}
	return out
}

// Stem strips the commonest English inflections, so "exams" meets "exam"
// and "worried" meets "worry". It is deliberately crude and symmetric.
func Stem(w string) string {
	n := len(w)
	switch {
	case n > 4 && strings.HasSuffix(w, "ies"):
		return w[:n-3] + "y"
	case n > 4 && strings.HasSuffix(w, "ied"):
		return w[:n-3] + "y"
	case n > 5 && strings.HasSuffix(w, "ing"):
		return trimDouble(w[:n-3])
	case n > 4 && strings.HasSuffix(w, "ed"):
		return trimDouble(w[:n-2])
	case n > 3 && strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss") && !strings.HasSuffix(w, "us"):
		return w[:n-1]
	}
	return w
}

// trimDouble turns "stopp" (from stopping) into "stop".
func trimDouble(w string) string {
	n := len(w)
	if n > 2 && w[n-1] == w[n-2] && w[n-1] != 'l' && w[n-1] != 's' {
		return w[:n-1]
	}
	return w
}

// IsStop reports whether an English word carries no topic.
func IsStop(w string) bool { return stop[w] }

var stop = map[string]bool{}

func init() {
	for _, w := range strings.Fields(`a an the and or but if so of to in on at by for with from as is am are was were be been
		being do does did doing have has had i me my mine myself you your yours we us our they them their he him his she
		her it its this that these those what which who whom how why when where there here can could would should will
		shall may might must just very really too also not no than then about into over out up down off again more most
		some any all each every other such only own same get got im ive dont cant wont didnt doesnt isnt`) {
		stop[w] = true
	}
}
