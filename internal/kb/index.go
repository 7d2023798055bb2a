package kb

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"xinqiao/internal/xinqiao"
)

var indexChunks = promauto.NewGauge(prometheus.GaugeOpts{
	Name: "xinqiao_kb_index_chunks",
	Help: "Chunks in this node's in-process knowledge index.",
})

// EventKind is the event published after the retrievable knowledge changed
// (a version approved, imported or retired, vectors replaced): every node's
// Index reloads when it receives it.
const EventKind = "kb"

// Index is an in-process copy of the retrievable knowledge: every stored
// chunk with its keyword postings and document frequencies, its vector, and
// the current cards. Searches through it read no database. The store stays
// the source of truth: Load builds a new snapshot from it and swaps it in
// atomically, so a search sees either the old or the new knowledge, never a
// mix. Run reloads on every publish event from any node, after the event
// listener reconnects, and every few minutes as a safety net.
//
// The ranking is the hybrid search's on the embedded store: BM25 (k1 1.2,
// b 0.75, FTS5's formula) over the rarest query tokens within the same
// budget (keywordBudget, keywordMaxTerms), exact cosine similarity over
// vectors of the query's dimension, with the same filters; except that
// 2,000 or more dense vectors (an embedding endpoint's, not the local
// embedder's) are searched through a graph (hnsw), which finds nearly all
// of the nearest.
type Index struct {
	st     Store
	b      xinqiao.Broker
	log    *slog.Logger
	origin string // marks this index's own events, which it has already applied
	every  time.Duration

	mu     sync.Mutex // serialises loads so the newest read is swapped in last
	snap   atomic.Pointer[snapshot]
	reload chan struct{}
}

// NewIndex returns an index over st that tells the other nodes through b
// (nil: none). It holds nothing until Load.
func NewIndex(st Store, b xinqiao.Broker, log *slog.Logger) *Index {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Index{st: st, b: b, log: log, origin: "kb-" + xinqiao.NewID()[:12], every: 5 * time.Minute,
		reload: make(chan struct{}, 1)}
}

// Load reads every stored chunk and the current cards and swaps the new
// snapshot in.
func (x *Index) Load(ctx context.Context) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	start := time.Now()
	var chunks []xinqiao.Chunk
	const page = 1000
	for after := int64(0); ; {
		p, err := x.st.Chunks(ctx, after, page)
		if err != nil {
			return fmt.Errorf("load knowledge index: %w", err)
		}
		chunks = append(chunks, p...)
		if len(p) < page {
			break
		}
		after = p[len(p)-1].ID
	}
	cards, err := x.st.CurrentCards(ctx, "")
	if err != nil {
		return fmt.Errorf("load knowledge index: %w", err)
	}
	s := buildSnapshot(chunks, cards, x.snap.Load())
	x.snap.Store(s)
	indexChunks.Set(float64(len(s.chunks)))
	x.log.Debug("knowledge index loaded", "chunks", len(s.chunks), "cards", len(cards), "took", time.Since(start))
	return nil
}

// Loaded reports whether a snapshot is in place.
func (x *Index) Loaded() bool { return x != nil && x.snap.Load() != nil }

// Changed reloads this node's index at once and tells the other nodes to
// reload theirs: what a change of the knowledge through this node calls
// after its commit.
func (x *Index) Changed(ctx context.Context) {
	if x == nil {
		return
	}
	if err := x.Load(ctx); err != nil {
		x.log.Error("knowledge index not reloaded after a change; the previous one stays until the next event", "err", err)
	}
	Publish(ctx, x.b, x.origin, x.log)
}

// Publish tells every node that the knowledge changed. origin names the
// publisher ("" from outside a server, such as `xinqiao kb sync`).
func Publish(ctx context.Context, b xinqiao.Broker, origin string, log *slog.Logger) {
	if b == nil {
		return
	}
	if err := b.Publish(ctx, xinqiao.Event{Kind: EventKind, Origin: origin}); err != nil && log != nil {
		log.Warn("knowledge changed but the other nodes were not told; they reload within minutes", "err", err)
	}
}

// Run keeps the index current until ctx ends: it reloads on every
// knowledge event from another node, after the event listener reconnects,
// and every few minutes. It also reloads once as soon as it listens: a
// publish between the caller's first Load and the subscription sent an
// event nobody here heard.
func (x *Index) Run(ctx context.Context) {
	due := func() {
		select {
		case x.reload <- struct{}{}:
		default: // a reload is already due
		}
	}
	if x.b != nil {
		x.b.Subscribe(ctx, func(e xinqiao.Event) {
			if (e.Kind == EventKind && e.Origin != x.origin) || e.Kind == "resync" {
				due()
			}
		})
		due()
	}
	tick := time.NewTicker(x.every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-x.reload:
		case <-tick.C:
		}
		lctx, cancel := context.WithTimeout(ctx, time.Minute)
		if err := x.Load(lctx); err != nil && ctx.Err() == nil {
			x.log.Error("knowledge index not reloaded; the previous one stays", "err", err)
		}
		cancel()
	}
}

// source returns the snapshot, or nil before the first Load.
func (x *Index) source() *snapshot {
	if x == nil {
		return nil
	}
	return x.snap.Load()
}

// snapshot is one immutable generation of the index.
type snapshot struct {
	chunks   []xinqiao.Chunk // without Context, Tokens and Embedding
	tags     []chunkTags     // per chunk, what filters read
	kinds    map[string]uint8
	langs    map[string]uint8
	bandBits map[string]uint32
	byID     map[int64]int32
	postings map[string][]posting // in chunk order; also what coverage reads
	length   []float32            // tokens per chunk
	avgLen   float64
	vectors  map[int]*vectorGroup // by dimension
	cards    []xinqiao.DocumentVersion
	scratch  sync.Pool // *keywordScratch
}

// chunkTags are a chunk's kind, language and grade bands as small ids,
// so that a filter is a few integer comparisons.
type chunkTags struct {
	kind, lang uint8
	bands      uint32
}

// match is a filter compiled against a snapshot's tag ids.
type match struct {
	kind, lang uint8 // lang 0: any
	bands      uint32
	none       bool // a kind, language or band no chunk has
}

// keywordScratch is one keyword search's BM25 accumulator: a score per
// chunk, zero when untouched, and the chunks touched.
type keywordScratch struct {
	score   []float64
	touched []int32
}

// posting is one chunk holding a token, and how often.
type posting struct {
	chunk int32
	tf    int32
}

// buildSnapshot indexes chunks and cards. The vectors of a dimension whose
// chunks are those of prev (nil: none) are taken over with their graph
// rather than built again: the periodic reload and a change of cards only
// rebuild the keyword postings.
func buildSnapshot(chunks []xinqiao.Chunk, cards []xinqiao.DocumentVersion, prev *snapshot) *snapshot {
	s := &snapshot{chunks: make([]xinqiao.Chunk, len(chunks)), postings: map[string][]posting{},
		length: make([]float32, len(chunks)), vectors: map[int]*vectorGroup{}, cards: cards,
		byID: make(map[int64]int32, len(chunks)),
		tags: make([]chunkTags, len(chunks)), kinds: map[string]uint8{}, langs: map[string]uint8{}, bandBits: map[string]uint32{}}
	n := len(chunks) // not chunks itself, which the pool would keep alive
	s.scratch.New = func() any { return &keywordScratch{score: make([]float64, n)} }
	total := 0.0
	byDim := map[int][]int32{}
	entries := 0
	var sorted []string
	for i, c := range chunks {
		// Postings in chunk order, so the scoring order is stable.
		sorted = append(sorted[:0], c.Tokens...)
		slices.Sort(sorted)
		for j := 0; j < len(sorted); {
			k := j + 1
			for k < len(sorted) && sorted[k] == sorted[j] {
				k++
			}
			s.postings[sorted[j]] = append(s.postings[sorted[j]], posting{int32(i), int32(k - j)})
			entries++
			j = k
		}
		s.length[i] = float32(len(c.Tokens))
		total += float64(len(c.Tokens))
		s.tags[i] = s.tagsOf(&c)
		if len(c.Embedding) > 0 {
			byDim[len(c.Embedding)] = append(byDim[len(c.Embedding)], int32(i))
		}
		s.byID[c.ID] = int32(i)
		c.Context, c.Tokens = "", nil
		s.chunks[i] = c
	}
	// One array for every posting list, without the slack of appending.
	arena := make([]posting, 0, entries)
	for t, ps := range s.postings {
		arena = append(arena, ps...)
		s.postings[t] = arena[len(arena)-len(ps) : len(arena) : len(arena)]
	}
	if len(chunks) > 0 {
		s.avgLen = total / float64(len(chunks))
	}
	for dim, rows := range byDim {
		if prev != nil && prev.vectors[dim].reusable(rows, chunks) {
			s.vectors[dim] = prev.vectors[dim].withRows(rows)
			continue
		}
		s.vectors[dim] = newVectorGroup(dim, rows, chunks)
	}
	for i := range s.chunks {
		s.chunks[i].Embedding = nil
	}
	return s
}

// Coverage is coverage() of the chunk with id, from the tokens stored with
// it (the same tokens: those of its title, heading and text); ok is false
// for a chunk the snapshot does not hold.
func (s *snapshot) Coverage(qTokens []string, id int64) (float64, bool) {
	i, ok := s.byID[id]
	if !ok {
		return 0, false
	}
	if len(qTokens) == 0 {
		return 0, true
	}
	distinct, found := 0, 0
	eachDistinct(qTokens, func(t string) {
		distinct++
		if _, in := slices.BinarySearchFunc(s.postings[t], i, func(p posting, i int32) int { return int(p.chunk - i) }); in {
			found++
		}
	})
	return float64(found) / float64(distinct), true
}

// eachDistinct calls fn with each distinct token, in the order of first
// occurrence.
func eachDistinct(tokens []string, fn func(t string)) {
	if len(tokens) <= 32 {
		for i, t := range tokens {
			if !slices.Contains(tokens[:i], t) {
				fn(t)
			}
		}
		return
	}
	seen := make(map[string]bool, len(tokens))
	for _, t := range tokens {
		if !seen[t] {
			seen[t] = true
			fn(t)
		}
	}
}

// tagsOf returns c's tags, adding new kinds, languages and bands to the
// snapshot's ids (up to 255 kinds, 255 languages and 32 bands: beyond
// that, the last ones are not told apart).
func (s *snapshot) tagsOf(c *xinqiao.Chunk) chunkTags {
	id := func(ids map[string]uint8, v string) uint8 {
		if n, ok := ids[v]; ok {
			return n
		}
		n := uint8(min(len(ids)+1, 255))
		ids[v] = n
		return n
	}
	t := chunkTags{kind: id(s.kinds, c.Kind), lang: id(s.langs, c.Lang)}
	for _, b := range c.Audience {
		bit, ok := s.bandBits[b]
		if !ok {
			bit = 1 << min(len(s.bandBits), 31)
			s.bandBits[b] = bit
		}
		t.bands |= bit
	}
	return t
}

// match compiles f.
func (s *snapshot) match(f xinqiao.ChunkFilter) match {
	var m match
	var ok bool
	m.kind, ok = s.kinds[filterKind(f)]
	m.none = !ok
	if f.Lang != "" {
		m.lang, ok = s.langs[f.Lang]
		m.none = m.none || !ok
	}
	if f.Band != "" {
		m.bands, ok = s.bandBits[f.Band]
		m.none = m.none || !ok
	}
	return m
}

// keep reports whether chunk i passes the filter.
func (s *snapshot) keep(i int32, m match) bool {
	t := s.tags[i]
	return t.kind == m.kind && (m.lang == 0 || t.lang == m.lang) && (m.bands == 0 || t.bands&m.bands != 0)
}

func filterKind(f xinqiao.ChunkFilter) string {
	if f.Kind == "" {
		return xinqiao.KindArticle
	}
	return f.Kind
}

// Keyword search bounds its work by the rarity of the query's tokens, as the
// stores do: tokens are kept rarest first while their chunk counts add up
// to keywordBudget, at most keywordMaxTerms of them, always the rarest one.
const (
	keywordBudget   = 2000
	keywordMaxTerms = 16
	bm25K1          = 1.2
	bm25B           = 0.75
)

// SearchKeyword ranks the chunks holding any of the rarer query tokens by
// BM25, best first; equal scores in id order.
func (s *snapshot) SearchKeyword(_ context.Context, tokens []string, f xinqiao.ChunkFilter) ([]xinqiao.ScoredChunk, error) {
	m := s.match(f)
	if f.K <= 0 || len(s.chunks) == 0 || m.none {
		return nil, nil
	}
	var terms [][]posting
	eachDistinct(tokens, func(t string) {
		if ps := s.postings[t]; len(ps) > 0 {
			terms = append(terms, ps)
		}
	})
	// Rarest first; equal lengths in query order.
	slices.SortStableFunc(terms, func(a, b []posting) int { return len(a) - len(b) })
	n := float64(len(s.chunks))
	sc := s.scratch.Get().(*keywordScratch)
	defer s.scratch.Put(sc)
	score, touched := sc.score, sc.touched[:0]
	sum := 0
	for j, ps := range terms {
		if j > 0 && (sum+len(ps) > keywordBudget || j == keywordMaxTerms) {
			break
		}
		sum += len(ps)
		idf := math.Log((n - float64(len(ps)) + 0.5) / (float64(len(ps)) + 0.5))
		if idf <= 0 {
			idf = 1e-6
		}
		for _, p := range ps {
			if !s.keep(p.chunk, m) {
				continue
			}
			if score[p.chunk] == 0 {
				touched = append(touched, p.chunk)
			}
			tf := float64(p.tf)
			score[p.chunk] += idf * tf * (bm25K1 + 1) / (tf + bm25K1*(1-bm25B+bm25B*float64(s.length[p.chunk])/s.avgLen))
		}
	}
	type hit struct {
		chunk int32
		score float64
	}
	better := func(a, b hit) bool { return a.score > b.score || a.score == b.score && a.chunk < b.chunk }
	top := make([]hit, 0, f.K+1)
	for _, i := range touched {
		h := hit{i, score[i]}
		score[i] = 0
		if len(top) == f.K && !better(h, top[len(top)-1]) {
			continue
		}
		j := sort.Search(len(top), func(j int) bool { return better(h, top[j]) })
		top = append(top, hit{})
		copy(top[j+1:], top[j:])
		top[j] = h
		if len(top) > f.K {
			top = top[:f.K]
		}
	}
	sc.touched = touched
	out := make([]xinqiao.ScoredChunk, 0, len(top))
	for _, h := range top {
		out = append(out, xinqiao.ScoredChunk{Chunk: s.chunks[h.chunk], Score: h.score})
	}
	return out, nil
}

// vectorHit is one scored chunk.
type vectorHit struct {
	chunk int32
	score float32
}

// parallelRows is the number of rows from which the vector scan is split
// across the CPUs: below it one goroutine is faster than starting several.
const parallelRows = 20000

// SearchVector returns the chunks of the query's dimension nearest to vec
// by cosine similarity, best first; equal scores in id order. The search
// is exact, except through the graph of a large group of dense vectors
// (see hnsw), which finds nearly all of the nearest.
func (s *snapshot) SearchVector(_ context.Context, vec []float32, f xinqiao.ChunkFilter) ([]xinqiao.ScoredChunk, error) {
	g := s.vectors[len(vec)]
	m := s.match(f)
	if f.K <= 0 || g == nil || m.none {
		return nil, nil
	}
	q := xinqiao.UnitVector(vec)
	nz := make([]int, 0, 64)
	for d, v := range q {
		if v != 0 {
			nz = append(nz, d)
		}
	}
	if g.graph != nil {
		found := g.graph.search(q, f.K, func(r int32) bool { return s.keep(g.rows[r], m) })
		hits := make([]vectorHit, len(found))
		for i, c := range found {
			hits[i] = vectorHit{g.rows[c.row], g.score(q, nz, int(c.row))}
		}
		slices.SortFunc(hits, func(a, b vectorHit) int { return byBest(cand{a.chunk, a.score}, cand{b.chunk, b.score}) })
		out := make([]xinqiao.ScoredChunk, len(hits))
		for i, h := range hits {
			out[i] = xinqiao.ScoredChunk{Chunk: s.chunks[h.chunk], Score: float64(h.score)}
		}
		return out, nil
	}
	n := len(g.rows)
	parts := 1
	if n >= parallelRows {
		parts = max(1, min(runtime.GOMAXPROCS(0), n/(parallelRows/2)))
	}
	results := make([][]vectorHit, parts)
	step := (n + parts - 1) / parts
	scan := func(p int) {
		lo, hi := p*step, min(n, (p+1)*step)
		if lo >= hi {
			return
		}
		buf := g.scores.Get().(*[]float32)
		defer g.scores.Put(buf)
		scores := (*buf)[:hi-lo]
		g.accumulate(q, nz, lo, hi, scores)
		top := make([]vectorHit, 0, f.K+1)
		for r, sc := range scores {
			scores[r] = 0
			if len(top) == f.K && sc <= top[len(top)-1].score {
				continue
			}
			ci := g.rows[lo+r]
			if !s.keep(ci, m) {
				continue
			}
			j := sort.Search(len(top), func(j int) bool { return top[j].score < sc })
			top = append(top, vectorHit{})
			copy(top[j+1:], top[j:])
			top[j] = vectorHit{ci, sc}
			if len(top) > f.K {
				top = top[:f.K]
			}
		}
		results[p] = top
	}
	if parts == 1 {
		scan(0)
	} else {
		var wg sync.WaitGroup
		for p := range parts {
			wg.Go(func() { scan(p) })
		}
		wg.Wait()
	}
	all := results[0]
	for _, r := range results[1:] {
		all = append(all, r...)
	}
	if parts > 1 {
		sort.SliceStable(all, func(i, j int) bool {
			if all[i].score != all[j].score {
				return all[i].score > all[j].score
			}
			return all[i].chunk < all[j].chunk
		})
	}
	out := make([]xinqiao.ScoredChunk, 0, min(f.K, len(all)))
	for _, h := range all[:min(f.K, len(all))] {
		out = append(out, xinqiao.ScoredChunk{Chunk: s.chunks[h.chunk], Score: float64(h.score)})
	}
	return out, nil
}

// CurrentCards returns the current cards of lang ("" for all).
func (s *snapshot) CurrentCards(_ context.Context, lang string) ([]xinqiao.DocumentVersion, error) {
	if lang == "" {
		return s.cards, nil
	}
	var out []xinqiao.DocumentVersion
	for _, c := range s.cards {
		if strings.EqualFold(c.Lang, lang) {
			out = append(out, c)
		}
	}
	return out, nil
}
