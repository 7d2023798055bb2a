package web

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"xinqiao/internal/handoff"
	"xinqiao/internal/ws"
	"xinqiao/internal/xinqiao"

	"github.com/gorilla/websocket"
)

// HandoffModule adds the counselor side: the console page, the staff
// WebSocket (/ws/staff), the handoff REST endpoints of API.md, duty and
// roster, transcripts (every read audited) and case records. ctx is the
// node's lifetime: the staff hub listens to store events until it ends.
func HandoffModule(ctx context.Context, svc *handoff.Service) Module {
	return func(s *Server) {
		h := &handoffAPI{s: s, svc: svc, hub: newStaffHub(ctx, s, svc)}
		s.Store.Subscribe(ctx, h.hub.onEvent)
		s.Page("GET /counselor", "counselor.html")
		up := ws.Upgrader(s.SameOrigin)
		s.HandleFunc("GET /ws/staff", func(w http.ResponseWriter, r *http.Request) { h.hub.serve(up, w, r) })
		s.OnShutdown(h.hub.closeAll)

		c := xinqiao.RoleCounselor
		s.Handle("POST /api/staff/duty", s.Staff(c, h.duty))
		s.Handle("GET /api/staff/roster", s.Staff(c, h.roster))
		s.Handle("GET /api/handoffs", s.Staff(c, h.list))
		s.Handle("GET /api/handoffs/{id}", s.Staff(c, h.get))
		s.Handle("POST /api/handoffs/{id}/claim", s.Staff(c, h.claim))
		s.Handle("POST /api/handoffs/{id}/messages", s.Staff(c, h.message))
		s.Handle("POST /api/handoffs/{id}/typing", s.Staff(c, h.typing))
		s.Handle("POST /api/handoffs/{id}/release", s.Staff(c, h.release))
		s.Handle("POST /api/handoffs/{id}/transfer", s.Staff(c, h.transfer))
		s.Handle("POST /api/handoffs/{id}/close", s.Staff(c, h.close))
		s.Handle("POST /api/handoffs/{id}/notes", s.Staff(c, h.handoffNote))
		s.Handle("GET /api/conversations/{id}", s.Staff(c, h.transcript))
		s.Handle("GET /api/cases", s.Staff(xinqiao.RoleSupervisor, h.cases))
		s.Handle("GET /api/cases/{id}", s.Staff(c, h.caseView))
		s.Handle("POST /api/cases/{id}", s.Staff(c, h.caseUpdate))
		s.Handle("POST /api/cases/{id}/notes", s.Staff(c, h.caseNote))
		s.Handle("POST /api/cases/{id}/referrals", s.Staff(c, h.referral))
		s.Handle("POST /api/cases/{id}/follow-ups", s.Staff(c, h.followUp))
		s.Handle("GET /api/follow-ups", s.Staff(c, h.followUps))
		s.Handle("POST /api/follow-ups/{id}/done", s.Staff(c, h.followUpDone))
	}
}

type handoffAPI struct {
	s   *Server
	svc *handoff.Service
	hub *staffHub
}

type handoffBody struct {
	Handoff xinqiao.Handoff `json:"handoff"`
}

func (h *handoffAPI) reply(w http.ResponseWriter, r *http.Request, code int, v any, err error) {
	if err != nil {
		h.s.Error(w, r, err)
		return
	}
	h.s.JSON(w, code, v)
}

func (h *handoffAPI) duty(w http.ResponseWriter, r *http.Request, st xinqiao.Staff) {
	var req struct {
		On *bool `json:"on"`
	}
	if err := Decode(r, &req); err != nil {
		h.s.Error(w, r, err)
		return
	} else if req.On == nil {
		h.s.Error(w, r, xinqiao.Errorf(xinqiao.EINVALID, `want {"on": true|false}`))
		return
	}
	if err := h.svc.SetDuty(r.Context(), st, *req.On); err != nil {
		h.s.Error(w, r, err)
		return
	}
	_ = h.s.Store.Audit(r.Context(), xinqiao.AuditEvent{At: h.s.Now(), Actor: st.ID, Action: "staff.duty", Target: st.ID, Detail: strconv.FormatBool(*req.On)})
	h.s.JSON(w, http.StatusOK, map[string]bool{"on_duty": *req.On})
}

// rosterEntry is what a console shows of a colleague: enough to pick a
// transfer target and see who is on duty and online.
type rosterEntry struct {
	ID          string     `json:"id"`
	DisplayName string     `json:"display_name"`
	Role        string     `json:"role"`
	School      string     `json:"school,omitempty"`
	OnDuty      bool       `json:"on_duty"`
	SeenAt      *time.Time `json:"seen_at,omitempty"`
}

func (h *handoffAPI) roster(w http.ResponseWriter, r *http.Request, st xinqiao.Staff) {
	all, err := h.s.Store.ListStaff(r.Context())
	if err != nil {
		h.s.Error(w, r, err)
		return
	}
	out := []rosterEntry{}
	for _, o := range all {
		if !o.Can(xinqiao.RoleCounselor) || o.Role == xinqiao.RoleAdmin || o.Disabled {
			continue
		}
		e := rosterEntry{ID: o.ID, DisplayName: o.DisplayName, Role: o.Role, School: o.School, OnDuty: o.OnDuty}
		if seen, err := h.s.Store.Presence(r.Context(), o.ID); err == nil && !seen.IsZero() {
			e.SeenAt = &seen
		}
		out = append(out, e)
	}
	h.s.JSON(w, http.StatusOK, map[string]any{"staff": out})
}

func (h *handoffAPI) list(w http.ResponseWriter, r *http.Request, st xinqiao.Staff) {
	var states []string
	for _, v := range strings.Split(r.URL.Query().Get("status"), ",") {
		switch v = strings.TrimSpace(v); v {
		case "":
		case xinqiao.HandoffWaiting, xinqiao.HandoffActive, xinqiao.HandoffClosed:
			states = append(states, v)
		default:
			h.s.Error(w, r, xinqiao.Errorf(xinqiao.EINVALID, "status must be waiting, active or closed"))
			return
		}
	}
	kind := r.URL.Query().Get("kind")
	if kind != "" && xinqiao.KindRank(kind) < 0 {
		h.s.Error(w, r, xinqiao.Errorf(xinqiao.EINVALID, "kind must be urgent, requested or review"))
		return
	}
	hs, err := h.svc.Queue(r.Context(), st, states...)
	if kind != "" {
		hs = slices.DeleteFunc(hs, func(ho xinqiao.Handoff) bool { return ho.Kind != kind })
	}
	h.reply(w, r, http.StatusOK, map[string]any{"handoffs": hs}, err)
}

func (h *handoffAPI) get(w http.ResponseWriter, r *http.Request, st xinqiao.Staff) {
	ho, err := h.svc.Get(r.Context(), st, r.PathValue("id"))
	if err != nil {
		h.s.Error(w, r, err)
		return
	}
	body := map[string]any{"handoff": ho}
	if st.Can(xinqiao.RoleSupervisor) {
		ts, _ := h.s.Store.Timers(r.Context(), ho.ID)
		as, _ := h.s.Store.AlertAttempts(r.Context(), ho.ID, 200)
		body["timers"], body["alerts"] = ts, as
	}
	h.s.JSON(w, http.StatusOK, body)
}

func (h *handoffAPI) claim(w http.ResponseWriter, r *http.Request, st xinqiao.Staff) {
	ho, err := h.svc.Claim(r.Context(), st, r.PathValue("id"))
	h.reply(w, r, http.StatusOK, handoffBody{ho}, err)
}

func (h *handoffAPI) message(w http.ResponseWriter, r *http.Request, st xinqiao.Staff) {
	var req struct {
		Text     string `json:"text"`
		ClientID string `json:"client_id"`
	}
	if err := Decode(r, &req); err != nil {
		h.s.Error(w, r, err)
		return
	}
	m, err := h.svc.Relay(r.Context(), st, r.PathValue("id"), req.ClientID, req.Text)
	h.reply(w, r, http.StatusCreated, map[string]any{"message": m}, err)
}

func (h *handoffAPI) typing(w http.ResponseWriter, r *http.Request, st xinqiao.Staff) {
	if err := h.svc.Typing(r.Context(), st, r.PathValue("id")); err != nil {
		h.s.Error(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (h *handoffAPI) release(w http.ResponseWriter, r *http.Request, st xinqiao.Staff) {
	ho, err := h.svc.Release(r.Context(), st, r.PathValue("id"))
	h.reply(w, r, http.StatusOK, handoffBody{ho}, err)
}

func (h *handoffAPI) transfer(w http.ResponseWriter, r *http.Request, st xinqiao.Staff) {
	var req struct {
		To string `json:"to"`
	}
	if err := Decode(r, &req); err != nil {
		h.s.Error(w, r, err)
		return
	}
	ho, err := h.svc.Transfer(r.Context(), st, r.PathValue("id"), req.To)
	h.reply(w, r, http.StatusOK, handoffBody{ho}, err)
}

func (h *handoffAPI) close(w http.ResponseWriter, r *http.Request, st xinqiao.Staff) {
	var req handoff.CloseRequest
	if err := Decode(r, &req); err != nil {
		h.s.Error(w, r, err)
		return
	}
	ho, err := h.svc.Close(r.Context(), st, r.PathValue("id"), req)
	h.reply(w, r, http.StatusOK, handoffBody{ho}, err)
}

type noteRequest struct {
	Text      string `json:"text"`
	HandoffID string `json:"handoff_id"`
}

func (h *handoffAPI) handoffNote(w http.ResponseWriter, r *http.Request, st xinqiao.Staff) {
	var req noteRequest
	if err := Decode(r, &req); err != nil {
		h.s.Error(w, r, err)
		return
	}
	ho, err := h.svc.Get(r.Context(), st, r.PathValue("id"))
	if err != nil {
		h.s.Error(w, r, err)
		return
	}
	n, err := h.svc.AddNote(r.Context(), st, ho.CaseID, ho.ID, req.Text)
	h.reply(w, r, http.StatusCreated, map[string]any{"note": n}, err)
}

func (h *handoffAPI) transcript(w http.ResponseWriter, r *http.Request, st xinqiao.Staff) {
	id := r.PathValue("id")
	t, err := h.svc.Transcript(r.Context(), st, id)
	if err != nil {
		h.s.Error(w, r, err)
		return
	}
	if err := h.s.AuditRead(r.Context(), st, "conversation.read", id, ""); err != nil {
		h.s.Error(w, r, err)
		return
	}
	h.s.JSON(w, http.StatusOK, t)
}

func (h *handoffAPI) cases(w http.ResponseWriter, r *http.Request, st xinqiao.Staff) {
	q := r.URL.Query()
	f := xinqiao.CaseFilter{School: q.Get("school"), Status: q.Get("status"), MinLevel: q.Get("min_level"), Subject: q.Get("subject")}
	if f.MinLevel != "" && xinqiao.LevelRank(f.MinLevel) < 0 {
		h.s.Error(w, r, xinqiao.Errorf(xinqiao.EINVALID, "min_level must be none, low, medium, high or imminent"))
		return
	}
	if q.Get("overdue") == "true" || q.Get("overdue") == "1" {
		f.OverdueAt = h.s.Now()
	}
	cs, err := h.svc.Cases(r.Context(), st, f)
	if err == nil {
		err = h.s.AuditRead(r.Context(), st, "case.list", "", r.URL.RawQuery)
	}
	h.reply(w, r, http.StatusOK, map[string]any{"cases": cs}, err)
}

func (h *handoffAPI) caseView(w http.ResponseWriter, r *http.Request, st xinqiao.Staff) {
	id := r.PathValue("id")
	v, err := h.svc.CaseView(r.Context(), st, id)
	if err == nil {
		err = h.s.AuditRead(r.Context(), st, "case.read", id, "")
	}
	h.reply(w, r, http.StatusOK, v, err)
}

func (h *handoffAPI) caseUpdate(w http.ResponseWriter, r *http.Request, st xinqiao.Staff) {
	var req struct {
		Subject string `json:"subject"`
		Status  string `json:"status"`
	}
	if err := Decode(r, &req); err != nil {
		h.s.Error(w, r, err)
		return
	}
	c, err := h.svc.UpdateCase(r.Context(), st, r.PathValue("id"), req.Subject, req.Status)
	h.reply(w, r, http.StatusOK, map[string]any{"case": c}, err)
}

func (h *handoffAPI) caseNote(w http.ResponseWriter, r *http.Request, st xinqiao.Staff) {
	var req noteRequest
	if err := Decode(r, &req); err != nil {
		h.s.Error(w, r, err)
		return
	}
	n, err := h.svc.AddNote(r.Context(), st, r.PathValue("id"), req.HandoffID, req.Text)
	h.reply(w, r, http.StatusCreated, map[string]any{"note": n}, err)
}

func (h *handoffAPI) referral(w http.ResponseWriter, r *http.Request, st xinqiao.Staff) {
	var req struct {
		Kind      string `json:"kind"`
		Detail    string `json:"detail"`
		HandoffID string `json:"handoff_id"`
	}
	if err := Decode(r, &req); err != nil {
		h.s.Error(w, r, err)
		return
	}
	ref, err := h.svc.AddReferral(r.Context(), st, r.PathValue("id"), req.HandoffID, req.Kind, req.Detail)
	h.reply(w, r, http.StatusCreated, map[string]any{"referral": ref}, err)
}

func (h *handoffAPI) followUp(w http.ResponseWriter, r *http.Request, st xinqiao.Staff) {
	var req struct {
		Task     string    `json:"task"`
		Due      time.Time `json:"due"`
		Assignee string    `json:"assignee"`
	}
	if err := Decode(r, &req); err != nil {
		h.s.Error(w, r, err)
		return
	}
	f, err := h.svc.AddFollowUp(r.Context(), st, r.PathValue("id"), req.Task, req.Due, req.Assignee)
	h.reply(w, r, http.StatusCreated, map[string]any{"follow_up": f}, err)
}

func (h *handoffAPI) followUps(w http.ResponseWriter, r *http.Request, st xinqiao.Staff) {
	out, err := h.svc.OpenFollowUps(r.Context(), st)
	h.reply(w, r, http.StatusOK, map[string]any{"follow_ups": out}, err)
}

func (h *handoffAPI) followUpDone(w http.ResponseWriter, r *http.Request, st xinqiao.Staff) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		h.s.Error(w, r, xinqiao.Errorf(xinqiao.ENOTFOUND, "follow-up not found"))
		return
	}
	f, err := h.svc.CompleteFollowUp(r.Context(), st, id)
	h.reply(w, r, http.StatusOK, map[string]any{"follow_up": f}, err)
}

// staffHub holds this node's console sockets. It turns store events into
// console frames: queue changes for everyone who may see the handoff, and
// stored messages for the consoles watching the conversation.
type staffHub struct {
	s   *Server
	svc *handoff.Service
	ctx context.Context

	mu    sync.Mutex
	socks map[*staffSock]struct{}

	heldMu    sync.Mutex
	held      map[xinqiao.Event]struct{} // handoff and alert events whose handoff could not be read yet
	heldQueue bool                       // an event was not kept (maxHeld): resend every console its queue
	retrying  bool                       // retryHeld is running
}

type staffSock struct {
	conn      *ws.Conn
	st        xinqiao.Staff
	tokenHash string // the session the socket was opened under

	mu        sync.Mutex // serialises delivery, so messages go out in seq order
	watch     string     // conversation being watched
	cursor    int64      // highest seq sent for watch
	lastTyped time.Time

	shownMu sync.Mutex
	shown   map[string]int64 // handoff id → seq of the message whose preview this console was sent (and the read audited)

	queueMu    sync.Mutex
	queueBusy  bool // a queue is being read for this console
	queueAgain bool // asked for again, or a handoff frame went out, while it was: read once more after

	watchMu   sync.Mutex
	watchBusy bool          // a watch is being started for this console
	watchNext *watchRequest // the latest watch asked for meanwhile, started after it
}

func newStaffHub(ctx context.Context, s *Server, svc *handoff.Service) *staffHub {
	return &staffHub{ctx: ctx, s: s, svc: svc, socks: map[*staffSock]struct{}{}, held: map[xinqiao.Event]struct{}{}}
}

// A console reads its whole queue only when it connects (or asks); after
// that it learns of a handoff from the frame each "handoff" event brings.
// That frame is built from the handoff's row, so an event whose row cannot
// be read (the store is away) is held and tried again, after
// heldRetryFirst and then twice as long each time up to heldRetryMax, until
// the read works: a console whose store came back still learns of the
// handoff, without waiting for a reconnect.
const (
	heldRetryFirst = 200 * time.Millisecond
	heldRetryMax   = 5 * time.Second
	// maxHeld bounds the events held; an event past it is not kept, and
	// every console is sent its whole queue again instead once the store
	// answers (which shows every handoff as it is then, without its alert).
	maxHeld = 1000
)

// Staff socket frames, server → console.
type (
	helloFrame struct {
		Type  string        `json:"type"` // "hello"
		Staff xinqiao.Staff `json:"staff"`
	}
	// Now, in the queue, handoff and alert frames, is the server's time
	// when the frame was made: the console counts wait clocks from the
	// handoffs' opened_at on the server's clock, so that a terminal whose
	// own clock is behind does not show "已等待 0 秒" for minutes.
	queueFrame struct {
		Type     string            `json:"type"` // "queue"
		Handoffs []xinqiao.Handoff `json:"handoffs"`
		Now      time.Time         `json:"now"`
	}
	handoffFrame struct {
		Type    string          `json:"type"` // "handoff"
		Handoff xinqiao.Handoff `json:"handoff"`
		Now     time.Time       `json:"now"`
	}
	alertFrame struct {
		Type      string    `json:"type"` // "alert"
		HandoffID string    `json:"handoff_id"`
		Step      int64     `json:"step"`
		Now       time.Time `json:"now"`
	}
	staffMessageFrame struct {
		Type           string          `json:"type"` // "message"
		ConversationID string          `json:"conversation_id"`
		Message        xinqiao.Message `json:"message"`
	}
	staffTypingFrame struct {
		Type           string `json:"type"` // "typing"
		ConversationID string `json:"conversation_id"`
		Role           string `json:"role"`
	}
	staffErrorFrame struct {
		Type    string `json:"type"` // "error"
		Code    string `json:"code"`
		Message string `json:"message"`
	}
	kindFrame struct {
		Type string `json:"type"` // e.g. "roster"
	}
)

// clientFrame is a console → server frame: {"type":"watch","conversation_id","after_seq"},
// {"type":"unwatch"} or {"type":"typing","handoff_id"}.
type clientFrame struct {
	Type           string `json:"type"`
	ConversationID string `json:"conversation_id"`
	AfterSeq       int64  `json:"after_seq"`
	HandoffID      string `json:"handoff_id"`
}

func (hb *staffHub) serve(up *websocket.Upgrader, w http.ResponseWriter, r *http.Request) {
	if !hb.s.SameOrigin(r) {
		hb.s.Error(w, r, xinqiao.Errorf(xinqiao.EFORBIDDEN, "origin not allowed"))
		return
	}
	st, sess, err := hb.s.Authenticate(r)
	if err != nil {
		hb.s.Error(w, r, err)
		return
	}
	if !st.Can(xinqiao.RoleCounselor) {
		hb.s.Error(w, r, xinqiao.Errorf(xinqiao.EFORBIDDEN, "the console needs the counselor role"))
		return
	}
	release, err := hb.s.AcquireSocket(r, sess.TokenHash)
	if err != nil {
		hb.s.Error(w, r, err)
		return
	}
	defer release()
	c, err := ws.Upgrade(up, w, r, "staff", ws.DefaultOptions())
	if err != nil {
		return
	}
	// The first queue is being read from the moment the socket is
	// registered: a handoff frame sent before it goes out is followed by
	// one more queue (see queueLoop).
	sock := &staffSock{conn: c, st: st, tokenHash: sess.TokenHash, shown: map[string]int64{}, queueBusy: true}
	hb.mu.Lock()
	hb.socks[sock] = struct{}{}
	hb.mu.Unlock()
	ctx := hb.ctx
	hb.svc.ConsoleConnected(ctx, st.ID)
	defer func() {
		hb.mu.Lock()
		delete(hb.socks, sock)
		hb.mu.Unlock()
		hb.svc.ConsoleDisconnected(context.WithoutCancel(ctx), st.ID)
	}()
	c.Send(helloFrame{Type: "hello", Staff: st})
	hb.queueLoop(ctx, sock)
	go hb.recheckEvery(ctx, sock)
	c.Run(ctx, func(data []byte, err error) {
		var f clientFrame
		if err != nil || json.Unmarshal(data, &f) != nil {
			c.Send(staffErrorFrame{Type: "error", Code: xinqiao.EINVALID, Message: "want a JSON text frame"})
			return
		}
		switch f.Type {
		case "watch":
			hb.requestWatch(ctx, sock, watchRequest{convID: f.ConversationID, afterSeq: f.AfterSeq})
		case "unwatch":
			hb.requestWatch(ctx, sock, watchRequest{unwatch: true})
		case "typing":
			sock.mu.Lock()
			quiet := time.Since(sock.lastTyped) > time.Second
			if quiet {
				sock.lastTyped = time.Now()
			}
			sock.mu.Unlock()
			if quiet {
				go hb.svc.Typing(ctx, st, f.HandoffID)
			}
		case "queue":
			hb.requestQueue(ctx, sock)
		default:
			c.Send(staffErrorFrame{Type: "error", Code: xinqiao.EINVALID, Message: "unknown frame type"})
		}
	})
}

// watchRequest is a console's request to watch a conversation, or to stop
// watching.
type watchRequest struct {
	convID   string
	afterSeq int64
	unwatch  bool
}

// requestWatch starts the watches a console asks for one at a time, in
// order: a request (or an unwatch) that comes while a watch is being
// started replaces any other waiting, and is carried out after it, so the
// console ends up watching what it asked for last. A watch started is
// audited and reads the store; one replaced before it started is neither.
func (hb *staffHub) requestWatch(ctx context.Context, sock *staffSock, w watchRequest) {
	sock.watchMu.Lock()
	defer sock.watchMu.Unlock()
	switch {
	case sock.watchBusy:
		sock.watchNext = &w
		return
	case w.unwatch:
		hb.unwatch(sock)
		return
	}
	sock.watchBusy = true
	go func() {
		for {
			if w.unwatch {
				hb.unwatch(sock)
			} else {
				hb.watch(ctx, sock, w.convID, w.afterSeq)
			}
			sock.watchMu.Lock()
			next := sock.watchNext
			sock.watchNext, sock.watchBusy = nil, next != nil
			sock.watchMu.Unlock()
			if next == nil {
				return
			}
			w = *next
		}
	}()
}

// unwatch stops sending a console a conversation's messages.
func (hb *staffHub) unwatch(sock *staffSock) {
	sock.mu.Lock()
	sock.watch, sock.cursor = "", 0
	sock.mu.Unlock()
}

// requestQueue sends a console its queue on request, one read at a time: a
// request that comes while the queue is being read is served by one more
// read after it, however many come. A read touches up to 500 handoffs and
// their flagged messages, so a console asking in a loop must not start one
// for each frame.
func (hb *staffHub) requestQueue(ctx context.Context, sock *staffSock) {
	sock.queueMu.Lock()
	defer sock.queueMu.Unlock()
	if sock.queueBusy {
		sock.queueAgain = true
		return
	}
	sock.queueBusy = true
	go hb.queueLoop(ctx, sock)
}

// queueLoop sends a console its queue (sock.queueBusy is set), and again
// while more was asked for meanwhile. A queue frame replaces the console's
// whole list, so a handoff frame that went out while the queue was being
// read (its handoff perhaps newer than the read) asks for one more: the
// console does not end on a list older than a frame it was sent.
func (hb *staffHub) queueLoop(ctx context.Context, sock *staffSock) {
	for {
		hb.sendQueue(ctx, sock)
		sock.queueMu.Lock()
		again := sock.queueAgain
		sock.queueAgain, sock.queueBusy = false, again
		sock.queueMu.Unlock()
		if !again {
			return
		}
	}
}

// sentHandoff notes that a handoff frame went out to a console: if its
// queue is being read, it is read once more after.
func (sock *staffSock) sentHandoff() {
	sock.queueMu.Lock()
	defer sock.queueMu.Unlock()
	if sock.queueBusy {
		sock.queueAgain = true
	}
}

// sendQueue sends a console its queue, or an error frame when the store
// cannot give it.
func (hb *staffHub) sendQueue(ctx context.Context, sock *staffSock) {
	if err := hb.trySendQueue(ctx, sock); err != nil {
		sock.conn.Send(staffErrorFrame{Type: "error", Code: xinqiao.ErrorCode(err), Message: xinqiao.ErrorMessage(err)})
	}
}

// trySendQueue sends a console its queue, returning the store's error
// (and sending nothing) when it cannot be read.
func (hb *staffHub) trySendQueue(ctx context.Context, sock *staffSock) error {
	hs, err := hb.svc.Queue(ctx, sock.st)
	if err != nil {
		return err
	}
	for i := range hs {
		hs[i].Preview = hb.preview(ctx, sock, hs[i], flagged{})
	}
	sock.conn.Send(queueFrame{Type: "queue", Handoffs: hs, Now: hb.svc.Now()})
	return nil
}

// PreviewLen is how many characters of the flagged message a queue item
// shows: enough to tell items apart at a glance, not a transcript.
const PreviewLen = 24

// previewText is the first PreviewLen characters of a message, on one
// line, with "…" when cut.
func previewText(text string) string {
	text = strings.Join(strings.Fields(text), " ")
	if r := []rune(text); len(r) > PreviewLen {
		return string(r[:PreviewLen]) + "…"
	}
	return text
}

// flagged is the preview of an open handoff's flagged message: its first
// words and its seq.
type flagged struct {
	text string
	seq  int64
}

// previewWindow bounds how many messages before a handoff's message_seq
// are read to find the student's own words.
const previewWindow = 8

// flaggedText reads the message that opened or last raised an open
// handoff: the student's words at its message_seq, or, when that is not a
// student's message (a request for a teacher made after the AI answered),
// the student's last message before it within previewWindow. It is empty
// when there is none or the store fails: the queue item goes without its
// preview, nothing else depends on it.
func (hb *staffHub) flaggedText(ctx context.Context, h xinqiao.Handoff) flagged {
	if !h.Open() || h.MessageSeq <= 0 {
		return flagged{}
	}
	ms, err := hb.s.Store.Messages(ctx, h.ConversationID, max(h.MessageSeq-previewWindow, 0), previewWindow)
	if err != nil {
		return flagged{}
	}
	for i := len(ms) - 1; i >= 0; i-- {
		if m := ms[i]; m.Seq <= h.MessageSeq && m.Role == xinqiao.RoleStudent {
			return flagged{text: previewText(m.Text), seq: m.Seq}
		}
	}
	return flagged{}
}

// preview gives a console the preview of an open handoff's flagged
// message (f, when the caller already read it; read here otherwise).
// A preview is a few words of a transcript, so the first time a console is
// sent the preview of a given message, the read is audited as
// "conversation.preview" (target the conversation, detail the handoff and
// the message seq); a later frame with the same preview is not audited
// again. When the audit cannot be written the preview is left out.
func (hb *staffHub) preview(ctx context.Context, sock *staffSock, h xinqiao.Handoff, f flagged) string {
	if f.text == "" {
		f = hb.flaggedText(ctx, h)
	}
	if f.text == "" {
		return ""
	}
	sock.shownMu.Lock()
	defer sock.shownMu.Unlock()
	if sock.shown[h.ID] == f.seq {
		return f.text
	}
	detail := "handoff " + h.ID + " message " + strconv.FormatInt(f.seq, 10)
	if err := hb.s.AuditRead(ctx, sock.st, "conversation.preview", h.ConversationID, detail); err != nil {
		return ""
	}
	sock.shown[h.ID] = f.seq
	return f.text
}

// watch starts sending a conversation's messages after afterSeq to a
// console. It is a transcript read, so it is audited like one.
func (hb *staffHub) watch(ctx context.Context, sock *staffSock, convID string, afterSeq int64) {
	conv, err := hb.s.Store.Conversation(ctx, convID)
	if err == nil && !handoff.CanSee(sock.st, xinqiao.Handoff{School: conv.School}) {
		err = xinqiao.Errorf(xinqiao.ENOTFOUND, "conversation not found")
	}
	if err == nil {
		err = hb.s.AuditRead(ctx, sock.st, "conversation.watch", convID, "")
	}
	if err != nil {
		sock.conn.Send(staffErrorFrame{Type: "error", Code: xinqiao.ErrorCode(err), Message: xinqiao.ErrorMessage(err)})
		return
	}
	sock.mu.Lock()
	sock.watch, sock.cursor = convID, afterSeq
	sock.mu.Unlock()
	hb.catchUp(ctx, sock, convID)
}

// catchUp sends a watching console every stored message it has not had.
func (hb *staffHub) catchUp(ctx context.Context, sock *staffSock, convID string) {
	sock.mu.Lock()
	defer sock.mu.Unlock()
	if sock.watch != convID {
		return
	}
	for {
		ms, err := hb.s.Store.Messages(ctx, convID, sock.cursor, 200)
		if err != nil {
			hb.s.Log.Warn("console catch-up failed", "conversation", convID, "err", err)
			return
		}
		for _, m := range ms {
			if !sock.conn.Send(staffMessageFrame{Type: "message", ConversationID: convID, Message: m}) {
				return
			}
			sock.cursor = m.Seq
		}
		if len(ms) < 200 {
			return
		}
	}
}

func (hb *staffHub) all() []*staffSock {
	hb.mu.Lock()
	defer hb.mu.Unlock()
	out := make([]*staffSock, 0, len(hb.socks))
	for s := range hb.socks {
		out = append(out, s)
	}
	return out
}

// staffRecheck is how often an open console re-checks its session, beside
// the immediate re-check when an account changes.
const staffRecheck = time.Minute

// recheck closes a console whose session has ended (logged out, expired,
// the account disabled or no longer a counselor) or whose account must
// change a password someone else knows (as Authenticate refuses it).
func (hb *staffHub) recheck(ctx context.Context, sock *staffSock) {
	sess, err := hb.s.Store.StaffSession(ctx, sock.tokenHash)
	if xinqiao.ErrorCode(err) == xinqiao.EINTERNAL || xinqiao.ErrorCode(err) == xinqiao.EUNAVAILABLE {
		return // the store is down: keep the console, it is not the account's fault
	}
	var st xinqiao.Staff
	if err == nil && hb.s.Now().Before(sess.ExpiresAt) {
		st, err = hb.s.Store.StaffByID(ctx, sess.StaffID)
	}
	if err != nil || !hb.s.Now().Before(sess.ExpiresAt) || !st.Can(xinqiao.RoleCounselor) || st.MustChangePassword {
		sock.conn.Close(websocket.ClosePolicyViolation, "session ended")
	}
}

func (hb *staffHub) recheckEvery(ctx context.Context, sock *staffSock) {
	t := time.NewTicker(staffRecheck)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-sock.conn.Done():
			return
		case <-t.C:
			hb.recheck(ctx, sock)
		}
	}
}

// onEvent is called by the broker for every event on every node; it must
// not block, so work goes to goroutines.
func (hb *staffHub) onEvent(e xinqiao.Event) {
	ctx := hb.ctx
	switch e.Kind {
	case EventStaffChanged:
		for _, sock := range hb.all() {
			if sock.st.ID == e.HandoffID {
				go hb.recheck(ctx, sock)
			}
		}
		return
	case "handoff", "alert":
		if e.HandoffID == "" {
			return
		}
		go func() {
			if err := hb.sendHandoff(ctx, e); err != nil {
				hb.s.Log.Warn("console frame held: handoff unreadable", "kind", e.Kind, "handoff", e.HandoffID, "err", err)
				hb.hold(e)
			}
		}()
	case "message":
		for _, sock := range hb.all() {
			sock.mu.Lock()
			watching := sock.watch == e.ConversationID
			sock.mu.Unlock()
			if watching {
				go hb.catchUp(ctx, sock, e.ConversationID)
			}
		}
	case "typing_student":
		for _, sock := range hb.all() {
			sock.mu.Lock()
			watching := sock.watch == e.ConversationID
			sock.mu.Unlock()
			if watching {
				sock.conn.Send(staffTypingFrame{Type: "typing", ConversationID: e.ConversationID, Role: xinqiao.RoleStudent})
			}
		}
	case "roster":
		for _, sock := range hb.all() {
			sock.conn.Send(kindFrame{Type: "roster"})
		}
	case "resync":
		for _, sock := range hb.all() {
			hb.requestQueue(ctx, sock)
			go func() {
				sock.mu.Lock()
				conv := sock.watch
				sock.mu.Unlock()
				if conv != "" {
					hb.catchUp(ctx, sock, conv)
				}
			}()
		}
	}
}

// sendHandoff sends the frame of a handoff or alert event to every console
// that may see the handoff, as the handoff is now. It returns the store's
// error when the handoff cannot be read (nothing is sent); a handoff that
// is gone (purged) has nothing to tell and is no error.
func (hb *staffHub) sendHandoff(ctx context.Context, e xinqiao.Event) error {
	h, err := hb.s.Store.Handoff(ctx, e.HandoffID)
	if xinqiao.ErrorCode(err) == xinqiao.ENOTFOUND {
		return nil
	} else if err != nil {
		return err
	}
	var f flagged
	if e.Kind != "alert" {
		f = hb.flaggedText(ctx, h)
	}
	for _, sock := range hb.all() {
		if !handoff.CanSee(sock.st, h) {
			continue
		}
		if e.Kind == "alert" {
			sock.conn.Send(alertFrame{Type: "alert", HandoffID: h.ID, Step: e.Seq, Now: hb.svc.Now()})
		} else {
			hs := h
			if f.text != "" {
				hs.Preview = hb.preview(ctx, sock, h, f)
			}
			sock.conn.Send(handoffFrame{Type: "handoff", Handoff: hs, Now: hb.svc.Now()})
			sock.sentHandoff()
		}
	}
	return nil
}

// hold keeps an event whose handoff could not be read, for retryHeld, and
// starts retryHeld unless it runs.
func (hb *staffHub) hold(e xinqiao.Event) {
	hb.heldMu.Lock()
	defer hb.heldMu.Unlock()
	if len(hb.held) < maxHeld {
		hb.held[e] = struct{}{}
	} else {
		hb.heldQueue = true
	}
	if !hb.retrying {
		hb.retrying = true
		go hb.retryHeld()
	}
}

// retryHeld sends the held events' frames (and, after an overflow, every
// console's queue) once the store answers, waiting longer after each
// round that still failed; it ends when nothing is held or the node stops.
func (hb *staffHub) retryHeld() {
	wait := heldRetryFirst
	t := time.NewTimer(wait)
	defer t.Stop()
	for {
		select {
		case <-hb.ctx.Done():
			return
		case <-t.C:
		}
		hb.heldMu.Lock()
		held, queue := hb.held, hb.heldQueue
		hb.held, hb.heldQueue = map[xinqiao.Event]struct{}{}, false
		hb.heldMu.Unlock()
		for e := range held {
			if err := hb.sendHandoff(hb.ctx, e); err != nil {
				hb.hold(e)
			}
		}
		if queue {
			for _, sock := range hb.all() {
				if err := hb.trySendQueue(hb.ctx, sock); err != nil {
					hb.heldMu.Lock()
					hb.heldQueue = true
					hb.heldMu.Unlock()
				}
			}
		}
		hb.heldMu.Lock()
		if len(hb.held) == 0 && !hb.heldQueue {
			hb.retrying = false
			hb.heldMu.Unlock()
			return
		}
		hb.heldMu.Unlock()
		wait = min(wait*2, heldRetryMax)
		t.Reset(wait)
	}
}

func (hb *staffHub) closeAll() {
	for _, sock := range hb.all() {
		sock.conn.Close(websocket.CloseGoingAway, "server restarting; reconnect shortly")
	}
}
