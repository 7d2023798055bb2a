package chat

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"xinqiao/internal/risk"
	"xinqiao/internal/web"
	"xinqiao/internal/ws"
	"xinqiao/internal/xinqiao"
	"xinqiao/prompts"

	"github.com/gorilla/websocket"
)

const (
	maxClientIDLen = 64
	maxStrikes     = 10 // bad frames a socket may send per strike window before it is closed
	strikeWindow   = time.Minute
)

// Module adds the student routes: the page, sessions, hotlines and the
// WebSocket.
func (s *Service) Module() web.Module {
	return func(srv *web.Server) {
		srv.Page("GET /{$}", "student.html")
		srv.HandleFunc("POST /api/student/sessions", func(w http.ResponseWriter, r *http.Request) { s.handleSession(srv, w, r) })
		srv.HandleFunc("GET /api/hotlines", func(w http.ResponseWriter, r *http.Request) {
			lang := r.URL.Query().Get("lang")
			if lang != "en" {
				lang = "zh"
			}
			srv.JSON(w, http.StatusOK, map[string]any{"hotlines": s.hotlines(risk.None, lang)})
		})
		srv.Handle("POST /api/terminals", srv.Staff(xinqiao.RoleAdmin, func(w http.ResponseWriter, r *http.Request, st xinqiao.Staff) {
			s.handleRegisterTerminal(srv, w, r, st)
		}))
		srv.Handle("GET /api/terminals", srv.Staff(xinqiao.RoleSupervisor, func(w http.ResponseWriter, r *http.Request, _ xinqiao.Staff) {
			ts, err := s.d.Store.Terminals(r.Context())
			if err != nil {
				srv.Error(w, r, err)
				return
			}
			if ts == nil {
				ts = []xinqiao.Terminal{}
			}
			srv.JSON(w, http.StatusOK, map[string]any{"terminals": ts})
		}))
		s.trustRoutes(srv)
		up := ws.Upgrader(srv.SameOrigin)
		srv.HandleFunc("GET /ws/student", func(w http.ResponseWriter, r *http.Request) { s.handleSocket(srv, up, w, r) })
		srv.OnShutdown(func() {
			for _, rm := range s.hub.allRooms() {
				rm.mu.Lock()
				for sock := range rm.socks {
					sock.conn.Close(websocket.CloseGoingAway, "server restarting; reconnect shortly")
				}
				rm.mu.Unlock()
			}
		})
	}
}

// handleRegisterTerminal registers or updates a school terminal, so the
// conversations started on it carry its school, place and grade band.
func (s *Service) handleRegisterTerminal(srv *web.Server, w http.ResponseWriter, r *http.Request, st xinqiao.Staff) {
	var t xinqiao.Terminal
	var req struct {
		Code   string `json:"code"`
		School string `json:"school"`
		Place  string `json:"place"`
		Band   string `json:"band"`
	}
	if err := web.Decode(r, &req); err != nil {
		srv.Error(w, r, err)
		return
	}
	t = xinqiao.Terminal{Code: strings.TrimSpace(req.Code), School: strings.TrimSpace(req.School), Place: strings.TrimSpace(req.Place), Band: req.Band}
	switch {
	case t.Code == "" || len(t.Code) > 64 || strings.ContainsAny(t.Code, " /?#&"):
		srv.Error(w, r, xinqiao.Errorf(xinqiao.EINVALID, "code is required: up to 64 characters, no spaces or / ? # &"))
		return
	case t.School == "" || utf8.RuneCountInString(t.School) > 128 || utf8.RuneCountInString(t.Place) > 128:
		srv.Error(w, r, xinqiao.Errorf(xinqiao.EINVALID, "school is required; school and place are at most 128 characters"))
		return
	case t.Band != "" && t.Band != xinqiao.BandPrimary && t.Band != xinqiao.BandJunior && t.Band != xinqiao.BandSenior:
		srv.Error(w, r, xinqiao.Errorf(xinqiao.EINVALID, `band must be "primary", "junior", "senior" or empty`))
		return
	}
	if err := s.d.Store.UpsertTerminal(r.Context(), t); err != nil {
		srv.Error(w, r, err)
		return
	}
	_ = s.d.Store.Audit(r.Context(), xinqiao.AuditEvent{At: s.d.Now(), Actor: st.ID, Action: "terminal.register", Target: t.Code})
	got, err := s.d.Store.Terminal(r.Context(), t.Code)
	if err != nil {
		srv.Error(w, r, err)
		return
	}
	srv.JSON(w, http.StatusOK, got)
}

type sessionRequest struct {
	Terminal string `json:"terminal"`
	Lang     string `json:"lang"`
	Band     string `json:"band"`
}

type sessionResponse struct {
	Token              string `json:"token"`
	ConversationID     string `json:"conversation_id"`
	Lang               string `json:"lang"`
	TerminalRegistered bool   `json:"terminal_registered"`
	ExpiresAt          string `json:"expires_at"`
}

// CreateSession starts an anonymous conversation. An unknown terminal code
// does not lock a student out of help: the conversation starts without a
// terminal and is visible to every counselor.
func (s *Service) CreateSession(ctx context.Context, terminal, lang, band string) (token string, conv xinqiao.Conversation, registered bool, err error) {
	switch lang {
	case "":
		lang = "zh"
	case "zh", "en":
	default:
		return "", conv, false, xinqiao.Errorf(xinqiao.EINVALID, `lang must be "zh" or "en"`)
	}
	switch band {
	case "", xinqiao.BandPrimary, xinqiao.BandJunior, xinqiao.BandSenior:
	default:
		return "", conv, false, xinqiao.Errorf(xinqiao.EINVALID, `band must be "primary", "junior" or "senior"`)
	}
	if len(terminal) > 64 {
		return "", conv, false, xinqiao.Errorf(xinqiao.EINVALID, "terminal code is too long")
	}
	if terminal != "" {
		t, err := s.d.Store.Terminal(ctx, terminal)
		switch {
		case err == nil:
			registered = true
			if band == "" {
				band = t.Band
			}
		case xinqiao.ErrorCode(err) == xinqiao.ENOTFOUND:
			s.d.Log.Warn("student session from an unregistered terminal", "terminal", terminal)
			terminal = ""
		default:
			return "", conv, false, err
		}
	}
	now := s.d.Now().UTC().Truncate(time.Millisecond)
	token = xinqiao.NewToken()
	conv = xinqiao.Conversation{ID: xinqiao.NewID(), Terminal: terminal, Lang: lang, Band: band, Mode: xinqiao.ModeAI, RiskLevel: "none", CreatedAt: now}
	sess := xinqiao.StudentSession{TokenHash: xinqiao.HashToken(token), ConversationID: conv.ID, CreatedAt: now, ExpiresAt: now.Add(s.d.SessionTTL)}
	if err := s.d.Store.CreateConversation(ctx, conv, sess); err != nil {
		return "", conv, false, err
	}
	return token, conv, registered, nil
}

func (s *Service) handleSession(srv *web.Server, w http.ResponseWriter, r *http.Request) {
	var req sessionRequest
	if r.ContentLength != 0 {
		if err := web.Decode(r, &req); err != nil {
			srv.Error(w, r, err)
			return
		}
	}
	if err := srv.AllowSession(r, req.Terminal); err != nil {
		srv.Error(w, r, err)
		return
	}
	tok, conv, registered, err := s.CreateSession(r.Context(), req.Terminal, req.Lang, req.Band)
	if err != nil {
		srv.Error(w, r, err)
		return
	}
	srv.JSON(w, http.StatusCreated, sessionResponse{Token: tok, ConversationID: conv.ID, Lang: conv.Lang,
		TerminalRegistered: registered, ExpiresAt: conv.CreatedAt.Add(s.d.SessionTTL).Format(time.RFC3339)})
}

// authenticate resolves a student token to its conversation.
func (s *Service) authenticate(ctx context.Context, token string) (xinqiao.Conversation, error) {
	if token == "" || len(token) > 128 {
		return xinqiao.Conversation{}, xinqiao.Errorf(xinqiao.EUNAUTHORIZED, "missing or malformed token")
	}
	sess, err := s.d.Store.StudentSession(ctx, xinqiao.HashToken(token))
	if xinqiao.ErrorCode(err) == xinqiao.ENOTFOUND {
		return xinqiao.Conversation{}, xinqiao.Errorf(xinqiao.EUNAUTHORIZED, "unknown session; start a new one")
	} else if err != nil {
		return xinqiao.Conversation{}, err
	}
	if !s.d.Now().Before(sess.ExpiresAt) {
		return xinqiao.Conversation{}, xinqiao.Errorf(xinqiao.EUNAUTHORIZED, "this session has expired; start a new one")
	}
	return s.d.Store.Conversation(ctx, sess.ConversationID)
}

func (s *Service) handleSocket(srv *web.Server, up *websocket.Upgrader, w http.ResponseWriter, r *http.Request) {
	if !srv.SameOrigin(r) {
		srv.Error(w, r, xinqiao.Errorf(xinqiao.EFORBIDDEN, "origin not allowed"))
		return
	}
	token := r.URL.Query().Get("token")
	conv, err := s.authenticate(r.Context(), token)
	if err != nil {
		srv.Error(w, r, err)
		return
	}
	release, err := srv.AcquireSocket(r, xinqiao.HashToken(token))
	if err != nil {
		srv.Error(w, r, err)
		return
	}
	opts := s.d.Socket
	opts.ReadLimit = int64(s.d.MaxMessageLen*4 + 1024) // UTF-8 and JSON framing around the longest message
	c, err := ws.Upgrade(up, w, r, "student", opts)
	if err != nil {
		release()
		return // the upgrader has answered
	}
	sock := &socket{conn: c, cursor: conv.LastSeq}
	rm := s.hub.join(conv.ID, sock)
	s.d.Log.Debug("student socket open", "conversation", conv.ID)

	// A student who reconnects during a crisis or handoff sees it again.
	if lvl, err := risk.ParseLevel(conv.RiskLevel); err == nil && lvl >= risk.High {
		c.Send(s.crisis(lvl, crisisFor(lvl, risk.Result{}, decodeState(conv.RiskState)), conv.Lang))
	}
	if conv.Mode == xinqiao.ModeHandoff {
		rm.lockAI(true)
	}
	// A handoff, or a request for a teacher, the student can see (a review
	// is not shown); an ended one says whether the conversation ended too.
	if state, counselor, kind, ok, err := s.d.Handoffs.StudentState(r.Context(), conv.ID); err == nil && ok && kind != xinqiao.KindReview {
		f := handoffFrame{Type: "handoff", State: state, Counselor: counselor, Kind: kind}
		if state == "ended" {
			f.Mode = conv.Mode
		}
		c.Send(f)
	}

	// The socket is served by a goroutine of its own and the handler
	// returns, so net/http frees what it held for the request (its buffered
	// reader and writer, the request) while the socket stays open.
	go s.serveSocket(c, sock, rm, conv.ID, conv.Lang, release)
}

// serveSocket reads a student socket until it ends, then takes it out of
// its room and gives back its place under the socket caps (release).
func (s *Service) serveSocket(c *ws.Conn, sock *socket, rm *room, convID, lang string, release func()) {
	defer release()
	defer s.hub.leave(rm, sock)
	st := &sockState{id: xinqiao.NewID(), lang: lang}
	c.Run(s.ctx, func(data []byte, err error) {
		if err != nil {
			s.reject(c, st, "invalid_frame", "只接受文字消息 (text frames only)", "")
			return
		}
		s.onFrame(c, st, rm, convID, data)
	})
	if c.PeerClosed() {
		// The page closed the socket on purpose (清屏, the tab closed): if no
		// other socket of the conversation is left here, stop writing
		// answers nobody will read. A dropped link keeps them for resume.
		rm.mu.Lock()
		others := len(rm.socks) > 1
		rm.mu.Unlock()
		if !others {
			s.stopAI(rm)
		}
	}
	s.d.Log.Debug("student socket closed", "conversation", convID)
}

// sockState is a socket's identity for its rate limiter and its count of
// bad frames.
type sockState struct {
	id      string
	lang    string // the conversation's, for a crisis card shown before the store is read
	mu      sync.Mutex
	strikes int
	since   time.Time
}

// reject answers a bad frame with an error frame, and closes a socket that
// keeps misbehaving.
func (s *Service) reject(c *ws.Conn, st *sockState, code, msg, clientID string) {
	s.rejectFrame(c, st, errorFrame{Type: "error", Code: code, Message: msg, ClientID: clientID})
}

// rejectFrame is reject with a frame that says more (too_long's Max).
func (s *Service) rejectFrame(c *ws.Conn, st *sockState, f errorFrame) {
	c.Send(f)
	st.mu.Lock()
	defer st.mu.Unlock()
	now := s.d.Now()
	if now.Sub(st.since) > strikeWindow {
		st.strikes, st.since = 0, now
	}
	st.strikes++
	if st.strikes > maxStrikes {
		c.Close(websocket.ClosePolicyViolation, "too many bad frames")
	}
}

func (s *Service) onFrame(c *ws.Conn, st *sockState, rm *room, convID string, data []byte) {
	if !utf8.Valid(data) {
		s.reject(c, st, xinqiao.EINVALID, "消息不是有效的 UTF-8 文本 (invalid UTF-8)", "")
		return
	}
	var f inFrame
	if err := json.Unmarshal(data, &f); err != nil {
		s.reject(c, st, xinqiao.EINVALID, "消息格式不对，需要一个 JSON 对象 (malformed JSON)", "")
		return
	}
	switch f.Type {
	case "message":
		s.onMessage(c, st, rm, convID, f)
	case "resume":
		s.onResume(c, st, rm, convID, f)
	case "ask_counselor":
		s.onAskCounselor(c, st, rm, convID)
	case "ping":
		c.Send(map[string]string{"type": "pong"})
	case "typing":
		// Shown to the counselor only while a handoff is open; bounded by the
		// socket's own bucket so a stuck key cannot flood the console.
		if rm.isAILocked() && s.perSock.Allow(st.id+":typing") {
			s.publish(xinqiao.Event{Kind: "typing_student", ConversationID: convID})
		}
	default:
		s.reject(c, st, xinqiao.EINVALID, "未知的消息类型 (unknown type)", "")
	}
}

func (s *Service) onResume(c *ws.Conn, st *sockState, rm *room, convID string, f inFrame) {
	if f.AfterSeq == nil || *f.AfterSeq < 0 {
		s.reject(c, st, xinqiao.EINVALID, "after_seq must be a whole number ≥ 0", "")
		return
	}
	conv, err := s.d.Store.Conversation(s.ctx, convID)
	if err != nil {
		c.Send(errorFrame{Type: "error", Code: xinqiao.EUNAVAILABLE, Message: "暂时无法读取记录，请稍后重试 (history unavailable)"})
		return
	}
	if *f.AfterSeq > conv.LastSeq {
		s.reject(c, st, xinqiao.EINVALID, "after_seq is beyond the last message of this conversation", "")
		return
	}
	rm.mu.Lock()
	for sock := range rm.socks {
		if sock.conn == c {
			sock.cursor = *f.AfterSeq
		}
	}
	rm.mu.Unlock()
	s.hub.catchUp(s.ctx, rm)
}

func (s *Service) onMessage(c *ws.Conn, st *sockState, rm *room, convID string, f inFrame) {
	start := time.Now()
	text := strings.TrimSpace(f.Text)
	switch {
	case f.ClientID == "" || len(f.ClientID) > maxClientIDLen:
		s.reject(c, st, xinqiao.EINVALID, "client_id is required (1 to 64 characters)", "")
		return
	case text == "":
		s.reject(c, st, xinqiao.EINVALID, "消息是空的 (empty message)", f.ClientID)
		return
	case utf8.RuneCountInString(text) > s.d.MaxMessageLen:
		s.rejectFrame(c, st, errorFrame{Type: "error", Code: "too_long", ClientID: f.ClientID, Max: s.d.MaxMessageLen,
			Message: fmt.Sprintf("消息太长了，最多 %d 个字，请删短一点或分几次发送 (message too long: at most %d characters)", s.d.MaxMessageLen, s.d.MaxMessageLen)})
		return
	}
	// 1. Risk first, in memory: no store, no network, and before the rate
	// limit, so that a risky message sent in a burst still shows the card.
	// The card goes out at once, before anything waits on the store.
	classifier := s.d.Risk.Current() // one rule set for the whole message
	res := classifier.Classify(text)
	shown := risk.None // the level of the crisis card this message has shown
	if res.Level >= risk.High {
		s.showCrisis(rm, res.Level, shown, crisisFor(res.Level, res, risk.ConversationState{}), st.lang)
		shown = res.Level
	}

	if !s.perSock.Allow(st.id) || !s.perConv.Allow(convID) {
		// Not stored yet: the page sends it again, and the handoff opens then.
		c.Send(errorFrame{Type: "error", Code: xinqiao.ERATELIMITED, Message: "发得太快了，请稍等一下再发 (slow down)", ClientID: f.ClientID})
		return
	}
	// Ordinary messages take an intake slot: when the node cannot store
	// them soon, the student is told to resend in a moment. A message with
	// any risk goes straight on.
	if res.Level < risk.Medium {
		release, ok := s.takeIntake()
		if !ok {
			overload.WithLabelValues("busy").Inc()
			c.Send(errorFrame{Type: "error", Code: codeBusy, Message: busyText(st.lang), ClientID: f.ClientID, RetryAfter: busyRetry})
			return
		}
		defer release()
	}

	ctx, cancel := context.WithTimeout(s.ctx, 10*time.Second)
	defer cancel()
	conv, convErr := s.d.Store.Conversation(ctx, convID)
	if convErr == nil && conv.Mode == xinqiao.ModeEnded {
		c.Send(errorFrame{Type: "error", Code: EndedCode, Message: endedText(conv.Lang), ClientID: f.ClientID})
		return
	}
	// Layer 2, the dialogue: a short yes takes the risk of the question it
	// answers (你有没有想过伤害自己？ — 有), the message is read with the
	// student's messages just before it, and the conversation's signals add
	// up. Only a raise; a store error skips the context.
	prev := decodeState(conv.RiskState)
	var context func() risk.Context
	if convErr == nil && conv.LastSeq > 0 {
		context = func() risk.Context { return s.recentContext(ctx, rm, conv, prev) }
	}
	res, state := classifier.ReadTurn(prev, res, text, context)
	level := max(res.Level, state.Level)
	if convErr != nil { // fail safe: we still know the language from nothing, so Chinese first
		conv = xinqiao.Conversation{ID: convID, Lang: "zh", Mode: xinqiao.ModeAI}
	}

	// 2. Persist the message with its pending turn and the conversation's
	// risk, in one transaction; then ack. The ack promises the whole turn.
	nm := xinqiao.NewMessage{ConversationID: convID, ClientID: f.ClientID, Role: xinqiao.RoleStudent, Text: text, Risk: mark(res)}
	if (convErr == nil && (state.Level != prev.Level || state.Other != prev.Other || len(res.Signals) > 0)) || (convErr != nil && level >= risk.High) {
		if b, err := json.Marshal(state); err == nil {
			nm.ConversationRisk, nm.ConversationRiskState = state.Level.String(), b
		}
	}
	nt := xinqiao.NewTurn{Level: level.String(), Categories: mark(res).Categories, Rules: res.Rules}
	if level >= risk.High {
		nt.Kind, nt.LeaseUntil = xinqiao.TurnEscalate, s.d.Now().Add(escalateLease)
	} else {
		// An answer, unless a counselor has the conversation when the
		// message is stored: the store decides by the mode it reads then,
		// not by the one read above, which a claim or a close may have
		// changed meanwhile (a close must not leave the message unanswered).
		nt.Kind, nt.LeaseUntil, nt.AIOnly = xinqiao.TurnAnswer, s.d.Now().Add(answerLease), true
	}
	m, pending, created, err := s.d.Store.AppendStudentMessage(ctx, nm, nt)
	if err != nil {
		storeFailures.WithLabelValues("append").Inc()
		s.d.Log.Error("store student message failed", "conversation", convID, "err", err)
		c.Send(errorFrame{Type: "error", Code: "not_stored", Message: "消息没有保存成功，请再发一次 (not saved, please resend)", ClientID: f.ClientID})
		s.showCrisis(rm, level, shown, crisisFor(level, res, state), conv.Lang) // the card never depends on the store
		return
	}
	c.Send(ackFrame{Type: "ack", ClientID: f.ClientID, Seq: m.Seq})
	ackLatency.Observe(time.Since(start).Seconds())
	if !created {
		// A resend. Handled in full the first time unless its turn is still
		// pending: then the node that acked it may have stopped, and the
		// student must not be left with an ack and nothing else.
		if pending != nil {
			s.resumeTurn(rm, conv, *pending, m.Text, shown)
		}
		return
	}
	if s.d.AfterAck != nil && s.d.AfterAck(convID, m.Seq) {
		return // test hook: the node "dies" here, its turn left pending
	}
	turnsTotal.WithLabelValues(level.String()).Inc()
	s.hub.deliver(ctx, rm, m)
	kind := ""
	if pending != nil {
		kind = pending.Kind
	}
	if kind == xinqiao.TurnAnswer {
		s.publishAfterAnswer(rm, m.Seq) // the answer's event covers it
	} else {
		s.publishMessage(rm, convID, m.Seq)
	}

	// 3. High and above: crisis card and a human; the AI stays silent.
	switch kind {
	case xinqiao.TurnEscalate:
		s.escalateTurn(rm, conv, level, shown, res, m.Seq)
	case xinqiao.TurnAnswer:
		// 3b. Medium in a risk category: a teacher reads the conversation
		// (a review), without interrupting the student; the AI answers.
		ask := ""
		if level == risk.Medium {
			var failed bool
			if ask, failed = s.review(ctx, conv, text, res, state, m.Seq); failed {
				// Answering now would complete the turn with the review
				// never opened: the turn goes to the next sweep, which opens
				// the review and then answers.
				s.handOver(convID, m.Seq)
				return
			}
		}
		// 4. Below: an AI answer, in order, off the reader goroutine. A
		// message sent while the conversation's answer waits joins it.
		s.hold(convID, m.Seq, pending.LeaseUntil)
		if s.enqueueTurn(rm, turn{parts: []part{{seq: m.Seq, clientID: f.ClientID, text: text}}, result: res, conv: conv, ask: ask}) {
			overload.WithLabelValues("answer_delayed").Inc()
			c.Send(noticeFrame{Type: "notice", Code: codeAnswerDelayed, ReplyTo: f.ClientID, Text: delayedText(conv.Lang)})
		}
	}
	// No turn: a counselor has the conversation and sees the message live.
}

// resumeTurn finishes the pending turn of a resent message, unless this
// node is on it: an escalation opens now (opening twice opens one handoff);
// an answer is taken once the lease of the node that acked it has ended.
func (s *Service) resumeTurn(rm *room, conv xinqiao.Conversation, pt xinqiao.PendingTurn, text string, shown risk.Level) {
	if s.holds(pt.ConversationID, pt.Seq) {
		return
	}
	res := pendingResult(pt)
	switch pt.Kind {
	case xinqiao.TurnEscalate:
		s.escalateTurn(rm, conv, max(res.Level, risk.High), shown, res, pt.Seq)
	case xinqiao.TurnAnswer:
		now := s.d.Now()
		lease := now.Add(answerLease)
		if _, ok, err := s.d.Store.ClaimTurn(s.ctx, pt.ConversationID, pt.Seq, now, lease); err != nil || !ok {
			return // another node holds it, or it is done
		}
		ask := ""
		if res.Level == risk.Medium { // its review may not have opened before the node stopped
			var failed bool
			if ask, failed = s.review(s.ctx, conv, text, res, decodeState(conv.RiskState), pt.Seq); failed {
				s.handOver(pt.ConversationID, pt.Seq) // the next sweep opens it, then answers
				return
			}
		}
		if s.hold(pt.ConversationID, pt.Seq, lease) {
			s.enqueueTurn(rm, turn{parts: []part{{seq: pt.Seq, clientID: pt.ClientID, text: text}}, result: res, conv: conv, ask: ask})
		}
	}
}

// recentTurns is how many of a conversation's last messages recentContext
// reads: enough for the student's messages around one assistant reply.
const recentTurns = 6

// recentContext reads what the conversation said right before a student's
// next message (risk.Context): the latest counselor or assistant message,
// when nothing but system notices came after it, is the question the
// message may answer; the student's own messages among the last few, but
// none the counselor assessed when lowering the conversation's level, are
// read with it. The room's recent messages serve when they reach the
// conversation's last one; else the store is read. A store error gives no
// context.
func (s *Service) recentContext(ctx context.Context, rm *room, conv xinqiao.Conversation, st risk.ConversationState) risk.Context {
	var through int64 // the student's messages up to it were assessed
	if st.Lowered != nil {
		through = st.Lowered.Through
	}
	ms, ok := rm.recentUpTo(conv.LastSeq)
	if !ok {
		var err error
		if ms, err = s.d.Store.Messages(ctx, conv.ID, max(0, conv.LastSeq-recentTurns), recentTurns); err != nil {
			return risk.Context{}
		}
	}
	var rc risk.Context
	latest := true
	for i := len(ms) - 1; i >= 0; i-- {
		switch ms[i].Role {
		case xinqiao.RoleSystem:
			continue
		case xinqiao.RoleCounselor, xinqiao.RoleAssistant:
			if latest {
				rc.Question = ms[i].Text
			}
		case xinqiao.RoleStudent:
			if len(rc.Earlier) < risk.RecentTurns && ms[i].Seq > through {
				rc.Earlier = append(rc.Earlier, ms[i].Text)
			}
		}
		latest = false
	}
	slices.Reverse(rc.Earlier)
	return rc
}

// reviewCategories are the categories whose medium risk a teacher reads.
var reviewCategories = []risk.Category{risk.Suicide, risk.SelfHarm, risk.Abuse, risk.Violence, risk.Bullying}

// review opens (or merges into) the conversation's review when the message,
// or the conversation, is medium in a risk category. The first time the
// conversation reaches a counselor this way, the student is told plainly,
// once, that the school's psychology teacher will read it, and the standard
// safety question is returned for the assistant to ask after its answer
// ("" otherwise). A failure is logged and counted and reported (failed):
// the caller leaves the message's turn pending, so that it is not answered
// (and done) before its review is open.
func (s *Service) review(ctx context.Context, conv xinqiao.Conversation, text string, res risk.Result, state risk.ConversationState, seq int64) (question string, failed bool) {
	cats := res.Categories
	if res.Level < risk.Medium {
		cats = state.Categories
	}
	var names []string
	reviewable := false
	for _, c := range cats {
		names = append(names, string(c))
		reviewable = reviewable || slices.Contains(reviewCategories, c)
	}
	if !reviewable {
		return "", false
	}
	_, _, _, had, err := s.d.Handoffs.StudentState(ctx, conv.ID)
	if err == nil {
		_, created, oerr := s.d.Handoffs.Open(ctx, xinqiao.KindReview, conv.ID, xinqiao.LevelMedium, names, res.Rules, seq)
		err = oerr
		if err == nil && (!created || had) {
			return "", false // already read, or told before
		}
	}
	if err != nil {
		storeFailures.WithLabelValues("review").Inc()
		s.d.Log.Error("open review failed; the message's turn stays pending", "conversation", conv.ID, "err", err)
		return "", true
	}
	lang := messageLang(text, conv.Lang)
	if notice, err := prompts.Reply(lang, prompts.ReplyReviewNotice); err == nil {
		if m, created, err := s.d.Store.AppendMessage(ctx, xinqiao.NewMessage{ConversationID: conv.ID, Role: xinqiao.RoleSystem, Text: notice}); err == nil && created {
			r := s.hub.room(conv.ID)
			if r != nil {
				s.hub.deliver(ctx, r, m)
			}
			s.publishMessage(r, conv.ID, m.Seq)
		}
	}
	q, err := prompts.Reply(lang, prompts.ReplySafetyQuestion)
	if err != nil {
		return "", false
	}
	return q, false
}

// askLimit bounds ask_counselor frames per conversation: three at once,
// then one every 10 seconds.
const (
	askRate  = 0.1
	askBurst = 3
)

// onAskCounselor queues the conversation for a counselor (a requested
// handoff at the conversation's level) and tells the page, honestly, who
// will come and when. While a handoff the student can see is open it only
// sends its state again; a flood is refused with rate_limited.
func (s *Service) onAskCounselor(c *ws.Conn, st *sockState, rm *room, convID string) {
	if !s.askLimit.Allow(convID) {
		c.Send(errorFrame{Type: "error", Code: xinqiao.ERATELIMITED, Message: "已经收到你找老师的请求了，请稍等一下 (request already received)"})
		return
	}
	ctx, cancel := context.WithTimeout(s.ctx, 10*time.Second)
	defer cancel()
	conv, err := s.d.Store.Conversation(ctx, convID)
	if err != nil {
		storeFailures.WithLabelValues("ask").Inc()
		c.Send(errorFrame{Type: "error", Code: xinqiao.EUNAVAILABLE, Message: "暂时没能联系老师，请稍后再试；如果你有危险，请马上拨打 110 或 120。(could not reach a teacher just now; if you are in danger call 110 or 120)"})
		return
	}
	if conv.Mode == xinqiao.ModeEnded {
		c.Send(errorFrame{Type: "error", Code: EndedCode, Message: endedText(conv.Lang)})
		return
	}
	onDuty, _, _ := s.d.Handoffs.OnDuty(ctx, convID)
	state, counselor, kind, ok, err := s.d.Handoffs.StudentState(ctx, convID)
	if err == nil && ok && state != "ended" && kind != xinqiao.KindReview {
		// Already asked, or already here: say so again, open nothing.
		on := onDuty > 0
		f := handoffFrame{Type: "handoff", State: state, Counselor: counselor, Kind: kind, OnDuty: &on}
		if state == "waiting" {
			f.Text = s.noticeText(conv.Lang, kind, on)
		}
		c.Send(f)
		return
	}
	level := conv.RiskLevel
	if xinqiao.LevelRank(level) < 0 {
		level = xinqiao.LevelNone
	}
	prev := decodeState(conv.RiskState)
	cats := make([]string, 0, len(prev.Categories))
	for _, k := range prev.Categories {
		cats = append(cats, string(k))
	}
	rm.tell("waiting", "", xinqiao.KindRequested) // told below, with the words
	onDuty, _, err = s.d.Handoffs.Open(ctx, xinqiao.KindRequested, convID, level, cats, []string{"student.ask_counselor"}, conv.LastSeq)
	if err != nil {
		storeFailures.WithLabelValues("ask").Inc()
		s.d.Log.Error("open requested handoff failed", "conversation", convID, "err", err)
		c.Send(errorFrame{Type: "error", Code: xinqiao.EUNAVAILABLE, Message: "暂时没能联系老师，请稍后再试；如果你有危险，请马上拨打 110 或 120。(could not reach a teacher just now; if you are in danger call 110 or 120)"})
		return
	}
	s.tellHandoff(ctx, rm, conv, xinqiao.KindRequested, onDuty > 0)
}
