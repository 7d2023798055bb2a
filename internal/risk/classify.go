package risk

import (
	"slices"
	"strings"
)

// maxMatches bounds the matches reported for one message.
const maxMatches = 64

// personWindow is how far back (normalised runes) the subject of a match is
// looked for, within its clause.
const personWindow = 24

type occ struct{ start, end int32 }

type cand struct {
	rule       int32
	start, end int32
}

// scratch holds per-call buffers, reused through a sync.Pool.
type scratch struct {
	nt    normText
	hits  []hit
	sets  [][]occ
	cands []cand
	spans []bspan
	seen  []uint32 // per term: the generation in which it last occurred
	gen   uint32
	// ruleGen: per rule, the generation in which it was last reported
	ruleGen []uint32
	// touched lists the sets with occurrences in this call
	touched []int32

	model modelScratch

	// hits by start: byStart[startOff[p]:startOff[p+1]] are the indices of
	// the hits that start at rune p.
	byStart  []int32
	startOff []int32
}

// indexByStart fills sc.byStart and sc.startOff for sc.hits over n runes
// (a counting sort: hits come in order of end, not start).
func indexByStart(sc *scratch, n int) {
	off := slices.Grow(sc.startOff[:0], n+2)[:n+2]
	clear(off)
	for _, h := range sc.hits {
		off[h.start+2]++
	}
	for p := 2; p < len(off); p++ {
		off[p] += off[p-1]
	}
	by := slices.Grow(sc.byStart[:0], len(sc.hits))[:len(sc.hits)]
	for i, h := range sc.hits {
		by[off[h.start+1]] = int32(i)
		off[h.start+1]++
	}
	sc.byStart, sc.startOff = by, off[:n+1]
}

// maxKeptRunes bounds the buffers kept between calls: ten student messages.
const maxKeptRunes = 20000

// gapScanGroups: a term that starts gapped patterns with at most this many
// different second pieces checks each of them; one with more looks at the
// hits that follow it instead.
const gapScanGroups = 8

// gapCands adds a candidate for every gapped pattern in uses that matches
// from the hit h on: its later pieces follow in order, each at most the
// rule's gap after the previous one.
func (c *Classifier) gapCands(sc *scratch, nt *normText, h hit, uses []use) {
	for _, u := range uses {
		r := c.rules[u.rule]
		a := r.alts[u.alt]
		present := true
		for _, p := range a.pieces[2:] {
			if sc.seen[p] != sc.gen {
				present = false
				break
			}
		}
		if !present {
			continue
		}
		if end, ok := extend(sc, a.pieces[1:], h.end, r.gap); ok && (!a.final || clauseEnd(nt, end)) {
			sc.cands = append(sc.cands, cand{u.rule, h.start, end})
		}
	}
}

// bspan is a match's byte span in the original text.
type bspan struct{ s, e int }

// Classify reads one message (layer 1). It never panics: if classification
// fails, the result is High with category crisis and Failed set, and
// PanicsTotal is incremented.
func (c *Classifier) Classify(text string) (res Result) {
	defer func() {
		if p := recover(); p != nil {
			PanicsTotal.Inc()
			res = Result{Level: High, Categories: []Category{Crisis}, Rules: []string{}, Failed: true}
		}
	}()
	if testHookClassify != nil {
		testHookClassify(text)
	}
	return c.classify(text, c.model)
}

// classifyRules is Classify by the rules alone, for sentences the reply
// reading writes itself (Restate).
func (c *Classifier) classifyRules(text string) (res Result) {
	defer func() {
		if p := recover(); p != nil {
			PanicsTotal.Inc()
			res = Result{Level: High, Categories: []Category{Crisis}, Rules: []string{}, Failed: true}
		}
	}()
	return c.classify(text, nil)
}

// testHookClassify lets tests force a panic inside Classify.
var testHookClassify func(string)

func (c *Classifier) classify(text string, model *Model) Result {
	var sc *scratch
	select {
	case sc = <-c.free:
	default:
		sc = &scratch{}
	}
	defer func() {
		if cap(sc.nt.runes) > maxKeptRunes {
			return // a huge message's buffers are not worth keeping
		}
		select {
		case c.free <- sc:
		default:
		}
	}()
	nt := &sc.nt
	normalize(text, nt)
	res := c.matchRules(sc, text)
	if model != nil {
		c.setOccurrences(sc)
		model.apply(&res, nt, &sc.model, text)
		slices.SortFunc(res.Categories, func(a, b Category) int { return categoryRank(a) - categoryRank(b) })
	}
	return res
}

// matchRules runs the rules over the message normalised in sc.nt.
func (c *Classifier) matchRules(sc *scratch, text string) Result {
	nt := &sc.nt
	rs := nt.runes
	sc.hits = c.ac.scan(rs, sc.hits[:0])

	if cap(sc.sets) < len(c.sets) {
		sc.sets = make([][]occ, len(c.sets))
		sc.touched = sc.touched[:0]
	}
	sc.sets = sc.sets[:len(c.sets)]
	for _, i := range sc.touched {
		sc.sets[i] = sc.sets[i][:0]
	}
	sc.touched = sc.touched[:0]
	sc.cands = sc.cands[:0]

	// keep hits whose Latin ends fall on word boundaries and that do not
	// run across real punctuation (考砸了，我 is no 砸了我)
	hits := sc.hits[:0]
	for _, h := range sc.hits {
		ti := &c.terms[h.term]
		if ti.latinStart && h.start > 0 && isLatinAlnum(rs[h.start-1]) {
			continue
		}
		if ti.latinEnd && int(h.end) < len(rs) && isLatinAlnum(rs[h.end]) {
			continue
		}
		if slices.Contains(nt.hard[h.start+1:h.end], true) {
			continue
		}
		hits = append(hits, h)
	}
	sc.hits = hits
	if len(sc.seen) < len(c.terms) || len(sc.ruleGen) < len(c.rules) {
		sc.seen = make([]uint32, len(c.terms))
		sc.ruleGen = make([]uint32, len(c.rules))
		sc.gen = 0
	}
	sc.gen++
	if sc.gen == 0 { // wrapped: clear
		clear(sc.seen)
		clear(sc.ruleGen)
		sc.gen = 1
	}
	for _, h := range hits {
		sc.seen[h.term] = sc.gen
	}

	for _, h := range hits {
		ti := &c.terms[h.term]
		for _, s := range ti.sets {
			if len(sc.sets[s]) == 0 {
				sc.touched = append(sc.touched, s)
			}
			sc.sets[s] = append(sc.sets[s], occ{h.start, h.end})
		}
	}
	// a set's occurrences inside an occurrence of its shield set are dropped
	// ("不" inside "忍不住" or "是不是" is no negation)
	for si, sh := range c.shield {
		if sh >= 0 && len(sc.sets[si]) > 0 && len(sc.sets[sh]) > 0 {
			sc.sets[si] = dropShielded(sc.sets[si], sc.sets[sh])
		}
	}
	indexByStart(sc, len(rs))
	for _, h := range hits {
		ti := &c.terms[h.term]
		for _, u := range ti.single {
			if !c.rules[u.rule].alts[u.alt].final || clauseEnd(nt, h.end) {
				sc.cands = append(sc.cands, cand{u.rule, h.start, h.end})
			}
		}
		if len(ti.gapNext) == 0 {
			continue
		}
		if len(ti.gapNext) <= gapScanGroups {
			for gi, next := range ti.gapNext {
				if sc.seen[next] == sc.gen {
					c.gapCands(sc, nt, h, ti.gapUses[gi])
				}
			}
			continue
		}
		// Many patterns start with this term ({want}*{method}): look only
		// at the hits that start closely enough after it.
		limit := min(int(h.end+ti.gapMax), len(rs)-1)
		if int(h.end) > limit {
			continue
		}
		for _, k := range sc.byStart[sc.startOff[h.end]:sc.startOff[limit+1]] {
			if !c.terms[hits[k].term].second {
				continue
			}
			if uses := ti.gapUsesFor(hits[k].term); uses != nil {
				c.gapCands(sc, nt, h, uses)
			}
		}
	}
	if len(sc.cands) == 0 {
		return Result{}
	}
	slices.SortFunc(sc.cands, func(a, b cand) int {
		if a.start != b.start {
			return int(a.start - b.start)
		}
		if a.end != b.end {
			return int(a.end - b.end)
		}
		return int(a.rule - b.rule)
	})

	res := Result{
		Matches: make([]Match, 0, min(len(sc.cands), maxMatches)),
		Rules:   make([]string, 0, min(len(sc.cands), 16)),
	}
	var sig uint64
	anyTopic := len(sc.sets[c.topic]) > 0
	resolved := len(sc.sets[c.resolved]) > 0 && (c.relapse < 0 || len(sc.sets[c.relapse]) == 0)
	sc.spans = sc.spans[:0]
	var last cand
	for i, cd := range sc.cands {
		if i > 0 && cd == last {
			continue
		}
		last = cd
		r := c.rules[cd.rule]
		if !c.holds(sc, nt, r, cd) {
			continue
		}
		lvl, cat := r.level, r.category
		other, second := false, false
		if r.self {
			switch c.subjectOf(sc, nt, cd.start) {
			case subjOther:
				other = true
				cat = ConcernForOther
				if lvl > r.otherMax {
					lvl = r.otherMax
				}
			case subjSecond:
				second = true
			}
		}
		capped := second
		if capped && lvl > Low {
			lvl = Low
		}
		if !r.strong {
			ceil := Low
			if (other && anyTopic) || c.topicCaps(sc, nt, cd.start, r.level) {
				capped = true
			} else if resolved && c.pastBefore(sc, nt, cd.start) {
				// one's own attempt told as over is still an attempt: a
				// suicide attempt stays as graded (GUIDE.md: high), self-harm
				// long over is read by a counselor (medium)
				switch {
				case other || r.signals&c.attempt == 0:
					capped = true
				case r.category != Suicide:
					capped, ceil = true, Medium
				}
			}
			if capped && lvl > ceil {
				lvl = ceil
			}
		}
		if !other && !capped {
			sig |= r.signals
		}
		if len(res.Matches) < maxMatches {
			s, e, bs, be := nt.origSpan(int(cd.start), int(cd.end))
			res.Matches = append(res.Matches, Match{Rule: r.id, Category: cat, Level: lvl, Start: s, End: e})
			sc.spans = append(sc.spans, bspan{bs, be})
		}
		if lvl > res.Level {
			res.Level = lvl
		}
		if lvl > None {
			res.Categories = addCategory(res.Categories, cat)
		}
		if sc.ruleGen[cd.rule] != sc.gen {
			sc.ruleGen[cd.rule] = sc.gen
			res.Rules = append(res.Rules, r.id)
		}
	}
	res.Matches = mergeMatches(res.Matches, sc.spans, text)
	for _, k := range c.combos {
		if sig&k.when == k.when {
			if k.level > res.Level {
				res.Level = k.level
			}
			if k.level > None {
				res.Categories = addCategory(res.Categories, k.category)
			}
			res.Rules = append(res.Rules, k.id) // combo ids are unique and no rule's
		}
	}
	res.Signals = c.signalNames(sig)
	slices.SortFunc(res.Categories, func(a, b Category) int { return categoryRank(a) - categoryRank(b) })
	return res
}

// finalParticles may follow a clause-final pattern ("不想继续了啊").
const finalParticles = "了啊呀吧呢啦喇嘛哦噢咯嘞喔囉啰咩"

// clauseEnd reports that a match ending at end closes its clause: the text,
// a clause or sentence boundary, or only sentence-final particles follow.
func clauseEnd(nt *normText, end int32) bool {
	rs := nt.runes
	for i := int(end); i < len(rs); i++ {
		if nt.brk[i] >= brkClause {
			return true
		}
		if !strings.ContainsRune(finalParticles, rs[i]) {
			return false
		}
	}
	return true
}

// extend finds the remaining pieces of a gapped pattern in order, each
// starting at most gap runes after the previous one ends (the hits of
// sc.hits that start there, by sc.byStart).
func extend(sc *scratch, pieces []int32, from int32, gap int32) (int32, bool) {
	n := int32(len(sc.startOff) - 1) // runes
	for _, p := range pieces {
		best := int32(-1)
		if from < n {
			for _, k := range sc.byStart[sc.startOff[from]:sc.startOff[min(from+gap, n-1)+1]] {
				if h := sc.hits[k]; h.term == p && (best < 0 || h.end < best) {
					best = h.end
				}
			}
		}
		if best < 0 {
			return 0, false
		}
		from = best
	}
	return from, true
}

// holds checks a rule's unless and need conditions around a candidate.
func (c *Classifier) holds(sc *scratch, nt *normText, r *rule, cd cand) bool {
	for _, k := range r.unless {
		if c.condHolds(sc, nt, k, cd) {
			return false
		}
	}
	for _, k := range r.need {
		if !c.condHolds(sc, nt, k, cd) {
			return false
		}
	}
	return true
}

// condHolds reports that the sets of k occur where k says: every one of
// them (one, or several joined by +), or with k.any one of them (joined
// by |).
func (c *Classifier) condHolds(sc *scratch, nt *normText, k cond, cd cand) bool {
	for _, s := range k.sets {
		if c.condMet(sc.sets[s], nt, k, cd) == k.any {
			return k.any
		}
	}
	return !k.any
}

func (c *Classifier) condMet(os []occ, nt *normText, k cond, cd cand) bool {
	sent := nt.sent[cd.start]
	for _, o := range os {
		switch k.dir {
		case dirMessage:
			return true
		case dirSentence:
			if nt.sent[o.start] == sent || nt.sent[o.end-1] == sent {
				return true
			}
		case dirClause: // in the match's clause, overlapping it or not
			// a word inside a match that spans a clause break counts too
			// (遗书（不是），写了: 不是 lies inside 遗书*写了)
			if (o.start < cd.end && o.end > cd.start) || sameClause(nt, min(o.start, cd.start), max(o.end, cd.end)-1) {
				return true
			}
		case dirBefore, dirAfter, dirAround:
			// from the last rune of the first to the first rune of the
			// second: a break right after the first counts ("不，我想死":
			// 不 is no negation of 想死)
			if (k.dir == dirBefore || k.dir == dirAround) && o.end <= cd.start && cd.start-o.end <= k.n && sameClause(nt, o.end-1, cd.start) {
				return true
			}
			if (k.dir == dirAfter || k.dir == dirAround) && o.start >= cd.end && o.start-cd.end <= k.n && sameClause(nt, cd.end-1, o.start) {
				return true
			}
		}
	}
	return false
}

// sameClause reports that no clause or sentence boundary lies before any
// rune in (a, b]: "我好累，想死" keeps 累 away from 想死.
func sameClause(nt *normText, a, b int32) bool {
	for i := a; i <= b && int(i) < len(nt.brk); i++ {
		if i > a || a == b {
			if nt.brk[i] >= brkClause {
				return false
			}
		}
	}
	return true
}

type subject uint8

const (
	subjSelf subject = iota
	subjOther
	subjSecond
)

// subjectOf finds the nearest person marker before start: first in the same
// clause, then back through the sentence, at most personWindow runes. No
// marker means the speaker.
func (c *Classifier) subjectOf(sc *scratch, nt *normText, start int32) subject {
	clause := start
	for clause > 0 && nt.brk[clause] < brkClause {
		clause--
	}
	lo := start - personWindow
	if lo < clause {
		// the clause is short: allow earlier clauses of the same sentence
		for lo < clause && nt.sent[max32(lo, 0)] != nt.sent[start] {
			lo++
		}
	}
	if lo < 0 {
		lo = 0
	}
	best := func(from int32, withSecond bool) (subject, bool) {
		bestEnd, bestLen, who := int32(-1), int32(0), subjSelf
		look := func(os []occ, s subject) {
			for _, o := range os {
				if o.start < from || o.start > start {
					continue
				}
				l := o.end - o.start
				if o.end > bestEnd || (o.end == bestEnd && l > bestLen) {
					bestEnd, bestLen, who = o.end, l, s
				}
			}
		}
		look(sc.sets[c.first], subjSelf)
		look(sc.sets[c.other], subjOther)
		if withSecond {
			look(sc.sets[c.second], subjSecond)
		}
		return who, bestEnd >= 0
	}
	if who, ok := best(clause, true); ok {
		return who
	}
	who, _ := best(lo, false)
	return who
}

func max32(a, b int32) int32 {
	if a > b {
		return a
	}
	return b
}

func dropShielded(os, shield []occ) []occ {
	out := os[:0]
	for _, o := range os {
		covered := false
		for _, s := range shield {
			if s.start <= o.start && o.end <= s.end && s.end-s.start > o.end-o.start {
				covered = true
				break
			}
		}
		if !covered {
			out = append(out, o)
		}
	}
	return out
}

// topicCaps reports that topic talk caps a match of the speaker's own at
// start: a topic word (作文, 电影, 动画, 这集) in the same sentence. A rule of
// level high or above (a plan, a method, an act) is the exception when every
// such word lies in another clause and the match's own clause names the
// speaker before it: in "看完这部电影，我决定今晚就去跳楼" the film is only where
// the thought came from. Lower rules stay capped (in "看了个新闻，一个跟我同龄
// 的人跳楼了" the 我 is no statement of one's own), and "这部电影的主角最后跳楼了"
// or "作文题目：自杀" are topic whatever the level.
func (c *Classifier) topicCaps(sc *scratch, nt *normText, start int32, lvl Level) bool {
	sent := nt.sent[start]
	found := false
	for _, o := range sc.sets[c.topic] {
		if nt.sent[o.start] != sent {
			continue
		}
		if sameClause(nt, min(o.start, start), max(o.end-1, start)) {
			return true
		}
		found = true
	}
	if !found || lvl < High {
		return found
	}
	for _, o := range sc.sets[c.first] {
		if o.end <= start && sameClause(nt, o.start, start) {
			return false
		}
	}
	return true
}

// pastBefore reports a past-time marker before start in the same sentence.
func (c *Classifier) pastBefore(sc *scratch, nt *normText, start int32) bool {
	sent := nt.sent[start]
	for _, o := range sc.sets[c.past] {
		if o.end <= start+2 && nt.sent[o.start] == sent {
			return true
		}
	}
	return false
}

func (c *Classifier) signalNames(sig uint64) []string {
	if sig == 0 {
		return nil
	}
	var out []string
	for i, n := range c.signals {
		if sig&(1<<uint(i)) != 0 {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out
}

func addCategory(cs []Category, c Category) []Category {
	for _, x := range cs {
		if x == c {
			return cs
		}
	}
	return append(cs, c)
}

func addString(ss []string, s string) []string {
	for _, x := range ss {
		if x == s {
			return ss
		}
	}
	return append(ss, s)
}

// mergeMatches joins overlapping matches of the same rule into one span and
// fills in each match's original text.
func mergeMatches(ms []Match, spans []bspan, text string) []Match {
	out := ms[:0]
	sp := spans[:0]
	for k, m := range ms {
		b := spans[k]
		merged := false
		for i := len(out) - 1; i >= 0; i-- {
			p := &out[i]
			if p.Rule == m.Rule && p.Category == m.Category && m.Start < p.End {
				if m.End > p.End {
					p.End = m.End
					sp[i].e = b.e
				}
				if m.Level > p.Level {
					p.Level = m.Level
				}
				merged = true
				break
			}
		}
		if !merged {
			out = append(out, m)
			sp = append(sp, b)
		}
	}
	for i := range out {
		out[i].Text = text[sp[i].s:sp[i].e]
	}
	return out
}
