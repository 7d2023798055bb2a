package kb_test

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"slices"
	"testing"

	"xinqiao/internal/kb"
	"xinqiao/internal/postgres"
	"xinqiao/internal/storetest"
	"xinqiao/knowledge"
)

type evalCase struct {
	Q        string   `json:"q"`
	Lang     string   `json:"lang"`
	Band     string   `json:"band"`
	Relevant []string `json:"relevant"`
}

func loadEval(tb testing.TB) []evalCase {
	tb.Helper()
	f, err := os.Open("testdata/retrieval_eval.jsonl")
	if os.IsNotExist(err) {
		tb.Skip("no testdata/retrieval_eval.jsonl")
	} else if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var out []evalCase
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		if len(sc.Bytes()) == 0 {
			continue
		}
		var c evalCase
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			tb.Fatalf("retrieval_eval.jsonl:%d: %v", n, err)
		}
		out = append(out, c)
	}
	return out
}

// evalScores are hit@3 and MRR over the distinct documents of the hits, in
// rank order (a document is found when any of its chunks is).
type evalScores struct {
	hit3, mrr float64
	misses    []string
}

func evaluate(t *testing.T, s *kb.Searcher, cases []evalCase, mode kb.Mode) evalScores {
	t.Helper()
	var sc evalScores
	for _, c := range cases {
		res, err := s.Search(context.Background(), c.Q, kb.Filter{Lang: c.Lang, Band: c.Band, K: 10, Mode: mode})
		if err != nil {
			t.Fatalf("search %q: %v", c.Q, err)
		}
		var docs []string
		for _, h := range res.Hits {
			if !slices.Contains(docs, h.DocID) {
				docs = append(docs, h.DocID)
			}
		}
		rank := 0
		for i, d := range docs {
			if slices.Contains(c.Relevant, d) {
				rank = i + 1
				break
			}
		}
		if rank > 0 {
			sc.mrr += 1 / float64(rank)
		}
		if rank > 0 && rank <= 3 {
			sc.hit3++
		} else {
			sc.misses = append(sc.misses, c.Q)
		}
	}
	n := float64(len(cases))
	sc.hit3 /= n
	sc.mrr /= n
	return sc
}

// TestRetrievalEval imports the vetted knowledge into each store and
// measures keyword-only, vector-only and hybrid retrieval on the evaluation
// questions. Run with -v to see the figures.
func TestRetrievalEval(t *testing.T) {
	cases := loadEval(t)
	if len(cases) < 80 {
		t.Fatalf("got %d evaluation questions, want at least 80", len(cases))
	}
	emb, err := kb.NewLocalEmbedder(knowledge.FS, ".")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			st := e.Open(t)
			rep, err := kb.Sync(context.Background(), st, emb, knowledge.FS, ".", nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(rep.Failed) > 0 {
				t.Logf("sync: %s", rep)
			}
			// Statistics as autovacuum would keep them, so PostgreSQL's keyword
			// search drops common tokens as it does on a large corpus.
			if pg, ok := st.(*postgres.DB); ok {
				if _, err := pg.Pool().Exec(context.Background(), `ANALYZE kb_chunks`); err != nil {
					t.Fatal(err)
				}
			}
			// The same floor holds for the store's own search and for the
			// in-process index every server uses.
			index := kb.NewIndex(st, nil, nil)
			if err := index.Load(context.Background()); err != nil {
				t.Fatal(err)
			}
			for _, src := range []struct {
				name string
				s    *kb.Searcher
			}{{"store", kb.NewSearcher(st, emb, kb.Options{})}, {"index", kb.NewSearcher(st, emb, kb.Options{Index: index})}} {
				for _, mode := range []kb.Mode{kb.Keyword, kb.Vector, kb.Hybrid} {
					sc := evaluate(t, src.s, cases, mode)
					t.Logf("%-8s %-5s %-7s hit@3 %.3f  MRR %.3f  (%d questions, embedder %s)", e.Name, src.name, mode, sc.hit3, sc.mrr, len(cases), emb.Name())
					if testing.Verbose() && os.Getenv("KB_EVAL_MISSES") != "" {
						for _, m := range sc.misses {
							t.Logf("  miss: %s", m)
						}
					}
					if mode == kb.Hybrid && sc.hit3 < hybridFloor {
						t.Errorf("%s: got hybrid hit@3 %.3f, want ≥ %.2f", src.name, sc.hit3, hybridFloor)
					}
				}
			}
		})
	}
}

// hybridFloor is the hit@3 the hybrid search must keep.
const hybridFloor = 0.9
