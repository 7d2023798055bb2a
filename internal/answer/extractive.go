package answer

import (
	"context"
	"math"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"xinqiao/internal/xinqiao"
	"xinqiao/prompts"
)

// ExtractiveConfig configures NewExtractive. Zero values take the defaults.
type ExtractiveConfig struct {
	// Cards supplies pinned cards; nil answers pinned requests with a fixed
	// reply that points to the school psychology teacher.
	Cards   Cards
	Pinning Pinning
	// MaxPassages is how many top passages sentences are taken from (default 3).
	MaxPassages int
	// MaxSentences bounds the sentences picked (default 4; one fewer for primary pupils).
	MaxSentences int
	// MaxRunes bounds the picked sentences' length in runes for Chinese
	// (default 360) and MaxRunesEN for English (default 700); primary pupils
	// get two thirds of it.
	MaxRunes   int
	MaxRunesEN int
}

// Extractive answers from the passages alone: it picks the sentences that
// share most words (CJK bigrams, Latin words) with the question from the top
// passages, keeps them in passage order, and frames them with a short lead-in,
// citation marks [n] and the sources. It needs no network and runs in
// microseconds, so it is the default without an LLM and the LLM's fallback.
type Extractive struct {
	cfg ExtractiveConfig
}

// NewExtractive returns an extractive answerer.
func NewExtractive(cfg ExtractiveConfig) *Extractive {
	if cfg.MaxPassages <= 0 {
		cfg.MaxPassages = 3
	}
	if cfg.MaxSentences <= 0 {
		cfg.MaxSentences = 4
	}
	if cfg.MaxRunes <= 0 {
		cfg.MaxRunes = 360
	}
	if cfg.MaxRunesEN <= 0 {
		cfg.MaxRunesEN = 700
	}
	return &Extractive{cfg: cfg}
}

// Answer implements Answerer. It never streams: onDelta is not called.
func (e *Extractive) Answer(ctx context.Context, req Request, onDelta func(string)) (Answer, error) {
	if err := ctx.Err(); err != nil {
		return Answer{}, err
	}
	if a, ok := preamble(ctx, req, e.cfg.Cards, e.cfg.Pinning); ok {
		return a, nil
	}
	a := e.extract(req)
	RequestsTotal.WithLabelValues(a.Mode).Inc()
	return a, nil
}

type picked struct {
	passage int // index into the request's passages
	order   int // sentence position in its passage
	text    string
	score   float64
}

// extract builds the extractive answer without the pinned and no-material
// checks; a request whose passages yield no sentence gets the no-material reply.
func (e *Extractive) extract(req Request) Answer {
	lang := prompts.Lang(req.Lang)
	limit, maxSent := e.cfg.MaxRunes, e.cfg.MaxSentences
	if lang == "en" {
		limit = e.cfg.MaxRunesEN
	}
	if req.Band == "primary" { // shorter for younger readers
		limit, maxSent = limit*2/3, max(2, maxSent-1)
	}
	q := terms(req.Question)
	// Each candidate sentence's terms, then how many sentences hold each
	// question term: a term most sentences share (自己, 觉得) tells less
	// about which sentence answers than a rare one (长相, 失眠).
	type cand struct {
		passage, order int
		text           string
		terms          map[string]bool
	}
	var all []cand
	df := map[string]int{}
	for i, p := range req.Passages {
		if i >= e.cfg.MaxPassages {
			break
		}
		for j, s := range sentences(p.Text) {
			if utf8.RuneCountInString(s) < 4 {
				continue
			}
			st := terms(s)
			for t := range st {
				if q[t] {
					df[t]++
				}
			}
			all = append(all, cand{i, j, s, st})
		}
	}
	var cands []picked
	for _, c := range all {
		weight, overlap := 0.0, 0
		for t := range c.terms {
			if q[t] {
				overlap++
				weight += math.Log(1 + float64(len(all))/float64(df[t]))
			}
		}
		score := weight / math.Sqrt(float64(len(c.terms)+1))
		// earlier passages and earlier sentences win ties: they are
		// usually the better-ranked material and the topic sentence
		score += 0.05*float64(e.cfg.MaxPassages-c.passage) + 0.02/float64(c.order+1)
		if overlap == 0 {
			score -= 1
		}
		cands = append(cands, picked{passage: c.passage, order: c.order, text: c.text, score: score})
	}
	if len(cands) == 0 {
		text, _ := prompts.Reply(lang, prompts.ReplyNoMaterial)
		return Answer{Text: text, AIGenerated: true, Mode: ModeNoMaterial}
	}
	sort.SliceStable(cands, func(a, b int) bool { return cands[a].score > cands[b].score })
	var chosen []picked
	used := 0
	anyOverlap := cands[0].score > 0
	for _, c := range cands {
		if len(chosen) >= maxSent {
			break
		}
		if anyOverlap && c.score <= 0 {
			break // only sentences that share words with the question
		}
		n := utf8.RuneCountInString(c.text)
		if used+n > limit {
			if len(chosen) == 0 {
				c.text = truncateRunes(c.text, limit-1) + "…"
				n = limit
			} else {
				continue
			}
		}
		chosen = append(chosen, c)
		used += n
		if !anyOverlap && len(chosen) >= 2 {
			break // nothing matches word for word: the top passage's opening is the best guess
		}
	}
	sort.Slice(chosen, func(a, b int) bool {
		if chosen[a].passage != chosen[b].passage {
			return chosen[a].passage < chosen[b].passage
		}
		return chosen[a].order < chosen[b].order
	})
	var b strings.Builder
	lead, _ := prompts.Reply(lang, prompts.ReplyExtractiveLead)
	b.WriteString(lead)
	for k, c := range chosen {
		if k == 0 || chosen[k-1].passage != c.passage {
			b.WriteString("\n\n")
		} else if !endsCJK(chosen[k-1].text) {
			b.WriteString(" ")
		}
		b.WriteString(c.text)
		if k+1 == len(chosen) || chosen[k+1].passage != c.passage {
			if !endsCJK(c.text) {
				b.WriteString(" ")
			}
			b.WriteString("[" + strconv.Itoa(number(req.Passages[c.passage], c.passage)) + "]")
		}
	}
	tail, _ := prompts.Reply(lang, prompts.ReplyExtractiveTail)
	b.WriteString("\n\n" + tail)
	text, sources := cited(b.String(), req.Passages)
	return Answer{Text: text, Sources: sources, AIGenerated: true, Mode: ModeExtractive}
}

// sourcesOf returns the passages' sources, each document version once, in order.
func sourcesOf(ps []Passage) []xinqiao.Source {
	var out []xinqiao.Source
	seen := map[xinqiao.Source]bool{}
	for _, p := range ps {
		s := source(p)
		if seen[s] {
			continue
		}
		seen[s] = true
		out = append(out, s)
	}
	return out
}
