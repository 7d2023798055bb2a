package risk_test

import (
	"testing"

	"xinqiao/internal/risk"
)

// Session 10, riskrules10 (22_yue_en_told.rules): risk told without the usual
// keywords in written Cantonese and English, and the everyday twins of each
// phenomenon. Sentences written for these tests.

// A past attempt told through its aftermath is high (waking in the ICU with
// nothing else said is medium, as zh.history.attempt.woke_hospital); a
// hospital stay of another kind, or a childhood mishap, is not.
func TestRules10AttemptAftermath(t *testing.T) {
	checkRules(t, []rulesCase{
		{"yue woke icu", "舊年十二月我喺ICU醒返，阿媽坐喺床邊冇出聲", risk.Medium, risk.Imminent},
		{"yue woke a&e", "我喺急症室醒返先知自己搞到咁大件事", risk.Medium, risk.Imminent},
		{"en woke icu", "the last thing i remember from march is waking up in the ICU with my aunt there", risk.Medium, risk.Imminent},
		{"en charcoal drink", "i can still taste the charcoal drink from that night in spring", risk.High, risk.Imminent},
		{"yue cover story", "屋企人到而家都以為我係食壞肚，其實我知自己做過咩", risk.High, risk.Imminent},
		{"yue not food poisoning", "上年入院唔係食物中毒，係我自己揀嘅", risk.High, risk.Imminent},
		{"yue failed", "我試過一次，唔成功，之後再冇同人講", risk.High, risk.Imminent},
		{"en cover story", "the 'fainting' at camp wasn't fainting. i never told my teacher the truth", risk.High, risk.Imminent},
		{"en didnt work", "the only reason it didn't work was my cousin coming back for her keys", risk.High, risk.Imminent},
		{"yue psych ward hidden", "我入咗葵涌醫院成個月，班入面冇人知", risk.High, risk.Imminent},
		{"yue firefighters", "嗰晚係消防員破門入嚟，我之後好耐都唔敢返屋企", risk.High, risk.Imminent},
		{"yue woke after surgery", "做完盲腸手術喺深切治療部醒返，好痛", risk.None, risk.Low},
		{"en woke after surgery", "woke up in the ICU after my heart surgery, the nurses were lovely", risk.None, risk.Low},
		{"yue childhood stomach", "我三歲嗰陣當藥係糖食咗要洗胃，我完全唔記得", risk.None, risk.Low},
		{"en childhood stomach", "when i was little i thought my gran's pills were sweets and they pumped my stomach", risk.None, risk.Low},
		{"yue fire", "大廈火警，消防員破門入嚟救咗阿婆", risk.None, risk.Low},
		{"en recipe", "i tried once already, the recipe just didn't work because i used salt", risk.None, risk.Low},
		{"yue exam failed", "我試過考兩次車牌都唔成功", risk.None, risk.Low},
	})
}

// Preparations written like errands, with a cue that they are for after, are
// high; a holiday, a move or a sale to buy something new are not.
func TestRules10PrepErrands(t *testing.T) {
	checkRules(t, []rulesCase{
		{"yue pet handed over", "我將隻倉鼠交咗俾表姐，佢唔知點解", risk.High, risk.Imminent},
		{"en pet handed over", "i gave my hamster to my neighbour today. she doesn't know why", risk.High, risk.Imminent},
		{"en sold things", "sold my camera and gave my brother the cash, i won't need it", risk.High, risk.Imminent},
		{"yue date tied", "日子定咗，放榜嗰日", risk.High, risk.Imminent},
		{"en date tied", "i've set the date. the morning after results come out", risk.High, risk.Imminent},
		{"yue who gets what", "我寫低咗邊個攞我啲模型，放咗喺抽屜", risk.High, risk.Imminent},
		{"en passwords", "i'm writing down all my passwords for my mum so she can close my accounts", risk.High, risk.Imminent},
		{"en letters", "my goodbye letters are in the shoebox under my bed", risk.High, risk.Imminent},
		{"pet holiday", "我將隻倉鼠交咗俾表姐照顧，因為我哋去旅行", risk.None, risk.Low},
		{"en pet holiday", "gave my hamster to my neighbour for the week, we're on holiday. she doesn't know why it squeaks so much", risk.None, risk.Low},
		{"sold to upgrade", "sold my camera to buy a new one, i won't need it anymore", risk.None, risk.Medium},
		{"wedding date", "日子定咗，家姐結婚擺酒", risk.None, risk.Low},
		{"party date", "we set the date for the class party", risk.None, risk.Low},
		{"forgetful passwords", "i wrote down all my passwords for my mum because i keep forgetting them", risk.None, risk.Low},
	})
}

// Self-harm told through hiding it, caring for the wound, a relapse, the wall
// or punishment is high; eczema, a sports scar, food made oneself are not.
func TestRules10SelfHarmTold(t *testing.T) {
	checkRules(t, []rulesCase{
		{"yue sleeves", "三十二度着冷衫，唔想俾同學見到啲疤", risk.High, risk.Imminent},
		{"en watch", "i wear a watch on my left wrist now so no one sees the marks", risk.High, risk.Imminent},
		{"en did it myself", "how do i look after a burn on my arm. i did it myself last night", risk.High, risk.Imminent},
		{"yue did it myself", "手臂個燙傷起咗水泡，係我自己整嘅", risk.High, risk.Imminent},
		{"yue relapse", "停咗成個月，琴晚又整咗", risk.High, risk.Imminent},
		{"en relapse", "i stopped for a month and then i did it again on friday", risk.High, risk.Imminent},
		{"yue wall", "一嬲就打牆，打到指骨爆皮", risk.High, risk.Imminent},
		{"yue scrape", "我用間尺刮手，刮到見血", risk.High, risk.Imminent},
		{"yue starve", "測驗唔合格我就罰自己唔食飯", risk.High, risk.Imminent},
		{"yue bleeding now", "我啱啱又整咗，毛巾紅晒", risk.Imminent, risk.Imminent},
		{"eczema sleeves", "i wear long sleeves so no one sees my arms, the eczema is bad this week", risk.None, risk.Low},
		{"football scars", "the scars on my knees are from football", risk.None, risk.Low},
		{"scooter burn", "got a burn on my leg from the scooter exhaust, it's healing", risk.None, risk.Low},
		{"homemade cake", "呢個蛋糕係我自己整嘅，好味", risk.None, risk.Low},
		{"gym relapse", "停咗三個禮拜健身，尋日又開始", risk.None, risk.Low},
		{"cafe hot oil", "喺茶餐廳幫手，啲滾油彈到成手臂細燙傷，唔係講笑", risk.None, risk.Low},
		{"phone scratched", "我部電話刮花咗，好嬲", risk.None, risk.Low},
	})
}

// Acting now without a method word is imminent; pills of a course of
// antibiotics and a meal before feeling sick are not.
func TestRules10ActingNow(t *testing.T) {
	checkRules(t, []rulesCase{
		{"yue pills before send", "啲藥就喺枕頭隔籬，打完呢句就食", risk.Imminent, risk.Imminent},
		{"en tablets send", "the tablets are lined up on my desk. i'll start after i press send", risk.Imminent, risk.Imminent},
		{"yue took dizzy", "我半個鐘前食咗，而家好暈", risk.Imminent, risk.Imminent},
		{"en took all", "i already took them. the room is spinning and i feel sick", risk.Imminent, risk.Imminent},
		{"yue at place sorry", "我已經喺嗰度，好靜，對唔住阿爸", risk.Imminent, risk.Imminent},
		{"en at place sorry", "i'm at the place now. it's quiet. sorry mum", risk.Imminent, risk.Imminent},
		{"antibiotics", "the antibiotics are on my desk, i'll take them after i finish this", risk.None, risk.Low},
		{"meal sick", "我半個鐘前食咗個漢堡，好想嘔", risk.None, risk.Low},
		{"fountain ledge", "sitting on the ledge by the fountain with my sandwich", risk.None, risk.Low},
		{"roof deck fireworks", "we're on the roof deck waiting for the fireworks", risk.None, risk.Low},
	})
}

// Bullying with no violence word is medium; injuries by a parent or by peers
// are high; a nickname among friends or a lonely day are not bullying.
func TestRules10BullyingAbuse(t *testing.T) {
	checkRules(t, []rulesCase{
		{"yue edited photo", "佢哋將我張相改成豬頭，喺班group傳晒", risk.Medium, risk.High},
		{"en fake account", "someone made an account called ugly_ming with my name and posts my photos", risk.Medium, risk.High},
		{"yue shunned", "全班約埋唔同我講嘢，已經兩個禮拜", risk.Medium, risk.High},
		{"yue choked", "阿爸琴晚箍住我條頸，我好驚，頸仲好痛", risk.High, risk.Imminent},
		{"yue cane bruise", "阿媽用藤條打我，大髀有幾條瘀", risk.High, risk.Imminent},
		{"en mug stitches", "my stepdad threw a plate at my head and i needed stitches", risk.High, risk.Imminent},
		{"yue neglect", "爸媽返咗大陸一個禮拜，屋企冇嘢食", risk.Medium, risk.High},
		{"lonely day", "今日又冇人同我講嘢，好悶", risk.None, risk.Low},
		{"broken beaker", "我喺實驗室打爛咗個燒杯", risk.None, risk.Low},
		{"doctor told me", "醫生叫我食抗生素要食足七日", risk.None, risk.Low},
		{"fridge empty errand", "雪櫃空晒，阿媽叫我去超市", risk.None, risk.Low},
	})
}

// Wishes to hurt others without "kill" are medium, a weapon kept for use is
// high; passive wishes are medium; a lyric, a runaway brain, a past paper
// are low at most.
func TestRules10WishesAndLookAlikes(t *testing.T) {
	checkRules(t, []rulesCase{
		{"yue scared walking", "我想佢放學自己行都驚", risk.Medium, risk.High},
		{"en burn school", "some days i want to burn down the school", risk.Medium, risk.High},
		{"yue knife use", "我將把刀收咗喺櫃桶，佢再搞我我就用", risk.High, risk.Imminent},
		{"en plane", "every flight i hope the plane crashes", risk.Medium, risk.High},
		{"en sick die", "i hope i get sick and die before exams", risk.Medium, risk.High},
		{"yue stop", "做人真係好攰，想停", risk.Medium, risk.High},
		{"yue not exist", "我唔想再存在", risk.Medium, risk.High},
		{"lyric fine", "this song says 'i don't want to wake up tomorrow' lol, i'm fine i just love the beat", risk.None, risk.Low},
		{"brain ran away", "溫書溫到個腦離家出走", risk.None, risk.Low},
		{"past paper", "再做多份past paper我就死", risk.None, risk.Low},
		{"car stop", "架車想停都搵唔到位", risk.None, risk.Low},
	})
}

// Second pass: abuse happening now, at the edge, means ready for an empty
// house, a threat for tomorrow; and their twins.
func TestRules10SecondPass(t *testing.T) {
	checkRules(t, []rulesCase{
		{"yue door now", "佢而家踢緊道門，我匿埋喺床底", risk.Imminent, risk.Imminent},
		{"en door now", "my stepdad is banging on my door and saying he'll kill me", risk.Imminent, risk.Imminent},
		{"en hiding drunk", "i'm hiding in the laundry room because my dad is drunk and looking for me", risk.High, risk.Imminent},
		{"yue edge now", "我而家坐喺十八樓個窗度，對腳吊喺出面", risk.Imminent, risk.Imminent},
		{"en talked down", "in june a guard talked me down from the roof of the car park", risk.High, risk.Imminent},
		{"en rope empty house", "the rope is in my cupboard. on sunday my parents are at church and i'll be alone", risk.High, risk.Imminent},
		{"yue threat tomorrow", "佢哋話聽日放學等我知道死字點寫", risk.High, risk.Imminent},
		{"brother door", "my brother is banging on my door because he wants the charger", risk.None, risk.Low},
		{"hide and seek", "我匿埋喺衣櫃同細妹玩捉迷藏", risk.None, risk.Low},
		{"pool legs", "sitting by the pool with my legs dangling in the water", risk.None, risk.Low},
		{"alone party", "my parents are away this weekend so i'll be alone, movie night with friends", risk.None, risk.Low},
		{"friend hides marks", "我見到同學手臂有傷痕，佢即刻用外套遮住", risk.None, risk.Medium},
		{"urge after a year", "戒咗成年，今日差點又破戒", risk.None, risk.Medium},
	})
}

// Third pass: the writer named inside the phrase, a past overdose told
// plainly, a threat for tomorrow in English; and their twins.
func TestRules10ThirdPass(t *testing.T) {
	checkRules(t, []rulesCase{
		{"yue talked down", "上年有個保安叔叔喺天台勸我落返嚟，到而家都冇人知", risk.High, risk.Imminent},
		{"yue nurse asked", "護士問我係咪食錯藥，我冇答", risk.High, risk.Imminent},
		{"yue medicine box", "中三嗰年我將成個藥箱啲藥食晒，之後自己打999", risk.High, risk.Imminent},
		{"en bleach", "the summer i was in hospital was because i drank bleach", risk.High, risk.Imminent},
		{"en threat tomorrow", "they told me if i show up tomorrow i'll be sorry", risk.High, risk.Imminent},
		{"en wall swollen", "my knuckles are swollen from punching the wall again", risk.High, risk.Imminent},
		{"guitar sold quietly", "我將結他賣咗，錢靜靜雞俾咗阿媽，以後都唔使用", risk.High, risk.Imminent},
		{"child sweets", "我四歲嗰陣將成個藥箱啲藥食晒，以為係糖", risk.None, risk.Low},
		{"bleach cleaning", "i cleaned the bathroom with bleach and the smell made me dizzy", risk.None, risk.Low},
		{"sorry tomorrow", "i'll be sorry tomorrow if i skip revision tonight", risk.None, risk.Low},
		{"wall hit by ball", "the ball hit the wall and bounced off", risk.None, risk.Low},
		{"guitar upgrade", "我將舊結他賣咗買新嘅", risk.None, risk.Low},
		{"hair hidden", "我焦慮就拔頭髮，頭頂有塊禿咗，我用髮夾遮住", risk.None, risk.Medium},
	})
}

// Fourth pass: goodbyes told as kindness with the others puzzled, tonight
// once everyone sleeps, locked in "properly this time", up high and alone
// now, leaving for good; and their twins.
func TestRules10GoodbyesNow(t *testing.T) {
	checkRules(t, []rulesCase{
		{"yue thanks puzzled", "我今日同每個朋友都講咗拜拜，佢哋以為我玩嘢", risk.High, risk.Imminent},
		{"en hugged wont be back", "i hugged everyone after choir and told them i love them. i won't be back after the holidays", risk.High, risk.Imminent},
		{"en best thing puzzled", "i told my uncle he was the best thing in my life. he asked why are you talking like that", risk.High, risk.Imminent},
		{"yue after bed", "今晚，等屋企人瞓晒。想有一個人知唔關佢哋事", risk.Imminent, risk.Imminent},
		{"en properly locked", "the door's locked and i'm going to do it properly this time", risk.Imminent, risk.Imminent},
		{"yue up high alone", "我喺窗台，好靜，冇人喺度", risk.Imminent, risk.Imminent},
		{"en leaving decided", "i'm going tonight and not coming back. made up my mind", risk.High, risk.Imminent},
		{"moving abroad hugs", "i hugged everyone and told them i love them, we're moving to canada so i won't be back", risk.None, risk.Low},
		{"gaming after bed", "今晚等屋企人瞓晒先打機，唔好話俾人知", risk.None, risk.Low},
		{"revise properly", "i locked my door so i can revise properly this time", risk.None, risk.Low},
		{"roof fireworks quiet", "我喺窗台睇煙花，好靜", risk.None, risk.Low},
	})
}

// Fifth pass: urges resisted stay medium (ice held instead, months clean and
// the urge back, old blades kept untouched), new blades unopened are high, a
// parent wishing the writer unborn is medium; and their twins.
func TestRules10UrgesResisted(t *testing.T) {
	checkRules(t, []rulesCase{
		{"en ice tonight", "the urge is really bad tonight so i'm holding ice instead", risk.Medium, risk.Medium},
		{"yue ice", "好想𠝹，揸住冰頂住先", risk.Medium, risk.Medium},
		{"yue months clean", "八個月冇傷害自己，但今晚好想", risk.Medium, risk.Medium},
		{"yue blades kept", "刀片仲喺我銀包度，呢個月冇掂過", risk.Medium, risk.Medium},
		{"yue blades new", "放學買咗刀片，仲未拆", risk.High, risk.Imminent},
		{"en unwanted", "my dad says he wishes he'd never had me", risk.Medium, risk.High},
		{"sprain ice", "holding ice on my sprained ankle, the urge to scratch the bite is bad", risk.None, risk.Low},
		{"friend clean", "我朋友話佢已經半年冇傷害自己，我好開心", risk.None, risk.Low},
		{"shaving blades", "買咗新剃鬚刀片，仲未拆", risk.None, risk.Low},
	})
}

// Sixth pass: a parent's punishment or threat with no hitting word is abuse,
// medium; praying, fasting or class rules are not.
func TestRules10PunishNoHit(t *testing.T) {
	checkRules(t, []rulesCase{
		{"en kneel", "if my marks drop my dad makes me kneel on the floor until 1am", risk.Medium, risk.High},
		{"yue fridge", "阿媽鎖住個雪櫃，話我溫完書先准食", risk.Medium, risk.High},
		{"yue window", "阿爸一嬲就話要掟我出窗", risk.Medium, risk.High},
		{"en fridge", "they lock the fridge at night and i'm not allowed to eat unless i finish my practice papers", risk.Medium, risk.High},
		{"kneel pray", "at church we kneel until the prayer ends", risk.None, risk.Low},
		{"class food", "we're not allowed to eat unless it's lunch break in class", risk.None, risk.Low},
		{"fasting", "during ramadan i'm not allowed to eat unless the sun has set", risk.None, risk.Low},
	})
}
