// Package app wires the service of one node from its configuration and an
// open store. The command and the end-to-end tests build the service the
// same way, through Build: only this package knows which implementations
// are in use.
package app

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"xinqiao/internal/answer"
	"xinqiao/internal/chat"
	"xinqiao/internal/config"
	"xinqiao/internal/handoff"
	"xinqiao/internal/hotline"
	"xinqiao/internal/kb"
	"xinqiao/internal/openai"
	"xinqiao/internal/openai/opinion"
	"xinqiao/internal/retention"
	"xinqiao/internal/risk"
	"xinqiao/internal/riskrules"
	"xinqiao/internal/web"
	"xinqiao/internal/ws"
	"xinqiao/internal/xinqiao"
	"xinqiao/knowledge"
)

// App is the wired service of one node.
type App struct {
	Web      *web.Server
	Chat     *chat.Service
	Handoffs *handoff.Service
	Searcher *kb.Searcher
	// Rules owns the risk classifier in force and the district's own rules.
	Rules    *riskrules.Service
	Hotlines *hotline.Registry
	Embedder xinqiao.Embedder
	// AnswerMode is "llm" or "extractive".
	AnswerMode string
	// Knowledge is the report of the knowledge import at start.
	Knowledge kb.SyncReport

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// Options adjust Build for tests; the zero value is production.
type Options struct {
	// Now replaces the clock of the handoff service and the chat pipeline.
	Now func() time.Time
	// Handoff replaces the handoff configuration.
	Handoff *handoff.Config
	// Node names this node in events (default: random).
	Node string
	// AfterAck is the chat pipeline's crash hook for fault tests (chat.Deps.AfterAck).
	AfterAck func(conversationID string, seq int64) (crash bool)
	// AnswerEventWait replaces chat.Deps.AnswerEventWait (default 200 ms).
	AnswerEventWait time.Duration
}

// Context is the node's lifetime: it ends when Close is called.
func (a *App) Context() context.Context { return a.ctx }

// Close stops the background work of the node and waits for it, giving
// alerts already queued a few seconds to be delivered.
func (a *App) Close() {
	if a.Handoffs != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_ = a.Handoffs.Drain(ctx)
		cancel()
	}
	a.cancel()
	a.wg.Wait()
	appendMetrics.remove(a)
}

// Build wires the service on an open store: risk rules, hotlines,
// knowledge import, retrieval, answering, handoffs, the student pipeline and
// the HTTP surface. Anything that would leave the node unsafe (risk rules,
// hotlines, the crisis card) refuses to start.
func Build(ctx context.Context, cfg config.Config, store xinqiao.Store, log *slog.Logger, progress io.Writer, opts Options) (*App, error) {
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	actx, cancel := context.WithCancel(context.Background())
	a := &App{ctx: actx, cancel: cancel}
	ok := false
	defer func() {
		if !ok {
			a.Close()
		}
	}()

	var err error
	if a.Rules, err = riskrules.New(ctx, store, cfg.RiskRulesDir, log); err != nil {
		return nil, fmt.Errorf("risk rules: %w (the server does not start without them)", err)
	}
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		a.Rules.Run(actx)
	}()
	if a.Hotlines, err = hotline.Load(knowledge.FS, knowledge.HotlinesFile); err != nil {
		return nil, fmt.Errorf("hotline registry: %w", err)
	}
	crisis, err := crisisText("card-crisis")
	if err != nil {
		return nil, err
	}
	crisisOther, err := crisisText("card-crisis-other")
	if err != nil {
		return nil, err
	}

	// Knowledge: the embedder, then the import and the searcher.
	if a.Embedder, err = NewEmbedder(cfg); err != nil {
		return nil, err
	}
	var docs fs.FS = knowledge.FS
	if cfg.KnowledgeDir != "" {
		if st, err := os.Stat(cfg.KnowledgeDir); err != nil || !st.IsDir() {
			return nil, fmt.Errorf("XINQIAO_KNOWLEDGE_DIR %s is not a readable folder", cfg.KnowledgeDir)
		}
		docs = os.DirFS(cfg.KnowledgeDir)
	}
	a.Knowledge, err = kb.Prepare(ctx, store, a.Embedder, docs, store.Engine() == "sqlite", progress)
	if err != nil {
		return nil, fmt.Errorf("knowledge: %w", err)
	}
	if n := len(a.Knowledge.Failed); n > 0 {
		for _, f := range a.Knowledge.Failed {
			log.Warn("knowledge document not imported", "file", f.File, "reason", f.Reason)
		}
	}
	// Every node searches an in-process copy of the knowledge, reloaded when
	// any node publishes a change; the store answers until it is loaded.
	if rep := a.Knowledge; len(rep.Added)+len(rep.Updated) > 0 {
		kb.Publish(ctx, store, "", log)
	}
	index := kb.NewIndex(store, store, log)
	if err := index.Load(ctx); err != nil {
		log.Error("knowledge index not loaded: searching the store until it is", "err", err)
	}
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		index.Run(actx)
	}()
	a.Searcher = kb.NewSearcher(store, a.Embedder, kb.Options{Log: log, Now: now, Index: index})

	// Answering: the LLM when configured, with the extractive answerer as
	// its fallback; the extractive answerer alone otherwise.
	cards := cardSource{a.Searcher}
	extractive := answer.NewExtractive(answer.ExtractiveConfig{Cards: cards})
	var answerer answer.Answerer = extractive
	var second risk.SecondOpinion
	var summarizer handoff.Summarizer
	a.AnswerMode = "extractive"
	if cfg.ChatModel != "" {
		client, err := openai.New(openai.Config{BaseURL: cfg.OpenAIBaseURL, APIKey: cfg.OpenAIAPIKey, ChatModel: cfg.ChatModel})
		if err != nil {
			return nil, fmt.Errorf("chat model: %w", err)
		}
		check := answer.NewChecker(answer.CheckConfig{Risk: riskChecker{a.Rules.Live()}})
		answerer = answer.NewLLM(client, extractive, cards, check, answer.Config{Model: cfg.ChatModel, StallTimeout: cfg.LLMStall, Logger: log, Now: now})
		a.AnswerMode = "llm"
		summarizer = briefWriter{client}
		if cfg.RiskOpinion == "llm" {
			second = opinion.New(client)
		}
	}

	if cfg.RiskOpinion == "exemplar" {
		ex, err := risk.OwnExemplars()
		if err != nil {
			return nil, fmt.Errorf("risk exemplars: %w", err)
		}
		if second, err = risk.NewExemplarOpinion(ctx, a.Embedder, ex, risk.ExemplarOptions{}); err != nil {
			return nil, fmt.Errorf("risk exemplar opinion: %w", err)
		}
	}

	hcfg := handoff.DefaultConfig()
	if opts.Handoff != nil {
		hcfg = *opts.Handoff
	}
	hcfg.OnCallContact = firstNonEmpty(hcfg.OnCallContact, cfg.OnCallContact)
	if cfg.DutyHours != "" || cfg.Holidays != "" {
		if hcfg.DutyHours, err = dutyHours(cfg); err != nil {
			return nil, err
		}
	}
	if hcfg.Summarizer == nil {
		hcfg.Summarizer = summarizer
	}
	if cfg.AlertWebhook != "" {
		hcfg.Targets = append(hcfg.Targets, handoff.TargetFromURL(cfg.AlertWebhook, cfg.AlertSecret))
	}
	more, err := handoff.ParseTargets(cfg.AlertTargets)
	if err != nil {
		return nil, fmt.Errorf("XINQIAO_ALERT_TARGETS: %w", err)
	}
	hcfg.Targets = append(hcfg.Targets, more...)
	if err := hcfg.Validate(); err != nil {
		return nil, fmt.Errorf("handoff configuration: %w", err)
	}
	a.Handoffs = handoff.New(store, hcfg, log, now)
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		a.Handoffs.Run(actx)
	}()
	// Retention: a purge a minute after the start, then daily; on PostgreSQL
	// the store lets one node purge at a time.
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		retention.Run(actx, store, retention.Options{Days: cfg.RetentionDays, Now: now, Log: log})
	}()

	slots := cfg.AnswerSlots
	if slots == 0 && cfg.ChatModel != "" {
		slots = 64 // answers wait on the model, not on this node's CPUs
	}
	socket := ws.DefaultOptions()
	if cfg.PongWait > 0 {
		socket.PongWait = cfg.PongWait
	}
	a.Chat = chat.New(actx, chat.Deps{
		Store: store, Risk: a.Rules.Live(), Search: searchAdapter{a.Searcher}, Answer: answerer,
		Handoffs: a.Handoffs.ForChat(), Hotlines: a.Hotlines, CrisisText: crisis, CrisisOtherText: crisisOther,
		SecondOpinion: second, Log: log, Now: now, Node: opts.Node,
		MaxMessageLen: cfg.MaxMessageLen, SessionTTL: cfg.SessionTTL, AfterAck: opts.AfterAck,
		AnswerSlots: slots, AnswerEventWait: opts.AnswerEventWait, Socket: socket,
	})
	// Turns acked by a node that stopped are finished here: now, then
	// periodically.
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		a.Chat.Run(actx)
	}()
	a.Web = web.New(cfg, store, log,
		a.Chat.Module(),
		web.KnowledgeModule(a.Searcher, a.Embedder),
		web.HandoffModule(actx, a.Handoffs),
		web.ReportsModule(),
		web.AdminModule(),
		web.RiskRulesModule(a.Rules),
	)
	if as, grouped := store.(appendStatser); grouped {
		appendMetrics.add(a, as)
	}
	ok = true
	return a, nil
}

// NewEmbedder returns the configured embedder: the OpenAI-compatible one
// when XINQIAO_EMBED_MODEL is set, else the local one, whose weights are
// learned from the built-in knowledge so its name changes only with it.
func NewEmbedder(cfg config.Config) (xinqiao.Embedder, error) {
	if cfg.EmbedModel != "" {
		e, err := openai.NewEmbedder(openai.Config{BaseURL: cfg.OpenAIBaseURL, APIKey: cfg.OpenAIAPIKey, EmbedModel: cfg.EmbedModel, EmbedDim: cfg.EmbedDim})
		if err != nil {
			return nil, fmt.Errorf("embedder: %w", err)
		}
		return e, nil
	}
	e, err := kb.NewLocalEmbedder(knowledge.FS, ".")
	if err != nil {
		return nil, fmt.Errorf("embedder: %w", err)
	}
	return e, nil
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// crisisText reads a crisis card's words (card id without the language:
// card-crisis, card-crisis-other) from the built-in knowledge, in both
// languages. It is read once at start, so the crisis frame never needs the
// store.
func crisisText(card string) (map[string]string, error) {
	out := map[string]string{}
	for _, lang := range []string{"zh", "en"} {
		b, err := fs.ReadFile(knowledge.FS, "cards/"+card+"-"+lang+".md")
		if err != nil {
			return nil, fmt.Errorf("crisis card %s (%s): %w", card, lang, err)
		}
		p, err := kb.Parse(b)
		if err != nil {
			return nil, fmt.Errorf("crisis card %s (%s): %w", card, lang, err)
		}
		out[lang] = strings.TrimSpace(kb.Plain(p.Body))
		if out[lang] == "" {
			return nil, fmt.Errorf("crisis card %s (%s) is empty", card, lang)
		}
	}
	return out, nil
}

// dutyHours reads XINQIAO_DUTY_HOURS and XINQIAO_HOLIDAYS, naming the
// variable that is wrong.
func dutyHours(cfg config.Config) (handoff.DutyHours, error) {
	d, err := handoff.ParseDutyHours(cfg.DutyHours)
	if err != nil {
		return d, fmt.Errorf("XINQIAO_DUTY_HOURS: %w", err)
	}
	if d.Holidays, err = handoff.ParseHolidays(cfg.Holidays); err != nil {
		return d, fmt.Errorf("XINQIAO_HOLIDAYS: %w", err)
	}
	return d, nil
}
