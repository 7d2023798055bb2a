package risk_test

import (
	"testing"

	"xinqiao/internal/risk"
)

// Session 10, riskrules8: internet slang and euphemism for dying, suicide and
// self-harm (rules/18_slang.rules). A slang word is the plain word only with a
// cue that makes it the writer's own death: a wish, a plan, a time,
// permanence, or the writer saying it is not the everyday meaning. Games,
// devices, teapots and questions about a word stay none or low.

// Computer and game words for dying, wished or planned; the same words in a
// game, about a phone or a server are not.
func TestSlangComputerWords(t *testing.T) {
	checkRules(t, []rulesCase{
		{"shutdown not phone", "我好想关机，我说的不是手机，是我这个人", risk.Medium, risk.Imminent},
		{"shutdown forever", "最近总想着永久关机这件事", risk.Medium, risk.Imminent},
		{"eternal sleep", "真希望能进入永久睡眠模式", risk.Medium, risk.Imminent},
		{"earth online uninstall", "地球online这游戏我玩腻了，不想玩了，真想卸载", risk.Medium, risk.Imminent},
		{"life quit yue", "人生呢盘嘢我唔想再玩，好想退出", risk.Medium, risk.Imminent},
		{"no restart", "重开都不想了，我想直接结束", risk.Medium, risk.Imminent},
		{"failed product", "我就是个残次品，应该被回炉重造", risk.Medium, risk.Imminent},
		{"logoff planned", "我已经想好了怎么下线，时间也定了", risk.High, risk.Imminent},
		{"logoff now thanks", "下线了，谢谢大家这几年陪着我", risk.High, risk.Imminent},
		{"game logoff", "打完这局就下线，明天还要早起", risk.None, risk.Low},
		{"phone shutdown", "手机快没电了，先关机充电", risk.None, risk.Low},
		{"server down", "服务器维护，全体玩家下线两小时", risk.None, risk.Low},
		{"account delete", "这个游戏账号我想删号重开，开局太烂了", risk.None, risk.Low},
		{"no world with me", "好想润，润去一个没有我的世界", risk.Medium, risk.Imminent},
		{"npc delete", "我已经是个npc了，活着没存在感，不如删号", risk.Medium, risk.Imminent},
		{"not this round", "人生要是能重来就好了，这一局我真的不想要了", risk.Medium, risk.Imminent},
		{"like in a game", "如果我像游戏里一样噶了，会不会他们就不吵了", risk.Medium, risk.Imminent},
		{"draft book", "我在草稿纸上写的zs，就是那个意思", risk.Medium, risk.Imminent},
		{"quit game button", "退出游戏的按钮在哪里啊，找半天了", risk.None, risk.Low},
		{"first try", "人生第一次玩滑板，摔了三次就不想玩了", risk.None, risk.Low},
		{"essay redo", "这篇作文老师说要回炉重造", risk.None, risk.Low},
		{"power nap", "考完试想关机睡一整天", risk.None, risk.Low},
	})
}

// Death idioms (去见太奶, 卖咸鸭蛋, 领便当, 入土为安) wished; the same words
// as hyperbole about a lesson, a lucky rebirth, or feeding fish in a park.
func TestSlangDeathIdioms(t *testing.T) {
	checkRules(t, []rulesCase{
		{"great grandma", "每天晚上都好想去见太奶，白天又装没事", risk.Medium, risk.Imminent},
		{"salted eggs hant", "好想去賣鹹鴨蛋，真的", risk.Medium, risk.Imminent},
		{"lunchbox hant", "真想早點領便當，這齣戲我不想演了", risk.Medium, risk.Imminent},
		{"rest in earth", "好想入土为安，什么都不用管了", risk.Medium, risk.Imminent},
		{"feed fish sea", "想去江里喂鱼，不是去旅游那种", risk.Medium, risk.Imminent},
		{"reborn", "真想快点投胎，这一世太辛苦", risk.Medium, risk.Imminent},
		{"lesson hyperbole", "这节数学课听得我想去见太奶", risk.None, risk.Low},
		{"rich rebirth", "好想投胎到有钱人家，天天躺平", risk.None, risk.Low},
		{"feed goldfish", "周末想去公园喂鱼，顺便野餐", risk.None, risk.Low},
		{"actor extra", "那个配角第二集就领盒饭了，编剧好狠", risk.None, risk.Low},
		{"river fish", "桥上风好大，我想跳下去喂鱼", risk.Medium, risk.Imminent},
		{"pond fish", "放学去公园湖边喂鱼，带了一袋面包", risk.None, risk.Low},
	})
}

// Puns for dying (噶了, 四了, 鼠了, 瓜咗, 自s) need a cue: a plan, a time, a
// wish for oneself. Alone or about homework they are hyperbole.
func TestSlangPuns(t *testing.T) {
	checkRules(t, []rulesCase{
		{"plan si", "我已经想好怎么四了，等期末考完", risk.High, risk.Imminent},
		{"method shu", "鼠了的方法我查了好几个晚上", risk.High, risk.Imminent},
		{"painless zisha", "有没有不痛的紫砂啊，问问而已", risk.High, risk.Imminent},
		{"tonight zs", "今晚就自s，该准备的都准备了", risk.High, risk.Imminent},
		{"tonight shu bye", "今晚就鼠了，你们别找我", risk.High, risk.Imminent},
		{"wish ga", "真希望自己哪天就噶了算了", risk.Medium, risk.Imminent},
		{"if i si", "如果我四了，会有人记得我吗", risk.Medium, risk.Imminent},
		{"gwaa yue", "講真，我成日都話想瓜咗，唔係玩", risk.Medium, risk.Imminent},
		{"chem dead", "我的物理已经四了，没救了", risk.None, risk.Low},
		{"test hyper", "明天考试我要自s了哈哈哈", risk.None, risk.Low},
		{"teapot", "外公送了我一把紫砂壶，说要好好养", risk.None, risk.Low},
		{"teapot colour", "这件外套的颜色叫紫砂色", risk.None, risk.Low},
		{"clay museum", "研学去了宜兴，参观紫砂博物馆", risk.None, risk.Low},
		{"group name", "谁把群名改成紫砂群了，快改回来", risk.None, risk.Low},
		{"grandpa pot yue", "我話紫砂係講阿爺個茶壺咋", risk.None, risk.Low},
		{"toast", "周五又要考试，我先紫砂为敬", risk.None, risk.Low},
		{"said in jest yue", "默書又唔合格，想紫砂（講吓咋）", risk.None, risk.Low},
	})
}

// Candles and graves aimed at oneself are a wish; laid on one's desk by
// classmates they are bullying.
func TestSlangEmoji(t *testing.T) {
	checkRules(t, []rulesCase{
		{"candle self", "🕯️🕯️这几根是给我自己点的", risk.Medium, risk.Imminent},
		{"grave ending", "🪦就是我想要的结局", risk.Medium, risk.Imminent},
		{"grave me en", "🪦 me pls", risk.Medium, risk.Imminent},
		{"desk candles", "他们天天在我桌上摆🕯️，说提前送我走", risk.Medium, risk.Imminent},
		{"birthday candle", "生日蛋糕上插了十六根🕯️", risk.None, risk.Low},
	})
}

// Jumping metaphors and a leg out of the window.
func TestSlangJumping(t *testing.T) {
	checkRules(t, []rulesCase{
		{"take off roof", "好想从楼顶起飞，不是开心的那种起飞", risk.Medium, risk.Imminent},
		{"free fall", "想试试自由落体，不是物理题，是我自己", risk.Medium, risk.Imminent},
		{"leg out", "刚才坐在窗台上，一条腿已经伸出窗外了", risk.High, risk.Imminent},
		{"which floor", "从哪层起飞比较稳，我想知道", risk.High, risk.Imminent},
		{"plane", "明天早上的航班起飞，好激动", risk.None, risk.Low},
		{"physics", "物理作业全是自由落体的题", risk.None, risk.Low},
	})
}

// Self-harm slang: zc/自c, "barcode", "cat scratches", blades got for it, "sh".
func TestSlangSelfHarm(t *testing.T) {
	checkRules(t, []rulesCase{
		{"zc done", "昨晚又zc了，手臂贴满创可贴", risk.High, risk.Imminent},
		{"zc want", "好想自c，一直在忍", risk.Medium, risk.Imminent},
		{"barcode", "got a new barcode on my arm last night, long sleeves again", risk.High, risk.Imminent},
		{"cat", "told my teacher it was the cat. it wasnt the cat", risk.High, risk.Imminent},
		{"blades", "picked up new blades after school for it, still in my bag", risk.High, risk.Imminent},
		{"sh urge", "the urge to sh is so loud today", risk.Medium, risk.Imminent},
		{"sh recovery", "3 months clean from sh and kinda proud", risk.Medium, risk.Imminent},
		{"barcode shop", "the barcode on the cereal box wont scan", risk.None, risk.Low},
		{"razor blades", "dad bought new blades for his razor", risk.None, risk.Low},
	})
}

// English slang: logging off for good, uninstalling oneself, rage quitting
// life, sui thoughts; the same words for a game night, a nap or a novel.
func TestSlangEnglish(t *testing.T) {
	checkRules(t, []rulesCase{
		{"log off good", "honestly thinking about logging off for good", risk.Medium, risk.Imminent},
		{"uninstall", "i just want to uninstall myself", risk.Medium, risk.Imminent},
		{"rage quit", "ready to rage quit life tbh", risk.Medium, risk.Imminent},
		{"respawn", "if i go i dont want to respawn", risk.Medium, risk.Imminent},
		{"sui", "been having sui thoughts since monday", risk.Medium, risk.Imminent},
		{"passive si", "the passive si is bad again", risk.Medium, risk.Imminent},
		{"ghost", "i kinda want to be a ghost. no one would notice", risk.Medium, risk.Imminent},
		{"plan", "self delete plan is ready, waiting for the weekend", risk.High, risk.Imminent},
		{"bye now", "logging off for good. love you guys, dont look for me", risk.High, risk.Imminent},
		{"game night", "logging off for the night gn guys", risk.None, risk.Low},
		{"nap", "gonna sleep forever this weekend lol", risk.None, risk.Low},
		{"novel", "the big sleep is a detective novel we read in english", risk.None, risk.Low},
		{"halloween", "i want to be a ghost for halloween, got the sheet", risk.None, risk.Low},
		{"what kms", "what does kms mean? saw it in a comment", risk.None, risk.Low},
		{"ctb meaning", "in our minecraft server ctb means click the button", risk.None, risk.Low},
		{"unalive object", "i want to unalive my alarm clock every morning", risk.None, risk.Low},
	})
}

// "kys" said to the writer is abuse from a parent and bullying from peers;
// "unalive" said of someone else is a wish to hurt them.
func TestSlangKysToldAndOthers(t *testing.T) {
	checkRules(t, []rulesCase{
		{"dad kys", "every time i fail a test my dad says i should kys", risk.Medium, risk.Imminent},
		{"peers kys", "the boys in my class keep telling me to kys", risk.Medium, risk.Imminent},
		{"unalive him", "i swear i want to unalive him, he shoved me again", risk.Medium, risk.Imminent},
	})
}
