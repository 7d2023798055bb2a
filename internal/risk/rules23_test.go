package risk_test

import (
	"testing"

	"xinqiao/internal/risk"
)

// TestRules23: riskrules23 (rules/36_riskrules23.rules and the edits it
// names): wanting to bang one's head or prick oneself is an urge, and over
// a problem a vent; a dose asked where the 死 is the pain's; a friend's
// self-harm told with the English reflexive. Each beside its look-alikes.
// Our own sentences.
func TestRules23(t *testing.T) {
	N, L, M, H, I := risk.None, risk.Low, risk.Medium, risk.High, risk.Imminent
	checkRules(t, []rulesCase{
		{"headbang urge", "我好想拿头撞墙", M, M},
		{"compass urge", "好想用圆规扎自己", M, H},
		{"headbang problem", "这道题我想拿头撞墙", N, L},
		{"headbang homework", "作业多到我想用头撞墙", N, L},
		{"headbang degree", "背单词背到想拿头去撞墙", N, L},
		{"keyboard", "程序一直跑不出来 想用头撞键盘", N, L},
		{"headbang act", "昨晚我拿头撞墙撞到起包", H, I},
		{"compass act", "上课的时候用圆规扎手", H, I},
		{"pain dose", "痛经吃几片布洛芬啊，痛死了", N, L},
		{"pain dose 2", "头疼死了 吃几粒止痛药合适", N, L},
		{"dose death", "吃几片安眠药会死", H, I},
		{"dose beside pain", "肚子痛得要死，吃多少片会死", H, I},
		{"friend cut en", "my friend cut herself last night", M, H},
		{"brother burn en", "my brother burned himself with a lighter on purpose", M, H},
		{"cooking burn", "my sister burned herself on the oven lol", N, L},
		{"cousin past en", "my cousin used to cut herself, shes a nurse now", N, L},
		{"own cut en", "i cut myself last night", H, I},
	})
}
