package risk_test

import (
	"slices"
	"testing"

	"xinqiao/internal/risk"
)

// Session 10, riskrules7.

// TestTimeHasNoSubject: a time word belongs to nobody ("when they find it
// tomorrow"), so the timeframe rules do not read a subject (person: any) and
// a letter left for parents to find in the morning is not taken for
// someone else's risk: the model is not capped at medium for it. A means
// said of a friend stays someone else's, and keeps the cap.
func TestTimeHasNoSubject(t *testing.T) {
	c := mustLoad(t)
	if c.Model() == nil {
		t.Fatal("no shipped model")
	}
	for _, tc := range []struct {
		name, text string
		min, max   risk.Level
	}{
		{"letter found in the morning", "给爸妈的信写好了，压在枕头底下，等他们明早发现的时候应该就结束了", risk.High, risk.Imminent},
		{"friend's pills", "她家里有很多安眠药", risk.None, risk.Medium},
	} {
		r := c.Classify(tc.text)
		if r.Level < tc.min || r.Level > tc.max {
			t.Errorf("%s: %q got %s (rules %v), want %s..%s", tc.name, tc.text, r.Level, r.Rules, tc.min, tc.max)
		}
	}
	rules := c.WithModel(nil)
	for _, text := range []string{
		"等他们明早发现的时候应该就结束了",
		"他们说明天放学要来我家",
		"when they find it tomorrow it will be over",
	} {
		r := rules.Classify(text)
		if slices.Contains(r.Categories, risk.ConcernForOther) || slices.ContainsFunc(r.Matches, func(m risk.Match) bool { return m.Category == risk.ConcernForOther }) {
			t.Errorf("%q: a time word read as someone else's risk: %+v", text, r.Matches)
		}
		if !slices.Contains(r.Signals, "timeframe") {
			t.Errorf("%q: signals %v, want timeframe", text, r.Signals)
		}
	}
	if r := rules.Classify("她家里有很多安眠药"); !slices.ContainsFunc(r.Matches, func(m risk.Match) bool { return m.Category == risk.ConcernForOther }) {
		t.Errorf("a friend's pills: matches %+v, want concern_for_other", r.Matches)
	}
}

// TestCondAllSets: "unless: a+b DIR" cancels a match only when every set
// occurs there, "need: a+b DIR" keeps it only then.
func TestCondAllSets(t *testing.T) {
	checkLevels(t, `
set zz_a = 甲甲
set zz_b = 乙乙
rule x.unless_both
lang: zh
category: crisis
level: medium
match: 丙丙
unless: zz_a+zz_b sentence
rule x.need_both
lang: zh
category: crisis
level: low
match: 丁丁
need: zz_a+zz_b sentence
`, []levelCase{
		{"丙丙", risk.Medium},
		{"甲甲丙丙", risk.Medium},
		{"乙乙丙丙", risk.Medium},
		{"甲甲乙乙丙丙", risk.None},
		{"甲甲乙乙。丙丙", risk.Medium}, // another sentence
		{"丁丁", risk.None},
		{"甲甲丁丁", risk.None},
		{"丁丁乙乙甲甲", risk.Low},
	})
}

// TestCondAnySets: "unless: a|b DIR" cancels a match when any one of the
// sets occurs there, "need: a|b DIR" keeps it only then.
func TestCondAnySets(t *testing.T) {
	checkLevels(t, `
set zz_a = 甲甲
set zz_b = 乙乙
rule x.unless_any
lang: zh
category: crisis
level: medium
match: 丙丙
unless: zz_a|zz_b sentence
rule x.need_any
lang: zh
category: crisis
level: low
match: 丁丁
need: zz_a|zz_b sentence
`, []levelCase{
		{"丙丙", risk.Medium},
		{"甲甲丙丙", risk.None},
		{"乙乙丙丙", risk.None},
		{"甲甲乙乙丙丙", risk.None},
		{"甲甲乙乙。丙丙", risk.Medium}, // another sentence
		{"丁丁", risk.None},
		{"甲甲丁丁", risk.Low},
		{"丁丁乙乙", risk.Low},
		{"乙乙。丁丁", risk.None}, // another sentence
	})
}

// TestRules7BlindLeftovers: a blind batch's leftovers, in our own words.
// Shoved into a wall or a door frame at home and hurt is abuse with an
// injury (high); a Cantonese wish to give someone a beating (打一鑊) is a
// violence wish (medium), while a scolding (鬧一鑊), trouble (大鑊) and play
// are not; a Taiwanese curse with an exam and 想死 is the hyperbole of a vent
// (low), while ideation after an exam said plainly or meant stays medium+.
func TestRules7BlindLeftovers(t *testing.T) {
	checkRules(t, []rulesCase{
		{"long post door frame", "我不知道该跟谁说。我妈和她男朋友住在一起快一年了，一开始他对我还算客气。上周六晚上我因为洗碗的事顶了他一句，他一把把我推到门框上，我后脑勺撞出一个包，到现在还疼。他还说下次再顶嘴就让我好看。我妈只叫我别惹他。我现在放学都不想回家。", risk.High, risk.Imminent},
		{"pushed onto wall hant", "繼父昨晚把我推到牆上，額頭流血了，他說再講就打死我", risk.High, risk.Imminent},
		{"toward the wall", "我哥揪住我往墙上推，我额头流血了", risk.High, risk.Imminent},
		{"en door frame", "my mom's boyfriend shoved me into the door frame on saturday and my shoulder is still bruised. he says next time will be worse", risk.High, risk.Imminent},
		{"en pushed hard", "my stepdad pushed me hard into the wall, my back is all bruised and he said i'll get worse if i tell", risk.High, risk.Imminent},
		{"no hurt stays medium", "我妈的男朋友把我推到墙上，还好没受伤", risk.None, risk.Medium},
		{"en no hurt", "my dad shoved me against the wall, no marks but im scared", risk.None, risk.Medium},
		{"cried against wall", "我妈把我推出门外，我靠着墙哭到眼睛都肿了", risk.None, risk.Medium},
		{"en pool", "my brother pushed me into the pool lol", risk.None, risk.Low},
		{"en tripped", "i tripped and slammed into the door frame, huge bruise, so clumsy", risk.None, risk.Low},

		{"yue beat anyone", "真係好想搵個人打一鑊", risk.Medium, risk.High},
		{"yue beat him", "佢又喺班度屈我，好想打佢一鑊", risk.Medium, risk.High},
		{"yue find someone", "今日好嬲，好想搵人打", risk.Medium, risk.High},
		{"yue scolded", "阿媽今日又鬧咗我一鑊", risk.None, risk.Low},
		{"yue trouble", "今次大鑊，功課唔記得交", risk.None, risk.Low},
		{"yue cute joke", "佢咁可愛，好想打佢一鑊 哈哈", risk.None, risk.Low},
		{"yue ball", "好想搵人打波", risk.None, risk.Low},
		{"yue hotpot", "今晚搵人打邊爐", risk.None, risk.Low},
		{"yue game", "打機打到想死", risk.None, risk.Low},

		{"tw exam vent", "靠北 數學段考完真的想死", risk.None, risk.Low},
		{"tw exam vent comma", "段考考完了，靠北，好想死", risk.None, risk.Low},
		{"zh homework vent", "卧槽 作业写不完 想死", risk.None, risk.Low},
		{"tw curse alone", "靠北，我想死", risk.Medium, risk.Imminent},
		{"tw exam meant", "段考考爛了，我是真的想死，不是開玩笑", risk.Medium, risk.Imminent},
		{"tw curse meant", "靠北 段考考完想死 不是開玩笑", risk.Medium, risk.Imminent},
		{"exam then ideation", "考完試之後我一直在想，是不是死了就不用再面對這些了", risk.Medium, risk.Imminent},
		{"exam not live", "段考考完，我每天都不想活了", risk.Medium, risk.Imminent},
	})
}

// levelCase is a text and the level the rules alone must give it.
type levelCase struct {
	text string
	want risk.Level
}

// checkLevels loads the built-in rules with the rule file rules beside them
// and checks the level the rules alone give each case.
func checkLevels(t *testing.T, rules string, cases []levelCase) {
	t.Helper()
	c, err := risk.Load(writeRules(t, map[string]string{"x.rules": rules}))
	if err != nil {
		t.Fatal(err)
	}
	c = c.WithModel(nil)
	for _, tc := range cases {
		if got := c.Classify(tc.text); got.Level != tc.want {
			t.Errorf("%q: got %s (rules %v), want %s", tc.text, got.Level, got.Rules, tc.want)
		}
	}
}
