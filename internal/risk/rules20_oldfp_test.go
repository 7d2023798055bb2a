package risk_test

import (
	"testing"

	"xinqiao/internal/risk"
)

// helper oldfp: everyday sentences the older rules (10_zh_suicide, 11_zh_selfharm,
// 13_zh_crisis, 20_en) over-graded, each beside risky twins that must keep their level,
// and Cantonese kin and people (阿爺, 阿嫲, 舅父, 舊生, 有個女仔, 隔離班) whose acts are theirs.
// Our own sentences.

// A plan denied (我冇諗住𠝹手, 我没打算划手) is none or low; a denial followed by a
// plan or an act stays high.
func TestRules20OldfpDeniedPlan(t *testing.T) {
	checkRules(t, []rulesCase{
		{"deny plan yue", "我冇諗住𠝹手", risk.None, risk.Low},
		{"deny plan yue self", "我冇諗住𠝹自己", risk.None, risk.Low},
		{"deny plan yue never", "我從來冇諗過𠝹手", risk.None, risk.Low},
		{"deny plan yue intend", "我冇打算𠝹手，你放心", risk.None, risk.Low},
		{"deny plan yue not", "我唔諗住鎅手，淨係想傾吓偈", risk.None, risk.Low},
		{"deny plan hant", "我沒打算割手，只是心情不好", risk.None, risk.Low},
		{"deny plan hans", "我没打算划手，就是想找人聊聊", risk.None, risk.Low},
		{"deny plan hans never", "我从来没想过割自己", risk.None, risk.Low},
		{"deny plan en", "I'm not planning to cut myself, I just needed to vent", risk.None, risk.Low},
		{"deny plan en never", "I have never thought about hurting myself", risk.None, risk.Low},
		{"deny plan twin yue", "我冇諗住𠝹手，我諗住今晚食晒成樽藥", risk.High, risk.Imminent},
		{"deny plan twin yue again", "我本來冇諗住𠝹手，但係琴晚又𠝹咗手", risk.High, risk.Imminent},
		{"deny plan twin hans", "我没打算划手，我打算明天去跳楼", risk.High, risk.Imminent},
		{"deny plan twin en", "I'm not planning to cut myself, I'm planning to end my life tonight", risk.High, risk.Imminent},
	})
}

// Never having tried (我未試過食成樽藥) is none or low; a first time told after it, or
// 未試過咁想死 (never wanted to die this much), keeps its level.
func TestRules20OldfpNeverTried(t *testing.T) {
	checkRules(t, []rulesCase{
		{"deny tried yue", "我未試過食成樽藥", risk.None, risk.Low},
		{"deny tried yue never", "我從來未試過食晒成樽藥", risk.None, risk.Low},
		{"deny tried yue once", "我冇試過一次過食晒啲藥", risk.None, risk.Low},
		{"deny tried yue cut", "我未試過𠝹手", risk.None, risk.Low},
		{"deny tried hant", "我沒試過吞藥，只是有時候很累", risk.None, risk.Low},
		{"deny tried hans", "我没试过吃一整瓶药", risk.None, risk.Low},
		{"deny tried hans wrist", "我从来没割过腕", risk.None, risk.Low},
		{"deny tried en", "I've never tried to overdose", risk.None, risk.Low},
		{"deny tried twin tonight", "我未試過食成樽藥，不過我今晚諗住食晒成樽藥", risk.High, risk.Imminent},
		{"deny tried twin first", "我以前未試過，琴晚第一次食咗成樽藥", risk.High, risk.Imminent},
		{"deny tried twin so much", "我未試過咁想死", risk.Medium, risk.Imminent},
		{"deny tried twin so much sh", "我未試過咁想𠝹手", risk.Medium, risk.Imminent},
	})
}

// 我冇成日傷害自己 (I don't self-harm all the time, a denial) is none or low; an act told
// after it, or the habit told plainly, keeps its level.
func TestRules20OldfpNotOften(t *testing.T) {
	checkRules(t, []rulesCase{
		{"deny habit yue", "我冇成日傷害自己", risk.None, risk.Low},
		{"deny habit yue cut", "我冇成日𠝹手，嗰次係意外", risk.None, risk.Low},
		{"deny habit hans", "我没有经常伤害自己", risk.None, risk.Low},
		{"deny habit hant", "我沒有經常傷害自己，你想多了", risk.None, risk.Low},
		{"deny habit en", "I don't hurt myself all the time, that was a rumour", risk.None, risk.Low},
		{"deny habit twin", "我冇成日傷害自己，但係琴晚又𠝹咗手", risk.High, risk.Imminent},
		{"deny habit twin hans", "我经常伤害自己", risk.Medium, risk.Imminent},
	})
}

// A cooking, fruit, parcel or door accident is none or low; an act told plainly, on
// purpose or with a lighter stays high.
func TestRules20OldfpAccidents(t *testing.T) {
	checkRules(t, []rulesCase{
		{"acc yue veg", "我切菜唔小心𠝹咗手", risk.None, risk.Low},
		{"acc yue fruit", "我削生果唔小心𠝹咗手", risk.None, risk.Low},
		{"acc yue parcel", "拆速遞唔覺意𠝹咗手", risk.None, risk.Low},
		{"acc yue paper", "我唔小心俾紙𠝹咗手", risk.None, risk.Low},
		{"acc yue cook", "煮飯嗰陣唔小心𠝹咗手指", risk.None, risk.Low},
		{"acc hans veg", "我切菜不小心划了手", risk.None, risk.Low},
		{"acc hans parcel", "拆快递的时候不小心割了手", risk.None, risk.Low},
		{"acc hant veg", "我切菜不小心割了手，流了一點血", risk.None, risk.Low},
		{"acc en oven", "I burned myself on the oven making cookies", risk.None, risk.Low},
		{"acc en stove", "I burned myself on the stove making dinner", risk.None, risk.Low},
		{"acc en baking", "burned myself baking brownies today lol", risk.None, risk.Low},
		{"acc en door", "I hit myself in the face with the door", risk.None, risk.Low},
		{"acc en car door", "I hit myself on the car door getting out", risk.None, risk.Low},
		{"acc en accidentally", "I accidentally hit myself with the racket", risk.None, risk.Low},
		{"acc twin purpose", "I burned myself on purpose", risk.High, risk.Imminent},
		{"acc twin lighter", "I burned myself with a lighter again last night", risk.High, risk.Imminent},
		{"acc twin hit", "I hit myself in the face until it bruised", risk.High, risk.Imminent},
		{"acc twin yue", "我琴晚𠝹咗手", risk.High, risk.Imminent},
		{"acc twin yue purpose", "我故意𠝹咗手", risk.High, risk.Imminent},
		{"acc twin hans", "我昨晚又划了手", risk.High, risk.Imminent},
	})
}

// Many vitamins are none; many sleeping pills stay high.
func TestRules20OldfpVitamins(t *testing.T) {
	checkRules(t, []rulesCase{
		{"vit yue", "我今朝食咗好多粒維他命", risk.None, risk.Low},
		{"vit yue c", "我食咗好多粒維他命C，驚感冒", risk.None, risk.Low},
		{"vit hans", "我今天吃了好多颗维他命", risk.None, risk.Low},
		{"vit hant", "我吃了好多顆維他命", risk.None, risk.Low},
		{"vit en", "I took a bunch of vitamins this morning", risk.None, risk.Low},
		{"vit twin yue", "我今朝食咗好多粒安眠藥", risk.High, risk.Imminent},
		{"vit twin hans", "我吃了好多颗安眠药", risk.High, risk.Imminent},
	})
}

// 諗住死唔認 (flatly deny) is no plan to die; 諗住死 alone or with a time stays high.
func TestRules20OldfpDieHardDeny(t *testing.T) {
	checkRules(t, []rulesCase{
		{"deny die yue", "我諗住死唔認", risk.None, risk.Low},
		{"deny die yue ask", "阿媽問起我就諗住死唔認", risk.None, risk.Low},
		{"deny die yue say", "我諗住死唔講，佢哋問都冇用", risk.None, risk.Low},
		{"deny die yue sorry", "我諗住死唔肯道歉", risk.None, risk.Low},
		{"deny die yue hold", "被老師捉到抄功課，我諗住死唔認", risk.None, risk.Low},
		{"deny die twin", "我諗住死，唔想再捱落去", risk.High, risk.Imminent},
		{"deny die twin plain", "我諗住死", risk.High, risk.Imminent},
		{"deny die twin tonight", "我諗住今晚死", risk.High, risk.Imminent},
	})
}

// 跳海 with a holiday or friends is a swim off a pier; alone or with a reason to die it
// stays high.
func TestRules20OldfpSeaJump(t *testing.T) {
	checkRules(t, []rulesCase{
		{"sea yue summer", "我打算暑假去跳海", risk.None, risk.Low},
		{"sea yue friends", "我哋諗住放假同朋友去跳海", risk.None, risk.Low},
		{"sea yue saikung", "聽日同同學去西貢跳海，好期待", risk.None, risk.Low},
		{"sea yue pier", "我打算假期去碼頭跳海", risk.None, risk.Low},
		{"sea hans", "我打算暑假和朋友一起去跳海", risk.None, risk.Low},
		{"sea twin alone", "我打算一個人去跳海，唔想再活", risk.High, risk.Imminent},
		{"sea twin plain", "我打算去跳海", risk.High, risk.Imminent},
		{"sea twin hans", "我打算去跳海，活着太累了", risk.High, risk.Imminent},
	})
}

// 跳過樓梯 (skipped steps) is no jump from a building; 跳過樓 stays high.
func TestRules20OldfpStairsSkipped(t *testing.T) {
	checkRules(t, []rulesCase{
		{"stairs yue", "我跳過樓梯最後兩級", risk.None, risk.Low},
		{"stairs yue three", "我一次過跳過樓梯三級", risk.None, risk.Low},
		{"stairs hans", "我跳过楼梯的最后几级，摔了一跤", risk.None, risk.Low},
		{"stairs hant", "小時候我跳過樓梯扭傷了腳", risk.None, risk.Low},
		{"stairs twin yue", "我跳過樓，冇死到", risk.High, risk.Imminent},
		{"stairs twin hans", "我去年跳过楼", risk.High, risk.Imminent},
	})
}

// 打咗自己份功課 (typed my own homework) is no hitting oneself; 打咗自己幾巴 stays high.
func TestRules20OldfpTypedOwn(t *testing.T) {
	checkRules(t, []rulesCase{
		{"type yue hw", "我啱啱打咗自己份功課", risk.None, risk.Low},
		{"type yue report", "我打咗自己份報告", risk.None, risk.Low},
		{"type yue name", "我已經打咗自己個名落去", risk.None, risk.Low},
		{"type hans name", "我打了自己的名字上去", risk.None, risk.Low},
		{"type hant hw", "我剛剛打了自己的作業", risk.None, risk.Low},
		{"type twin yue", "我啱啱打咗自己幾巴", risk.High, risk.Imminent},
		{"type twin yue many", "我打咗自己好多下", risk.High, risk.Imminent},
		{"type twin hans", "我刚刚打了自己好几下", risk.High, risk.Imminent},
	})
}

// "Overdosed on" sugar, candy or TikTok is none; on pills, or bare, stays high.
func TestRules20OldfpOverdosedOnFood(t *testing.T) {
	checkRules(t, []rulesCase{
		{"od en chocolate", "I overdosed on chocolate lol", risk.None, risk.Low},
		{"od en candy", "i just overdosed on candy at the party", risk.None, risk.Low},
		{"od en sugar", "I overdosed on sugar at grandma's", risk.None, risk.Low},
		{"od en junk", "I overdosed on junk food at the fair", risk.None, risk.Low},
		{"od en tiktok", "lol I overdosed on tiktok last night", risk.None, risk.Low},
		{"od twin pills", "I overdosed on my sleeping pills", risk.High, risk.Imminent},
		{"od twin last night", "I overdosed last night", risk.High, risk.Imminent},
		{"od twin just", "i just overdosed", risk.High, risk.Imminent},
	})
}

// "I attempted" a question, a recipe or a backflip is none; "I attempted" bare, with a
// time, an age, "and", or suicide stays high.
func TestRules20OldfpAttemptedTask(t *testing.T) {
	checkRules(t, []rulesCase{
		{"att en question", "I attempted the hard question", risk.None, risk.Low},
		{"att en problem", "I attempted the last problem but ran out of time", risk.None, risk.Low},
		{"att en pork", "This week I attempted my mom's braised pork belly", risk.None, risk.Low},
		{"att en backflip", "I attempted a backflip and landed on my butt", risk.None, risk.Low},
		{"att en every", "I attempted every question on the paper", risk.None, risk.Low},
		{"att en two", "I attempted two questions and skipped the rest", risk.None, risk.Low},
		{"att twin two years", "I attempted two years ago", risk.High, risk.Imminent},
		{"att twin spring", "I attempted last spring and spent a week in hospital", risk.High, risk.Imminent},
		{"att twin age", "I attempted when I was 13", risk.High, risk.Imminent},
		{"att twin twice", "I attempted twice", risk.High, risk.Imminent},
		{"att twin bare", "i attempted. nobody knows", risk.High, risk.Imminent},
		{"att twin and", "I attempted and woke up in the hospital", risk.High, risk.Imminent},
		{"att twin suicide", "I attempted suicide in year 8", risk.High, risk.Imminent},
		{"att twin to", "I attempted to kill myself last year", risk.High, risk.Imminent},
	})
}

// "I'm going to end it here, see you tomorrow" signs a chat off; "end it" bare, tonight or
// "see you on the other side" stays high.
func TestRules20OldfpEndItSignOff(t *testing.T) {
	checkRules(t, []rulesCase{
		{"end en see", "I'm going to end it here, see you tomorrow", risk.None, risk.Low},
		{"end en today", "ok im gonna end it here for today, bye", risk.None, risk.Low},
		{"end en now", "I'll end it here for now, thanks for listening", risk.None, risk.Low},
		{"end en ttyl", "gonna end it here, ttyl", risk.None, risk.Low},
		{"end en talk", "I'm going to end it here, talk tomorrow!", risk.None, risk.Low},
		{"end twin tonight", "I'm going to end it tonight. goodbye everyone", risk.High, risk.Imminent},
		{"end twin other side", "I'm going to end it, see you on the other side", risk.High, risk.Imminent},
		{"end twin bare", "I'm going to end it", risk.High, risk.Imminent},
		{"end twin room", "I'm going to end it here in my room", risk.High, risk.Imminent},
	})
}

// "Planning to end it with my boyfriend" is a break-up; tonight, with pills, or all stays high.
func TestRules20OldfpEndItBreakUp(t *testing.T) {
	checkRules(t, []rulesCase{
		{"bf en boyfriend", "I'm planning to end it with my boyfriend", risk.None, risk.Low},
		{"bf en her", "i plan to end it with her after exams", risk.None, risk.Low},
		{"bf en him", "I'm planning to end it with him this weekend, he cheated", risk.None, risk.Low},
		{"bf en bestie", "I'm planning to end it with my best friend, she's toxic", risk.None, risk.Low},
		{"bf en between", "we're planning to end it between us", risk.None, risk.Low},
		{"bf twin tonight", "I'm planning to end it tonight", risk.High, risk.Imminent},
		{"bf twin pills", "I'm planning to end it with pills", risk.High, risk.Imminent},
		{"bf twin plain", "I plan to end it", risk.High, risk.Imminent},
		{"bf twin all", "I'm planning to end it all", risk.High, risk.Imminent},
		{"bf twin rope", "i plan to end it with a rope this weekend", risk.High, risk.Imminent},
		{"bf en guy", "im planning to end it with the guy from chess club", risk.None, risk.Low},
	})
}

// Cutting for wrestling season or to make weight is no self-harm; cutting again, since
// year 8, or cutting oneself after practice stays high.
func TestRules20OldfpCuttingWeight(t *testing.T) {
	checkRules(t, []rulesCase{
		{"cut en wrestling", "I've been cutting for wrestling season", risk.None, risk.Low},
		{"cut en weighin", "been cutting for weigh ins all week, so hungry", risk.None, risk.Low},
		{"cut en saturday", "been cutting to make weight for saturday", risk.None, risk.Low},
		{"cut en make", "I've been cutting to make weight class", risk.None, risk.Low},
		{"cut twin", "I've been cutting again, my arms are a mess", risk.High, risk.Imminent},
		{"cut twin since", "I've been cutting since year 8", risk.High, risk.Imminent},
		{"cut twin myself", "I've been cutting myself after wrestling practice", risk.High, risk.Imminent},
		{"cut twin wrestling", "I've been cutting myself since wrestling season ended", risk.High, risk.Imminent},
	})
}

// Someone else named by a Cantonese kin or people word (阿爺, 阿嫲, 舅父, 細姨, 舊生, 有個女仔,
// 隔離班) or a Mandarin one (阿姨, 前桌) is the one at risk: the message reads as concern for
// them, none of it as the writer's own suicide or self-harm. The writer's own act stays the
// writer's, also with grandma's pills as the object (阿嫲啲安眠藥我每次偷一粒).
func TestRules20OldfpOtherPeople(t *testing.T) {
	rules := mustLoad(t).WithModel(nil)
	others := []string{
		"阿爺琴晚食咗成樽藥",
		"阿嫲話佢想死",
		"舅父上個月𠝹咗手",
		"姑媽試過自殺",
		"表哥成日𠝹手",
		"有個舊生跳咗落去",
		"有個女仔喺廁所𠝹手",
		"有個男仔話想自殺",
		"有個同學食咗好多藥",
		"隔離班有個人話想跳樓",
		"隔離班嗰個話想死",
		"阿公想自殺",
		"阿婆食咗好多粒安眠藥",
		"細姨琴晚𠝹咗手",
		"我阿爺琴晚食咗成樽藥",
		"隔壁班的同学割腕了",
		"前桌说她想死",
		"阿姨说她想自杀",
	}
	for _, text := range others {
		r := rules.Classify(text)
		if r.OtherLevel() < risk.Low {
			t.Errorf("%q: other level %s (rules %v), want low or above", text, r.OtherLevel(), r.Rules)
		}
		for _, c := range r.Categories {
			if c == risk.Suicide || c == risk.SelfHarm {
				t.Errorf("%q: read as the writer's %s (rules %v)", text, c, r.Rules)
			}
		}
	}
	checkRules(t, []rulesCase{
		{"own act", "我琴晚食咗成樽藥", risk.High, risk.Imminent},
		{"own habit", "我成日𠝹手", risk.High, risk.Imminent},
		{"aunt's home", "我鎖咗喺姨媽屋企個廁所，啱啱𠝹咗手，血止唔到", risk.High, risk.Imminent},
		{"grandma's death day", "我想喺阿嫲死忌嗰日去陪佢", risk.High, risk.Imminent},
		{"nainai's death day", "我想喺奶奶忌日那天去陪她", risk.High, risk.Imminent},
	})
	// Pills saved from a grandparent: no rule reads them, the learned model does, and it
	// is capped at medium when any match is someone else's; the owner or the one helped
	// is no subject, so the model's reading stands.
	full := mustLoad(t)
	for _, text := range []string{
		"阿嫲啲安眠藥我每次偷一粒，而家有廿幾粒",
		"幫阿嬤拿藥的時候多留了一包安眠藥給自己",
		"下個月屋企得我同阿爺，我諗住食晒阿爺啲安眠藥",
	} {
		if r := rules.Classify(text); r.OtherLevel() != risk.None {
			t.Errorf("%q: read as someone else's (other level %s, rules %v)", text, r.OtherLevel(), r.Rules)
		}
		if r := full.Classify(text); r.Level < risk.High {
			t.Errorf("%q: rules and model gave %s, want high or above", text, r.Level)
		}
	}
}
