package risk

import (
	_ "embed"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Boundary strengths recorded before a normalised rune: they keep the sentence
// structure that normalisation removes, for context windows only (matching
// ignores them, so "自.杀" and "自 杀" still match "自杀").
const (
	brkNone     = 0
	brkSpace    = 1 // spaces and decorative punctuation
	brkClause   = 2 // ， , ; ： 、
	brkSentence = 3 // 。 ！ ？ ! ? . … newline
)

// normText is text after normalisation, with a map back to the original.
type normText struct {
	runes []rune  // normalised runes
	orig  []int32 // original rune index of each normalised rune
	brk   []uint8 // boundary strength before each normalised rune
	hard  []bool  // the boundary before this rune is real punctuation (，。！？ …)
	sent  []int32 // sentence number of each normalised rune
	bs    []int32 // byte offset where the original rune starts
	be    []int32 // byte offset where the original rune ends
	n     int     // rune count of the original text
}

func (t *normText) reset() {
	t.runes = t.runes[:0]
	t.orig = t.orig[:0]
	t.brk = t.brk[:0]
	t.hard = t.hard[:0]
	t.sent = t.sent[:0]
	t.bs = t.bs[:0]
	t.be = t.be[:0]
	t.n = 0
}

// origSpan maps a normalised span [s,e) to the original rune span and its
// byte span.
func (t *normText) origSpan(s, e int) (rs, re, bs, be int) {
	if s >= e || e > len(t.orig) {
		return 0, 0, 0, 0
	}
	return int(t.orig[s]), int(t.orig[e-1]) + 1, int(t.bs[s]), int(t.be[e-1])
}

func isIgnorable(r rune) bool {
	switch {
	case r == 0x200B, r == 0x200C, r == 0x200D, r == 0x2060, r == 0xFEFF, r == 0x00AD:
		return true
	case r >= 0xFE00 && r <= 0xFE0F: // variation selectors
		return true
	case r >= 0x1F3FB && r <= 0x1F3FF: // skin tones
		return true
	case r == '\'' || r == 0x2018 || r == 0x2019 || r == '`' || r == 0x00B4:
		return true // apostrophes: "don't" → "dont", "i'm" → "im"
	case r >= 0x0300 && r <= 0x036F: // combining marks
		return true
	}
	return false
}

// isHard reports whether r is punctuation that ends a clause or sentence in
// writing, as opposed to the dots, spaces and symbols people slip between
// characters to hide a word (自.杀, 想 死, 想……死). A contiguous pattern never
// matches across it: 考砸了，我 is no "砸了我".
func isHard(r rune) bool {
	switch r {
	case '，', ',', '：', ':', '、', '﹐', '､', '。', '！', '？', '!', '?', '｡', '；', ';':
		return true
	}
	return false
}

func boundaryOf(r rune) uint8 {
	switch r {
	case '。', '！', '？', '!', '?', '.', '…', '\n', '\r', '｡', '；', ';':
		return brkSentence
	case '，', ',', '：', ':', '、', '﹐', '､':
		return brkClause
	}
	return brkSpace
}

func isLatinAlnum(r rune) bool {
	return (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') || (r >= 'A' && r <= 'Z')
}

// isContent reports whether r is kept (letters, digits, CJK, emoji and other
// symbols); everything else is a separator.
func isContent(r rune) bool {
	if r < 0x80 {
		return isLatinAlnum(r)
	}
	if unicode.IsLetter(r) || unicode.IsDigit(r) {
		return true
	}
	return unicode.Is(unicode.So, r)
}

// foldRune maps one original rune to its normalised form, or -1 if it is a
// separator. Full-width forms become half-width, letters are lowercased and
// the traditional characters our rules use become simplified.
func foldRune(r rune) rune {
	if r >= 0xFF01 && r <= 0xFF5E {
		r -= 0xFEE0
	} else if r == 0x3000 {
		r = ' '
	}
	if r < 0x80 {
		if r >= 'A' && r <= 'Z' {
			return r + 32
		}
		if isLatinAlnum(r) {
			return r
		}
		return -1
	}
	if r >= cjkLo && r <= cjkHi {
		if s := tradToSimp[r-cjkLo]; s != 0 {
			return s
		}
		return r
	}
	if !isContent(r) {
		return -1
	}
	return unicode.ToLower(r)
}

// normalize fills t from text.
func normalize(text string, t *normText) {
	t.reset()
	var pending uint8
	var pendingHard bool
	var sent int32
	prevLatin := false
	idx := 0
	for b0, r := range text {
		var i int // where this rune ends
		if r < utf8.RuneSelf {
			i = b0 + 1
		} else if r != utf8.RuneError {
			i = b0 + utf8.RuneLen(r)
		} else { // an invalid byte (width 1) or a real U+FFFD (width 3)
			_, size := utf8.DecodeRuneInString(text[b0:])
			i = b0 + size
		}
		cur := idx
		idx++
		if isIgnorable(r) {
			continue
		}
		f := foldRune(r)
		if f < 0 {
			if b := boundaryOf(r); b > pending {
				pending = b
			}
			pendingHard = pendingHard || isHard(r)
			continue
		}
		latin := isLatinAlnum(f)
		if pending > 0 && len(t.runes) > 0 {
			if pending >= brkSentence {
				sent++
			}
			if latin && prevLatin {
				// keep one space between Latin words, mapped to the first
				// original rune of the current word (never an empty span).
				t.runes = append(t.runes, ' ')
				t.orig = append(t.orig, int32(cur))
				t.brk = append(t.brk, pending)
				t.hard = append(t.hard, pendingHard)
				t.sent = append(t.sent, sent)
				t.bs = append(t.bs, int32(b0))
				t.be = append(t.be, int32(b0))
				pending, pendingHard = brkNone, false
			}
		}
		t.runes = append(t.runes, f)
		t.orig = append(t.orig, int32(cur))
		t.brk = append(t.brk, pending)
		t.hard = append(t.hard, pendingHard)
		t.sent = append(t.sent, sent)
		t.bs = append(t.bs, int32(b0))
		t.be = append(t.be, int32(i))
		pending, pendingHard = brkNone, false
		prevLatin = latin
	}
	t.n = idx
	joinSpelledOut(t)
	dropFillers(t)
}

// fillers are intensifiers and hedges that carry no risk meaning but break
// fixed phrases when a writer slips them in: 活着到底有什么意思 reads
// 活着有什么意思, 我真的想死 reads 我想死. Rule patterns are normalised the
// same way, so a pattern written with a filler still matches. A filler is only
// dropped when both its runes sit together (no boundary between them) and the
// rune before it does not make it part of a longer word (认真的, 现实在).
var fillers = [...]struct {
	a, b   rune
	shield string // runes that, just before a, make it part of another word
}{
	{'到', '底', "彻"},
	{'究', '竟', ""},
	{'真', '的', "认当天纯逼果"},
	{'实', '在', "现真老踏诚朴扎落着其确事"},
	{'简', '直', ""},
	{'其', '实', ""},
	{'确', '实', "准明的"},
}

// fillerFirst marks the first runes of fillers (index r - cjkLo).
var fillerFirst = func() []bool {
	m := make([]bool, cjkHi-cjkLo+1)
	for _, f := range fillers {
		m[f.a-cjkLo] = true
	}
	return m
}()

func isFiller(rs []rune, brk []uint8, i int) bool {
	if rs[i] < cjkLo || rs[i] > cjkHi || !fillerFirst[rs[i]-cjkLo] {
		return false
	}
	if i+1 >= len(rs) || brk[i+1] != brkNone {
		return false
	}
	for _, f := range fillers {
		if rs[i] != f.a || rs[i+1] != f.b {
			continue
		}
		if i > 0 && brk[i] == brkNone && f.shield != "" {
			for _, r := range f.shield {
				if rs[i-1] == r {
					return false
				}
			}
		}
		return true
	}
	return false
}

// dropFillers removes fillers from t in place. A boundary that stood before
// a dropped filler moves to the rune after it.
func dropFillers(t *normText) {
	rs := t.runes
	n := len(rs)
	first := -1
	for i := 0; i+1 < n; i++ {
		if isFiller(rs, t.brk, i) {
			first = i
			break
		}
	}
	if first < 0 {
		return
	}
	w := first
	var carry uint8
	var carryHard bool
	for i := first; i < n; i++ {
		if isFiller(rs, t.brk, i) {
			carry = max(carry, t.brk[i])
			carryHard = carryHard || t.hard[i]
			i++ // skip both runes
			continue
		}
		t.runes[w], t.orig[w], t.sent[w] = rs[i], t.orig[i], t.sent[i]
		t.brk[w] = max(t.brk[i], carry)
		t.hard[w] = t.hard[i] || carryHard
		t.bs[w], t.be[w] = t.bs[i], t.be[i]
		carry, carryHard = brkNone, false
		w++
	}
	t.runes, t.orig, t.brk, t.hard, t.sent = t.runes[:w], t.orig[:w], t.brk[:w], t.hard[:w], t.sent[:w]
	t.bs, t.be = t.bs[:w], t.be[:w]
}

// joinSpelledOut removes the spaces in runs of three or more single Latin
// letters ("k i l l  m e" → "kill me" is beyond it, but "k i l l" → "kill").
func joinSpelledOut(t *normText) {
	rs := t.runes
	n := len(rs)
	// quick check: any single letter followed by a space and a single letter?
	found := false
	for i := 0; i+2 < n; i++ {
		if rs[i+1] == ' ' && isLatinAlnum(rs[i]) && isLatinAlnum(rs[i+2]) &&
			(i == 0 || !isLatinAlnum(rs[i-1])) && (i+3 >= n || !isLatinAlnum(rs[i+3])) {
			found = true
			break
		}
	}
	if !found {
		return
	}
	single := func(i int) bool { // rs[i] is a one-letter word
		return isLatinAlnum(rs[i]) && (i == 0 || !isLatinAlnum(rs[i-1])) && (i+1 >= n || !isLatinAlnum(rs[i+1]))
	}
	drop := make([]bool, n)
	for i := 0; i < n; {
		if !single(i) {
			i++
			continue
		}
		j := i
		count := 1
		for j+2 < n && rs[j+1] == ' ' && single(j+2) {
			j += 2
			count++
		}
		if count >= 3 {
			for k := i + 1; k < j; k += 2 {
				drop[k] = true
			}
		}
		i = j + 1
	}
	w := 0
	for i := 0; i < n; i++ {
		if drop[i] {
			continue
		}
		t.runes[w], t.orig[w], t.brk[w], t.hard[w], t.sent[w] = t.runes[i], t.orig[i], t.brk[i], t.hard[i], t.sent[i]
		t.bs[w], t.be[w] = t.bs[i], t.be[i]
		w++
	}
	t.runes, t.orig, t.brk, t.hard, t.sent = t.runes[:w], t.orig[:w], t.brk[:w], t.hard[:w], t.sent[:w]
	t.bs, t.be = t.bs[:w], t.be[:w]
}

// normalizeString is normalize for rule patterns: it returns only the runes.
// t is scratch space, reused across calls.
func normalizeString(s string, t *normText) string {
	normalize(s, t)
	return string(t.runes)
}

// tradToSimp maps traditional characters to simplified ones: OpenCC's
// character table (tsfold/TSCharacters.txt, Apache-2.0; see its README), so
// that rules written in simplified Chinese and the model's n-grams read
// Traditional Chinese and written Cantonese as they read Simplified, then
// the pairs below, which take precedence. They fold the internet spelling
// 亖 (four strokes, read sì) to 死 and keep the characters our rules and
// the table read differently (鎅, a Cantonese verb, stays itself).
var tradToSimp = make([]rune, cjkHi-cjkLo+1) // index r - cjkLo; 0: unchanged

// cjkLo and cjkHi bound the CJK ideographs (extension A and the unified
// block): letters all, and the runes our tables index densely.
const cjkLo, cjkHi = 0x3400, 0x9FFF

//go:embed tsfold/TSCharacters.txt
var tsCharacters string

func init() {
	for line := range strings.Lines(tsCharacters) {
		trad, simp, ok := strings.Cut(strings.TrimRight(line, "\r\n"), "\t")
		if !ok {
			continue
		}
		t := []rune(trad)
		s, _, _ := strings.Cut(simp, " ")
		f := []rune(s)
		if len(t) != 1 || len(f) != 1 || t[0] == f[0] || !inCJK(t[0]) || !inCJK(f[0]) {
			continue
		}
		tradToSimp[t[0]-cjkLo] = f[0]
	}
	pairs := "著着殺杀嗎吗會会樓楼藥药們们說说沒没為为點点時时後后個个這这裡里來来過过還还開开關关難难覺觉傷伤絕绝壓压學学媽妈對对讓让頂顶燒烧繩绳橋桥農农結结離离別别見见負负罵骂強强姦奸親亲給给東东遺遗書书準准備备計计劃划現现經经聽听麼么邊边無无樂乐憂忧鬱郁厭厌煩烦愛爱幫帮殘残與与從从體体頭头線线電电話话劇剧聞闻節节課课題题試试寫写讀读報报導导槍枪醫医鎮镇靜静劑剂隨随應应該该夠够帶带錢钱遠远種种樣样實实萬万條条斷断盡尽脫脱釋释倆俩場场氣气悶闷慘惨憤愤恨恨臉脸膽胆腦脑腳脚懷怀聲声願愿意意寧宁濟济緒绪癥症穩稳歡欢喪丧屍尸墳坟葬葬埋埋刪删訊讯謝谢辭辞諒谅戀恋紮扎劃划傳传訴诉欺欺凌凌霸霸侮侮辱辱摸摸猥猥褻亵騷骚擾扰迫迫碰碰廁厕術术極极獄狱腫肿毆殴揍揍頓顿罰罚逼逼燙烫鞭鞭棍棍皮皮帶带囉啰嚟嚟佢佢嘅嘅噉噉啲啲喺喺攰攰攞攞諗谂哋哋冇冇咁咁嘢嘢畀畀睇睇嗰嗰瞓瞓攬揽講讲車车禍祸撐撑臺台攢攒儲储鐵铁軌轨買买賣卖網网囑嘱紙纸幾几層层陽阳誰谁動动間间獨独歲岁錯错滅灭鎅鎅亖死"
	rs := []rune(pairs)
	for i := 0; i+1 < len(rs); i += 2 {
		if rs[i] != rs[i+1] {
			tradToSimp[rs[i]-cjkLo] = rs[i+1]
		} else {
			tradToSimp[rs[i]-cjkLo] = 0
		}
	}
}

func inCJK(r rune) bool { return r >= cjkLo && r <= cjkHi }
