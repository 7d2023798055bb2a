package kb

import (
	"sort"
	"sync"

	"xinqiao/internal/xinqiao"
)

// vectorGroup holds the unit vectors of one dimension column by column:
// the score of every row for a query is a sum over the query's non-zero
// components of one column each, so a sparse query (the local embedder's)
// costs its non-zeros times the rows, not the dimension. A column is stored
// sparse (the rows where it is non-zero, with their values) when that takes
// less memory than dense, as it does for the local embedder's hashed
// n-grams (about a fifth of the components are non-zero); then a query also
// reads only the non-zero entries. Dense embeddings keep dense columns.
type vectorGroup struct {
	dim  int
	rows []int32 // chunk index of each row
	// Sparse: column d is entries start[d]..start[d+1] of row and val, rows
	// ascending.
	start []int32
	row   []int32
	val   []float32
	// Dense: cols[d*len(rows)+r]; nil when sparse.
	cols []float32

	scores sync.Pool // *[]float32 of len(rows), all zero when put back
}

// newVectorGroup builds the group of the chunks' vectors of dim, one row
// per chunk index in rows.
func newVectorGroup(dim int, rows []int32, chunks []xinqiao.Chunk) *vectorGroup {
	g := &vectorGroup{dim: dim, rows: rows}
	n := len(rows)
	unit := func(r int) []float32 { return xinqiao.UnitVector(chunks[rows[r]].Embedding) }
	count := make([]int32, dim+1)
	nnz := 0
	for r := range n {
		for d, f := range chunks[rows[r]].Embedding {
			if f != 0 {
				count[d+1]++
				nnz++
			}
		}
	}
	// An entry takes 8 bytes sparse, a component 4 bytes dense.
	if 2*nnz < n*dim {
		g.start = count
		for d := range dim {
			g.start[d+1] += g.start[d]
		}
		g.row, g.val = make([]int32, nnz), make([]float32, nnz)
		next := make([]int32, dim)
		copy(next, g.start)
		for r := range n {
			u := unit(r)
			for d, f := range chunks[rows[r]].Embedding {
				if f != 0 {
					g.row[next[d]], g.val[next[d]] = int32(r), u[d]
					next[d]++
				}
			}
		}
	} else {
		g.cols = make([]float32, dim*n)
		for r := range n {
			for d, f := range unit(r) {
				g.cols[d*n+r] = f
			}
		}
	}
	g.scores.New = func() any { s := make([]float32, n); return &s }
	return g
}

// accumulate adds to scores[r-lo] the dot product of q (at its non-zero
// components nz, in that order) with row r, for the rows lo..hi-1.
func (g *vectorGroup) accumulate(q []float32, nz []int, lo, hi int, scores []float32) {
	n := len(g.rows)
	for _, d := range nz {
		qd := q[d]
		if g.cols != nil {
			col := g.cols[d*n+lo : d*n+hi]
			col = col[:len(scores)]
			for r, v := range col {
				scores[r] += qd * v
			}
			continue
		}
		a, b := int(g.start[d]), int(g.start[d+1])
		rows := g.row[a:b]
		if lo > 0 || hi < n {
			a += sort.Search(len(rows), func(i int) bool { return int(rows[i]) >= lo })
			b = int(g.start[d]) + sort.Search(len(rows), func(i int) bool { return int(rows[i]) >= hi })
			rows = g.row[a:b]
		}
		vals := g.val[a:b]
		vals = vals[:len(rows)]
		if lo == 0 {
			for i, r := range rows {
				scores[r] += qd * vals[i]
			}
			continue
		}
		for i, r := range rows {
			scores[int(r)-lo] += qd * vals[i]
		}
	}
}

// bytes is the memory the group's vectors take.
func (g *vectorGroup) bytes() int {
	return 4 * (len(g.rows) + len(g.start) + len(g.row) + len(g.val) + len(g.cols))
}
