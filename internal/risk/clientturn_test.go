package risk_test

import (
	"testing"

	"xinqiao/internal/risk"
)

// The cases use rulesCase and checkRules (rules4_test.go): the rules alone.

// TestSafetyAnswerDenials: the answer to a counselor's safety question, "I
// have never thought of hurting myself", in Cantonese (冇谂过), with 没有任何
// (no plan of any kind) or in English, is a denial (GUIDE.md: none or low),
// not self-harm ideation (riskrules5; each was medium or high). Thinking of
// it said plainly keeps its level.
func TestSafetyAnswerDenials(t *testing.T) {
	checkRules(t, []rulesCase{
		{"yue_never_thought", "我从来冇谂过伤害自己，只系最近好攰", risk.None, risk.Low},
		{"yue_hant_reassure", "冇諗過傷害自己啊 你放心", risk.None, risk.Low},
		{"hans_no_plan_any", "我没有任何伤害自己的打算，就是想找个人聊聊", risk.None, risk.Low},
		{"en_never_thought", "Honestly I've never thought about hurting myself, school is just a lot", risk.None, risk.Low},
		{"en_havent_thought", "no, I haven't thought of hurting myself", risk.None, risk.Low},
		{"keep_yue_thinking", "我成日谂住伤害自己", risk.Medium, risk.Imminent},
		{"keep_hans_want", "我最近总是想伤害自己", risk.Medium, risk.Imminent},
		{"keep_en_thinking", "I keep thinking about hurting myself", risk.Medium, risk.Imminent},
	})
}
