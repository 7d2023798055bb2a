package risk_test

import (
	"testing"

	"xinqiao/internal/risk"
)

// The cases use rulesCase and checkRules (rules4_test.go): the rules alone.

// TestSafetyAnswerDenials: the answer to a counselor's safety question, "I
// have never thought of hurting myself", in Cantonese (冇谂过), with 没有任何
// (no plan of any kind) or in English, is a denial (GUIDE.md: none or low),
// not self-harm ideation (riskrules5; each was medium or high). Thinking of
// it said plainly keeps its level.
func TestSafetyAnswerDenials(t *testing.T) {
	checkRules(t, []rulesCase{
		{"yue_never_thought", "我从来冇谂过伤害自己，只系最近好攰", risk.None, risk.Low},
		{"yue_hant_reassure", "冇諗過傷害自己啊 你放心", risk.None, risk.Low},
		{"hans_no_plan_any", "我没有任何伤害自己的打算，就是想找个人聊聊", risk.None, risk.Low},
		{"en_never_thought", "Honestly I've never thought about hurting myself, school is just a lot", risk.None, risk.Low},
		{"en_havent_thought", "no, I haven't thought of hurting myself", risk.None, risk.Low},
		{"keep_yue_thinking", "我成日谂住伤害自己", risk.Medium, risk.Imminent},
		{"keep_hans_want", "我最近总是想伤害自己", risk.Medium, risk.Imminent},
		{"keep_en_thinking", "I keep thinking about hurting myself", risk.Medium, risk.Imminent},
	})
}

// TestBullyingDenied: bullying named only to say it is not the reason (不是因为
// 有人欺负我, 唔係因為有人蝦我, 没有人欺负我, "it's not that anyone bullies me")
// is no disclosure (riskrules5; each was medium). Cantonese 唔係就 ("or
// else") is no denial, nor 没人管 (nobody stops it) before the bullying.
func TestBullyingDenied(t *testing.T) {
	checkRules(t, []rulesCase{
		{"hans_not_because", "我最近不想上学，不是因为班上有人欺负我，是我自己提不起劲", risk.None, risk.Low},
		{"hans_nobody", "没有人欺负我啦，就是跟大家不太熟", risk.None, risk.Low},
		{"hans_not_them", "也不是她们欺负我，她们只是不太叫我", risk.None, risk.Low},
		{"yue_not_because", "我唔想返學唔係因為有人蝦我，係我自己好攰", risk.None, risk.Low},
		{"en_not_that", "It's not that anyone bullies me, I just don't have a group", risk.None, risk.Low},
		{"en_nobody", "nobody bullies me or anything, I'm just lonely", risk.None, risk.Low},
		{"keep_yue_or_else", "佢哋迫我交錢，唔係就打我", risk.Medium, risk.Imminent},
		{"keep_nobody_stops", "没人管我被欺负，老师也不理", risk.Medium, risk.Imminent},
		{"keep_not_grades", "不是因为成绩，是因为有人欺负我", risk.Medium, risk.Imminent},
		{"keep_en", "people at school bully me every day", risk.Medium, risk.Imminent},
	})
}

// TestHyperboleMarked: the writer's own words marked as hyperbole or a joke
// in the same sentence (（夸张）, 是夸张啦, （讲笑㗎）, 只是在开玩笑, 不是认真的,
// "not literally") are low at most, as GUIDE.md grades hyperbole
// (riskrules5; each was medium or high). 考砸了/搞砸了 before a person is a
// thing messed up, no blow. Said not to be hyperbole, called so by someone
// else, or wondered about (是不是认真的), the words keep their level.
func TestHyperboleMarked(t *testing.T) {
	checkRules(t, []rulesCase{
		{"hans_mum_kill_marked", "数学又不及格 我爸要杀了我（夸张）", risk.None, risk.Low},
		{"yue_chop_joke", "成绩表咁难睇 老豆实劈死我（讲笑咋）", risk.None, risk.Low},
		{"hant_dying_marked", "我說快死了是誇張的 只是跑完步很喘", risk.None, risk.Low},
		{"hans_not_live_joke", "我刚才说不想活了只是在开玩笑，就是游泳课太累", risk.None, risk.Low},
		{"hans_not_serious", "我说活着没意思不是认真的，是题目太难了", risk.None, risk.Low},
		{"hans_exam_messed", "月考考砸了 我爸一晚上没理我", risk.None, risk.Low},
		{"en_not_literally", "lost my phone on the bus, i want to die (not literally lol)", risk.None, risk.Low},
		{"keep_not_exaggerating", "我不想活了，一点都不夸张", risk.Medium, risk.Imminent},
		{"keep_others_call_it", "我真的不想活了，我妈说我太夸张", risk.Medium, risk.Imminent},
		{"keep_wondering", "我也不清楚自己是不是认真的，反正就是不想活了", risk.Medium, risk.Imminent},
		{"keep_not_kidding", "i want to die and i'm not kidding", risk.Medium, risk.Imminent},
		{"keep_hit_mum", "我昨天打了我妈一巴掌", risk.Medium, risk.Imminent},
	})
}

// TestMedicineAsTreatment: medicine taken as treatment and asked about (does
// it work yet, alcohol with it, a dose forgotten, the school nurse, keeping
// it from classmates, a cold that got better, sleeping better) is no means
// taken or sought (riskrules5; each was medium to imminent). Pills hoarded,
// swallowed by the box or sought without a prescription keep their level.
func TestMedicineAsTreatment(t *testing.T) {
	checkRules(t, []rulesCase{
		{"hans_effect", "吃了医生开的抗抑郁药快一个月了 好像没什么用", risk.None, risk.Low},
		{"hans_alcohol", "吃了抗抑郁药可以喝酒吗 明晚同学生日", risk.None, risk.Low},
		{"hans_classmates", "我每天中午要吃药，怎么才能不让同学看见", risk.None, risk.Low},
		{"hant_nurse", "下午要去保健室吃藥，同學一直問我怎麼了", risk.None, risk.Low},
		{"yue_cold_better", "尋日食咗好多藥，發燒終於退咗", risk.None, risk.Low},
		{"yue_sleep_better", "我食咗醫生開嘅安眠藥，瞓得好咗好多", risk.None, risk.Low},
		{"keep_box", "我吃了一整盒感冒药，现在好晕", risk.High, risk.Imminent},
		{"keep_hoard", "我想攒医生开的安眠药，攒够了一次吃完", risk.High, risk.Imminent},
		{"keep_yue_swallowed", "我啱啱食咗成樽藥", risk.High, risk.Imminent},
	})
}

// TestNeglectNoAdultNoFood: no adult at home, or the parents gone for days,
// with no food (GUIDE.md: neglect is abuse, high when the student is unsafe
// tonight) is high abuse (riskrules5; each was none). Home alone with food
// ordered, a camp or a diet is not.
func TestNeglectNoAdultNoFood(t *testing.T) {
	checkRules(t, []rulesCase{
		{"hans_no_adult", "家里好几天没大人了 冰箱里什么都没有 我饿得睡不着", risk.High, risk.Imminent},
		{"hans_parents_days", "爸妈一个星期没回家了，我跟妹妹只剩泡面", risk.High, risk.Imminent},
		{"yue_no_adult", "屋企三日冇大人，我同细佬冇嘢食", risk.High, risk.Imminent},
		{"en_mum_gone", "dad hasn't been home in four days and there's nothing to eat, it's just me and my sister", risk.High, risk.Imminent},
		{"none_takeaway", "爸妈出差三天不在家，冰箱空了我就叫外卖", risk.None, risk.Low},
		{"none_alone_fed", "这周爸妈不在家，家里没大人，好自由", risk.None, risk.Low},
		{"none_en_trip", "parents are on a trip and nobody home all weekend, nothing in the fridge so we ordered takeout", risk.None, risk.Low},
	})
}

// TestMethodAskedSideways: a method sought without its name (GUIDE.md:
// method sought = high): whether a bridge or a rooftop is patrolled or
// locked, a height or a water's edge checked and found open or empty, how
// drowning or a fall feels, how many floors are enough in Cantonese
// (riskrules5; each was none or low). A night run, stargazing, a hazard
// feared or reported, a diving lesson or homework stay low.
func TestMethodAskedSideways(t *testing.T) {
	checkRules(t, []rulesCase{
		{"hans_patrol", "想问一下 江边那座大桥半夜有没有保安", risk.High, risk.Imminent},
		{"hans_roof_lock", "你知道我们学校天台平时锁不锁吗", risk.High, risk.Imminent},
		{"hans_seen_open", "我昨天去看过了 宿舍楼顶门是坏的", risk.High, risk.Imminent},
		{"yue_seen_empty", "我去咗海旁睇过 夜晚冇人经过", risk.High, risk.Imminent},
		{"hans_drown_feel", "溺水的话会很痛吗 多久会失去意识", risk.High, risk.Imminent},
		{"hans_fall_feel", "从楼上掉下去是什么感觉 会不会很痛", risk.High, risk.Imminent},
		{"yue_floors", "想知由幾多層跳落嚟會冇得救", risk.High, risk.Imminent},
		{"low_night_run", "江边晚上没人，我每天去夜跑，安全吗", risk.None, risk.Low},
		{"low_stars", "楼顶能上去吗 我们天文社想去看流星", risk.None, risk.Low},
		{"low_hazard", "我去看过了，学校天台的门锁坏了，要跟老师说一下太危险", risk.None, risk.Low},
		{"low_diving", "第一次从跳台跳下去会很痛吗 下周游泳课要考", risk.None, risk.Low},
		{"low_biology", "生物课作业：溺水多久会失去意识", risk.None, risk.Low},
	})
}

// TestPassiveWithoutDeathWords: passive ideation said without 想死
// (riskrules5; each was none): not living to eighteen or to an exam as an
// expectation, death no longer feared, a farewell question (你会唔会记得我),
// the world going on without the writer, whether anyone would care if the
// writer vanished. Bravery, a game, a thing gone and leaving a group chat
// are not.
func TestPassiveWithoutDeathWords(t *testing.T) {
	checkRules(t, []rulesCase{
		{"yue_not_eighteen", "我成日都覺得自己活唔過二十歲", risk.Medium, risk.High},
		{"hans_not_exam", "说实话我觉得我活不到高考那天", risk.Medium, risk.High},
		{"hans_unafraid", "最近我对死一点都不怕了，反而有点轻松", risk.Medium, risk.High},
		{"yue_unafraid", "死我都唔怕，淨係驚屋企人傷心", risk.Medium, risk.High},
		{"yue_remember", "如果有日我消失咗 你仲會唔會記得我", risk.Medium, risk.High},
		{"yue_world", "我走咗之後地球都照轉 冇人在意", risk.Medium, risk.High},
		{"en_care_vanished", "would anyone even care if i just disappeared", risk.Medium, risk.High},
		{"en_miss_me", "sometimes i wonder, would anyone even miss me", risk.Medium, risk.High},
		{"low_brave", "玩王者的时候我不怕死了，直接冲", risk.None, risk.Low},
		{"low_hold_on", "作业太多了，我撑不到期末考", risk.None, risk.Low},
		{"low_gone_thing", "考试没了我整个人都轻松了", risk.None, risk.Low},
		{"low_group_chat", "would anyone miss me if i left the group chat lol", risk.None, risk.Low},
		{"yue_no_difference", "如果我唔見咗之後，世界都唔會有咩分別", risk.Medium, risk.High},
		{"low_yue_lost_thing", "我唔見咗個銀包，冇人在意㗎啦", risk.None, risk.Low},
	})
}

// TestBullyingWithoutBullyingWords: the writer bullied with no bullying word
// (riskrules5; each was none): the writer's photo made into memes and passed
// around by peers, peers barking or oinking at the writer, peers aping how
// the writer talks. The writer's own meme, a birthday, a dare, a pet or a
// sibling at play are not.
func TestBullyingWithoutBullyingWords(t *testing.T) {
	checkRules(t, []rulesCase{
		{"yue_photo_meme", "班上啲人將我張相改圖做成表情包，周圍send", risk.Medium, risk.High},
		{"hans_photo_p", "宿舍的人把我的自拍P成猪脸，发到年级群里", risk.Medium, risk.High},
		{"hans_bark", "每次我经过走廊，那几个男生就一起学狗叫", risk.Medium, risk.High},
		{"yue_oink", "我一入課室，佢哋就對住我扮豬叫", risk.Medium, risk.High},
		{"hant_mimic", "同學每天學我講話的口音，笑到拍桌子", risk.Medium, risk.High},
		{"en_bark", "some guys in my year bark at me every time i walk past", risk.Medium, risk.High},
		{"en_meme", "someone made a meme out of my photo and it got passed around the whole grade", risk.Medium, risk.High},
		{"low_own_meme", "我把我的照片做成表情包发给闺蜜，她笑死了", risk.None, risk.Low},
		{"low_birthday", "同学们把我的照片P成生日贺图，好可爱", risk.None, risk.Low},
		{"low_dare", "我们打赌输了，他们要在我面前学狗叫", risk.None, risk.Low},
		{"low_dog", "my dog barks at me when i come home lol", risk.None, risk.Low},
	})
}

// TestPrescribedPillsAllAtOnce: prescribed pills swallowed all at once are
// an overdose (high; imminent when just taken), though the prescription
// spares a course finished and medicine taken for a cold (session 9; each
// overdose was none by the rules).
func TestPrescribedPillsAllAtOnce(t *testing.T) {
	checkRules(t, []rulesCase{
		{"all_eaten", "我把医生开的助眠药全吃了", risk.High, risk.Imminent},
		{"all_swallowed", "医生给的药我一次全吞了，现在头好晕", risk.High, risk.Imminent},
		{"a_strip", "医生开的安眠药我一口气吃了一整板", risk.High, risk.Imminent},
		{"just_now", "我刚刚把医生开的那瓶药全吃了", risk.Imminent, risk.Imminent},
		{"yue_just_now", "我頭先將醫生開嘅安眠藥全部食晒", risk.Imminent, risk.Imminent},
		{"course_done", "我把医生开的药吃完了，下周去复诊", risk.None, risk.Low},
		{"cold", "我把医生开的感冒药全吃了还是没好", risk.None, risk.Low},
		{"denied", "我没有把医生开的药全吃了，别担心", risk.None, risk.Low},
	})
}
