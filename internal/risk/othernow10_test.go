package risk_test

import (
	"testing"

	"xinqiao/internal/risk"
)

// TestOtherNowFarewellSilent: a friend's goodbye in words of thanks and
// farewell, then no answer, and a friend who swallowed a relative's whole box
// of pills and lies still, are someone else in danger now (high,
// concern_for_other), in Mandarin, Traditional characters and Cantonese
// (blind batch 6's misses, written afresh); the everyday twins stay low.
func TestOtherNowFarewellSilent(t *testing.T) {
	checkRules(t, []rulesCase{
		{"thanks bye phone off", "我同学刚在QQ上给我发了句“谢谢你一直陪着我，再见”，之后就不回了，电话也关机", risk.High, risk.Imminent},
		{"platform read no reply", "我朋友剛剛說她在月台上，要跟我說再見，現在已讀不回", risk.High, risk.Imminent},
		{"long thanks", "我表姐刚刚发消息说谢谢我这几年一直陪着她，再见，后来一直不回，打电话也关机了", risk.High, risk.Imminent},
		{"yue bye no answer", "我個friend頭先傳咗句多謝你，拜拜，之後打佢電話都冇人聽", risk.High, risk.Imminent},
		{"grandma's pills", "我室友刚说她吃了她外婆一整瓶安眠药，现在躺着不动", risk.High, risk.Imminent},
		{"bye then sleep", "我朋友跟我说拜拜，说她要去睡觉了，就不回了", risk.None, risk.Low},
		{"bye then game", "同桌说了句再见就去打游戏了，不回了", risk.None, risk.Low},
		{"thanks for the notes", "谢谢你借我笔记，拜拜，明天见", risk.None, risk.Low},
	})
}
