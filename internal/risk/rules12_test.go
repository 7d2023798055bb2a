package risk_test

import (
	"testing"

	"xinqiao/internal/risk"
)

// Session 10, riskrules12: false alarms of corpus batch t (goodbyes, giving
// away, medicine routines, recovery stories). Our own sentences; each group
// holds the real risk beside its look-alikes.

// Pills poured out to sort, count, check dates or fill a relative's box are
// no handful in the palm (zh.history.now.pills_in_hand); pills in the palm
// with hesitation stay imminent.
func TestRules12PillsSorted(t *testing.T) {
	checkRules(t, []rulesCase{
		{"expiry", "周末把家里药箱整理了一下，把所有药都倒出来看保质期，过期的扔了", risk.None, risk.Low},
		{"count", "我把药都倒出来数了数，还剩多少片，好给奶奶分装药盒", risk.None, risk.Low},
		{"grandpa box", "把药全倒出来按早中晚分好，装进外公的周药盒里", risk.None, risk.Low},
		{"stocktake", "帮妈妈清点药品，把药都倒出来一盒盒对有效期", risk.None, risk.Low},
		{"palm", "我把药全倒出来了，现在就在手心里，不知道要不要吃", risk.Imminent, risk.Imminent},
		{"clutched", "我把药都倒出来了，攥在手心里，在犹豫", risk.Imminent, risk.Imminent},
		{"handful", "现在手里拿着一把药，在犹豫", risk.Imminent, risk.Imminent},
	})
}

// Someone else's pills saved, things given away, goodbyes said are
// concern_for_other, medium: a counselor reads them (GUIDE.md labels someone
// else's risk low for the writer, but a friend's preparations are the news a
// school must get); the writer's own stay high, and a friend gone silent
// after a goodbye stays high (zh.other_now.told_then_silent).
func TestRules12SomeoneElses(t *testing.T) {
	checkRules(t, []rulesCase{
		{"friend saving", "我朋友最近在偷偷攒药，我好担心她", risk.Medium, risk.Medium},
		{"bestie saved", "我闺蜜说她攒了好多药", risk.Medium, risk.Medium},
		{"classmate secret", "同桌跟我说他在攒药，叫我谁都别说", risk.Medium, risk.Medium},
		{"mate en", "my mate told me he's been saving pills, i'm worried", risk.Medium, risk.Medium},
		{"friend gives away", "我朋友把她的东西都送给了我们，说以后用不上了", risk.Medium, risk.Medium},
		{"friend goodbye", "我朋友在群里发了一句再见了各位，我有点慌", risk.Medium, risk.Medium},
		{"friend silent", "同桌突然在群里说再见了大家，然后就不回消息了", risk.High, risk.Imminent},
		{"own saving", "我最近偷偷攒了很多药", risk.High, risk.Imminent},
		{"own en", "i've been saving pills for a month now", risk.High, risk.Imminent},
		{"own gives away", "我把东西都送给了朋友，反正以后用不上了", risk.High, risk.Imminent},
		{"own goodbye", "再见了各位，谢谢你们陪我走到这里", risk.Medium, risk.Imminent},
		// whose pills they are is no subject: the writer saves them
		{"mum's pills", "我偷偷把我妈的降压药藏起来了，一颗一颗攒，快一小瓶了", risk.High, risk.Imminent},
		{"grandma's box", "奶奶的药盒每次我都偷偷多拿一颗，攒了二十多片了", risk.High, risk.Imminent},
	})
}

// Goodbyes and things handed on with an ordinary reason in the message (a
// move, going home, emigrating, graduating, a teacher leaving, a class's
// 毕业遗嘱 game) are none; the same goodbye with no reason stays caught.
func TestRules12OrdinaryGoodbyes(t *testing.T) {
	checkRules(t, []rulesCase{
		{"move", "下周就要搬去上海了，这几天跟每个人都说了再见，东西也送给了同学，以后用不上了", risk.None, risk.Low},
		{"hometown", "明天回老家了。最后一天，和大家好好道别", risk.None, risk.Low},
		{"emigrate", "我们全家要移民了，下周走。跟所有朋友道别，把书都送给了邻居，反正以后用不上", risk.None, risk.Low},
		{"take home", "下周转回老家读书。放学我把文具都分给了同桌，反正带回去也用不上", risk.None, risk.Low},
		{"will game", "班会玩毕业遗嘱：我把错题本遗赠给下一届。说是遗嘱，其实就是舍不得", risk.None, risk.Low},
		{"piano", "这学期最后一次练琴，跟钢琴老师道别，她送了我一本琴谱", risk.None, risk.Low},
		{"textbooks en", "handing my old textbooks to the year below, won't need them", risk.None, risk.Low},
		{"no reason", "下周就走了，跟所有人都道别了，东西也都送人了，以后用不上了", risk.High, risk.Imminent},
		{"will own", "我立好遗嘱了，存款都留给我妹", risk.High, risk.Imminent},
	})
}

// A suicide note taken back as a joke in the same clause is low at most; said
// in earnest ("不是开玩笑") it stays high.
func TestRules12RetractedJoke(t *testing.T) {
	checkRules(t, []rulesCase{
		{"not", "写了遗书（不是），写了复习清单", risk.None, risk.Low},
		{"struck", "今天写了遗书（划掉）写了检讨书", risk.None, risk.Low},
		{"jk", "写了遗书 jk 只是复习计划", risk.None, risk.Low},
		{"earnest", "我写了遗书，不是开玩笑", risk.High, risk.Imminent},
		{"earnest2", "我写了遗书不是开玩笑的", risk.High, risk.Imminent},
		{"not to scare", "我写好遗书了不是为了吓你们", risk.High, risk.Imminent},
		{"drawer", "我写好遗书了，放在抽屉里", risk.High, risk.Imminent},
	})
}

// Pills taken one at a time from a relative's box are saved up (high); a
// sweet taken or a pill handed over is not.
func TestRules12PillsOneAtATime(t *testing.T) {
	checkRules(t, []rulesCase{
		{"grandma daily", "我每天从外婆的药盒里偷偷拿一片，已经攒了二十多片", risk.High, risk.Imminent},
		{"refill", "奶奶的药盒每次补药我都会偷偷多留一颗，现在一小瓶了", risk.High, risk.Imminent},
		{"sweet", "趁妈妈不注意偷偷拿一颗糖吃", risk.None, risk.Low},
		{"helping", "每天早上帮奶奶从药盒里拿一片降压药", risk.None, risk.Low},
	})
}

// A letter left to be read after one's death is a preparation (high); a
// letter read after an exam or a move is not.
func TestRules12LetterAfter(t *testing.T) {
	checkRules(t, []rulesCase{
		{"books", "我在书里夹了一封信，我死了她整理书的时候会看到", risk.High, risk.Imminent},
		{"gone", "信藏在枕头下面，等我死了他们收拾房间就会看到", risk.High, risk.Imminent},
		{"moved", "我在书里夹了一封信，等我搬走了她整理书的时候会看到", risk.None, risk.Low},
		{"exam", "信放她抽屉里了，考完试她收拾东西就会看到", risk.None, risk.Low},
	})
}
