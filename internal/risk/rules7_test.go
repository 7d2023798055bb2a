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
	dir := writeRules(t, map[string]string{"x.rules": `
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
`})
	c, err := risk.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	c = c.WithModel(nil)
	for _, tc := range []struct {
		text string
		want risk.Level
	}{
		{"丙丙", risk.Medium},
		{"甲甲丙丙", risk.Medium},
		{"乙乙丙丙", risk.Medium},
		{"甲甲乙乙丙丙", risk.None},
		{"甲甲乙乙。丙丙", risk.Medium}, // another sentence
		{"丁丁", risk.None},
		{"甲甲丁丁", risk.None},
		{"丁丁乙乙甲甲", risk.Low},
	} {
		if got := c.Classify(tc.text); got.Level != tc.want {
			t.Errorf("%q: got %s (rules %v), want %s", tc.text, got.Level, got.Rules, tc.want)
		}
	}
}
