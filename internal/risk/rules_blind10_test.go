package risk_test

import (
	"testing"

	"xinqiao/internal/risk"
)

// TestRulesBlind10: the lead's pass after blind batch 10's one measurement
// (rules/33_blind10.rules, words lists only): pills saved up a dose at a
// time, the urge to prick oneself with a compass, "cutting rn", how fast a
// jump into the sea takes one's senses, not eating in order to starve; each
// beside its everyday look-alikes. Our own sentences.
func TestRulesBlind10(t *testing.T) {
	N, L, M, H, I := risk.None, risk.Low, risk.Medium, risk.High, risk.Imminent
	checkRules(t, []rulesCase{
		{"saved pills", "每次去校医室都说肚子疼，拿两片，攒下来的药片快有一盒了", H, I},
		{"saved pills 2", "攒下来的药片我都藏在铅笔盒里", H, I},
		{"saved pills yue", "我每次都儲埋啲藥，而家有成十幾粒", H, I},
		{"saved money", "我攒下来的零花钱够买一双鞋了", N, L},
		{"grandma pill box", "奶奶的药盒每周都要装满", N, L},
		{"saved calcium", "攒下来的钙片够吃一个月", N, L},
		{"compass urge", "心里烦的时候就想拿圆规扎一下自己，还没扎过", M, I}, // older rules read it as an act (high)
		{"pin urge", "好想用针扎自己一下", M, I},                 // older rules read it as an act (high)
		{"ear piercing", "想用针扎耳洞，会痛吗", N, L},
		{"cutting rn", "cutting rn", I, I},
		{"cutting right now", "cutting again right now", I, I},
		{"cutting onions", "cutting onions rn lol", N, L},
		{"cutting class", "cutting class rn hehe", N, L},
		{"jump senseless yue", "想知跳落海係咪好快就冇知覺", H, I},
		{"jump hurts zh", "跳楼会不会很快就没知觉", H, I},
		{"diving lesson", "跳水课老师说跳下去会不会痛", N, L},
		{"sea swim", "我们去海边，跳落海游水会唔会好辛苦", N, L},
		{"starve to die", "已经两天没吃东西了 就想这样慢慢饿死算了", H, I},
		{"hungry", "饿死了 快放学吧", N, L},
		{"game plants", "游戏里的植物没吃东西被饿死了", N, L},
	})
}
