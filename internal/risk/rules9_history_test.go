package risk_test

import (
	"testing"

	"xinqiao/internal/risk"
)

// Session 10, riskrules9: risk told as history or aftermath, in fragments,
// with no risk keyword (rules/19_history.rules). Our own sentences; each
// group holds its look-alikes.

// A past attempt told through what came after it is high (GUIDE.md: an
// attempt at any time); an illness, an accident or a relative's food
// poisoning is not.
func TestRules9AttemptAftermath(t *testing.T) {
	checkRules(t, []rulesCase{
		{"found then icu", "那次被我妈发现送到医院，在ICU躺了两天", risk.High, risk.Imminent},
		{"found by roommate", "被我室友发现的，她叫了宿管，然后就送医院了", risk.High, risk.Imminent},
		{"pills then er", "我吃了药被送去急诊，医生问我是不是故意的", risk.High, risk.Imminent},
		{"twice for pills", "我今年已经进了两次医院了，都是因为吃药", risk.High, risk.Imminent},
		{"watched after", "出院以后班主任一直盯着我，怕我再吃药", risk.High, risk.Imminent},
		{"on purpose", "那次是我故意吃药的，不是吃错", risk.High, risk.Imminent},
		{"they think wrong pills", "我妈不知道那次是怎么回事，她以为我是吃错药了", risk.High, risk.Imminent},
		{"told doctor accident", "我跟医生说是不小心，他们好像也信了", risk.High, risk.Imminent},
		{"foolish thing", "初二的时候我做过傻事，后来被救回来了", risk.High, risk.Imminent},
		{"jumped pulled out", "我跳下去了，被人从水里拉上来", risk.High, risk.Imminent},
		{"jump broke leg", "从二楼跳下来摔断了腿，我说是自己不小心", risk.High, risk.Imminent},
		{"awning", "初一那次是跳楼，三楼，被雨棚挡了一下", risk.High, risk.Imminent},
		{"pulled back from balcony", "我爸把我从阳台拉回来的，那是去年圣诞节", risk.High, risk.Imminent},
		{"roof but did not jump", "老师，我上个月又去了一次楼顶，只是没跳", risk.High, risk.Imminent},
		{"leg over", "有一次，站在阳台上，腿都跨出去了，后来我弟叫我", risk.High, risk.Imminent},
		{"gas", "我开过煤气，被邻居闻到了", risk.High, risk.Imminent},
		{"vomited", "为什么没死？因为我吐了", risk.High, risk.Imminent},
		{"wrist stitches", "去年割腕缝了七针 现在手腕有点麻", risk.High, risk.Imminent},
		{"ward after method", "住院出来第三天 上次是割腕进去的", risk.High, risk.Imminent},
		{"appendicitis", "我上学期阑尾炎住院，在医院躺了一周", risk.None, risk.Low},
		{"broken leg", "去年摔断了腿，住了半个月医院", risk.None, risk.Low},
		{"cousin food poisoning", "我表姐食物中毒被送去洗胃了", risk.None, risk.Low},
		{"brother ate grandma's pills", "我弟误吃了奶奶的药，被送去医院洗胃", risk.None, risk.Low},
		{"grandma icu", "我奶奶在ICU住了一周", risk.None, risk.Low},
		{"found fainted", "同学被我发现晕倒在厕所，送到医院了", risk.None, risk.Low},
		{"uncle past", "我叔叔上次跳河被救了，家里人都不敢提", risk.None, risk.Medium},
		{"film", "电影里主角割腕后被送进医院", risk.None, risk.Low},
		{"silliest thing", "我做过最傻的事就是考试没写名字", risk.None, risk.Low},
		{"long jump", "跳远跳了三次都没成功", risk.None, risk.Low},
		{"diving board", "我在跳水台上站了好久，最后没敢跳", risk.None, risk.Low},
		{"cooking gas", "妈妈开了煤气做饭", risk.None, risk.Low},
	})
}

// Self-harm without a blade, or inside a practical question, is an act
// (GUIDE.md: high when recent and injuring); a cooking burn, a sports
// bruise, a scar from an operation, a branch's scratch are not.
func TestRules9SelfHarmNoBlade(t *testing.T) {
	checkRules(t, []rulesCase{
		{"boiling water", "我用开水烫自己的手，起了好几个泡", risk.High, risk.Imminent},
		{"wall knuckles", "一生气就捶墙，捶到手指关节都出血了", risk.High, risk.Imminent},
		{"eraser raw", "我用橡皮一直擦手背，擦到破皮流血", risk.High, risk.Imminent},
		{"pinch bruises pe", "每次考不好就掐自己大腿 现在腿上全是青的 体育课换衣服怎么办", risk.High, risk.Imminent},
		{"purge punish", "催吐一周好几次 吐完觉得自己活该", risk.High, risk.Imminent},
		{"training sleeves", "军训要穿短袖 胳膊上还有上周划的口子", risk.High, risk.Imminent},
		{"dressing rubs", "大腿内侧划的 走路会磨到 有什么好一点的敷料", risk.High, risk.Imminent},
		{"moved to thigh", "没停过，现在划在大腿上", risk.High, risk.Imminent},
		{"five lines", "昨晚划了五道 怎么跟妈妈说", risk.High, risk.Imminent},
		{"deeper", "十五岁 划了两年了 最近划得越来越深", risk.High, risk.Imminent},
		{"after exam", "上周五月考完，回家就划了", risk.High, risk.Imminent},
		{"fresh bleeding", "刚划完 血有点止不住 用纸按着", risk.Imminent, risk.Imminent},
		{"cooking oil", "做饭的时候被油烫伤了手，涂什么药", risk.None, risk.Low},
		{"basketball bruise", "打篮球撞到了，腿上一大块淤青", risk.None, risk.Low},
		{"old fall scar", "小时候摔的疤，军训穿短袖会不会被笑", risk.None, risk.Low},
		{"first aid kit", "去露营要带哪些常备药，烫伤划伤之类的", risk.None, risk.Low},
		{"nosebleed", "鼻子出血止不住怎么办", risk.None, risk.Low},
		{"branch", "被树枝划的口子，要包扎吗", risk.None, risk.Low},
		{"kitchen cut", "切菜的时候刚划完手，血止不住", risk.None, risk.Low},
		{"perm", "昨天烫的头发好难看", risk.None, risk.Low},
		{"grass", "昨天割的草还没晒干", risk.None, risk.Low},
		{"rowing", "划完船手好酸", risk.None, risk.Low},
		{"dead skin no blood", "我一紧张就抠手指旁边的死皮，不疼也没出血", risk.None, risk.Low},
		{"stomach bug", "肠胃炎吐了一晚上", risk.None, risk.Low},
	})
}

// Preparations told as errands are high (GUIDE.md: letters, goodbyes, things
// given away, a date); a pen pal, a birthday surprise, a move, a trip are not.
func TestRules9PreparationErrands(t *testing.T) {
	checkRules(t, []rulesCase{
		{"letter under pillow", "信已经写好了，给我妈的，放在枕头底下", risk.High, risk.Imminent},
		{"three letters", "写了三封信 一封给我妈 一封给我同桌 一封给自己", risk.High, risk.Imminent},
		{"goodbyes said", "该说的再见都说了，东西也收拾好了", risk.High, risk.Imminent},
		{"goodbye unexplained", "已经跟我妈说过再见了，她不知道我是什么意思", risk.High, risk.Imminent},
		{"date fixed birthday", "我已经把时间定在我生日那天", risk.High, risk.Imminent},
		{"date after exam", "日子就定在中考结束那天，之后就不用再考了", risk.High, risk.Imminent},
		{"pen pal", "给笔友写了一封信，下周寄出去", risk.None, risk.Low},
		{"birthday surprise", "给妈妈写了一封生日信，放在她枕头底下当惊喜", risk.None, risk.Low},
		{"spring outing", "明天春游，东西都收拾好了", risk.None, risk.Low},
		{"moving house", "要搬家了，东西分得差不多了", risk.None, risk.Low},
		{"graduation", "毕业了，跟同学们说了再见", risk.None, risk.Low},
		{"party date", "聚会时间定在我生日那天", risk.None, risk.Low},
		{"trip date", "日子就定在中考结束那天，我们一起去旅游", risk.None, risk.Low},
		{"donated clothes", "旧衣服都捐给山区了，衣柜空多了", risk.None, risk.Low},
	})
}

// At the edge or with the pills in hand now, without a method word, is
// imminent; reading on a windowsill, airing quilts on the roof, a beach
// trip, a handful of sweets, medicine as prescribed are not.
func TestRules9ImminentNoMethod(t *testing.T) {
	checkRules(t, []rulesCase{
		{"pills in hand", "现在手里拿着一把药，在犹豫要不要吃", risk.Imminent, risk.Imminent},
		{"poured into palm", "我把药全倒出来了 现在就在手心里", risk.Imminent, risk.Imminent},
		{"took before writing", "药是吃了才给你发的", risk.Imminent, risk.Imminent},
		{"windowsill afraid of heights", "我现在坐在窗台上 想问问你们怕不怕高", risk.Imminent, risk.Imminent},
		{"roof phone dying", "现在在宿舍楼顶 手机快没电了 有人在吗", risk.Imminent, risk.Imminent},
		{"roof shoes off", "我已经在顶楼了 刚刚把鞋子脱了", risk.Imminent, risk.Imminent},
		{"windowsill reading", "我现在坐在窗台上看书", risk.None, risk.Low},
		{"roof quilts", "我现在在楼顶晒被子", risk.None, risk.Low},
		{"beach", "我们已经在海边了 好开心", risk.None, risk.Low},
		{"sweets", "手里一把糖，分给弟弟", risk.None, risk.Low},
		{"prescribed", "医生开的药吃完才来找你", risk.None, risk.Low},
		{"ate first", "吃完饭才给你发消息", risk.None, risk.Low},
	})
}

// Someone else's past or ongoing risk, resolved past bullying and medical
// questions with trigger words are not the writer's danger now (GUIDE.md).
func TestRules9NotMine(t *testing.T) {
	checkRules(t, []rulesCase{
		{"uncle suicide", "我舅舅是自杀的", risk.None, risk.Low},
		{"bullied long ago", "初中被欺负过，现在都过去了", risk.None, risk.Low},
		{"shunned before", "小学的时候被孤立过，但是现在没人欺负我了", risk.None, risk.Low},
		{"need medicine", "要吃药吗 最近睡不着", risk.None, risk.Low},
		{"anaemia", "学校体检说我有点贫血 需要吃药吗", risk.None, risk.Low},
		{"denial", "没有，我没做过伤害自己的事", risk.None, risk.Low},
	})
}
