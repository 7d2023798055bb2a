package risk

import "sort"

// automaton is an Aho–Corasick automaton over normalised runes: every term of
// every rule and context set is found in one pass over the text.
type automaton struct {
	// the root's children: dense tables for ASCII and the CJK block every
	// message is mostly made of (0 means no child: the root is nobody's
	// child), a map for the rest.
	rootASCII [128]int32
	rootCJK   []int32 // index r - cjkLo
	root      map[rune]int32
	nodes     []acNode
	edges     []acEdge
	outs      []int32 // term ids, grouped per node
	tlen      []int32 // term length in runes, by term id
}

type acNode struct {
	fail           int32
	edgeLo, edgeHi int32
	outLo, outHi   int32
}

type acEdge struct {
	r    rune
	next int32
}

type buildNode struct {
	next map[rune]int32
	term int32 // -1 if none ends here
}

func buildAutomaton(terms []string) *automaton {
	bn := []buildNode{{next: map[rune]int32{}, term: -1}}
	a := &automaton{tlen: make([]int32, len(terms))}
	for id, t := range terms {
		rs := []rune(t)
		a.tlen[id] = int32(len(rs))
		s := int32(0)
		for _, r := range rs {
			nx, ok := bn[s].next[r]
			if !ok {
				nx = int32(len(bn))
				bn = append(bn, buildNode{next: map[rune]int32{}, term: -1})
				bn[s].next[r] = nx
			}
			s = nx
		}
		bn[s].term = int32(id)
	}
	fail := make([]int32, len(bn))
	order := make([]int32, 0, len(bn))
	queue := []int32{}
	for _, c := range bn[0].next {
		fail[c] = 0
		queue = append(queue, c)
	}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		order = append(order, s)
		for r, c := range bn[s].next {
			f := fail[s]
			for {
				if nx, ok := bn[f].next[r]; ok && nx != c {
					fail[c] = nx
					break
				}
				if f == 0 {
					fail[c] = 0
					break
				}
				f = fail[f]
			}
			queue = append(queue, c)
		}
	}
	a.nodes = make([]acNode, len(bn))
	a.root = map[rune]int32{}
	a.rootCJK = make([]int32, cjkHi-cjkLo+1)
	for r, c := range bn[0].next {
		switch {
		case r >= 0 && r < 128:
			a.rootASCII[r] = c
		case r >= cjkLo && r <= cjkHi:
			a.rootCJK[r-cjkLo] = c
		default:
			a.root[r] = c
		}
	}
	// outputs: own term, then the fail node's outputs (computed first: BFS order)
	outsOf := make([][]int32, len(bn))
	for _, s := range order {
		var o []int32
		if bn[s].term >= 0 {
			o = append(o, bn[s].term)
		}
		o = append(o, outsOf[fail[s]]...)
		outsOf[s] = o
	}
	for s := range bn {
		n := &a.nodes[s]
		n.fail = fail[s]
		n.edgeLo = int32(len(a.edges))
		if s != 0 {
			keys := make([]rune, 0, len(bn[s].next))
			for r := range bn[s].next {
				keys = append(keys, r)
			}
			sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
			for _, r := range keys {
				a.edges = append(a.edges, acEdge{r, bn[s].next[r]})
			}
		}
		n.edgeHi = int32(len(a.edges))
		n.outLo = int32(len(a.outs))
		a.outs = append(a.outs, outsOf[s]...)
		n.outHi = int32(len(a.outs))
	}
	return a
}

func (a *automaton) child(s int32, r rune) (int32, bool) {
	if s == 0 {
		switch {
		case r >= 0 && r < 128:
			c := a.rootASCII[r]
			return c, c != 0
		case r >= cjkLo && r <= cjkHi:
			c := a.rootCJK[r-cjkLo]
			return c, c != 0
		}
		c, ok := a.root[r]
		return c, ok
	}
	n := &a.nodes[s]
	if n.edgeHi-n.edgeLo == 1 { // most nodes deep in the trie
		if e := a.edges[n.edgeLo]; e.r == r {
			return e.next, true
		}
		return 0, false
	}
	lo, hi := n.edgeLo, n.edgeHi
	for hi-lo > 8 { // a node near the root has hundreds of children
		m := int32(uint32(lo+hi) >> 1)
		if a.edges[m].r <= r {
			lo = m
		} else {
			hi = m
		}
	}
	for i := lo; i < hi; i++ {
		e := a.edges[i]
		if e.r == r {
			return e.next, true
		}
		if e.r > r {
			break
		}
	}
	return 0, false
}

// hit is one occurrence of a term in normalised text: [start, end).
type hit struct {
	term       int32
	start, end int32
}

// scan appends every term occurrence in rs to hits.
func (a *automaton) scan(rs []rune, hits []hit) []hit {
	s := int32(0)
	for i, r := range rs {
		for {
			if c, ok := a.child(s, r); ok {
				s = c
				break
			}
			if s == 0 {
				break
			}
			s = a.nodes[s].fail
		}
		n := &a.nodes[s]
		for k := n.outLo; k < n.outHi; k++ {
			t := a.outs[k]
			end := int32(i + 1)
			hits = append(hits, hit{term: t, start: end - a.tlen[t], end: end})
		}
	}
	return hits
}
