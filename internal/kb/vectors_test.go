package kb

import (
	"math/rand/v2"
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
		if sparse := g.cols == nil; sparse != (density < 0.5) {
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
