package risk

import (
	"bytes"
	_ "embed"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
	"slices"
	"strconv"
	"sync"
)

// The learned scorer (layer 1, second half). A linear model over hashed
// features of the normalised text (character 1–3-grams within a sentence,
// with sentence and clause marks, Latin word 1–2-grams, and the rules' word
// sets that occur in the sentence) with heads for
// risk (medium or above), severity (high or above) and the category. It is
// trained in this repository (Train, "xinqiao risk train") and embedded in
// the binary; Classify runs it after the rules and takes the higher level,
// so the model only ever raises a message.

// ModelFormat is the newest weights file format this binary reads and
// writes. A file from a newer format is refused. Format 2 added the set
// features (FeatureConfig.Sets 1) and the risk threshold of long messages;
// a format 1 file has no set features and one risk threshold. Format 3
// added a flag byte (the model's severity grades high a message the rules
// flag) and a severity threshold that grades high on its own.
const ModelFormat = 3

// modelMagic opens every weights file.
const modelMagic = "XQRM"

// ModelRule is the rule id a model-raised flag carries in Result.Rules and
// its matches; the text after it is the score.
const ModelRule = "模型"

// Heads of the model, in the order of each bucket's weights.
const (
	headRisk   = 0 // medium or above
	headSevere = 1 // high or above
	headCat    = 2 // first of the category heads
	modelHeads = headCat + len(modelCategories)
)

// modelCategories are the categories the model's category head tells apart.
var modelCategories = [...]Category{Suicide, SelfHarm, Abuse, Violence, Bullying, Crisis}

// Marks written into the character sequence of a sentence: its start, its
// end and a clause boundary inside it.
const (
	markStart  = 0x02
	markEnd    = 0x03
	markClause = ','
)

// FeatureConfig says how text becomes features; it is stored in the
// weights file.
type FeatureConfig struct {
	Bits    uint8 // 1<<Bits hash buckets
	CharMax uint8 // character n-grams of 1..CharMax runes
	WordMax uint8 // Latin word n-grams of 1..WordMax words (0: none)
	// Sets: 1 adds the rules' word sets ({method}, {time_word}, {neg}…)
	// found in a sentence (0: none).
	Sets uint8
	Seed uint32 // hash seed
}

func (f FeatureConfig) valid() error {
	if f.Bits < 8 || f.Bits > 24 {
		return fmt.Errorf("hash bits %d out of range 8..24", f.Bits)
	}
	if f.CharMax < 1 || f.CharMax > 5 {
		return fmt.Errorf("character n-gram length %d out of range 1..5", f.CharMax)
	}
	if f.WordMax > 3 {
		return fmt.Errorf("word n-gram length %d out of range 0..3", f.WordMax)
	}
	if f.Sets > 1 {
		return fmt.Errorf("set features %d out of range 0..1", f.Sets)
	}
	return nil
}

// Model is a loaded learned scorer. It is read-only and safe for concurrent
// use.
type Model struct {
	cfg   FeatureConfig
	mask  uint32
	w     []int16 // bucket*modelHeads + head
	scale [modelHeads]float32
	bias  [modelHeads]float32
	t     modelThresholds

	// riskSevere holds each bucket's risk and severity weights packed in
	// one word (risk in the low half), built from w once w is final (pack):
	// every message reads these two heads for every feature, and a quarter
	// of w's bytes stays in cache where w does not. The category heads are
	// read from w, and only for a message the model raises.
	riskSevere []uint32
}

// pack builds m.riskSevere from m.w. Whoever fills m.w (ParseModel, the
// trainer) calls it once w is final.
func (m *Model) pack() {
	rs := make([]uint32, len(m.w)/modelHeads)
	for b := range rs {
		rs[b] = uint32(uint16(m.w[b*modelHeads+headRisk])) | uint32(uint16(m.w[b*modelHeads+headSevere]))<<16
	}
	m.riskSevere = rs
}

// modelThresholds are the thresholds on the model's probabilities: risk at
// or above risk (long for a message of longUnits sentences or more) is
// medium, and severity at or above high as well is high. With onRules
// (format 3) severity at or above high also grades high a message the
// rules flagged.
type modelThresholds struct {
	risk, long, high float32
	onRules          bool
	// grave (format 3; 0: none): severity at or above it grades high
	// whatever the risk probability: a method, a plan or preparations
	// the risk head alone underrates
	grave float32
}

// modelLevel is the model's own level for a message the rules grade rules
// and the model reads as risk, severe over units sentences: the thresholds'
// level, and high when the rules flag it and onRules and the severity say
// so.
func (t modelThresholds) modelLevel(rules Level, risk, severe float32, units int) Level {
	lvl := t.level(risk, severe, units)
	if t.onRules && rules >= Medium && lvl < High && severe >= t.high {
		lvl = High // the rules flag it, the model reads it as grave
	}
	return lvl
}

// combine is the final level of such a message: the higher of the rules'
// and the model's.
func (t modelThresholds) combine(rules Level, risk, severe float32, units int) Level {
	return max(rules, t.modelLevel(rules, risk, severe, units))
}

// longUnits is the number of sentences from which a message is long: read
// sentence by sentence, a long benign message has more chances to score
// high somewhere, so it has a threshold of its own (format 2).
const longUnits = 3

// riskCut is the risk probability from which a message of units sentences
// grades medium.
func (t modelThresholds) riskCut(units int) float32 {
	if units >= longUnits {
		return t.long
	}
	return t.risk
}

func (t modelThresholds) level(risk, severe float32, units int) Level {
	switch {
	case t.grave > 0 && severe >= t.grave:
		return High
	case risk < t.riskCut(units):
		return None
	case severe >= t.high:
		return High
	}
	return Medium
}

// Thresholds returns the calibrated thresholds: the risk probability from
// which the model grades a message medium, and the severity probability
// from which it grades it high.
func (m *Model) Thresholds() (risk, high float64) { return float64(m.t.risk), float64(m.t.high) }

// LongThreshold returns the risk probability from which the model grades a
// message of several sentences medium.
func (m *Model) LongThreshold() float64 { return float64(m.t.long) }

// SevereOnRules reports whether the model's severity grades high a message
// the rules flag (format 3).
func (m *Model) SevereOnRules() bool { return m.t.onRules }

// GraveThreshold returns the severity probability from which the model
// grades a message high whatever its risk probability (0: none; format 3).
func (m *Model) GraveThreshold() float64 { return float64(m.t.grave) }

// Config returns the model's feature configuration.
func (m *Model) Config() FeatureConfig { return m.cfg }

// header layout (little endian): magic[4] format u16 heads u8 bits u8
// charMax u8 wordMax u8 sets u8 (format 2; 0 before) flags u8 (format 3;
// reserved before) seed u32
// tRisk f32 tHigh f32 (format 2: tRiskLong f32, modelHeaderLen2; format 3:
// tGrave f32 as well, modelHeaderLen3), then
// bias and scale (heads float32 each), the int16 weights, and a CRC-32
// (IEEE) of everything before it.
const (
	modelHeaderLen  = 24
	modelHeaderLen2 = 28
	modelHeaderLen3 = 32 // tGrave f32
)

// flagSevereOnRules in the header's flags byte (format 3; reserved before)
// sets modelThresholds.onRules.
const flagSevereOnRules = 1

// ErrModelFormat is wrapped by the error for a weights file written by a
// newer binary.
var ErrModelFormat = errors.New("risk model: format newer than this binary reads")

// ParseModel reads a weights file. A truncated or corrupt file, or one from
// a newer format, is refused with an error saying which.
func ParseModel(b []byte) (*Model, error) {
	if len(b) < modelHeaderLen+4 {
		return nil, fmt.Errorf("risk model: truncated: %d bytes, shorter than the header", len(b))
	}
	if string(b[:4]) != modelMagic {
		return nil, errors.New("risk model: not a risk model file (bad magic)")
	}
	le := binary.LittleEndian
	format := le.Uint16(b[4:])
	if format > ModelFormat {
		return nil, fmt.Errorf("%w: the file is format %d, this binary reads format %d; the rules and the model in force stay", ErrModelFormat, format, ModelFormat)
	}
	if format < 1 {
		return nil, fmt.Errorf("risk model: unknown format %d", format)
	}
	if int(b[6]) != modelHeads {
		return nil, fmt.Errorf("risk model: %d heads, want %d", b[6], modelHeads)
	}
	cfg := FeatureConfig{Bits: b[7], CharMax: b[8], WordMax: b[9], Seed: le.Uint32(b[12:])}
	if format >= 2 {
		cfg.Sets = b[10]
	}
	if err := cfg.valid(); err != nil {
		return nil, fmt.Errorf("risk model: %v", err)
	}
	buckets := 1 << cfg.Bits
	hlen := modelHeaderLen
	switch {
	case format >= 3:
		hlen = modelHeaderLen3
	case format == 2:
		hlen = modelHeaderLen2
	}
	want := hlen + 2*4*modelHeads + 2*buckets*modelHeads + 4
	if len(b) != want {
		if len(b) < want {
			return nil, fmt.Errorf("risk model: truncated: %d bytes, want %d", len(b), want)
		}
		return nil, fmt.Errorf("risk model: %d bytes, want %d (trailing data)", len(b), want)
	}
	if got, sum := crc32.ChecksumIEEE(b[:want-4]), le.Uint32(b[want-4:]); got != sum {
		return nil, fmt.Errorf("risk model: checksum mismatch (corrupt file): stored %08x, computed %08x", sum, got)
	}
	m := &Model{cfg: cfg, mask: uint32(buckets - 1)}
	m.t.risk = math.Float32frombits(le.Uint32(b[16:]))
	m.t.high = math.Float32frombits(le.Uint32(b[20:]))
	m.t.long = m.t.risk
	if format >= 2 {
		m.t.long = math.Float32frombits(le.Uint32(b[24:]))
	}
	if format >= 3 {
		if b[11]&^flagSevereOnRules != 0 {
			return nil, fmt.Errorf("risk model: unknown flags %#x", b[11])
		}
		m.t.onRules = b[11]&flagSevereOnRules != 0
		m.t.grave = math.Float32frombits(le.Uint32(b[28:]))
		if !(m.t.grave >= 0 && m.t.grave <= 1) {
			return nil, fmt.Errorf("risk model: severity threshold %v outside [0, 1]", m.t.grave)
		}
	}
	if !(m.t.risk > 0 && m.t.risk < 1 && m.t.high > 0 && m.t.high < 1 && m.t.long > 0 && m.t.long < 1) {
		return nil, fmt.Errorf("risk model: thresholds %v, %v and %v outside (0, 1)", m.t.risk, m.t.long, m.t.high)
	}
	p := hlen
	for k := range modelHeads {
		m.bias[k] = math.Float32frombits(le.Uint32(b[p:]))
		p += 4
	}
	for k := range modelHeads {
		m.scale[k] = math.Float32frombits(le.Uint32(b[p:]))
		p += 4
	}
	m.w = make([]int16, buckets*modelHeads)
	for i := range m.w {
		m.w[i] = int16(le.Uint16(b[p:]))
		p += 2
	}
	m.pack()
	return m, nil
}

// Format is the weights file format the model is written in: the oldest
// that holds it, so that older binaries read what they can (format 2 for
// set features or a threshold of its own for long messages, format 3 for
// the rules' reading).
func (m *Model) Format() int {
	if m.t.onRules || m.t.grave > 0 {
		return 3
	}
	if m.cfg.Sets > 0 || m.t.long != m.t.risk {
		return 2
	}
	return 1
}

// MarshalBinary writes the weights file, in the format Format gives.
func (m *Model) MarshalBinary() ([]byte, error) {
	le := binary.LittleEndian
	var buf bytes.Buffer
	buf.Grow(modelHeaderLen3 + 2*4*modelHeads + 2*len(m.w) + 4)
	buf.WriteString(modelMagic)
	var h [modelHeaderLen3 - 4]byte
	format, hlen := uint16(m.Format()), modelHeaderLen
	switch format {
	case 3:
		hlen = modelHeaderLen3
	case 2:
		hlen = modelHeaderLen2
	}
	le.PutUint16(h[0:], format)
	h[2], h[3], h[4], h[5], h[6] = byte(modelHeads), m.cfg.Bits, m.cfg.CharMax, m.cfg.WordMax, m.cfg.Sets
	if m.t.onRules {
		h[7] = flagSevereOnRules
	}
	le.PutUint32(h[8:], m.cfg.Seed)
	le.PutUint32(h[12:], math.Float32bits(m.t.risk))
	le.PutUint32(h[16:], math.Float32bits(m.t.high))
	le.PutUint32(h[20:], math.Float32bits(m.t.long))
	le.PutUint32(h[24:], math.Float32bits(m.t.grave))
	buf.Write(h[:hlen-4])
	var f [4]byte
	for _, v := range m.bias {
		le.PutUint32(f[:], math.Float32bits(v))
		buf.Write(f[:])
	}
	for _, v := range m.scale {
		le.PutUint32(f[:], math.Float32bits(v))
		buf.Write(f[:])
	}
	var s [2]byte
	for _, v := range m.w {
		le.PutUint16(s[:], uint16(v))
		buf.Write(s[:])
	}
	le.PutUint32(f[:], crc32.ChecksumIEEE(buf.Bytes()))
	buf.Write(f[:])
	return buf.Bytes(), nil
}

//go:embed model/model.bin
var builtinModelFile []byte

var builtinModel = sync.OnceValues(func() (*Model, error) { return ParseModel(builtinModelFile) })

// BuiltinModel returns the model shipped in the binary. If it cannot be
// read, the error says why and Load's classifiers run on the rules alone.
func BuiltinModel() (*Model, error) { return builtinModel() }

// feat is one feature occurrence: its bucket, the normalised rune span it
// covers and the sentence it belongs to.
type feat struct {
	b    uint32
	s, e int32
	unit int32
}

// setOcc is an occurrence of one of the rules' word sets: the FNV-1a of
// the set's name and its normalised rune span.
type setOcc struct {
	h    uint32
	s, e int32
}

// modelScratch holds the model's per-call buffers (inside scratch).
type modelScratch struct {
	// occ: the set occurrences in the message (filled by
	// Classifier.setOccurrences before features reads them)
	occ    []setOcc
	unitOf []int32 // each rune's unit
	feats  []feat
	seq    []rune
	pos    []int32
	acc    []unitAcc // per unit, then the whole text
	size   []int32   // per unit: CJK and other runes, plus two per Latin word
}

// unitAcc sums the risk and severity weights of a unit's features, and
// counts them.
type unitAcc struct{ risk, severe, n int32 }

// modelMinSize is the least a text or a sentence must say for the model to
// read it alone: a rune counts one, a Latin word two. A fragment such as
// 不知道 or "yes" carries too little for n-grams; the rules and the reply
// reading (Answered) handle short messages.
const modelMinSize = 8

func mix(h uint32) uint32 {
	h ^= h >> 16
	h *= 0x7feb352d
	h ^= h >> 15
	h *= 0x846ca68b
	h ^= h >> 16
	return h
}

// features lists the features of nt into ms.feats and returns the number of
// sentences (units).
func (f FeatureConfig) features(nt *normText, ms *modelScratch) int {
	ms.feats = ms.feats[:0]
	ms.size = ms.size[:0]
	mask := uint32(1)<<f.Bits - 1
	rs := nt.runes
	units := 0
	ms.unitOf = slices.Grow(ms.unitOf[:0], len(rs))[:len(rs)]
	for a := 0; a < len(rs); {
		b := a + 1
		for b < len(rs) && nt.sent[b] == nt.sent[a] {
			b++
		}
		unit := int32(units)
		units++
		size := int32(0)
		for i := a; i < b; i++ {
			ms.unitOf[i] = unit
			switch {
			case !isLatinAlnum(rs[i]):
				if rs[i] != ' ' {
					size++
				}
			case i == a || !isLatinAlnum(rs[i-1]):
				size += 2
			}
		}
		ms.size = append(ms.size, size)
		// the sentence as a sequence with marks
		seq, pos := ms.seq[:0], ms.pos[:0]
		seq, pos = append(seq, markStart), append(pos, -1)
		for i := a; i < b; i++ {
			if i > a && nt.brk[i] >= brkClause {
				seq, pos = append(seq, markClause), append(pos, -1)
			}
			seq, pos = append(seq, rs[i]), append(pos, int32(i))
		}
		seq, pos = append(seq, markEnd), append(pos, -1)
		ms.seq, ms.pos = seq, pos
		ms.feats = slices.Grow(ms.feats, int(f.CharMax)*len(seq))
		for n := 1; n <= int(f.CharMax); n++ {
			base := f.Seed ^ uint32(n)*0x9e3779b1
			if n == 1 {
				for j, r := range seq {
					if pos[j] >= 0 {
						h := (base ^ uint32(r)) * 16777619
						ms.feats = append(ms.feats, feat{mix(h) & mask, pos[j], pos[j] + 1, unit})
					}
				}
				continue
			}
			// No two marks are next to each other (a clause mark stands
			// between two runes), so an n-gram of two or more has a rune
			// at or just after its start and at or just before its end.
			for j := 0; j+n <= len(seq); j++ {
				g := seq[j : j+n : j+n]
				h := base
				for _, r := range g {
					h = (h ^ uint32(r)) * 16777619
				}
				s, e := pos[j], pos[j+n-1]
				if s < 0 {
					s = pos[j+1]
				}
				if e < 0 {
					e = pos[j+n-2]
				}
				ms.feats = append(ms.feats, feat{mix(h) & mask, s, e + 1, unit})
			}
		}
		if f.WordMax > 0 {
			f.words(rs, a, b, unit, mask, ms)
		}
		a = b
	}
	if f.Sets > 0 {
		f.setFeatures(mask, units, ms)
	}
	return units
}

// setFeatures adds the set occurrences, each in the sentence it starts in.
// (Ordered pairs of them in a sentence as well were worse by
// cross-validation: they dilute the rest.)
func (f FeatureConfig) setFeatures(mask uint32, units int, ms *modelScratch) {
	for _, o := range ms.occ {
		u := int32(units - 1) // past the text (never): the last sentence
		if int(o.s) < len(ms.unitOf) {
			u = ms.unitOf[o.s]
		}
		if u < 0 {
			continue
		}
		ms.feats = append(ms.feats, feat{mix(f.Seed^o.h^0x2545f491) & mask, o.s, o.e, u})
	}
}

// setOccurrences lists the occurrences of the rules' word sets found by
// matchRules (after shielding) in sc.model.occ.
func (c *Classifier) setOccurrences(sc *scratch) {
	occ := sc.model.occ[:0]
	for _, si := range sc.touched {
		for _, o := range sc.sets[si] {
			occ = append(occ, setOcc{c.setHash[si], o.start, o.end})
		}
	}
	sc.model.occ = occ
}

// modelInput normalises text into sc and finds what the model reads
// besides the text: the set occurrences.
func (c *Classifier) modelInput(text string, sc *scratch) {
	normalize(text, &sc.nt)
	c.matchRules(sc, text)
	c.setOccurrences(sc)
}

// words adds the Latin word n-grams of the sentence rs[a:b].
func (f FeatureConfig) words(rs []rune, a, b int, unit int32, mask uint32, ms *modelScratch) {
	var hs [3]uint32
	var ss [3]int32
	nw := 0
	for i := a; i < b; {
		if !isLatinAlnum(rs[i]) {
			i++
			continue
		}
		j := i
		h := f.Seed ^ 0x5bd1e995
		for j < b && isLatinAlnum(rs[j]) {
			h = (h ^ uint32(rs[j])) * 16777619
			j++
		}
		copy(hs[1:], hs[:2])
		copy(ss[1:], ss[:2])
		hs[0], ss[0] = mix(h), int32(i)
		nw++
		g := hs[0]
		for n := 1; n <= int(f.WordMax) && n <= nw; n++ {
			if n > 1 {
				g = mix(g ^ hs[n-1]*0x27d4eb2f + uint32(n))
			}
			ms.feats = append(ms.feats, feat{(g ^ 0x68e31da4) & mask, ss[n-1], int32(j), unit})
		}
		i = j
	}
}

// modelOut is the model's reading of one message.
type modelOut struct {
	risk, severe float32 // probabilities, the strongest sentence or the whole
	riskUnit     int32   // the sentence that gave risk (-1: the whole text)
	severeUnit   int32
	// catUnit is the unit whose category heads give the category (units:
	// the whole text; -1: none, the text says too little)
	catUnit int
	units   int
}

func sigmoid(x float32) float32 { return float32(1 / (1 + math.Exp(-float64(x)))) }

// logit is head k's logit for a unit whose features' weights of k sum to
// acc over n features.
func (m *Model) logit(k int, acc, n int32) float32 {
	if n == 0 {
		return m.bias[k]
	}
	return m.bias[k] + m.scale[k]*float32(acc)/float32(math.Sqrt(float64(n)))
}

// score runs the model over nt (already normalised). It reads the risk and
// severity heads; category reads the category heads when they are needed.
func (m *Model) score(nt *normText, ms *modelScratch) modelOut {
	units := m.cfg.features(nt, ms)
	out := modelOut{riskUnit: -1, severeUnit: -1, catUnit: -1, units: units}
	if units == 0 {
		return out
	}
	acc := slices.Grow(ms.acc[:0], units+1)[:units+1]
	ms.acc = acc
	clear(acc)
	rs := m.riskSevere
	// the features come unit by unit (the set features after them): sum
	// in registers while the unit stays the same
	var cur unitAcc
	cu := int32(0)
	for _, f := range ms.feats {
		if f.unit != cu {
			a := &acc[cu]
			a.risk, a.severe, a.n = a.risk+cur.risk, a.severe+cur.severe, a.n+cur.n
			cur, cu = unitAcc{}, f.unit
		}
		v := rs[f.b]
		cur.risk += int32(int16(v))
		cur.severe += int32(int16(v >> 16))
		cur.n++
	}
	a := &acc[cu]
	a.risk, a.severe, a.n = a.risk+cur.risk, a.severe+cur.severe, a.n+cur.n
	// the whole text is the last unit
	whole := &acc[units]
	for _, a := range acc[:units] {
		whole.risk += a.risk
		whole.severe += a.severe
		whole.n += a.n
	}
	total := int32(0)
	for _, z := range ms.size {
		total += z
	}
	if total < modelMinSize {
		return out
	}
	first := units // a one-sentence text is its whole
	if units > 1 {
		first = 0
	}
	bestR, bestS := float32(math.Inf(-1)), float32(math.Inf(-1))
	ru, su := units, units
	for u := first; u <= units; u++ {
		a := acc[u]
		if a.n == 0 || u < units && ms.size[u] < modelMinSize {
			continue
		}
		if l := m.logit(headRisk, a.risk, a.n); l > bestR {
			bestR, ru = l, u
		}
		if l := m.logit(headSevere, a.severe, a.n); l > bestS {
			bestS, su = l, u
		}
	}
	out.risk, out.severe = sigmoid(bestR), sigmoid(bestS)
	out.riskUnit, out.severeUnit = unitOrWhole(ru, units), unitOrWhole(su, units)
	out.catUnit = ru
	if out.severe >= m.t.high {
		out.catUnit = su
	}
	return out
}

// category is the category of a reading o of the message whose features
// score left in ms: the strongest category head of o.catUnit.
func (m *Model) category(o modelOut, ms *modelScratch) Category {
	if o.catUnit < 0 {
		return Suicide
	}
	var acc [len(modelCategories)]int32
	n := int32(0)
	for _, f := range ms.feats {
		if o.catUnit < o.units && int(f.unit) != o.catUnit {
			continue
		}
		row := m.w[int(f.b)*modelHeads+headCat : int(f.b)*modelHeads+modelHeads]
		for i := range acc {
			acc[i] += int32(row[i])
		}
		n++
	}
	bc, bl := 0, float32(math.Inf(-1))
	for i := range modelCategories {
		if l := m.logit(headCat+i, acc[i], n); l > bl {
			bc, bl = i, l
		}
	}
	return modelCategories[bc]
}

func unitOrWhole(u, units int) int32 {
	if u == units {
		return -1
	}
	return int32(u)
}

// level is the level the model gives a reading: medium from the risk
// threshold, high when the severity threshold is reached as well.
func (m *Model) level(o modelOut) Level { return m.t.level(o.risk, o.severe, o.units) }

// ModelScore is the model's reading of a message, attached to a Result
// when the model grades it medium or above.
type ModelScore struct {
	Risk   float64 `json:"risk"`   // probability of medium or above
	Severe float64 `json:"severe"` // probability of high or above
	Level  Level   `json:"level"`  // what the model alone grades
	// Raised is set when the model graded the message above the rules.
	Raised bool `json:"raised,omitempty"`
}

// maxModelSpans bounds the spans that explain a model-raised flag.
const maxModelSpans = 3

// apply runs the model over the message in sc.nt and raises res when the
// model grades it above the rules: the level, the model's category, a rule
// entry with the score ("模型 0.87，无规则") and the spans that carried it.
func (m *Model) apply(res *Result, nt *normText, ms *modelScratch, text string) {
	o := m.score(nt, ms)
	lvl := m.t.modelLevel(res.Level, o.risk, o.severe, o.units)
	if lvl == None {
		return
	}
	other := slices.Contains(res.Categories, ConcernForOther)
	for _, mt := range res.Matches {
		other = other || mt.Category == ConcernForOther
	}
	if other && lvl > Medium {
		// the rules read a risk in the message as someone else's: the
		// model, which cannot tell whose it is, does not make it a handoff
		lvl = Medium
	}
	if lvl > Medium && res.Level < Medium && len(res.Signals) == 1 && res.Signals[0] == SignalDenial {
		// a clear denial with nothing beside it the rules read as risk or
		// as a means, a time or a plan ("我不是想自杀，只是想发泄一下"): the
		// model alone does not make it urgent, but may still have a
		// counselor read it (medium)
		lvl = Medium
	}
	res.Model = &ModelScore{Risk: round3(o.risk), Severe: round3(o.severe), Level: lvl}
	if lvl <= res.Level {
		return
	}
	res.Model.Raised = true
	head, unit, p := headRisk, o.riskUnit, o.risk
	if lvl >= High {
		head, unit = headSevere, o.severeUnit
		if o.risk < m.t.riskCut(o.units) {
			// graded high by the severity alone (the grave path, or a
			// message the rules flag read as grave): that is the score
			// that carried it
			p = o.severe
		}
	}
	id := ModelRule + " " + strconv.FormatFloat(float64(p), 'f', 2, 32)
	if len(res.Rules) == 0 {
		id += "，无规则"
	}
	cat := m.category(o, ms)
	if other {
		cat = ConcernForOther
	}
	res.Level = lvl
	res.Categories = addCategory(res.Categories, cat)
	res.Rules = append(res.Rules, id)
	for _, sp := range m.explain(nt, ms, head, unit) {
		s, e, bs, be := nt.origSpan(int(sp.start), int(sp.end))
		if len(res.Matches) < maxMatches && be > bs {
			res.Matches = append(res.Matches, Match{Rule: id, Category: cat, Level: lvl, Start: s, End: e, Text: text[bs:be]})
		}
	}
}

func round3(x float32) float64 { return math.Round(float64(x)*1000) / 1000 }

// explain returns the normalised spans of the features that carried head in
// unit (-1: the whole text) most, merged where they overlap, in text order.
func (m *Model) explain(nt *normText, ms *modelScratch, head int, unit int32) []occ {
	type contrib struct {
		w    int32
		s, e int32
	}
	var top [maxModelSpans * 2]contrib
	n := 0
	for _, f := range ms.feats {
		if unit >= 0 && f.unit != unit {
			continue
		}
		w := int32(m.w[int(f.b)*modelHeads+head])
		if w <= 0 {
			continue
		}
		if n < len(top) {
			top[n] = contrib{w, f.s, f.e}
			n++
		} else if w > top[len(top)-1].w {
			top[len(top)-1] = contrib{w, f.s, f.e}
		} else {
			continue
		}
		for i := n - 1; i > 0 && top[i].w > top[i-1].w; i-- {
			top[i], top[i-1] = top[i-1], top[i]
		}
	}
	var spans []occ
	for _, c := range top[:n] {
		merged := false
		for i := range spans {
			if c.s <= spans[i].end && c.e >= spans[i].start {
				spans[i].start, spans[i].end = min(spans[i].start, c.s), max(spans[i].end, c.e)
				merged = true
				break
			}
		}
		if !merged {
			if len(spans) == maxModelSpans {
				continue
			}
			spans = append(spans, occ{c.s, c.e})
		}
	}
	for i := 1; i < len(spans); i++ {
		for j := i; j > 0 && spans[j].start < spans[j-1].start; j-- {
			spans[j], spans[j-1] = spans[j-1], spans[j]
		}
	}
	_ = nt
	return spans
}

// WithModel returns a classifier with c's rules and the model m (nil: the
// rules alone). c is not changed.
func (c *Classifier) WithModel(m *Model) *Classifier {
	d := *c
	d.model = m
	d.free = make(chan *scratch, cap(c.free))
	return &d
}

// Model returns the classifier's learned scorer, nil when it runs on the
// rules alone.
func (c *Classifier) Model() *Model { return c.model }

// ScoreText runs the classifier's model alone over text (its rules only
// find the word sets the model reads): the risk and severity probabilities
// and the level it gives. Without a model it returns zeros and None.
func (c *Classifier) ScoreText(text string) (riskP, severeP float64, lvl Level) {
	if c.model == nil {
		return 0, 0, None
	}
	var sc scratch
	c.modelInput(text, &sc)
	o := c.model.score(&sc.nt, &sc.model)
	return float64(o.risk), float64(o.severe), c.model.level(o)
}
