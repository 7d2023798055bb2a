package risk

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"

	"xinqiao/internal/xinqiao"
)

// Exemplar is one labelled message the exemplar opinion compares with.
type Exemplar struct {
	Text       string
	Level      Level
	Categories []Category
}

// ownCases holds the team's own labelled cases, one file per theme (see
// Case). One copy, in exemplars/.
//
//go:embed exemplars/*.txt
var ownCases embed.FS

// OwnExemplars returns our own labelled cases as exemplars. A case's level
// is the lowest level its label allows ("<=low" → none, ">=medium" →
// medium, "medium..high" → medium): the least the label vouches for, so that
// an opinion built on it errs low. Its categories are the required ones.
func OwnExemplars() ([]Exemplar, error) {
	cs, err := OwnCases()
	if err != nil {
		return nil, err
	}
	out := make([]Exemplar, len(cs))
	for i, c := range cs {
		out[i] = Exemplar{Text: c.Text, Level: c.Min, Categories: c.Want}
	}
	return out, nil
}

// ExemplarOptions tunes the exemplar opinion. Zero fields take the defaults
// given on each field (chosen on the tuning half of PsySUICIDE with the local
// embedder; see BENCHMARKS.md).
type ExemplarOptions struct {
	// K is how many nearest exemplars are looked at. Default 5.
	K int
	// MinSimilarity is the cosine below which a neighbour has no vote.
	// Default 0.6: with the local embedder that is a near paraphrase of a
	// labelled case; lower thresholds let topic words alone vote.
	MinSimilarity float32
	// MinVoters is how many neighbours at or above MinSimilarity are needed
	// for any opinion other than none. Default 1.
	MinVoters int
	// MediumShare is the share of the voters' similarity weight that must
	// lie on exemplars at medium or above for the opinion to be medium.
	// Default 0.6.
	MediumShare float64
	// HighShare is the share that must lie on exemplars at high or above
	// for the opinion to be high; the opinion is never imminent. Default 0.8.
	HighShare float64
	// MinHighVoters is how many voters a high opinion needs at least (one
	// resembling case is not strong agreement). Default 2.
	MinHighVoters int
	// HistoryTurns, when positive, blends the mean vector of the last
	// HistoryTurns earlier student messages into the query at half the
	// weight of the message. Default 0: the message alone (the only setting
	// measured).
	HistoryTurns int
}

func (o ExemplarOptions) withDefaults() ExemplarOptions {
	if o.K <= 0 {
		o.K = 5
	}
	if o.MinSimilarity <= 0 {
		o.MinSimilarity = 0.6
	}
	if o.MinVoters <= 0 {
		o.MinVoters = 1
	}
	if o.MinHighVoters <= 0 {
		o.MinHighVoters = 2
	}
	if o.MediumShare <= 0 {
		o.MediumShare = 0.6
	}
	if o.HighShare <= 0 {
		o.HighShare = 0.8
	}
	return o
}

// ExemplarOpinion is a layer-3 second opinion by similarity to labelled
// exemplars: the message is embedded, the K nearest exemplars by cosine are
// found, and those at or above MinSimilarity vote with their similarity as
// weight. The opinion is medium when MediumShare of the weight lies on
// exemplars at medium or above, high when HighShare lies at high or above,
// and otherwise none: a vote never yields low (Combine would file it under
// crisis for nothing a counselor can act on) and never imminent (which
// needs a plan with means and a near time, not a resemblance). It is safe
// for concurrent use; the exemplars are fixed at construction.
type ExemplarOpinion struct {
	emb   xinqiao.Embedder
	opts  ExemplarOptions
	n     int
	dim   int
	mat   []float32 // dim × n, transposed: mat[d*n+j] is dimension d of exemplar j
	level []Level
	cats  [][]Category
	pool  sync.Pool // *[]float32 of length n
}

var _ SecondOpinion = (*ExemplarOpinion)(nil)

// NewExemplarOpinion embeds the exemplars with emb (the configured
// embedder) and precomputes their matrix.
func NewExemplarOpinion(ctx context.Context, emb xinqiao.Embedder, exemplars []Exemplar, opts ExemplarOptions) (*ExemplarOpinion, error) {
	if emb == nil {
		return nil, errors.New("risk: exemplar opinion: no embedder")
	}
	if len(exemplars) == 0 {
		return nil, errors.New("risk: exemplar opinion: no exemplars")
	}
	dim := emb.Dim()
	if dim <= 0 {
		return nil, fmt.Errorf("risk: exemplar opinion: embedder %s has dimension %d", emb.Name(), dim)
	}
	n := len(exemplars)
	e := &ExemplarOpinion{
		emb: emb, opts: opts.withDefaults(), n: n, dim: dim,
		mat:   make([]float32, dim*n),
		level: make([]Level, n),
		cats:  make([][]Category, n),
	}
	const batch = 128
	texts := make([]string, 0, batch)
	for start := 0; start < n; start += batch {
		end := min(start+batch, n)
		texts = texts[:0]
		for _, ex := range exemplars[start:end] {
			texts = append(texts, ex.Text)
		}
		vecs, err := emb.Embed(ctx, texts)
		if err != nil {
			return nil, fmt.Errorf("risk: exemplar opinion: embedding exemplars with %s: %w", emb.Name(), err)
		}
		if len(vecs) != len(texts) {
			return nil, fmt.Errorf("risk: exemplar opinion: %s returned %d vectors for %d texts", emb.Name(), len(vecs), len(texts))
		}
		for i, v := range vecs {
			j := start + i
			if len(v) != dim {
				return nil, fmt.Errorf("risk: exemplar opinion: %s returned a vector of length %d, want %d", emb.Name(), len(v), dim)
			}
			for d, x := range v {
				e.mat[d*n+j] = x
			}
		}
	}
	for j, ex := range exemplars {
		if ex.Level < None || ex.Level > Imminent {
			return nil, fmt.Errorf("risk: exemplar opinion: exemplar %d has invalid level %d", j, int(ex.Level))
		}
		e.level[j] = ex.Level
		for _, c := range ex.Categories {
			if !validCategory(c) {
				return nil, fmt.Errorf("risk: exemplar opinion: exemplar %d has unknown category %q", j, c)
			}
		}
		e.cats[j] = append([]Category(nil), ex.Categories...)
	}
	e.pool.New = func() any { s := make([]float32, n); return &s }
	return e, nil
}

// Len is the number of exemplars.
func (e *ExemplarOpinion) Len() int { return e.n }

// Assess implements SecondOpinion. Its Reason names the number of voters,
// their similarity and the share of the vote, never an exemplar's text.
func (e *ExemplarOpinion) Assess(ctx context.Context, text string, history []string) (Opinion, error) {
	return e.assess(ctx, text, history, -1)
}

// neighbour is one of the K nearest exemplars.
type neighbour struct {
	j   int
	sim float32
}

func (e *ExemplarOpinion) assess(ctx context.Context, text string, history []string, exclude int) (Opinion, error) {
	if err := ctx.Err(); err != nil {
		return Opinion{}, err
	}
	if strings.TrimSpace(text) == "" {
		return Opinion{Level: None, Reason: "exemplar: empty message"}, nil
	}
	texts := []string{text}
	if h := e.opts.HistoryTurns; h > 0 && len(history) > 0 {
		if len(history) > h {
			history = history[len(history)-h:]
		}
		texts = append(texts, history...)
	}
	vecs, err := e.emb.Embed(ctx, texts)
	if err != nil {
		return Opinion{}, err
	}
	if len(vecs) != len(texts) || len(vecs[0]) != e.dim {
		return Opinion{}, fmt.Errorf("risk: exemplar opinion: %s returned vectors of the wrong shape", e.emb.Name())
	}
	if err := ctx.Err(); err != nil {
		return Opinion{}, err
	}
	q := vecs[0]
	if len(vecs) > 1 {
		q = blend(q, vecs[1:], e.dim)
	}

	sp := e.pool.Get().(*[]float32)
	defer e.pool.Put(sp)
	scores := *sp
	clear(scores)
	n := e.n
	// Sparse-friendly matrix–vector product: the local embedder's vectors
	// have a few dozen non-zero dimensions, so only those rows are read.
	for d, x := range q {
		if x == 0 {
			continue
		}
		row := e.mat[d*n : d*n+n : d*n+n]
		axpy(scores, row, x)
	}
	if exclude >= 0 && exclude < n {
		scores[exclude] = -2
	}
	return e.vote(topK(scores, e.opts.K)), nil
}

// blend mixes the message vector with half the weight of the mean of the
// history vectors and renormalises.
func blend(q []float32, hist [][]float32, dim int) []float32 {
	out := make([]float32, dim)
	w := 0.5 / float32(len(hist))
	for _, h := range hist {
		if len(h) != dim {
			return q
		}
		for i, x := range h {
			out[i] += w * x
		}
	}
	var norm float64
	for i, x := range q {
		out[i] += x
		norm += float64(out[i]) * float64(out[i])
	}
	if norm == 0 {
		return q
	}
	inv := float32(1 / math.Sqrt(norm))
	for i := range out {
		out[i] *= inv
	}
	return out
}

func axpy(dst, src []float32, a float32) {
	src = src[:len(dst)]
	i := 0
	for ; i+4 <= len(dst); i += 4 {
		dst[i] += a * src[i]
		dst[i+1] += a * src[i+1]
		dst[i+2] += a * src[i+2]
		dst[i+3] += a * src[i+3]
	}
	for ; i < len(dst); i++ {
		dst[i] += a * src[i]
	}
}

// topK returns the k highest scores, best first.
func topK(scores []float32, k int) []neighbour {
	if k > len(scores) {
		k = len(scores)
	}
	top := make([]neighbour, 0, k)
	for j, s := range scores {
		if len(top) == k && s <= top[k-1].sim {
			continue
		}
		if len(top) < k {
			top = append(top, neighbour{})
		}
		i := len(top) - 1
		for ; i > 0 && top[i-1].sim < s; i-- {
			top[i] = top[i-1]
		}
		top[i] = neighbour{j, s}
	}
	return top
}

// vote turns the nearest exemplars into an opinion.
func (e *ExemplarOpinion) vote(top []neighbour) Opinion {
	o := e.opts
	var voters int
	var total, atMedium, atHigh float64
	var best float32
	for _, nb := range top {
		if nb.sim < o.MinSimilarity {
			continue
		}
		voters++
		w := float64(nb.sim)
		total += w
		if e.level[nb.j] >= Medium {
			atMedium += w
		}
		if e.level[nb.j] >= High {
			atHigh += w
		}
		best = max(best, nb.sim)
	}
	if voters == 0 {
		return Opinion{Level: None, Reason: fmt.Sprintf("exemplar: no neighbour among the %d nearest at cosine ≥ %.2f", len(top), o.MinSimilarity)}
	}
	level := None
	switch {
	case voters < o.MinVoters:
	case voters >= o.MinHighVoters && atHigh/total >= o.HighShare:
		level = High
	case atMedium/total >= o.MediumShare:
		level = Medium
	}
	op := Opinion{
		Level: level,
		Reason: fmt.Sprintf("exemplar: %d of the %d nearest labelled cases at cosine ≥ %.2f (best %.2f); %.0f%% of their weight at medium or above, %.0f%% at high or above",
			voters, len(top), o.MinSimilarity, best, 100*atMedium/total, 100*atHigh/total),
	}
	if level == None {
		return op
	}
	// Categories carried by at least half the weight of the voters at or
	// above the opinion's level.
	var support float64
	weight := map[Category]float64{}
	for _, nb := range top {
		if nb.sim < o.MinSimilarity || e.level[nb.j] < level {
			continue
		}
		support += float64(nb.sim)
		for _, c := range e.cats[nb.j] {
			weight[c] += float64(nb.sim)
		}
	}
	for _, c := range Categories {
		if weight[c] >= support/2 {
			op.Categories = append(op.Categories, c)
		}
	}
	return op
}
