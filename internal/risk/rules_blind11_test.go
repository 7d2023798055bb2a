package risk_test

import (
	"testing"

	"xinqiao/internal/risk"
)

// TestRulesBlind11: the lead's pass after blind batch 11's one measurement
// (rules/35_blind11.rules, words lists and existing sets only): someone at
// home collapsed and not responding, a lunch dumped in the bin, mocking
// videos and kys in comments, a plan for when no one is home, a razor in
// hand, wishing not to wake up, a late period feared as a pregnancy, money
// demanded with a threat, not going home and alone at a station (the blind
// conversations' misses); each
// beside its everyday look-alikes. Our own sentences.
func TestRulesBlind11(t *testing.T) {
	N, L, M, H, I := risk.None, risk.Low, risk.Medium, risk.High, risk.Imminent
	checkRules(t, []rulesCase{
		{"collapsed", "我奶奶倒在厕所里，怎么叫都没反应，家里没大人", H, I},
		{"collapsed 2", "爸爸晕倒在客厅 一动不动 我好怕", H, I},
		{"collapsed yue", "阿爸跌倒咗喺浴室 叫都唔醒", H, I},
		{"collapsed hant", "媽媽倒在地上沒有呼吸了", H, I},
		{"asleep", "弟弟倒在沙发上睡着了 叫不醒", N, L},
		{"nap", "爷爷躺在地上午睡 叫不醒 打呼噜好大声", N, L},
		{"game down", "游戏里队友倒地了一直没反应", N, L},
		{"lunch binned", "他们又把我的午饭倒进垃圾桶了", M, H},
		{"lunch binned yue", "佢哋將我嘅飯盒掟落垃圾桶", M, H},
		{"lunch binned hant", "我的便當被同學倒進垃圾桶", M, H},
		{"lunch own", "午饭太难吃了 我偷偷倒进垃圾桶", N, L},
		{"tiktok mocked", "someone posted a video making fun of my voice", M, H},
		{"kys dms", "random ppl keep commenting kys on my posts", M, H},
		{"tiktok fun", "we made a tiktok dancing to the new song", N, L},
		{"kys game", "my friend said i should stop playing tiktok so much", N, L},
		{"plan alone", "im going to do it tonight when everyones asleep", H, I},
		{"plan alone 2", "ill do it saturday when my parents are out", H, I},
		{"homework alone", "im gonna practice drums when nobodys home", N, L},
		{"razor", "the razor is in my hand again", I, I},
		{"box cutter", "holding the box cutter rn", I, I},
		{"shaving", "dad left a razor in the bathroom, gross", N, L},
		{"not wake", "i wish i could never wake up", M, I},
		{"not wake 2", "sometimes i wish i just didnt wake up", M, I},
		{"early alarm", "i wish i didnt have to wake up at 6 for school", N, L},
		{"pregnancy fear", "已经一个多月没来例假了 好怕是怀孕了", M, H},
		{"pregnancy fear en", "i missed my period and im scared to tell my mom", M, H},
		{"period health", "月经推迟了一个星期 正常吗", N, L},
		{"period pain", "例假来了肚子好痛", N, L},
		{"extortion", "他說每週要交一百 不然放學後走著瞧", M, H},
		{"extortion 2", "那几个人说每周要交五十 不给就揍你", M, H},
		{"extortion en", "these guys said i have to pay them every week or they will beat me up", M, H},
		{"pocket money", "我妈说每周给我一百零花钱", N, L},
		{"out alone", "我不想回家了 现在一个人在公园", M, H},
		{"out alone yue", "同阿媽嗌完交 而家一個人喺地鐵站 唔想返屋企", M, H},
		{"out alone joined", "我不想回去了。家。火车站 一个人", M, H},
		{"park afternoon", "放学不想回家 想在公园多玩一会", N, L},
		{"waiting dad", "我一个人在火车站等我爸 他说晚点到", N, L},
		{"childhood", "小时候离家出走过一次 一个人在车站坐了一晚", N, L},
	})
}
