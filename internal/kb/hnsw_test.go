package kb

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"testing"
	"time"

	"xinqiao/internal/xinqiao"
)

// clustered returns n vectors of dim around a number of centres, as
// embeddings of texts on a few topics are, with the chunk fields the
// filters read: a quarter English, bands as in the synthetic benchmark.
func clustered(rng *rand.Rand, n, dim, centres int) []xinqiao.Chunk {
	cs := make([][]float32, centres)
	for i := range cs {
		cs[i] = make([]float32, dim)
		for d := range cs[i] {
			cs[i][d] = float32(rng.NormFloat64())
		}
	}
	bands := [][]string{{"primary"}, {"junior", "senior"}, {"primary", "junior", "senior"}}
	chunks := make([]xinqiao.Chunk, n)
	for i := range chunks {
		c := cs[rng.IntN(centres)]
		v := make([]float32, dim)
		for d := range v {
			v[d] = c[d] + 0.6*float32(rng.NormFloat64())
		}
		lang := "zh"
		if rng.IntN(4) == 0 {
			lang = "en"
		}
		chunks[i] = xinqiao.Chunk{ID: int64(i + 1), Embedding: v, Kind: xinqiao.KindArticle, Lang: lang, Audience: bands[rng.IntN(3)]}
	}
	return chunks
}

// exactNearest is the exact scan's answer for q under f, ignoring the graph.
func exactNearest(s *snapshot, q []float32, f xinqiao.ChunkFilter) []int64 {
	g := s.vectors[len(q)]
	graph := g.graph
	g.graph = nil
	defer func() { g.graph = graph }()
	res, _ := s.SearchVector(context.Background(), q, f)
	ids := make([]int64, len(res))
	for i, c := range res {
		ids[i] = c.ID
	}
	return ids
}

// graphRecall is the mean share of the exact k nearest (under each
// filter) that the graph search returns, over queries near the data.
func graphRecall(tb testing.TB, s *snapshot, rng *rand.Rand, chunks []xinqiao.Chunk, queries int, f xinqiao.ChunkFilter) (recall float64, perQuery time.Duration) {
	var sum float64
	var took time.Duration
	for range queries {
		base := chunks[rng.IntN(len(chunks))].Embedding
		q := make([]float32, len(base))
		for d := range q {
			q[d] = base[d] + 0.6*float32(rng.NormFloat64())
		}
		want := exactNearest(s, q, f)
		t0 := time.Now()
		res, err := s.SearchVector(context.Background(), q, f)
		took += time.Since(t0)
		if err != nil {
			tb.Fatal(err)
		}
		hit := 0
		for _, c := range res {
			if slices.Contains(want, c.ID) {
				hit++
			}
		}
		if len(want) > 0 {
			sum += float64(hit) / float64(len(want))
		}
	}
	return sum / float64(queries), took / time.Duration(queries)
}

// TestGraphRecall: a dense vector group large enough for the graph finds
// at least 95% of the exact nearest 10 and 50 (what the hybrid search
// takes), with no filter and with the language and band filters, and the
// same rows build the same graph.
func TestGraphRecall(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 5))
	chunks := clustered(rng, 3*graphMinRows, 48, 40)
	s := buildSnapshot(chunks, nil, nil)
	g := s.vectors[48]
	if g.graph == nil {
		t.Fatal("no graph over a dense group of 3 × graphMinRows rows")
	}
	for _, k := range []int{10, 50} {
		for _, f := range []xinqiao.ChunkFilter{{K: k}, {K: k, Lang: "zh"}, {K: k, Lang: "en", Band: "junior"}} {
			recall, _ := graphRecall(t, s, rng, chunks, 100, f)
			t.Logf("recall@%d lang %q band %q: %.3f", k, f.Lang, f.Band, recall)
			if recall < 0.95 {
				t.Errorf("recall@%d with lang %q band %q: got %.3f, want ≥ 0.95", k, f.Lang, f.Band, recall)
			}
		}
	}
	again := buildSnapshot(chunks, nil, nil).vectors[48].graph
	if again.entry != g.graph.entry || again.top != g.graph.top || !slices.EqualFunc(again.links[0], g.graph.links[0], slices.Equal) {
		t.Error("the same rows built a different graph")
	}
}

// BenchmarkGraph builds the graph over clustered dense vectors and reports
// the CPU time of the build, recall@50 against exact search, and the CPU
// time of a search through the graph and of the exact scan (-cpu 1: the
// process's CPU time is then the work's own). Run:
//
//	KB_DENSE_ROWS=100000 KB_DENSE_DIM=1024 go test ./internal/kb -run '^$' -bench Graph -benchtime 1x -cpu 1
func BenchmarkGraph(b *testing.B) {
	n, dim := 20000, 1024
	fmt.Sscan(os.Getenv("KB_DENSE_ROWS"), &n)
	fmt.Sscan(os.Getenv("KB_DENSE_DIM"), &dim)
	rng := rand.New(rand.NewPCG(1, 2))
	chunks := clustered(rng, n, dim, max(20, n/500))
	for b.Loop() {
		c0, _ := ProcessCPU()
		s := buildSnapshot(chunks, nil, nil)
		c1, _ := ProcessCPU()
		b.ReportMetric((c1 - c0).Seconds(), "build-cpu-s")
		recall, _ := graphRecall(b, s, rng, chunks, 200, xinqiao.ChunkFilter{K: 50, Lang: "zh"})
		b.ReportMetric(recall, "recall@50")
		g := s.vectors[dim]
		q := chunks[0].Embedding
		f := xinqiao.ChunkFilter{K: 50, Lang: "zh"}
		c0, _ = ProcessCPU()
		for range 20 {
			exactNearest(s, q, f)
		}
		c1, _ = ProcessCPU()
		b.ReportMetric(float64((c1-c0).Microseconds())/20/1000, "exact-cpu-ms")
		c0, _ = ProcessCPU()
		for range 200 {
			if _, err := s.SearchVector(context.Background(), q, f); err != nil {
				b.Fatal(err)
			}
		}
		c1, _ = ProcessCPU()
		b.ReportMetric(float64((c1-c0).Microseconds())/200/1000, "graph-cpu-ms")
		b.ReportMetric(float64(g.bytes())/(1<<20), "vectors-MiB")
	}
}

// TestSnapshotReusesUnchangedVectors: a reload over the same chunks takes
// the vectors and the graph over instead of building them again; a new
// chunk or a re-embedding builds them anew, and the searches see it.
func TestSnapshotReusesUnchangedVectors(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 17))
	const dim = 32
	chunks := clustered(rng, graphMinRows+100, dim, 10)
	for i := range chunks {
		chunks[i].Embedder = "model-a"
	}
	first := buildSnapshot(chunks, nil, nil)
	again := buildSnapshot(chunks, nil, first)
	if again.vectors[dim].graph != first.vectors[dim].graph || &again.vectors[dim].vecs[0] != &first.vectors[dim].vecs[0] {
		t.Error("a reload over the same chunks built the vectors again")
	}
	nearest := func(s *snapshot, q []float32) int64 {
		res, err := s.SearchVector(context.Background(), q, xinqiao.ChunkFilter{K: 1})
		if err != nil || len(res) != 1 {
			t.Fatalf("search: %v, %d hits", err, len(res))
		}
		return res[0].ID
	}
	if got, want := nearest(again, chunks[7].Embedding), chunks[7].ID; got != want {
		t.Errorf("reused snapshot: nearest to chunk %d's vector is %d", want, got)
	}

	added := append(slices.Clone(chunks), xinqiao.Chunk{ID: int64(len(chunks) + 1), Embedder: "model-a",
		Kind: xinqiao.KindArticle, Lang: "zh", Embedding: clustered(rng, 1, dim, 1)[0].Embedding})
	grown := buildSnapshot(added, nil, again)
	if grown.vectors[dim].graph == again.vectors[dim].graph {
		t.Error("a new chunk did not build a new graph")
	}
	if got, want := nearest(grown, added[len(added)-1].Embedding), added[len(added)-1].ID; got != want {
		t.Errorf("after a new chunk: nearest to its vector is %d, want %d", got, want)
	}

	reembedded := slices.Clone(chunks)
	for i := range reembedded {
		reembedded[i].Embedder = "model-b"
		reembedded[i].Embedding = slices.Clone(chunks[(i+1)%len(chunks)].Embedding)
	}
	changed := buildSnapshot(reembedded, nil, again)
	if changed.vectors[dim].graph == again.vectors[dim].graph {
		t.Error("a re-embedding did not build a new graph")
	}
	if got, want := nearest(changed, chunks[8].Embedding), reembedded[7].ID; got != want {
		t.Errorf("after a re-embedding: nearest to chunk 8's old vector is %d, want %d (whose new vector it is)", got, want)
	}
}
