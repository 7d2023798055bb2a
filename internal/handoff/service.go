// Package handoff hands risky conversations from the AI to human
// counselors: the queue, the one atomic claim, the live relay, the
// escalation ladder and its alerts, the on-duty roster, counselor presence
// with a grace period, and case records (一人一案).
//
// Every decision that two nodes could race on is one conditional statement
// in the store; timers are rows that exactly one node fires. The service
// itself keeps only this node's console presence in memory.
package handoff

import (
	"context"
	"encoding/json"
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

// MaxTextLen bounds a counselor's message and a note, in characters.
const MaxTextLen = 4000

var (
	handoffsOpened = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "xinqiao_handoffs_opened_total", Help: "Handoffs opened, by level.",
	}, []string{"level"})
	claimWait = promauto.NewHistogramVec(prometheus.HistogramOpts{
		Name: "xinqiao_handoff_claim_wait_seconds", Help: "Time from a handoff entering the queue to its claim, by level.",
		Buckets: []float64{5, 15, 30, 60, 120, 180, 300, 600, 1800, 3600},
	}, []string{"level"})
	escalations = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "xinqiao_handoff_escalations_total", Help: "Ladder steps fired, by action.",
	}, []string{"action"})
	alertsSent = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "xinqiao_handoff_alerts_total", Help: "Alert deliveries by event and result (ok, failed).",
	}, []string{"event", "result"})
)

// Service is the handoff workflow of one node.
type Service struct {
	store xinqiao.Store
	cfg   Config
	log   *slog.Logger
	now   func() time.Time
	bg    context.Context

	inflight sync.WaitGroup
	sem      chan struct{} // bounds concurrent alert deliveries

	mu       sync.Mutex
	consoles map[string]int // staff id → open consoles on this node

	briefMu sync.Mutex
	briefs  map[string]aiBrief // conversation id → the last written brief
}

// aiBrief is a written brief and the last seq it covers.
type aiBrief struct {
	seq  int64
	text string
}

// New builds the service. now is the clock (nil means time.Now); tests
// inject one to drive the ladder.
func New(store xinqiao.Store, cfg Config, log *slog.Logger, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cfg = cfg.withDefaults()
	if len(cfg.Targets) == 0 {
		log.Warn("no alert targets are configured: escalations reach consoles only (set XINQIAO_ALERT_WEBHOOK)")
	}
	return &Service{store: store, cfg: cfg, log: log, now: now, bg: context.Background(),
		sem: make(chan struct{}, 16), consoles: map[string]int{}}
}

// Config returns the effective configuration.
func (s *Service) Config() Config { return s.cfg }

// Now is the service's clock, the one handoff times (opened_at, the
// ladder) are stamped with: the console counts wait clocks against it.
func (s *Service) Now() time.Time { return s.now() }

// OpenRequest asks for a handoff: a student message that reached high or
// imminent (urgent), medium in a risk category (review), or a student who
// asked for a teacher (requested, at the conversation's level).
type OpenRequest struct {
	ConversationID string
	Kind           string // xinqiao.KindUrgent (also when empty), KindReview or KindRequested
	Level          string
	Categories     []string
	Rules          []string // rule ids; never message text
	MessageSeq     int64
}

// OpenResult is what the student should be told.
type OpenResult struct {
	Handoff xinqiao.Handoff
	Created bool
	Raised  bool // the open handoff's level or kind rose
	OnDuty  int  // counselors on duty now who can see this conversation
}

// Open is called when a student message is high or imminent. In one store
// transaction it sets the conversation's mode to handoff (the AI lock) and
// opens a waiting handoff, or raises the level of the open one, scheduling
// the ladder. It then counts the on-duty counselors, publishes a "handoff"
// event and queues alerts, which are sent in the background: Open never
// waits on the network.
func (s *Service) Open(ctx context.Context, r OpenRequest) (OpenResult, error) {
	if r.Kind == "" {
		r.Kind = xinqiao.KindUrgent
	}
	rank := xinqiao.LevelRank(r.Level)
	switch {
	case r.Kind == xinqiao.KindUrgent && rank < xinqiao.LevelRank(xinqiao.LevelHigh):
		return OpenResult{}, xinqiao.Errorf(xinqiao.EINVALID, "an urgent handoff opens at level high or imminent, not %q", r.Level)
	case r.Kind == xinqiao.KindReview && r.Level != xinqiao.LevelMedium:
		return OpenResult{}, xinqiao.Errorf(xinqiao.EINVALID, "a review opens at level medium, not %q", r.Level)
	case r.Kind == xinqiao.KindRequested && rank < 0:
		return OpenResult{}, xinqiao.Errorf(xinqiao.EINVALID, "unknown level %q", r.Level)
	case xinqiao.KindRank(r.Kind) < 0:
		return OpenResult{}, xinqiao.Errorf(xinqiao.EINVALID, "kind must be urgent, requested or review")
	}
	now := s.now()
	h, created, raised, err := s.store.OpenHandoff(ctx, xinqiao.NewHandoff{ConversationID: r.ConversationID, Kind: r.Kind,
		Level: r.Level, Categories: r.Categories, Rules: r.Rules, MessageSeq: r.MessageSeq, MessageLevel: s.messageLevel(ctx, r),
		At: now, Ladder: s.ladder(r.Kind, r.Level, now),
		LadderOf: func(kind, level string) []xinqiao.LadderStep { return s.ladder(kind, level, now) }})
	if err != nil {
		return OpenResult{}, fmt.Errorf("open handoff: %w", err)
	}
	onDuty, err := s.OnDuty(ctx, h.School)
	if err != nil {
		s.log.Warn("count on-duty counselors failed", "err", err)
	}
	s.publish(ctx, xinqiao.Event{Kind: "handoff", ConversationID: h.ConversationID, HandoffID: h.ID})
	if h.Kind == xinqiao.KindReview {
		// Quieter: the review shows in the consoles' queue at once; alerts
		// wait for its ladder (the next working hour), never at night.
		if created {
			handoffsOpened.WithLabelValues(h.Level).Inc()
			s.log.Info("review opened", "handoff", h.ID, "conversation", h.ConversationID, "on_duty", onDuty)
		}
		return OpenResult{Handoff: h, Created: created, Raised: raised, OnDuty: onDuty}, nil
	}
	if created || raised {
		if created {
			handoffsOpened.WithLabelValues(h.Level).Inc()
			s.log.Info("handoff opened", "handoff", h.ID, "conversation", h.ConversationID, "level", h.Level, "on_duty", onDuty)
		} else {
			s.log.Info("handoff level raised", "handoff", h.ID, "level", h.Level)
		}
		a := s.alertFor(h, EventOpened, AudienceCounselors, 0, onDuty)
		s.alert(a)
		if onDuty == 0 && h.State == xinqiao.HandoffWaiting {
			a.Event, a.Audience = EventNoDuty, AudienceNoDuty
			s.alert(a)
			if err := s.store.MarkOpenedNoDuty(ctx, h.ID); err != nil {
				s.log.Warn("mark handoff opened with nobody on duty", "handoff", h.ID, "err", err)
			}
			if created && h.CaseID != "" {
				// The case waits for the next school day: a follow-up says so.
				_, err := s.store.AddFollowUp(ctx, xinqiao.FollowUp{CaseID: h.CaseID, Task: "非值班时间的求助：请第一时间联系学生并评估（" + levelZH[h.Level] + "）",
					Due: s.cfg.DutyHours.NextDay(now), CreatedBy: "system", CreatedAt: now})
				if err != nil {
					s.log.Warn("file next-school-day follow-up", "handoff", h.ID, "err", err)
				}
			}
		}
	}
	return OpenResult{Handoff: h, Created: created, Raised: raised, OnDuty: onDuty}, nil
}

// ladder returns the escalation ladder of a handoff of kind at level opened
// at now: the level's ladder for an urgent one, RequestedLadder for a
// student's request, and for a review one reminder ReviewWithin into duty
// hours (now, or the next duty period).
func (s *Service) ladder(kind, level string, now time.Time) []xinqiao.LadderStep {
	switch kind {
	case xinqiao.KindReview:
		due := s.cfg.DutyHours.Next(now).Add(s.cfg.ReviewWithin)
		return []xinqiao.LadderStep{{After: due.Sub(now), Action: ActionDuty}}
	case xinqiao.KindRequested:
		return s.cfg.RequestedLadder
	}
	return s.cfg.Ladders[level]
}

// InDutyHours reports whether t falls within the configured duty hours.
func (s *Service) InDutyHours(t time.Time) bool { return s.cfg.DutyHours.In(t) }

// schoolZone is the district's time zone (Guangzhou).
var schoolZone = time.FixedZone("CST", 8*3600)

// NextSchoolDay returns the start of duty on the next duty day after t's
// day with the default duty hours (08:00 Guangzhou time, the next weekday);
// the service itself uses its configured hours (DutyHours.NextDay).
func NextSchoolDay(t time.Time) time.Time { return DefaultDutyHours().NextDay(t) }

func (s *Service) alertFor(h xinqiao.Handoff, event, audience string, step, onDuty int) Alert {
	return Alert{Event: event, Audience: audience, HandoffID: h.ID, Kind: h.Kind, ConversationID: h.ConversationID, Level: h.Level,
		Categories: h.Categories, School: h.School, Place: h.Place, Step: step, OnDuty: onDuty,
		WaitedSeconds: int(s.now().Sub(h.OpenedAt).Seconds()), At: s.now()}
}

// StudentState returns the student-facing state of a conversation's latest
// handoff for the `handoff` frame: "waiting", "joined" (with the counselor's
// display name) or "ended", and its kind; ok is false when there has been
// none.
func (s *Service) StudentState(ctx context.Context, conversationID string) (state, counselorName, kind string, ok bool, err error) {
	h, err := s.store.LatestHandoff(ctx, conversationID)
	if xinqiao.ErrorCode(err) == xinqiao.ENOTFOUND {
		return "", "", "", false, nil
	} else if err != nil {
		return "", "", "", false, err
	}
	switch h.State {
	case xinqiao.HandoffWaiting:
		return "waiting", "", h.Kind, true, nil
	case xinqiao.HandoffActive:
		return "joined", h.CounselorName, h.Kind, true, nil
	}
	return "ended", "", h.Kind, true, nil
}

// OnDuty counts the staff on duty now who would see a handoff from school
// ("" for a conversation from no registered terminal, which every
// counselor sees). A counselor is on duty when they switched duty on, or,
// within duty hours, while they have a console open on any node (presence
// recorded in the store, fresh within two presence intervals).
func (s *Service) OnDuty(ctx context.Context, school string) (int, error) {
	all, err := s.store.ListStaff(ctx)
	if err != nil {
		return 0, err
	}
	inHours := s.cfg.DutyHours.In(s.now())
	n := 0
	for _, st := range all {
		if st.Disabled || !st.Can(xinqiao.RoleCounselor) || (st.School != "" && school != "" && st.School != school) {
			continue
		}
		if st.OnDuty || (inHours && s.present(ctx, st.ID)) {
			n++
		}
	}
	return n, nil
}

// CanSee reports whether a staff member may see a handoff: counselors of its
// school, district staff (no school), and everyone for a conversation from
// no registered terminal.
func CanSee(st xinqiao.Staff, h xinqiao.Handoff) bool {
	return st.Can(xinqiao.RoleCounselor) && (st.School == "" || h.School == "" || st.School == h.School)
}

// SetDuty puts a counselor on or off duty and tells every console.
func (s *Service) SetDuty(ctx context.Context, st xinqiao.Staff, on bool) error {
	if !st.Can(xinqiao.RoleCounselor) {
		return xinqiao.Errorf(xinqiao.EFORBIDDEN, "only counselors and supervisors go on duty")
	}
	if err := s.store.SetOnDuty(ctx, st.ID, on); err != nil {
		return err
	}
	s.log.Info("duty changed", "staff", st.ID, "on", on)
	s.publish(ctx, xinqiao.Event{Kind: "roster"})
	return nil
}

// Queue lists the handoffs a staff member may see, highest level first,
// then oldest. No states means waiting and active.
func (s *Service) Queue(ctx context.Context, st xinqiao.Staff, states ...string) ([]xinqiao.Handoff, error) {
	if len(states) == 0 {
		states = []string{xinqiao.HandoffWaiting, xinqiao.HandoffActive}
	}
	// The bound applies to what this staff member may see (their school's
	// and those of no school): another school's open handoffs must not
	// push theirs out of it.
	all, err := s.store.Handoffs(ctx, xinqiao.HandoffFilter{States: states, School: st.School, Limit: 500})
	if err != nil {
		return nil, err
	}
	out := make([]xinqiao.Handoff, 0, len(all))
	for _, h := range all {
		if CanSee(st, h) {
			out = append(out, h)
		}
	}
	return out, nil
}

// Get returns a handoff the staff member may see.
func (s *Service) Get(ctx context.Context, st xinqiao.Staff, id string) (xinqiao.Handoff, error) {
	h, err := s.store.Handoff(ctx, id)
	if err != nil {
		return h, err
	}
	if !CanSee(st, h) {
		return xinqiao.Handoff{}, xinqiao.Errorf(xinqiao.ENOTFOUND, "handoff not found")
	}
	return h, nil
}

// Claim gives a waiting handoff to a counselor: of concurrent claims, on any
// number of nodes, exactly one succeeds; the others get ECONFLICT.
func (s *Service) Claim(ctx context.Context, st xinqiao.Staff, id string) (xinqiao.Handoff, error) {
	if _, err := s.Get(ctx, st, id); err != nil {
		return xinqiao.Handoff{}, err
	}
	now := s.now()
	h, err := s.store.ClaimHandoff(ctx, id, st.ID, now)
	if err != nil {
		return h, err
	}
	claimWait.WithLabelValues(h.Level).Observe(now.Sub(h.OpenedAt).Seconds())
	s.log.Info("handoff claimed", "handoff", h.ID, "staff", st.ID, "kind", h.Kind)
	if h.Kind != xinqiao.KindReview { // a review is read, not joined: the student is not interrupted
		s.system(ctx, h.ConversationID, JoinedLine(st.DisplayName))
	}
	s.publish(ctx, xinqiao.Event{Kind: "handoff", ConversationID: h.ConversationID, HandoffID: h.ID})
	return h, nil
}

// JoinedLine is the system line the student sees when a counselor joins:
// "王老师加入了对话。" for a display name that already ends in 老师 (never
// "王老师 老师"), "Li Ming 老师加入了对话。" otherwise.
func JoinedLine(displayName string) string {
	name := strings.TrimSpace(displayName)
	switch {
	case name == "":
		return "老师加入了对话。"
	case strings.HasSuffix(name, "老师"), strings.HasSuffix(name, "老師"):
		return name + "加入了对话。"
	}
	return name + " 老师加入了对话。"
}

// Relay stores a counselor's message to the student and publishes it; the
// student hub delivers it. Only the handoff's counselor may post, and only
// while it is active; the first message in a review joins it (joinReview).
// clientID, when set, makes a resend idempotent.
func (s *Service) Relay(ctx context.Context, st xinqiao.Staff, id, clientID, text string) (xinqiao.Message, error) {
	text = strings.TrimSpace(text)
	if text == "" || utf8.RuneCountInString(text) > MaxTextLen {
		return xinqiao.Message{}, xinqiao.Errorf(xinqiao.EINVALID, "text must be 1 to %d characters", MaxTextLen)
	}
	h, err := s.Get(ctx, st, id)
	if err != nil {
		return xinqiao.Message{}, err
	}
	if h.State != xinqiao.HandoffActive || h.Counselor != st.ID {
		return xinqiao.Message{}, h.WhyNot(xinqiao.HandoffActive, st.ID)
	}
	if h.Kind == xinqiao.KindReview {
		if err := s.joinReview(ctx, st, h); err != nil {
			return xinqiao.Message{}, err
		}
	}
	if clientID != "" {
		clientID = "staff:" + st.ID + ":" + clientID
	}
	m, created, err := s.store.AppendMessage(ctx, xinqiao.NewMessage{ConversationID: h.ConversationID, ClientID: clientID,
		Role: xinqiao.RoleCounselor, Author: st.ID, Text: text, RequireMode: xinqiao.ModeHandoff})
	if err != nil {
		return m, err
	}
	if created {
		s.publish(ctx, xinqiao.Event{Kind: "message", ConversationID: h.ConversationID, Seq: m.Seq, HandoffID: h.ID})
	}
	return m, nil
}

// messageLevel is the level the classifier gave the request's message
// itself, which may be below the request's (a conversation that stays at
// medium or high over harmless messages): a merge moves the handoff's
// flagged message only to one at least as severe. When the message cannot
// be read it is taken at the request's level ("").
func (s *Service) messageLevel(ctx context.Context, r OpenRequest) string {
	if r.MessageSeq <= 0 {
		return ""
	}
	ms, err := s.store.Messages(ctx, r.ConversationID, r.MessageSeq-1, 1)
	if err != nil || len(ms) == 0 || ms[0].Seq != r.MessageSeq || ms[0].Risk == nil {
		return ""
	}
	return ms[0].Risk.Level
}

// joinReview turns a review its counselor writes in into a conversation
// with the student: the handoff becomes a requested one, still theirs (a
// talk with a teacher from now on, with that kind's lifecycle: release,
// transfer, close and reconnects tell the student as for a request), the AI
// steps back and the student is told who joined, as on a claim. The kind
// and the mode change in one store transaction, so a join that fails
// changes nothing and the counselor's next message joins again.
func (s *Service) joinReview(ctx context.Context, st xinqiao.Staff, h xinqiao.Handoff) error {
	if _, err := s.store.JoinHandoff(ctx, h.ID, st.ID, s.now()); err != nil {
		// Another message of theirs, sent at the same moment, may have
		// joined first; the student was told then.
		if xinqiao.ErrorCode(err) == xinqiao.ECONFLICT {
			if cur, cerr := s.store.Handoff(ctx, h.ID); cerr == nil && cur.State == xinqiao.HandoffActive &&
				cur.Counselor == st.ID && cur.Kind == xinqiao.KindRequested {
				return nil
			}
		}
		return err
	}
	s.log.Info("review joined", "handoff", h.ID, "staff", st.ID)
	s.system(ctx, h.ConversationID, JoinedLine(st.DisplayName))
	s.publish(ctx, xinqiao.Event{Kind: "handoff", ConversationID: h.ConversationID, HandoffID: h.ID})
	return nil
}

// Release returns a counselor's active handoff to the queue (a supervisor
// may release anyone's), restarting the ladder.
func (s *Service) Release(ctx context.Context, st xinqiao.Staff, id string) (xinqiao.Handoff, error) {
	holder := st.ID
	if st.Can(xinqiao.RoleSupervisor) {
		holder = ""
	}
	cur, err := s.Get(ctx, st, id)
	if err != nil {
		return cur, err
	}
	h, err := s.store.ReleaseHandoff(ctx, id, holder, s.now(), s.ladder(cur.Kind, cur.Level, s.now()))
	if err != nil {
		return h, err
	}
	s.log.Info("handoff released", "handoff", h.ID, "staff", st.ID)
	if h.Kind != xinqiao.KindReview {
		s.system(ctx, h.ConversationID, "老师暂时离开了，正在为你联系另一位老师。")
	}
	s.publish(ctx, xinqiao.Event{Kind: "handoff", ConversationID: h.ConversationID, HandoffID: h.ID})
	return h, nil
}

// Transfer gives an active handoff to another counselor. The holder may
// transfer their own; a supervisor may transfer anyone's.
func (s *Service) Transfer(ctx context.Context, st xinqiao.Staff, id, toStaffID string) (xinqiao.Handoff, error) {
	to, err := s.store.StaffByID(ctx, toStaffID)
	if xinqiao.ErrorCode(err) == xinqiao.ENOTFOUND {
		return xinqiao.Handoff{}, xinqiao.Errorf(xinqiao.EINVALID, "no staff account %q", toStaffID)
	} else if err != nil {
		return xinqiao.Handoff{}, err
	}
	cur, err := s.Get(ctx, st, id)
	if err != nil {
		return cur, err
	}
	if !CanSee(to, cur) {
		return xinqiao.Handoff{}, xinqiao.Errorf(xinqiao.EINVALID, "%s cannot take this conversation (role or school)", to.DisplayName)
	}
	from := st.ID
	if st.Can(xinqiao.RoleSupervisor) {
		from = ""
	}
	h, err := s.store.TransferHandoff(ctx, id, from, to.ID, s.now())
	if err != nil {
		return h, err
	}
	s.log.Info("handoff transferred", "handoff", h.ID, "from", st.ID, "to", to.ID)
	if !s.present(ctx, to.ID) {
		// Nobody is at a console under that name: the handoff is theirs for
		// the grace period, as if their console had just closed, then goes
		// back to the queue (ConsoleConnected cancels it when they come).
		if err := s.store.AddTimer(ctx, xinqiao.Timer{HandoffID: h.ID, Kind: xinqiao.TimerGrace, StaffID: to.ID, Due: s.now().Add(s.cfg.Grace)}); err != nil {
			s.log.Warn("schedule grace timer for an absent transfer target", "handoff", h.ID, "err", err)
		}
	}
	s.system(ctx, h.ConversationID, fmt.Sprintf("%s 老师接手了对话。", to.DisplayName))
	s.publish(ctx, xinqiao.Event{Kind: "handoff", ConversationID: h.ConversationID, HandoffID: h.ID})
	return h, nil
}

// CloseRequest ends a handoff.
type CloseRequest struct {
	Outcome string `json:"outcome"`
	Note    string `json:"note"`
	// Mode is what the conversation does next: "ai" (default) returns it to
	// the assistant, "ended" closes it.
	Mode string `json:"mode,omitempty"`
	// Level is the conversation's risk level after the counselor's
	// assessment, when it returns to the AI: "none", "low" or "medium".
	// Unset, it is "none" for a false alarm and "low" otherwise. Without
	// this, the accumulated level would open a new handoff on the student's
	// next message, however harmless; new risky messages still do.
	Level string `json:"level,omitempty"`
}

// Close ends a handoff with an outcome. The holder closes their own; a
// supervisor may close any open one (e.g. a false alarm still waiting).
// Closing twice is ECONFLICT and changes nothing.
func (s *Service) Close(ctx context.Context, st xinqiao.Staff, id string, r CloseRequest) (xinqiao.Handoff, error) {
	if !xinqiao.ValidOutcome(r.Outcome) {
		return xinqiao.Handoff{}, xinqiao.Errorf(xinqiao.EINVALID, "outcome must be one of resolved, referred, emergency, false_alarm, no_reply, other, reviewed, follow_up")
	}
	r.Note = strings.TrimSpace(r.Note)
	if r.Outcome == xinqiao.OutcomeReviewed && r.Note == "" {
		return xinqiao.Handoff{}, xinqiao.Errorf(xinqiao.EINVALID, "看过，无需跟进 needs a reason in the note")
	}
	if r.Mode == "" {
		r.Mode = xinqiao.ModeAI
	}
	if r.Mode != xinqiao.ModeAI && r.Mode != xinqiao.ModeEnded {
		return xinqiao.Handoff{}, xinqiao.Errorf(xinqiao.EINVALID, "mode must be ai or ended")
	}
	if utf8.RuneCountInString(r.Note) > MaxTextLen {
		return xinqiao.Handoff{}, xinqiao.Errorf(xinqiao.EINVALID, "note is longer than %d characters", MaxTextLen)
	}
	lower := risk.Low
	if r.Outcome == xinqiao.OutcomeFalseAlarm {
		lower = risk.None
	}
	if r.Level != "" {
		l, err := risk.ParseLevel(r.Level)
		if err != nil || l >= risk.High {
			return xinqiao.Handoff{}, xinqiao.Errorf(xinqiao.EINVALID, "level must be none, low or medium")
		}
		lower = l
	}
	cur, err := s.Get(ctx, st, id)
	if err != nil {
		return cur, err
	}
	if (r.Outcome == xinqiao.OutcomeReviewed || r.Outcome == xinqiao.OutcomeFollowUp) && cur.Kind != xinqiao.KindReview {
		return xinqiao.Handoff{}, xinqiao.Errorf(xinqiao.EINVALID, "outcomes reviewed and follow_up close a review; this handoff is %s", cur.Kind)
	}
	anyHolder := st.Can(xinqiao.RoleSupervisor)
	if cur.State == xinqiao.HandoffClosed || (!anyHolder && (cur.State != xinqiao.HandoffActive || cur.Counselor != st.ID)) {
		return xinqiao.Handoff{}, cur.WhyNot(xinqiao.HandoffActive, st.ID)
	}
	c := xinqiao.CloseHandoff{StaffID: st.ID, AnyHolder: anyHolder,
		Outcome: r.Outcome, Note: r.Note, Mode: r.Mode, At: s.now(), Seen: cur.UpdatedAt}
	if r.Mode == xinqiao.ModeAI {
		// Lowered in the close's transaction: no message in between re-opens
		// it, and a refused close leaves the risk where it was.
		c.Risk, c.RiskState = s.lowerRisk(ctx, cur, lower, r.Outcome)
	}
	// Only the handoff as read above is closed: a risky message merged into
	// it since (the student writing as the counselor closes) makes the
	// close a conflict, so the counselor sees the message first.
	h, err := s.store.CloseHandoff(ctx, id, c)
	if err != nil {
		return h, err
	}
	s.log.Info("handoff closed", "handoff", h.ID, "staff", st.ID, "outcome", h.Outcome, "mode", r.Mode)
	s.defaultLabels(ctx, st, h)
	if r.Outcome == xinqiao.OutcomeFollowUp && h.CaseID != "" {
		task := "中风险对话已阅，转为个案跟进：请联系学生并评估"
		if r.Note != "" {
			task += "（" + r.Note + "）"
		}
		if _, err := s.AddFollowUp(ctx, st, h.CaseID, task, s.cfg.DutyHours.NextDay(s.now()), st.ID); err != nil {
			s.log.Warn("file review follow-up", "handoff", h.ID, "err", err)
		}
	}
	switch {
	case h.Kind == xinqiao.KindReview && r.Mode == xinqiao.ModeAI:
		// A review was read, not joined: nothing to tell the student.
	case r.Mode == xinqiao.ModeAI:
		s.system(ctx, h.ConversationID, "老师离开了对话。心桥会继续陪你聊；需要时随时可以再找老师。")
	default:
		s.system(ctx, h.ConversationID, "这次对话已结束。谢谢你愿意说出来；需要时随时可以再来。")
	}
	s.publish(ctx, xinqiao.Event{Kind: "handoff", ConversationID: h.ConversationID, HandoffID: h.ID})
	return h, nil
}

// defaultLabels gives the flagged messages of a closed handoff that no
// counselor labelled the label its outcome implies, best effort: a missing
// default only leaves the messages unlabelled.
func (s *Service) defaultLabels(ctx context.Context, st xinqiao.Staff, h xinqiao.Handoff) {
	label := xinqiao.OutcomeLabel(h.Outcome)
	if label == "" {
		return
	}
	conv, err := s.store.Conversation(ctx, h.ConversationID)
	if err == nil {
		_, err = s.store.DefaultRiskLabels(ctx, h.ConversationID, conv.LastSeq, label, st.ID, s.now())
	}
	if err != nil {
		s.log.Warn("default risk labels", "handoff", h.ID, "err", err)
	}
}

// lowerRisk returns the conversation's risk level and state after the
// counselor's assessment (risk.Lower clears the accumulated signals), for
// the close to write in its transaction; "" leaves the risk as it is. Best
// effort: a failure means at worst a fresh handoff on the next message,
// never a missed one.
func (s *Service) lowerRisk(ctx context.Context, h xinqiao.Handoff, to risk.Level, outcome string) (string, json.RawMessage) {
	conv, err := s.store.Conversation(ctx, h.ConversationID)
	if err != nil {
		s.log.Warn("lower risk: load conversation", "conversation", h.ConversationID, "err", err)
		return "", nil
	}
	var prev risk.ConversationState
	if len(conv.RiskState) > 0 {
		_ = json.Unmarshal(conv.RiskState, &prev)
	}
	if prev.Level < to {
		return "", nil
	}
	next, err := risk.Lower(prev, to, "handoff "+h.ID+" closed by a counselor: "+outcome)
	if err != nil {
		s.log.Warn("lower risk", "conversation", h.ConversationID, "err", err)
		return "", nil
	}
	next.Lowered.Through = conv.LastSeq
	b, err := json.Marshal(next)
	if err != nil {
		s.log.Warn("lower risk: encode", "conversation", h.ConversationID, "err", err)
		return "", nil
	}
	return next.Level.String(), b
}

// system appends a system line to the transcript, best effort: the handoff
// frame already tells the student, this keeps the record readable.
func (s *Service) system(ctx context.Context, conversationID, text string) {
	m, created, err := s.store.AppendMessage(ctx, xinqiao.NewMessage{ConversationID: conversationID, Role: xinqiao.RoleSystem, Text: text})
	if err != nil {
		s.log.Warn("append system line failed", "conversation", conversationID, "err", err)
		return
	}
	if created {
		s.publish(ctx, xinqiao.Event{Kind: "message", ConversationID: conversationID, Seq: m.Seq})
	}
}

// Typing tells the student (through the student hub, Event Kind "typing")
// that the handoff's counselor is typing.
func (s *Service) Typing(ctx context.Context, st xinqiao.Staff, id string) error {
	h, err := s.Get(ctx, st, id)
	if err != nil {
		return err
	}
	if h.State != xinqiao.HandoffActive || h.Counselor != st.ID {
		return h.WhyNot(xinqiao.HandoffActive, st.ID)
	}
	s.publish(ctx, xinqiao.Event{Kind: "typing", ConversationID: h.ConversationID, HandoffID: h.ID})
	return nil
}

func (s *Service) publish(ctx context.Context, e xinqiao.Event) {
	if ctx.Err() != nil {
		ctx = context.Background()
	}
	if err := s.store.Publish(ctx, e); err != nil {
		s.log.Warn("publish event failed", "kind", e.Kind, "handoff", e.HandoffID, "err", err)
	}
}
