package kb_test

import (
	"strings"
	"testing"
	"time"

	"xinqiao/internal/embed"
	"xinqiao/internal/kb"
	"xinqiao/internal/storetest"
	"xinqiao/internal/xinqiao"
)

func TestSocial(t *testing.T) {
	social := []string{
		"谢谢老师，我好多了", "你好", "您好！", "thank you", "ok bye", "Thanks so much, teacher! 🙏", "hi there",
		"謝謝老師，我好多了", "唔該晒", "多謝晒老師", "早晨", "拜拜～", "ok 👍🏻", "嗯嗯 好的", "I'm fine now, thanks",
		"好的，谢谢你！", "再见啦", "Good night", "在吗？", "I feel much better, thank you",
	}
	for _, s := range social {
		if !kb.Social(s) {
			t.Errorf("Social(%q) = false, want true", s)
		}
	}
	notSocial := []string{
		"", "？？", "谢谢，但我还是睡不着", "你好，我考试前很紧张", "how do I sleep better", "hi, can't sleep before exams",
		"thank you for nothing, I want to die", "bye forever", "我不好", "好累", "唔該，我瞓唔著", "考试", "hello world",
		"谢谢" + strings.Repeat("老师", 40),
	}
	for _, s := range notSocial {
		if kb.Social(s) {
			t.Errorf("Social(%q) = true, want false", s)
		}
	}
}

// TestGapsCounted checks what the chat pipeline's searches count as gaps,
// on both stores: an unanswered question on the district's (Beijing) day,
// thanks and greetings never.
func TestGapsCounted(t *testing.T) {
	// 20:00 UTC on 1 March is 04:00 on 2 March in Beijing.
	at := time.Date(2026, 3, 1, 20, 0, 0, 0, time.UTC)
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			st := e.Open(t)
			s := kb.NewSearcher(st, embed.NewLocal(nil), kb.Options{Now: func() time.Time { return at }})
			for _, q := range []string{"谢谢老师，我好多了", "你好", "thank you", "ok bye", "二次函数的顶点坐标公式是什么"} {
				if res, err := s.Search(t.Context(), q, kb.Filter{Lang: "zh", CountGap: true}); err != nil || res.Confident {
					t.Fatalf("Search(%q): got confident=%v (%v), want not confident on an empty store", q, res.Confident, err)
				}
			}
			day := time.Date(2026, 3, 2, 0, 0, 0, 0, xinqiao.Zone)
			gaps, err := st.Gaps(t.Context(), day.AddDate(0, 0, -1), day)
			if err != nil {
				t.Fatal(err)
			}
			if len(gaps) != 1 || gaps[0].Day != "2026-03-02" || gaps[0].Count != 1 {
				t.Fatalf("got gaps %+v, want the one question counted on 2026-03-02 (Beijing), no thanks or greeting", gaps)
			}
		})
	}
}
