package risk

import (
	"bufio"
	"embed"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

//go:embed rules/*.rules
var embedded embed.FS

// RuleExt is the file extension of rule files, embedded or in an override folder.
const RuleExt = ".rules"

// Sets that the classifier's built-in context logic uses. Every rule set must
// define them (the embedded files do; override files may extend them with +=).
const (
	SetFirstPerson = "first_person"  // 我, i, me … : the speaker is the subject
	SetOtherPerson = "other_person"  // 她, 朋友, my friend … : someone else is
	SetTopic       = "topic"         // 作文, 新闻, 电影, essay, movie … : talk about the topic
	SetPast        = "past"          // 以前, 曾经, used to …
	SetResolved    = "resolved"      // 现在好多了, i'm better now …
	SetSecond      = "second_person" // 你, you … : the speaker asks about the listener
	// SetRelapse (又回来了, again …) is optional: where a message says the
	// risk is back, its resolved words do not cap the past told before.
	SetRelapse = "relapse"
)

// ShieldSuffix names a set's shield: occurrences of set X inside an
// occurrence of set X_shield are ignored ("不" inside "忍不住").
const ShieldSuffix = "_shield"

var builtinSets = []string{SetFirstPerson, SetOtherPerson, SetTopic, SetPast, SetResolved, SetSecond}

type direction uint8

const (
	dirBefore direction = iota
	dirAfter
	dirAround
	dirSentence
	dirMessage
	dirClause
)

var dirNames = map[string]direction{"before": dirBefore, "after": dirAfter, "around": dirAround, "sentence": dirSentence,
	"message": dirMessage, "clause": dirClause}

// cond is a context requirement: a set occurring near a match, with "a+b"
// every one of several sets, with "a|b" any one of them.
type cond struct {
	sets []int // one, or several joined by + (each must occur) or | (any)
	any  bool  // joined by |
	dir  direction
	n    int32
}

type alt struct {
	pieces []int32 // term ids, in order; more than one means "a * b" with a gap
	final  bool    // pattern ended in "$": only at the end of a clause
}

// rule is one compiled rule.
type rule struct {
	id       string
	lang     string
	category Category
	level    Level
	signals  uint64
	sigNames []string
	alts     []alt
	unless   []cond
	need     []cond
	self     bool  // apply the third-person check
	otherMax Level // the highest level when the subject is someone else
	strong   bool  // not capped by topic talk or resolved past
	gap      int32
	note     string
	desc     string
	file     string
	line     int
	patterns []string
}

type combo struct {
	id       string
	when     uint64
	whenStr  []string
	sameTurn bool // only within one message, never across a conversation's turns
	level    Level
	category Category
	desc     string
	file     string
	line     int
}

// use is one pattern of one rule: rule index and alternative index.
type use struct {
	rule, alt int32
}

type termInfo struct {
	latinStart, latinEnd bool
	single               []use   // one-piece patterns that are this term
	gapNext              []int32 // second pieces of "this * next …" patterns, sorted
	gapUses              [][]use // gapUses[i]: those patterns whose second piece is gapNext[i]
	gapMax               int32   // the widest gap among them
	second               bool    // some gapped pattern has this term second
	sets                 []int32
}

// gapUsesFor returns ti's gapped patterns whose second piece is term t.
func (ti *termInfo) gapUsesFor(t int32) []use {
	i, ok := slices.BinarySearch(ti.gapNext, t)
	if !ok {
		return nil
	}
	return ti.gapUses[i]
}

// Classifier is a compiled rule set. It is safe for concurrent use.
type Classifier struct {
	ac      *automaton
	terms   []termInfo
	rules   []*rule
	combos  []combo
	sets    []string // set names by index
	setHash []uint32 // FNV-1a of each set name (the model's set features)
	signals []string // signal names by bit
	setIdx  map[string]int

	first, other, second, topic, past, resolved int
	relapse                                     int    // -1: no relapse set
	attempt                                     uint64 // the bit of SignalAttempt, 0 if no rule gives it
	shield                                      []int  // set index → its shield set index, or -1

	// free keeps scratch buffers between calls. Unlike a sync.Pool it is
	// not emptied by every garbage collection, so a busy classifier does
	// not regrow its buffers from nothing a hundred times a second.
	free chan *scratch

	// model is the learned scorer run after the rules (nil: rules alone).
	model *Model
}

// RuleInfo describes one loaded rule, for a counselor page or a rule listing.
type RuleInfo struct {
	ID       string   `json:"id"`
	Lang     string   `json:"lang"`
	Category Category `json:"category"`
	Level    Level    `json:"level"`
	Signals  []string `json:"signals,omitempty"`
	Patterns []string `json:"patterns"`
	Note     string   `json:"note,omitempty"`
	Desc     string   `json:"desc,omitempty"` // what it means, in a few Chinese words for a counselor
	Source   string   `json:"source"`         // file:line
}

// Rules lists the loaded rules and combinations (combinations have no
// patterns; their Signals are the signals they need), sorted by id.
func (c *Classifier) Rules() []RuleInfo {
	out := make([]RuleInfo, 0, len(c.rules)+len(c.combos))
	for _, r := range c.rules {
		out = append(out, RuleInfo{ID: r.id, Lang: r.lang, Category: r.category, Level: r.level,
			Signals: r.sigNames, Patterns: r.patterns, Note: r.note, Desc: r.desc, Source: fmt.Sprintf("%s:%d", r.file, r.line)})
	}
	for _, k := range c.combos {
		out = append(out, RuleInfo{ID: k.id, Lang: "any", Category: k.category, Level: k.level,
			Signals: k.whenStr, Patterns: []string{}, Desc: k.desc, Source: fmt.Sprintf("%s:%d", k.file, k.line)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// MaxDescLen is the longest a rule's desc may be, in characters: a
// counselor reads it at a glance beside a flagged message.
const MaxDescLen = 60

func checkDesc(v string) error {
	if n := utf8.RuneCountInString(v); n == 0 || n > MaxDescLen {
		return fmt.Errorf("desc must be 1 to %d characters, got %d", MaxDescLen, n)
	}
	return nil
}

// EngineRules are the rule ids the engine itself gives rather than a rules
// file: Describe has a fixed sentence for each (ModelRule also as the prefix
// of "模型 0.87…"), and the rules page lists them beside the file rules.
var EngineRules = []string{AffirmedRule, DeniedSafetyRule, AnsweredSlotRule, RecentRule, ModelRule}

// Describe says in a few Chinese words what a rule id in a Result's Rules
// means, for a counselor who should not have to read ids: the rule's or
// combination's desc, a fixed sentence for the ids the engine itself
// gives (an answered question, a denied safety question, a method or a time
// given in answer, a message read with the ones before it, the learned
// model's score), or "" for an id it does not know or a rule without a desc
// (a district rule may have none).
func (c *Classifier) Describe(id string) string {
	switch {
	case id == AffirmedRule:
		return "对老师或 AI 问题的肯定回答（问题里有风险）"
	case id == DeniedSafetyRule:
		return "对“你安全吗”一类问题回答“不”"
	case id == RecentRule:
		return "和学生前面几条消息连起来读，风险更高"
	case id == AnsweredSlotRule:
		return "回答老师或 AI 问的“怎么做”“什么时候”，说出了方式或时间"
	case id == ModelRule:
		return "学习模型认为风险更高"
	case strings.HasPrefix(id, ModelRule+" "):
		score, _, _ := strings.Cut(strings.TrimPrefix(id, ModelRule+" "), "，")
		return "学习模型认为风险更高（评分 " + score + "）"
	}
	for _, r := range c.rules {
		if r.id == id {
			return r.desc
		}
	}
	for _, k := range c.combos {
		if k.id == id {
			return k.desc
		}
	}
	return ""
}

// ---- parsing ----

type rawField struct {
	key, val string
	line     int
}

type rawBlock struct {
	kind   string // "rule", "combo"
	id     string
	file   string
	line   int
	fields []rawField
}

type rawSet struct {
	name   string
	alts   []string
	file   string
	line   int
	extend bool
	// spelling marks a words list: alternatives spelled out into {name}
	// in patterns only, never looked for in the text on its own, so no
	// condition can name it and it is no feature of the learned model
	spelling bool
}

type parsed struct {
	blocks   []*rawBlock
	sets     []rawSet
	disables []rawField // val = id
}

var (
	idRe     = regexp.MustCompile(`^[a-z0-9_]+(\.[a-z0-9_\-]+)*$`)
	nameRe   = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	macroRe  = regexp.MustCompile(`\{([^{}]*)\}`)
	ruleKeys = map[string]bool{"lang": true, "category": true, "level": true, "signals": true, "match": true,
		"unless": true, "need": true, "person": true, "context": true, "gap": true, "note": true, "other": true, "desc": true}
	comboKeys = map[string]bool{"when": true, "level": true, "category": true, "note": true, "scope": true, "desc": true}
)

func parseFile(name string, r io.Reader, p *parsed, override bool) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	var cur *rawBlock
	ln := 0
	for sc.Scan() {
		ln++
		line := strings.TrimSpace(sc.Text())
		if ln == 1 {
			line = strings.TrimPrefix(line, "\uFEFF")
		}
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		errf := func(format string, a ...any) error {
			return lineError(name, ln, format, a...)
		}
		word, rest, _ := strings.Cut(line, " ")
		rest = strings.TrimSpace(rest)
		switch word {
		case "set", "words":
			cur = nil
			ext := false
			nm, val, ok := strings.Cut(rest, "+=")
			if ok {
				ext = true
			} else if nm, val, ok = strings.Cut(rest, "="); !ok {
				return errf("%s needs \"%s NAME = a | b\"", word, word)
			}
			nm = strings.TrimSpace(nm)
			if !nameRe.MatchString(nm) {
				return errf("bad %s name %q (lowercase letters, digits, _)", word, nm)
			}
			alts, err := splitAlts(val)
			if err != nil {
				return errf("%v", err)
			}
			p.sets = append(p.sets, rawSet{name: nm, alts: alts, file: name, line: ln, extend: ext, spelling: word == "words"})
			continue
		case "rule", "combo":
			if !idRe.MatchString(rest) {
				return errf("bad %s id %q (lowercase, dots, digits, _ and -)", word, rest)
			}
			cur = &rawBlock{kind: word, id: rest, file: name, line: ln}
			p.blocks = append(p.blocks, cur)
			continue
		case "disable":
			if !override {
				return errf("disable is only for override files")
			}
			cur = nil
			p.disables = append(p.disables, rawField{key: name, val: rest, line: ln})
			continue
		}
		key, val, ok := strings.Cut(line, ":")
		if !ok {
			return errf("want \"set\", \"rule\", \"combo\" or \"key: value\", got %q", truncate(line))
		}
		key = strings.ToLower(strings.TrimSpace(key))
		if cur == nil {
			return errf("field %q outside a rule or combo", key)
		}
		keys := ruleKeys
		if cur.kind == "combo" {
			keys = comboKeys
		}
		if !keys[key] {
			return errf("unknown field %q in %s %s", key, cur.kind, cur.id)
		}
		cur.fields = append(cur.fields, rawField{key: key, val: strings.TrimSpace(val), line: ln})
	}
	if err := sc.Err(); err != nil {
		return lineError(name, ln+1, "%v", err)
	}
	return nil
}

// RuleError is a rule source that does not compile: the file (or source
// name), the 1-based line and the reason. Its text is "file:line: reason".
type RuleError struct {
	File string
	Line int
	Msg  string
}

func (e *RuleError) Error() string { return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg) }

func lineError(file string, line int, format string, a ...any) error {
	return &RuleError{File: file, Line: line, Msg: fmt.Sprintf(format, a...)}
}

func truncate(s string) string {
	if r := []rune(s); len(r) > 40 {
		return string(r[:40]) + "…"
	}
	return s
}

func splitAlts(val string) ([]string, error) {
	var out []string
	for _, a := range strings.Split(val, "|") {
		a = strings.TrimSpace(a)
		if a == "" {
			return nil, fmt.Errorf("empty alternative in %q", truncate(val))
		}
		out = append(out, a)
	}
	return out, nil
}

// Source is rule text that does not live in a file, such as the district
// rules kept in the store. Name stands for the file name in errors and in
// RuleInfo.Source.
type Source struct {
	Name string
	Text string
}

// Load compiles the embedded rules, then every *.rules file in overrideDir
// ("" for none), then the extra sources in order; the folder's files and the
// extra sources are override files. In an override file a rule with an
// existing embedded id replaces it, "set NAME += …" extends a set and
// "disable ID" removes a rule. Any invalid file or source refuses to load
// with a *RuleError naming it, the line and the reason. The classifier
// carries the built-in learned model (BuiltinModel), which can only raise a
// level; if the model cannot be read, the rules run alone and BuiltinModel
// says why.
func Load(overrideDir string, extra ...Source) (*Classifier, error) {
	p := &parsed{}
	names, err := fs.Glob(embedded, "rules/*"+RuleExt)
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	for _, n := range names {
		f, err := embedded.Open(n)
		if err != nil {
			return nil, err
		}
		err = parseFile(n, f, p, false)
		f.Close()
		if err != nil {
			return nil, err
		}
	}
	nEmbedded := len(p.blocks)
	folder, err := ReadDir(overrideDir)
	if err != nil {
		return nil, err
	}
	for _, x := range append(folder, extra...) {
		if err := parseFile(x.Name, strings.NewReader(x.Text), p, true); err != nil {
			return nil, err
		}
	}
	c, err := compile(p, nEmbedded)
	if err != nil {
		return nil, err
	}
	if m, err := builtinModel(); err == nil {
		c.model = m
	}
	return c, nil
}

// ReadDir reads every *.rules file in dir ("" for none), in name order, as
// sources named by their paths, so a node can compile them again later
// without the folder changing under it.
func ReadDir(dir string) ([]Source, error) {
	if dir == "" {
		return nil, nil
	}
	if _, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("risk rules: override folder: %w", err)
	}
	files, err := filepath.Glob(filepath.Join(dir, "*"+RuleExt))
	if err != nil {
		return nil, fmt.Errorf("risk rules: %w", err)
	}
	sort.Strings(files)
	out := make([]Source, 0, len(files))
	for _, n := range files {
		b, err := os.ReadFile(n)
		if err != nil {
			return nil, fmt.Errorf("risk rules: %w", err)
		}
		out = append(out, Source{Name: n, Text: string(b)})
	}
	return out, nil
}

// LoadFiles compiles only the given rule sources (name → content), with no
// embedded rules and no learned model. It is for tests and for checking a
// file before deploying it.
func LoadFiles(files map[string]string) (*Classifier, error) {
	p := &parsed{}
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if err := parseFile(n, strings.NewReader(files[n]), p, false); err != nil {
			return nil, err
		}
	}
	return compile(p, len(p.blocks))
}

type compiler struct {
	sets     map[string]*rawSet
	expanded map[string][]string
	visiting map[string]bool
}

const maxExpansions = 4096

// maxPatterns bounds the expanded patterns of all rules together (the
// built-in rules have about 81,000), so that no rule file or district draft
// can make a compile take minutes or gigabytes.
const maxPatterns = 400_000

// expand replaces {set} macros in s with every alternative of the set.
func (cp *compiler) expand(s string) ([]string, error) {
	loc := macroRe.FindStringSubmatchIndex(s)
	if loc == nil {
		if strings.ContainsAny(s, "{}") {
			return nil, fmt.Errorf("unbalanced brace in %q", truncate(s))
		}
		return []string{s}, nil
	}
	name := strings.TrimSpace(s[loc[2]:loc[3]])
	vals, err := cp.setValues(name)
	if err != nil {
		return nil, err
	}
	tails, err := cp.expand(s[loc[1]:])
	if err != nil {
		return nil, err
	}
	if len(vals)*len(tails) > maxExpansions {
		return nil, fmt.Errorf("pattern %q expands to more than %d strings", truncate(s), maxExpansions)
	}
	out := make([]string, 0, len(vals)*len(tails))
	for _, v := range vals {
		for _, t := range tails {
			out = append(out, s[:loc[0]]+v+t)
		}
	}
	return out, nil
}

// kindOf names the kind of list s is in the rule language.
func kindOf(s *rawSet) string {
	if s.spelling {
		return "words"
	}
	return "set"
}

func (cp *compiler) setValues(name string) ([]string, error) {
	if v, ok := cp.expanded[name]; ok {
		return v, nil
	}
	rs, ok := cp.sets[name]
	if !ok {
		return nil, fmt.Errorf("unknown set {%s}", name)
	}
	if cp.visiting[name] {
		return nil, fmt.Errorf("set %s refers to itself", name)
	}
	cp.visiting[name] = true
	defer delete(cp.visiting, name)
	var out []string
	for _, a := range rs.alts {
		if strings.Contains(a, "*") {
			return nil, fmt.Errorf("set %s: a set value cannot contain the gap *", name)
		}
		ex, err := cp.expand(a)
		if err != nil {
			return nil, fmt.Errorf("set %s: %v", name, err)
		}
		out = append(out, ex...)
		if len(out) > maxExpansions {
			return nil, fmt.Errorf("set %s expands to more than %d strings", name, maxExpansions)
		}
	}
	cp.expanded[name] = out
	return out, nil
}

func compile(p *parsed, nEmbedded int) (*Classifier, error) {
	cp := &compiler{sets: map[string]*rawSet{}, expanded: map[string][]string{}, visiting: map[string]bool{}}
	var setOrder []string
	for i := range p.sets {
		s := p.sets[i]
		if old, ok := cp.sets[s.name]; ok {
			if !s.extend {
				return nil, lineError(s.file, s.line, "%s already defined at %s:%d (use += to extend)", s.name, old.file, old.line)
			}
			if s.spelling != old.spelling {
				return nil, lineError(s.file, s.line, "%s is a %s list (%s:%d): extend it with %s +=", s.name, kindOf(old), old.file, old.line, kindOf(old))
			}
			merged := *old
			merged.alts = append(append([]string{}, old.alts...), s.alts...)
			cp.sets[s.name] = &merged
			continue
		}
		if s.extend {
			return nil, lineError(s.file, s.line, "%s %s extended before it is defined", kindOf(&s), s.name)
		}
		cp.sets[s.name] = &s
		if !s.spelling {
			setOrder = append(setOrder, s.name)
		}
	}
	for _, b := range builtinSets {
		if _, ok := cp.sets[b]; !ok {
			return nil, fmt.Errorf("risk rules: required set %q is not defined", b)
		}
	}

	c := &Classifier{setIdx: map[string]int{}}
	termIdx := map[string]int32{} // normalised term → id
	rawIdx := map[string]int32{}  // pattern as written → id (sets repeat words)
	var termStrs []string
	var nt normText
	termOf := func(s string) (int32, error) {
		if id, ok := rawIdx[s]; ok {
			return id, nil
		}
		n := normalizeString(s, &nt)
		if n == "" {
			return 0, fmt.Errorf("pattern %q is empty after normalisation", truncate(s))
		}
		if id, ok := termIdx[n]; ok {
			rawIdx[s] = id
			return id, nil
		}
		id := int32(len(termStrs))
		termIdx[n] = id
		rawIdx[s] = id
		termStrs = append(termStrs, n)
		rs := []rune(n)
		c.terms = append(c.terms, termInfo{latinStart: isLatinAlnum(rs[0]), latinEnd: isLatinAlnum(rs[len(rs)-1])})
		return id, nil
	}
	// context sets, in definition order
	for _, name := range setOrder {
		vals, err := cp.setValues(name)
		if err != nil {
			s := cp.sets[name]
			return nil, lineError(s.file, s.line, "%v", err)
		}
		si := len(c.sets)
		c.sets = append(c.sets, name)
		c.setIdx[name] = si
		for _, v := range vals {
			t, err := termOf(v)
			if err != nil {
				s := cp.sets[name]
				return nil, lineError(s.file, s.line, "set %s: %v", name, err)
			}
			ti := &c.terms[t]
			if len(ti.sets) == 0 || ti.sets[len(ti.sets)-1] != int32(si) {
				ti.sets = append(ti.sets, int32(si))
			}
		}
	}
	c.setHash = make([]uint32, len(c.sets))
	for i, n := range c.sets {
		c.setHash[i] = fnv32a(n)
	}
	c.first, c.other, c.topic = c.setIdx[SetFirstPerson], c.setIdx[SetOtherPerson], c.setIdx[SetTopic]
	c.past, c.resolved, c.second = c.setIdx[SetPast], c.setIdx[SetResolved], c.setIdx[SetSecond]
	c.relapse = -1
	if i, ok := c.setIdx[SetRelapse]; ok {
		c.relapse = i
	}
	c.shield = make([]int, len(c.sets))
	for i, n := range c.sets {
		c.shield[i] = -1
		if j, ok := c.setIdx[n+ShieldSuffix]; ok {
			c.shield[i] = j
		}
	}

	// rules: later definitions with the same id replace earlier ones (only
	// across the embedded/override boundary; duplicates inside one side fail).
	sigIdx := map[string]int{}
	byID := map[string]int{}   // id → position in blocks
	srcIdx := map[string]int{} // id → index in p.blocks of the current definition
	var blocks []*rawBlock
	for i, b := range p.blocks {
		if j, ok := byID[b.id]; ok {
			prev := p.blocks[srcIdx[b.id]]
			if i < nEmbedded || srcIdx[b.id] >= nEmbedded {
				return nil, lineError(b.file, b.line, "duplicate id %s (first at %s:%d)", b.id, prev.file, prev.line)
			}
			blocks[j] = b // an override file replaces an embedded rule
			srcIdx[b.id] = i
			continue
		}
		byID[b.id] = len(blocks)
		srcIdx[b.id] = i
		blocks = append(blocks, b)
	}
	for _, d := range p.disables {
		j, ok := byID[d.val]
		if !ok {
			return nil, lineError(d.key, d.line, "disable: no rule %q", d.val)
		}
		blocks[j] = nil
	}
	var combos []*rawBlock
	nAlts := 0
	for _, b := range blocks {
		if b == nil {
			continue
		}
		if b.kind == "combo" {
			combos = append(combos, b)
			continue
		}
		r, err := c.compileRule(b, cp, termOf, sigIdx)
		if err != nil {
			return nil, err
		}
		if nAlts += len(r.alts); nAlts > maxPatterns {
			return nil, lineError(b.file, b.line, "rule %s: the rules expand to more than %d patterns in all; use fewer or smaller sets", b.id, maxPatterns)
		}
		c.rules = append(c.rules, r)
	}
	if bit, ok := sigIdx[SignalAttempt]; ok {
		c.attempt = 1 << uint(bit)
	}
	for _, b := range combos {
		k, err := c.compileCombo(b, sigIdx)
		if err != nil {
			return nil, err
		}
		c.combos = append(c.combos, k)
	}
	for ri, r := range c.rules {
		for ai, a := range r.alts {
			ti := &c.terms[a.pieces[0]]
			u := use{int32(ri), int32(ai)}
			if len(a.pieces) == 1 {
				ti.single = append(ti.single, u)
				continue
			}
			c.terms[a.pieces[1]].second = true
			i, ok := slices.BinarySearch(ti.gapNext, a.pieces[1])
			if ok {
				ti.gapUses[i] = append(ti.gapUses[i], u)
			} else {
				ti.gapNext = slices.Insert(ti.gapNext, i, a.pieces[1])
				ti.gapUses = slices.Insert(ti.gapUses, i, []use{u})
			}
			ti.gapMax = max(ti.gapMax, r.gap)
		}
	}
	c.ac = buildAutomaton(termStrs)
	c.free = make(chan *scratch, 2*runtime.GOMAXPROCS(0))
	return c, nil
}

func (c *Classifier) compileRule(b *rawBlock, cp *compiler, termOf func(string) (int32, error), sigIdx map[string]int) (*rule, error) {
	r := &rule{id: b.id, file: b.file, line: b.line, level: -1, gap: -1, otherMax: High}
	errf := func(ln int, format string, a ...any) error {
		return lineError(b.file, ln, "rule %s: %s", b.id, fmt.Sprintf(format, a...))
	}
	person := ""
	for _, f := range b.fields {
		switch f.key {
		case "lang":
			switch f.val {
			case "zh", "en", "yue", "any":
				r.lang = f.val
			default:
				return nil, errf(f.line, "lang %q: want zh, en, yue or any", f.val)
			}
		case "category":
			if !validCategory(Category(f.val)) {
				return nil, errf(f.line, "unknown category %q", f.val)
			}
			r.category = Category(f.val)
		case "level":
			l, err := ParseLevel(f.val)
			if err != nil {
				return nil, errf(f.line, "%v", err)
			}
			r.level = l
		case "signals":
			for _, s := range strings.Split(f.val, ",") {
				s = strings.TrimSpace(s)
				if !nameRe.MatchString(s) {
					return nil, errf(f.line, "bad signal name %q", s)
				}
				bit, ok := sigIdx[s]
				if !ok {
					if len(sigIdx) >= 64 {
						return nil, errf(f.line, "more than 64 distinct signals")
					}
					bit = len(sigIdx)
					sigIdx[s] = bit
					c.signals = append(c.signals, s)
				}
				r.signals |= 1 << uint(bit)
				r.sigNames = append(r.sigNames, s)
			}
		case "match":
			alts, err := splitAlts(f.val)
			if err != nil {
				return nil, errf(f.line, "%v", err)
			}
			for _, a := range alts {
				r.patterns = append(r.patterns, a)
				ex, err := cp.expand(a)
				if err != nil {
					return nil, errf(f.line, "%v", err)
				}
				for _, e := range ex {
					var al alt
					if t := strings.TrimSpace(e); strings.HasSuffix(t, "$") {
						al.final = true
						e = strings.TrimSuffix(t, "$")
					}
					for _, piece := range strings.Split(e, "*") {
						if strings.TrimSpace(piece) == "" {
							return nil, errf(f.line, "empty piece around * in %q", truncate(a))
						}
						t, err := termOf(piece)
						if err != nil {
							return nil, errf(f.line, "%v", err)
						}
						al.pieces = append(al.pieces, t)
					}
					r.alts = append(r.alts, al)
				}
			}
		case "unless", "need":
			k, err := c.parseCond(f.val, cp.sets)
			if err != nil {
				return nil, errf(f.line, "%s: %v", f.key, err)
			}
			if f.key == "unless" {
				r.unless = append(r.unless, k)
			} else {
				r.need = append(r.need, k)
			}
		case "person":
			if f.val != "self" && f.val != "any" {
				return nil, errf(f.line, "person %q: want self or any", f.val)
			}
			person = f.val
		case "context":
			switch f.val {
			case "soft":
			case "strong":
				r.strong = true
			default:
				return nil, errf(f.line, "context %q: want soft or strong", f.val)
			}
		case "gap":
			n, err := strconv.Atoi(f.val)
			if err != nil || n < 0 || n > 100 {
				return nil, errf(f.line, "gap %q: want 0..100", f.val)
			}
			r.gap = int32(n)
		case "note":
			r.note = f.val
		case "desc":
			if err := checkDesc(f.val); err != nil {
				return nil, errf(f.line, "%v", err)
			}
			r.desc = f.val
		case "other":
			l, err := ParseLevel(f.val)
			if err != nil {
				return nil, errf(f.line, "other: %v", err)
			}
			r.otherMax = l
		}
	}
	switch {
	case r.lang == "":
		return nil, errf(b.line, "missing lang")
	case r.category == "":
		return nil, errf(b.line, "missing category")
	case r.level < 0:
		return nil, errf(b.line, "missing level")
	case len(r.alts) == 0:
		return nil, errf(b.line, "missing match")
	}
	if person == "" {
		person = "any"
		if r.category == Suicide || r.category == SelfHarm || r.category == Crisis {
			person = "self"
		}
	}
	r.self = person == "self"
	if r.gap < 0 {
		r.gap = 8
		if r.lang == "en" {
			r.gap = 24
		}
	}
	return r, nil
}

// parseCond reads a condition; lists are the compile's sets and words lists, to
// tell a words list named in a condition from a typo.
func (c *Classifier) parseCond(v string, lists map[string]*rawSet) (cond, error) {
	f := strings.Fields(v)
	if len(f) < 2 || len(f) > 3 {
		return cond{}, fmt.Errorf("want \"SET before|after|around N\" or \"SET clause|sentence|message\", got %q", v)
	}
	sep, any := "+", strings.Contains(f[0], "|")
	if any {
		if strings.Contains(f[0], "+") {
			return cond{}, fmt.Errorf("%q joins sets with both + and |: want SET+SET (all) or SET|SET (any)", f[0])
		}
		sep = "|"
	}
	var sets []int
	for _, name := range strings.Split(f[0], sep) {
		if name == "" {
			return cond{}, fmt.Errorf("empty set name in %q: want SET, SET+SET or SET|SET", f[0])
		}
		si, ok := c.setIdx[name]
		if !ok {
			if w, ok := lists[name]; ok && w.spelling {
				return cond{}, fmt.Errorf("%q is a words list (%s:%d), spelled out in patterns only: a condition needs a set", name, w.file, w.line)
			}
			return cond{}, fmt.Errorf("unknown set %q", name)
		}
		sets = append(sets, si)
	}
	d, ok := dirNames[f[1]]
	if !ok {
		return cond{}, fmt.Errorf("unknown direction %q", f[1])
	}
	k := cond{sets: sets, any: any, dir: d}
	if d == dirSentence || d == dirMessage || d == dirClause {
		if len(f) != 2 {
			return cond{}, fmt.Errorf("%s takes no distance", f[1])
		}
		return k, nil
	}
	if len(f) != 3 {
		return cond{}, fmt.Errorf("%s needs a distance", f[1])
	}
	n, err := strconv.Atoi(f[2])
	if err != nil || n < 0 || n > 100 {
		return cond{}, fmt.Errorf("distance %q: want 0..100", f[2])
	}
	k.n = int32(n)
	return k, nil
}

func (c *Classifier) compileCombo(b *rawBlock, sigIdx map[string]int) (combo, error) {
	k := combo{id: b.id, level: -1, file: b.file, line: b.line}
	errf := func(ln int, format string, a ...any) error {
		return lineError(b.file, ln, "combo %s: %s", b.id, fmt.Sprintf(format, a...))
	}
	for _, f := range b.fields {
		switch f.key {
		case "when":
			for _, s := range strings.Split(f.val, "+") {
				s = strings.TrimSpace(s)
				bit, ok := sigIdx[s]
				if !ok {
					return k, errf(f.line, "no rule gives signal %q", s)
				}
				k.when |= 1 << uint(bit)
				k.whenStr = append(k.whenStr, s)
			}
		case "level":
			l, err := ParseLevel(f.val)
			if err != nil {
				return k, errf(f.line, "%v", err)
			}
			k.level = l
		case "category":
			if !validCategory(Category(f.val)) {
				return k, errf(f.line, "unknown category %q", f.val)
			}
			k.category = Category(f.val)
		case "desc":
			if err := checkDesc(f.val); err != nil {
				return k, errf(f.line, "%v", err)
			}
			k.desc = f.val
		case "scope":
			switch f.val {
			case "message":
				k.sameTurn = true
			case "conversation":
				k.sameTurn = false
			default:
				return k, errf(f.line, "scope %q: want message or conversation", f.val)
			}
		}
	}
	switch {
	case k.when == 0:
		return k, errf(b.line, "missing when")
	case k.level < 0:
		return k, errf(b.line, "missing level")
	case k.category == "":
		return k, errf(b.line, "missing category")
	}
	return k, nil
}
