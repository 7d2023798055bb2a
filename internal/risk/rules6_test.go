package risk_test

import (
	"testing"

	"xinqiao/internal/risk"
)

// Session 9, riskrules6: a blind batch's misses and false alarms, in our own words.

// Accounts wiped with thanks or a take-care is a goodbye now; a disappearance
// with a near time is high. An app deleted to study, a move abroad, graduation,
// a lost game account are not.
func TestRules6GoodbyeNow(t *testing.T) {
	checkRules(t, []rulesCase{
		{"ig wiped thanks", "IG都删了，谢谢陪过我的人，大家保重", risk.High, risk.Imminent},
		{"weibo wechat cancelled", "微信和微博都注销了，谢谢一路陪我的你们，大家保重", risk.High, risk.Imminent},
		{"hant accounts", "微博全部註銷了。謝謝愛過我的人", risk.High, risk.Imminent},
		{"yue wiped", "IG同FB都刪晒，多謝陪過我嘅人，大家保重", risk.High, risk.Imminent},
		{"gone by morning", "明天早上他们就找不到我了，没关系", risk.High, risk.Imminent},
		{"gone by morning hant", "明天早上他們就找不到我了，這樣也好", risk.High, risk.Imminent},
		{"gone tonight yue", "今晚之後佢哋就搵唔到我喇，唔緊要", risk.High, risk.Imminent},
		{"app deleted to study", "为了考试我把抖音删了，大家保重", risk.None, risk.Low},
		{"apps wiped for finals", "IG都删了，为了期末专心复习，大家保重", risk.None, risk.Low},
		{"detox week", "挑战一周不用手机，微博抖音都删掉了", risk.None, risk.Low},
		{"moving abroad", "我要出国了，跟同学们说再见，大家保重", risk.None, risk.Low},
		{"graduation thanks", "毕业了，谢谢陪过我的人，大家保重", risk.None, risk.Low},
		{"after exams thanks", "终于考完了，多谢一直陪住我嘅屋企人", risk.None, risk.Low},
		{"game account", "游戏账号被删了，气死", risk.None, risk.Low},
		{"hiding at grandma's", "明天我去外婆家躲几天，他们就找不到我了", risk.None, risk.Low},
	})
}

// A date picked with nothing mattering after it is a plan; a date for prom,
// a party or a trip is not.
func TestRules6DatePicked(t *testing.T) {
	checkRules(t, []rulesCase{
		{"after finals", "picked a date. after finals so my grades dont even matter", risk.High, risk.Imminent},
		{"nothing matters", "i picked a date for it. after exams so nothing matters anyway", risk.High, risk.Imminent},
		{"chose the day", "chose the day already, after that school wont matter", risk.High, risk.Imminent},
		{"prom", "picked a date for prom", risk.None, risk.Low},
		{"party", "we picked a date for the party after finals", risk.None, risk.Low},
		{"trip rain", "picked a date for the trip, doesnt matter if it rains", risk.None, risk.Low},
	})
}

// Smashed into a wall or a door frame by a parent and hurt, or beaten with the
// beating to go on tonight: abuse high.
func TestRules6AbuseInjuryTonight(t *testing.T) {
	checkRules(t, []rulesCase{
		{"pushed into wall hant", "爸爸把我推去撞牆，額頭腫一大包", risk.High, risk.Imminent},
		{"pushed into wall hans", "我爸把我推去撞墙，额头肿了一大包", risk.High, risk.Imminent},
		{"door frame bruise", "我妈的男朋友抓住我的头撞向门框，瘀青还在", risk.High, risk.Imminent},
		{"belt tonight", "my dad hit me with the belt again and said he'll finish it when he gets home tonight", risk.High, risk.Imminent},
		{"slapped wait till home", "my mom slapped me and said wait till he gets home tonight", risk.High, risk.Imminent},
		{"no blood not high", "我妈拿我的头撞门 说让我清醒 没出血", risk.None, risk.Medium},
		{"bumped myself", "我不小心撞到门框，额头肿了一大包", risk.None, risk.Low},
		{"essay tonight", "i'll finish it tonight, the essay is due", risk.None, risk.Low},
	})
}

// Wrong answers cut out one by one are study; set-text characters asked about
// for homework are topic talk.
func TestRules6StudyFalseAlarms(t *testing.T) {
	checkRules(t, []rulesCase{
		{"wrong answers cut", "考试压力好大，晚上我把错题一道一道剪下来贴在本子上", risk.None, risk.Low},
		{"papers cut", "晚上把卷子上的题一道一道剪下来贴进错题本", risk.None, risk.Low},
		{"marks on arm", "晚上又在手臂上划，一道一道的", risk.High, risk.Imminent},
		{"character homework", "鲁迅《祝福》祥林嫂是怎么死的，作业要写人物分析", risk.None, risk.Low},
		{"character next sentence", "祥林嫂是怎么死的？语文作业要分析人物形象", risk.None, risk.Low},
		{"own howto stays", "我想知道怎么死最不痛苦", risk.High, risk.Imminent},
	})
}
