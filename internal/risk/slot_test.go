package risk_test

import (
	"slices"
	"testing"

	"xinqiao/internal/risk"
)

// TestAnsweredSlot: a short reply that names a method or a time, in answer
// to the assistant's or a counselor's question about how or when, in a
// conversation where a wish to die or self-harm was read, is read as the
// plan it completes (risk.AnsweredSlotRule); the same words in an ordinary
// conversation, a no, or a question back are not.
func TestAnsweredSlot(t *testing.T) {
	c := mustLoad(t)
	type turn struct{ question, text string }
	run := func(turns []turn) (risk.Result, risk.ConversationState) {
		var st risk.ConversationState
		var res risk.Result
		var earlier []string
		for _, tr := range turns {
			ctx := risk.Context{Question: tr.question, Earlier: append([]string(nil), earlier...)}
			res, st = c.ReadTurn(st, c.Classify(tr.text), tr.text, func() risk.Context { return ctx })
			if earlier = append(earlier, tr.text); len(earlier) > risk.RecentTurns {
				earlier = earlier[1:]
			}
		}
		return res, st
	}
	for _, tc := range []struct {
		name  string
		turns []turn
		min   risk.Level
		cat   risk.Category
	}{
		{"how, a jump", []turn{{"", "我不想活了"}, {"你打算怎么做？", "跳"}}, risk.High, risk.Suicide},
		{"what, pills", []turn{{"", "活着好累 想消失"}, {"你说的那件事是指什么？", "药"}}, risk.High, risk.Suicide},
		{"how then when, now", []turn{{"", "我不想活了"}, {"你打算怎么做？", "跳"}, {"你打算什么时候？", "现在"}}, risk.Imminent, risk.Suicide},
		{"when, tomorrow", []turn{{"", "我真的想死"}, {"你打算什么时候？", "明天"}}, risk.High, risk.Suicide},
		{"english", []turn{{"", "i want to die"}, {"How would you do it?", "pills"}, {"When are you thinking of doing it?", "tonight"}}, risk.Imminent, risk.Suicide},
		{"self-harm, a blade", []turn{{"", "我又想伤害自己了"}, {"你想用什么？", "刀片"}}, risk.High, risk.SelfHarm},
		{"traditional and cantonese", []turn{{"", "我真係唔想再生存"}, {"你諗住點做？", "食藥"}, {"幾時？", "而家"}}, risk.Imminent, risk.Suicide},
	} {
		res, st := run(tc.turns)
		if st.Level < tc.min || !slices.Contains(res.Rules, risk.AnsweredSlotRule) || !slices.Contains(res.Categories, tc.cat) {
			t.Errorf("%s: got %s (conversation %s) %v %v, want %s or above by %s, %s", tc.name, res.Level, st.Level, res.Rules, res.Categories, tc.min, risk.AnsweredSlotRule, tc.cat)
		}
	}
	for _, tc := range []struct {
		name  string
		turns []turn
	}{
		{"a trip", []turn{{"", "周末想去香港玩"}, {"你打算什么时候？", "明天"}, {"你打算怎么去？", "坐火车"}}},
		{"a game", []turn{{"", "这关好难"}, {"你打算怎么做？", "跳过去"}}},
		{"a no", []turn{{"", "我不想活了"}, {"你打算怎么做？", "不知道"}}},
		{"not yet", []turn{{"", "我不想活了"}, {"你打算什么时候？", "还没想好"}}},
		{"a question back", []turn{{"", "我不想活了"}, {"你打算怎么做？", "跳楼会疼吗"}}},
		{"no question", []turn{{"", "我不想活了"}, {"", "跳"}}},
		{"a dance major", []turn{{"", "我决定了"}, {"你说的那件事是指什么？", "报跳舞专业"}}},
		{"a university plan", []turn{{"", "终于决定了报哪间大学"}, {"几时开始准备作品集？", "今晚 哈哈"}}},
	} {
		if res, _ := run(tc.turns); slices.Contains(res.Rules, risk.AnsweredSlotRule) {
			t.Errorf("%s: got %s %v, want no %s", tc.name, res.Level, res.Rules, risk.AnsweredSlotRule)
		}
	}
}
