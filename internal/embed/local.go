// Package embed holds the local embedder: offline, deterministic and
// CJK-aware, the default when no embedding endpoint is configured. (The
// OpenAI-compatible embedder lives in internal/openai; both implement
// xinqiao.Embedder.)
//
// The local embedder is a hashed bag of character and word n-grams with IDF
// weights: for Han text it takes character unigrams, bigrams and trigrams
// (bigrams carry most of the meaning of Chinese words, trigrams catch
// three-character words and phrases, unigrams catch single-character words
// and some typos); for English it takes stemmed words, word bigrams and
// character trigrams of each word (which tolerate misspellings). Each
// feature is hashed into one of Dim buckets with a hashed sign, weighted by
// (1 + ln tf) · idf · the weight of its kind, and the vector is L2
// normalised, so cosine similarity is a weighted n-gram overlap. The IDF
// table is learned from a corpus given at construction (the embedded vetted
// material), and its fingerprint is part of Name: a change of the corpus is
// a change of model, which the kb start-up check detects.
package embed

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"sort"
	"strings"

	"xinqiao/internal/kb/seg"
	"xinqiao/internal/xinqiao"
)

// DefaultDim is the local embedder's dimension. Hash collisions cost
// recall: on the retrieval evaluation, vector-only hit@3 is 0.80 at 512 and
// 0.90 at 1024. 1024 stays under pgvector's HNSW limit (2000); 100k chunks
// take 400 MB in the SQLite store's in-process search.
const DefaultDim = 1024

// Feature kinds and their weights.
const (
	kHan1, kHan2, kHan3 = 'u', 'b', 't'
	kWord, kWord2, kTri = 'w', 'p', 'c'
	kDigit              = 'd'
)

var kindWeight = map[byte]float64{
	kHan1: 1.0, kHan2: 1.0, kHan3: 0.2,
	kWord: 1.0, kWord2: 0.5, kTri: 0.25,
	kDigit: 0.5,
}

// Local is the local embedder. It is safe for concurrent use.
type Local struct {
	dim    int
	idf    map[uint64]float32
	maxIDF float32
	name   string
}

var _ xinqiao.Embedder = (*Local)(nil)

// NewLocal returns a local embedder of DefaultDim whose IDF weights are
// learned from corpus (one text per chunk). An empty corpus weighs every
// feature alike.
func NewLocal(corpus []string) *Local { return NewLocalDim(corpus, DefaultDim) }

// NewLocalDim is NewLocal with a chosen dimension.
func NewLocalDim(corpus []string, dim int) *Local {
	df := map[uint64]int{}
	for _, text := range corpus {
		seen := map[uint64]bool{}
		features(text, func(h uint64, _ byte) {
			if !seen[h] {
				seen[h] = true
				df[h]++
			}
		})
	}
	n := float64(len(corpus))
	l := &Local{dim: dim, idf: make(map[uint64]float32, len(df)), maxIDF: float32(math.Log(n+1) + 1)}
	keys := make([]uint64, 0, len(df))
	for h, d := range df {
		l.idf[h] = float32(math.Log((n+1)/float64(d+1)) + 1)
		keys = append(keys, h)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	sum := sha256.New()
	var b [12]byte
	for _, h := range keys {
		binary.LittleEndian.PutUint64(b[:8], h)
		binary.LittleEndian.PutUint32(b[8:], uint32(df[h]))
		sum.Write(b[:])
	}
	l.name = fmt.Sprintf("local-ngram-v1-%d-%s", dim, hex.EncodeToString(sum.Sum(nil))[:8])
	return l
}

// Name implements xinqiao.Embedder: the version of the method, the
// dimension and the fingerprint of the IDF corpus.
func (l *Local) Name() string { return l.name }

// Dim implements xinqiao.Embedder.
func (l *Local) Dim() int { return l.dim }

// Embed implements xinqiao.Embedder.
func (l *Local) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	out := make([][]float32, len(texts))
	for i, t := range texts {
		if i%64 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		out[i] = l.Vector(t)
	}
	return out, nil
}

// Vector embeds one text.
func (l *Local) Vector(text string) []float32 {
	type acc struct {
		tf   int32
		kind byte
	}
	counts := make(map[uint64]acc, 64)
	features(text, func(h uint64, kind byte) {
		a := counts[h]
		a.tf++
		a.kind = kind
		counts[h] = a
	})
	v := make([]float64, l.dim)
	for h, a := range counts {
		idf, ok := l.idf[h]
		if !ok {
			idf = l.maxIDF
		}
		w := (1 + math.Log(float64(a.tf))) * float64(idf) * kindWeight[a.kind]
		i := int(h % uint64(l.dim))
		if h>>63 == 1 {
			w = -w
		}
		v[i] += w
	}
	var norm float64
	for _, x := range v {
		norm += x * x
	}
	out := make([]float32, l.dim)
	if norm == 0 {
		return out
	}
	inv := 1 / math.Sqrt(norm)
	for i, x := range v {
		out[i] = float32(x * inv)
	}
	return out
}

// FNV-1a, 64 bits, as hash/fnv computes it, without allocating.
const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

func fnvAdd(h uint64, s string) uint64 {
	for i := 0; i < len(s); i++ {
		h = (h ^ uint64(s[i])) * fnvPrime
	}
	return h
}

func fnvByte(h uint64, b byte) uint64 { return (h ^ uint64(b)) * fnvPrime }

// features calls fn with the hash and kind of every n-gram feature of text:
// the FNV-1a hash of the kind byte followed by the n-gram's UTF-8 bytes.
func features(text string, fn func(h uint64, kind byte)) {
	emit := func(kind byte, s string) { fn(fnvAdd(fnvByte(fnvOffset, kind), s), kind) }
	prevWord := ""
	for _, r := range seg.Runs(seg.Normalize(text)) {
		switch r.Kind {
		case seg.Han:
			prevWord = ""
			// Byte offsets of the run's runes, so n-grams are substrings.
			var at [64]int
			offs := at[:0]
			for i := range r.Text {
				offs = append(offs, i)
			}
			offs = append(offs, len(r.Text))
			n := len(offs) - 1
			for i := range n {
				emit(kHan1, r.Text[offs[i]:offs[i+1]])
				if i+2 <= n {
					emit(kHan2, r.Text[offs[i]:offs[i+2]])
				}
				if i+3 <= n {
					emit(kHan3, r.Text[offs[i]:offs[i+3]])
				}
			}
		case seg.Word:
			w := r.Text
			if strings.Contains(w, "'") {
				w = strings.ReplaceAll(w, "'", "")
			}
			if seg.IsStop(w) || len(w) < 2 {
				continue
			}
			w = seg.Stem(w)
			emit(kWord, w)
			if prevWord != "" {
				fn(fnvAdd(fnvByte(fnvAdd(fnvByte(fnvOffset, kWord2), prevWord), ' '), w), kWord2)
			}
			prevWord = w
			// Character trigrams of "<" + w + ">".
			for i := -1; i+2 <= len(w); i++ {
				h := fnvByte(fnvOffset, kTri)
				for j := i; j < i+3; j++ {
					switch {
					case j < 0:
						h = fnvByte(h, '<')
					case j == len(w):
						h = fnvByte(h, '>')
					default:
						h = fnvByte(h, w[j])
					}
				}
				fn(h, kTri)
			}
		case seg.Digit:
			prevWord = ""
			emit(kDigit, r.Text)
		}
	}
}
