package answer

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"xinqiao/internal/xinqiao"
	"xinqiao/prompts"
)

// Config configures NewLLM. Zero values take the defaults in brackets.
type Config struct {
	// Model labels the metrics (the Chat adapter holds the model it calls).
	Model string
	// FirstTokenTimeout bounds the wait for the first streamed token, retries
	// included [8s]; StallTimeout bounds the wait for each later token [8s]: a
	// stream that goes quiet that long falls back to the extractive answer
	// rather than keep the student waiting; Timeout bounds the whole answer
	// [45s].
	FirstTokenTimeout time.Duration
	StallTimeout      time.Duration
	Timeout           time.Duration
	// Retries is how many times a 429 or 5xx before the first token is retried
	// [2]; negative means never. RetryBackoff is the first backoff [300ms],
	// doubled each time, with full jitter, capped at 2s.
	Retries      int
	RetryBackoff time.Duration
	// BreakerThreshold consecutive failures open the circuit breaker [5]; after
	// BreakerCooldown [30s] one probe request is let through.
	BreakerThreshold int
	BreakerCooldown  time.Duration
	// HistoryTokens [1200] and PassageTokens [3000] are the prompt budgets
	// (estimated tokens) for earlier turns and passages; MaxPassages [5] bounds
	// the passages sent; MaxQuestionRunes [1000] cuts an overlong question.
	HistoryTokens    int
	PassageTokens    int
	MaxPassages      int
	MaxQuestionRunes int
	// Pinning decides which requests get a pinned card (DefaultPinning).
	Pinning Pinning
	// Now is the circuit breaker's clock [time.Now]; tests inject one. Latency
	// metrics always use the real clock.
	Now func() time.Time
	// Logger receives one debug line per answer, without any text [discard].
	Logger *slog.Logger
}

func (c Config) withDefaults() Config {
	if c.Model == "" {
		c.Model = "default"
	}
	if c.FirstTokenTimeout <= 0 {
		c.FirstTokenTimeout = 8 * time.Second
	}
	if c.StallTimeout <= 0 {
		c.StallTimeout = 8 * time.Second
	}
	if c.Timeout <= 0 {
		c.Timeout = 45 * time.Second
	}
	if c.Retries == 0 {
		c.Retries = 2
	} else if c.Retries < 0 {
		c.Retries = 0
	}
	if c.RetryBackoff <= 0 {
		c.RetryBackoff = 300 * time.Millisecond
	}
	if c.BreakerThreshold <= 0 {
		c.BreakerThreshold = 5
	}
	if c.BreakerCooldown <= 0 {
		c.BreakerCooldown = 30 * time.Second
	}
	if c.HistoryTokens <= 0 {
		c.HistoryTokens = 1200
	}
	if c.PassageTokens <= 0 {
		c.PassageTokens = 3000
	}
	if c.MaxPassages <= 0 {
		c.MaxPassages = 5
	}
	if c.MaxQuestionRunes <= 0 {
		c.MaxQuestionRunes = 1000
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// LLM answers with a language model: it streams a grounded, cited answer,
// checks it, and falls back to the extractive answer on any failure.
type LLM struct {
	chat  Chat
	fb    Answerer
	cards Cards
	check Checker
	cfg   Config
	br    *breaker
}

// NewLLM returns an LLM answerer. fallback answers whenever the model cannot
// (nil: NewExtractive with the same cards and pinning); cards supplies pinned
// cards (nil: a fixed safe reply); check vets every generated answer (nil:
// NewChecker with no risk classifier, which still rejects numbers and URLs).
func NewLLM(chat Chat, fallback Answerer, cards Cards, check Checker, cfg Config) *LLM {
	cfg = cfg.withDefaults()
	if fallback == nil {
		fallback = NewExtractive(ExtractiveConfig{Cards: cards, Pinning: cfg.Pinning})
	}
	if check == nil {
		check = NewChecker(CheckConfig{})
	}
	l := &LLM{chat: chat, fb: fallback, cards: cards, check: check, cfg: cfg}
	model := cfg.Model
	l.br = &breaker{state: BreakerClosed, threshold: cfg.BreakerThreshold, cooldown: cfg.BreakerCooldown, now: cfg.Now,
		onChange: func(s string) {
			v := map[string]float64{BreakerClosed: 0, BreakerOpen: 1, BreakerHalfOpen: 2}[s]
			LLMBreakerState.WithLabelValues(model).Set(v)
		}}
	LLMBreakerState.WithLabelValues(model).Set(0)
	return l
}

// BreakerState returns "closed", "open" or "half_open" (open whose cool-down
// has passed): for readiness pages and tests.
func (l *LLM) BreakerState() string { return l.br.current() }

// Answer implements Answerer.
func (l *LLM) Answer(ctx context.Context, req Request, onDelta func(string)) (Answer, error) {
	if err := ctx.Err(); err != nil {
		return Answer{}, err
	}
	if a, ok := preamble(ctx, req, l.cards, l.cfg.Pinning); ok {
		return a, nil
	}
	model := l.cfg.Model
	if !l.br.allow() {
		LLMRequestsTotal.WithLabelValues(model, "breaker_open").Inc()
		return l.fallback(ctx, req, FallbackBreakerOpen)
	}
	msgs, used := l.Messages(req)
	oc, ok := l.check.(*OutputChecker)
	if !ok {
		oc = NewChecker(CheckConfig{}) // the guard still keeps numbers and links off the page
	}
	g := &guard{onDelta: onDelta, policy: oc.policy, risk: oc.cfg.Risk, maxRunes: oc.cfg.MaxRunes, started: make(chan struct{}),
		tokens: make(chan struct{}, 1), now: time.Now}
	defer g.close()
	start := time.Now()
	comp, reason, err := l.run(ctx, msgs, g)
	g.close()
	if first := g.firstAt(); !first.IsZero() {
		LLMTimeToFirstToken.WithLabelValues(model).Observe(first.Sub(start).Seconds())
	}
	text := strings.TrimSpace(g.text())
	if text == "" {
		text = strings.TrimSpace(comp.Text)
	}
	if err != nil {
		l.br.release()
		LLMRequestsTotal.WithLabelValues(model, "canceled").Inc()
		return Answer{}, err
	}
	if reason == "" || strings.HasPrefix(reason, FallbackCheckPrefix) {
		l.countTokens(comp, msgs, text)
	}
	if reason == "" {
		if cerr := l.check.Check(text); cerr != nil {
			var ce *CheckError
			r := "failed"
			if errors.As(cerr, &ce) {
				r = ce.Reason
			}
			reason = FallbackCheckPrefix + r
		}
	}
	switch {
	case reason == "":
		l.br.done(true)
		LLMRequestsTotal.WithLabelValues(model, "ok").Inc()
		LLMDuration.WithLabelValues(model).Observe(time.Since(start).Seconds())
		RequestsTotal.WithLabelValues(ModeLLM).Inc()
		l.cfg.Logger.Debug("answer", "mode", ModeLLM, "model", model, "runes", len([]rune(text)))
		text, sources := cited(text, used)
		return Answer{Text: text, Sources: sources, AIGenerated: true, Mode: ModeLLM}, nil
	case strings.HasPrefix(reason, FallbackCheckPrefix):
		l.br.done(true) // the endpoint worked; the text did not pass
		CheckFailuresTotal.WithLabelValues(strings.TrimPrefix(reason, FallbackCheckPrefix)).Inc()
		LLMRequestsTotal.WithLabelValues(model, "check_failed").Inc()
	default:
		l.br.done(false)
		LLMRequestsTotal.WithLabelValues(model, reason).Inc()
	}
	return l.fallback(ctx, req, reason)
}

func (l *LLM) countTokens(comp Completion, msgs []Message, text string) {
	in, out := comp.PromptTokens, comp.CompletionTokens
	if in == 0 {
		for _, m := range msgs {
			in += EstimateTokens(m.Content) + 4
		}
	}
	if out == 0 {
		out = EstimateTokens(text)
	}
	LLMTokensTotal.WithLabelValues(l.cfg.Model, "in").Add(float64(in))
	LLMTokensTotal.WithLabelValues(l.cfg.Model, "out").Add(float64(out))
}

func (l *LLM) fallback(ctx context.Context, req Request, reason string) (Answer, error) {
	FallbacksTotal.WithLabelValues(l.cfg.Model, reason).Inc()
	var a Answer
	if e, ok := l.fb.(*Extractive); ok {
		a = e.extract(req)
	} else {
		var err error
		if a, err = l.fb.Answer(ctx, req, nil); err != nil {
			return Answer{}, err
		}
	}
	RequestsTotal.WithLabelValues(ModeFallback).Inc()
	l.cfg.Logger.Debug("answer", "mode", ModeFallback, "model", l.cfg.Model, "reason", reason)
	a.Mode, a.Fallback, a.AIGenerated = ModeFallback, reason, true
	return a, nil
}

type result struct {
	comp Completion
	err  error
}

// run streams the completion with retries before the first token. It returns
// the completion and "" on success, a fallback reason when the endpoint
// failed or the streaming guard stopped the answer, or ctx's error when the
// caller went away.
func (l *LLM) run(ctx context.Context, msgs []Message, g *guard) (Completion, string, error) {
	octx, ocancel := context.WithTimeout(ctx, l.cfg.Timeout)
	defer ocancel()
	ft := time.NewTimer(l.cfg.FirstTokenTimeout)
	defer ft.Stop()
	ended := func() (Completion, string, error) {
		if err := ctx.Err(); err != nil {
			return Completion{}, "", err
		}
		return Completion{}, FallbackTimeout, nil
	}
	for attempt := 0; ; attempt++ {
		actx, acancel := context.WithCancel(octx)
		g.setCancel(acancel)
		res := make(chan result, 1)
		go func() {
			c, err := l.chat.Stream(actx, msgs, g.push)
			res <- result{c, err}
		}()
		var r result
		select {
		case <-g.started:
			var end string
			switch r, end = l.follow(octx, res, g); end {
			case FallbackStall:
				acancel()
				return Completion{}, FallbackStall, nil
			case "ended":
				acancel()
				return ended()
			}
		case r = <-res:
		case <-ft.C:
			acancel()
			return Completion{}, FallbackTimeout, nil
		case <-octx.Done():
			acancel()
			return ended()
		}
		acancel()
		if f := g.failed(); f != "" {
			return r.comp, FallbackCheckPrefix + f, nil
		}
		if r.err == nil {
			return r.comp, "", nil
		}
		if ctx.Err() != nil || octx.Err() != nil {
			return ended()
		}
		if g.hasStarted() || attempt >= l.cfg.Retries || !retryable(r.err) {
			return r.comp, FallbackError, nil
		}
		LLMRetriesTotal.WithLabelValues(l.cfg.Model).Inc()
		wait := l.cfg.RetryBackoff << attempt
		if wait > 2*time.Second {
			wait = 2 * time.Second
		}
		wait = wait/2 + time.Duration(rand.Int64N(int64(wait/2)+1))
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ft.C:
			t.Stop()
			return Completion{}, FallbackTimeout, nil
		case <-octx.Done():
			t.Stop()
			return ended()
		}
	}
}

// follow waits for a started stream to end. It returns its result and "",
// or FallbackStall when no token came for StallTimeout, or "ended" when ctx
// ended first.
func (l *LLM) follow(ctx context.Context, res <-chan result, g *guard) (result, string) {
	stall := time.NewTimer(l.cfg.StallTimeout)
	defer stall.Stop()
	for {
		select {
		case r := <-res:
			return r, ""
		case <-g.tokens:
			if !stall.Stop() {
				select {
				case <-stall.C:
				default:
				}
			}
			stall.Reset(l.cfg.StallTimeout)
		case <-stall.C:
			return result{}, FallbackStall
		case <-ctx.Done():
			return result{}, "ended"
		}
	}
}

// retryable reports whether err is a 429 or a 5xx.
func retryable(err error) bool {
	var sc StatusCoder
	if errors.As(err, &sc) {
		c := sc.StatusCode()
		return c == 429 || c >= 500
	}
	return false
}

// Messages builds the chat messages for a request: the system prompt, the
// history trimmed to its token budget (student turns fenced as data), and the
// user message with the numbered passages and the question. It also returns the
// passages it included. Exported so that tests and tools can see exactly what a
// model is sent.
func (l *LLM) Messages(req Request) ([]Message, []Passage) {
	lang := prompts.Lang(req.Lang)
	sys, err := prompts.System(lang, req.Band)
	if err != nil {
		sys = "" // the templates are embedded and tested; cannot happen
	}
	var used []Passage
	var pp []prompts.Passage
	budget := l.cfg.PassageTokens
	for i, p := range req.Passages {
		if i >= l.cfg.MaxPassages {
			break
		}
		cost := EstimateTokens(p.Title) + EstimateTokens(p.Heading) + EstimateTokens(p.Text) + 12
		if cost > budget {
			if len(pp) > 0 {
				break
			}
			p.Text = truncateRunes(p.Text, budget) // at least one passage, cut to fit
			cost = budget
		}
		budget -= cost
		p.N = number(p, i)
		used = append(used, p)
		pp = append(pp, prompts.Passage{N: p.N, Title: p.Title, Heading: p.Heading, Text: p.Text})
	}
	user, _ := prompts.User(lang, prompts.Context{Question: truncateRunes(req.Question, l.cfg.MaxQuestionRunes), Passages: pp})
	msgs := []Message{{Role: "system", Content: sys}}
	for _, t := range TrimHistory(req.History, l.cfg.HistoryTokens) {
		switch t.Role {
		case "student":
			msgs = append(msgs, Message{Role: "user", Content: prompts.StudentMessage(t.Text)})
		case "counselor":
			label := "（学校心理老师）"
			if lang == "en" {
				label = "(school psychology teacher) "
			}
			msgs = append(msgs, Message{Role: "assistant", Content: label + t.Text})
		default:
			msgs = append(msgs, Message{Role: "assistant", Content: t.Text})
		}
	}
	return append(msgs, Message{Role: "user", Content: user}), used
}

// TrimHistory keeps the most recent turns whose estimated tokens fit budget,
// oldest first; empty turns are dropped. A turn that does not fit ends the
// window: the model never sees a gap in the conversation.
func TrimHistory(turns []Turn, budget int) []Turn {
	i := len(turns)
	for i > 0 {
		t := turns[i-1]
		if strings.TrimSpace(t.Text) == "" {
			i--
			continue
		}
		cost := EstimateTokens(t.Text) + 4
		if cost > budget {
			break
		}
		budget -= cost
		i--
	}
	var out []Turn
	for _, t := range turns[i:] {
		if strings.TrimSpace(t.Text) != "" {
			out = append(out, t)
		}
	}
	return out
}

var citeRE = regexp.MustCompile(`[\[【［](\d{1,2})[\]】］]`)

// cited renumbers the text's citations so that [k] names the k-th source
// shown under the answer, and returns those sources: the document versions
// of the passages the text cites, in the order they are first cited, each
// once (two passages of one document share a number). A citation of a
// passage that was not given is dropped. A text that cites nothing gets the
// sources of every passage used, unnumbered.
func cited(text string, used []Passage) (string, []xinqiao.Source) {
	byN := map[int]Passage{}
	for i, p := range used {
		byN[number(p, i)] = p
	}
	var out []xinqiao.Source
	index := map[xinqiao.Source]int{}
	renumbered := citeRE.ReplaceAllStringFunc(text, func(m string) string {
		n, _ := strconv.Atoi(citeRE.FindStringSubmatch(m)[1])
		p, ok := byN[n]
		if !ok {
			return ""
		}
		src := source(p)
		k, seen := index[src]
		if !seen {
			out = append(out, src)
			k = len(out)
			index[src] = k
		}
		return "[" + strconv.Itoa(k) + "]"
	})
	if len(out) == 0 {
		return text, sourcesOf(used)
	}
	// "[1][1]" after two passages of one document merged: keep one.
	for k := range out {
		mark := "[" + strconv.Itoa(k+1) + "]"
		for strings.Contains(renumbered, mark+mark) {
			renumbered = strings.ReplaceAll(renumbered, mark+mark, mark)
		}
	}
	return renumbered, out
}

// guard sits between the model's stream and onDelta. It forwards text as it
// comes but holds back a trailing run that could still turn into a phone number
// or a URL, checks the released text for both and every completed sentence for
// risk, and stops the stream (cancelling it) at the first failure, so a number
// or a link never reaches the page. After close it forwards nothing.
type guard struct {
	mu       sync.Mutex
	onDelta  func(string)
	policy   func(string) string
	risk     RiskChecker
	now      func() time.Time
	started  chan struct{}
	tokens   chan struct{} // signalled (without blocking) on every token
	first    time.Time
	cancel   context.CancelFunc
	acc      strings.Builder
	runes    int // runes in acc
	maxRunes int // the length cap; 0 means none
	sent     int // bytes of acc forwarded
	checked  int // bytes of acc whose sentences were risk-checked
	reason   string
	closed   bool
}

func (g *guard) setCancel(c context.CancelFunc) {
	g.mu.Lock()
	g.cancel = c
	g.mu.Unlock()
}

func (g *guard) push(d string) {
	if d == "" {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed || g.reason != "" {
		return
	}
	if g.first.IsZero() {
		g.first = g.now()
		close(g.started)
	}
	select {
	case g.tokens <- struct{}{}:
	default:
	}
	g.acc.WriteString(d)
	g.runes += utf8.RuneCountInString(d)
	if g.maxRunes > 0 && g.runes > g.maxRunes {
		g.stop(CheckLength)
		return
	}
	s := g.acc.String()
	end := releasable(s)
	if end <= g.sent {
		return
	}
	if r := g.policy(s[:end]); r != "" {
		g.stop(r)
		return
	}
	if g.risk != nil {
		if t := lastSentenceEnd(s[g.checked:end]); t > 0 {
			if riskFails(g.risk, s[g.checked:g.checked+t]) {
				g.stop(CheckRisk)
				return
			}
			g.checked += t
		}
	}
	if g.onDelta != nil {
		g.onDelta(s[g.sent:end])
	}
	g.sent = end
}

func (g *guard) stop(reason string) {
	g.reason = reason
	if g.cancel != nil {
		g.cancel()
	}
}

func (g *guard) close() {
	g.mu.Lock()
	g.closed = true
	g.mu.Unlock()
}

func (g *guard) failed() string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.reason
}

func (g *guard) hasStarted() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return !g.first.IsZero()
}

func (g *guard) firstAt() time.Time {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.first
}

func (g *guard) text() string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.acc.String()
}

// holdable reports whether r could be part of a phone number (digits,
// full-width or spelt in Chinese numerals) or a URL.
func holdable(r rune) bool {
	switch {
	case r >= '0' && r <= '9', r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z':
		return true
	case r >= '０' && r <= '９':
		return true
	}
	return strings.ContainsRune("+-./:()@_%~#?=&＋－．：／（）零〇幺一二三四五六七八九", r)
}

// releasable returns the length of the prefix of s that may be forwarded: all
// but a trailing run of characters that could still become a phone number or
// a URL (spaces count when they follow a digit, as in "138 0013 8000").
func releasable(s string) int {
	i := len(s)
	for i > 0 {
		r, n := lastRune(s[:i])
		if holdable(r) {
			i -= n
			continue
		}
		if r == ' ' && i-n > 0 {
			p, _ := lastRune(s[:i-n])
			if (p >= '0' && p <= '9') || (p >= '０' && p <= '９') {
				i -= n
				continue
			}
		}
		break
	}
	return i
}

func lastRune(s string) (rune, int) {
	return utf8.DecodeLastRuneInString(s)
}

// lastSentenceEnd returns the byte length of s up to and including its last
// sentence-ending mark, or 0.
func lastSentenceEnd(s string) int {
	end := 0
	for i, r := range s {
		switch r {
		case '。', '！', '？', '；', '!', '?', '.', '\n':
			end = i + len(string(r))
		}
	}
	return end
}
