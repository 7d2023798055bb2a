package answer

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// isCJK reports whether r is a Han, Hiragana, Katakana or Hangul character or
// CJK punctuation: the runes a tokenizer counts about one token each.
func isCJK(r rune) bool {
	return unicode.Is(unicode.Han, r) || unicode.Is(unicode.Hiragana, r) ||
		unicode.Is(unicode.Katakana, r) || unicode.Is(unicode.Hangul, r) ||
		(r >= 0x3000 && r <= 0x303F) || (r >= 0xFF00 && r <= 0xFFEF)
}

// EstimateTokens estimates how many tokens a model's tokenizer makes of s: about
// one per CJK character and one per four other non-space characters.
func EstimateTokens(s string) int {
	cjk, other := 0, 0
	for _, r := range s {
		switch {
		case isCJK(r):
			cjk++
		case unicode.IsSpace(r):
		default:
			other++
		}
	}
	return cjk + (other+3)/4
}

var stopwords = map[string]bool{
	"the": true, "a": true, "an": true, "and": true, "or": true, "to": true, "of": true,
	"in": true, "on": true, "is": true, "are": true, "am": true, "be": true, "it": true,
	"i": true, "you": true, "my": true, "me": true, "do": true, "does": true, "what": true,
	"how": true, "can": true, "for": true, "with": true, "that": true, "this": true,
	"at": true, "so": true, "if": true, "when": true, "about": true, "should": true,
}

var cjkStop = map[string]bool{"的": true, "了": true, "吗": true, "呢": true, "吧": true, "啊": true, "我": true, "你": true, "是": true}

// terms segments s for overlap scoring: CJK runs become bigrams (a lone
// character stays a unigram), Latin words are lowercased with a crude plural
// strip; stopwords are dropped. Terms are substrings of s (a lowercased word
// aside), so segmenting allocates little beyond the map.
func terms(s string) map[string]bool {
	out := make(map[string]bool, utf8.RuneCountInString(s))
	runStart, runLen, prev := -1, 0, 0 // the current Han run: its start, runes, and its last rune's offset
	wordStart := -1
	flushRun := func(end int) {
		if runLen == 1 && !cjkStop[s[runStart:end]] {
			out[s[runStart:end]] = true
		}
		runStart, runLen = -1, 0
	}
	flushWord := func(end int) {
		if wordStart < 0 {
			return
		}
		w := strings.ToLower(s[wordStart:end])
		wordStart = -1
		if len(w) < 2 || stopwords[w] {
			return
		}
		if len(w) > 3 && strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss") {
			w = w[:len(w)-1]
		}
		out[w] = true
	}
	for i, r := range s {
		switch {
		case r >= utf8.RuneSelf && unicode.Is(unicode.Han, r):
			flushWord(i)
			if runLen == 0 {
				runStart = i
			} else {
				out[s[prev:i+utf8.RuneLen(r)]] = true // the bigram of the previous rune and this one
			}
			prev = i
			runLen++
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			if runLen > 0 {
				flushRun(i)
			}
			if wordStart < 0 {
				wordStart = i
			}
		default:
			if runLen > 0 {
				flushRun(i)
			}
			flushWord(i)
		}
	}
	if runLen > 0 {
		flushRun(len(s))
	}
	flushWord(len(s))
	return out
}

// sentences splits a passage into cleaned sentences, dropping Markdown
// headings, list markers and emphasis. Each keeps its final punctuation.
func sentences(text string) []string {
	var out []string
	for _, line := range strings.Split(text, "\n") {
		line = cleanLine(line)
		if line == "" {
			continue
		}
		start := 0
		rs := []rune(line)
		for i := 0; i < len(rs); i++ {
			r := rs[i]
			end := false
			switch r {
			case '。', '！', '？', '；', '!', '?', '…':
				end = true
			case '.':
				end = i+1 == len(rs) || rs[i+1] == ' '
			}
			if !end {
				continue
			}
			// keep closing quotes and repeated marks with the sentence
			for i+1 < len(rs) && strings.ContainsRune("。！？!?…”’」』）)\"'", rs[i+1]) {
				i++
			}
			if s := strings.TrimSpace(string(rs[start : i+1])); s != "" {
				out = append(out, s)
			}
			start = i + 1
		}
		if s := strings.TrimSpace(string(rs[start:])); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// emphasis drops Markdown's bold and code marks.
var emphasis = strings.NewReplacer("**", "", "__", "", "`", "")

func cleanLine(line string) string {
	line = strings.TrimSpace(line)
	if strings.HasPrefix(line, "#") || strings.HasPrefix(line, "---") || strings.HasPrefix(line, "|") {
		return "" // headings, rules and tables are not sentences
	}
	line = strings.TrimLeft(line, "-*+> ")
	// "1. " and "1、" list markers
	if i := strings.IndexFunc(line, func(r rune) bool { return r < '0' || r > '9' }); i > 0 && i < 3 {
		rest := line[i:]
		if strings.HasPrefix(rest, ". ") || strings.HasPrefix(rest, "、") || strings.HasPrefix(rest, ") ") {
			_, n := utf8.DecodeRuneInString(rest)
			line = strings.TrimSpace(rest[n:])
		}
	}
	line = emphasis.Replace(line)
	return strings.TrimSpace(line)
}

// endsCJK reports whether s ends with a CJK character or punctuation, so the
// next sentence follows without a space.
func endsCJK(s string) bool {
	r, _ := utf8.DecodeLastRuneInString(s)
	return isCJK(r)
}

// truncateRunes cuts s to at most n runes.
func truncateRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	rs := []rune(s)
	return string(rs[:n])
}
