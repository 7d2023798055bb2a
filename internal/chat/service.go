// Package chat is the student side of the service: anonymous sessions, the
// student WebSocket, and the turn pipeline every student message goes
// through: classify risk (first, always) → persist → ack → crisis and
// handoff, or retrieve → answer → check → persist → send.
package chat

import (
	"cmp"
	"context"
	"encoding/json"
	"log/slog"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"

	"xinqiao/internal/answer"
	"xinqiao/internal/auth"
	"xinqiao/internal/hotline"
	"xinqiao/internal/risk"
	"xinqiao/internal/ws"
	"xinqiao/internal/xinqiao"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

const (
	maxMergedTexts = 8   // latest messages of a merged turn whose text the answer addresses
	resumeBatch    = 200 // messages read per query when replaying
	historyTurns   = 12  // earlier messages given to the answerer (it trims by tokens)
)

// Searcher finds vetted passages for a question.
type Searcher interface {
	Passages(ctx context.Context, query, lang, band string) (ps []answer.Passage, confident bool, err error)
}

// Handoffs opens handoffs and tells the student's page their state.
type Handoffs interface {
	// Open opens (or raises) the conversation's handoff of a kind
	// (xinqiao.KindUrgent, KindReview, KindRequested), reporting how many
	// counselors are on duty now and whether a new handoff was created.
	Open(ctx context.Context, kind, conversationID, level string, categories, rules []string, seq int64) (onDuty int, created bool, err error)
	// StudentState returns "waiting", "joined" or "ended", the counselor's
	// display name and the kind of the conversation's latest handoff, or
	// ok=false when the conversation has had none.
	StudentState(ctx context.Context, conversationID string) (state, counselor, kind string, ok bool, err error)
	// OnDuty counts the counselors on duty now who would see the
	// conversation, and reports whether it is within duty hours.
	OnDuty(ctx context.Context, conversationID string) (n int, inHours bool, err error)
}

// Deps are the parts the pipeline stands on.
type Deps struct {
	Store    xinqiao.Store
	Risk     *risk.Live // the classifier in force, replaced when district rules are published
	Search   Searcher
	Answer   answer.Answerer
	Handoffs Handoffs
	Hotlines *hotline.Registry
	// CrisisText is the crisis card's text by language ("zh", "en").
	CrisisText map[string]string
	// CrisisOtherText is the text of the card for someone else in danger
	// now (risk.ForOther), by language; CrisisText stands in when empty.
	CrisisOtherText map[string]string
	// SecondOpinion, when set, may raise a message's level (never lower it).
	SecondOpinion  risk.SecondOpinion
	OpinionTimeout time.Duration

	Log           *slog.Logger
	Now           func() time.Time
	Node          string // this node's name in events
	MaxMessageLen int
	SessionTTL    time.Duration
	// MessageRate and MessageBurst bound student messages per socket and per
	// conversation (token buckets).
	MessageRate  float64
	MessageBurst int

	// AfterAck is a test hook: when it returns true for a newly stored
	// message, the pipeline stops right after the ack, as a node killed
	// there would, and leaves the message's turn pending. Nil in production.
	AfterAck func(conversationID string, seq int64) (crash bool)

	// AnswerSlots bounds the answers written at once (default twice the
	// CPUs): a slot covers reading the history, retrieval and writing the
	// answer (the model's call with an LLM), and is given back before the
	// answer is stored and sent, which wait on the store. More wait in order,
	// and their students are told the answer will take a moment. Acks,
	// crisis cards and handoffs never take a slot.
	AnswerSlots int
	// IntakeSlots bounds the ordinary messages being stored at once
	// (default 64), and IntakeWait how long one waits for a slot (default
	// 500 ms) before the student gets a busy error with a retry hint: a
	// socket's frames are read one after another, so a long wait here would
	// only queue its later frames unseen. Risky messages never wait for a
	// slot.
	IntakeSlots int
	IntakeWait  time.Duration
	// AnswerEventWait is how long the event of a student message being
	// answered here waits for the answer's event, which covers it (default
	// 200 ms); after it, the message's own event goes out.
	AnswerEventWait time.Duration
	// Socket bounds every student socket (default ws.DefaultOptions).
	Socket ws.Options
}

// Service is the student side of one node.
type Service struct {
	d       Deps
	hub     *hub
	ctx     context.Context // the node's lifetime: AI turns run in it
	perConv *auth.Limiters
	perSock *auth.Limiters

	heldMu  sync.Mutex
	held    map[turnKey]time.Time // pending turns this node is working on, with their lease
	writing sync.WaitGroup        // the rooms' answer writers
	// askLimit bounds ask_counselor frames per conversation.
	askLimit *auth.Limiters

	answerSlots chan struct{} // a token per answer being written
	intakeSlots chan struct{} // a token per ordinary message being stored
	waiting     atomic.Int64  // turns queued for an answer slot
}

var (
	turnsTotal = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "xinqiao_chat_messages_total", Help: "Student messages by the highest risk level reached.",
	}, []string{"level"})
	aiDiscarded = promauto.NewCounter(prometheus.CounterOpts{
		Name: "xinqiao_chat_ai_answers_discarded_total", Help: "AI answers discarded because a handoff opened while they were written (xinqiao_answer_requests_total counts every answer written).",
	})
	storeFailures = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "xinqiao_chat_store_failures_total", Help: "Pipeline steps that failed because the store did.",
	}, []string{"step"})
	ackLatency = promauto.NewHistogram(prometheus.HistogramOpts{
		Name: "xinqiao_chat_ack_seconds", Help: "Time from a student frame read to its ack queued.",
		Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14),
	})
	answerQueue = promauto.NewGauge(prometheus.GaugeOpts{
		Name: "xinqiao_chat_answer_queue", Help: "Answers waiting for a slot (XINQIAO_ANSWER_SLOTS).",
	})
	answersMerged = promauto.NewCounter(prometheus.CounterOpts{
		Name: "xinqiao_chat_messages_merged_total", Help: "Student messages that joined their conversation's waiting answer instead of getting one of their own.",
	})
	answerWait = promauto.NewHistogram(prometheus.HistogramOpts{
		Name: "xinqiao_chat_answer_wait_seconds", Help: "Time an answer waited for a slot.",
		Buckets: prometheus.ExponentialBuckets(0.001, 2, 16),
	})
	intakeQueue = promauto.NewGauge(prometheus.GaugeOpts{
		Name: "xinqiao_chat_intake_queue", Help: "Ordinary student messages waiting for a slot to be stored.",
	})
	intakeWait = promauto.NewHistogram(prometheus.HistogramOpts{
		Name: "xinqiao_chat_intake_wait_seconds", Help: "Time a student message waited for a slot to be stored.",
		Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14),
	})
	overload = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "xinqiao_chat_overload_total", Help: "Students told of overload: answer_delayed (stored, acked, the answer waits) or busy (not stored, resend).",
	}, []string{"kind"})
)

// New builds the service and subscribes it to the store's events. ctx is
// the node's lifetime.
func New(ctx context.Context, d Deps) *Service {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.MaxMessageLen == 0 {
		d.MaxMessageLen = 2000
	}
	if d.SessionTTL == 0 {
		d.SessionTTL = 12 * time.Hour
	}
	if d.MessageRate == 0 {
		d.MessageRate, d.MessageBurst = 1, 8 // a burst of 8, then one a second
	}
	if d.OpinionTimeout == 0 {
		d.OpinionTimeout = 3 * time.Second
	}
	if d.AnswerSlots <= 0 {
		d.AnswerSlots = 2 * runtime.GOMAXPROCS(0)
	}
	if d.IntakeSlots <= 0 {
		d.IntakeSlots = 64
	}
	if d.IntakeWait <= 0 {
		d.IntakeWait = 500 * time.Millisecond
	}
	if d.AnswerEventWait <= 0 {
		d.AnswerEventWait = 200 * time.Millisecond
	}
	if d.Socket == (ws.Options{}) {
		d.Socket = ws.DefaultOptions()
	}
	if d.Node == "" {
		d.Node = xinqiao.NewID()
	}
	s := &Service{
		d: d, hub: newHub(d.Store, d.Log), ctx: ctx,
		perConv:  auth.NewLimiters(d.MessageRate, d.MessageBurst, 10*time.Minute),
		perSock:  auth.NewLimiters(d.MessageRate*1.5, d.MessageBurst, 10*time.Minute),
		askLimit: auth.NewLimiters(askRate, askBurst, 10*time.Minute),

		answerSlots: make(chan struct{}, d.AnswerSlots),
		intakeSlots: make(chan struct{}, d.IntakeSlots),
		held:        map[turnKey]time.Time{},
	}
	d.Store.Subscribe(ctx, s.onEvent)
	return s
}

// onEvent is called by the broker for every event on every node. It must
// not block, so work goes to goroutines.
func (s *Service) onEvent(e xinqiao.Event) {
	switch e.Kind {
	case "resync":
		// Events were missed: the messages, and the handoff changes that
		// lock and unlock the AI (a close missed would keep the room locked,
		// its student's messages acked and never answered).
		go func() {
			for _, r := range s.hub.allRooms() {
				s.hub.catchUp(s.ctx, r)
				s.sendHandoffState(r)
			}
		}()
		return
	}
	r := s.hub.room(e.ConversationID)
	if r == nil {
		return
	}
	switch e.Kind {
	case "message":
		go s.hub.catchUpTo(s.ctx, r, e.Seq)
	case "handoff":
		go s.sendHandoffState(r)
	case "crisis":
		if e.Origin != s.d.Node {
			go s.sendCrisisFromStore(r)
		}
	case "typing": // the counselor is typing
		r.broadcast(typingFrame{Type: "typing", Role: xinqiao.RoleCounselor})
	}
}

// publish sends an event, logging (not failing) when the store is down:
// the sender has already been served locally. An event of a commit still
// goes out while the node stops.
func (s *Service) publish(e xinqiao.Event) {
	e.Origin = s.d.Node
	ctx, cancel := context.WithTimeout(context.WithoutCancel(s.ctx), 5*time.Second)
	defer cancel()
	if err := s.d.Store.Publish(ctx, e); err != nil {
		storeFailures.WithLabelValues("publish").Inc()
		s.d.Log.Warn("publish event failed", "kind", e.Kind, "conversation", e.ConversationID, "err", err)
	}
}

// publishMessage tells every node that the conversation has seq: their
// sockets read every row up to it that they miss. It covers the event of an
// earlier message of r waiting for its answer (r may be nil: no room here).
func (s *Service) publishMessage(r *room, convID string, seq int64) {
	if r != nil {
		r.pubMu.Lock()
		if r.unpub <= seq {
			r.unpub = 0
			if r.pubTimer != nil {
				r.pubTimer.Stop()
				r.pubTimer = nil
			}
		}
		r.pubMu.Unlock()
	}
	s.publish(xinqiao.Event{Kind: "message", ConversationID: convID, Seq: seq})
}

// publishAfterAnswer is publishMessage for a student message this node is
// answering: its event waits up to AnswerEventWait for the answer's, which
// covers it, so that a quickly answered message costs one event, not two.
// Another node's sockets and consoles see the message with its answer, or
// AnswerEventWait after it was stored.
func (s *Service) publishAfterAnswer(r *room, seq int64) {
	r.pubMu.Lock()
	defer r.pubMu.Unlock()
	r.unpub = max(r.unpub, seq)
	if r.pubTimer == nil {
		r.pubTimer = time.AfterFunc(s.d.AnswerEventWait, func() {
			r.pubMu.Lock()
			seq := r.unpub
			r.unpub, r.pubTimer = 0, nil
			r.pubMu.Unlock()
			if seq > 0 {
				s.publish(xinqiao.Event{Kind: "message", ConversationID: r.id, Seq: seq})
			}
		})
	}
}

// crisis builds the crisis frame at a level from the registry, which is in
// memory: it needs neither the store nor the network. forOther gives the
// card for someone else in danger now (risk.ForOther): its own words and
// the emergency lines first, the ambulance before the police.
func (s *Service) crisis(level risk.Level, forOther bool, lang string) crisisFrame {
	texts := s.d.CrisisText
	if forOther && len(s.d.CrisisOtherText) > 0 {
		texts = s.d.CrisisOtherText
	}
	text := texts[lang]
	if text == "" {
		text = texts["zh"]
	}
	f := crisisFrame{Type: "crisis", Level: level.String(), Text: text, Hotlines: s.hotlines(level, lang)}
	if forOther {
		f.For = "other"
		f.Hotlines = s.d.Hotlines.ForSomeoneElse(s.d.Now(), lang)
	}
	return f
}

// crisisFor reports whether the card at level is the one for someone else
// in danger, from the message's result and the conversation's state.
func crisisFor(level risk.Level, res risk.Result, st risk.ConversationState) bool {
	return risk.ForOther(level, max(res.OtherLevel(), st.Other))
}

// hotlines lists the lines for the page's strip and the crisis card. The
// emergency lines are always there (the crisis text points to them): first
// when imminent, after the helplines otherwise. Lines closed now say so.
func (s *Service) hotlines(level risk.Level, lang string) []hotline.Card {
	lines := s.d.Hotlines.ForCrisis(s.d.Now(), true, lang)
	if level >= risk.Imminent {
		return lines
	}
	var help, emergency []hotline.Card
	for _, l := range lines {
		if l.Emergency {
			emergency = append(emergency, l)
		} else {
			help = append(help, l)
		}
	}
	return append(help, emergency...)
}

func (s *Service) sendCrisisFromStore(r *room) {
	c, err := s.d.Store.Conversation(s.ctx, r.id)
	if err != nil {
		return
	}
	if lvl, err := risk.ParseLevel(c.RiskLevel); err == nil && lvl >= risk.High {
		r.broadcast(s.crisis(lvl, crisisFor(lvl, risk.Result{}, decodeState(c.RiskState)), c.Lang))
	}
}

// sendHandoffState tells a room's page the handoff's state after it
// changed. A review is not the student's business (they were told once that
// a teacher reads the conversation); a requested handoff keeps the AI on
// until a counselor joins.
func (s *Service) sendHandoffState(r *room) {
	r.stateMu.Lock()
	defer r.stateMu.Unlock()
	state, counselor, kind, ok, err := s.d.Handoffs.StudentState(s.ctx, r.id)
	if err != nil || !ok || kind == xinqiao.KindReview {
		return
	}
	r.lockAI(state == "joined" || (state == "waiting" && kind == xinqiao.KindUrgent))
	if r.tell(state, counselor, kind) {
		f := handoffFrame{Type: "handoff", State: state, Counselor: counselor, Kind: kind}
		if state == "ended" {
			if c, err := s.d.Store.Conversation(s.ctx, r.id); err == nil {
				f.Mode = c.Mode // a store failure leaves it out: the next message is told with code ended
			}
		}
		r.broadcast(f)
	}
}

// state reads the conversation's accumulated risk state; a store failure
// gives the empty state, and the message's own result still counts.
func decodeState(raw json.RawMessage) risk.ConversationState {
	var st risk.ConversationState
	if len(raw) > 0 {
		_ = json.Unmarshal(raw, &st)
	}
	return st
}

func mark(r risk.Result) *xinqiao.RiskMark {
	m := &xinqiao.RiskMark{Level: r.Level.String(), Categories: make([]string, 0, len(r.Categories)), Rules: r.Rules}
	if m.Rules == nil {
		m.Rules = []string{}
	}
	for _, c := range r.Categories {
		m.Categories = append(m.Categories, string(c))
	}
	for _, mt := range r.Matches {
		m.Spans = append(m.Spans, xinqiao.Span{Rule: mt.Rule, Category: string(mt.Category), Level: mt.Level.String(), Start: mt.Start, End: mt.End})
	}
	return m
}

// EndedCode is the error frame code for a message or a request sent to a
// conversation a counselor ended: the page offers 开始新的对话.
const EndedCode = "ended"

// endedText says, in the conversation's language, that it has ended and
// how to start again.
func endedText(lang string) string {
	if lang == "en" {
		return "This conversation has ended. Tap “Start a new conversation” to talk again. If you are in danger, call 110 or 120 now."
	}
	return "这次对话已经结束了。点「开始新的对话」就可以重新开始聊。如果你有危险，请马上拨打 110 或 120。"
}

// turn is one AI answer to write: the pending turns of one student
// message, or of several sent while the conversation's answer waited. A
// message that arrives while a turn waits joins it (coalescing): one answer
// addresses the student's latest messages together and completes every
// merged message's pending turn, so a conversation's queue is one turn
// being answered and at most one waiting, however fast the student writes.
type turn struct {
	parts     []part // the messages answered, in seq order; the last is the one the answer replies to
	result    risk.Result
	conv      xinqiao.Conversation
	recovered bool   // every part was left pending by a node that stopped: no one may be waiting on a socket
	ask       string // the standard safety question, asked after the answer when set
	queued    time.Time
	told      bool // the student was told this answer will take a moment (once per wait)
}

// part is one student message of a turn. The text of all but the latest
// maxMergedTexts is dropped: their turns are still completed by the answer.
type part struct {
	seq      int64
	clientID string
	text     string
}

// seq is the seq of the message the answer replies to, the latest.
func (t *turn) seq() int64 { return t.parts[len(t.parts)-1].seq }

// clientID is the client id of the latest message: deltas reply to it.
func (t *turn) clientID() string { return t.parts[len(t.parts)-1].clientID }

// covers returns the seqs of the earlier messages merged into the turn.
func (t *turn) covers() []int64 {
	out := make([]int64, 0, len(t.parts)-1)
	for _, p := range t.parts[:len(t.parts)-1] {
		out = append(out, p.seq)
	}
	return out
}

// question is the text the answer addresses: the latest messages, one a
// line, and the seq of the first of them (the history ends before it).
func (t *turn) question() (text string, first int64) {
	from := max(0, len(t.parts)-maxMergedTexts)
	texts := make([]string, 0, len(t.parts)-from)
	for _, p := range t.parts[from:] {
		texts = append(texts, p.text)
	}
	return strings.Join(texts, "\n"), t.parts[from].seq
}

// merge adds the messages of u to the waiting turn t, keeping seq order.
func (t *turn) merge(u turn) {
	for _, p := range u.parts {
		i, found := slices.BinarySearchFunc(t.parts, p.seq, func(q part, seq int64) int { return cmp.Compare(q.seq, seq) })
		if !found {
			t.parts = slices.Insert(t.parts, i, p)
		}
	}
	for i := range max(0, len(t.parts)-maxMergedTexts) {
		t.parts[i].text = ""
	}
	if u.result.Level > t.result.Level {
		t.result = u.result
	}
	if t.ask == "" {
		t.ask = u.ask
	}
	if u.conv.LastSeq >= t.conv.LastSeq {
		t.conv = u.conv
	}
	t.recovered = t.recovered && u.recovered
}

// showCrisis sends the room the crisis card at level, when level is high or
// above. A risky message gets it the moment it is classified, before the
// store is touched; its escalation shows it only when that card was not
// shown (shown is the level of the card the message has had, risk.None for
// none), so the student sees one card per message.
func (s *Service) showCrisis(r *room, level, shown risk.Level, forOther bool, lang string) {
	if level >= risk.High && level > shown {
		r.broadcast(s.crisis(level, forOther, lang))
	}
}

// takeIntake waits up to IntakeWait for a slot to store an ordinary
// message; ok=false means the node is too busy to store it now.
func (s *Service) takeIntake() (release func(), ok bool) {
	select {
	case s.intakeSlots <- struct{}{}:
		return func() { <-s.intakeSlots }, true
	default:
	}
	start := time.Now()
	intakeQueue.Inc()
	defer intakeQueue.Dec()
	t := time.NewTimer(s.d.IntakeWait)
	defer t.Stop()
	select {
	case s.intakeSlots <- struct{}{}:
		intakeWait.Observe(time.Since(start).Seconds())
		return func() { <-s.intakeSlots }, true
	case <-t.C:
		return nil, false
	case <-s.ctx.Done():
		return nil, false
	}
}

// takeAnswer waits for an answer slot; ok=false when ctx ended first.
func (s *Service) takeAnswer(ctx context.Context, queued time.Time) bool {
	if ctx.Err() != nil {
		return false
	}
	select {
	case s.answerSlots <- struct{}{}:
	case <-ctx.Done():
		return false
	}
	answerWait.Observe(time.Since(queued).Seconds())
	return true
}

// dequeued counts a turn out of the answer queue.
func (s *Service) dequeued() {
	s.waiting.Add(-1)
	answerQueue.Dec()
}

// escalate shows the crisis card now, then opens the handoff, and reports
// whether the handoff opened. The card never waits on the store or the
// network; a handoff that fails to open is logged and counted, never silent
// toward the student, and its turn stays pending for the next sweep.
func (s *Service) escalate(r *room, conv xinqiao.Conversation, level, shown risk.Level, res risk.Result, seq int64) bool {
	r.lockAI(true)
	s.showCrisis(r, level, shown, crisisFor(level, res, decodeState(conv.RiskState)), conv.Lang)
	s.publish(xinqiao.Event{Kind: "crisis", ConversationID: conv.ID})
	cats := make([]string, 0, len(res.Categories))
	for _, c := range res.Categories {
		cats = append(cats, string(c))
	}
	ctx, cancel := context.WithTimeout(s.ctx, 5*time.Second)
	defer cancel()
	// What the student was told before: a notice is sent once per change
	// the student can see (a new urgent handoff, or a review or request
	// turned urgent), never again while it waits or a counselor is here.
	// A review is never shown to the student, and a counselor who claimed
	// one only reads it: nobody has joined, and the raised handoff goes back
	// to the queue (handoff.Service.Open), so the student is told as for a
	// new urgent handoff.
	before, _, beforeKind, had, _ := s.d.Handoffs.StudentState(ctx, conv.ID)
	unseen := !had || before == "ended" || beforeKind == xinqiao.KindReview
	if unseen || (before == "waiting" && beforeKind != xinqiao.KindUrgent) {
		r.tell("waiting", "", xinqiao.KindUrgent) // this node tells it below, with the words
	}
	onDuty, _, err := s.d.Handoffs.Open(ctx, xinqiao.KindUrgent, conv.ID, level.String(), cats, res.Rules, seq)
	if err != nil {
		storeFailures.WithLabelValues("handoff").Inc()
		s.d.Log.Error("open handoff failed; the student has the crisis card and hotlines", "conversation", conv.ID, "err", err)
		off := false
		r.broadcast(handoffFrame{Type: "handoff", State: "waiting", Kind: xinqiao.KindUrgent, OnDuty: &off, Text: s.noticeText(conv.Lang, xinqiao.KindUrgent, false)})
		return false
	}
	if had && before != "ended" && beforeKind == xinqiao.KindUrgent {
		return true // already waiting or joined: the page knows, the counselor sees the message
	}
	if !unseen && before == "joined" {
		return true // a counselor who claimed a request, or joined a review, is already here
	}
	s.tellHandoff(ctx, r, conv, xinqiao.KindUrgent, onDuty > 0)
	return true
}

// tellHandoff sends the page a waiting handoff frame with the plain
// sentence of what happens next, and stores the same sentence as a system
// line, so a counselor reading later sees what the student was told.
func (s *Service) tellHandoff(ctx context.Context, r *room, conv xinqiao.Conversation, kind string, on bool) {
	text := s.noticeText(conv.Lang, kind, on)
	r.tell("waiting", "", kind)
	r.broadcast(handoffFrame{Type: "handoff", State: "waiting", Kind: kind, OnDuty: &on, Text: text})
	if m, created, err := s.d.Store.AppendMessage(ctx, xinqiao.NewMessage{ConversationID: conv.ID, Role: xinqiao.RoleSystem, Text: text}); err == nil && created {
		s.hub.deliver(ctx, r, m)
		s.publishMessage(r, conv.ID, m.Seq)
	}
}

// noticeText says honestly who will come and when, and which lines answer
// now: a helpline is named only while it is open; 110 and 120 always are.
func (s *Service) noticeText(lang, kind string, onDuty bool) string {
	var open []string
	for _, l := range s.d.Hotlines.ForCrisis(s.d.Now(), false, lang) {
		if l.Open && !l.Emergency {
			open = append(open, l.Name+" "+l.Number)
		}
	}
	if lang == "en" {
		lines := "If you are in danger, call 110 (police) or 120 (ambulance) now."
		if len(open) > 0 {
			lines = "You can also call " + strings.Join(open, " or ") + ", which is answering now. " + lines
		}
		switch {
		case onDuty && kind == xinqiao.KindRequested:
			return "Your school's psychology teacher has been told you would like to talk, and will join this chat as soon as they can. You can keep talking with me while you wait. " + lines
		case onDuty:
			return "A school psychology teacher has been told and will join this chat as soon as they can. " + lines
		case kind == xinqiao.KindRequested:
			return "No teacher is on duty right now, so nobody from school can join this chat at the moment. A psychology teacher will read your request during school duty hours and get in touch with you. " + lines
		}
		return "No teacher is on duty right now, so nobody from school can join this chat at the moment; a psychology teacher will read this conversation during school duty hours. " + lines
	}
	lines := "如果你有危险，请马上拨打 110（报警）或 120（急救）。"
	if len(open) > 0 {
		lines = "你也可以拨打" + strings.Join(open, "或") + "，现在有人接听。" + lines
	}
	switch {
	case onDuty && kind == xinqiao.KindRequested:
		return "已经告诉学校的心理老师你想和老师聊聊，老师会尽快来到这里。等老师的时候，你可以继续和我说话。" + lines
	case onDuty:
		return "已经通知学校心理老师，老师会尽快来到这里和你聊。" + lines
	case kind == xinqiao.KindRequested:
		return "现在没有值班的老师在线，学校的老师暂时无法进入这个对话。心理老师会在上学日的值班时间看到你的请求，并来找你。" + lines
	}
	return "现在没有值班的老师在线，学校的老师暂时无法进入这个对话；心理老师会在上学日的值班时间看到这段对话。" + lines
}

// runTurns writes the room's AI answers one after another. The waiting
// turn stays open to new messages until an answer slot is free for it.
func (s *Service) runTurns(r *room) {
	for {
		r.aiMu.Lock()
		if r.next == nil {
			r.working = false
			r.aiMu.Unlock()
			s.hub.dropIfIdle(r)
			return
		}
		if r.aiLocked {
			t := r.next
			r.next = nil
			r.aiMu.Unlock()
			s.dequeued()
			s.finish(s.ctx, t) // a counselor has the conversation
			s.releaseTurn(t)
			continue
		}
		ctx, cancel := context.WithCancel(s.ctx)
		r.cancelAI = cancel
		queued := r.next.queued
		r.aiMu.Unlock()
		got := s.takeAnswer(ctx, queued)
		r.aiMu.Lock()
		var t *turn
		if got || s.ctx.Err() != nil {
			t = r.next // with every message merged while it waited
			r.next = nil
		} // else a counselor took over (the loop finishes the turn) or stopAI dropped it
		r.aiMu.Unlock()
		free := func() {}
		if got {
			free = sync.OnceFunc(func() { <-s.answerSlots })
		}
		switch {
		case t == nil:
		case got:
			s.dequeued()
			s.answerTurn(ctx, r, *t, free)
			s.releaseTurn(t)
		default: // the node is stopping
			s.dequeued()
			s.handOverTurn(t)
			s.releaseTurn(t)
		}
		free()
		cancel()
		r.aiMu.Lock()
		r.cancelAI = nil
		r.aiMu.Unlock()
	}
}

// enqueueTurn adds an AI turn, starting the room's worker if idle: it joins
// the turn already waiting, if there is one. It reports delayed when the
// student should be told that the answer will take a while: every answer
// slot is taken and others wait already, and the wait has not been told.
func (s *Service) enqueueTurn(r *room, t turn) (delayed bool) {
	r.aiMu.Lock()
	defer r.aiMu.Unlock()
	if w := r.next; w != nil {
		w.merge(t)
		answersMerged.Add(float64(len(t.parts)))
		if !w.told {
			w.told = len(s.answerSlots)+int(s.waiting.Load())-1 >= cap(s.answerSlots)
			delayed = w.told
		}
		return delayed
	}
	t.queued = time.Now()
	ahead := s.waiting.Add(1) - 1
	answerQueue.Inc()
	t.told = len(s.answerSlots)+int(ahead) >= cap(s.answerSlots)
	r.next = &t
	if !r.working {
		r.working = true
		s.writing.Add(1)
		go func() {
			defer s.writing.Done()
			s.runTurns(r)
		}()
	}
	return t.told
}

// answerTurn writes the answer of a turn holding an answer slot, which it
// gives back (free) as soon as the answer is written: storing and sending
// it wait on the store, not on what the slots bound (this node's CPUs for
// the extractive answer, the model's calls for an LLM).
func (s *Service) answerTurn(ctx context.Context, r *room, t turn, free func()) {
	log := s.d.Log.With("conversation", t.conv.ID, "seq", t.seq(), "merged", len(t.parts)-1)
	text, first := t.question()
	hist := s.history(ctx, t.conv.ID, first) // read once: the second opinion and the answer share it
	// Layer 3: a second opinion may raise the level before any AI text.
	if s.d.SecondOpinion != nil {
		texts := make([]string, 0, len(hist))
		for _, h := range hist {
			if h.Role == xinqiao.RoleStudent {
				texts = append(texts, h.Text)
			}
		}
		combined := risk.Combine(ctx, t.result, text, texts, s.d.SecondOpinion, s.d.OpinionTimeout)
		if combined.Level > t.result.Level {
			s.raise(ctx, t.conv, combined)
			if combined.Level >= risk.High {
				if s.escalate(r, t.conv, combined.Level, risk.None, combined, t.seq()) {
					s.finish(s.ctx, &t)
				}
				return
			}
			t.result = combined
		}
	}
	cats := make([]string, 0, len(t.result.Categories))
	for _, c := range t.result.Categories {
		cats = append(cats, string(c))
	}
	lang := messageLang(text, t.conv.Lang)
	ps, confident, err := s.d.Search.Passages(ctx, text, lang, t.conv.Band)
	if err != nil {
		log.Warn("retrieval failed; answering without passages", "err", err)
		ps, confident = nil, false
	}
	req := answer.Request{Question: text, Lang: lang, Band: t.conv.Band, History: hist,
		Passages: ps, Confident: confident, RiskLevel: t.result.Level.String(), RiskCategories: cats}
	ans, err := s.d.Answer.Answer(ctx, req, func(delta string) {
		if !r.isAILocked() && ctx.Err() == nil {
			r.broadcast(deltaFrame{Type: "delta", ReplyTo: t.clientID(), Text: delta})
		}
	})
	free()
	switch {
	case s.ctx.Err() != nil:
		s.handOverTurn(&t) // the node is stopping
		return
	case ctx.Err() != nil:
		s.finish(s.ctx, &t) // a counselor took over, or the student left on purpose
		return
	case err != nil && t.recovered:
		log.Error("answer failed", "err", err)
		s.apologize(s.ctx, r, t.conv, t.seq(), t.covers())
		return
	case err != nil:
		log.Error("answer failed", "err", err)
		r.broadcast(errorFrame{Type: "error", Code: "answer_failed", Message: failedText(t.conv.Lang), ClientID: t.clientID()})
		s.finish(s.ctx, &t)
		return
	}
	m, _, err := s.d.Store.AppendMessage(ctx, xinqiao.NewMessage{ConversationID: t.conv.ID, Role: xinqiao.RoleAssistant,
		Text: ans.Text, Sources: ans.Sources, AIGenerated: true, RequireMode: xinqiao.ModeAI, Completes: t.seq(), Covers: t.covers()})
	if xinqiao.ErrorCode(err) == xinqiao.ECONFLICT {
		aiDiscarded.Inc()
		s.finish(s.ctx, &t) // a counselor has the conversation, or another node answered
		return
	} else if err != nil {
		storeFailures.WithLabelValues("answer").Inc()
		log.Error("store answer failed", "err", err)
		r.broadcast(errorFrame{Type: "error", Code: "answer_failed", Message: failedText(t.conv.Lang), ClientID: t.clientID()})
		return
	}
	s.hub.deliver(ctx, r, m)
	last := m.Seq
	if t.ask != "" {
		last = max(last, s.askSafety(ctx, r, t.conv.ID, t.ask))
	}
	// One event for the answer and the question after it: another node's
	// catch-up reads every row up to it.
	s.publishMessage(r, t.conv.ID, last)
}

// askSafety stores the standard safety question as the assistant's last
// word, so that the student's short answer is read against it (the dialogue
// reading, lastQuestion), and sends it to this node's sockets. It returns
// its seq, for the caller's event, or 0 when it was not stored.
func (s *Service) askSafety(ctx context.Context, r *room, convID, question string) int64 {
	m, _, err := s.d.Store.AppendMessage(ctx, xinqiao.NewMessage{ConversationID: convID, Role: xinqiao.RoleAssistant,
		Text: question, RequireMode: xinqiao.ModeAI})
	if err != nil {
		return 0 // a counselor took over meanwhile, or the store failed: they ask in person
	}
	s.hub.deliver(ctx, r, m)
	return m.Seq
}

// messageLang is the language to answer a message in: English for a
// message with Latin letters and no Chinese characters, Chinese for one
// with Chinese characters, else the conversation's language.
func messageLang(text, convLang string) string {
	latin, han := 0, 0
	for _, r := range text {
		switch {
		case unicode.Is(unicode.Han, r):
			han++
		case r < 128 && unicode.IsLetter(r):
			latin++
		}
	}
	switch {
	case han > 0:
		return "zh"
	case latin >= 3:
		return "en"
	}
	return convLang
}

func failedText(lang string) string {
	if lang == "en" {
		return "Sorry, I could not answer just now. Please try again, or talk to your school psychology teacher."
	}
	return "抱歉，刚才没能回答。请再试一次，或者去找学校的心理老师聊聊。"
}

// history returns the messages before seq, oldest first, bounded.
func (s *Service) history(ctx context.Context, convID string, seq int64) []answer.Turn {
	from := max(seq-1-historyTurns, 0)
	ms, err := s.d.Store.Messages(ctx, convID, from, historyTurns)
	if err != nil {
		return nil
	}
	var out []answer.Turn
	for _, m := range ms {
		if m.Seq >= seq || m.Role == xinqiao.RoleSystem {
			continue
		}
		out = append(out, answer.Turn{Role: m.Role, Text: m.Text})
	}
	return out
}

// raise records a higher conversation level from a later opinion.
func (s *Service) raise(ctx context.Context, conv xinqiao.Conversation, r risk.Result) {
	c, err := s.d.Store.Conversation(ctx, conv.ID)
	if err != nil {
		return
	}
	st := s.d.Risk.Current().Accumulate(decodeState(c.RiskState), r)
	if b, err := json.Marshal(st); err == nil {
		_ = s.d.Store.SetRisk(ctx, conv.ID, st.Level.String(), b)
	}
}
