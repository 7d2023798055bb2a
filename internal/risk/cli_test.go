package risk_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"xinqiao/internal/risk"
)

func TestClassifyJSONL(t *testing.T) {
	c := mustLoad(t)
	in := `{"id":7,"text":"我想死","extra":{"a":[1,2]}}

{"text":"今天天气真好"}
{"text":"x","risk":"old"}
`
	var out bytes.Buffer
	if err := risk.ClassifyJSONL(c, strings.NewReader(in), &out); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("got %d lines, want 3:\n%s", len(lines), out.String())
	}
	if !strings.HasPrefix(lines[0], `{"id":7,"text":"我想死","extra":{"a":[1,2]},"risk":{`) {
		t.Errorf("line 1: got %s, want the input fields first, in order", lines[0])
	}
	var first struct {
		ID   int `json:"id"`
		Risk struct {
			Level      risk.Level      `json:"level"`
			Categories []risk.Category `json:"categories"`
			Rules      []string        `json:"rules"`
		} `json:"risk"`
	}
	if err := json.Unmarshal([]byte(lines[0]), &first); err != nil {
		t.Fatal(err)
	}
	if first.ID != 7 || first.Risk.Level != risk.Medium || len(first.Risk.Rules) == 0 {
		t.Errorf("line 1: got %+v, want id 7, level medium, rules", first)
	}
	if !strings.Contains(lines[1], `"risk":{"level":"none","categories":[],"rules":[]}`) {
		t.Errorf("line 2: got %s, want empty categories and rules as []", lines[1])
	}
	if strings.Contains(lines[2], `"old"`) {
		t.Errorf("line 3: got %s, want the old risk field replaced", lines[2])
	}
}

func TestClassifyJSONLBadLine(t *testing.T) {
	c := mustLoad(t)
	tests := []struct {
		name, in, want string
	}{
		{"not json", "{\"text\":\"a\"}\n{oops\n", "line 2"},
		{"no text", "{\"text\":\"a\"}\n{\"text\":\"b\"}\n{\"body\":\"c\"}\n", "line 3"},
		{"text not string", "{\"text\":5}\n", "line 1"},
		{"array", "[1]\n", "line 1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := risk.ClassifyJSONL(c, strings.NewReader(tc.in), &bytes.Buffer{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an error naming %q", err, tc.want)
			}
		})
	}
}

func TestEval(t *testing.T) {
	c := mustLoad(t)
	in := `{"text":"我想死","label":"risk","severity":"medium"}
{"text":"我攒了很多安眠药，今晚就吃","label":"risk","severity":"imminent"}
{"text":"今天天气真好","label":"none","severity":"none"}
{"text":"累死了","label":"none"}
{"text":"作业好多","label":"risk","severity":"high"}
{"text":"我要杀了他","label":"none"}
`
	rep, err := risk.Eval(c, strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if rep.N != 6 || rep.TP != 2 || rep.FN != 1 || rep.TN != 2 || rep.FP != 1 {
		t.Errorf("confusion: got N %d TP %d FP %d TN %d FN %d, want 6 2 1 2 1", rep.N, rep.TP, rep.FP, rep.TN, rep.FN)
	}
	if rep.SevereRows != 2 || rep.SevereBelowMedium != 1 {
		t.Errorf("severe: got %d rows, %d below medium, want 2, 1", rep.SevereRows, rep.SevereBelowMedium)
	}
	if rep.Precision != 2.0/3 || rep.Recall != 2.0/3 || rep.FPR != 1.0/3 {
		t.Errorf("got precision %v recall %v fpr %v, want 2/3 2/3 1/3", rep.Precision, rep.Recall, rep.FPR)
	}
	var buf bytes.Buffer
	if err := rep.WriteText(&buf); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"precision   0.667  (2/3)", "recall      0.667  (2/3)", "high/imminent graded below medium: 1 of 2", "TP 2  FP 1  TN 2  FN 1"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("WriteText: got\n%s\nwant it to contain %q", buf.String(), want)
		}
	}
	if _, err := json.Marshal(rep); err != nil {
		t.Errorf("json.Marshal(Report): %v", err)
	}
	if _, err := risk.Eval(c, strings.NewReader("{\"text\":\"a\",\"label\":\"maybe\"}\n")); err == nil || !strings.Contains(err.Error(), "line 1") {
		t.Errorf("bad label: got %v, want an error naming line 1", err)
	}
}

// TestTurnsWithAQuestion: classify and eval read an optional "question",
// the message the text answers.
func TestTurnsWithAQuestion(t *testing.T) {
	c := mustLoad(t)
	in := `{"question":"你有没有想过结束自己的生命？","text":"有","label":"risk"}
{"text":"有","label":"none"}
{"question":"你今天吃早饭了吗？","text":"有","label":"none"}
{"question":"Are you safe right now?","text":"no","label":"risk"}
`
	rep, err := risk.Eval(c, strings.NewReader(in))
	if err != nil || rep.TP != 2 || rep.TN != 2 || rep.FP != 0 || rep.FN != 0 {
		t.Fatalf("eval: got %+v, %v; want 2 caught and 2 quiet", rep, err)
	}
	var out bytes.Buffer
	if err := risk.ClassifyJSONL(c, strings.NewReader(`{"question":"你现在安全吗？","text":"不安全"}`+"\n"), &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), risk.DeniedSafetyRule) || !strings.Contains(out.String(), `"level":"high"`) {
		t.Fatalf("classify: got %s, want high under %s", out.String(), risk.DeniedSafetyRule)
	}
	if err := risk.ClassifyJSONL(c, strings.NewReader(`{"question":7,"text":"有"}`+"\n"), &out); err == nil || !strings.Contains(err.Error(), "line 1") {
		t.Fatalf("a non-string question: got %v, want an error at line 1", err)
	}
}
