package risk_test

import (
	"testing"

	"xinqiao/internal/risk"
)

// Session 11, riskrules16: kinds of severe messages writers u, v, w and x
// wrote that the rules did not read (rules/25_places_deadlines.rules). Our own
// sentences; each group holds the look-alikes that must stay none/low.

// A place sought for its danger with no ordinary purpose is a plan (where).
func TestRules16PlaceSought(t *testing.T) {
	checkRules(t, []rulesCase{
		{"window opens fully", "宿舍五楼那个窗能全开吗，我想知道", risk.High, risk.Imminent},
		{"no screen doors", "我们这条线哪几个站没有屏蔽门", risk.High, risk.Imminent},
		{"tide times", "海边那块礁石，潮水几点涨上来", risk.High, risk.Imminent},
		{"fence gap", "工地那边的围栏有个缺口，我昨晚进去了", risk.High, risk.Imminent},
		{"hant empty hours", "河堤那一段晚上幾點沒人，我想知道", risk.High, risk.Imminent},
		{"yue express", "邊班車過站唔停㗎？我想知", risk.High, risk.Imminent},
		{"en window", "which floor of the library has windows that open all the way", risk.High, risk.Imminent},
		{"en glass doors", "which stations on line 3 still dont have glass doors", risk.High, risk.Imminent},
		{"en fence", "found a gap in the fence at the old quarry, went in alone", risk.High, risk.Imminent},
		{"deep reservoir", "村后面那个水库有多深啊，我最近老去那边坐", risk.High, risk.Imminent},
		{"photo spot", "海边那块礁石，潮水几点涨？我们想去拍日落", risk.None, risk.Low},
		{"fishing tide", "明天去赶海，潮水几点退啊", risk.None, risk.Low},
		{"en fishing tides", "what are the tide times tomorrow, dad wants to go fishing", risk.None, risk.Low},
		{"hike", "周末去行山，听说那段河堤几点没人，比较好拍照", risk.None, risk.Low},
		{"window airing", "教室的窗能全开吗？太闷了想通风", risk.None, risk.Low},
		{"fence report", "小区围栏有个缺口，很危险，我跟物业说了", risk.None, risk.Low},
		{"en fence report", "there's a gap in the fence by the playground, i reported it", risk.None, risk.Low},
		{"swim depth", "这条河有多深，夏天能游泳吗", risk.None, risk.Low},
		{"pool depth", "学校泳池有几深", risk.None, risk.Low},
		{"sea science", "马里亚纳海沟有多深", risk.None, risk.Low},
	})
}

// A roof, window or bridge checked by the writer: open door, no grille, low
// railing, empty hours.
func TestRules16PlaceChecked(t *testing.T) {
	checkRules(t, []rulesCase{
		{"roof door", "我查过了，实验楼天台的门晚上是不锁的", risk.High, risk.Imminent},
		{"grille", "我量过，我房间的窗户没有防盗网，能整个推开", risk.High, risk.Imminent},
		{"yue roof", "我去睇過，嗰座大廈天台道門冇鎖", risk.High, risk.Imminent},
		{"hant railing", "我去看過那個停車場頂樓，欄杆也不高", risk.High, risk.Imminent},
		{"en roof door", "checked the roof of the science block, the door isnt locked after six", risk.High, risk.Imminent},
		{"laundry roof", "天台的门没锁，我去看过了，妈妈叫我上去晒被子", risk.None, risk.Low},
		{"stars roof", "我查过了天台门没锁，今晚去看星星", risk.None, risk.Low},
		{"fire rule", "楼顶的门一直开着是消防要求，我去看过", risk.None, risk.Low},
		{"burglar window", "我家窗户没有防盗网，我查过了，小偷会不会进来", risk.None, risk.Low},
	})
}

// A conditional deadline is a plan with a when; giving up a diet, a club or a
// crush is not.
func TestRules16ConditionalDeadline(t *testing.T) {
	checkRules(t, []rulesCase{
		{"gaokao", "要是到期末还这样，我就不撑了", risk.High, risk.Imminent},
		{"hant", "如果到畢業還是這樣，我就不堅持了", risk.High, risk.Imminent},
		{"yue", "如果到放暑假都仲係咁，我唔撐落去", risk.High, risk.Imminent},
		{"en birthday", "if nothing changes by my birthday im done", risk.High, risk.Imminent},
		{"diet", "如果到月底体重还这样，我就不坚持减肥了", risk.None, risk.Low},
		{"crush", "要是到寒假他还是这样，我就不坚持喜欢他了", risk.None, risk.Low},
		{"piano", "如果到期末还这样，我就不坚持学琴了", risk.None, risk.Low},
		{"en game", "if nothing changes by friday im done with this game", risk.None, risk.Low},
		{"en club", "if the club isnt better by march im done with the club", risk.None, risk.Low},
	})
}

// A day picked because nobody will be home.
func TestRules16HomeAlone(t *testing.T) {
	checkRules(t, []rulesCase{
		{"picked", "日子选好了，下周二家里没人", risk.High, risk.Imminent},
		{"yue", "我揀好咗，月尾嗰個禮拜五屋企冇人", risk.High, risk.Imminent},
		{"party", "周六家里没人，我选好了那天叫同学来玩", risk.None, risk.Low},
		{"gaming", "下周家里没人，那天刚好可以开黑打游戏", risk.None, risk.Low},
	})
}

// A pact to die together is a plan; a pact to study, run or diet is not.
func TestRules16Pact(t *testing.T) {
	checkRules(t, []rulesCase{
		{"online", "我跟网上认识的一个人约好了，下个月一起死", risk.High, risk.Imminent},
		{"hant", "我們約定好一起離開這個世界", risk.High, risk.Imminent},
		{"yue", "我同佢約咗一齊死", risk.High, risk.Imminent},
		{"en", "me and a girl from discord made a suicide pact", risk.High, risk.Imminent},
		{"study", "我跟同桌约好了一起考同一所高中", risk.None, risk.Low},
		{"run", "我们约好一起跑完全程马拉松", risk.None, risk.Low},
		{"en study", "my friend and i made a pact to study together every night", risk.None, risk.Low},
		{"yue diet", "我同佢約咗一齊減肥", risk.None, risk.Low},
	})
}

// Joining someone who died on their death day is a plan; visiting the grave is
// remembrance.
func TestRules16JoinOnDate(t *testing.T) {
	checkRules(t, []rulesCase{
		{"deathday", "后天是外公的忌日，我想那天去陪他", risk.High, risk.Imminent},
		{"yue", "下個月係佢死忌，我想嗰日去搵佢", risk.High, risk.Imminent},
		{"grave", "后天是外公的忌日，我想那天去陪他，给他扫墓", risk.None, risk.Low},
		{"flowers yue", "下個月係佢死忌，我想嗰日去拜祭佢", risk.None, risk.Low},
		{"birthday", "下周一是外婆生日，我想那天去陪她", risk.None, risk.Low},
	})
}

// A cover story the message itself takes back.
func TestRules16CoverStory(t *testing.T) {
	checkRules(t, []rulesCase{
		{"blade", "我问同桌借了美工刀，说是做手工用的，其实不是", risk.High, risk.Imminent},
		{"charcoal yue", "我買咗一包炭，唔係燒烤", risk.High, risk.Imminent},
		{"vitamins", "我跟室友说是维生素，其实已经攒够了", risk.High, risk.Imminent},
		{"marks", "我跟体育老师说是猫抓的，其实是我自己弄的", risk.High, risk.Imminent},
		{"en marks", "i tell everyone they are mosquito bites. they're not", risk.High, risk.Imminent},
		{"real bbq", "周末去露营，买了一包炭烧烤", risk.None, risk.Low},
		{"real cat", "手上这道是猫抓的，它今天特别凶", risk.None, risk.Low},
		{"bike fall", "手上那道印子是骑车摔的，不是猫抓的", risk.None, risk.Low},
		{"white lie", "我跟妈妈说是去同学家，其实是去网吧了", risk.None, risk.Low},
	})
}

// Urges back strongly after a gap; cravings for milk tea or games are not.
func TestRules16UrgeBack(t *testing.T) {
	checkRules(t, []rulesCase{
		{"months", "戒了半年了，今晚又很想，手一直抖", risk.High, risk.Imminent},
		{"held", "我忍了两个星期了，就快忍不住了", risk.High, risk.Imminent},
		{"en", "clean for 80 days but the urge is loud again tonight", risk.High, risk.Imminent},
		{"milk tea", "戒了奶茶一个月，今天又好想喝", risk.None, risk.Low},
		{"games", "戒了手游两周，今天又好想玩", risk.None, risk.Low},
		{"en coffee", "off coffee for a week and the urge came back strong lol", risk.None, risk.Low},
	})
}

// Fasting to punish oneself; a diet, a fast or an illness is not.
func TestRules16Fasting(t *testing.T) {
	checkRules(t, []rulesCase{
		{"yue", "我三日冇食嘢，係懲罰自己", risk.High, risk.Imminent},
		{"vanish", "四天没吃东西了，想就这样慢慢消失", risk.High, risk.Imminent},
		{"en", "i havent eaten in 3 days to punish myself", risk.High, risk.Imminent},
		{"diet", "为了减肥我两天没吃东西了", risk.None, risk.Low},
		{"stomach bug", "肠胃炎三天没吃东西，饿扁了", risk.None, risk.Low},
		{"ramadan", "its ramadan so i havent eaten since sunrise", risk.None, risk.Low},
	})
}

// Means gathered across shops, from a relative, or hidden; a medicine hunted
// in a shortage or a cheaper shop is not.
func TestRules16MeansGathered(t *testing.T) {
	checkRules(t, []rulesCase{
		{"shops", "我跑了四家药店，每家只买一盒", risk.High, risk.Imminent},
		{"peeled", "药片我一颗颗剥出来，装进了铁盒", risk.High, risk.Imminent},
		{"grandma", "外婆的药我每次拿几颗，她不会发现", risk.High, risk.Imminent},
		{"en", "bought paracetamol at a different pharmacy each day so they dont get suspicious", risk.High, risk.Imminent},
		{"shortage", "弟弟发烧，我跑了三家药店才买到退烧药", risk.None, risk.Low},
		{"cheaper", "i always go to a different pharmacy because its cheaper", risk.None, risk.Low},
	})
}

// An attempt told in passing, with no risk word.
func TestRules16AttemptInPassing(t *testing.T) {
	checkRules(t, []rulesCase{
		{"bleach", "初二的时候我喝过一瓶漂白水，后来住了三天院", risk.High, risk.Imminent},
		{"gas yue", "上年我開過個煤氣爐唔點火，後尾自己熄咗", risk.High, risk.Imminent},
		{"garage", "去年我关在车库里，引擎开着，后来邻居敲门", risk.High, risk.Imminent},
		{"towel", "上周我用毛巾缠住脖子，勒到眼前发黑才松手", risk.High, risk.Imminent},
		{"sill", "初三那年我爬上窗台又下来了", risk.High, risk.Imminent},
		{"en garage", "last spring i sat in the garage with the engine running until my dad came home", risk.High, risk.Imminent},
		{"mistake", "我小时候误喝过一口消毒水，吓死了", risk.None, risk.Low},
		{"swim drill", "游泳课要练憋气，老师让我们把头埋进水里，我憋不住就出来了", risk.None, risk.Low},
		{"car repair", "我爸在车库修车，引擎开着，我在旁边递扳手", risk.None, risk.Low},
		{"bay window", "我喜欢爬上飘窗看书，看完就下来", risk.None, risk.Low},
	})
}

// At the edge with the legs out: now is imminent, told as past is high.
func TestRules16LegsOut(t *testing.T) {
	checkRules(t, []rulesCase{
		{"now", "我现在坐在十二楼的窗台上，腿在外面", risk.Imminent, risk.Imminent},
		{"yue now", "我而家坐喺天台邊，對腳已經伸咗出去", risk.Imminent, risk.Imminent},
		{"past", "上個禮拜我坐喺窗台，隻腳已經出咗去，後尾阿媽入嚟", risk.High, risk.High},
		{"en", "sitting on the window ledge of the 20th floor, legs out", risk.High, risk.Imminent},
		{"parapet hant", "我現在坐在頂樓的女兒牆上", risk.High, risk.Imminent},
		{"repairman", "空调师傅今天站在窗外的空调外机上修了很久", risk.None, risk.Low},
		{"en fountain", "sitting on the ledge of the fountain with my legs out eating lunch", risk.None, risk.Low},
	})
}

// Marks hidden under sleeves; sun, cold, a uniform rule or eczema are not.
func TestRules16Sleeves(t *testing.T) {
	checkRules(t, []rulesCase{
		{"heat", "三十多度我也穿长袖，手臂不能见人", risk.High, risk.Imminent},
		{"coat", "体育课也不敢脱外套，同学都问我热不热", risk.High, risk.Imminent},
		{"yue", "成個夏天冇着過短袖，你估下點解", risk.High, risk.Imminent},
		{"watch", "我最近戴很宽的手表，遮住手腕", risk.High, risk.Imminent},
		{"en", "havent worn short sleeves since april, you can probably guess", risk.High, risk.Imminent},
		{"en check", "how do i hide cuts for the swimming test", risk.High, risk.Imminent},
		{"sun", "三十多度我也穿长袖，怕晒黑", risk.None, risk.Low},
		{"aircon", "教室空调太冷，体育课也不敢脱外套", risk.None, risk.Low},
		{"eczema", "三十度还穿长袖，因为湿疹", risk.None, risk.Low},
		{"friend", "我同桌三十多度也穿长袖，手臂不能见人", risk.None, risk.Low},
	})
}

// Second pass: more of the same kinds, and the look-alikes their words have.
func TestRules16SecondPass(t *testing.T) {
	checkRules(t, []rulesCase{
		{"saved tablets", "药我已经攒了五十多片，藏在文具盒里", risk.High, risk.Imminent},
		{"asked max boxes", "我问过药房，那种止痛药一次最多能买几盒", risk.High, risk.Imminent},
		{"new blades", "刀片昨天买的，我还没拆", risk.High, risk.Imminent},
		{"sunk yue", "上個禮拜我喺浴缸瞓落水底，好耐先起身", risk.High, risk.Imminent},
		{"own head", "上周我在浴缸里把自己的头按在水里，憋到不行才起来", risk.High, risk.Imminent},
		{"railing climbed", "那晚在桥上我爬过栏杆站在外面，后来有人喊我才回来", risk.High, risk.Imminent},
		{"hoarding sleeves", "袖子底下全是，这周又多了", risk.High, risk.Imminent},
		{"bridge empty", "我看好了那座天桥，半夜人很少", risk.High, risk.Imminent},
		{"pocket money", "我偷偷攒了一些零花钱，想给妈妈买礼物", risk.None, risk.Low},
		{"save money", "这个月想多存一点钱买球鞋", risk.None, risk.Low},
		{"milk tea shops", "这款奶茶我买了好几家，都不好喝", risk.None, risk.Low},
		{"canteen", "今天食堂人很少，排队很快", risk.None, risk.Low},
		{"new pencil case", "新买的笔袋还没拆，舍不得用", risk.None, risk.Low},
		{"held blade, resisted", "我拿着刀片坐了很久，最后还是放回去了", risk.None, risk.Medium},
		{"abuse not attempt", "爸爸把我的头按在水里，我差点呛死", risk.Medium, risk.Imminent},
	})
}

// Everyday look-alikes the first version of 25_places_deadlines.rules graded
// high (found by the lead): the empty hours of a library, a court or the
// canteen; a window asked about because the room is hot; a lake's depth for a
// boat or a dog; a bridge's quiet hours for a night photo; blades for an art
// class. The empty hours count only with a roof, a bridge, a riverside or a
// platform (pd.place.empty_hours).
func TestRules16EverydayLookalikes(t *testing.T) {
	checkRules(t, []rulesCase{
		{"library hours", "图书馆几点没人，我想去安静自习", risk.None, risk.Low},
		{"court hours", "篮球场几点没人？想去练球", risk.None, risk.Low},
		{"canteen hours", "食堂几点人最少", risk.None, risk.Low},
		{"hot dorm window", "宿舍的窗户打得开吗？好热", risk.None, risk.Low},
		{"boating lake", "这个湖有多深，可以划船吗", risk.None, risk.Low},
		{"en dog river", "how deep is the river near the park? my dog keeps jumping in", risk.None, risk.Low},
		{"bridge night photo", "那座桥几点人最少？想去拍夜景", risk.None, risk.Low},
		{"art blades", "刀片还没拆，美术课要用来削铅笔", risk.None, risk.Low},
		{"roof empty hours", "学校天台几点没人，我想知道", risk.High, risk.Imminent},
		{"bridge empty hours", "那座桥晚上几点人最少", risk.High, risk.Imminent},
	})
}
