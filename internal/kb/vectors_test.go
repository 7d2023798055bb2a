package kb

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"testing"

	"xinqiao/internal/xinqiao"
)

// TestVectorGroupLayouts scores random queries against sparse vectors
// (stored as sparse columns) and dense ones (dense columns), over the whole
// range and over the row ranges the parallel scan splits into, against
// plain dot products of the unit vectors.
func TestVectorGroupLayouts(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 13))
	const dim, n = 64, 500
	for _, density := range []float64{0.1, 1} {
		chunks := make([]xinqiao.Chunk, n)
		rows := make([]int32, n)
		for i := range chunks {
			v := make([]float32, dim)
			for d := range v {
				if rng.Float64() < density {
					v[d] = float32(rng.NormFloat64())
				}
			}
			chunks[i].Embedding, rows[i] = v, int32(i)
		}
		g := newVectorGroup(dim, rows, chunks)
		if sparse := g.vecs == nil; sparse != (density < 0.5) {
			t.Fatalf("density %.1f: got sparse %v", density, sparse)
		}
		for range 20 {
			q := make([]float32, dim)
			var nz []int
			for d := range q {
				if rng.IntN(4) == 0 {
					q[d] = float32(rng.NormFloat64())
					nz = append(nz, d)
				}
			}
			for _, span := range [][2]int{{0, n}, {0, 137}, {137, 300}, {300, n}} {
				lo, hi := span[0], span[1]
				scores := make([]float32, hi-lo)
				g.accumulate(q, nz, lo, hi, scores)
				for r := lo; r < hi; r++ {
					var want float32
					u := xinqiao.UnitVector(chunks[r].Embedding)
					for _, d := range nz {
						want += q[d] * u[d]
					}
					if scores[r-lo] != want {
						t.Fatalf("density %.1f rows %d-%d: row %d scored %v, want %v", density, lo, hi, r, scores[r-lo], want)
					}
				}
			}
		}
	}
}

// BenchmarkDenseVectorScan measures the exact scan over dense vectors, as
// an embedding endpoint returns them (every component non-zero), for the
// decision between exact search and a graph index at large sizes. Run:
//
//	KB_DENSE_ROWS=20000 KB_DENSE_DIM=1536 go test ./internal/kb -run '^$' -bench DenseVectorScan -cpu 1
func BenchmarkDenseVectorScan(b *testing.B) {
	n, dim := 20000, 1536
	fmt.Sscan(os.Getenv("KB_DENSE_ROWS"), &n)
	fmt.Sscan(os.Getenv("KB_DENSE_DIM"), &dim)
	rng := rand.New(rand.NewPCG(1, 2))
	chunks := make([]xinqiao.Chunk, n)
	for i := range chunks {
		v := make([]float32, dim)
		for d := range v {
			v[d] = float32(rng.NormFloat64())
		}
		chunks[i] = xinqiao.Chunk{ID: int64(i + 1), Embedding: v, Kind: xinqiao.KindArticle, Lang: "zh"}
	}
	s := buildSnapshot(chunks, nil, nil)
	q := make([]float32, dim)
	for d := range q {
		q[d] = float32(rng.NormFloat64())
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := s.SearchVector(context.Background(), q, xinqiao.ChunkFilter{Lang: "zh", K: 50}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(s.vectors[dim].bytes())/(1<<20), "MiB")
}
