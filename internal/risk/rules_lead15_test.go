package risk_test

import (
	"testing"

	"xinqiao/internal/risk"
)

// TestRulesLead15: session 15's pass (rules/39_lead15.rules): wanting to go
// and be with someone read as a visit when they are said to be ill, a final
// goodbye in English spared by a move, a past attempt told as "tried once"
// with a time, a conditional absence tomorrow with "don't look for me", a
// wish to strike someone with an object or a punch, lying awake thinking of
// the pills kept at home; each beside its everyday look-alikes. Our own
// sentences.
func TestRulesLead15(t *testing.T) {
	N, L, M, H, I := risk.None, risk.Low, risk.Medium, risk.High, risk.Imminent
	checkRules(t, []rulesCase{
		{"be with", "每天都好累 好想去陪他", M, I},
		{"be with the dead", "外公去世半年了 我好想去陪他", M, I},
		{"visit ill", "外婆生病住院了 我好想去陪她", N, L},
		{"visit hospital", "爷爷做完手术还在病房 好想去陪他", N, L},
		{"errand", "周末想去陪奶奶买菜", N, L},
		{"final goodbye", "im so tired of everything. this is goodbye", H, I},
		{"goodbye forever", "goodbye forever guys", H, I},
		{"moving goodbye", "we're moving to adelaide on friday so this is goodbye to this chat", N, L},
		{"new school goodbye", "changing schools next term, goodbye forever to this uniform lol", N, L},
		{"tried once", "i tried once in year 8. nobody knows", H, I},
		{"tried once back", "tried once back in grade 7 but im ok now", H, I},
		{"tried once before", "already tried once. its on my mind again", H, I},
		{"tried smoking", "i tried once in year 9 to make the team and didnt get in", N, L},
		{"tried vaping", "tried once last summer, vaping is gross", N, L},
		{"absent tomorrow", "要是我明天没来上学 你们就别找我了", H, I},
		{"absent tomorrow 2", "如果明天我没出现 别担心我", H, I},
		{"absent sick", "如果我明天没来就是发烧请假了 别找我", N, L},
		{"absent play", "要是我明天没来 就是去比赛了 别找我玩", N, L},
		{"strike brick", "真想拿砖头拍他头上", M, H},
		{"strike punch", "好想一拳打在他脸上", M, H},
		{"strike taken back", "真想一拳打在他脸上，不过冷静下来觉得算了", N, L},
		{"strike wall", "好想一拳打在墙上 出出气", N, L},
		{"strike mosquito", "真想拿拖鞋拍死这只蚊子", N, L},
		{"dwell pills", "晚上睡不着 一直想着柜子里那瓶药", M, I},
		{"dwell pills yue", "瞓唔着 成日谂住嗰樽药", M, I},
		{"grandma pills", "一直想着奶奶那盒药 明天要记得带给她", N, L},
		{"cold pills", "一直在想那些药是不是过期了 感冒要吃", N, L},
	})
}

// TestRulesBlind13: the kinds of blind batch 13's misses (rules/39_lead15.rules,
// second part; words lists and existing sets only), each beside its
// look-alikes. Our own sentences.
func TestRulesBlind13(t *testing.T) {
	N, L, M, H, I := risk.None, risk.Low, risk.Medium, risk.High, risk.Imminent
	checkRules(t, []rulesCase{
		{"roof dont come", "已经在楼顶上了 你们别来找我", I, I},
		{"roof chores", "在天台上了 晒被子呢 别来找我 一会下来", N, L},
		{"bridge picked", "i picked the bridge near my school. just waiting for the weekend", H, I},
		{"bridge photo", "we picked the bridge for our class photo", N, L},
		{"bridge project", "i picked the bridge for a project on old architecture", N, L},
		{"dose harm", "一般吃多少片才会出事啊", H, I},
		{"dose harm yue", "食几多粒安眠药先会出事", H, I},
		{"dose grandma", "我外婆一直吃降压药 一般吃多少片会出事 她有时候会多吃", N, L},
		{"dose fever", "发烧了 退烧药吃多少片会出事 说明书找不到了", N, L},
		{"cut direction", "拿刀片割的话 竖着还是横着", H, I},
		{"watermelon", "用刀切西瓜 竖着还是横着比较好切", N, L},
		{"pick me", "要是飞机失事能挑人 就挑我吧 车祸也行", M, H},
		{"lottery", "抽奖要是能挑人 希望挑我", N, L},
		{"sextortion zh", "他说不发裸照给他就把聊天记录发到班群", M, H},
		{"homework threat", "老师说不交作业就要请家长", N, L},
		{"mock chat", "some boys made a group chat to make fun of me", M, H},
		{"project chat", "we made a gc for the science project", N, L},
		{"grooming", "a guy from insta asked for pics and said keep it a secret", M, H},
		{"surprise pics", "my aunt wants pics of the cake, keep it a secret its for moms birthday", N, L},
		{"last day", "last day of school!! goodbye everyone see u in sept", N, L},
	})
}

// TestRulesBlind14: the kinds of blind batch 14's misses (rules/39_lead15.rules,
// third part; words lists and existing sets only), each beside its
// look-alikes. Our own sentences.
func TestRulesBlind14(t *testing.T) {
	N, L, M, H, I := risk.None, risk.Low, risk.Medium, risk.High, risk.Imminent
	checkRules(t, []rulesCase{
		{"thanks bye", "多谢大家一直陪我 真的 拜拜", H, I},
		{"thanks bye yue", "唔该晒你哋呢排陪住我 我走啦", H, I},
		{"thanks term", "谢谢大家这学期陪我 下学期再见啦", N, L},
		{"thanks grad", "毕业了 谢谢这些年一直陪我的你们 再见了", N, L},
		{"river rescued", "去年跳过一次江 被保安拉上来了", H, I},
		{"river swim", "夏天在河里游泳 抽筋了被救生员拉上来", N, L},
		{"letter later", "给我妈写了封信 藏在她衣柜里 让她以后再看", H, I},
		{"letter birthday", "给我妈写了封信当生日礼物 让她以后再看", N, L},
		{"bring knife", "if she comes near me again im bringing a knife", H, I},
		{"cooking knife", "bringing my knife set to cooking class", N, L},
		{"bridge tell", "on the roof rn. just wanted someone to know", I, I},
		{"bridge photo", "on the bridge for photos, wanted to tell someone the view is amazing", N, L},
		{"post threat", "他说我不发的话就把那些照片发给我妈", M, H},
		{"smash", "if he touches my bag again im gonna break his nose", M, H},
		{"smash taken back", "wanted to smash his face lol but were good now", N, L},
	})
}
