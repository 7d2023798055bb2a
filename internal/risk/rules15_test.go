package risk_test

import (
	"testing"

	"xinqiao/internal/risk"
)

// Session 11, riskrules15: misreadings noticed by riskrules14. Our own
// sentences; each group holds the look-alikes that must keep their level.

// 怪 in 好奇怪/怪怪的/丑八怪 is no game word: it no longer cancels the game
// exceptions; game senses (打怪, 刷怪, 精英怪, 被怪打) still do.
func TestRules15StrangeIsNoGame(t *testing.T) {
	checkRules(t, []rulesCase{
		{"beaten, strange", "我爸把我打得青一块紫一块，同学都觉得好奇怪", risk.High, risk.Imminent},
		{"beaten, 怪怪的", "我爸把我打得青一块紫一块，感觉怪怪的", risk.High, risk.Imminent},
		{"freak tacks", "他们说我是怪胎，还在我椅子上放图钉", risk.Medium, risk.Imminent},
		{"ugly carved", "有人在我的桌子上刻了丑八怪三个字", risk.Medium, risk.Imminent},
		{"want die strange", "我想死，同学都觉得我好奇怪", risk.Medium, risk.Imminent},
		{"elite mob", "刚才刷怪被精英怪秒了，气得想杀了那个boss", risk.None, risk.Low},
		{"mob killed me", "打怪的时候又被怪打死了，想把它打死", risk.None, risk.Low},
		{"death class", "一开始很多人觉得这门课很奇怪，还有家长说为什么要让孩子讨论死亡", risk.None, risk.Low},
		{"death class hant", "一開始很多人覺得這門課很奇怪，甚至有家長說為什麼要讓孩子討論死亡。", risk.None, risk.Low},
	})
}

// Mandarin: the writer's own things given away with no ordinary reason are a
// preparation (high); someone else giving things away, or a move, a birthday
// present, outgrown things stay low or none.
func TestRules15GivingOwnThings(t *testing.T) {
	checkRules(t, []rulesCase{
		{"to a friend", "我把我的东西都送给了朋友", risk.High, risk.Imminent},
		{"to classmates", "我把我的东西都送给同学了", risk.High, risk.Imminent},
		{"hant", "我把我的東西都送給了朋友", risk.High, risk.Imminent},
		{"account and figures", "我把游戏账号和手办都送人了", risk.High, risk.Imminent},
		{"account and gear", "我把游戏账号和装备都送给我表弟了", risk.High, risk.Imminent},
		{"strange", "我把我的东西都送给了朋友，同学都觉得好奇怪", risk.High, risk.Imminent},
		{"someone else's", "他把他的东西都送给了朋友", risk.Low, risk.Low},
		{"mum gave mine", "妈妈把我的东西都送给了表妹", risk.Low, risk.Low},
		{"moving", "我把我的东西都送给了朋友，因为要搬家了", risk.None, risk.Low},
		{"birthday", "我把我的东西都送给了朋友，当生日礼物", risk.None, risk.Low},
		{"outgrown", "我把我的东西都送给了表妹，反正都穿不下了", risk.None, risk.Low},
		{"clearing room", "整理房间，我把我的东西都送给了表妹", risk.None, risk.Low},
		{"snacks", "我把零食都分给同学了", risk.None, risk.Low},
		{"taken home", "我把我的东西都送回家了", risk.None, risk.Low},
		{"to the dorm", "我把自己的东西送回宿舍", risk.None, risk.Low},
	})
}

// Exam or results hyperbole with no plan is low, meant it is medium, beside
// means or a plan high; real times keep combining with the wish.
func TestRules15ResultsHyperbole(t *testing.T) {
	checkRules(t, []rulesCase{
		{"results", "成绩出来真的想死", risk.Low, risk.Low},
		{"results hant", "成績出來真的想死", risk.Low, risk.Low},
		{"results out", "出成绩了好想死", risk.Low, risk.Low},
		{"en after exam", "after the exam I want to die", risk.Low, risk.Low},
		{"en after exams", "After exams I just want to die", risk.Low, risk.Low},
		{"meant", "成绩出来真的想死，不是开玩笑", risk.Medium, risk.Medium},
		{"en meant", "after the exam I want to die, I'm not joking", risk.Medium, risk.Medium},
		{"pills ready", "成绩出来真的想死，药已经准备好了", risk.High, risk.Imminent},
		{"exam pills ready", "考完试想死，药已经准备好了", risk.High, risk.Imminent},
		{"en pills ready", "after the exam I want to die and I have the pills ready", risk.High, risk.Imminent},
		{"results jump", "成绩出来我就去跳楼", risk.High, risk.Imminent},
		{"after exam jump", "等考完试我就去跳楼", risk.High, risk.Imminent},
		{"en die after exam", "I want to die after the exam", risk.High, risk.Imminent},
		{"tonight", "今晚真的想死", risk.High, risk.Imminent},
		{"after school", "放学后真的想死", risk.High, risk.Imminent},
		{"weekend", "周末真的想死", risk.High, risk.Imminent},
	})
}

// A wish to hurt someone without 掐死 (揸死, 打死, strangle) is medium; taken
// back in the same message it is low; 揸死 as a tight grip is nothing.
func TestRules15AngerWithoutStrangleWord(t *testing.T) {
	checkRules(t, []rulesCase{
		{"yue squeeze", "激到想揸死佢", risk.Medium, risk.Medium},
		{"yue squeeze hant", "嬲到想揸死我同房", risk.Medium, risk.Medium},
		{"yue brother", "想打死我細佬", risk.Medium, risk.Medium},
		{"en brother", "so mad I could strangle my brother", risk.Medium, risk.Medium},
		{"en her", "I could strangle her", risk.Medium, risk.Medium},
		{"yue forgiven", "激到想揸死佢，算啦，原諒咗佢喇", risk.Low, risk.Low},
		{"brother forgiven", "想打死我细佬，不过我们已经和好了", risk.Low, risk.Low},
		{"en good now", "so mad I could strangle my brother but we're good now", risk.Low, risk.Low},
		{"grip wheel", "揸死個軚盤", risk.None, risk.Low},
		{"grip hand", "揸死佢隻手唔俾佢走", risk.None, risk.Low},
		{"printer", "ugh I could strangle this printer", risk.None, risk.Low},
		{"friend quoted", "my friend said \"i'm going to strangle you\" when i took her fries. rude", risk.None, risk.Low},
	})
}

// A take-back followed by 但/可是/不过/but and the wish again does not cancel
// it; a but-word before the take-back, or the wish denied, does not bring it back.
func TestRules15TakebackThenBut(t *testing.T) {
	checkRules(t, []rulesCase{
		{"but still", "我们已经和好了，但我还是想掐死他", risk.Medium, risk.Medium},
		{"but still hant", "我們已經和好了，但我還是想掐死他", risk.Medium, risk.Medium},
		{"kebi brother", "已经和好了，可是我还是想打死我弟", risk.Medium, risk.Medium},
		{"buguo", "我们已经和好了，不过还是想揍死他", risk.Medium, risk.Medium},
		{"yue", "我们已经和好了，但我仲系想揸死佢", risk.Medium, risk.Medium},
		{"en but still", "we made up already, but I still want to strangle him", risk.Medium, risk.Medium},
		{"but before takeback", "气得想掐死他，但是我们已经和好了", risk.Low, risk.Low},
		{"forgiven later", "我想掐死他，但后来还是原谅他了", risk.Low, risk.Low},
		{"no longer", "我们已经和好了，但我已经不想掐死他了", risk.None, risk.Low},
		{"en no longer", "we made up already, but I dont want to kill him", risk.None, risk.Low},
		{"forgiven", "气得想掐死他，算了还是原谅他了", risk.Low, risk.Low},
	})
}
