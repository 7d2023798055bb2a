package answer_test

import (
	"context"
	"strings"
	"testing"
	"unicode/utf8"

	"xinqiao/internal/answer"
)

func TestExtractive(t *testing.T) {
	e := answer.NewExtractive(answer.ExtractiveConfig{Cards: cards})
	a, err := e.Answer(context.Background(), examRequest(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if a.Mode != answer.ModeExtractive || !a.AIGenerated {
		t.Fatalf("mode, ai: got %q, %v; want extractive, true", a.Mode, a.AIGenerated)
	}
	for _, want := range []string{"学校审核过的资料", "[1]", "[2]", "紧张", "睡"} {
		if !strings.Contains(a.Text, want) {
			t.Errorf("text: missing %q in\n%s", want, a.Text)
		}
	}
	for _, bad := range []string{"##", "- ", "和朋友吵架"} {
		if strings.Contains(a.Text, bad) {
			t.Errorf("text: has %q (markup or an unrelated passage) in\n%s", bad, a.Text)
		}
	}
	if strings.Index(a.Text, "[1]") > strings.Index(a.Text, "[2]") {
		t.Errorf("passage order: [1] after [2] in\n%s", a.Text)
	}
	// sentences keep their order within a passage
	if i, j := strings.Index(a.Text, "吸气"), strings.Index(a.Text, "早点睡"); i >= 0 && j >= 0 && i > j {
		t.Errorf("sentence order: got 吸气 after 早点睡 in\n%s", a.Text)
	}
	if got, want := len(a.Sources), 2; got != want {
		t.Fatalf("sources: got %d (%+v), want %d", got, a.Sources, want)
	}
	if a.Sources[0].DocID != "exam-anxiety-zh" || a.Sources[0].Version != 3 {
		t.Errorf("source 0: got %+v", a.Sources[0])
	}
}

func TestExtractiveBounded(t *testing.T) {
	long := strings.Repeat("紧张的时候可以深呼吸，这样会放松一些。", 80)
	req := answer.Request{Question: "紧张怎么办", Lang: "zh", Confident: true,
		Passages: []answer.Passage{{N: 1, DocID: "d", Title: "t", Text: long}, {N: 2, DocID: "e", Title: "u", Text: long}}}
	a, _ := answer.NewExtractive(answer.ExtractiveConfig{MaxRunes: 200}).Answer(context.Background(), req, nil)
	if n := utf8.RuneCountInString(a.Text); n > 320 {
		t.Errorf("length: got %d runes, want at most 200 plus lead-in and tail", n)
	}
}

func TestExtractiveEnglish(t *testing.T) {
	req := answer.Request{Question: "How can I stop feeling nervous before exams?", Lang: "en", Confident: true,
		Passages: []answer.Passage{{N: 1, DocID: "exam-anxiety-en", Version: 1, Title: "Exam nerves",
			Text: "# Exam nerves\nFeeling nervous before exams is normal. Breathe in slowly for four seconds, then out for six. Pizza is tasty.\n\n1. Sleep early before an exam."}}}
	a, _ := answer.NewExtractive(answer.ExtractiveConfig{}).Answer(context.Background(), req, nil)
	want := "Here is what the school's reviewed material says about your question:\n\nFeeling nervous before exams is normal. Sleep early before an exam. [1]"
	if !strings.HasPrefix(a.Text, want) {
		t.Errorf("text:\ngot  %q\nwant prefix %q", a.Text, want)
	}
	if strings.Contains(a.Text, "Pizza") {
		t.Errorf("text: got an unrelated sentence in %q", a.Text)
	}
}

func TestExtractiveNoOverlap(t *testing.T) {
	req := answer.Request{Question: "zzz", Lang: "zh", Confident: true, Passages: examPassages}
	a, _ := answer.NewExtractive(answer.ExtractiveConfig{}).Answer(context.Background(), req, nil)
	if a.Mode != answer.ModeExtractive || !strings.Contains(a.Text, "考试前有点紧张是很正常的") {
		t.Errorf("no word in common: got %q %q, want the top passage's opening", a.Mode, a.Text)
	}
}

func TestPreamble(t *testing.T) {
	base := examRequest()
	tests := []struct {
		name     string
		mod      func(*answer.Request)
		wantMode string
		wantDoc  string // first source, "" for none
		wantText string
	}{
		{"plain question", func(r *answer.Request) {}, answer.ModeExtractive, "exam-anxiety-zh", ""},
		{"medium risk", func(r *answer.Request) { r.RiskLevel = "medium" }, answer.ModeCard, "card-medium-risk-zh", "心理老师"},
		{"medium self-harm", func(r *answer.Request) { r.RiskLevel = "medium"; r.RiskCategories = []string{"self_harm"} }, answer.ModeCard, "card-self-harm-zh", ""},
		{"unexpected high fails safe", func(r *answer.Request) { r.RiskLevel = "high" }, answer.ModeCard, "card-medium-risk-zh", ""},
		{"low self-harm talk", func(r *answer.Request) { r.RiskLevel = "low"; r.RiskCategories = []string{"self_harm"} }, answer.ModeCard, "card-self-harm-zh", ""},
		{"low bullying is answered", func(r *answer.Request) { r.RiskLevel = "low"; r.RiskCategories = []string{"bullying"} }, answer.ModeExtractive, "exam-anxiety-zh", ""},
		{"eating topic", func(r *answer.Request) {
			r.Passages = append([]answer.Passage{{N: 1, DocID: "body", Title: "b", Text: "x", Topics: []string{"Eating"}}}, r.Passages...)
		}, answer.ModeCard, "card-eating-zh", ""},
		{"topic beyond window", func(r *answer.Request) {
			r.Passages = append(append([]answer.Passage{}, r.Passages...), answer.Passage{N: 4, Topics: []string{"self-harm"}})
		}, answer.ModeExtractive, "exam-anxiety-zh", ""},
		{"crush for primary", func(r *answer.Request) {
			r.Band = "primary"
			r.Passages = []answer.Passage{{N: 1, DocID: "puberty", Title: "p", Text: "喜欢一个人", Topics: []string{"first-feelings"}}}
		}, answer.ModeCard, "card-sexuality-young-zh", ""},
		{"crush for senior", func(r *answer.Request) {
			r.Band = "senior"
			r.Question = "喜欢一个人怎么办"
			r.Passages = []answer.Passage{{N: 1, DocID: "puberty", Title: "p", Text: "喜欢一个人是很自然的事情。", Topics: []string{"first-feelings"}}}
		}, answer.ModeExtractive, "puberty", ""},
		{"missing card", func(r *answer.Request) { r.RiskLevel = "medium"; r.RiskCategories = []string{"abuse"} }, answer.ModeCard, "", "心理老师当面聊一聊"},
		{"not confident", func(r *answer.Request) { r.Confident = false }, answer.ModeNoMaterial, "", "心理老师"},
		{"no passages", func(r *answer.Request) { r.Passages = nil }, answer.ModeNoMaterial, "", "还没有讲到"},
		{"english no passages", func(r *answer.Request) { r.Passages = nil; r.Lang = "en" }, answer.ModeNoMaterial, "", "school psychology teacher"},
		{"english abuse", func(r *answer.Request) { r.Lang = "en"; r.RiskLevel = "medium"; r.RiskCategories = []string{"abuse"} }, answer.ModeCard, "card-abuse-en", "not your fault"},
	}
	answerers := map[string]answer.Answerer{
		"extractive": answer.NewExtractive(answer.ExtractiveConfig{Cards: cards}),
		"llm":        answer.NewLLM(panicChat{}, nil, cards, nil, answer.Config{}),
	}
	for an, a := range answerers {
		for _, tt := range tests {
			t.Run(an+"/"+tt.name, func(t *testing.T) {
				if an == "llm" && tt.wantMode == answer.ModeExtractive {
					t.Skip("reaches the model")
				}
				req := base
				req.Passages = append([]answer.Passage(nil), base.Passages...)
				tt.mod(&req)
				got, err := a.Answer(context.Background(), req, nil)
				if err != nil {
					t.Fatal(err)
				}
				if got.Mode != tt.wantMode {
					t.Errorf("mode: got %q, want %q (text %q)", got.Mode, tt.wantMode, got.Text)
				}
				if !got.AIGenerated {
					t.Errorf("AIGenerated: got false, want true")
				}
				doc := ""
				if len(got.Sources) > 0 {
					doc = got.Sources[0].DocID
				}
				if doc != tt.wantDoc {
					t.Errorf("first source: got %q, want %q", doc, tt.wantDoc)
				}
				if !strings.Contains(got.Text, tt.wantText) {
					t.Errorf("text: got %q, want it to contain %q", got.Text, tt.wantText)
				}
			})
		}
	}
}

// panicChat fails the test run if a pinned or no-material request reaches the model.
type panicChat struct{}

func (panicChat) Stream(context.Context, []answer.Message, func(string)) (answer.Completion, error) {
	panic("the model must not be called")
}

func TestExtractivePrimaryShorter(t *testing.T) {
	long := "紧张的时候可以深呼吸。紧张的时候可以听音乐。紧张的时候可以散步。紧张的时候可以和朋友聊天。紧张的时候可以写日记。"
	req := answer.Request{Question: "紧张的时候怎么办", Lang: "zh", Confident: true, Passages: []answer.Passage{{N: 1, DocID: "d", Title: "t", Text: long}}}
	e := answer.NewExtractive(answer.ExtractiveConfig{})
	count := func(band string) int {
		req.Band = band
		a, _ := e.Answer(context.Background(), req, nil)
		return strings.Count(a.Text, "紧张的时候")
	}
	if p, j := count("primary"), count("junior"); p != 3 || j != 4 {
		t.Errorf("sentences: got primary %d, junior %d; want 3, 4", p, j)
	}
}
