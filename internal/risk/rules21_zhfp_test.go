package risk_test

import (
	"testing"

	"xinqiao/internal/risk"
)

// zhfp: everyday Mandarin (and Cantonese) look-alikes the rules over-graded
// (rules/31_zhfp.rules and unless lines in the rules that raised them), each
// beside risky twins that must keep their level. Our own sentences.

// Hyperbole: 考完试想跳楼 (lo_exam_die), 作业多得我想跳楼 (zhfp_jump_hyper), 股票跳楼了
// (acts_setting) are low at most; a plan with a time, 想跳楼 said to be meant, or
// 痛苦到/觉得 … 想跳楼 keep their level.
func TestRules21ZhfpHyper(t *testing.T) {
	checkRules(t, []rulesCase{
		{"look 01", "考完试想跳楼", risk.None, risk.Low},
		{"look 02", "考完試想跳樓", risk.None, risk.Low},
		{"look 03", "考完试好想跳楼", risk.None, risk.Low},
		{"look 04", "考完数学真的想跳楼", risk.None, risk.Low},
		{"look 05", "考完试我想跳楼", risk.None, risk.Low},
		{"look 06", "作业多得我想跳楼", risk.None, risk.Low},
		{"look 07", "作業多得我想跳樓", risk.None, risk.Low},
		{"look 08", "作业多到我想跳楼", risk.None, risk.Low},
		{"look 09", "功課多到我想跳樓", risk.None, risk.Low},
		{"look 10", "今天的卷子难得我想跳楼", risk.None, risk.Low},
		{"look 11", "股票跳楼了", risk.None, risk.Low},
		{"look 12", "股票又跳楼了，亏惨了", risk.None, risk.Low},
		{"look 13", "股價跳樓了", risk.None, risk.Low},
		{"look 14", "这只基金跳楼了", risk.None, risk.Low},
		{"look 15", "我爸的股票跳楼了，他一晚没睡", risk.None, risk.Low},
		{"risky 16", "考完试就去跳楼，我认真的", risk.High, risk.Imminent},
		{"risky 17", "考完試就去跳樓，我認真的", risk.High, risk.Imminent},
		{"risky 18", "考完试我就去跳楼", risk.High, risk.Imminent},
		{"risky 19", "作业多得我想跳楼，不是开玩笑，我已经看好天台了", risk.High, risk.Imminent},
		{"risky 20", "考完试想跳楼，不是开玩笑", risk.Medium, risk.Imminent},
		{"risky 21", "股票亏光了，我想跳楼", risk.High, risk.Imminent},
		{"risky 22", "我觉得好想跳楼", risk.High, risk.Imminent},
		{"risky 23", "痛苦到我想跳楼", risk.High, risk.Imminent},
		{"risky 24", "我好累，想跳楼", risk.High, risk.Imminent},
		{"risky 25", "作业写不完，我想跳楼", risk.High, risk.Imminent},
	})
}

// Games: a death in 王者 or 我的世界 is none (acts_setting in the clause); a plan
// after the game, or an attempt told in another clause, stays high.
func TestRules21ZhfpGames(t *testing.T) {
	checkRules(t, []rulesCase{
		{"look 26", "王者里我又自杀了一次", risk.None, risk.Low},
		{"look 27", "我在我的世界里自杀了", risk.None, risk.Low},
		{"look 28", "我在我的世界裡自殺了", risk.None, risk.Low},
		{"look 29", "王者裡我又自殺了一次", risk.None, risk.Low},
		{"look 30", "吃鸡的时候我跳楼摔死了", risk.None, risk.Low},
		{"look 31", "我喺我的世界入面自殺咗", risk.None, risk.Low},
		{"look 32", "我在原神里跳崖自杀了好几次", risk.None, risk.Low},
		{"risky 33", "游戏玩完了我就去跳楼", risk.High, risk.Imminent},
		{"risky 34", "打完这局王者我就去自杀", risk.High, risk.Imminent},
		{"risky 35", "昨晚打完王者，我又自杀了一次", risk.High, risk.Imminent},
		{"risky 36", "王者输了十把，我想自杀", risk.Medium, risk.Imminent},
	})
}

// Dreams: a nightmare of one's own suicide, feared (噩梦, 吓醒, 好可怕), is low at most;
// wishing it were true is medium (zh.suicide.dream_wish).
func TestRules21ZhfpDreams(t *testing.T) {
	checkRules(t, []rulesCase{
		{"look 39", "昨晚做梦梦到自己上吊了，吓醒了", risk.None, risk.Low},
		{"look 40", "我梦到我割腕了，好可怕", risk.None, risk.Low},
		{"look 41", "我發夢夢到自己跳咗樓", risk.None, risk.Low},
		{"risky 43", "我梦见自己跳楼了，醒来觉得要是真的就好了", risk.Medium, risk.Imminent},
		{"risky 44", "我梦见自己跳楼了，其实我真的很想这样做", risk.Medium, risk.Imminent},
		{"risky 45", "我夢見自己跳樓了，醒來覺得要是真的就好了", risk.Medium, risk.Imminent},
		{"look 46", "做噩梦梦到自己跳楼，吓醒了", risk.None, risk.Low},
		{"look 47", "我做噩梦了，梦到自己跳楼，好可怕", risk.None, risk.Low},
		{"look 48", "我發噩夢夢到自己上吊，嚇醒咗", risk.None, risk.Low},
		{"risky 49", "我梦见自己跳楼了，怕自己哪天真的会这样做", risk.Medium, risk.Imminent},
		{"risky 50", "做噩梦梦到自己跳楼，醒来觉得要是真的就好了", risk.Medium, risk.Imminent},
	})
}

// Knowledge and prevention talk: 自杀是犯法的吗 (zhfp_law after it) and 珍爱生命，远离自杀
// (zhfp_prevent) are low at most; the law asked about because of one's family, or
// with readiness, is medium (zh.suicide.law_self).
func TestRules21ZhfpKnowledge(t *testing.T) {
	checkRules(t, []rulesCase{
		{"look 51", "自杀是犯法的吗", risk.None, risk.Low},
		{"look 52", "自殺是犯法的嗎", risk.None, risk.Low},
		{"look 53", "自杀犯法吗", risk.None, risk.Low},
		{"look 54", "自殺係咪犯法㗎", risk.None, risk.Low},
		{"look 55", "自杀违法吗", risk.None, risk.Low},
		{"look 56", "我们要珍爱生命，远离自杀", risk.None, risk.Low},
		{"look 57", "珍愛生命，遠離自殺", risk.None, risk.Low},
		{"look 58", "这周班会主题是珍爱生命远离自杀", risk.None, risk.Low},
		{"look 59", "我們要珍愛生命，遠離自殺", risk.None, risk.Low},
		{"look 60", "班会上老师说要珍爱生命，远离自杀", risk.None, risk.Low},
		{"risky 61", "自杀是犯法的吗，我不想连累家人", risk.Medium, risk.Imminent},
		{"risky 62", "自殺是犯法的嗎，我不想連累家人", risk.Medium, risk.Imminent},
		{"risky 63", "自杀犯法吗？我已经准备好了", risk.Medium, risk.Imminent},
		{"risky 64", "我不想珍爱生命了，我想自杀", risk.Medium, risk.Imminent},
		{"risky 65", "我们要珍爱生命，远离自杀，可是我好想死", risk.Medium, risk.Imminent},
	})
}

// Swimming and travel: 跳河里游泳 (water_play in the clause), 去死海 (not_die_after),
// 伤害自己的感情 (acts_after_not, harm_not_self) are low at most; a plan to jump or
// to die, or self-harm as a habit, stays high.
func TestRules21ZhfpSwimTravel(t *testing.T) {
	checkRules(t, []rulesCase{
		{"look 66", "我准备跳河里游泳", risk.None, risk.Low},
		{"look 67", "我準備跳河裡游泳", risk.None, risk.Low},
		{"look 68", "夏天到了，我打算跳河里游个泳", risk.None, risk.Low},
		{"look 69", "我准备跳海里潜水", risk.None, risk.Low},
		{"look 70", "我计划去死海旅游", risk.None, risk.Low},
		{"look 71", "我計劃去死海旅遊", risk.None, risk.Low},
		{"look 72", "我们准备去死海漂浮", risk.None, risk.Low},
		{"look 73", "暑假打算去死海玩", risk.None, risk.Low},
		{"look 74", "我哋計劃去死海旅行", risk.None, risk.Low},
		{"look 75", "我经常伤害自己的感情", risk.None, risk.Low},
		{"look 76", "我經常傷害自己的感情", risk.None, risk.Low},
		{"look 77", "我总是经常伤害自己的感情，太容易心软", risk.None, risk.Low},
		{"look 78", "我經常傷害自己嘅感情", risk.None, risk.Low},
		{"look 79", "我成日傷害自己嘅感情", risk.None, risk.Low},
		{"risky 80", "我准备跳河，不想活了", risk.High, risk.Imminent},
		{"risky 81", "我準備跳河，不想活了", risk.High, risk.Imminent},
		{"risky 82", "我计划去死，遗书写好了", risk.High, risk.Imminent},
		{"risky 83", "我经常伤害自己，用刀划手臂", risk.High, risk.Imminent},
		{"risky 84", "我經常傷害自己，用刀劃手臂", risk.High, risk.Imminent},
		{"risky 85", "我成日傷害自己", risk.High, risk.Imminent},
		{"risky 86", "我计划去死", risk.High, risk.Imminent},
		{"risky 87", "我准备今晚跳河", risk.High, risk.Imminent},
		{"risky 88", "我准备跳河，就当最后一次游泳", risk.High, risk.Imminent},
		{"risky 89", "我经常伤害自己的手臂", risk.High, risk.Imminent},
	})
}

// A plain dream of one's own suicide stays medium, as before: the shared
// tuning half labels such dreams medium, so only a feared nightmare is lowered.
func TestRules21ZhfpPlainDreamKept(t *testing.T) {
	checkRules(t, []rulesCase{
		{"plain dream 1", "我夢見自己跳樓了", risk.Medium, risk.Medium},
		{"plain dream 2", "我梦见自己跳楼了", risk.Medium, risk.Medium},
		{"plain dream 3", "梦里我自杀了，醒来一身汗", risk.Medium, risk.Medium},
	})
}
