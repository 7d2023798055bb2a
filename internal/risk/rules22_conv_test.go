package risk_test

import (
	"testing"

	"xinqiao/internal/risk"
)

// riskrules22: single messages the dev conversations showed the rules miss
// (rules/34_conv.rules), each beside look-alikes. Our own sentences.

// A dose asked as too many, the most one can take, or how many it would
// take, in English and Cantonese: high; with an ordinary reason, or a pet
// or sweets named, not.
func TestRules22Doses(t *testing.T) {
	checkRules(t, []rulesCase{
		{"en 01", "how many tylenol is too many", risk.High, risk.Imminent},
		{"en 02", "how much tylenol is too much", risk.High, risk.Imminent},
		{"en 03", "whats the max amount of ibuprofen u can take", risk.High, risk.Imminent},
		{"en 04", "how many melatonin would it take", risk.High, risk.Imminent},
		{"en 05", "how many of my meds would be too many", risk.High, risk.Imminent},
		{"en 06", "how many benadryl does it take", risk.High, risk.Imminent},
		{"en 07", "hey quick q, how many panadol are too many", risk.High, risk.Imminent},
		{"en look 08", "how many advil can i take for a headache", risk.None, risk.Low},
		{"en look 09", "how much tylenol is too much for a fever", risk.None, risk.Low},
		{"en look 10", "how many melatonin is safe for a kid my mom asked", risk.None, risk.Low},
		{"en look 11", "how much homework is too much lol", risk.None, risk.Low},
		{"en look 12", "how many of my pills are too many when the label says 2 a day", risk.None, risk.Low},
		{"yue 13", "幾多粒panadol會死", risk.High, risk.Imminent},
		{"yue 14", "食幾多粒先夠", risk.High, risk.Imminent},
		{"yue 15", "安眠藥要食幾多粒先會死", risk.High, risk.Imminent},
		{"yue 16", "吞幾多粒先死得", risk.High, risk.Imminent},
		{"yue look 17", "隻狗食咗幾多粒朱古力會死", risk.None, risk.Low},
		{"yue look 18", "細佬食咗幾多粒糖都唔夠", risk.None, risk.Low},
		{"yue look 19", "感冒藥食幾多粒？醫生話兩粒", risk.None, risk.Low},
	})
}

// A parent gone for counted days with no adult left (neglect, medium); a
// runaway told in Cantonese (crisis, medium); peers snapping a bra strap
// (bullying, medium). Trips, errands and shopping are not.
func TestRules22NeglectRunawayStrap(t *testing.T) {
	checkRules(t, []rulesCase{
		{"neglect 01", "我妈三天没回家了 家里就我和弟弟", risk.Medium, risk.High},
		{"neglect 02", "我爸妈两天都没回家了，电话也打不通", risk.Medium, risk.High},
		{"neglect 03", "阿媽三日冇返屋企", risk.Medium, risk.High},
		{"neglect 04", "我妈一个星期不在家了 也没人管我们", risk.Medium, risk.High},
		{"neglect 05", "我妈三天没回家了 冰箱是空的", risk.High, risk.Imminent},
		{"neglect look 06", "爸妈去旅游一个星期不在家", risk.None, risk.Low},
		{"neglect look 07", "我爸两天没回家了 在医院值班", risk.None, risk.Low},
		{"neglect look 08", "我妈出差三天不在家 外婆来照顾我", risk.None, risk.Low},
		{"runaway 09", "同阿媽嗌完交走咗出嚟 唔返喇", risk.Medium, risk.High},
		{"runaway 10", "同老豆鬧完走咗出嚟，唔想返", risk.Medium, risk.High},
		{"runaway 11", "跟我妈吵完架跑出来了 不回去了", risk.Medium, risk.High},
		{"runaway look 12", "走咗出嚟買嘢食 等陣返", risk.None, risk.Low},
		{"runaway look 13", "下课跑出来了 不回教室了 去打球", risk.None, risk.Low},
		{"strap 14", "后排的男生老是扯我的内衣带", risk.Medium, risk.High},
		{"strap 15", "the boys keep snapping my bra strap", risk.Medium, risk.High},
		{"strap 16", "班上有男生上课弹我肩带 还起哄", risk.Medium, risk.High},
		{"strap look 17", "我妈说内衣带要选宽一点的", risk.None, risk.Low},
		{"strap look 18", "书包肩带断了 好烦", risk.None, risk.Low},
	})
}

// A time that is a school task's is no time to die: 明天考试 我想死 is
// ideation (medium, a teacher reads it), not a plan with a time (high); a
// time of one's own beside a method or pills keeps its level. Gone after a
// time (明天我就不在了) is a goodbye with a time (high); away on a trip, a move
// or leave is not.
func TestRules22TaskTimeAndGone(t *testing.T) {
	checkRules(t, []rulesCase{
		{"task 01", "救命 聽日默書 我想死呀", risk.Medium, risk.Medium},
		{"task 02", "明天听写 我想死", risk.Medium, risk.Medium},
		{"task 03", "明天考试 我想死", risk.Medium, risk.Medium},
		{"task 04", "明天的考试我真的想死", risk.Medium, risk.Medium},
		{"task 05", "明天上学 不想活了", risk.Medium, risk.Medium},
		{"task risky 06", "明天考完试我就去跳楼", risk.High, risk.Imminent},
		{"task risky 07", "明天考试，考完我就吃药，药已经攒够了", risk.High, risk.Imminent},
		{"task risky 08", "今晚我就去死", risk.High, risk.Imminent},
		{"task risky 09", "明天我想死", risk.High, risk.Imminent},
		{"task risky 10", "我想死 就今晚", risk.High, risk.Imminent},
		{"gone 11", "明天我就不在了", risk.High, risk.Imminent},
		{"gone 12", "过了今晚我就不在了", risk.High, risk.Imminent},
		{"gone 13", "今晚之后我就唔喺度喇", risk.High, risk.Imminent},
		{"gone 14", "周末过后我就不在这个世界了", risk.High, risk.Imminent},
		{"gone 19", "如果这次再考砸，明天我就不在了", risk.High, risk.Imminent},
		{"gone wonder 20", "如果我明天就不在了，会有人难过吗", risk.None, risk.Medium},
		{"gone look 15", "明天我就不在了 要去外婆家住一周", risk.None, risk.Low},
		{"gone look 16", "明天我就不在了，请假去看病", risk.None, risk.Low},
		{"gone look 17", "周末我就不在群里了", risk.None, risk.Low},
		{"gone look 18", "下周我就不在这个学校了 转学", risk.None, risk.Low},
	})
}
