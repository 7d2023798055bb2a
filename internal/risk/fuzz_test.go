package risk_test

import (
	"testing"
	"time"
)

// FuzzClassify: no input panics (a recovered panic would show as Failed),
// hangs, or yields an invalid span.
//
//	go test ./internal/risk -run '^$' -fuzz FuzzClassify -fuzztime 60s
func FuzzClassify(f *testing.F) {
	for _, s := range []string{"", "我想死", "累死了", "自 . 杀", "k i l l myself", "我朋友说她想死", "💊💊今晚", "\xff\xfe\x00",
		"以前想过自杀，现在好多了", "Ｉ　ｗａｎｔ　ｔｏ　ｄｉｅ", "想\u200b死", "我不会自杀的", "爸爸打我"} {
		f.Add(s)
	}
	c := mustLoad(f)
	f.Fuzz(func(t *testing.T, s string) {
		t0 := time.Now()
		r := c.Classify(s)
		if el := time.Since(t0); el > 2*time.Second && len(s) < 1<<16 {
			t.Fatalf("Classify took %v on %d bytes", el, len(s))
		}
		if r.Failed {
			t.Fatalf("Classify(%q) panicked", s)
		}
		checkOffsets(t, s, r)
	})
}

// FuzzAffirmed: no question and reply panic the dialogue reading (Answered), and its
// span stays inside the reply.
//
//	go test ./internal/risk -run '^$' -fuzz FuzzAffirmed -fuzztime 30s
func FuzzAffirmed(f *testing.F) {
	f.Add("你有没有想过结束自己的生命？", "有")
	f.Add("你有没有割过自己", "割过")
	f.Add("Have you been thinking about killing yourself?", "yes")
	f.Add("？？吗", "有\xff")
	f.Add("", "")
	c := mustLoad(f)
	f.Fuzz(func(t *testing.T, q, reply string) {
		r := c.Answered(q, reply, c.Classify(reply))
		checkOffsets(t, reply, r)
	})
}
