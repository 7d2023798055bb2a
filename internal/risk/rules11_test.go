package risk_test

import (
	"testing"

	"xinqiao/internal/risk"
)

// Session 10, riskrules11: misses and false alarms of the kinds a blind batch
// showed (the batch itself unread). Our own sentences; each group holds its
// look-alikes.

// A means located with a knowing hint in place of the wish is high
// (zh.history.means_known_hint); an errand or a snack hidden is not.
func TestRules11MeansKnownHint(t *testing.T) {
	checkRules(t, []rulesCase{
		{"pesticide weekend", "我知道外婆把农药放在哪，周末回去的时候……你懂的", risk.High, risk.Imminent},
		{"rat poison next week", "我知道我爷爷把老鼠药藏在哪里，下周回老家的时候，你懂吧", risk.High, risk.Imminent},
		{"sleeping pills", "我知道外婆把安眠药放哪了，等放假回去，懂的都懂", risk.High, risk.Imminent},
		{"spraying errand", "我知道奶奶把农药放在仓库，周末回去帮她打药", risk.None, risk.Low},
		{"snacks", "我知道我妈把零食藏在哪，周末回去的时候……你懂的", risk.None, risk.Low},
	})
}

// Disappointed to be rescued is an attempt told through its rescue
// (zh.history.attempt.rescued_sorry); gladness, a cat, a game, a novel are not.
func TestRules11RescuedSorry(t *testing.T) {
	checkRules(t, []rulesCase{
		{"ambulance", "救护车来的时候我竟然有点失望，为什么要救我", risk.High, risk.Imminent},
		{"saved disappointed", "被救回来以后我一点都不开心，反而很失望", risk.High, risk.Imminent},
		{"glad", "救护车来的时候我很庆幸，幸好有人救了我", risk.None, risk.Low},
		{"cat", "消防员来救猫的时候我好失望，猫自己跑了", risk.None, risk.Low},
		{"teammate", "打游戏的时候队友为什么要救我，害我又被打死", risk.None, risk.Low},
		{"novel", "小说里女主醒来问为什么要救我", risk.None, risk.Low},
	})
}

// Life's ESC key, with the writer saying it is not about a game, is meant
// (zh.slang.literal); a game's ESC key or a pause is not.
func TestRules11EscKey(t *testing.T) {
	checkRules(t, []rulesCase{
		{"hans", "如果人生有ESC键可以退出就好了……这次我说的不是游戏，我真的不想玩了", risk.Medium, risk.Imminent},
		{"hant", "如果人生有ESC鍵可以退出就好了……這次不是在說遊戲，我真的不想玩了", risk.Medium, risk.Imminent},
		{"game", "这游戏有ESC键可以退出就好了，关卡太难我不想玩了", risk.None, risk.Low},
		{"pause", "如果人生能按ESC暫停一下就好了，讓我喘口氣", risk.None, risk.Low},
	})
}

// A friend's goodbye then no answer is someone else in danger now
// (en.other_now.told_then_silent); a move, a flight, a teacher are not.
func TestRules11FriendGoodbyeSilent(t *testing.T) {
	checkRules(t, []rulesCase{
		{"not picking up", "my friend just texted me goodbye, thank you for everything and now she isn't picking up", risk.High, risk.Imminent},
		{"thanks for everything", "my best friend sent me \"goodbye, thanks for everything\" and now he won't answer his phone", risk.High, risk.Imminent},
		{"moving", "my friend texted goodbye thank you for everything before moving to canada, i'll miss her", risk.None, risk.Low},
		{"teacher", "i texted my teacher thank you for everything on the last day and she hasn't replied yet", risk.None, risk.Low},
		{"plane", "my friend said goodbye thank you for everything at the airport and now she's not picking up because she's on the plane", risk.None, risk.Low},
	})
}

// 要 is also "has to": a relative's medicine routine (doses forgotten or
// doubled, a weekly pill organiser) is no wish for a method; 想吃很多药 is.
func TestRules11PillRoutine(t *testing.T) {
	checkRules(t, []rulesCase{
		{"organiser hant", "幫阿嬤整理藥盒，她要吃很多藥，常常忘記吃或者重複吃", risk.None, risk.Low},
		{"every day doubled", "阿嬤每天要吃很多藥，她常常忘記吃，有時候一天吃兩次，我幫她買了一週的藥盒", risk.None, risk.Low},
		{"seven slots", "我想买一个七格的药盒给奶奶，她老是忘了吃", risk.None, risk.Low},
		{"want many pills", "我想吃很多药", risk.High, risk.Imminent},
		{"want sleeping pills", "我想吃安眠药", risk.High, risk.Imminent},
	})
}

// 紫砂了 called out over a mishap is an exclamation; 想紫砂 is a wish.
func TestRules11ZishaExclaim(t *testing.T) {
	checkRules(t, []rulesCase{
		{"milk tea", "紫砂了家人们，新买的卫衣被奶茶洒了一身", risk.None, risk.Low},
		{"milk tea emoji", "紫砂了家人们😭奶茶全倒在新卫衣上", risk.None, risk.Low},
		{"wish", "家人们我真的想紫砂，活着好累", risk.Medium, risk.Imminent},
	})
}

// Past ideation told as resolved in school years is low; still there, medium.
func TestRules11SchoolYearPast(t *testing.T) {
	checkRules(t, []rulesCase{
		{"year 7", "初一的时候我也有过想死的念头，现在初三了好多了，给还在难受的你们：真的会好起来的", risk.None, risk.Low},
		{"junior high", "初中那会儿我也想过死，现在好多了，会好起来的", risk.None, risk.Low},
		{"grade five", "小学五年级时我想过自杀，现在好多了", risk.None, risk.Low},
		{"still", "我初一的时候想死，现在还是想", risk.Medium, risk.Imminent},
		{"attempt pulled back", "我小学五年级的时候坐在窗台上想跳下去，后来是我奶奶看到了，把我拉了回来，现在好多了", risk.High, risk.Imminent},
	})
}

// One's own attempt told as over ("以前自杀过，现在好多了") is still an
// attempt. A suicide attempt keeps its grade (GUIDE.md: high; session 16,
// where the resolved past had capped it at medium); one's own self-harm long
// over is capped at medium, so a counselor reads it, where other resolved
// talk is capped at low; someone else's stays low. Where the message says it
// is back (又开始, 又回来了), or only that it should be over (我以为自己已经
// 好了), nothing told before is over.
func TestResolvedAttemptIsRead(t *testing.T) {
	checkRules(t, []rulesCase{
		{"own attempt", "我以前自杀过，现在好多了", risk.High, risk.Imminent},
		{"own pills", "以前吞过药，现在好多了", risk.High, risk.Imminent},
		{"own self-harm over", "我以前有划手的习惯，现在已经好几个月没有了，现在好多了", risk.Medium, risk.Medium},
		{"own ideation", "我以前有过想死的念头，现在好多了", risk.None, risk.Low},
		{"own ideation, grade", "我初一那会儿有一阵子不想活，现在真的好了", risk.None, risk.Low},
		{"own ideation, yue", "一年前我有谂过唔想活，而家好返好多", risk.None, risk.Low},
		{"own ideation, back", "我以前有过想死的念头，现在好多了，可是这几天又开始想了", risk.Medium, risk.Imminent},
		{"own self-harm, back", "两年前我割过手腕，已经好了，但是那种想割的感觉又回来了", risk.Medium, risk.Imminent},
		{"own ideation, should be over", "一年前有过想死的念头，我以为自己已经好了", risk.Medium, risk.Imminent},
		{"his attempt", "他以前自杀过，现在好多了", risk.None, risk.Low},
		{"own attempt, not over", "我以前自杀过，现在又想了", risk.High, risk.Imminent},
	})
}

// A counselor's question quoted back and answered no is a denial; answered
// yes it stays ideation.
func TestRules11QuotedQuestion(t *testing.T) {
	checkRules(t, []rulesCase{
		{"thought no", "上次你问我有没有想过死，我回去认真想了想，其实没有，就是有时候很烦想一个人待着", risk.None, risk.Low},
		{"no la", "你问我有没有想过自杀，没有啦，只是烦", risk.None, risk.Low},
		{"yes more often", "上次你问我有没有想过死，我回去想了想，有的，而且越来越频繁", risk.Medium, risk.Imminent},
		{"yes often", "你上次问我有没有想过自杀，我想了想，有，而且很频繁", risk.Medium, risk.Imminent},
	})
}

// 想死呀 exclaimed over a test or homework is hyperbole; said plainly, meant.
func TestRules11ExclaimDie(t *testing.T) {
	checkRules(t, []rulesCase{
		{"yue test", "今次測驗又肥佬，我想死呀😭😭", risk.Low, risk.Low},
		{"yue exam", "今次考試又肥佬，想死啊", risk.Low, risk.Low},
		{"zh homework", "作业写不完了，想死呀", risk.Low, risk.Low},
		{"yue meant", "我真係想死，唔想再活落去", risk.Medium, risk.Imminent},
		{"yue alone", "我好想死，冇人明白我", risk.Medium, risk.Imminent},
		{"zh plain", "我想死啊，活着没意思", risk.Medium, risk.Imminent},
	})
}
