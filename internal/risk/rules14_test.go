package risk_test

import (
	"testing"

	"xinqiao/internal/risk"
)

// Session 10, riskrules14: known misreadings left after riskrules13. Our own
// sentences; each group holds the look-alikes that must keep their level.

// Black and blue after a fall, a bike or a sport knock is no abuse; beaten
// till black and blue by a parent or classmates is abuse with an injury (high).
func TestRules14FallBruises(t *testing.T) {
	checkRules(t, []rulesCase{
		{"bike fall", "我今天骑车摔了一跤，腿上青一块紫一块的", risk.None, risk.Low},
		{"ball knock", "打球撞到了，胳膊青一块紫一块", risk.None, risk.Low},
		{"fall next sentence", "昨天体育课跑步的时候摔了。现在膝盖青一块紫一块。", risk.None, risk.Low},
		{"hant fall", "我今日踢波跌親，隻腳青一塊紫一塊", risk.None, risk.Low},
		{"en bike", "I fell off my bike and I'm bruised all over", risk.None, risk.Low},
		{"dad beat", "我爸把我打得青一块紫一块", risk.High, risk.Imminent},
		{"classmates beat", "同学把我打到青一块紫一块，不敢去学校", risk.High, risk.Imminent},
		{"passive beat", "我被他们打得青一块紫一块", risk.High, risk.Imminent},
		{"hant dad", "我爸把我打得青一塊紫一塊", risk.High, risk.Imminent},
		{"yue beat", "佢打到我青一忽紫一忽", risk.High, risk.Imminent},
		{"beat, no PE", "我爸把我打得青一块紫一块，今天体育课都上不了", risk.High, risk.Imminent},
		{"football kick", "踢球被踢得青一块紫一块", risk.None, risk.Low},
		{"en beat", "my dad beat me until I was bruised all over", risk.High, risk.Imminent},
		{"unexplained", "我身上青一块紫一块的，不敢告诉别人", risk.Medium, risk.Imminent},
	})
}

// Cantonese: the writer's own things all given away is a preparation (high);
// someone else's, or a move, clearing out (执屋), outgrown toys or a charity
// sale are not.
func TestRules14YueGivingOwnThings(t *testing.T) {
	checkRules(t, []rulesCase{
		{"all my things", "我啲嘢送晒俾人", risk.High, risk.Imminent},
		{"all my things all", "我將我啲嘢全部送晒俾人，同學都覺得好奇怪", risk.High, risk.Imminent},
		{"dolls to cousin", "我將啲公仔送晒俾表妹", risk.High, risk.Imminent},
		{"hans", "我把我的东西全部送人了", risk.High, risk.Imminent},
		{"friend's", "佢啲嘢送晒俾人", risk.None, risk.Low},
		{"moving", "我搬屋，啲嘢送晒俾人", risk.None, risk.Low},
		{"outgrown", "我將啲公仔送晒俾表妹，因為我大個咗", risk.None, risk.Low},
		{"charity sale", "學校義賣，我將啲公仔送晒出去", risk.None, risk.Low},
		{"clearing out", "執屋，將啲舊嘢送晒俾人", risk.None, risk.Low},
	})
}

// A grandparent's or parent's medicine routine (要 = has to) is none/low;
// the writer's own "I'll take a lot of pills tonight" stays graded by intent.
func TestRules14KinMedicineRoutine(t *testing.T) {
	checkRules(t, []rulesCase{
		{"grandma hant", "阿嬤要吃很多藥", risk.None, risk.Low},
		{"grandma hans", "我奶奶要吃很多药", risk.None, risk.Low},
		{"grandma yue", "阿嫲要食好多藥", risk.None, risk.Low},
		{"grandma yue daily", "我嫲嫲每日要食好多藥", risk.None, risk.Low},
		{"grandpa yue", "阿公要食好多藥", risk.None, risk.Low},
		{"en grandma", "my grandma has to take a lot of pills", risk.None, risk.Low},
		{"own tonight", "今晚我要吃很多藥", risk.High, risk.Imminent},
		{"own yue tonight", "我今晚要食好多藥", risk.High, risk.Imminent},
		{"own", "我要吃很多药", risk.High, risk.Imminent},
	})
}

// "Angry enough to strangle him" forgiven or laughed off in the same message is
// low; a wish to hurt someone with no take-back stays medium.
func TestRules14AngerTakenBack(t *testing.T) {
	checkRules(t, []rulesCase{
		{"forgiven", "气得想掐死他，算了还是原谅他了", risk.Low, risk.Low},
		{"fries", "气得想掐死我弟，but he gave me his fries so we're good", risk.Low, risk.Low},
		{"hant forgiven", "氣得想掐死我弟，算了還是原諒他了", risk.Low, risk.Low},
		{"yue forgiven", "嬲到想掐死佢，算啦，原諒咗佢喇", risk.Low, risk.Low},
		{"en fries", "I was so mad I wanted to kill my brother but he gave me his fries so we're good", risk.Low, risk.Low},
		{"no take-back", "气得想掐死我弟", risk.Medium, risk.Imminent},
		{"never forgive", "我不会原谅他了，气得想掐死他", risk.Medium, risk.Imminent},
		{"yue no take-back", "嬲到想掐死佢", risk.Medium, risk.Imminent},
		{"en no take-back", "I want to kill my brother", risk.Medium, risk.Imminent},
		{"en last time", "I'm going to kill my brother, I forgave him last time but not now", risk.Medium, risk.Imminent},
		{"en knife", "I've got a knife in my backpack, we're good to go", risk.Medium, risk.Imminent},
	})
}

// 考完 right before 想死 is the exam reacted to, not a time for a plan: exam
// hyperbole is low, meant it is medium, with a plan or means high. Real times
// (放学后, 周末, 等考完试我就…) keep combining with the wish.
func TestRules14ExamHyperbole(t *testing.T) {
	checkRules(t, []rulesCase{
		{"math done", "數學考完真的想死", risk.Low, risk.Low},
		{"exam done", "考完试真的想死", risk.Low, risk.Low},
		{"final done", "期末考完真的想死", risk.Low, risk.Low},
		{"yue", "考完試真係好想死", risk.Low, risk.Low},
		{"meant", "考完试真的想死，不是开玩笑", risk.Medium, risk.Medium},
		{"meant hant", "考完試真的想死，是認真的", risk.Medium, risk.Medium},
		{"meant yue", "考完試真係想死，唔係講笑", risk.Medium, risk.Medium},
		{"hoarded", "考完试想死，药已经攒好了", risk.High, risk.Imminent},
		{"after exam jump", "等考完试我就去跳楼", risk.High, risk.Imminent},
		{"after school", "放学后真的想死", risk.High, risk.Imminent},
		{"weekend", "周末真的想死", risk.High, risk.Imminent},
		{"tonight", "今晚真的想死", risk.High, risk.Imminent},
	})
}
