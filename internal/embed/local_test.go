package embed

import (
	"hash/fnv"
	"slices"
	"strings"
	"testing"

	"xinqiao/internal/kb/seg"
)

// referenceFeatures is features as first written, with hash/fnv and a
// string per n-gram: the hashes decide every stored vector and the
// embedder's name, so the allocation-free version must give the same.
func referenceFeatures(text string, fn func(h uint64, kind byte)) {
	emit := func(kind byte, s string) {
		f := fnv.New64a()
		f.Write([]byte{kind})
		f.Write([]byte(s))
		fn(f.Sum64(), kind)
	}
	prevWord := ""
	for _, r := range seg.Runs(seg.Normalize(text)) {
		switch r.Kind {
		case seg.Han:
			prevWord = ""
			rs := []rune(r.Text)
			for i := range rs {
				emit(kHan1, string(rs[i]))
				if i+2 <= len(rs) {
					emit(kHan2, string(rs[i:i+2]))
				}
				if i+3 <= len(rs) {
					emit(kHan3, string(rs[i:i+3]))
				}
			}
		case seg.Word:
			w := strings.ReplaceAll(r.Text, "'", "")
			if seg.IsStop(w) || len(w) < 2 {
				continue
			}
			w = seg.Stem(w)
			emit(kWord, w)
			if prevWord != "" {
				emit(kWord2, prevWord+" "+w)
			}
			prevWord = w
			p := "<" + w + ">"
			for i := 0; i+3 <= len(p); i++ {
				emit(kTri, p[i:i+3])
			}
		case seg.Digit:
			prevWord = ""
			emit(kDigit, r.Text)
		}
	}
}

func TestFeaturesHashAsFNV(t *testing.T) {
	type feature struct {
		h    uint64
		kind byte
	}
	collect := func(f func(string, func(uint64, byte)), text string) []feature {
		var out []feature
		f(text, func(h uint64, kind byte) { out = append(out, feature{h, kind}) })
		return out
	}
	texts := []string{
		"明天考试我手一直抖怎么办", "nervous before exams, can't sleep", "I'm so stressed 考试 123 don't know",
		"ｆｕｌｌ width ＡＢＣ　睡不着", "a", "ok", "心", "我们", "Ünïcödé words and 𠀀𠀁 rare Han", "",
		strings.Repeat("长长的一段中文没有标点", 20), "it's my best friend's birthday, wasn't it",
	}
	for _, text := range texts {
		got, want := collect(features, text), collect(referenceFeatures, text)
		if !slices.Equal(got, want) {
			t.Errorf("%q: got %d features %v, want %d %v", text, len(got), got, len(want), want)
		}
	}
}
