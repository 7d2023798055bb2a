package kb

import (
	"math"
	"math/rand/v2"
	"slices"
	"sync"
)

// graphMinRows is the size from which a dense vector group is searched
// through a graph: below it the exact scan costs under a millisecond or so
// (1000 rows of 1024 dimensions), and an exact answer is worth it.
const graphMinRows = 2000

// Graph parameters: links per node (twice as many on the bottom layer),
// the candidate list while building, and the smallest one while searching
// (a search for k takes max(graphEf, 2k)). BenchmarkGraphRecall and
// TestGraphRecall measure their recall against exact search.
const (
	graphM        = 16
	graphEfBuild  = 100
	graphEf       = 64
	graphMaxLevel = 16
	graphSeed     = 0x78696e7169616f // fixed: the same rows build the same graph
)

// hnsw is a hierarchical navigable small world graph (Malkov and
// Yashunin) over the rows of a dense vector group, built once when the
// snapshot is built (a snapshot is never changed, so there is no insertion
// afterwards and no locking). Similarity is the dot product of the unit
// vectors.
type hnsw struct {
	g     *vectorGroup
	entry int32
	top   int
	// links[l][r] are row r's neighbours on layer l (nil above its level).
	links   [][][]int32
	visited sync.Pool // *visitSet
}

// visitSet marks the rows one search has seen: mark[r] == gen.
type visitSet struct {
	mark []uint32
	gen  uint32
}

func (v *visitSet) next() {
	v.gen++
	if v.gen == 0 { // wrapped: start again from clean marks
		clear(v.mark)
		v.gen = 1
	}
}

// cand is a row and its similarity to the query.
type cand struct {
	row int32
	sim float32
}

func (h *hnsw) sim(q []float32, r int32) float32 {
	d := h.g.dim
	v := h.g.vecs[int(r)*d : int(r)*d+d]
	q = q[:len(v)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(v); i += 4 {
		s0 += q[i] * v[i]
		s1 += q[i+1] * v[i+1]
		s2 += q[i+2] * v[i+2]
		s3 += q[i+3] * v[i+3]
	}
	for ; i < len(v); i++ {
		s0 += q[i] * v[i]
	}
	return s0 + s1 + s2 + s3
}

func (h *hnsw) vec(r int32) []float32 {
	d := h.g.dim
	return h.g.vecs[int(r)*d : int(r)*d+d]
}

// newHNSW builds the graph over g's rows, inserting them in order with
// levels drawn from a fixed seed.
func newHNSW(g *vectorGroup) *hnsw {
	n := len(g.rows)
	h := &hnsw{g: g}
	h.visited.New = func() any { return &visitSet{mark: make([]uint32, n)} }
	rng := rand.New(rand.NewPCG(graphSeed, uint64(n)))
	mL := 1 / math.Log(graphM)
	levels := make([]int, n)
	for r := range levels {
		levels[r] = min(graphMaxLevel, int(-math.Log(1-rng.Float64())*mL))
	}
	h.links = make([][][]int32, slices.Max(levels)+1)
	for l := range h.links {
		h.links[l] = make([][]int32, n)
	}
	vis := h.visited.Get().(*visitSet)
	defer h.visited.Put(vis)
	for r := range n {
		h.insert(int32(r), levels[r], vis)
	}
	return h
}

func (h *hnsw) insert(x int32, level int, vis *visitSet) {
	for l := 0; l <= level; l++ {
		h.links[l][x] = make([]int32, 0, h.maxLinks(l))
	}
	if x == 0 {
		h.entry, h.top = 0, level
		return
	}
	q := h.vec(x)
	ep := []cand{{h.entry, h.sim(q, h.entry)}}
	for l := h.top; l > level; l-- {
		ep = h.searchLayer(q, ep, 1, l, vis, nil)
	}
	for l := min(level, h.top); l >= 0; l-- {
		w := h.searchLayer(q, ep, graphEfBuild, l, vis, nil)
		for _, c := range h.selectNeighbours(w, graphM) {
			h.links[l][x] = append(h.links[l][x], c.row)
			h.link(c.row, x, l)
		}
		ep = w
	}
	if level > h.top {
		h.entry, h.top = x, level
	}
}

func (h *hnsw) maxLinks(l int) int {
	if l == 0 {
		return 2 * graphM
	}
	return graphM
}

// link adds x to r's neighbours on layer l; when r has too many, it drops
// the least similar (the heuristic of an insertion costs many more
// similarities here, for little recall).
func (h *hnsw) link(r, x int32, l int) {
	ns := append(h.links[l][r], x)
	if len(ns) > h.maxLinks(l) {
		q := h.vec(r)
		worst, worstSim := 0, float32(math.Inf(1))
		for i, n := range ns {
			if s := h.sim(q, n); s < worstSim {
				worst, worstSim = i, s
			}
		}
		ns = slices.Delete(ns, worst, worst+1)
	}
	h.links[l][r] = ns
}

// byBest orders candidates by similarity, best first; equal ones by row.
func byBest(a, b cand) int {
	switch {
	case a.sim > b.sim:
		return -1
	case a.sim < b.sim:
		return 1
	}
	return int(a.row - b.row)
}

// selectNeighbours keeps up to m of the candidates (best first): each one
// more similar to the new node than to any already kept, so the links
// point in different directions; then the best of the rest, up to m.
func (h *hnsw) selectNeighbours(cs []cand, m int) []cand {
	if len(cs) <= m {
		return cs
	}
	kept := make([]cand, 0, m)
	var rest []cand
	for _, c := range cs {
		if len(kept) == m {
			break
		}
		v := h.vec(c.row)
		ok := true
		for _, k := range kept {
			if h.sim(v, k.row) > c.sim {
				ok = false
				break
			}
		}
		if ok {
			kept = append(kept, c)
		} else {
			rest = append(rest, c)
		}
	}
	for _, c := range rest {
		if len(kept) == m {
			break
		}
		kept = append(kept, c)
	}
	return kept
}

// searchLayer returns up to ef rows of layer l nearest q, best first,
// starting from ep. With keep, only rows it accepts are returned (all rows
// are still walked through), and the search goes on while fewer than ef
// have been found.
func (h *hnsw) searchLayer(q []float32, ep []cand, ef, l int, vis *visitSet, keep func(row int32) bool) []cand {
	vis.next()
	var todo, found candHeap // todo: best on top; found: worst on top
	todo.better, found.better = true, false
	for _, c := range ep {
		vis.mark[c.row] = vis.gen
		todo.push(c)
		if keep == nil || keep(c.row) {
			found.push(c)
		}
	}
	for len(todo.cs) > 0 {
		c := todo.pop()
		if len(found.cs) >= ef && c.sim < found.cs[0].sim {
			break
		}
		for _, n := range h.links[l][c.row] {
			if vis.mark[n] == vis.gen {
				continue
			}
			vis.mark[n] = vis.gen
			s := h.sim(q, n)
			if len(found.cs) < ef || s > found.cs[0].sim {
				todo.push(cand{n, s})
				if keep == nil || keep(n) {
					found.push(cand{n, s})
					if len(found.cs) > ef {
						found.pop()
					}
				}
			}
		}
	}
	out := found.cs
	slices.SortFunc(out, byBest)
	return out
}

// search returns up to k rows nearest q that keep accepts, best first.
func (h *hnsw) search(q []float32, k int, keep func(row int32) bool) []cand {
	vis := h.visited.Get().(*visitSet)
	defer h.visited.Put(vis)
	ep := []cand{{h.entry, h.sim(q, h.entry)}}
	for l := h.top; l > 0; l-- {
		ep = h.searchLayer(q, ep, 1, l, vis, nil)
	}
	out := h.searchLayer(q, ep, max(graphEf, 2*k), 0, vis, keep)
	return out[:min(k, len(out))]
}

// candHeap is a binary heap of candidates: the best on top when better,
// else the worst.
type candHeap struct {
	cs     []cand
	better bool
}

func (h *candHeap) less(i, j int) bool {
	if h.better {
		return h.cs[i].sim > h.cs[j].sim
	}
	return h.cs[i].sim < h.cs[j].sim
}

func (h *candHeap) push(c cand) {
	h.cs = append(h.cs, c)
	for i := len(h.cs) - 1; i > 0; {
		p := (i - 1) / 2
		if !h.less(i, p) {
			break
		}
		h.cs[i], h.cs[p] = h.cs[p], h.cs[i]
		i = p
	}
}

func (h *candHeap) pop() cand {
	top := h.cs[0]
	last := len(h.cs) - 1
	h.cs[0] = h.cs[last]
	h.cs = h.cs[:last]
	for i := 0; ; {
		l, r, m := 2*i+1, 2*i+2, i
		if l < last && h.less(l, m) {
			m = l
		}
		if r < last && h.less(r, m) {
			m = r
		}
		if m == i {
			break
		}
		h.cs[i], h.cs[m] = h.cs[m], h.cs[i]
		i = m
	}
	return top
}
