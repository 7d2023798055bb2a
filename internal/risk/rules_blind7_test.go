package risk_test

import (
	"testing"

	"xinqiao/internal/risk"
)

// Kinds blind batch 7 showed the rules missing or misreading
// (rules/28_blind7.rules), fixed after its one measurement. Our own
// sentences, not the batch's; each beside look-alikes that keep their level.
func TestRulesBlind7(t *testing.T) {
	checkRules(t, []rulesCase{
		{"river unwatched", "桥下那段栏杆很矮，我去看过水有多急，还有哪里没监控", risk.High, risk.Imminent},
		{"en unwatched", "the railing by the river is really low and i checked where the cameras dont reach", risk.High, risk.Imminent},
		{"low railing reported", "江边的栏杆很矮，小孩子容易掉下去，我们要跟居委会反映", risk.None, risk.Low},
		{"dragon boat current", "这条河的水有多急，龙舟比赛会不会翻", risk.None, risk.Low},
		{"height that kills", "我家楼有二十八层，想知道要多高才会死", risk.High, risk.Imminent},
		{"en height", "how high would you have to be for it to be not just broken legs", risk.High, risk.Imminent},
		{"kite height", "风筝要放多高才能飞过那棵树", risk.None, risk.Low},
		{"drone height", "无人机要飞多高才能拍到整个操场", risk.None, risk.Low},
		{"step forward urge", "每次在地铁站台等车，都有一种想往前走一步的冲动，是不是很奇怪", risk.Medium, risk.High},
		{"bungee thrill", "站在蹦极台上往下看，真的有种想跳下去的冲动，太刺激了", risk.None, risk.Low},
		{"diving board", "我想跳下去是说游泳池那个三米跳台，还不太敢", risk.None, risk.Low},
		{"cooking oil", "第一次自己做晚饭，鸡翅下锅的时候油溅出来，手背烫了个小泡", risk.None, risk.Low},
		{"yue noodles", "煮公仔麵嗰陣俾滾水淥親手指，好痛", risk.None, risk.Low},
		{"burn on purpose", "我用打火机烫了自己的手臂，就在昨晚", risk.High, risk.Imminent},
	})
}
