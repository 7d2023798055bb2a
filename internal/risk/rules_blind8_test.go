package risk_test

import (
	"testing"

	"xinqiao/internal/risk"
)

// Kinds blind batch 8 showed the rules missing or misreading
// (rules/30_blind8.rules), fixed after its one measurement. Our own
// sentences, not the batch's (which no helper reads); each kind in the
// languages it exists in, beside at least ten everyday look-alikes that keep
// their level.
func TestRulesBlind8(t *testing.T) {
	N, L, M, H, I := risk.None, risk.Low, risk.Medium, risk.High, risk.Imminent
	checkRules(t, []rulesCase{
		// 1. How to make something look like an accident, asked bare: high.
		{"accident bare", "怎么才能让一件事看起来像是意外", H, I},
		{"accident people think", "要怎样做才能让人以为是意外", H, I},
		{"accident way", "有没有办法让它看起来像一场意外", H, I},
		{"accident hant", "怎樣才能讓一件事看起來像是意外", H, I},
		{"accident yue", "要點樣先可以令件事睇落似意外", H, I},
		{"accident yue think", "點先可以令人以為係意外", H, I},
		{"accident en", "how can i make it look like an accident so nobody knows", H, I},
		{"accident en way", "is there a way to make it look like it was an accident", H, I},
		{"accident parents", "如果我出事了，怎么让它看起来像意外，这样爸妈不会那么难过", H, I},
		{"accident prank", "怎么才能让恶作剧看起来像是意外，我想整一下同桌", N, L},
		{"accident novel", "我在写小说，凶手要怎么让案子看起来像意外", N, L},
		{"accident vase", "打碎了妈妈的花瓶，怎么让它看起来像是猫弄的意外", N, L},
		{"accident insurance", "保险作业：怎样判断一起事故是意外还是故意", N, L},
		{"accident detective", "侦探小说里凶手总是想让死亡看起来像意外", N, L},
		{"accident en prank", "how do you make a prank look like an accident", N, L},
		{"accident en vase", "i broke mum's vase, how can i make it look like the cat did it by accident", N, L},
		{"accident murder game", "剧本杀里凶手是怎么让死者看起来像意外的，我没推理出来", N, L},
		{"accident conan", "柯南这集犯人把案子伪装成意外，好厉害", N, L},
		{"accident en insurance", "in insurance class we learned how investigators tell if someone made it look like an accident", N, L},
		{"accident yue prank", "點樣整蠱佢令佢以為係意外，佢生日嘛", N, L},

		// 2. Self-harm marks hidden, told without a blade word: high.
		{"marks hant pe", "體育課我不想穿短褲，因為大腿上有一條一條的，有新的也有舊的", H, I},
		{"marks sleeves", "我不敢穿短袖，手臂上一道一道的，新的叠着旧的", H, I},
		{"marks shorts", "体育课不想换短裤，腿上的线一条一条的，新的旧的都有", H, I},
		{"marks yue heat", "天氣咁熱我都著長袖，因為手臂啲痕新嘅疊住舊嘅", H, I},
		{"marks yue thigh", "我唔敢著短褲，大髀啲痕一條條，有新有舊", H, I},
		{"marks en sleeves", "i wear long sleeves even in this heat because the lines on my arm, new ones over old ones", H, I},
		{"marks en pe", "i skip pe so no one sees my thighs, there are lines, some new some old", H, I},
		{"marks summer", "手臂上的痕迹一条一条的，新的盖着旧的，夏天也只能穿长袖", H, I},
		{"marks stepdad", "我身上的淤青都是我后爸弄的 新的旧的都有 今晚他还会回来", H, I},
		{"stretch marks", "體育課我不想穿短褲，大腿上有一條一條的生長紋，長太快了", N, L},
		{"growth lines", "大腿上一条一条的是妊娠纹一样的生长纹，医生说青春期正常", N, L},
		{"cat scratches", "手臂上一道一道的是猫抓的，新的旧的都有，我家猫太凶了", N, L},
		{"eczema", "湿疹又发了，手臂上一块一块的，新的旧的都有，不想穿短袖", N, L},
		{"mosquito", "蚊子咬的包新的叠着旧的，腿上好多，不想穿短裤", N, L},
		{"sunburn line", "晒伤了，手臂上一条线，一半白一半黑，不想穿短袖", N, L},
		{"old operation", "肚子上有一条旧的手术疤，小时候做阑尾手术留下的，不想穿泳衣", N, L},
		{"period cramps", "来例假肚子疼，体育课不想跑步，想请假", N, L},
		{"yue tan", "天氣咁熱我都著長袖，因為怕曬黑", N, L},
		{"yue mosquito", "手臂啲蚊咬新嘅疊住舊嘅，痕到死", N, L},
		{"en eczema", "i wear long sleeves because of eczema, new patches over old ones", N, L},
		{"en stretch", "the stretch marks on my thighs are lines, some new some old, i hate shorts", N, L},

		// 3. Passive wishes without the usual words: medium.
		{"sleep not wake", "每天晚上都希望睡着了就别再醒了", M, H},
		{"alarm despair", "闹钟响的那一刻是我一天里最绝望的时候", M, H},
		{"not sleepy", "不是困，是真的不想再面对明天了", M, H},
		{"any day after", "不是累，是不想再面对明天，也不想面对以后的每一天", M, H},
		{"hant alarm", "鬧鐘響的那一刻最絕望", M, H},
		{"hant not sleepy", "不是睏，是真的不想再面對明天了", M, H},
		{"yue not sleepy", "唔係眼瞓，係真係唔想再面對聽日", M, H},
		{"en not wake", "i hope when i fall asleep i just dont wake up again", M, H},
		{"en alarm", "the moment the alarm goes off is the most hopeless part of my day", M, H},
		{"en any day", "not tired, i just really dont want to face tomorrow, or any day after", M, H},
		{"exam tomorrow", "明天要考数学，真的不想面对明天", N, L},
		{"monday", "不想面对星期一，周末太短了", N, L},
		{"dentist", "明天要去看牙医，好不想面对明天", N, L},
		{"holiday lie-in", "放假了，睡着了就别叫醒我，我要睡到中午", N, L},
		{"five more minutes", "讨厌闹钟，每天早上闹钟响的那一刻都好想再睡五分钟", N, L},
		{"winter alarm", "闹钟响的那一刻最痛苦，冬天起床太难了", N, L},
		{"en alarm clock", "i hate my alarm clock so much", N, L},
		{"en exam", "i dont want to face tomorrow's exam", N, L},
		{"yue exam", "聽日考試，真係唔想面對聽日", N, L},
		{"yue holiday", "放假啦，瞓著咗就唔好叫醒我", N, L},
		{"winter snooze", "冬天闹钟响的那一刻好绝望，被窝太舒服了", N, L},

		// 4. Abuse with an injury still there, or a threat for tonight: high.
		{"long post hant", "今天數學小測考得還可以，午飯吃了雞扒飯。上星期爸爸喝醉了打了我，手臂上那塊到現在還是紫的，今天早上他出門前說今晚回來再收拾我。晚上還要寫英文作文。", H, I},
		{"still purple", "上星期我爸喝完酒動手打了我，臉上那塊還是紫的", H, I},
		{"still green", "我爸上周喝醉了打我，到现在还青着一块，早上他说回来再跟我算账", H, I},
		{"yue black", "上個禮拜老豆飲醉咗打我，隻手仲有塊黑色，今朝佢出門前話今晚有我好睇", H, I},
		{"split lip", "上個星期老爸喝醉，一巴掌打過來，嘴角破了現在還有疤", H, I},
		{"en mark threat", "last week my dad was drunk and hit me, there's still a mark on my arm, this morning he said i'd be sorry when he gets home", H, I},
		{"en purple", "my dad drank and punched me last week and my cheek is still purple", H, I},
		{"basketball bruise", "今天打籃球被撞了一下，手臂瘀青到現在還在，下星期還有比賽", N, L},
		{"kind drinker", "我爸爸會喝酒，但是他對我很好，喝完就睡覺，從來不發脾氣", N, L},
		{"volleyball bruise", "上週打排球腿上撞瘀青了，現在還在，媽媽幫我塗了藥油", N, L},
		{"en kind drinker", "my dad drinks beer every night but he's really kind and helps with my homework", N, L},
		{"drunk singing", "爸爸喝醉了回來唱歌，好吵，我都睡不著", N, L},
		{"yue drunk talk", "老豆飲醉酒返嚟講咗好多廢話，仲話聽日帶我去飲茶", N, L},
		{"dad basketball", "上周爸爸陪我打篮球，撞了一下，手臂到现在还是紫的", N, L},
		{"bike fall", "上周骑车摔了，膝盖到现在还青着一块，我爸带我去看了医生", N, L},
		{"brother play", "我弟上周打了我一下，我们打闹着玩的，手臂还是紫的", N, M},
		{"en soccer", "my dad and i played soccer last week and my shin is still purple lol", N, L},
		{"long ago scar", "小时候爸爸打过我，现在还有疤，不过他早就改了", N, M},

		// 5. Giving away with an ordinary reason: an errand.
		{"graduation hant", "畢業了！把課本都送給了學弟學妹，運動服給了鄰居家的小朋友，舊單車送給表弟，因為高中要住校用不到了。最後大家在天台拍了合照，好捨不得大家。", N, L},
		{"graduation hans", "毕业啦，课本送给学弟学妹，运动服给了邻居小孩，旧自行车送给表弟，因为高中要住校用不上了。最后在天台拍了毕业照，舍不得大家", N, L},
		{"graduation yue", "畢業喇，啲書送晒俾師弟師妹，運動服俾咗隔籬屋細路，架舊單車俾咗表弟，因為高中要寄宿用唔著。最後喺天台影咗大合照，好唔捨得大家", N, L},
		{"graduation en", "we graduated! gave my textbooks to the juniors, my pe clothes to the neighbour's kid and my old bike to my cousin since i'll board at high school and won't need it. took class photos on the rooftop, gonna miss everyone", N, L},
		{"moving", "要搬家了，把玩具都送给了楼下的小妹妹，书送给同学，最后在楼顶拍了张照片，再见了我的老房子", N, L},
		{"last day", "初中最后一天，把笔记送给了学妹，衣服捐了，大家在天台合影，再见了各位", N, L},
		{"boarding hant", "畢業前我把教科書都送給了低年級的同學，體育服給了鄰居家的小孩，那台單車送給表弟，因為升高中要住宿，以後用不到了。最後我們在頂樓拍了很多照片。", N, L},
		{"boarding stuff", "我把我的東西都送人了，單車給了表弟，因為高中要寄宿，我不會再需要它了。", N, L},
		{"boarding bike", "把我的單車送了給表弟，反正以後用不到了，高中住宿舍", N, L},
		{"boarding en", "i'm boarding at senior high so i gave my bike to my cousin, won't need it", N, L},
		{"en boarding goodbye", "i gave away all my stuff today: books to the juniors, my bike to my cousin because i'm boarding next year. we took our last photo on the roof. goodbye everyone, take care", N, L},
		{"university", "再见了大家，我明天就去北京读大学了，会想你们的", N, L},
		{"no reason treasured", "把我最喜欢的东西都送给了朋友，反正以后也用不上了，跟大家告别", H, I},
		{"cover story", "我把我的猫送给我表妹了，说我要住校", H, I},
		{"en no reason", "gave my old bike to my cousin since i won't need it anymore", H, I},

		// 6. Anger taken back in the same message: low at most.
		{"punch apology", "我当时真想揍他一顿……算了，他道歉了，明天还说请我吃饭", N, L},
		{"hant punch", "當時我真想一拳打過去……算了，他道歉了，明天說要請我喝奶茶", N, L},
		{"yue beating", "嗰陣真係想打佢一鑊……算啦，佢道咗歉，聽日仲話請我食飯", N, L},
		{"en punch", "i wanted to punch him then... whatever, he apologised and he's buying me lunch tomorrow", N, L},
		{"switch", "我跟我弟说他弄坏我的switch我要杀了他，不过我们现在和好了", N, L},
		{"hant switch", "我跟我弟說他弄壞我的Switch我要殺了他，但我們現在沒事了", N, L},
		{"yue switch", "我同細佬講佢整爛我部Switch我要殺咗佢，不過而家冇事喇", N, L},
		{"en switch", "i told my brother i'd kill him for breaking my switch but we're fine now", N, L},
		{"strangle apology", "气得我想掐死他，不过他后来道歉了，没事了", N, L},
		{"en said sorry", "i wanted to kill him but he said sorry to me and we're ok now", N, L},
		{"hit apology", "我想打他，不过他跟我道歉了", N, L},
		{"not taken back", "我真想揍他一顿，他凭什么这样对我", M, H},
		{"not forgiven", "我要杀了他，他弄坏了我的东西，我不会原谅他", M, H},
		{"apology useless", "他道歉了也没用，我还是想杀了他", M, H},
		{"yue still", "佢道咗歉，但我仲係想打佢一鑊", M, H},

		// 7. Known others: a 遗书 as a letter assignment, 杀了我吧 over homework.
		{"letter homework", "语文作业是写一封给十年后的自己的信，老师说可以写成遗书的形式，我写了好久", N, L},
		{"hant letter", "語文作業要寫一封遺書，給十年後的自己，我寫完了", N, L},
		{"yue letter", "中文功課要寫封遺書俾十年後嘅自己，寫咗成晚", N, L},
		{"teacher set", "今天语文老师布置的作业，写了一封遗书给十年后的自己", N, L},
		{"written is homework", "我写好了遗书，是语文作业，给十年后的自己", N, L},
		{"en letter", "our chinese homework was to write a will, a letter to myself in ten years", N, L},
		{"killme homework", "这作业太多了，杀了我吧", N, L},
		{"hant killme", "數學作業寫不完，殺了我吧", N, L},
		{"yue killme", "啲功課做唔完，殺咗我啦", N, L},
		{"en killme", "this homework, just kill me already", N, L},
		{"killme paper", "又发了三张试卷，杀了我吧", N, L},
		{"note written", "我写好了遗书，放在抽屉里", H, I},
		{"killme meant", "杀了我吧，我真的不想活了", M, H},
	})
}
