package answer_test

import (
	"context"
	"strings"
	"testing"

	"xinqiao/internal/answer"
)

// fixedChat streams one fixed text.
type fixedChat string

func (f fixedChat) Stream(ctx context.Context, msgs []answer.Message, onDelta func(string)) (answer.Completion, error) {
	onDelta(string(f))
	return answer.Completion{Text: string(f), FinishReason: "stop"}, nil
}

// TestCitationsNumberTheSourcesShown: [k] in a final answer is the k-th
// source listed under it, whatever the passage numbers were.
func TestCitationsNumberTheSourcesShown(t *testing.T) {
	ps := []answer.Passage{
		{N: 1, DocID: "sleep-zh", Version: 2, Title: "睡不着", Text: "睡前少看手机，固定时间上床。"},
		{N: 2, DocID: "exam-anxiety-zh", Version: 1, Title: "考试焦虑", Text: "考前紧张很常见，慢慢呼吸会好一些。"},
		{N: 3, DocID: "sleep-zh", Version: 2, Title: "睡不着", Text: "白天多晒太阳，晚上更容易入睡。"},
	}
	tests := []struct {
		name, text, want string
		sources          []string
	}{
		{"first cited comes first", "考前紧张很常见[2]。睡前少看手机[1]。", "考前紧张很常见[1]。睡前少看手机[2]。", []string{"exam-anxiety-zh", "sleep-zh"}},
		{"two passages of one document share a number", "少看手机[1]，多晒太阳[3]。", "少看手机[1]，多晒太阳[1]。", []string{"sleep-zh"}},
		{"merged marks are not repeated", "少看手机，多晒太阳[1][3]。", "少看手机，多晒太阳[1]。", []string{"sleep-zh"}},
		{"a passage that was not given is dropped", "慢慢呼吸[2][7]。", "慢慢呼吸[1]。", []string{"exam-anxiety-zh"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := answer.NewLLM(fixedChat(tt.text), nil, nil, nil, answer.Config{})
			got, err := a.Answer(context.Background(), answer.Request{Question: "睡不着，考试也紧张", Lang: "zh", Passages: ps, Confident: true}, func(string) {})
			if err != nil {
				t.Fatal(err)
			}
			if got.Text != tt.want {
				t.Fatalf("got text %q, want %q", got.Text, tt.want)
			}
			var ids []string
			for _, s := range got.Sources {
				ids = append(ids, s.DocID)
			}
			if strings.Join(ids, ",") != strings.Join(tt.sources, ",") {
				t.Fatalf("got sources %v, want %v", ids, tt.sources)
			}
		})
	}
	// The extractive answer follows the same numbering.
	ex := answer.NewExtractive(answer.ExtractiveConfig{})
	got, _ := ex.Answer(context.Background(), answer.Request{Question: "考前紧张，晚上睡不着怎么办", Lang: "zh", Passages: ps, Confident: true}, nil)
	for k := range got.Sources {
		if !strings.Contains(got.Text, "["+string(rune('1'+k))+"]") {
			t.Fatalf("extractive answer %q lacks a citation for source %d of %d", got.Text, k+1, len(got.Sources))
		}
	}
	if strings.Contains(got.Text, "["+string(rune('1'+len(got.Sources)))+"]") {
		t.Fatalf("extractive answer %q cites past its %d sources", got.Text, len(got.Sources))
	}
}
