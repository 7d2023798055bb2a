package kb

import (
	"sort"
	"sync"

	"xinqiao/internal/xinqiao"
)

// vectorGroup holds the unit vectors of one dimension. Sparse vectors (the
// local embedder's hashed n-grams, of which about a quarter of the components
// are non-zero) are stored column by column, each column as the rows where
// it is non-zero with their values: the score of every row for a query is a
// sum over the query's non-zero components of one column each, so a search
// reads only the entries it needs. Dense vectors (an embedding endpoint's)
// are stored row by row, and from graphMinRows rows a graph (hnsw) finds
// the nearest without reading them all.
type vectorGroup struct {
	dim  int
	rows []int32 // chunk index of each row
	// What the vectors are a function of, to reuse them in the next
	// snapshot when nothing changed: each row's chunk id, and the embedder
	// of all of them ("" when they differ).
	ids      []int64
	embedder string
	// Sparse: column d is entries start[d]..start[d+1] of row and val, rows
	// ascending.
	start []int32
	row   []int32
	val   []float32
	// Dense: vecs[r*dim : (r+1)*dim] is row r; nil when sparse.
	vecs  []float32
	graph *hnsw // dense groups of graphMinRows rows or more

	scores sync.Pool // *[]float32 of len(rows), all zero when put back
}

// newVectorGroup builds the group of the chunks' vectors of dim, one row
// per chunk index in rows.
func newVectorGroup(dim int, rows []int32, chunks []xinqiao.Chunk) *vectorGroup {
	g := &vectorGroup{dim: dim, rows: rows, ids: make([]int64, len(rows))}
	n := len(rows)
	for r, ci := range rows {
		g.ids[r] = chunks[ci].ID
	}
	if n > 0 {
		g.embedder = chunks[rows[0]].Embedder
		for _, ci := range rows {
			if chunks[ci].Embedder != g.embedder {
				g.embedder = ""
				break
			}
		}
	}
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
		g.vecs = make([]float32, dim*n)
		for r := range n {
			copy(g.vecs[r*dim:], unit(r))
		}
		if n >= graphMinRows {
			g.graph = newHNSW(g)
		}
	}
	g.scores.New = func() any { s := make([]float32, n); return &s }
	return g
}

// reusable reports whether the group holds the vectors of exactly these
// rows: the same chunks in the same order, embedded by the same embedder
// (a chunk's vector changes only with a new id or a re-embedding, which
// records another embedder).
func (g *vectorGroup) reusable(rows []int32, chunks []xinqiao.Chunk) bool {
	if g == nil || g.embedder == "" || len(rows) != len(g.ids) {
		return false
	}
	for r, ci := range rows {
		if chunks[ci].ID != g.ids[r] || chunks[ci].Embedder != g.embedder {
			return false
		}
	}
	return true
}

// withRows returns a group sharing g's vectors and graph (never changed
// after they are built) for a snapshot whose chunk indexes are rows.
func (g *vectorGroup) withRows(rows []int32) *vectorGroup {
	n := &vectorGroup{dim: g.dim, rows: rows, ids: g.ids, embedder: g.embedder,
		start: g.start, row: g.row, val: g.val, vecs: g.vecs, graph: g.graph}
	size := len(rows)
	n.scores.New = func() any { s := make([]float32, size); return &s }
	return n
}

// accumulate adds to scores[r-lo] the dot product of q (at its non-zero
// components nz, in that order) with row r, for the rows lo..hi-1.
func (g *vectorGroup) accumulate(q []float32, nz []int, lo, hi int, scores []float32) {
	n := len(g.rows)
	if g.vecs != nil {
		for r := lo; r < hi; r++ {
			scores[r-lo] = g.score(q, nz, r)
		}
		return
	}
	for _, d := range nz {
		qd := q[d]
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

// score is the dot product of q (at its non-zero components nz, in that
// order, as accumulate adds them) with dense row r.
func (g *vectorGroup) score(q []float32, nz []int, r int) float32 {
	v := g.vecs[r*g.dim : (r+1)*g.dim]
	var s float32
	for _, d := range nz {
		s += q[d] * v[d]
	}
	return s
}

// bytes is the memory the group's vectors take (the graph's links apart).
func (g *vectorGroup) bytes() int {
	return 4 * (len(g.rows) + len(g.start) + len(g.row) + len(g.val) + len(g.vecs))
}
