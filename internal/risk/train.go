package risk

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"
)

// TrainOptions configures Train. Zero fields take the defaults.
type TrainOptions struct {
	// SharedFile is the shared split (psysuicide-dev.jsonl): its tuning half
	// (FNV-1a of the id even) is trained on; its held-out half is only
	// measured, in aggregate, and kept out of training by deduplication.
	// "" or a missing file: none.
	SharedFile string
	// CorpusDir holds our own corpus (*.jsonl, one message a line:
	// text, level, category, genre, lang, batch). Rows whose FNV-1a of the
	// text is below 2 mod 10 are its held-out slice, never trained on.
	CorpusDir string
	// NoCases leaves out our own labelled cases (exemplars/*.txt).
	NoCases bool
	// ReplyCases is the reply reading's labelled cases (testdata/replies.txt:
	// LEVEL | CATEGORIES | QUESTION || REPLY; "" none). A reply labelled at
	// most low (or medium) is a message the model must not raise above that
	// on its own: it trains as such and is checked like our cases.
	ReplyCases string
	// Seed fixes the shuffles; the same data and seed give the same bytes.
	Seed uint64
	// Folds is k of the k-fold cross-validation that picks the thresholds.
	Folds int
	// Epochs of training over the data (0: 12; 8 was worse by
	// cross-validation once the corpus passed 20,000 lines).
	Epochs int
	// SharedWeight weighs the shared split's tuning rows (0: 16). They are
	// real messages, the closest to what students write; the weight was
	// chosen by the model's cross-validated average precision on them.
	SharedWeight float64
	// NoSentenceNegatives leaves out the sentences of multi-sentence
	// messages labelled below medium, which otherwise join the training
	// rows as negatives: a long message is also read sentence by sentence,
	// and an ordinary sentence of an ordinary post must not flag it.
	NoSentenceNegatives bool
	// LearningRate and L2 of the AdaGrad training.
	LearningRate, L2 float64
	// Features: how text becomes features.
	Features FeatureConfig
	// MinPrecision: the flags the model adds to the rules' are,
	// cross-validated, this precise at the risk threshold, and so are the
	// rules and the model together on each genre of real messages where the
	// rules alone are. The risk threshold is the highest of its conditions'
	// (these and SourcePrecision's), and each condition is read from the
	// top (precisionFromTop): its threshold is the lowest score at which the
	// flags at or above it are that precise, above the first score where
	// they are not; a few risky rows further down that lift the precision
	// back over it do not count.
	MinPrecision float64
	// SourcePrecision: and the model's own flags are, cross-validated, this
	// precise on each source of real messages (the shared split's tuning
	// half, our corpus). The rules were written looking at the tuning half,
	// so what the model adds to them there says little about unseen
	// messages; its own flags do. 0.85 is about the rules' own precision on
	// unseen messages, so that the model is no less precise than they are.
	SourcePrecision float64
	// HighPrecision: the severity threshold is the lowest, read from the
	// top, at which the messages the model adds as high are,
	// cross-validated, at least this share labelled high or imminent (the
	// rest are medium: a model high needs the risk threshold too).
	HighPrecision float64
	// HighRecall, when set, lowers the severity threshold until this share
	// of the high or imminent real messages that are flagged (medium or
	// above) are graded high, cross-validated.
	HighRecall float64
	// SevereOnRules lets the model's severity grade high a message the
	// rules flagged (medium) although the model's risk alone is below its
	// threshold: the rules establish the risk, the model its gravity
	// (format 3).
	SevereOnRules bool
	// Grave adds a severity threshold that grades high whatever the risk
	// probability: the lowest, read from the top, at which the messages it
	// adds (flagged by neither the rules nor the risk threshold) are,
	// cross-validated, GravePrecision risky (format 3).
	Grave bool
	// GravePrecision: the share of risky messages among those the grave
	// threshold alone grades high, cross-validated (0: MinPrecision). Such a
	// message matched no rule and the risk head did not flag it, yet it
	// opens an urgent handoff. Measured on 2026-12-07 (BENCHMARKS.md): 0.9
	// instead of 0.8 spared 3 of 251 everyday look-alikes (medicine taken as
	// prescribed) but lost 1.6 points of cross-validated recall, about 210
	// risky messages for 70 false alarms, so the default stays 0.8.
	GravePrecision float64
	// ExtraFile holds more labelled rows to train on, such as the district's
	// own ("xinqiao risk export"): see readExtra. "": none.
	ExtraFile string
	// Rules is the rule classifier the model is combined with (its own
	// model is ignored); nil: the built-in rules.
	Rules *Classifier
	// CVOnly stops after the cross-validation: the result has the
	// thresholds, the cross-validated and leave-group-out figures and our
	// corpus's held-out slice measured on a model trained on every training
	// row (no rounds for broken cases); the shared split's held-out half is
	// not measured. It is for choosing options.
	CVOnly bool
	// GroupThresholds chooses the thresholds on the leave-group-out scores
	// (each writer's rows scored by a model that never saw that writer)
	// instead of the k-fold ones.
	GroupThresholds bool
	// LeaveOut runs the leave-group-out cross-validation in a full
	// training too (for the card); CVOnly and GroupThresholds always do.
	LeaveOut bool
	// Log receives progress lines; nil: none.
	Log io.Writer
}

func (o TrainOptions) withDefaults() TrainOptions {
	if o.Seed == 0 {
		o.Seed = 14
	}
	if o.Folds < 2 {
		o.Folds = 5
	}
	if o.Epochs <= 0 {
		o.Epochs = 12
	}
	if o.SharedWeight <= 0 {
		o.SharedWeight = 16
	}
	if o.LearningRate <= 0 {
		o.LearningRate = 0.2
	}
	if o.L2 < 0 {
		o.L2 = 0
	} else if o.L2 == 0 {
		o.L2 = 1e-6
	}
	if o.Features.Bits == 0 {
		o.Features = FeatureConfig{Bits: 18, CharMax: 3, WordMax: 2, Seed: 0x78713134}
	}
	if o.MinPrecision <= 0 {
		o.MinPrecision = 0.8
	}
	if o.SourcePrecision <= 0 {
		o.SourcePrecision = 0.85
	}
	if o.HighPrecision <= 0 {
		o.HighPrecision = 0.7
	}
	if o.GravePrecision <= 0 {
		o.GravePrecision = o.MinPrecision
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	return o
}

// trainRow is one labelled message.
type trainRow struct {
	text   string
	risk   int8 // 1 medium or above, 0 below, -1 unknown
	severe int8 // 1 high or above, 0 below, -1 unknown
	cat    int8 // index into modelCategories, -1 unknown
	source string
	genre  string
	lang   string
	weight float32
	feats  []uint32
	// maxLevel is the highest level the label allows (a case "<=low").
	maxLevel Level
	// parent is the row a sentence row was taken from (-1: none); sentence
	// rows train, and are never measured.
	parent int
	// extra is how many more times each epoch visits the row (a labelled
	// case the model broke).
	extra int
	// group is the hand that wrote the row, for the leave-group-out
	// cross-validation: "shared" for the shared split, "corpus:a" for
	// corpus writer a (the file name up to its first "_"); "" for our
	// cases, reply cases and extra rows, which are spread over the groups.
	group string
}

// Confusion counts one measurement of the combined classifier.
type Confusion struct {
	N  int `json:"n"`
	TP int `json:"tp"`
	FP int `json:"fp"`
	TN int `json:"tn"`
	FN int `json:"fn"`
	// Severe rows are labelled high or imminent; SevereHigh of them were
	// graded high or above.
	Severe     int `json:"severe"`
	SevereHigh int `json:"severe_high"`
	// SevereFlagged of the severe rows were graded medium or above; High
	// rows were graded high or above, HighSevere of them labelled high or
	// imminent (the leave-group-out figures carry these).
	SevereFlagged int `json:"severe_flagged,omitempty"`
	High          int `json:"high,omitempty"`
	HighSevere    int `json:"high_severe,omitempty"`
}

func (c *Confusion) add(wantRisk, severe bool, got Level) {
	c.N++
	pos := got >= Medium
	switch {
	case wantRisk && pos:
		c.TP++
	case wantRisk:
		c.FN++
	case pos:
		c.FP++
	default:
		c.TN++
	}
	if severe {
		c.Severe++
		if got >= High {
			c.SevereHigh++
		}
	}
}

// addHigh counts the severity figures of the leave-group-out measurement.
func (c *Confusion) addHigh(severe bool, got Level) {
	if severe && got >= Medium {
		c.SevereFlagged++
	}
	if got >= High {
		c.High++
		if severe {
			c.HighSevere++
		}
	}
}

// Precision is TP/(TP+FP).
func (c Confusion) Precision() float64 { return ratio(c.TP, c.TP+c.FP) }

// Recall is TP/(TP+FN).
func (c Confusion) Recall() float64 { return ratio(c.TP, c.TP+c.FN) }

// Wilson is the 95 % Wilson score interval of k successes in n.
func Wilson(k, n int) (lo, hi float64) {
	if n == 0 {
		return 0, 1
	}
	const z = 1.959964
	p := float64(k) / float64(n)
	nn := float64(n)
	d := 1 + z*z/nn
	c := (p + z*z/(2*nn)) / d
	h := z * math.Sqrt(p*(1-p)/nn+z*z/(4*nn*nn)) / d
	return math.Max(0, c-h), math.Min(1, c+h)
}

// CardFigures are the figures of a model card, also written into MODEL.md
// as JSON so that a test can hold the shipped model to them.
type CardFigures struct {
	Format   int           `json:"format"`
	Seed     uint64        `json:"seed"`
	Features FeatureConfig `json:"features"`
	Epochs   int           `json:"epochs"`
	Folds    int           `json:"folds"`
	// SharedWeight and the precisions the thresholds were chosen for.
	SharedWeight    float64 `json:"shared_weight"`
	MinPrecision    float64 `json:"min_precision"`
	SourcePrecision float64 `json:"source_precision"`
	HighPrecision   float64 `json:"high_precision"`
	ThreshRisk      float64 `json:"threshold_risk"`
	// ThreshRiskLong is the risk threshold of a message of longUnits
	// sentences or more.
	ThreshRiskLong float64 `json:"threshold_risk_long"`
	ThreshHigh     float64 `json:"threshold_high"`
	// ThreshGrave is the severity from which the model grades high
	// whatever its risk (0: none); SevereOnRules says the severity
	// threshold also grades high a message the rules flag; HighRecall is
	// the share of flagged high/imminent rows the severity threshold was
	// lowered for (0: none). Format 3.
	ThreshGrave    float64 `json:"threshold_grave,omitempty"`
	GravePrecision float64 `json:"grave_precision,omitempty"`
	SevereOnRules  bool    `json:"severe_on_rules,omitempty"`
	HighRecall     float64 `json:"high_recall,omitempty"`
	// Train counts the training rows after deduplication, by source and
	// genre ("shared/client_counselor", "corpus/post").
	Train map[string]int `json:"train"`
	// Removed counts rows dropped as near-duplicates, by source and reason.
	Removed map[string]int `json:"removed"`
	// CV is the cross-validated figure on the training rows (rules and the
	// out-of-fold model) at the chosen thresholds; CVSource the same by
	// source ("shared": the tuning half of the shared split) and, for our
	// corpus, by genre ("corpus/post").
	CV       Confusion            `json:"cv"`
	CVSource map[string]Confusion `json:"cv_source,omitempty"`
	// LeaveOut is the leave-group-out cross-validation, a more honest
	// figure than CV for messages from an unseen hand: each group (the
	// shared split's tuning half, each writer of our corpus) is scored by a
	// model trained without it, at the chosen thresholds, rules and model
	// (LeaveOutRules: the rules alone). LeaveOutGenre is the same by
	// source and genre.
	LeaveOut      map[string]Confusion `json:"leave_out,omitempty"`
	LeaveOutRules map[string]Confusion `json:"leave_out_rules,omitempty"`
	LeaveOutGenre map[string]Confusion `json:"leave_out_genre,omitempty"`
	// GroupThresholds is set when the thresholds were chosen on the
	// leave-group-out scores rather than the k-fold ones.
	GroupThresholds bool `json:"group_thresholds,omitempty"`
	// HeldOut is the shared split's held-out half, rules and model;
	// HeldOutRules the rules alone.
	HeldOut      *Confusion `json:"held_out,omitempty"`
	HeldOutRules *Confusion `json:"held_out_rules,omitempty"`
	// Corpus is our corpus's held-out slice by genre, rules and model, and
	// CorpusRules the rules alone.
	Corpus      map[string]Confusion `json:"corpus,omitempty"`
	CorpusRules map[string]Confusion `json:"corpus_rules,omitempty"`
	// CorpusLang is the same slice by language, rules and model.
	CorpusLang map[string]Confusion `json:"corpus_lang,omitempty"`
	// CasesFailing counts our labelled cases whose label the combined
	// classifier breaks (the rules alone: CasesFailingRules).
	Cases             int `json:"cases"`
	CasesFailing      int `json:"cases_failing"`
	CasesFailingRules int `json:"cases_failing_rules"`
}

// TrainResult is a trained model, its weights file and its card.
type TrainResult struct {
	Model   *Model
	Weights []byte
	Figures CardFigures
	// Classifier is the rules with the new model.
	Classifier *Classifier
	// FailingCases lists the labelled cases the combined classifier breaks.
	FailingCases []string
	// ExtraUnsure counts the rows of ExtraFile labelled unsure, skipped.
	ExtraUnsure int
}

func fnv32a(s string) uint32 {
	h := fnv.New32a()
	h.Write([]byte(s))
	return h.Sum32()
}

// SharedTuningHalf reports whether a shared-split row (by id) is in the
// tuning half: FNV-1a of the id, even.
func SharedTuningHalf(id string) bool { return fnv32a(id)%2 == 0 }

// CorpusHeldOut reports whether a corpus text is in the corpus's held-out
// slice: FNV-1a of the text below 2 mod 10.
func CorpusHeldOut(text string) bool { return fnv32a(text)%10 < 2 }

func catIndex(c Category) int8 {
	for i, k := range modelCategories {
		if k == c {
			return int8(i)
		}
	}
	return -1
}

func b2i(b bool) int8 {
	if b {
		return 1
	}
	return 0
}

// readShared reads the shared split into the tuning rows and the held-out
// rows (kept apart: only measured in aggregate and deduplicated against).
func readShared(path string) (tune, held []trainRow, err error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	for ln, line := range bytes.Split(data, []byte("\n")) {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var r struct {
			Text       string   `json:"text"`
			Label      string   `json:"label"`
			Severity   string   `json:"severity"`
			ID         string   `json:"id"`
			Categories []string `json:"categories"`
			Source     string   `json:"data_source"`
		}
		if err := json.Unmarshal(line, &r); err != nil {
			return nil, nil, fmt.Errorf("%s:%d: %v", path, ln+1, err)
		}
		if r.Label != "risk" && r.Label != "none" {
			return nil, nil, fmt.Errorf("%s:%d: label %q: want risk or none", path, ln+1, r.Label)
		}
		sev, err := ParseLevel(r.Severity)
		if err != nil {
			return nil, nil, fmt.Errorf("%s:%d: %v", path, ln+1, err)
		}
		row := trainRow{text: r.Text, risk: b2i(r.Label == "risk"), severe: b2i(sev >= High), cat: -1,
			source: "shared", genre: r.Source, lang: "zh-Hans", weight: 1, maxLevel: Imminent, group: "shared"}
		if row.risk == 1 {
			for _, c := range r.Categories {
				if k := catIndex(Category(c)); k >= 0 {
					row.cat = k
					break
				}
			}
		}
		if SharedTuningHalf(r.ID) {
			tune = append(tune, row)
		} else {
			held = append(held, row)
		}
	}
	return tune, held, nil
}

// corpusRow is one line of our corpus.
type corpusRow struct {
	Text     *string `json:"text"`
	Level    string  `json:"level"`
	Category string  `json:"category"`
	Genre    string  `json:"genre"`
	Lang     string  `json:"lang"`
	Batch    string  `json:"batch"`
}

// trainRow checks a corpus row and makes it a training row.
func (c corpusRow) trainRow() (trainRow, error) {
	if c.Text == nil || strings.TrimSpace(*c.Text) == "" {
		return trainRow{}, errors.New("no text")
	}
	lvl, err := ParseLevel(c.Level)
	if err != nil {
		return trainRow{}, err
	}
	cat := int8(-1)
	if c.Category != "" && c.Category != "none" {
		if !validCategory(Category(c.Category)) {
			return trainRow{}, fmt.Errorf("unknown category %q", c.Category)
		}
		if lvl >= Medium {
			cat = catIndex(Category(c.Category))
		}
	}
	genre := c.Genre
	if genre == "" {
		genre = "unknown"
	}
	return trainRow{text: *c.Text, risk: b2i(lvl >= Medium), severe: b2i(lvl >= High), cat: cat,
		source: "corpus", genre: genre, lang: c.Lang, weight: 1, maxLevel: Imminent}, nil
}

// ReadCorpus reads labelled JSONL in the corpus format (text, level,
// category, genre, lang, batch); a bad row is an error naming its file and
// line.
func readCorpus(name string, r io.Reader) ([]trainRow, error) {
	var out []trainRow
	err := eachLine(r, fileLine(name), func(ln int, line []byte) error {
		var c corpusRow
		if err := json.Unmarshal(line, &c); err != nil {
			return fmt.Errorf("%s:%d: %v", name, ln, err)
		}
		row, err := c.trainRow()
		if err != nil {
			return fmt.Errorf("%s:%d: %v", name, ln, err)
		}
		out = append(out, row)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// readCorpusDir reads every *.jsonl in dir, in name order, and splits off
// the held-out slice.
func readCorpusDir(dir string) (train, held []trainRow, err error) {
	if dir == "" {
		return nil, nil, nil
	}
	names, err := filepath.Glob(filepath.Join(dir, "*.jsonl"))
	if err != nil {
		return nil, nil, err
	}
	sort.Strings(names)
	for _, n := range names {
		f, err := os.Open(n)
		if err != nil {
			return nil, nil, err
		}
		rows, err := readCorpus(n, f)
		f.Close()
		if err != nil {
			return nil, nil, err
		}
		writer, _, _ := strings.Cut(filepath.Base(n), "_")
		for _, r := range rows {
			r.group = "corpus:" + writer
			if CorpusHeldOut(r.text) {
				held = append(held, r)
			} else {
				train = append(train, r)
			}
		}
	}
	return train, held, nil
}

// constructed reports a source of short probes written for the rules (our
// cases, the reply cases), as opposed to messages written as real ones are.
func constructed(source string) bool { return source == "cases" || source == "replies" }

// caseRows turns our labelled cases into training rows. A case whose range
// straddles medium says nothing about risk; one that straddles high says
// nothing about severity. Benign look-alikes weigh double.
func caseRows(cases []Case) []trainRow {
	var out []trainRow
	for _, c := range cases {
		r := trainRow{text: c.Text, risk: -1, severe: -1, cat: -1, source: "cases", genre: "case", lang: "zh", weight: 1, maxLevel: c.Max}
		if strings.HasPrefix(c.Name, "en/") || strings.Contains(c.Name, "_en/") {
			r.lang = "en"
		}
		switch {
		case c.Min >= Medium:
			r.risk = 1
		case c.Max <= Low:
			r.risk = 0
			r.weight = 2
		}
		switch {
		case c.Min >= High:
			r.severe = 1
		case c.Max <= Medium:
			r.severe = 0
		}
		if r.risk == 1 {
			for _, k := range c.Want {
				if i := catIndex(k); i >= 0 {
					r.cat = i
					break
				}
			}
		}
		if r.risk >= 0 || r.severe >= 0 {
			out = append(out, r)
		}
	}
	return out
}

// Near-duplicate detection: MinHash over character 3-grams of the
// normalised text, banded, then the exact Jaccard of the candidates.
const (
	dupThreshold = 0.8
	minBands     = 12
	minRows      = 4
)

type shingled struct {
	grams []uint64 // sorted, unique
	sig   [minBands * minRows]uint64
}

func shingle(text string, nt *normText) shingled {
	normalize(text, nt)
	rs := nt.runes
	var gs []uint64
	if len(rs) < 3 {
		h := uint64(14695981039346656037)
		for _, r := range rs {
			h = (h ^ uint64(r)) * 1099511628211
		}
		gs = append(gs, h)
	}
	for i := 0; i+3 <= len(rs); i++ {
		h := uint64(14695981039346656037)
		for _, r := range rs[i : i+3] {
			h = (h ^ uint64(r)) * 1099511628211
		}
		gs = append(gs, h)
	}
	slices.Sort(gs)
	gs = slices.Compact(gs)
	s := shingled{grams: gs}
	for k := range s.sig {
		s.sig[k] = math.MaxUint64
		seed := uint64(k+1) * 0x9e3779b97f4a7c15
		for _, g := range gs {
			x := (g ^ seed) * 0xbf58476d1ce4e5b9
			x ^= x >> 31
			if x < s.sig[k] {
				s.sig[k] = x
			}
		}
	}
	return s
}

func jaccard(a, b []uint64) float64 {
	i, j, inter := 0, 0, 0
	for i < len(a) && j < len(b) {
		switch {
		case a[i] == b[j]:
			inter++
			i++
			j++
		case a[i] < b[j]:
			i++
		default:
			j++
		}
	}
	u := len(a) + len(b) - inter
	if u == 0 {
		return 1
	}
	return float64(inter) / float64(u)
}

// dedupIndex finds near-duplicates among the texts added to it.
type dedupIndex struct {
	items []shingled
	held  []bool
	bands [minBands]map[uint64][]int32
}

func newDedupIndex() *dedupIndex {
	d := &dedupIndex{}
	for i := range d.bands {
		d.bands[i] = map[uint64][]int32{}
	}
	return d
}

func bandKey(s *shingled, b int) uint64 {
	h := uint64(b) * 0x94d049bb133111eb
	for _, v := range s.sig[b*minRows : (b+1)*minRows] {
		h = (h ^ v) * 1099511628211
	}
	return h
}

// find returns the first indexed near-duplicate of s, or -1.
func (d *dedupIndex) find(s *shingled) int {
	best := -1
	for b := range d.bands {
		for _, i := range d.bands[b][bandKey(s, b)] {
			if (best < 0 || int(i) < best) && jaccard(s.grams, d.items[i].grams) >= dupThreshold {
				best = int(i)
			}
		}
	}
	return best
}

func (d *dedupIndex) add(s shingled, held bool) {
	i := int32(len(d.items))
	d.items = append(d.items, s)
	d.held = append(d.held, held)
	for b := range d.bands {
		k := bandKey(&s, b)
		d.bands[b][k] = append(d.bands[b][k], i)
	}
}

// dedupe drops training rows that nearly duplicate a held-out row (any
// source) or an earlier training row, and counts what it dropped.
func dedupe(train []trainRow, held [][]trainRow, removed map[string]int, heldNear map[string]bool) []trainRow {
	d := newDedupIndex()
	var nt normText
	for _, hs := range held {
		for _, r := range hs {
			d.add(shingle(r.text, &nt), true)
		}
	}
	out := train[:0:0]
	for _, r := range train {
		s := shingle(r.text, &nt)
		if i := d.find(&s); i >= 0 {
			if d.held[i] {
				removed[r.source+": near a held-out row"]++
				heldNear[r.text] = true
			} else {
				removed[r.source+": near an earlier training row"]++
			}
			continue
		}
		d.add(s, false)
		out = append(out, r)
	}
	return out
}

// featurize fills each row's feature buckets (rules finds the word sets).
func featurize(rows []trainRow, fc FeatureConfig, rules *Classifier) {
	var sc scratch
	ms := &sc.model
	for i := range rows {
		rules.modelInput(rows[i].text, &sc)
		fc.features(&sc.nt, ms)
		fs := make([]uint32, len(ms.feats))
		for k, f := range ms.feats {
			fs[k] = f.b
		}
		rows[i].feats = fs
	}
}

// fit trains the linear heads on rows[idx] (AdaGrad, L2 on touched
// weights) and returns the quantised model, without thresholds.
func fit(rows []trainRow, idx []int, o TrainOptions, seed uint64) *Model {
	const eps = 1e-8
	lr, l2 := o.LearningRate, o.L2
	H := modelHeads
	buckets := 1 << o.Features.Bits
	w := make([]float32, buckets*H)
	g2 := make([]float32, buckets*H)
	var bias, bg2 [modelHeads]float64
	var z, g [modelHeads]float64
	step := func(r *trainRow) {
		x := 1 / math.Sqrt(float64(len(r.feats)))
		for k := range H {
			z[k] = 0
		}
		for _, b := range r.feats {
			row := w[int(b)*H : int(b)*H+H]
			for k := range H {
				z[k] += float64(row[k])
			}
		}
		for k := range H {
			z[k] = bias[k] + x*z[k]
			g[k] = 0
		}
		wt := float64(r.weight)
		if r.risk >= 0 {
			g[headRisk] = (sigmoid64(z[headRisk]) - float64(r.risk)) * wt
		}
		if r.severe >= 0 {
			g[headSevere] = (sigmoid64(z[headSevere]) - float64(r.severe)) * wt
		}
		if r.cat >= 0 {
			mx := math.Inf(-1)
			for k := headCat; k < H; k++ {
				mx = math.Max(mx, z[k])
			}
			var sum float64
			for k := headCat; k < H; k++ {
				sum += math.Exp(z[k] - mx)
			}
			for k := headCat; k < H; k++ {
				p := math.Exp(z[k]-mx) / sum
				if k-headCat == int(r.cat) {
					p -= 1
				}
				g[k] = p * wt
			}
		}
		for k := range H {
			if g[k] == 0 {
				continue
			}
			bg2[k] += g[k] * g[k]
			bias[k] -= lr * g[k] / (math.Sqrt(bg2[k]) + eps)
		}
		for _, b := range r.feats {
			off := int(b) * H
			for k := range H {
				if g[k] == 0 {
					continue
				}
				gr := float32(g[k]*x) + float32(l2)*w[off+k]
				g2[off+k] += gr * gr
				w[off+k] -= float32(lr) * gr / (float32(math.Sqrt(float64(g2[off+k]))) + eps)
			}
		}
	}
	order := slices.Clone(idx)
	rng := rand.New(rand.NewPCG(seed, 0x68313473))
	for ep := 0; ep < o.Epochs; ep++ {
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		for _, ri := range order {
			r := &rows[ri]
			if len(r.feats) == 0 {
				continue
			}
			for range 1 + int(r.extra) {
				step(r)
			}
		}
	}
	m := &Model{cfg: o.Features, mask: uint32(buckets - 1), w: make([]int16, buckets*H), t: modelThresholds{risk: 0.5, long: 0.5, high: 0.5}}
	for k := range H {
		var mx float32
		for b := 0; b < buckets; b++ {
			mx = max(mx, float32(math.Abs(float64(w[b*H+k]))))
		}
		if mx == 0 {
			mx = 1
		}
		m.scale[k] = mx / 32767
		m.bias[k] = float32(bias[k])
		for b := 0; b < buckets; b++ {
			m.w[b*H+k] = int16(math.Round(float64(w[b*H+k] / m.scale[k])))
		}
	}
	m.pack()
	return m
}

func sigmoid64(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

// oofScore is a model's reading of a row it was not trained on.
type oofScore struct {
	risk, severe float32
	units        int
}

// level is what the model grades the reading at thresholds t.
func (s oofScore) level(t modelThresholds) Level {
	return t.level(s.risk, s.severe, s.units)
}

// with is what the rules (at level rules) and the model grade together.
func (s oofScore) with(rules Level, t modelThresholds) Level {
	return t.combine(rules, s.risk, s.severe, s.units)
}

// outOfFold scores every row (sentence rows excepted) with a model trained
// on the rows of the other folds; a sentence row is in its message's fold.
func outOfFold(train []trainRow, fold []int, folds int, o TrainOptions, rules *Classifier, name string) []oofScore {
	for i, r := range train {
		if r.parent >= 0 {
			fold[i] = fold[r.parent] // a sentence is never scored by a model trained on its message
		}
	}
	oof := make([]oofScore, len(train))
	var sc scratch
	for k := 0; k < folds; k++ {
		var idx []int
		for i := range train {
			if fold[i] != k {
				idx = append(idx, i)
			}
		}
		m := fit(train, idx, o, o.Seed+uint64(k)+1)
		for i, r := range train {
			if fold[i] == k && r.parent < 0 {
				rules.modelInput(r.text, &sc)
				s := m.score(&sc.nt, &sc.model)
				oof[i] = oofScore{s.risk, s.severe, s.units}
			}
		}
		fmt.Fprintf(o.Log, "%s %d of %d done\n", name, k+1, folds)
	}
	return oof
}

// corpusFigures grades each held-out row of our corpus once with the rules
// and the model (withModel) and once with the rules alone, and counts them
// by genre (both ways) and by language (rules and model); with high the
// counts by genre also say how the severe rows were graded (addHigh).
func corpusFigures(held []trainRow, withModel, rules *Classifier, high bool) (byGenre, rulesByGenre, byLang map[string]Confusion) {
	byGenre, rulesByGenre, byLang = map[string]Confusion{}, map[string]Confusion{}, map[string]Confusion{}
	for _, r := range held {
		lv, lr := withModel.Classify(r.text).Level, rules.Classify(r.text).Level
		c, a, l := byGenre[r.genre], rulesByGenre[r.genre], byLang[r.lang]
		c.add(r.risk == 1, r.severe == 1, lv)
		a.add(r.risk == 1, r.severe == 1, lr)
		l.add(r.risk == 1, r.severe == 1, lv)
		if high {
			c.addHigh(r.severe == 1, lv)
			a.addHigh(r.severe == 1, lr)
		}
		byGenre[r.genre], rulesByGenre[r.genre], byLang[r.lang] = c, a, l
	}
	return byGenre, rulesByGenre, byLang
}

// pickThresholds chooses the thresholds on the cross-validated scores,
// separately for short messages and for long ones (longUnits sentences or
// more). A risk threshold is the highest of those at which the flags the
// model adds to the rules' are MinPrecision precise, the rules and the
// model together as precise on each genre of real messages (the shared
// split's, our corpus's) where the rules alone are, and the model's own
// flags SourcePrecision precise on each source of real messages (the shared
// split, the corpus). The severity threshold is the one at which, of the
// messages the model flags and the rules leave below high, the ones it
// grades high are HighPrecision labelled high or imminent. Each "threshold
// at which" is read from the top (precisionFromTop): the lowest at which
// the flags at or above it are that precise, above the first where they
// are not.
func pickThresholds(rows []trainRow, rules []Level, oof []oofScore, o TrainOptions) modelThresholds {
	// Calibrate on the rows written as real messages are written (the shared
	// split, the corpus) when there are enough; our cases are short
	// constructed probes.
	calib := make([]bool, len(rows))
	n := 0
	for i, r := range rows {
		if !constructed(r.source) && r.risk >= 0 && r.parent < 0 {
			calib[i] = true
			n++
		}
	}
	if n < 100 {
		for i, r := range rows {
			calib[i] = r.risk >= 0 && r.parent < 0
		}
	}
	// pick returns the threshold at which the rows kept (get their score,
	// good says whether one counts as a true flag) are want precise: see
	// precisionFromTop.
	pick := func(get func(i int) float32, keep func(i int) bool, good func(r trainRow) bool, want float64) float32 {
		var vs []scored
		for i, r := range rows {
			if calib[i] && keep(i) {
				vs = append(vs, scored{get(i), good(r)})
			}
		}
		sort.Slice(vs, func(i, j int) bool { return vs[i].v > vs[j].v })
		return precisionFromTop(vs, want)
	}
	riskOf := func(i int) float32 { return oof[i].risk }
	// the risk threshold of short messages and of long ones (read
	// sentence by sentence, so a benign one has more chances to score high)
	riskFor := func(long bool) float32 {
		part := func(i int) bool { return (oof[i].units >= longUnits) == long }
		t := pick(riskOf, func(i int) bool { return part(i) && rules[i] < Medium },
			func(r trainRow) bool { return r.risk == 1 }, o.MinPrecision)
		fmt.Fprintf(o.Log, "risk threshold (long %v): the flags the model adds %.3f", long, t)
		// and the model's own flags are that precise on each source of
		// real messages with enough rows
		count := map[string]int{}
		for i, r := range rows {
			if calib[i] && !constructed(r.source) && part(i) {
				count[r.source]++
			}
		}
		for _, src := range sortedKeys(count) {
			if count[src] < 100 {
				continue
			}
			ts := pick(riskOf, func(i int) bool { return part(i) && rows[i].source == src },
				func(r trainRow) bool { return r.risk == 1 }, o.SourcePrecision)
			fmt.Fprintf(o.Log, ", %s alone %.3f", src, ts)
			t = max(t, ts)
		}
		// and the rules and the model together are MinPrecision precise on
		// each genre of each source of real messages (rows the rules flag
		// count as flagged at any threshold)
		genres := map[string]int{}
		for i, r := range rows {
			if calib[i] && !constructed(r.source) && part(i) {
				genres[r.source+"/"+r.genre]++
			}
		}
		for _, g := range sortedKeys(genres) {
			if genres[g] < 100 {
				continue
			}
			// a genre the rules alone flag less precisely is no
			// constraint: no threshold would meet it
			var alone Confusion
			for i, r := range rows {
				if calib[i] && part(i) && r.source+"/"+r.genre == g {
					alone.add(r.risk == 1, false, rules[i])
				}
			}
			if alone.TP+alone.FP > 0 && alone.Precision() < o.MinPrecision {
				continue
			}
			both := func(i int) float32 {
				if rules[i] >= Medium {
					return 2
				}
				return oof[i].risk
			}
			tg := pick(both, func(i int) bool { return part(i) && rows[i].source+"/"+rows[i].genre == g },
				func(r trainRow) bool { return r.risk == 1 }, o.MinPrecision)
			fmt.Fprintf(o.Log, ", %s with the rules %.3f", g, tg)
			t = max(t, min(tg, 0.99))
		}
		fmt.Fprintln(o.Log)
		return t
	}
	var t modelThresholds
	t.risk = riskFor(false)
	t.long = t.risk
	long := 0
	for i := range rows {
		if calib[i] && oof[i].units >= longUnits {
			long++
		}
	}
	if long >= 100 {
		t.long = riskFor(true)
	}
	t.onRules = o.SevereOnRules
	// the messages the model could grade high: those it flags, and with
	// SevereOnRules those the rules flag
	canHigh := func(i int) bool {
		return oof[i].level(modelThresholds{risk: t.risk, long: t.long, high: 2}) >= Medium || t.onRules && rules[i] >= Medium
	}
	t.high = pick(func(i int) float32 { return oof[i].severe }, func(i int) bool { return rules[i] < High && canHigh(i) },
		func(r trainRow) bool { return r.severe == 1 }, o.HighPrecision)
	if o.Grave {
		t.grave = pick(func(i int) float32 { return oof[i].severe }, func(i int) bool { return oof[i].with(rules[i], t) < Medium },
			func(r trainRow) bool { return r.risk == 1 }, o.GravePrecision)
		fmt.Fprintf(o.Log, "severity alone grades high from %.3f\n", t.grave)
	}
	if o.HighRecall > 0 {
		// and low enough that HighRecall of the flagged high or imminent
		// real messages are graded high
		var ss []float32
		flagged, high := 0, 0
		for i, r := range rows {
			lv := oof[i].with(rules[i], modelThresholds{risk: t.risk, long: t.long, high: 2, grave: t.grave})
			if !calib[i] || r.severe != 1 || lv < Medium {
				continue
			}
			flagged++
			switch {
			case lv >= High:
				high++
			case canHigh(i):
				ss = append(ss, oof[i].severe)
			}
		}
		sort.Slice(ss, func(i, j int) bool { return ss[i] > ss[j] })
		if need := int(math.Ceil(o.HighRecall*float64(flagged))) - high; need > 0 && len(ss) > 0 {
			tr := ss[min(need, len(ss))-1]
			tr = max(tr, 0.01)
			fmt.Fprintf(o.Log, "severity threshold: %.3f for precision %g, %.3f for recall %g of %d flagged high or imminent rows\n", t.high, o.HighPrecision, tr, o.HighRecall, flagged)
			t.high = min(t.high, tr)
		}
	}
	return t
}

// fromTopRows is how many flags a cut-off needs before falling short of
// the precision stops precisionFromTop: the precision of fewer says little
// (one false flag among the first five already makes 0.8).
const fromTopRows = 20

// precisionFromTop returns the threshold at which the rows of vs (sorted by
// score, highest first) flagged at or above it are want precise, read from
// the top: the lowest cut-off with at least 5 rows flagged at which they
// are at least want precise, above the first cut-off with at least
// fromTopRows flagged at which they are not (a cut-off falls only between
// rows of different scores, never below 0.05); 0.99 when there is none.
// Rows below the first cut-off that falls short never move it: the
// precision of the rows at or above a score is not monotone in it, and the
// lowest score where it is back over want, after a few risky rows further
// down lifted it, would jump when a few rows change.
func precisionFromTop(vs []scored, want float64) float32 {
	best := float32(0.99)
	tp, fp := 0, 0
	for i, v := range vs {
		if v.v < 0.05 {
			break
		}
		if v.risk {
			tp++
		} else {
			fp++
		}
		if i+1 < len(vs) && vs[i+1].v == v.v || tp+fp < 5 {
			continue // only at the last row of a run of equal scores
		}
		if ratio(tp, tp+fp) >= want {
			best = v.v
		} else if tp+fp >= fromTopRows {
			break
		}
	}
	return best
}

// logGroupCurves logs, for each group scored by a model trained without it,
// figures that do not depend on the thresholds: the model's average
// precision alone, and the recall of the rules and the model together at
// the lowest risk threshold where they are 0.80 and 0.85 precise on the
// group (a row the rules flag counts as flagged at any threshold). Options
// are compared on these at matched precision.
func logGroupCurves(rows []trainRow, rules []Level, goof []oofScore, groups []string, log io.Writer) {
	for _, g := range groups {
		var alone, both []scored
		for i, r := range rows {
			if r.group != g || r.risk < 0 || r.parent >= 0 {
				continue
			}
			alone = append(alone, scored{goof[i].risk, r.risk == 1})
			v := goof[i].risk
			if rules[i] >= Medium {
				v = 2
			}
			both = append(both, scored{v, r.risk == 1})
		}
		ap, _ := prFigures(alone, false)
		_, r := prFigures(both, true, 0.80, 0.85)
		if ap < 0 {
			continue
		}
		fmt.Fprintf(log, "left out %s: model alone average precision %.4f; rules + model recall %.3f at precision 0.80, %.3f at 0.85\n", g, ap, r[0], r[1])
	}
}

// scored is a row's score and whether it is risky, for the figures that do
// not depend on a threshold.
type scored struct {
	v    float32
	risk bool
}

// prFigures sorts vs by score, highest first (ties in their order), and
// returns the average precision and, for each precision in at, the highest
// recall at a cut-off where precision is at least that. With whole, a
// cut-off falls only between rows of different scores (tied rows are
// flagged together); without, after any row. The average precision is -1
// when no row is risky.
func prFigures(vs []scored, whole bool, at ...float64) (ap float64, recall []float64) {
	sort.SliceStable(vs, func(i, j int) bool { return vs[i].v > vs[j].v })
	pos := 0
	for _, v := range vs {
		if v.risk {
			pos++
		}
	}
	recall = make([]float64, len(at))
	if pos == 0 {
		return -1, recall
	}
	tp := 0
	for i, v := range vs {
		if v.risk {
			tp++
			ap += ratio(tp, i+1) / float64(pos)
		}
		if whole && i+1 < len(vs) && vs[i+1].v == v.v {
			continue
		}
		for k, p := range at {
			if ratio(tp, i+1) >= p {
				recall[k] = math.Max(recall[k], ratio(tp, pos))
			}
		}
	}
	return ap, recall
}

// Train builds a model from the shared split's tuning half, our cases and
// our corpus: near-duplicates removed (also against every held-out row),
// thresholds chosen by k-fold cross-validation on the training rows, then
// the final model trained on all of them and measured on the held-out rows.
func Train(o TrainOptions) (*TrainResult, error) {
	o = o.withDefaults()
	if err := o.Features.valid(); err != nil {
		return nil, err
	}
	rules := o.Rules
	if rules == nil {
		var err error
		if rules, err = Load(""); err != nil {
			return nil, err
		}
	}
	rules = rules.WithModel(nil)

	var train []trainRow
	if !o.NoCases {
		cases, err := OwnCases()
		if err != nil {
			return nil, err
		}
		train = append(train, caseRows(cases)...)
	}
	var replies []Case
	if o.ReplyCases != "" {
		b, err := os.ReadFile(o.ReplyCases)
		if err != nil {
			return nil, err
		}
		if replies, err = ParseCases(bytes.NewReader(b), filepath.Base(o.ReplyCases)); err != nil {
			return nil, err
		}
		for _, c := range replies {
			q, reply, ok := strings.Cut(c.Text, " || ")
			if !ok || q == "" {
				return nil, fmt.Errorf("%s: want QUESTION || REPLY", c.Name)
			}
			if c.Max > Medium {
				continue // a risky answer says nothing alone
			}
			alone := c
			alone.Text, alone.Min, alone.Want = reply, None, nil
			for _, r := range caseRows([]Case{alone}) {
				r.source, r.genre = "replies", "reply"
				train = append(train, r)
			}
		}
	}
	tune, sharedHeld, err := readShared(o.SharedFile)
	if err != nil {
		return nil, err
	}
	train = append(train, tune...)
	corpus, corpusHeld, err := readCorpusDir(o.CorpusDir)
	if err != nil {
		return nil, err
	}
	train = append(train, corpus...)
	extra, unsure, err := readExtraFile(o.ExtraFile)
	if err != nil {
		return nil, err
	}
	train = append(train, extra...)
	format := 1
	switch {
	case o.SevereOnRules || o.Grave:
		format = 3
	case o.Features.Sets > 0:
		format = 2
	}
	fig := CardFigures{Format: format, Seed: o.Seed, Features: o.Features, Epochs: o.Epochs, Folds: o.Folds,
		SharedWeight: o.SharedWeight, MinPrecision: o.MinPrecision, SourcePrecision: o.SourcePrecision, HighPrecision: o.HighPrecision,
		Train: map[string]int{}, Removed: map[string]int{}}
	heldNear := map[string]bool{}
	train = dedupe(train, [][]trainRow{sharedHeld, corpusHeld}, fig.Removed, heldNear)
	if len(train) < 2*o.Folds {
		return nil, fmt.Errorf("risk train: %d training rows, too few", len(train))
	}
	for _, r := range train {
		fig.Train[r.source+"/"+r.genre]++
	}
	fmt.Fprintf(o.Log, "training rows %d (removed as near-duplicates: %v)\n", len(train), fig.Removed)
	for i := range train {
		if train[i].source == "shared" {
			train[i].weight *= float32(o.SharedWeight)
		}
	}
	featurize(train, o.Features, rules)

	for i := range train {
		train[i].parent = -1
	}
	if !o.NoSentenceNegatives {
		n := len(train)
		var sc scratch
		ms := &sc.model
		for i := 0; i < n; i++ {
			if train[i].risk != 0 {
				continue
			}
			rules.modelInput(train[i].text, &sc)
			units := o.Features.features(&sc.nt, ms)
			if units < 2 {
				continue
			}
			for u := 0; u < units; u++ {
				if ms.size[u] < modelMinSize {
					continue
				}
				var fs []uint32
				for _, f := range ms.feats {
					if f.unit == int32(u) {
						fs = append(fs, f.b)
					}
				}
				// weighing as much as its message (half as much was worse
				// by cross-validation on every source)
				r := train[i]
				r.feats, r.parent, r.cat = fs, i, -1
				if r.severe < 0 {
					r.severe = 0
				}
				train = append(train, r)
			}
		}
		fig.Train["sentences of negatives"] = len(train) - n
	}
	ruleLv := make([]Level, len(train))
	for i, r := range train {
		if r.parent >= 0 {
			ruleLv[i] = ruleLv[r.parent]
			continue
		}
		ruleLv[i] = rules.Classify(r.text).Level
	}
	// k-fold: out-of-fold scores for every training row
	perm := rand.New(rand.NewPCG(o.Seed, 0x666f6c64)).Perm(len(train))
	fold := make([]int, len(train))
	for i, p := range perm {
		fold[p] = i % o.Folds
	}
	oof := outOfFold(train, fold, o.Folds, o, rules, "fold")
	// leave-group-out: each hand's rows scored by a model trained without
	// that hand; rows of no group (our cases, extra rows) are spread over
	// the groups
	groups := map[string]int{}
	for _, r := range train {
		if r.group != "" && r.parent < 0 {
			groups[r.group] = 0
		}
	}
	gnames := sortedKeys(groups)
	for k, g := range gnames {
		groups[g] = k
	}
	var goof []oofScore
	if len(gnames) >= 2 && (o.CVOnly || o.GroupThresholds || o.LeaveOut) {
		gfold := make([]int, len(train))
		for i, p := range perm {
			if g := train[p].group; g != "" {
				gfold[p] = groups[g]
			} else {
				gfold[p] = i % len(gnames)
			}
		}
		goof = outOfFold(train, gfold, len(gnames), o, rules, "group ("+strings.Join(gnames, ", ")+")")
	}
	{
		var vs []scored
		for i, r := range train {
			if !constructed(r.source) && r.risk >= 0 && r.parent < 0 {
				vs = append(vs, scored{oof[i].risk, r.risk == 1})
			}
		}
		_, best := prFigures(vs, false, 0.85)
		fmt.Fprintf(o.Log, "model alone, cross-validated, shared and corpus: recall %.3f at precision >= 0.85\n", best[0])
	}
	for _, src := range []string{"shared", "corpus"} {
		var vs []scored
		for i, r := range train {
			if r.source == src && r.risk >= 0 && r.parent < 0 {
				vs = append(vs, scored{oof[i].risk, r.risk == 1})
			}
		}
		ap, rs := prFigures(vs, false, 0.8, 0.85)
		fmt.Fprintf(o.Log, "model alone, cross-validated, %s: average precision %.4f, recall %.3f at precision >= 0.8, %.3f at 0.85\n", src, max(ap, 0), rs[0], rs[1])
		for _, t := range []float32{0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.8, 0.9} {
			var c Confusion
			for i, r := range train {
				if r.source == src && r.risk >= 0 && r.parent < 0 {
					lv := None
					if oof[i].risk >= t {
						lv = Medium
					}
					c.add(r.risk == 1, false, lv)
				}
			}
			if c.N > 0 {
				fmt.Fprintf(o.Log, "  model alone, cross-validated, %s, risk >= %.2f: P %.3f R %.3f (TP %d FP %d FN %d)\n", src, t, c.Precision(), c.Recall(), c.TP, c.FP, c.FN)
			}
		}
	}
	if goof != nil {
		logGroupCurves(train, ruleLv, goof, gnames, o.Log)
	}
	pickOn := oof
	if o.GroupThresholds && goof != nil {
		pickOn, fig.GroupThresholds = goof, true
	}
	th := pickThresholds(train, ruleLv, pickOn, o)
	fig.ThreshRisk, fig.ThreshRiskLong, fig.ThreshHigh, fig.ThreshGrave = round3(th.risk), round3(th.long), round3(th.high), round3(th.grave)
	fig.SevereOnRules, fig.HighRecall = th.onRules, o.HighRecall
	if th.grave > 0 {
		fig.GravePrecision = o.GravePrecision
	}
	for i, r := range train {
		if r.risk < 0 || r.parent >= 0 {
			continue
		}
		lv := oof[i].with(ruleLv[i], th)
		fig.CV.add(r.risk == 1, r.severe == 1, lv)
	}
	fmt.Fprintf(o.Log, "thresholds risk %.3f (long %.3f) high %.3f; cross-validated P %.3f R %.3f\n", th.risk, th.long, th.high, fig.CV.Precision(), fig.CV.Recall())
	bySource := map[string]*Confusion{}
	for i, r := range train {
		if r.risk < 0 || r.parent >= 0 {
			continue
		}
		lv := oof[i].with(ruleLv[i], th)
		keys := []string{r.source}
		if r.source == "corpus" {
			keys = append(keys, r.source+"/"+r.genre) // the goal is per genre
		}
		for _, k := range keys {
			c := bySource[k]
			if c == nil {
				c = &Confusion{}
				bySource[k] = c
			}
			c.add(r.risk == 1, r.severe == 1, lv)
		}
	}
	fig.CVSource = map[string]Confusion{}
	for _, k := range sortedKeys(bySource) {
		c := bySource[k]
		fig.CVSource[k] = *c
		fmt.Fprintf(o.Log, "  cross-validated %s: P %.3f R %.3f (TP %d FP %d FN %d) severe high+ %d/%d\n", k, c.Precision(), c.Recall(), c.TP, c.FP, c.FN, c.SevereHigh, c.Severe)
	}
	if goof != nil {
		fig.LeaveOut, fig.LeaveOutRules, fig.LeaveOutGenre = map[string]Confusion{}, map[string]Confusion{}, map[string]Confusion{}
		for i, r := range train {
			if r.risk < 0 || r.parent >= 0 || r.group == "" {
				continue
			}
			lv := goof[i].with(ruleLv[i], th)
			c, a, gc := fig.LeaveOut[r.group], fig.LeaveOutRules[r.group], fig.LeaveOutGenre[r.source+"/"+r.genre]
			c.add(r.risk == 1, r.severe == 1, lv)
			c.addHigh(r.severe == 1, lv)
			a.add(r.risk == 1, r.severe == 1, ruleLv[i])
			a.addHigh(r.severe == 1, ruleLv[i])
			gc.add(r.risk == 1, r.severe == 1, lv)
			gc.addHigh(r.severe == 1, lv)
			fig.LeaveOut[r.group], fig.LeaveOutRules[r.group], fig.LeaveOutGenre[r.source+"/"+r.genre] = c, a, gc
		}
	}
	if o.CVOnly {
		if len(corpusHeld) > 0 {
			all := make([]int, len(train))
			for i := range all {
				all[i] = i
			}
			m := fit(train, all, o, o.Seed)
			m.t = th
			withModel := rules.WithModel(m)
			fig.Corpus, fig.CorpusRules, _ = corpusFigures(corpusHeld, withModel, rules, true)
		}
		return &TrainResult{Figures: fig}, nil
	}

	all := make([]int, len(train))
	for i := range all {
		all[i] = i
	}
	// The final model. A labelled case the combined classifier breaks is
	// visited more often in the next round (4, 16, 64... times an epoch: with
	// AdaGrad a heavier weight alone moves little), or joins the training rows if
	// deduplication had dropped it as a near-duplicate of another training
	// row (at most nine more rounds): the look-alikes are the cases a
	// counselor relies on.
	var cases []Case
	if !o.NoCases {
		if cases, err = OwnCases(); err != nil {
			return nil, err
		}
	}
	index := map[string]int{}
	children := map[int][]int{} // a message's sentence rows
	for i, r := range train {
		if (r.source == "cases" || r.source == "replies") && r.parent < 0 {
			index[r.text] = i
		}
		if r.parent >= 0 {
			children[r.parent] = append(children[r.parent], i)
		}
	}
	visitMore := func(i int) {
		for _, k := range append([]int{i}, children[i]...) {
			train[k].extra = min(4*train[k].extra+3, 255)
		}
	}
	var m *Model
	for round := 0; ; round++ {
		m = fit(train, all, o, o.Seed)
		m.t = th
		withModel := rules.WithModel(m)
		broken := 0
		for _, c := range cases {
			if c.Fails(withModel.Classify(c.Text)) == "" {
				continue
			}
			broken++
			if i, ok := index[c.Text]; ok {
				visitMore(i)
				continue
			}
			if heldNear[c.Text] {
				continue // never trained on: it is close to a held-out row
			}
			for _, r := range caseRows([]Case{c}) {
				r.extra, r.parent = 2, -1
				rs := []trainRow{r}
				featurize(rs, o.Features, rules)
				index[c.Text] = len(train)
				train = append(train, rs[0])
				all = append(all, len(all))
				fig.Train["cases/case"]++
				fig.Removed["cases: near an earlier training row"]--
			}
		}
		for _, c := range replies {
			q, reply, _ := strings.Cut(c.Text, " || ")
			if c.Fails(withModel.Answered(q, reply, withModel.Classify(reply))) == "" {
				continue
			}
			broken++
			if i, ok := index[reply]; ok {
				visitMore(i)
			}
		}
		fmt.Fprintf(o.Log, "final model, round %d: %d labelled cases broken\n", round+1, broken)
		if broken == 0 || round == 9 {
			break
		}
	}
	weights, err := m.MarshalBinary()
	if err != nil {
		return nil, err
	}
	// the model as it will be read back
	if m, err = ParseModel(weights); err != nil {
		return nil, err
	}
	res := &TrainResult{Model: m, Weights: weights, Classifier: rules.WithModel(m), ExtraUnsure: unsure}

	if len(sharedHeld) > 0 {
		var both, alone Confusion
		for _, r := range sharedHeld {
			both.add(r.risk == 1, r.severe == 1, res.Classifier.Classify(r.text).Level)
			alone.add(r.risk == 1, r.severe == 1, rules.Classify(r.text).Level)
		}
		fig.HeldOut, fig.HeldOutRules = &both, &alone
	}
	if len(corpusHeld) > 0 {
		fig.Corpus, fig.CorpusRules, fig.CorpusLang = corpusFigures(corpusHeld, res.Classifier, rules, false)
	}
	if !o.NoCases {
		cases, _ := OwnCases()
		fig.Cases = len(cases)
		for _, c := range cases {
			if c.Fails(res.Classifier.Classify(c.Text)) != "" {
				fig.CasesFailing++
				res.FailingCases = append(res.FailingCases, c.Name)
			}
			if c.Fails(rules.Classify(c.Text)) != "" {
				fig.CasesFailingRules++
			}
		}
	}
	for _, c := range replies {
		q, reply, _ := strings.Cut(c.Text, " || ")
		fig.Cases++
		if c.Fails(res.Classifier.Answered(q, reply, res.Classifier.Classify(reply))) != "" {
			fig.CasesFailing++
			res.FailingCases = append(res.FailingCases, c.Name)
		}
		if c.Fails(rules.Answered(q, reply, rules.Classify(reply))) != "" {
			fig.CasesFailingRules++
		}
	}
	res.Figures = fig
	return res, nil
}

// WriteCard writes the model card (MODEL.md): data, thresholds, figures
// with 95 % Wilson intervals, latency, and the figures as JSON.
func (r *TrainResult) WriteCard(w io.Writer, latency string) error {
	f := r.Figures
	var b strings.Builder
	fmt.Fprintf(&b, "# Risk model card\n\n")
	sets := ""
	if f.Features.Sets > 0 {
		sets = ", the rules' word sets found in the\nsentence ({method}, {time_word}, {neg}…)"
	}
	fmt.Fprintf(&b, "The learned scorer shipped in the binary (`model.bin`, format %d). Rebuild it with\n`xinqiao risk train --out internal/risk/model` (same data and seed, same bytes). It is a linear\nmodel over hashed character 1–%d-grams of each sentence of the normalised text, Latin word\n1–%d-grams%s (2^%d buckets, int16 weights), with heads for risk (medium or above), severity (high\nor above) and the category. A message is scored whole and sentence by sentence; the strongest\ncounts. The classifier takes the higher of the rules and the model: the model only raises.\n\n",
		f.Format, f.Features.CharMax, f.Features.WordMax, sets, f.Features.Bits)
	fmt.Fprintf(&b, "## Data\n\nTraining rows after near-duplicate removal (character 3-gram MinHash, Jaccard ≥ %.1f, against\nevery held-out row and every earlier training row):\n\n| source/genre | rows |\n|---|---|\n", dupThreshold)
	for _, k := range sortedKeys(f.Train) {
		fmt.Fprintf(&b, "| %s | %d |\n", k, f.Train[k])
	}
	fmt.Fprintf(&b, "\nRemoved as near-duplicates:\n\n| source: reason | rows |\n|---|---|\n")
	for _, k := range sortedKeys(f.Removed) {
		fmt.Fprintf(&b, "| %s | %d |\n", k, f.Removed[k])
	}
	fmt.Fprintf(&b, "\nSources: `shared` is the tuning half of the shared split (PsySUICIDE, Qiu, Ma, Lan, EMNLP 2024,\ngithub.com/qiuhuachuan/PsyGUARD, MIT; FNV-1a of the id even); its held-out half is never trained\non and only measured in aggregate. `cases` are our labelled cases (exemplars/*.txt). `corpus` is\nour own corpus (internal/risk/corpus), less its held-out slice (FNV-1a of the text mod 10 < 2).\nThe tuning half's rows weigh %g each in training: they are real messages, the closest to what\nstudents write.\n\n", f.SharedWeight)
	chosen := fmt.Sprintf("%d-fold cross-validation on the training rows", f.Folds)
	if f.GroupThresholds {
		chosen = "the leave-group-out cross-validation below"
	}
	fmt.Fprintf(&b, "## Thresholds\n\nChosen by %s (seed %d, %d epochs): risk ≥ %.3f grades\nmedium, ≥ %.3f for a message of %d sentences or more (read sentence by sentence, a long benign one\nhas more chances to score high somewhere). Each is the highest of the thresholds at which, out of\nfold, the flags the model adds to the rules' are %g precise; the rules and the model together are\n%g precise on each genre of real messages (the shared split's, our corpus's) where the rules alone\nare; and the model's own flags are %g precise on each real-message source (the rules were written\nlooking at the tuning half, so what the model adds to them there says little about unseen\nmessages). Each of these is read from the top: the lowest score at which the flags at or above it\n(5 or more) are that precise, above the first score where %d flags or more are not, so that a few\nrisky messages further down, which lift the precision back over the mark, do not pull it down.\nSeverity ≥ %.3f as well grades high, which opens a handoff (the lowest, read from the top, at which\n%g of the highs the model adds are labelled high or imminent).\n\n", chosen, f.Seed, f.Epochs, f.ThreshRisk, f.ThreshRiskLong, longUnits, f.MinPrecision, f.MinPrecision, f.SourcePrecision, fromTopRows, f.ThreshHigh, f.HighPrecision)
	if f.HighRecall > 0 {
		fmt.Fprintf(&b, "The severity threshold is lowered, when needed, until %g of the high or imminent real messages\nthat are flagged are graded high, out of fold.\n", f.HighRecall)
	}
	if f.SevereOnRules {
		fmt.Fprintf(&b, "Severity ≥ %.3f also grades high a message the rules flag medium: the rules establish the risk,\nthe model its gravity.\n", f.ThreshHigh)
	}
	if f.ThreshGrave > 0 {
		fmt.Fprintf(&b, "Severity ≥ %.3f grades high whatever the risk probability and the rules (the lowest, read from\nthe top, at which the messages it adds, flagged by nothing else, are %g risky out of fold): a\nmethod, a plan or preparations the risk head underrates.\n", f.ThreshGrave, gravePrecision(f))
	}
	if f.HighRecall > 0 || f.SevereOnRules || f.ThreshGrave > 0 {
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "## Figures (positive: medium or above; 95 %% Wilson intervals)\n\n| set | rows | precision | recall | high/imminent graded high+ |\n|---|---|---|---|---|\n")
	row := func(name string, c Confusion) {
		pl, ph := Wilson(c.TP, c.TP+c.FP)
		rl, rh := Wilson(c.TP, c.TP+c.FN)
		fmt.Fprintf(&b, "| %s | %d | %.3f [%.3f, %.3f] (%d/%d) | %.3f [%.3f, %.3f] (%d/%d) | %d/%d |\n", name, c.N,
			c.Precision(), pl, ph, c.TP, c.TP+c.FP, c.Recall(), rl, rh, c.TP, c.TP+c.FN, c.SevereHigh, c.Severe)
	}
	row("cross-validated, training rows", f.CV)
	for _, k := range sortedKeys(f.CVSource) {
		row("cross-validated, "+k, f.CVSource[k])
	}
	if f.HeldOut != nil {
		row("shared held-out half, rules + model", *f.HeldOut)
		row("shared held-out half, rules alone", *f.HeldOutRules)
	}
	for _, g := range sortedKeys(f.Corpus) {
		row("corpus held-out "+g+", rules + model", f.Corpus[g])
		row("corpus held-out "+g+", rules alone", f.CorpusRules[g])
	}
	for _, l := range sortedKeys(f.CorpusLang) {
		row("corpus held-out, lang "+l+", rules + model", f.CorpusLang[l])
	}
	if len(f.LeaveOut) > 0 {
		fmt.Fprintf(&b, "\n### Leave-group-out\n\nEach hand's rows (the shared split's tuning half; each writer of our corpus, by the file name\nup to its first \"_\") scored by a model trained without that hand, at the thresholds above%s;\nthe rules were written looking at the tuning half, so its \"rules alone\" rows are optimistic and\nwhat the model adds there is the telling figure.\n\n", map[bool]string{true: " (chosen on\nthese scores)", false: ""}[f.GroupThresholds])
		f.WriteLeaveOut(&b)
	}
	fmt.Fprintf(&b, "\nOur labelled cases and reply cases (%d): %d broken by rules + model, %d by the rules alone.\n", f.Cases, f.CasesFailing, f.CasesFailingRules)
	if latency != "" {
		fmt.Fprintf(&b, "\n## Latency\n\n%s\n", latency)
	}
	js, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	fmt.Fprintf(&b, "\n## Figures as data\n\n```json\n%s\n```\n", js)
	_, err = io.WriteString(w, b.String())
	return err
}

// WriteLeaveOut writes the leave-group-out figures (and, when the card has
// them, our corpus's held-out slice) as table rows: rules and model, the
// rules alone, what the model adds, and the severity figures.
func (f CardFigures) WriteLeaveOut(w io.Writer) {
	line := func(name string, c Confusion) {
		pl, ph := Wilson(c.TP, c.TP+c.FP)
		rl, rh := Wilson(c.TP, c.TP+c.FN)
		fmt.Fprintf(w, "| %s | %d | %.3f [%.3f, %.3f] (%d/%d) | %.3f [%.3f, %.3f] (%d/%d) | %d/%d | %d/%d |\n", name, c.N,
			c.Precision(), pl, ph, c.TP, c.TP+c.FP, c.Recall(), rl, rh, c.TP, c.TP+c.FN, c.SevereHigh, c.SevereFlagged, c.HighSevere, c.High)
	}
	fmt.Fprintf(w, "| set | rows | precision | recall | flagged high/imminent graded high+ | graded high+ labelled high/imminent |\n|---|---|---|---|---|---|\n")
	for _, g := range sortedKeys(f.LeaveOut) {
		c, a := f.LeaveOut[g], f.LeaveOutRules[g]
		line("left out "+g+", rules + model", c)
		line("left out "+g+", rules alone", a)
		fmt.Fprintf(w, "| left out %s, the model's additions | | %d right, %d wrong | | | |\n", g, c.TP-a.TP, c.FP-a.FP)
	}
	for _, g := range sortedKeys(f.LeaveOutGenre) {
		line("left out, "+g+", rules + model", f.LeaveOutGenre[g])
	}
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// ParseCard reads the figures back from a model card.
func ParseCard(card []byte) (CardFigures, error) {
	var f CardFigures
	_, rest, ok := bytes.Cut(card, []byte("```json\n"))
	if !ok {
		return f, errors.New("model card: no figures block")
	}
	js, _, ok := bytes.Cut(rest, []byte("\n```"))
	if !ok {
		return f, errors.New("model card: unterminated figures block")
	}
	err := json.Unmarshal(js, &f)
	return f, err
}

// Latency measures the classifier on messages of about runes runes built
// from our labelled cases, n calls, and returns the median and the 99th
// percentile.
func Latency(c *Classifier, runes, n int) (p50, p99 time.Duration, err error) {
	cases, err := OwnCases()
	if err != nil {
		return 0, 0, err
	}
	var msgs []string
	var cur []rune
	for i := 0; len(msgs) < 50 && len(cases) > 0; i++ {
		cur = append(cur, []rune(cases[(i*7919)%len(cases)].Text+"。")...)
		if len(cur) >= runes {
			msgs = append(msgs, string(cur[:runes]))
			cur = cur[:0]
		}
	}
	if len(msgs) == 0 || n <= 0 {
		return 0, 0, errors.New("risk latency: no messages to time")
	}
	d := make([]time.Duration, n)
	for i := range d {
		t0 := time.Now()
		c.Classify(msgs[i%len(msgs)])
		d[i] = time.Since(t0)
	}
	slices.Sort(d)
	return d[n/2], d[n*99/100], nil
}

// gravePrecision is the precision the card's grave threshold was chosen
// for: cards written before GravePrecision held it to MinPrecision.
func gravePrecision(f CardFigures) float64 {
	if f.GravePrecision > 0 {
		return f.GravePrecision
	}
	return f.MinPrecision
}
