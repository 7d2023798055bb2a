package risk_test

import (
	"testing"

	"xinqiao/internal/risk"
)

// TestFictionRetoldByRules: a plot retold (動畫, 漫畫, 小說, 這集, 主角), in which
// characters are bullied, die or take their lives, is topic for the rules:
// no rule grades it above low (session 8; topic words in 00_sets.rules). The
// learned model may still raise such a post (it only raises; the lead
// retrains it), so this test reads the rules alone. The writer's own
// statement in a sentence of its own beside a plot keeps its level.
func TestFictionRetoldByRules(t *testing.T) {
	rules := mustLoad(t).WithModel(nil)
	for _, tc := range []struct {
		name string
		text string
		min  risk.Level
		max  risk.Level
	}{
		{"anime_rooftop", "最近在追一部動畫，這集看到我哭爆。主角的妹妹被家人逼得走投無路，最後一個人爬上學校的天台跳了下去。主角趕到的時候已經來不及了，他抱著妹妹一直喊她的名字。後來主角也變得很消沉，一直說不想活了，還把自己關在房間裡好幾天。還好他的朋友一直陪著他，最後他決定要替妹妹好好活下去。這部的劇情很沉重，但拍得很好，推薦給大家。", risk.None, risk.Low},
		{"novel_bullied_pills", "分享一本最近看完的小說。故事講一個高中女生長期被同學霸凌，回家又被繼父打，她在日記裡寫說活著好累，想要消失。後來她存了很多安眠藥，在生日那天全部吞下去，被送到醫院才救回來。出院後她遇到一個願意聽她說話的老師，慢慢走出來。", risk.None, risk.Low},
		{"manga_wrist", "昨天看完漫畫最新一話，整個人不好了。那個角色在最後一頁割腕自殺，血流了一地，他的戀人發現的時候已經沒有呼吸了。作者是不是太狠了，我最喜歡的角色就這樣領便當。留言區大家都在哭。", risk.None, risk.Low},
		{"episode_bridge", "這集劇情太虐了吧，女主角站在橋上說「我已經沒有活下去的理由了」然後就跳下去，男主角來不及拉住她。我看到這裡眼淚一直掉。", risk.None, risk.Low},
		{"drama_hans", "这部剧的大结局太狠了，男主被人陷害，最后在狱中上吊，女主拿着他的信哭了一整集。我看完一晚上没睡着。", risk.None, risk.Low},
		{"own_beside_plot", "這部動畫的主角最後自殺了。我也好想死。", risk.Medium, risk.Imminent},
		{"own_plan_beside_plot", "看完這部動畫，我決定今晚就去跳樓", risk.High, risk.Imminent},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := rules.Classify(tc.text)
			if r.Level < tc.min || r.Level > tc.max {
				t.Errorf("rules alone: got %s (rules %v), want %s..%s", r.Level, r.Rules, tc.min, tc.max)
			}
		})
	}
}
