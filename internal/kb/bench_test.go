package kb_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"xinqiao/internal/kb"
	"xinqiao/internal/kb/seg"
	"xinqiao/internal/postgres"
	"xinqiao/internal/storetest"
	"xinqiao/internal/xinqiao"
	"xinqiao/knowledge"
)

// Benchmarks of search latency at 1k, 10k and 100k chunks on each store,
// and of the HNSW index's recall@10 against exact search on PostgreSQL.
// The chunks are synthetic: sentences of the real material recombined, so
// tokens and vectors look like the real ones. Run:
//
//	go test ./internal/kb/ -run '^$' -bench Search -benchtime 300x
//	TEST_DATABASE_URL=... go test ./internal/kb/ -run '^$' -bench Search -benchtime 300x -timeout 60m
//
// KB_BENCH_SIZES=1000,10000 limits the sizes (100k takes minutes to load).

type sentence struct{ lang, text string }

func corpusSentences(tb testing.TB) []sentence {
	tb.Helper()
	var out []sentence
	err := fs.WalkDir(knowledge.FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".md") {
			return err
		}
		src, _ := fs.ReadFile(knowledge.FS, p)
		doc, err := kb.Parse(src)
		if err != nil || doc.Kind == xinqiao.KindCard {
			return nil
		}
		for _, s := range strings.FieldsFunc(kb.Plain(doc.Body), func(r rune) bool { return strings.ContainsRune("。！？\n", r) }) {
			if s = strings.TrimSpace(s); len([]rune(s)) >= 8 {
				out = append(out, sentence{doc.Lang, s})
			}
		}
		return nil
	})
	if err != nil || len(out) == 0 {
		tb.Fatalf("corpus sentences: %v (%d)", err, len(out))
	}
	return out
}

// bulkImporter is the stores' fast path for loading many new documents
// (COPY on PostgreSQL, one transaction on SQLite).
type bulkImporter interface {
	ImportBulk(ctx context.Context, vs []xinqiao.DocumentVersion, chunks [][]xinqiao.Chunk) error
}

// loadSynthetic stores n approved chunks, 10 per document, in batches of
// 1000 documents: texts are made and embedded on every CPU, then stored
// with the store's bulk import.
func loadSynthetic(tb testing.TB, st xinqiao.Store, emb xinqiao.Embedder, n int) {
	tb.Helper()
	ctx := context.Background()
	sents := corpusSentences(tb)
	byLang := map[string][]sentence{}
	for _, s := range sents {
		byLang[s.lang] = append(byLang[s.lang], s)
	}
	rng := rand.New(rand.NewPCG(1, uint64(n)))
	bands := [][]string{{"primary"}, {"junior", "senior"}, {"primary", "junior", "senior"}}
	const perDoc, batchDocs = 10, 1000
	start := time.Now()
	var embedTime, storeTime time.Duration
	for first := 0; first*perDoc < n; first += batchDocs {
		var vs []xinqiao.DocumentVersion
		var texts [][]string
		for d := first; d < first+batchDocs && d*perDoc < n; d++ {
			lang := "zh"
			if rng.IntN(10) == 0 {
				lang = "en"
			}
			pool := byLang[lang]
			v := xinqiao.DocumentVersion{DocID: fmt.Sprintf("syn-%06d", d), Version: 1, Title: pool[rng.IntN(len(pool))].text,
				Lang: lang, Kind: xinqiao.KindArticle, Audience: bands[rng.IntN(len(bands))], Topics: []string{"synthetic"},
				Body: "synthetic", Hash: fmt.Sprint(d), Author: "bench", Reviewer: "bench"}
			var ts []string
			for c := 0; c < perDoc && d*perDoc+c < n; c++ {
				var parts []string
				for range 3 + rng.IntN(3) {
					parts = append(parts, pool[rng.IntN(len(pool))].text)
				}
				ts = append(ts, v.Title+"\n"+strings.Join(parts, "。"))
			}
			vs, texts = append(vs, v), append(texts, ts)
		}
		t0 := time.Now()
		chunks := make([][]xinqiao.Chunk, len(vs))
		var wg sync.WaitGroup
		errs := make([]error, len(vs))
		next := make(chan int)
		for range runtime.GOMAXPROCS(0) {
			wg.Go(func() {
				for i := range next {
					vecs, err := emb.Embed(ctx, texts[i])
					if err != nil {
						errs[i] = err
						continue
					}
					cs := make([]xinqiao.Chunk, len(texts[i]))
					for j, t := range texts[i] {
						cs[j] = xinqiao.Chunk{Text: t, Context: t, Tokens: seg.Tokens(t), Embedding: vecs[j], Embedder: emb.Name(), Dim: emb.Dim()}
					}
					chunks[i] = cs
				}
			})
		}
		for i := range vs {
			next <- i
		}
		close(next)
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			tb.Fatal(err)
		}
		t1 := time.Now()
		embedTime += t1.Sub(t0)
		if bi, ok := st.(bulkImporter); ok {
			if err := bi.ImportBulk(ctx, vs, chunks); err != nil {
				tb.Fatal(err)
			}
		} else {
			for i, v := range vs {
				if err := st.ImportApproved(ctx, v, chunks[i]); err != nil {
					tb.Fatal(err)
				}
			}
		}
		storeTime += time.Since(t1)
	}
	tb.Logf("%s: loaded %d chunks in %v (embedding %v, storing %v)", st.Engine(), n, time.Since(start).Round(time.Millisecond),
		embedTime.Round(time.Millisecond), storeTime.Round(time.Millisecond))
}

func benchSizes() []int {
	sizes := []int{1000, 10000, 100000}
	if s := os.Getenv("KB_BENCH_SIZES"); s != "" {
		sizes = nil
		for _, f := range strings.Split(s, ",") {
			var n int
			fmt.Sscan(f, &n)
			sizes = append(sizes, n)
		}
	}
	return sizes
}

func benchQueries(tb testing.TB) []evalCase { return loadEval(tb) }

func BenchmarkSearch(b *testing.B) {
	emb, err := kb.NewLocalEmbedder(knowledge.FS, ".")
	if err != nil {
		b.Fatal(err)
	}
	queries := benchQueries(b)
	for _, e := range storetest.Engines(b) {
		for _, n := range benchSizes() {
			st := e.Open(b)
			loadSynthetic(b, st, emb, n)
			if pg, ok := st.(*postgres.DB); ok {
				buildIndex(b, pg, emb.Dim())
			}
			s := kb.NewSearcher(st, emb, kb.Options{})
			// Warm up: the SQLite store loads its vectors into memory once.
			if _, err := s.Search(context.Background(), "考试", kb.Filter{Lang: "zh"}); err != nil {
				b.Fatal(err)
			}
			for _, mode := range []kb.Mode{kb.Hybrid, kb.Vector, kb.Keyword} {
				b.Run(fmt.Sprintf("%s/%dk/%s", e.Name, n/1000, mode), func(b *testing.B) {
					lat := make([]time.Duration, 0, b.N)
					i := 0
					for b.Loop() {
						q := queries[i%len(queries)]
						i++
						t0 := time.Now()
						if _, err := s.Search(context.Background(), q.Q, kb.Filter{Lang: q.Lang, Band: q.Band, K: 5, Mode: mode}); err != nil {
							b.Fatal(err)
						}
						lat = append(lat, time.Since(t0))
					}
					reportPercentiles(b, lat)
				})
			}
			if pg, ok := st.(*postgres.DB); ok {
				for _, ef := range []int{40, 100, 200, 400} {
					b.Run(fmt.Sprintf("%s/%dk/hnsw-recall-ef%d", e.Name, n/1000, ef), func(b *testing.B) {
						for b.Loop() {
						}
						recall, p50, p99 := hnswRecall(b, pg, emb, queries, ef)
						b.ReportMetric(recall, "recall@10")
						b.ReportMetric(p50, "p50-ms")
						b.ReportMetric(p99, "p99-ms")
					})
				}
			}
		}
	}
}

// BenchmarkIndexSearch measures the searches every server runs: through
// the in-process index, loaded from a SQLite store of synthetic chunks
// (the index reads no database, so the engine it loaded from does not
// matter). Besides the wall-clock percentiles it reports those of the
// process CPU time each search took (Linux; run with -cpu 1 so that
// nothing else runs): on a shared, loaded machine the wall clock also
// counts the time other processes ran. Run:
//
//	KB_BENCH_SIZES=10000,100000 go test ./internal/kb/ -run '^$' -bench IndexSearch -benchtime 2000x
func BenchmarkIndexSearch(b *testing.B) {
	emb, err := kb.NewLocalEmbedder(knowledge.FS, ".")
	if err != nil {
		b.Fatal(err)
	}
	queries := benchQueries(b)
	for _, n := range benchSizes() {
		st := storetest.MustOpenSQLite(b)
		loadSynthetic(b, st, emb, n)
		index := kb.NewIndex(st, nil, nil)
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		t0 := time.Now()
		if err := index.Load(context.Background()); err != nil {
			b.Fatal(err)
		}
		loadTime := time.Since(t0)
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.Logf("index of %d chunks: loaded in %v, %.0f MiB of heap", n, loadTime.Round(time.Millisecond),
			float64(after.HeapAlloc-before.HeapAlloc)/(1<<20))
		s := kb.NewSearcher(st, emb, kb.Options{Index: index})
		for _, mode := range []kb.Mode{kb.Hybrid, kb.Vector, kb.Keyword} {
			b.Run(fmt.Sprintf("index/%dk/%s", n/1000, mode), func(b *testing.B) {
				lat := make([]time.Duration, 0, b.N)
				cpu := make([]time.Duration, 0, b.N)
				i := 0
				for b.Loop() {
					q := queries[i%len(queries)]
					i++
					c0, ok := kb.ProcessCPU()
					t0 := time.Now()
					if _, err := s.Search(context.Background(), q.Q, kb.Filter{Lang: q.Lang, Band: q.Band, K: 5, Mode: mode}); err != nil {
						b.Fatal(err)
					}
					lat = append(lat, time.Since(t0))
					if c1, _ := kb.ProcessCPU(); ok {
						cpu = append(cpu, c1-c0)
					}
				}
				reportPercentiles(b, lat)
				if len(cpu) > 0 {
					slices.Sort(cpu)
					b.ReportMetric(float64(cpu[len(cpu)/2].Microseconds())/1000, "cpu-p50-ms")
					b.ReportMetric(float64(cpu[(len(cpu)-1)*99/100].Microseconds())/1000, "cpu-p99-ms")
				}
			})
		}
	}
}

func reportPercentiles(b *testing.B, lat []time.Duration) {
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	pct := func(p float64) float64 {
		i := int(p * float64(len(lat)-1))
		return float64(lat[i].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
}

// buildIndex creates the HNSW index after the bulk load (much faster than
// maintaining it row by row) with memory and workers for the build; the
// definition is EnsureVectorIndex's, which then finds it.
func buildIndex(b *testing.B, db *postgres.DB, dim int) {
	ctx := context.Background()
	conn, err := db.Pool().Acquire(ctx)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Release()
	for _, q := range []string{`SET maintenance_work_mem = '1GB'`, `SET max_parallel_maintenance_workers = 2`} {
		if _, err := conn.Exec(ctx, q); err != nil {
			b.Fatal(err)
		}
	}
	start := time.Now()
	q := fmt.Sprintf(`CREATE INDEX kb_chunks_hnsw_%[1]d ON kb_chunks
		USING hnsw ((embedding::vector(%[1]d)) vector_cosine_ops) WITH (m = 16, ef_construction = 64) WHERE dim = %[1]d`, dim)
	if _, err := conn.Exec(ctx, q); err != nil {
		b.Fatal(err)
	}
	if _, err := conn.Exec(ctx, `RESET maintenance_work_mem; ANALYZE kb_chunks`); err != nil {
		b.Fatal(err)
	}
	if err := db.EnsureVectorIndex(ctx, dim); err != nil {
		b.Fatal(err)
	}
	b.Logf("postgres: HNSW index built in %v", time.Since(start).Round(time.Millisecond))
}

// hnswRecall is the mean share of the exact 10 nearest chunks (same
// filters) that the HNSW search with candidate list ef returns, with the
// percentiles of that search's latency.
func hnswRecall(b *testing.B, db *postgres.DB, emb xinqiao.Embedder, queries []evalCase, ef int) (recall, p50, p99 float64) {
	ctx := context.Background()
	var sum float64
	var lat []time.Duration
	for _, q := range queries {
		vecs, err := emb.Embed(ctx, []string{q.Q})
		if err != nil {
			b.Fatal(err)
		}
		f := xinqiao.ChunkFilter{Lang: q.Lang, Band: q.Band, K: 10}
		t0 := time.Now()
		approx, err := db.SearchVectorEf(ctx, vecs[0], f, ef)
		if err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t0))
		exact, err := db.SearchVectorExact(ctx, vecs[0], f)
		if err != nil {
			b.Fatal(err)
		}
		want := map[int64]bool{}
		for _, c := range exact {
			want[c.ID] = true
		}
		hit := 0
		for _, c := range approx {
			if want[c.ID] {
				hit++
			}
		}
		if len(exact) > 0 {
			sum += float64(hit) / float64(len(exact))
		}
	}
	slices.Sort(lat)
	pct := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000 }
	return sum / float64(len(queries)), pct(0.5), pct(0.99)
}
