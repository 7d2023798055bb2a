package risk

import "testing"

// TestDenialKeepsModelBelowUrgent: with a model that grades every message
// high, a clear denial the rules read nothing else in stays medium (a
// counselor still reads it); without the denial rules it would be high; a
// denial beside a method, or beside a time word, is not capped.
func TestDenialKeepsModelBelowUrgent(t *testing.T) {
	m, err := builtinModel()
	if err != nil {
		t.Fatal(err)
	}
	eager := new(Model)
	*eager = *m
	eager.t.risk, eager.t.long, eager.t.high = 0, 0, 0 // everything is high to this model
	load := func(extra ...Source) *Classifier {
		c, err := Load("", extra...)
		if err != nil {
			t.Fatal(err)
		}
		return c.WithModel(eager)
	}
	with := load()
	without := load(Source{Name: "d.rules", Text: "disable zh.denial\ndisable en.denial\n"})
	for _, text := range []string{
		"我不是想自杀，只是想发泄一下",
		"放心，我不会自杀的，就是想吐槽",
		"我唔係想自殺，只係想講吓嘢",
		"I'm not suicidal, just venting",
	} {
		if r := with.Classify(text); r.Level != Medium {
			t.Errorf("%q: got %s (rules %v, signals %v), want medium", text, r.Level, r.Rules, r.Signals)
		}
		if r := without.Classify(text); r.Level < High {
			t.Errorf("%q without the denial rules: got %s, want high (this model grades everything high)", text, r.Level)
		}
	}
	for _, text := range []string{
		"我没想死，只是想知道吃多少片安眠药会睡过去", // a method: the rules grade it
		"我不会做傻事的，只是今晚想一个人待着",    // a time word beside the denial
		"我不是想自杀，我是真的想死",         // no denial: ideation
	} {
		if r := with.Classify(text); r.Level < High {
			t.Errorf("%q: got %s (rules %v, signals %v), want high: not a clear denial", text, r.Level, r.Rules, r.Signals)
		}
	}
}
