package risk_test

import (
	"testing"

	"xinqiao/internal/risk"
)

// TestRulesBlind12: the lead's pass after blind batch 12's one measurement
// (rules/38_blind12.rules, words lists and existing sets only): not wanting
// to hold on any longer, a goodbye with thanks for the company, how high is
// high enough, a blade taken out when sad, sleeping rough tonight, spat on,
// an online contact who wants to meet in secret, an adult who tells the pupil
// to keep something from their mother; each beside its everyday look-alikes.
// Our own sentences.
func TestRulesBlind12(t *testing.T) {
	N, L, M, H, I := risk.None, risk.Low, risk.Medium, risk.High, risk.Imminent
	checkRules(t, []rulesCase{
		{"stop holding on", "真的好累 我不想再撑了", M, I},
		{"stop holding on yue", "攰到爆 唔想再撑落去", M, I},
		{"club", "不想再撑这个社团了 太累", N, L},
		{"thanks goodbye", "今天跟你们说声再见 谢谢一直陪着我", H, I},
		{"thanks goodbye en", "guess this is goodbye. thank you for everything", H, I},
		{"graduation goodbye", "毕业了 跟大家说再见 谢谢这几年一直陪着我", N, L},
		{"moving goodbye en", "last day of school so this is bye, thanks for listening to my rants all year", N, L},
		{"high enough", "我家住12层 应该够了吧", H, I},
		{"high enough 2", "学校天台那栋楼6层 够不够高", H, I},
		{"fireworks", "二十层够不够高 看烟花的话", N, L},
		{"stairs", "爬楼梯爬到18层 应该够累了吧", N, L},
		{"blade when sad", "刀片一直藏在笔袋里 不开心就拿出来", H, I},
		{"blade for craft", "美工刀放在笔袋里 手工课要用", N, L},
		{"rough tonight", "跟我爸吵完 今晚睡公园", H, I},
		{"rough tonight en", "not going home, sleeping in the park tonight", H, I},
		{"park picnic", "今晚在公园看烟花", N, L},
		{"spat", "they spat on my shoes again at lunch", M, H},
		{"spit games", "we had a watermelon seed spitting contest lol", N, L},
		{"meet alone", "a guy on roblox wants to meet me at the park and said not to tell my parents", H, I},
		{"meet with parents", "a girl from roblox wants to meet up, we're going with our moms", N, L},
		{"surprise", "my cousin wants to meet at the mall, dont bring anyone else its a surprise party", N, L},
		{"hush", "我妈那个男朋友老是进我房间 还叫我别跟我妈讲", M, H},
		{"hush joined", "我妈那个男朋友。老是不敲门就进我房间。还说些很怪的话 让我别跟我妈讲", M, H},
		{"hush surprise", "舅舅让我别跟我妈讲 他要给她准备生日惊喜", N, L},
		{"hush answers", "老师叫我别告诉同学考试答案", N, L},
		{"mum hush", "我们楼有个哥哥出事了 我妈让我不要跟别人说", N, L},
	})
}
