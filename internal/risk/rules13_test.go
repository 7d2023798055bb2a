package risk_test

import (
	"testing"

	"xinqiao/internal/risk"
)

// Session 10, riskrules13: misses and false alarms of the kinds a blind batch
// showed (the batch itself unread). Our own sentences; each group holds its
// look-alikes.

// A parent who stops feeding the writer as punishment is neglect (medium);
// a busy mum, eating out, a diet or a religious fast are not.
func TestRules13NeglectPunishment(t *testing.T) {
	checkRules(t, []rulesCase{
		{"no cooking when angry", "我妈一生气就不给我做饭，这两天我只吃了学校的午饭，晚上饿得睡不着", risk.Medium, risk.High},
		{"stopped cooking", "妈妈跟我吵架以后就不做我的饭了，两天了我只能吃学校午餐", risk.Medium, risk.High},
		{"hant", "我媽一不高興就不煮我的飯，已經兩天只靠學校的午餐", risk.Medium, risk.High},
		{"busy mum", "我妈这两天加班很忙没空做饭，我们就吃学校的午饭和外卖", risk.None, risk.Low},
		{"eating out", "这两天妈妈不做饭，我们全家都去外面吃", risk.None, risk.Low},
		{"diet", "我在减肥，这两天只吃了学校的午饭", risk.None, risk.Low},
		{"fast", "斋月期间白天不吃饭，这两天只在日落后吃", risk.None, risk.Low},
	})
}

// A class poll naming the writer the ugliest, with fear after it, is bullying;
// a vote for the class monitor or a trip poll is not.
func TestRules13UglyPoll(t *testing.T) {
	checkRules(t, []rulesCase{
		{"ugliest poll", "他们在班级群里发起投票，选全班最丑的人，结果我第一，现在我一拿起手机就发抖", risk.Medium, risk.High},
		{"disgusting vote", "有人在班群搞了个投票“谁是班上最恶心的人”，大家都投了我", risk.Medium, risk.High},
		{"monitor", "今天班级群里投票选班长，我得了第一名", risk.None, risk.Low},
		{"trip", "班群里发起投票选春游去哪里，大家都投了动物园", risk.None, risk.Low},
	})
}

// A beating with a clothes pole till it broke, bruises, limping is abuse with
// injury (high); a broken pole or a fall are not.
func TestRules13PoleBeating(t *testing.T) {
	checkRules(t, []rulesCase{
		{"pole broke", "昨晚我爸用晾衣杆打我，打到晾衣杆都断了，现在两条腿青一块紫一块，走路一瘸一拐的", risk.High, risk.Imminent},
		{"long post", "我不知道该跟谁说。昨天考试成绩出来，我爸看完什么都没说，晚上就拿晾衣杆抽我，一直抽到杆子打断了才停。今天腿上全是青紫，上学的时候一瘸一拐，同学问我我说是摔的。", risk.High, risk.Imminent},
		{"pole broke wind", "昨晚风太大，晾衣杆被吹断了，我妈让我去买一根新的", risk.None, risk.Low},
		{"fell", "我打球摔了一跤，走路一瘸一拐的，膝盖全是青紫", risk.None, risk.Low},
		{"pole story", "我爸用晾衣杆晒被子，结果晾衣杆断了，他自己笑了半天", risk.None, risk.Low},
	})
}

// Cantonese: things given away and letters left for mum, a friend and the
// form teacher are preparations (high); giving away old toys or a thank-you
// card are not.
func TestRules13YueGiveawayLetters(t *testing.T) {
	checkRules(t, []rulesCase{
		{"laptop letters", "我將啲玩具同漫畫全部送晒俾人，部手提電腦都俾咗表弟，反正我以後都用唔著。我寫咗三封信，俾阿媽、最好嘅朋友同班主任，收埋喺張枱個櫃桶度", risk.High, risk.Imminent},
		{"old toys", "我將啲舊玩具送晒俾表弟，佢好開心", risk.None, risk.Low},
		{"thank-you card", "我寫咗張心意卡俾班主任，多謝佢今年照顧我", risk.None, risk.Low},
	})
}

// Organising a grandmother's pills (要 = has to) is no wish for means.
func TestRules13GrandmaPills(t *testing.T) {
	checkRules(t, []rulesCase{
		{"hant pills", "阿嬤要吃很多藥，我幫她買了一個一週的藥盒，因為她常常忘記吃或是吃兩次", risk.None, risk.Low},
		{"hant week", "阿嬤每個禮拜要吃的藥好多種，我用分裝盒幫她排好，免得她忘了吃或重複吃", risk.None, risk.Low},
		{"separate sentences", "阿嬤要吃很多藥。我買了一個禮拜的藥盒幫她分好。她常常忘記吃，有時又吃兩次。", risk.None, risk.Low},
		{"own wish", "我好想吃很多安眠藥，一次吃完就不用醒了", risk.High, risk.Imminent},
		{"own intent jump", "我要跳楼，今晚就去", risk.High, risk.Imminent},
	})
}

// Cantonese exam hyperbole about a parent's reaction is low; a flat threat
// with a time and a weapon stays high.
func TestRules13YueExamHyperbole(t *testing.T) {
	checkRules(t, []rulesCase{
		{"exam", "今次測驗肥咗，我阿媽知道實劈死我，救命", risk.None, risk.Low},
		{"exam2", "英文默書又唔合格，俾老豆知實劈死我", risk.None, risk.Low},
		{"real threat", "佢話今晚返嚟劈死我，佢手上拎住把刀", risk.High, risk.Imminent},
	})
}
