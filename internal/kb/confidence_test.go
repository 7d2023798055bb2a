package kb_test

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"testing"

	"xinqiao/internal/kb"
	"xinqiao/internal/storetest"
	"xinqiao/knowledge"
)

// TestConfidenceThreshold checks the default threshold separates the
// evaluation questions (which the material answers) from off-topic ones
// (testdata/offtopic.jsonl, written for this test): most of the former are
// confident, few of the latter.
func TestConfidenceThreshold(t *testing.T) {
	cases := loadEval(t)
	f, err := os.Open("testdata/offtopic.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var off []evalCase
	for sc := bufio.NewScanner(f); sc.Scan(); {
		var c evalCase
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			t.Fatal(err)
		}
		off = append(off, c)
	}
	ctx := context.Background()
	st := storetest.MustOpenSQLite(t)
	emb, err := kb.NewLocalEmbedder(knowledge.FS, ".")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kb.Sync(ctx, st, emb, knowledge.FS, ".", nil); err != nil {
		t.Fatal(err)
	}
	s := kb.NewSearcher(st, emb, kb.Options{})
	rate := func(cs []evalCase, log bool) float64 {
		n := 0
		for _, c := range cs {
			res, err := s.Search(ctx, c.Q, kb.Filter{Lang: c.Lang, Band: c.Band})
			if err != nil {
				t.Fatal(err)
			}
			if res.Confident {
				n++
			}
			if log && testing.Verbose() && len(res.Hits) > 0 {
				t.Logf("%v vec %.3f cov %.2f %s", res.Confident, res.Hits[0].Vector, res.Hits[0].Coverage, c.Q)
			}
		}
		return float64(n) / float64(len(cs))
	}
	on, offRate := rate(cases, os.Getenv("KB_CONF_LOG") == "2"), rate(off, os.Getenv("KB_CONF_LOG") != "")
	t.Logf("confident: %.2f of %d evaluation questions, %.2f of %d off-topic questions", on, len(cases), offRate, len(off))
	if on < 0.8 || offRate > 0.2 {
		t.Errorf("got confident on %.2f of answerable and %.2f of off-topic questions, want ≥ 0.8 and ≤ 0.2", on, offRate)
	}
}
