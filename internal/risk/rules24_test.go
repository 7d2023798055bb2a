package risk_test

import (
	"testing"

	"xinqiao/internal/risk"
)

// TestRules24: the lead's pass after the new writers zh, zi and zk
// (rules/37_lead14.rules): parents away and no food for days, wanting to go
// with someone who died, every group left and the account deleted, a pact to
// go together with a date set, an image threat with a demand; each beside
// its everyday look-alikes. Our own sentences.
func TestRules24(t *testing.T) {
	N, L, M, H, I := risk.None, risk.Low, risk.Medium, risk.High, risk.Imminent
	checkRules(t, []rulesCase{
		{"away hungry", "爸妈去外地打工两个月了 家里没吃的 三天没吃饭", H, I},
		{"away hungry hant", "爸媽出國一個禮拜了 冰箱空了 兩天沒吃東西", H, I},
		{"away diet", "爸妈出差了 我两天没吃饭 在减肥", N, L},
		{"away fed", "爸妈出国旅游一周 我住外婆家 天天吃好吃的", N, L},
		{"go with grandma", "外婆去世了，我好想跟她一起走", M, H},
		{"go with grandpa", "爷爷走了三个月 好想去找他", M, H},
		{"go with cat", "我的猫咪走了 我也想跟它一起去", M, H},
		{"go with en", "my grandpa passed away and i just wanna be with him", M, H},
		{"grave visit", "外婆去世一年了 清明去扫墓 好想她", N, L},
		{"hospital visit", "外婆住院了 好想去找她 但要上课", N, M},
		{"moved friend", "好朋友搬走了 好想去找她玩", N, L},
		{"exit all", "所有群都退了 账号也会删 谢谢你们陪我", H, I},
		{"exit all en", "left all the group chats, deleting my account tonight. thanks for everything", H, I},
		{"exit exams", "群都退了 要中考了 账号先注销 大家加油", N, L},
		{"exit new phone", "left all the group chats bc new phone, deleting my account and making a new one", N, L},
		{"pact online", "和网友约好一起走 时间也讲好了", H, I},
		{"pact en", "me and a girl from discord are gonna end it together", H, I},
		{"walk home", "跟同桌约好放学一起走", N, L},
		{"trip", "和网友约好一起走 去漫展 时间定好了", N, L},
		{"sextortion deadline", "he said send more pics by midnight or he posts the old ones", H, I},
		{"photos group", "send the photos to the group or she posts them herself lol", N, L},
	})
}
