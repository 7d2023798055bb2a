package risk_test

import (
	"testing"

	"xinqiao/internal/risk"
)

// Session 11, riskrules17: severe risk told plainly (rules/26_told_plainly.rules).
// Our own sentences; each group holds the look-alikes that must stay none/low.

// Farewells and own things given away told plainly are preparations (high);
// a farewell party, a move or a trip is not.
func TestRules17Farewell(t *testing.T) {
	checkRules(t, []rulesCase{
		{"pet handed on", "我把仓鼠交给邻居家的妹妹，说以后它就拜托她照顾了，她以为我要去外地", risk.High, risk.Imminent},
		{"each person", "周末我在备忘录里写好了给每个人的话，爸妈、外婆、同桌都有", risk.High, risk.Imminent},
		{"scheduled", "我在空间设了定时发送，下周三早上大家就会看到", risk.High, risk.Imminent},
		{"hant take care", "我跟我弟說以後好好照顧我媽，他問我幹嘛講這個", risk.High, risk.Imminent},
		{"yue remember", "我同阿晴講咗多謝，叫佢以後記住我，佢以為我發神經", risk.High, risk.Imminent},
		{"give no need", "我把平板送给了表弟，反正以后也用不上了", risk.High, risk.Imminent},
		{"give dont need", "我把我的滑板送给了隔壁班的男生，我说我不用了", risk.High, risk.Imminent},
		{"yue give", "我將部相機送咗俾表妹，我話以後照顧唔到", risk.High, risk.Imminent},
		{"teacher party", "下周班主任退休，我们在准备欢送会，要写给每个人的话", risk.None, risk.Low},
		{"moving give", "我们要搬家了，我把旧自行车送给了邻居，反正以后也用不上了", risk.None, risk.Low},
		{"homework ask", "以后作业就拜托你了，我去打球", risk.None, risk.Low},
		{"trip pet", "暑假去夏令营，我的猫拜托外婆照顾两周", risk.None, risk.Low},
		// Someone else giving things away is concern (existing rules read it at medium at most).
		{"friend gave", "我室友把耳机送给了我，她说她以后用不上了", risk.None, risk.Medium},
	})
}

// Self-harm acts with no blade word: current or recent is high, over for
// months is medium; cooking, a sport or a manicure is not.
func TestRules17SelfHarmPlain(t *testing.T) {
	checkRules(t, []rulesCase{
		{"scald", "这几天晚上洗澡我都用很烫的水淋手背，烫到起泡才停", risk.High, risk.Imminent},
		{"nails", "我昨晚又拔自己的指甲，拔到出血才觉得安静一点", risk.High, risk.Imminent},
		{"head wall", "额头上的包是我用头撞墙撞的，撞了好多下", risk.High, risk.Imminent},
		{"compass", "上课的时候我用圆规尖在手背上一直划，划出好几道", risk.High, risk.Imminent},
		{"hant lighter", "我考差的時候會用打火機燒自己的手腕，昨天又燒了", risk.High, risk.Imminent},
		{"yue scald", "我琴晚用滾水淥自己隻手，起晒泡", risk.High, risk.Imminent},
		{"en burn", "i burn my arm with a lighter when i fail a test, did it again on sunday", risk.High, risk.Imminent},
		{"en slam", "when i get a bad mark i slam my hand in the door until it goes purple", risk.High, risk.Imminent},
		{"bleeding now", "刚刚划得太深了，血一直流，纸巾都湿透了", risk.Imminent, risk.Imminent},
		{"cooking burn", "今天做饭的时候不小心被油烫到起泡了，好痛", risk.None, risk.Low},
		{"basketball nail", "打篮球的时候指甲被掀起来了，流了点血", risk.None, risk.Low},
		{"manicure", "做美甲的时候倒刺被剪到出血了", risk.None, risk.Low},
		{"compass accident", "不小心被圆规尖扎了一下手，没事", risk.None, risk.Low},
		{"urge only", "我总想用打火机烧一下手指，但我还在忍", risk.None, risk.Medium},
		{"nosebleed", "我刚刚流鼻血，血一直流，纸巾都湿透了", risk.None, risk.Low},
	})
}

// Abuse with injury, unsafe at home tonight, harm happening now, neglect.
func TestRules17Abuse(t *testing.T) {
	checkRules(t, []rulesCase{
		{"scalded", "我妈昨晚拿开水泼我，手臂上起了一大片水泡", risk.High, risk.Imminent},
		{"choked", "我爸掐住我脖子按在门上，我差点喘不上气", risk.High, risk.Imminent},
		{"stitches", "继父用烟灰缸砸我，头上缝了三针", risk.High, risk.Imminent},
		{"yue choke", "阿爸琴晚揸住我條頸，我而家仲好驚", risk.High, risk.Imminent},
		{"tonight home", "我继父每次喝完酒就来我房间，今晚我妈上夜班，锁了门他也有钥匙", risk.High, risk.Imminent},
		{"locked out rain", "我妈把我锁在门外，现在下雨了，我没地方去", risk.High, risk.Imminent},
		{"knife now", "我爸喝醉了，他拿着刀在客厅转，我躲在房间里", risk.Imminent, risk.Imminent},
		{"yue door", "阿爸而家喺度踢我間房門，話要劈死我", risk.Imminent, risk.Imminent},
		{"neglect", "我妈走了三天没留钱，冰箱是空的，我跟弟弟今晚没东西吃", risk.High, risk.Imminent},
		{"cooking knife", "我手里拿着刀在学切菜，我妈在旁边看着", risk.None, risk.Low},
		{"bike stitches", "骑自行车摔了一跤，膝盖缝了两针，我妈心疼死了", risk.None, risk.Low},
		{"cat hides", "小猫打翻了花瓶被妈妈骂了，躲在床底下不出来", risk.None, risk.Low},
		{"mum late", "今天我妈加班，我在楼下等了一会儿，有点冷", risk.None, risk.Low},
		{"noodles dish", "我们家政课做粄条，蒸好以后切成一条一条的", risk.None, risk.Low},
		{"friend told", "我同学说她爸用椅子砸她，她手臂肿了", risk.None, risk.Medium},
	})
}

// A method asked of the writer's own case is high (GUIDE.md session 11); a PE
// weigh-in, a grandparent's medicine routine or a story is not.
func TestRules17MethodOwn(t *testing.T) {
	checkRules(t, []rulesCase{
		{"cabinet", "我查了哪种药吃多了最危险，我家药柜里刚好有", risk.High, risk.Imminent},
		{"floor", "我们家住九楼，我想知道几楼才够", risk.High, risk.Imminent},
		{"trailing", "想问一下那个药吃多少片会……算了当我没问", risk.High, risk.Imminent},
		{"yue pills", "我想知邊種藥食多咗會瞓唔醒，屋企藥箱有", risk.High, risk.Imminent},
		{"pe weigh", "体测要称体重，我现在多少斤算正常啊", risk.None, risk.Low},
		{"grandma routine", "外婆的降压药每天吃几次，一次吃多少片", risk.None, risk.Low},
		{"story", "我在写小说，主角问哪种药吃多了最危险，该怎么写", risk.None, risk.Low},
		{"fire drill", "消防演习说我们楼住几楼要怎么逃生", risk.None, risk.Low},
	})
}

// At the place now with a cue of risk: imminent; a class trip, fireworks or a
// train awaited is not.
func TestRules17AtPlaceNow(t *testing.T) {
	checkRules(t, []rulesCase{
		{"platform", "我现在在站台上，下一班车三分钟后进站，别拦我", risk.Imminent, risk.Imminent},
		{"river", "我在河边了，水已经到腰了", risk.Imminent, risk.Imminent},
		{"roof", "我现在在楼顶，门是我撬开的", risk.Imminent, risk.Imminent},
		{"yue tracks", "我而家企喺鐵路橋度，聽到火車聲", risk.Imminent, risk.Imminent},
		{"class trip", "我们现在在河边春游，水已经到腰了，好好玩", risk.None, risk.Low},
		{"late train", "我现在在站台上，下一班车三分钟后进站，要迟到了", risk.None, risk.Low},
		{"habit urge", "每次站在站台边都会有往前走一步的念头", risk.None, risk.Medium},
	})
}

// The two false alarms fixed: fireworks from the roof edge, shopping with grandma.
func TestRules17FalseAlarms(t *testing.T) {
	checkRules(t, []rulesCase{
		{"fireworks edge", "跨年夜我坐在天台边缘看烟花，好美", risk.None, risk.Low},
		{"grandma shopping", "周末我想去陪奶奶买菜", risk.None, risk.Low},
		{"grandma dead", "爷爷不在了，我想去陪他", risk.Medium, risk.Imminent},
		{"roof jump fireworks", "我而家喺天台，楼下有人放烟花，我准备跳", risk.Imminent, risk.Imminent},
	})
}

// Second pass: a threat for coming home or a night shut out with no agent
// word, shoes set aside at the water, the last post now, a goodbye through a
// cousin's clothes.
func TestRules17SecondPass(t *testing.T) {
	checkRules(t, []rulesCase{
		{"home threat", "他说我今晚敢回家就打断我的腿，我在便利店坐着", risk.High, risk.Imminent},
		{"balcony night", "又被锁在阳台一整晚，外面零度", risk.High, risk.Imminent},
		{"shoes off", "在河边，鞋子脱好放一边了", risk.Imminent, risk.Imminent},
		{"last post", "这是我在这个世界上最后一条动态，谢谢大家", risk.Imminent, risk.Imminent},
		{"clothes to cousin", "我跟堂妹说以后我的衣服都给她穿，她很开心", risk.High, risk.Imminent},
		{"beach shoes", "在海边沙滩上鞋子脱了放一边，去玩水", risk.None, risk.Low},
		{"year last post", "这是我今年最后一条动态，希望大家明年都好好的", risk.None, risk.Low},
		{"friend last post", "我闺蜜半夜发了一条晚安，永远的那种，又删了，我好慌", risk.None, risk.Low},
		{"game threat", "游戏里那个boss说我敢回家就打断我的腿，笑死", risk.None, risk.Low},
	})
}

// Everyday look-alikes the first version of 26_told_plainly.rules graded high
// or imminent (found by the lead): a pet handed on for a month of study, a
// username changed to goodbye over a game, the floor with the view, a class
// trip to the river; Cantonese exam hyperbole "實劏咗我" (imminent before,
// read as the abuser in the house now); an urge to press a compass point in,
// with no act (high before); a signature changed to goodbye at graduation or
// the new year, a hamster minded over the holiday. The cover stories stay
// high, and a father with a knife outside saying he will kill the writer
// stays imminent.
func TestRules17EverydayLookalikes(t *testing.T) {
	checkRules(t, []rulesCase{
		{"pet for a month away", "我的猫以后就拜托你了，我要去北京读书一个月", risk.None, risk.Low},
		{"username over a game", "把网名改成了拜拜，因为不想玩这个游戏了", risk.None, risk.Low},
		{"floor for the view", "几楼才够看到整个城市的夜景？", risk.None, risk.Low},
		{"class trip to the river", "现在在河边，学校组织的活动", risk.None, risk.Low},
		{"pet and a cover story", "跟好朋友说以后我的猫拜托你了，她以为我要出国", risk.High, risk.Imminent},
		{"yue exam hyperbole", "測驗肥佬，今次死硬啦，阿媽實劏咗我", risk.None, risk.Low},
		{"yue dad hyperbole", "考試唔合格，老豆知道一定劏咗我", risk.None, risk.Low},
		{"yue knife outside now", "阿爸揸住把菜刀喺出面，話要劏咗我，我匿喺衣柜", risk.Imminent, risk.Imminent},
		{"signature at graduation", "我把QQ签名改成了\"再见了，高三\"，因为毕业了", risk.None, risk.Low},
		{"new year username", "我把微信名改成了\"再见2026\"，新年快乐", risk.None, risk.Low},
		{"hamster for the holiday", "我的仓鼠放假这几天拜托同学照顾了", risk.None, risk.Low},
		{"en compass urge", "when i get really upset i want to press the compass point into my arm", risk.None, risk.Medium},
		{"en compass act", "last night i pressed the compass point into my arm till it bled", risk.High, risk.Imminent},
	})
}
