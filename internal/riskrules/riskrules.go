// Package riskrules lets a district keep its own risk rules without a
// programmer: counselors draft rules in the classifier's override format,
// try them on sentences and on our reference cases, and publish them; every
// node puts a published version in force within seconds, without a restart.
//
// The built-in rules and the rules folder (XINQIAO_RISK_RULES_DIR) are read
// once at start and must compile, or the server does not start. A published
// version is compiled over them; if it no longer compiles (a newer binary
// renamed a set it extends, say), the node keeps the last rules that did and
// says so on the rules page and in a metric: the classifier never stops.
//
// The district also teaches the learned model (model.go, labels.go):
// counselors label students' messages, the labels are exported to retrain
// it, and a supervisor publishes the retrained model, put in force over the
// same rules on every node in the same way; the built-in model is the
// fallback.
package riskrules

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"xinqiao/internal/risk"
	"xinqiao/internal/xinqiao"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// SourceName names the district source in rule errors and in
// risk.RuleInfo.Source ("district:12").
const SourceName = "district"

// EventKind is the event published when a version is published; every node
// reloads on it (and on "resync", after its listener reconnected).
const EventKind = "risk_rules"

// Bounds of a check request.
const (
	MaxTexts     = 50
	MaxTextRunes = 2000
	// MaxChanged bounds the reference cases listed in a check result; the
	// count of all changed cases is given beside it.
	MaxChanged = 200
)

var (
	versionGauge = promauto.NewGauge(prometheus.GaugeOpts{
		Name: "xinqiao_risk_rules_version", Help: "Version of the district risk rules in force on this node (0: built-in rules only).",
	})
	reloadFailures = promauto.NewCounter(prometheus.CounterOpts{
		Name: "xinqiao_risk_rules_reload_failures_total", Help: "Published district rule versions this node could not read or compile; it kept the rules it had.",
	})
)

// Service owns the node's live classifier and the district rules workflow.
type Service struct {
	store  xinqiao.Store
	log    *slog.Logger
	folder []risk.Source // the rules folder, read once at start
	live   *risk.Live
	cases  []risk.Case
	// compiling admits one compile at a time: each costs a few hundred
	// milliseconds and some megabytes.
	compiling chan struct{}
	reload    chan struct{}

	mu      sync.Mutex
	caseRes caseResults // the reference cases under the classifier in force
	inForce int         // version in force (0: none)
	failed  int         // latest version that failed to compile, 0 if none
	failErr string      // why
	builtin int         // rules in force apart from the district's
	// rules is the compiled rules in force, with the built-in model; the
	// classifier in force is rules with model, when the district has one.
	rules *risk.Classifier
	model modelState
}

// New compiles the built-in rules and the rules folder (an error refuses to
// start), then the latest published version, which only logs on failure.
func New(ctx context.Context, store xinqiao.Store, folderDir string, log *slog.Logger) (*Service, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	folder, err := risk.ReadDir(folderDir)
	if err != nil {
		return nil, err
	}
	base, err := risk.Load("", folder...)
	if err != nil {
		return nil, err
	}
	cases, err := risk.OwnCases()
	if err != nil {
		return nil, fmt.Errorf("reference cases: %w", err)
	}
	s := &Service{store: store, log: log, folder: folder, live: risk.NewLive(base), cases: cases,
		compiling: make(chan struct{}, 1), reload: make(chan struct{}, 1), builtin: len(base.Rules()), rules: base}
	versionGauge.Set(0)
	modelVersionGauge.Set(0)
	if err := s.ReloadModel(ctx); err != nil {
		log.Error("district risk model not loaded; the built-in model is in force", "err", err)
	}
	if err := s.Reload(ctx); err != nil {
		log.Error("district risk rules not loaded; the built-in rules are in force", "err", err)
	}
	return s, nil
}

// caseResults holds the reference cases' results under one classifier.
type caseResults struct {
	c   *risk.Classifier
	res []risk.Result
}

// currentCases returns the reference cases' results under c, computed once
// per classifier put in force rather than on every check.
func (s *Service) currentCases(c *risk.Classifier) []risk.Result {
	s.mu.Lock()
	cached := s.caseRes
	s.mu.Unlock()
	if cached.c == c {
		return cached.res
	}
	res := make([]risk.Result, len(s.cases))
	for i, k := range s.cases {
		res[i] = c.Classify(k.Text)
	}
	s.mu.Lock()
	s.caseRes = caseResults{c, res}
	s.mu.Unlock()
	return res
}

// Live is the node's classifier in force.
func (s *Service) Live() *risk.Live { return s.live }

// compile builds a classifier from the built-in rules, the folder and a
// district source, one compile at a time.
func (s *Service) compile(ctx context.Context, source string) (*risk.Classifier, error) {
	select {
	case s.compiling <- struct{}{}:
	case <-ctx.Done():
		return nil, xinqiao.Errorf(xinqiao.EUNAVAILABLE, "the rules could not be compiled in time; try again")
	}
	defer func() { <-s.compiling }()
	return risk.Load("", append(s.folder[:len(s.folder):len(s.folder)], risk.Source{Name: SourceName, Text: source})...)
}

// Reload puts the latest published version in force if it is not already.
// A version that does not compile is logged, counted and remembered; the
// rules in force stay.
func (s *Service) Reload(ctx context.Context) error {
	latest, err := s.store.RiskRules(ctx)
	if err != nil {
		reloadFailures.Inc()
		return fmt.Errorf("read the district rules: %w", err)
	}
	s.mu.Lock()
	done := latest.Version == s.inForce || latest.Version == s.failed
	s.mu.Unlock()
	if done {
		return nil
	}
	c, err := s.compile(ctx, latest.Source)
	var re *risk.RuleError
	if errors.As(err, &re) {
		// It will not compile on this binary however often we try.
		reloadFailures.Inc()
		s.mu.Lock()
		s.failed, s.failErr = latest.Version, err.Error()
		s.mu.Unlock()
		return fmt.Errorf("version %d of the district rules does not compile: %w", latest.Version, err)
	} else if err != nil {
		reloadFailures.Inc()
		return fmt.Errorf("version %d of the district rules: %w", latest.Version, err) // retried on the next event or tick
	}
	s.put(c, latest.Version)
	s.log.Info("district risk rules in force", "version", latest.Version)
	return nil
}

// put makes c (compiled from version v) the classifier in force, unless a
// newer version already is.
func (s *Service) put(c *risk.Classifier, v int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if v < s.inForce {
		return
	}
	s.rules = c
	s.live.Replace(combine(c, s.model.m))
	s.inForce = v
	if s.failed <= v {
		s.failed, s.failErr = 0, ""
	}
	versionGauge.Set(float64(v))
}

// Run reloads on every publish event from any node, after the event
// listener reconnects, and once a minute as a safety net, until ctx ends.
func (s *Service) Run(ctx context.Context) {
	s.store.Subscribe(ctx, func(e xinqiao.Event) {
		if e.Kind == EventKind || e.Kind == ModelEventKind || e.Kind == "resync" {
			select {
			case s.reload <- struct{}{}:
			default: // a reload is already due
			}
		}
	})
	tick := time.NewTicker(time.Minute)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.reload:
		case <-tick.C:
		}
		rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		if err := s.ReloadModel(rctx); err != nil && ctx.Err() == nil {
			s.log.Error("district risk model not reloaded; the model in force stays", "err", err)
		}
		if err := s.Reload(rctx); err != nil && ctx.Err() == nil {
			s.log.Error("district risk rules not reloaded; the rules in force stay", "err", err)
		}
		cancel()
	}
}

// Status is the district rules as the rules page shows them.
type Status struct {
	xinqiao.RiskRules
	// InForce is false when the latest published version is not the one
	// this node uses (Error says why).
	InForce bool   `json:"in_force"`
	Error   string `json:"error,omitempty"`
	// Rules are the district's own rules in force.
	Rules []risk.RuleInfo `json:"rules"`
	// BuiltinRules counts the rules in force apart from the district's
	// (built-in and rules folder).
	BuiltinRules int `json:"builtin_rules"`
}

// Status returns the latest published version and what is in force.
func (s *Service) Status(ctx context.Context) (Status, error) {
	latest, err := s.store.RiskRules(ctx)
	if err != nil {
		return Status{}, err
	}
	s.mu.Lock()
	st := Status{RiskRules: latest, InForce: latest.Version == s.inForce, BuiltinRules: s.builtin}
	if !st.InForce {
		st.Error = "this node has not put this version in force yet"
		if latest.Version == s.failed {
			st.Error = s.failErr
		}
	}
	s.mu.Unlock()
	st.Rules = districtRules(s.live.Current())
	return st, nil
}

func districtRules(c *risk.Classifier) []risk.RuleInfo {
	out := []risk.RuleInfo{}
	for _, r := range c.Rules() {
		if strings.HasPrefix(r.Source, SourceName+":") {
			out = append(out, r)
		}
	}
	return out
}

// CheckResult is what a draft would change.
type CheckResult struct {
	OK    bool       `json:"ok"`
	Error *LineError `json:"error,omitempty"`
	// Rules are the draft's own rules.
	Rules   []risk.RuleInfo `json:"rules"`
	Results []TextResult    `json:"results"`
	// Changed lists reference cases graded differently under the draft
	// (lowered ones first, at most MaxChanged); ChangedTotal counts all.
	Changed      []ChangedCase `json:"changed"`
	ChangedTotal int           `json:"changed_total"`
	// Cases is how many reference cases were run.
	Cases int `json:"cases"`

	draft *risk.Classifier
}

// LineError is a compile error of the draft.
type LineError struct {
	Line    int    `json:"line"`
	Message string `json:"message"`
}

// TextResult is one tried sentence under the rules in force and the draft.
type TextResult struct {
	Text    string       `json:"text"`
	Current risk.Result  `json:"current"`
	Draft   *risk.Result `json:"draft"`
}

// ChangedCase is a reference case the draft grades differently.
type ChangedCase struct {
	risk.Case
	Current risk.Level `json:"current"`
	Draft   risk.Level `json:"draft"`
	// Lowered: the draft grades it lower than now and below its label.
	Lowered bool `json:"lowered"`
	// Raised: the draft grades it higher than now and above its label (a
	// look-alike the draft would page a counselor for).
	Raised bool `json:"raised"`
}

// Lowered counts the lowered reference cases.
func (r CheckResult) Lowered() int { return countLowered(r.Changed) }

func validSource(source string) error {
	switch {
	case len(source) > xinqiao.MaxRiskRulesBytes:
		return xinqiao.Errorf(xinqiao.EINVALID, "the rules are %d bytes; at most %d", len(source), xinqiao.MaxRiskRulesBytes)
	case !utf8.ValidString(source):
		return xinqiao.Errorf(xinqiao.EINVALID, "the rules are not valid UTF-8 text")
	}
	return nil
}

// publishNote trims the note of a publish and checks it is there (ask says
// what it should say) and at most `most` characters.
func publishNote(note string, most int, ask string) (string, error) {
	note = strings.TrimSpace(note)
	switch n := utf8.RuneCountInString(note); {
	case n == 0:
		return "", xinqiao.Errorf(xinqiao.EINVALID, "%s", ask)
	case n > most:
		return "", xinqiao.Errorf(xinqiao.EINVALID, "the note is %d characters; at most %d", n, most)
	}
	return note, nil
}

// validTexts bounds the sentences of a check.
func validTexts(texts []string) error {
	if len(texts) > MaxTexts {
		return xinqiao.Errorf(xinqiao.EINVALID, "%d sentences to try; at most %d at a time", len(texts), MaxTexts)
	}
	for i, t := range texts {
		if n := utf8.RuneCountInString(t); n > MaxTextRunes || !utf8.ValidString(t) {
			return xinqiao.Errorf(xinqiao.EINVALID, "sentence %d is not valid text of at most %d characters", i+1, MaxTextRunes)
		}
	}
	return nil
}

// Check compiles a draft over the built-in rules without publishing it,
// classifies each text with the rules in force and with the draft, and runs
// the reference cases under both. A draft that does not compile is a
// result (OK false, with its line), not an error.
func (s *Service) Check(ctx context.Context, source string, texts []string) (CheckResult, error) {
	if err := validSource(source); err != nil {
		return CheckResult{}, err
	}
	if err := validTexts(texts); err != nil {
		return CheckResult{}, err
	}
	cur := s.live.Current()
	res := CheckResult{Rules: []risk.RuleInfo{}, Results: make([]TextResult, len(texts)), Changed: []ChangedCase{}, Cases: len(s.cases)}
	draft, err := s.compile(ctx, source)
	var re *risk.RuleError
	switch {
	case errors.As(err, &re) && re.File == SourceName:
		res.Error = &LineError{Line: re.Line, Message: re.Msg}
	case err != nil:
		return res, err
	default:
		draft = combine(draft, s.districtModel())
		res.OK, res.draft, res.Rules = true, draft, districtRules(draft)
	}
	for i, t := range texts {
		res.Results[i] = TextResult{Text: t, Current: cur.Classify(t)}
		if draft != nil {
			d := draft.Classify(t)
			res.Results[i].Draft = &d
		}
	}
	if draft == nil {
		return res, nil
	}
	res.Changed, res.ChangedTotal = s.compareCases(cur, draft)
	return res, nil
}

// compareCases runs the reference cases under cur and under draft and lists
// those graded differently, lowered ones first, at most MaxChanged, with the
// count of all.
func (s *Service) compareCases(cur, draft *risk.Classifier) ([]ChangedCase, int) {
	var lowered, other []ChangedCase
	now := s.currentCases(cur)
	for i, c := range s.cases {
		a, b := now[i], draft.Classify(c.Text)
		if a.Level == b.Level && (c.Fails(a) == "") == (c.Fails(b) == "") {
			continue
		}
		ch := ChangedCase{Case: c, Current: a.Level, Draft: b.Level,
			Lowered: b.Level < a.Level && b.Level < c.Min, Raised: b.Level > a.Level && b.Level > c.Max}
		if ch.Lowered {
			lowered = append(lowered, ch)
		} else {
			other = append(other, ch)
		}
	}
	out := append(append([]ChangedCase{}, lowered...), other...)
	total := len(out)
	if len(out) > MaxChanged {
		out = out[:MaxChanged]
	}
	return out, total
}

// countLowered counts the lowered cases of a comparison.
func countLowered(changed []ChangedCase) int {
	n := 0
	for _, c := range changed {
		if c.Lowered {
			n++
		}
	}
	return n
}

// Publish checks a draft and publishes it as version base+1. A draft that
// does not compile is EINVALID with its line; one under which a reference
// case is graded lower than now needs a supervisor (or admin) and
// acceptLowered (EFORBIDDEN, ELOWERED); a base that is no longer the latest
// is ECONFLICT. The new version is in force on this node at once and on the
// others when they receive the event.
func (s *Service) Publish(ctx context.Context, by xinqiao.Staff, base int, source, note string, acceptLowered bool) (xinqiao.RiskRules, CheckResult, error) {
	note, err := publishNote(note, xinqiao.MaxRiskRulesNote, "say in a note what changes and why")
	if err != nil {
		return xinqiao.RiskRules{}, CheckResult{}, err
	}
	if base < 0 {
		return xinqiao.RiskRules{}, CheckResult{}, xinqiao.Errorf(xinqiao.EINVALID, "base_version must be 0 or more")
	}
	// Compare with the latest version, not with a node that lags behind.
	if err := s.Reload(ctx); err != nil {
		s.log.Warn("publishing over rules that are not the latest", "err", err)
	}
	chk, err := s.Check(ctx, source, nil)
	if err != nil {
		return xinqiao.RiskRules{}, chk, err
	}
	if !chk.OK {
		e := xinqiao.Errorf(xinqiao.EINVALID, "line %d: %s", chk.Error.Line, chk.Error.Message)
		e.Line = chk.Error.Line
		return xinqiao.RiskRules{}, chk, e
	}
	if n := chk.Lowered(); n > 0 {
		if !by.Can(xinqiao.RoleSupervisor) {
			return xinqiao.RiskRules{}, chk, xinqiao.Errorf(xinqiao.EFORBIDDEN, "%d reference cases would be graded lower than now; a supervisor must review and publish this change", n)
		}
		if !acceptLowered {
			return xinqiao.RiskRules{}, chk, xinqiao.Errorf(xinqiao.ELOWERED, "%d reference cases would be graded lower than now; publish again with accept_lowered to confirm", n)
		}
	}
	v, err := s.store.PublishRiskRules(ctx, base, xinqiao.RiskRules{Source: source, Note: note, Author: by.ID})
	if err != nil {
		return v, chk, err
	}
	s.put(chk.draft, v.Version)
	if err := s.store.Publish(ctx, xinqiao.Event{Kind: EventKind, Seq: int64(v.Version)}); err != nil {
		// The others still pick it up within a minute.
		s.log.Warn("district rules published but the other nodes were not told; they reload within a minute", "err", err)
	}
	return v, chk, nil
}
