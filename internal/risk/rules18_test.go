package risk_test

import (
	"testing"

	"xinqiao/internal/risk"
)

// riskrules18: everyday look-alikes of the severe kinds (rules/27_everyday.rules).
// Our own sentences; each group holds the look-alikes that must stay none/low
// and the risky twins that must keep their level.

// A place asked about with an ordinary purpose said is none; the same place
// sought with no purpose, or for after, stays high.
func TestRules18Places(t *testing.T) {
	checkRules(t, []rulesCase{
		{"window risky", "我们宿舍的窗户能全开吗，我想知道", risk.High, risk.Imminent},
		{"fence risky", "操场后面的围栏有个缺口，晚上没人看着", risk.High, risk.Imminent},
		{"tide risky", "明天几点退潮？我想一个人去", risk.High, risk.Imminent},
		{"lake risky", "公园那个湖有多深？", risk.High, risk.Imminent},
		{"stairs risky", "教学楼的天台晚上几点没人？", risk.High, risk.Imminent},
		{"en window risky", "which windows open all the way on the top floor?", risk.High, risk.Imminent},
		{"en ac", "can the classroom windows open all the way? the aircon is off again and everyone is melting", risk.None, risk.Low},
		{"en shortcut", "someone cut a hole in the fence by the bike shed as a shortcut, should i tell security?", risk.None, risk.Low},
		{"fence shortcut", "小区围墙有个缺口，大家都从那里抄近路去超市", risk.None, risk.Low},
		{"fence guard", "车棚后面的铁丝网有个破洞，要不要告诉保安", risk.None, risk.Low},
		{"study", "我们小组做研究性学习，想调查哪些站没有屏蔽门", risk.None, risk.Low},
		{"letter metro", "我们那站没装屏蔽门，人挤的时候很吓人，我想投诉给地铁公司", risk.None, risk.Low},
		{"roof report", "图书馆楼顶的门一直没锁，我想反映给后勤处", risk.None, risk.Low},
		{"toddler net", "外婆家窗户能全开，我们说要装防护网，小表弟老爬窗台", risk.None, risk.Low},
		{"crabs", "周六几点退潮？想带表妹去滩涂上抓螃蟹", risk.None, risk.Low},
		{"starfish", "下周研学要去海边，老师让我们查潮汐表看海星", risk.None, risk.Low},
		{"yue dog", "公園嗰個湖有幾深？我隻狗好鍾意跳落水", risk.None, risk.Low},
		{"mist", "江边几点没人？我想去拍晨雾", risk.None, risk.Low},
		{"phone call", "宿舍楼道晚上几点没人？我想去那里打电话给我爸", risk.None, risk.Low},
	})
}

// A drawing, carving or chemistry class's charcoal and knives are none;
// charcoal or a knife wanted with no such use stays high.
func TestRules18ClassTools(t *testing.T) {
	checkRules(t, []rulesCase{
		{"charcoal risky", "我要买炭，放在房间里", risk.High, risk.Imminent},
		{"knife risky", "我要买美工刀，藏在枕头下面", risk.High, risk.Imminent},
		{"sketch", "老师让我们素描课带炭笔，我想买一盒", risk.None, risk.Low},
		{"hant sketch", "我想買炭條畫素描，哪家比較便宜", risk.None, risk.Low},
		{"carving", "木刻社要我们自己买刻刀，我想买一套", risk.None, risk.Low},
		{"carbon", "化学实验要用活性炭，我想买一小包", risk.None, risk.Low},
	})
}

// Charcoal bought for a hot pot is no plan; charcoal bought with the hot pot
// as a cover story stays high.
func TestRules18HotPot(t *testing.T) {
	checkRules(t, []rulesCase{
		{"cover risky", "我买咗炭，同屋企人讲系打边炉用，其实唔系", risk.High, risk.Imminent},
		{"hot pot", "今晚打边炉买咗两包炭，阿爸话喺露台食", risk.None, risk.Low},
	})
}

// Anger taken back (said in anger, an apology, "he's only little") is low at
// most; the wish kept stays medium.
func TestRules18AngerTakenBack(t *testing.T) {
	checkRules(t, []rulesCase{
		{"kill risky", "我妹把我的画撕了，我想掐死她", risk.Medium, risk.Imminent},
		{"die risky", "我跟我哥吵架，我说他去死吧，我是认真的", risk.Medium, risk.Imminent},
		{"said in anger", "我说想弄死我妹只是气话，她把我的耳机弄坏了", risk.None, risk.Low},
		{"apology", "我和我姐吵架，吼了一句你去死吧，后来我跟她道歉了", risk.None, risk.Low},
		{"only little", "我妹把我的书涂花了，好想掐死她，算了她才四岁", risk.None, risk.Low},
		{"yue apology", "琴日同阿妹嗌交，話佢去死吧，夜晚我同佢講對唔住", risk.None, risk.Low},
	})
}

// Red marks from bumping a volleyball are none; marks all over the arm with
// no ball game stay medium.
func TestRules18BallMarks(t *testing.T) {
	checkRules(t, []rulesCase{
		{"marks risky", "我的手臂全是一道一道的，不敢卷袖子", risk.Medium, risk.Imminent},
		{"volleyball", "今天练接球练到手臂全是红的，明天估计要青", risk.None, risk.Low},
		{"en roof garden", "is the library open after school? i need photos of the posters", risk.None, risk.Low},
	})
}
