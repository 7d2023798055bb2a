package risk_test

import (
	"testing"

	"xinqiao/internal/risk"
)

// TestConditionStopsAtClauseBreak: a before/after condition never reaches
// across a clause break, even one right where its word ends. Before session
// 12 the break right after the word was skipped, so a student answering
// "不，我想死" (no, I want to die) was graded none: 不 negated 想死 across
// the comma. Rules that had leaned on that to read a blow in one clause and
// the injury in the next now read them in the sentence
// (zh.abuse.injury_marks, zh.abuse.injury_passive), and a wish ending one
// clause with an if and a death in the next has a rule of its own
// (zh.suicide.ideation.wish_upon_self_if).
func TestConditionStopsAtClauseBreak(t *testing.T) {
	checkRules(t, []rulesCase{
		{"no_then_want_die", "不，我想死", risk.Medium, risk.Imminent},
		{"no_then_want_die_2", "没有，我想死", risk.Medium, risk.Imminent},
		{"not_that_then_suicide", "不是，我想自杀", risk.Medium, risk.Imminent},
		{"no_then_want_die_hant", "不，我真的很想死", risk.Medium, risk.Imminent},
		{"negated_same_clause", "我不想死", risk.None, risk.Low},
		{"negated_denial", "我不是想自杀", risk.None, risk.Low},
		{"hit_then_bruises", "我爸今天又打我，胳膊上都是淤青", risk.High, risk.Imminent},
		{"hit_then_bruises_yue", "阿爸琴晚用衣架打我，隻手腫咗", risk.High, risk.Imminent},
		{"beaten_then_swollen", "我爸昨晚用皮带打了我一顿，背上全是血印", risk.High, risk.Imminent},
		{"bruises_from_ball", "打篮球被撞了，胳膊上都是淤青", risk.None, risk.Low},
		{"think_then_if_hit", "我会在上学路上想，要是被车撞了，就不用去学校了", risk.Medium, risk.Imminent},
		{"think_then_if_accident", "有时候想，如果那天出车祸的是我就好了", risk.Medium, risk.Imminent},
		{"worry_if_dog_hit", "我在想，要是小狗被车撞了怎么办", risk.None, risk.Low},
		{"worry_if_accident", "我想去旅游，要是出意外就麻烦了", risk.None, risk.Low},
		{"murder_party_game", "我们在玩杀人游戏，我杀了他", risk.None, risk.Low},
	})
}
