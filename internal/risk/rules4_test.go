package risk_test

import (
	"testing"

	"xinqiao/internal/risk"
)

// rulesCase is a sentence and the range of levels the rules alone may give it.
type rulesCase struct {
	name     string
	text     string
	min, max risk.Level
}

// checkRules classifies each case with the rules alone (the learned model
// only raises, and the lead retrains it after rule changes).
func checkRules(t *testing.T, cases []rulesCase) {
	t.Helper()
	rules := mustLoad(t).WithModel(nil)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := rules.Classify(tc.text)
			if r.Level < tc.min || r.Level > tc.max {
				t.Errorf("rules alone: %q got %s (rules %v), want %s..%s", tc.text, r.Level, r.Rules, tc.min, tc.max)
			}
		})
	}
}

// TestBlockedIsNotSealed: 堵住 said of the writer or a doorway in a bullying
// story is no window sealed for charcoal (session 9); a door gap or a window
// stopped up stays a preparation.
func TestBlockedIsNotSealed(t *testing.T) {
	checkRules(t, []rulesCase{
		{"me_at_doorway", "下课以后他们又把我堵住在厕所门口，不让我出去", risk.None, risk.Medium},
		{"us_at_stairs", "放学那几个初三的堵住我，就在浴室门外面要钱", risk.None, risk.Medium},
		{"doorway_blocked", "厕所门口被人堵住了，我进不去", risk.None, risk.Medium},
		{"door_gap_charcoal", "我用胶带把门缝堵住了，木炭就放在床底下", risk.High, risk.Imminent},
		{"window_stopped", "今晚把卧室窗户堵住了，炭也准备好了", risk.High, risk.Imminent},
		{"door_gap_alone", "我拿湿毛巾把房门的缝堵住了", risk.High, risk.Imminent},
	})
}

// TestKmsAboutHomework: "kms" said of homework, a test or an embarrassment
// is hyperbole, low at most (GUIDE.md); "kms" meant, with a wish, a time or
// pills, stays caught (session 9).
func TestKmsAboutHomework(t *testing.T) {
	checkRules(t, []rulesCase{
		{"chem_hw", "this chem hw is honestly killing me kms", risk.None, risk.Low},
		{"quiz_tomorrow", "surprise quiz in bio tomorrow kms", risk.None, risk.Low},
		{"essay_due", "kms the essay is due at midnight and i have 200 words", risk.None, risk.Low},
		{"wifi", "wifi cut out right before i hit submit kms", risk.None, risk.Low},
		{"wish_tonight", "i honestly want to kms tonight", risk.High, risk.Imminent},
		{"fr_pills", "kms fr, the pills are in my drawer", risk.High, risk.Imminent},
		{"bare", "everything keeps falling apart. kms", risk.Medium, risk.Imminent},
	})
}

// TestStruckPassiveWithInjury: the writer struck and hurt, told in the
// passive voice (被…打到流血, 俾…打到瘀晒, "got beaten by … till … bled"), is
// abuse with an injury, high like the active form (GUIDE.md, session 9). A
// ball, waves, an injection, a younger sibling's scuffle or someone else as
// the one struck are not the writer's abuse.
func TestStruckPassiveWithInjury(t *testing.T) {
	checkRules(t, []rulesCase{
		{"hans_brother_nose", "上周末被我表哥揍到鼻血直流", risk.High, risk.Imminent},
		{"hans_mum_bruise", "昨天又被妈妈拿尺子抽到小腿都青紫了", risk.High, risk.Imminent},
		{"hant_dad_swollen", "被爸爸打到眼睛腫起來，明天不敢去學校", risk.High, risk.Imminent},
		{"yue_dad_bruised", "琴晚俾老豆打到成隻手瘀晒", risk.High, risk.Imminent},
		{"yue_mum_bleed", "畀阿媽用藤條打到腳流血", risk.High, risk.Imminent},
		{"en_stepdad_lip", "i got slapped by my stepdad so hard my lip was bleeding", risk.High, risk.Imminent},
		{"en_kids_eye", "was punched by some kids on the way home and now theres a black eye", risk.High, risk.Imminent},
		{"ball", "体育课被排球砸到鼻子流血了", risk.None, risk.Low},
		{"waves", "在海边被浪打到膝盖擦破流血", risk.None, risk.Medium},
		{"injection", "被护士打针打到手背都青了", risk.None, risk.Low},
		{"en_ball", "got hit by a ball at practice and my nose bled", risk.None, risk.Low},
		{"en_wall_self", "i punched the wall till my knuckles bled", risk.High, risk.Imminent},
	})
	rules := mustLoad(t).WithModel(nil)
	r := rules.Classify("got beaten by my dad till my lip bled")
	if !hasCategory(r.Categories, risk.Category("abuse")) || hasCategory(r.Categories, risk.Category("self_harm")) {
		t.Errorf("a blow by a parent: categories %v (rules %v), want abuse and no self_harm", r.Categories, r.Rules)
	}
}

// TestGivingAwayTreasuredCantonese: the writer's favourite things all given
// away, in written Cantonese or Traditional Chinese, read as in Simplified;
// given away, or with someone puzzled by the sudden generosity, they are the
// preparation GUIDE.md grades high (session 9). Things outgrown, a move,
// old clothes donated and a birthday present are not raised.
func TestGivingAwayTreasuredCantonese(t *testing.T) {
	checkRules(t, []rulesCase{
		{"yue_sudden", "我將自己最心愛嘅高達同波鞋全部送晒俾細佬，佢問我點解突然咁大方", risk.High, risk.Imminent},
		{"hant_sudden", "我把收藏了好幾年的漫畫都送給了同學，她一直問我為什麼突然這麼大方", risk.High, risk.Imminent},
		{"en_sudden", "gave away my whole lego collection to my friend and he keeps asking why im suddenly so generous", risk.High, risk.Imminent},
		{"yue_favourite", "我將最鍾意嘅結他送咗俾表哥", risk.High, risk.Imminent},
		{"hans_favourite", "我把最心爱的吉他送给了表哥，反正以后也弹不了了", risk.High, risk.Imminent},
		{"hans_collection", "我把攒了三年的手办都送给同桌了", risk.High, risk.Imminent},
		{"yue_outgrown", "啲公仔係細個玩嘅，我大個咗唔再玩，所以送晒俾表妹", risk.None, risk.Low},
		{"yue_move", "下個月搬屋，我將啲模型送晒俾同學", risk.None, risk.Low},
		{"yue_donate", "我將啲舊衫全部捐晒出去", risk.None, risk.Low},
		{"yue_birthday", "表弟生日，我突然咁大方送咗部遊戲機俾佢", risk.None, risk.Low},
		{"yue_treat", "佢今日突然咁大方請全班食雪糕", risk.None, risk.Low},
	})
}

// TestPretendPlayAndNoHarmNotBullying: zh.bullying, zh.bullying.gap and
// zh.abuse.physical* read pretend and joking pushes, a role in a play, a
// nightmare, a game, waves, a fish, a pet's cage, a painting hung, a joke
// told and a family that revolves around a sibling as no harm to the writer
// (session 9); real bullying of the writer, and pretending not to mind it,
// stay medium.
func TestPretendPlayAndNoHarmNotBullying(t *testing.T) {
	checkRules(t, []rulesCase{
		{"yue_pretend_push", "上個禮拜去行山，去到山頂我家姐扮推我落去，嚇到我腳軟", risk.None, risk.Low},
		{"hans_pretend_push", "爬到山顶的时候我表哥假装要推我下去，吓得我尖叫", risk.None, risk.Low},
		{"hans_joke_push", "同桌开玩笑地推我，我差点撞到门", risk.None, risk.Low},
		{"class_play", "班会课要排练课本剧，老师让我演被嘲笑的那个同学", risk.None, risk.Low},
		{"nightmare", "昨晚做恶梦，梦到我被锁在一个很黑的地下室", risk.None, risk.Low},
		{"game", "打排位的时候被对面针对了一整局，气死", risk.None, risk.Low},
		{"waves", "去海边玩被大浪打得站不稳，好好笑", risk.None, risk.Low},
		{"fish", "帮外婆杀鱼，被鱼尾巴扇了一巴掌，全是腥味", risk.None, risk.Low},
		{"cage", "仓鼠一直被关在笼子里好可怜，想给它买个大一点的", risk.None, risk.Low},
		{"painting", "我的书法作品被挂在了校史馆门口", risk.None, risk.Low},
		{"joke_told", "我们数学老师讲的笑话我一个都没听懂", risk.None, risk.Low},
		{"revolve", "过年回老家，亲戚们都围着我妹妹转", risk.None, risk.Low},
		{"real_push", "那几个男生每天课间都推我、抢我的笔", risk.Medium, risk.Imminent},
		{"real_yue", "班上面啲人成日恰我，仲要喺我背后笑话我", risk.Medium, risk.Imminent},
		{"real_isolated", "我被宿舍的人孤立了快一个学期了", risk.Medium, risk.Imminent},
		{"real_excuse_joke", "他们天天推我，还说只是开玩笑", risk.Medium, risk.Imminent},
		{"real_bully_named", "我好想整蛊下那个欺负我的人", risk.Medium, risk.Imminent},
		{"pretend_drunk_hits", "佢成日扮醉打我同我媽", risk.Medium, risk.Imminent},
		{"pretend_fine", "每天都假装被同学排挤也没关系，其实好难受", risk.Medium, risk.Imminent},
	})
}
