package risk_test

import (
	"testing"

	"xinqiao/internal/risk"
)

// TestRulesLead16: session 16's pass (rules/40_lead16.rules): an early end
// wished for with nothing named that ends, told with or without a laugh; an
// end with a time after which nobody will be bothered; at a height or by
// deep water now with a bye; marks passed off to the family as a cat's with
// the cat then denied; a deadline in English "for real" or "for good"; each
// beside its everyday look-alikes. Our own sentences.
func TestRulesLead16(t *testing.T) {
	N, L, M, H, I := risk.None, risk.Low, risk.Medium, risk.High, risk.Imminent
	checkRules(t, []rulesCase{
		{"end early laugh", "其实早点结束也挺好的 哈哈哈", M, I},
		{"end early plain", "有时候觉得 早些结束也不错", M, I},
		{"end early gave up", "活着好没意思 早点结束算了", M, I},
		{"exam ends", "期末考试早点结束也挺好的 哈哈", N, L},
		{"term ends", "这学期早点结束也挺好，想放假", N, L},
		{"meeting ends", "班会早点结束也好 可以去打球", N, L},
		{"cold ends", "感冒早点结束也挺好的 鼻子好难受", N, L},
		{"not end early", "不早点结束也挺好的", N, L},
		{"nobody tomorrow", "过了明天就不会有人再烦我了", H, I},
		{"nobody tonight", "今晚之后再也没人烦我了", H, I},
		{"nobody yue", "听朝之后就冇人会再烦我", H, I},
		{"nobody blocked", "我把他们都拉黑了，明天开始就没人会再烦我了", N, L},
		{"nobody dorm", "下周开始住校，就不会有人再烦我了", N, L},
		{"nobody trip", "明天爸妈去旅游，就没人会再烦我了哈哈", N, L},
		{"nobody exam", "考完试就不会有人再烦我了", N, L},
		{"deal friday", "after friday nobody has to deal with me anymore", H, I},
		{"deal tomorrow", "tomorrow no one will have to put up with me", H, I},
		{"deal moving", "after friday nobody has to deal with me, im moving to my aunts", N, L},
		{"deal no time", "nobody has to worry about me, im fine", N, L},
		{"roof bye", "我已经到天台了 拜拜", I, I},
		{"river bye yue", "我喺河边 拜拜", I, I},
		{"beach bbq bye", "在海边烧烤呢 拜拜", N, L},
		{"roof photo bye", "我到天台了 拍完照就下来 拜拜", N, L},
		{"beach see you", "我在海边了 拜拜 明天见", N, L},
		{"cat denied", "我一直跟我妈说是猫抓的，其实家里根本没养猫", H, I},
		{"cat denied yue", "成日同阿妈讲系猫抓，其实屋企冇猫", H, I},
		{"friend cat", "她用被子盖住，说是被猫抓的，但我们宿舍根本没有猫，我好担心她", N, L},
		{"deadline for real", "if nothing changes by june im done for real", H, I},
		{"deadline term", "if my marks dont go up by the end of term im done with everything for good", H, I},
		{"deadline diet", "if nothing changes by my birthday im done with this diet for real", N, L},
	})
}

// TestRulesLead16Third: the third part, kinds several writers missed alike:
// when the family sleeps as a time, not a subject; the end with a weekday;
// left alone for days with instant noodles; a parent's habitual insult;
// traces with no room left; a pet that died joined; asking that tomorrow not
// come. Our own sentences.
func TestRulesLead16Third(t *testing.T) {
	N, L, M, H, I := risk.None, risk.Low, risk.Medium, risk.High, risk.Imminent
	checkRules(t, []rulesCase{
		{"when they sleep", "今晚等他们都睡了就结束这一切，东西都准备好了", H, I},
		{"friday", "过了礼拜五 就没有人需要再忍受我了", H, I},
		{"friday yue", "星期五之后就冇人需要再烦我喇", H, I},
		{"friday trip", "星期五之后去夏令营 就没人需要再烦我了", N, L},
		{"after exam en", "after my last exam on friday nobody will have to worry about me", H, I},
		{"noodles", "我妈去外地一个星期了，只留了一箱泡面给我", M, H},
		{"noodles yue", "阿爸出咗去几日，净系留低几包公仔面", M, H},
		{"noodles grandma", "爸妈出差一个星期，留了泡面，不过奶奶做饭给我吃", N, L},
		{"noodles chosen", "爸妈出差三天 我天天吃泡面 好爽", N, L},
		{"insult habit", "我爸从小到大都说我是废物", M, H},
		{"insult habit yue", "阿妈成日话生我出嚟冇用", M, H},
		{"insult habit en", "my mum calls me worthless every day", M, H},
		{"insult once", "我妈今天骂我废物，因为我把碗打碎了", N, M},
		{"no room", "手臂上已经没地方了", H, I},
		{"no room laugh", "腿上已经没地方了 哈哈", H, I},
		{"no room tattoo", "手臂上已经没地方纹身了", N, L},
		{"pet joined", "我养了八年的猫昨天走了，好想跟它一起走", M, I},
		{"pet walk", "好想跟它一起走 去公园遛弯", N, L},
		{"tomorrow ask", "明天可不可以不要来", M, H},
		{"tomorrow task", "明天可不可以不要来 报告还没写完", N, L},
		{"online secret", "网上认识的哥哥说要给我买皮肤，叫我千万不要告诉家里", M, H},
		{"tall no grille", "我家在三十楼 阳台没有装防盗网", H, I},
	})
}

// TestRulesLead16ESL: the fourth part, English as a second language: the
// English rules' kinds in a learner's grammar, each beside its everyday
// look-alikes in the same grammar. Our own sentences.
func TestRulesLead16ESL(t *testing.T) {
	N, L, M, H, I := risk.None, risk.Low, risk.Medium, risk.High, risk.Imminent
	checkRules(t, []rulesCase{
		{"method", "how many pill can die, i want know", H, I},
		{"no pain", "teacher how to die no pain", H, I},
		{"method story", "in the story how to die no pain, for my essay", N, L},
		{"not live", "i dont want live anymore, everyday same", M, I},
		{"not wake", "i wish i sleep and dont wake up", M, I},
		{"not live joke", "dont want live this homework lol", N, L},
		{"save pills", "i save my pills for 2 weeks now", H, I},
		{"keep pills", "i keep my medicine in my drawer", N, L},
		{"roof bye", "im at the rooftop now bye", I, I},
		{"roof photo", "at the rooftop now for photo with class, bye", N, L},
		{"last message", "this is my last message, goodbye everyone", I, I},
		{"jump serious", "if i fail again i will jump. i mean it", H, I},
		{"jump building", "i will jump from building tonight", H, I},
		{"jump quoted", "mum say if you fail again i jump from building, she dont mean it", N, L},
		{"jump trampoline", "i will jump so high on the trampoline, not joking", N, L},
		{"mum habit", "my mum always say she dont want me", M, H},
	})
}

// TestRulesLead16ESLChildren: younger learners of English, the same kinds in
// a child's grammar, each beside its everyday look-alikes. Our own sentences.
func TestRulesLead16ESLChildren(t *testing.T) {
	N, L, M, H, I := risk.None, risk.Low, risk.Medium, risk.High, risk.Imminent
	checkRules(t, []rulesCase{
		{"scratch", "i scratch my leg until blood yesterday", H, I},
		{"scratch itch", "mosquito bite so itchy i scratch until blood", N, L},
		{"give away", "i give my lego to my cousin becos i will not need", H, I},
		{"give outgrown", "i give my old toys to my cousin becos i dont need anymore, too old for me", N, L},
		{"heaven", "i want go to heaven to see grandpa, i miss him", M, I},
		{"star", "i want to be a star in the sky so nobody shout at me", M, I},
		{"pop star", "i want to be a pop star, a star in the sky of music", N, L},
		{"tried jump", "last year i try to jump from the window but mummy pull me back", H, I},
		{"long jump", "i try to jump far in long jump at sports day", N, L},
		{"choke", "daddy squeeze my neck when he angry, no mark", H, I},
		{"choke judo", "in judo class he hold my neck and squeeze my neck, coach stop him", N, L},
		{"door now", "daddy kicking my room door now help", I, I},
		{"followed", "a man follow me from the station now", I, I},
		{"sleeve", "i wear long sleeve even so hot, not becos i cold", H, I},
		{"sleeve sun", "i wear long sleeve for sunburn, not because cold", N, L},
		{"swallowed", "i already swallow the pills, 15 of them", I, I},
		{"when gone", "when i am gone they will be sorry", M, I},
	})
}

// TestLastMessage: "this is my last message" alone is a goodbye now; the
// last message before sleep, or for today, is a sign-off.
func TestLastMessage(t *testing.T) {
	N, L, I := risk.None, risk.Low, risk.Imminent
	checkRules(t, []rulesCase{
		{"bare", "this is my last message.", I, I},
		{"tonight thanks", "this is my last message tonight, thank you for everything", I, I},
		{"sleep", "this is my last message tonight, going to sleep now bye", N, L},
		{"today", "my last message for today, see you tomorrow", N, L},
	})
}

// TestRulesBlind15: after blind batch 15's one measurement, words lists
// only: 下药 read where it is an act, not in 楼下药房; "maybe i should die"
// and a learner's ideation beside "tired of". Our own sentences.
func TestRulesBlind15(t *testing.T) {
	N, L, M, H, I := risk.None, risk.Low, risk.Medium, risk.High, risk.Imminent
	checkRules(t, []rulesCase{
		{"pharmacy", "我去楼下药房给外婆买降压药", N, L},
		{"pharmacy shop", "等下去楼下药店买创可贴", N, L},
		{"poison", "我真想在他饭里下药", M, H},
		{"poison kill", "好想给那个人下药毒死他", M, H},
		{"should die", "so tired of life, maybe i should die", M, I},
		{"not live tired", "i dont want live anymore, tired of everything", M, I},
		{"die of", "i want die of embarrassment lol", N, L},
	})
}

// TestRulesBlind15Sets: the sets added after blind batch 15 (the 31st model
// is trained with them): a novel studied for class, rain as a trivial
// condition, XD as a laugh; a habitual insult stays abuse beside a laugh.
// Our own sentences.
func TestRulesBlind15Sets(t *testing.T) {
	N, L, M, H := risk.None, risk.Low, risk.Medium, risk.High
	checkRules(t, []rulesCase{
		{"novel homework", "语文作业要写福贵为什么活着好难", N, L},
		{"novel method", "林黛玉是怎么死的？读后感要用", N, L},
		{"own life", "活着好难 每天都不想醒", M, H},
		{"rain", "要是周六还下雨我就不想活了，运动会又要推迟", N, L},
		{"xd", "我要死了XD 明天三科考试", N, L},
		{"insult xd", "我爸每次喝酒都说我是废物，从小听到大XD", M, H},
	})
}

// TestMethodAskedGeneric: a method asked in English with the generic "you",
// or bare, is a method sought (high); hiding cuts or marks asked bare is
// current self-harm. A game, a costume, a film or mosquito bites are not.
// Our own sentences.
func TestMethodAskedGeneric(t *testing.T) {
	N, L, H, I := risk.None, risk.Low, risk.High, risk.Imminent
	checkRules(t, []rulesCase{
		{"noose you", "how do you tie a noose", H, I},
		{"noose bare", "how to tie a noose properly", H, I},
		{"kill yourself", "how can you kill yourself without it hurting", H, I},
		{"overdose", "how do u overdose on paracetamol", H, I},
		{"hide cuts", "how do you hide cuts on your wrist from your mum", H, I},
		{"hide marks pe", "how do i cover my marks for PE tomorrow", H, I},
		{"game", "how do you kill yourself in minecraft to respawn", N, L},
		{"costume", "how do you tie a noose for my halloween costume", N, L},
		{"mosquito", "how do you hide mosquito bite marks on your legs", N, L},
	})
}
