package risk

import (
	"slices"
	"testing"
)

// TestWordsList: a words list spells alternatives into {name} exactly as a
// set does, but is never looked for in the text on its own: it is no
// context set, so no condition reads it and the learned model gets no
// feature from it (a set of common words would shift the model's reading).
func TestWordsList(t *testing.T) {
	const rule = "rule x.words\ndesc: 测试\nlang: zh\ncategory: self_harm\nlevel: high\nmatch: 刚刚{xw}\n"
	withWords, err := Load("", Source{Name: "district", Text: "words xw = 割腕 | 划手\n" + rule})
	if err != nil {
		t.Fatal(err)
	}
	withSet, err := Load("", Source{Name: "district", Text: "set xw = 割腕 | 划手\n" + rule})
	if err != nil {
		t.Fatal(err)
	}
	plain, err := Load("", Source{Name: "district", Text: "rule x.words\ndesc: 测试\nlang: zh\ncategory: self_harm\nlevel: high\nmatch: 刚刚割腕 | 刚刚划手\n"})
	if err != nil {
		t.Fatal(err)
	}
	for _, text := range []string{"我刚刚割腕", "刚刚划手了", "刚刚吃饭", "划手机"} {
		a, b, c := withWords.Classify(text), withSet.Classify(text), plain.Classify(text)
		if a.Level != b.Level || a.Level != c.Level || slices.Contains(a.Rules, "x.words") != slices.Contains(c.Rules, "x.words") {
			t.Errorf("%s: words %v %v, set %v %v, spelled out %v %v: want the same", text, a.Level, a.Rules, b.Level, b.Rules, c.Level, c.Rules)
		}
	}
	if !slices.Contains(withWords.Classify("我刚刚割腕").Rules, "x.words") {
		t.Error("我刚刚割腕: x.words did not fire")
	}
	if _, ok := withWords.setIdx["xw"]; ok {
		t.Error("a words list became a context set")
	}
	if !slices.Equal(withWords.sets, plain.sets) || slices.Equal(withSet.sets, plain.sets) {
		t.Errorf("sets: words %d, set %d, spelled out %d: want a words list to add none and a set one", len(withWords.sets), len(withSet.sets), len(plain.sets))
	}
	// the model's input: the same set occurrences as the spelled-out rule
	var a, c scratch
	withWords.modelInput("我刚刚割腕了", &a)
	plain.modelInput("我刚刚割腕了", &c)
	if !slices.Equal(a.model.occ, c.model.occ) {
		t.Errorf("model set occurrences differ: words %v, spelled out %v", a.model.occ, c.model.occ)
	}
}
