package kb_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"xinqiao/internal/embed"
	"xinqiao/internal/kb"
	"xinqiao/internal/storetest"
	"xinqiao/knowledge"
)

// TestIndexRanksAsTheEmbeddedStore holds the in-process index to the
// ranking of the SQLite store (FTS5 BM25 and exact cosine) on every
// evaluation question: the same chunks in the same order from each
// retriever, and the same cards.
func TestIndexRanksAsTheEmbeddedStore(t *testing.T) {
	ctx := context.Background()
	st := storetest.MustOpenSQLite(t)
	emb, err := kb.NewLocalEmbedder(knowledge.FS, ".")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kb.Sync(ctx, st, emb, knowledge.FS, ".", nil); err != nil {
		t.Fatal(err)
	}
	index := kb.NewIndex(st, nil, nil)
	if err := index.Load(ctx); err != nil {
		t.Fatal(err)
	}
	fromStore := kb.NewSearcher(st, emb, kb.Options{})
	fromIndex := kb.NewSearcher(st, emb, kb.Options{Index: index})
	ids := func(r kb.Results) []int64 {
		var out []int64
		for _, h := range r.Hits {
			out = append(out, h.ChunkID)
		}
		return out
	}
	differ := 0
	cases := loadEval(t)
	for _, c := range cases {
		for _, mode := range []kb.Mode{kb.Keyword, kb.Vector, kb.Hybrid} {
			f := kb.Filter{Lang: c.Lang, Band: c.Band, K: 10, Mode: mode}
			a, err := fromStore.Search(ctx, c.Q, f)
			if err != nil {
				t.Fatal(err)
			}
			b, err := fromIndex.Search(ctx, c.Q, f)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(ids(a), ids(b)) || a.Confident != b.Confident {
				differ++
				t.Logf("%s %q: store %v (confident %v), index %v (confident %v)", mode, c.Q, ids(a), a.Confident, ids(b), b.Confident)
			}
		}
	}
	if differ > 0 {
		t.Errorf("%d of %d searches ranked differently from the store", differ, 3*len(cases))
	}
	for _, sit := range []string{"medium_risk", "self_harm", "abuse", "crisis"} {
		for _, lang := range []string{"zh", "en"} {
			a, okA := fromStore.Card(ctx, sit, lang, "junior")
			b, okB := fromIndex.Card(ctx, sit, lang, "junior")
			if okA != okB || a.DocID != b.DocID || a.Version != b.Version {
				t.Errorf("card %s/%s: store %s v%d %v, index %s v%d %v", sit, lang, a.DocID, a.Version, okA, b.DocID, b.Version, okB)
			}
		}
	}
}

// TestIndexFollowsAPublishOnEveryNode approves and then retires a document
// through one node's workflow; the other node's index, fed only by the
// store's events, finds it and then no longer does. The publishing node's
// own index follows at once.
func TestIndexFollowsAPublishOnEveryNode(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	nodes := storetest.PostgresNodes(t, 2)
	emb := embed.NewLocal(nil)
	var searchers []*kb.Searcher
	for _, n := range nodes {
		index := kb.NewIndex(n, n, nil)
		if err := index.Load(ctx); err != nil {
			t.Fatal(err)
		}
		go index.Run(ctx)
		searchers = append(searchers, kb.NewSearcher(n, emb, kb.Options{Index: index}))
	}
	svc := kb.NewService(nodes[0], emb, nil)
	svc.UpdateIndex(searchers[0].Index())
	found := func(s *kb.Searcher) bool {
		res, err := s.Search(ctx, "考试前睡不着", kb.Filter{Lang: "zh"})
		if err != nil {
			t.Fatal(err)
		}
		return len(res.Hits) > 0 && res.Hits[0].DocID == "sleep-test"
	}
	// The subscriptions listen before anything is published.
	waitFor(t, "the second node's index to listen", func() bool { return searchers[1].Index().Loaded() })
	if found(searchers[1]) {
		t.Fatal("found the document before it was published")
	}

	v, err := svc.CreateDraft(ctx, "alice", kb.Draft{Markdown: sleepDoc})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Submit(ctx, "alice", v.DocID, v.Version); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Approve(ctx, "bob", v.DocID, v.Version); err != nil {
		t.Fatal(err)
	}
	if !found(searchers[0]) {
		t.Fatal("the publishing node's index does not have the approved document at once")
	}
	waitFor(t, "the other node's index to find the approved document", func() bool { return found(searchers[1]) })

	if _, err := svc.Retire(ctx, "bob", v.DocID); err != nil {
		t.Fatal(err)
	}
	if found(searchers[0]) {
		t.Fatal("the publishing node's index still finds the retired document")
	}
	waitFor(t, "the other node's index to drop the retired document", func() bool { return !found(searchers[1]) })
}

// waitFor polls cond until it holds, failing the test after a generous
// deadline (events between nodes take milliseconds).
// TestIndexHearsAPublishBeforeItListens: a document approved after the
// second node loaded its index but before that index listens for events is
// found all the same, without waiting for the periodic reload.
func TestIndexHearsAPublishBeforeItListens(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	nodes := storetest.PostgresNodes(t, 2)
	emb := embed.NewLocal(nil)
	late := kb.NewIndex(nodes[1], nodes[1], nil)
	if err := late.Load(ctx); err != nil {
		t.Fatal(err)
	}
	svc := kb.NewService(nodes[0], emb, nil)
	v, err := svc.CreateDraft(ctx, "alice", kb.Draft{Markdown: sleepDoc})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Submit(ctx, "alice", v.DocID, v.Version); err != nil {
		t.Fatal(err)
	}
	first := kb.NewIndex(nodes[0], nodes[0], nil)
	if err := first.Load(ctx); err != nil {
		t.Fatal(err)
	}
	svc.UpdateIndex(first)
	if _, err := svc.Approve(ctx, "bob", v.DocID, v.Version); err != nil {
		t.Fatal(err)
	}
	go late.Run(ctx) // listens only now: the approval's event has gone by
	s := kb.NewSearcher(nodes[1], emb, kb.Options{Index: late})
	waitFor(t, "the late node's index to find the approved document", func() bool {
		res, err := s.Search(ctx, "考试前睡不着", kb.Filter{Lang: "zh"})
		if err != nil {
			t.Fatal(err)
		}
		return len(res.Hits) > 0 && res.Hits[0].DocID == "sleep-test"
	})
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
