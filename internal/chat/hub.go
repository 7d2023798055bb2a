package chat

import (
	"context"
	"log/slog"
	"slices"
	"sync"
	"time"

	"xinqiao/internal/ws"
	"xinqiao/internal/xinqiao"
)

// hub holds this node's student sockets, grouped by conversation, and
// delivers stored messages to them in seq order. Messages travel as store
// rows: a Broker event says "conversation C has seq S", and every node reads
// the rows its sockets have not had yet. The node that stored a message
// sends it to its own sockets as it was stored (deliver), reading only to
// fill a gap, and so reads nothing on its own event.
type hub struct {
	store xinqiao.Store
	log   *slog.Logger

	mu    sync.Mutex
	rooms map[string]*room
}

// room is one conversation's sockets on this node.
type room struct {
	id string

	mu    sync.Mutex // serialises delivery, so each socket sees seqs in order
	socks map[*socket]struct{}
	// recent are the last messages the room has delivered, oldest first,
	// in unbroken seq order, at most recentTurns: what a student's next
	// message is read with (recentContext), without a store read when they
	// reach the conversation's last message. Guarded by mu.
	recent []xinqiao.Message
	// told is the handoff state (state|counselor|kind) the room's pages were
	// last told, so that a state is announced once, not on every event.
	told string
	// stateMu serialises reading and telling the handoff state, so that of
	// two events handled at once the later read is the last one told.
	stateMu sync.Mutex

	aiMu     sync.Mutex
	aiLocked bool               // a handoff is open: no AI frame may go out
	cancelAI context.CancelFunc // cancels the answer being written (or waiting for a slot), if any
	next     *turn              // the AI turn waiting, which later messages join; nil when none
	working  bool

	pubMu    sync.Mutex
	unpub    int64       // the latest seq stored here whose event waits for its answer's; 0 when none
	pubTimer *time.Timer // publishes unpub if the answer's event has not covered it by then
}

// socket is one student connection.
type socket struct {
	conn   *ws.Conn
	cursor int64 // highest seq sent to this socket; guarded by room.mu
}

func newHub(store xinqiao.Store, log *slog.Logger) *hub {
	return &hub{store: store, log: log, rooms: map[string]*room{}}
}

// join adds a socket to its conversation's room, creating the room.
func (h *hub) join(convID string, s *socket) *room {
	h.mu.Lock()
	defer h.mu.Unlock()
	r := h.rooms[convID]
	if r == nil {
		r = &room{id: convID, socks: map[*socket]struct{}{}}
		h.rooms[convID] = r
	}
	r.mu.Lock()
	r.socks[s] = struct{}{}
	r.mu.Unlock()
	return r
}

// open returns the conversation's room, creating an empty one: a node
// finishing a turn another node left pending works in a room with no socket.
func (h *hub) open(convID string) *room {
	h.mu.Lock()
	defer h.mu.Unlock()
	r := h.rooms[convID]
	if r == nil {
		r = &room{id: convID, socks: map[*socket]struct{}{}} // no waiting turn until one is enqueued
		h.rooms[convID] = r
	}
	return r
}

// leave removes a socket; an empty room with no AI work is dropped.
func (h *hub) leave(r *room, s *socket) {
	r.mu.Lock()
	delete(r.socks, s)
	r.mu.Unlock()
	h.dropIfIdle(r)
}

// dropIfIdle drops a room with no socket and no AI work.
func (h *hub) dropIfIdle(r *room) {
	h.mu.Lock()
	defer h.mu.Unlock()
	r.mu.Lock()
	empty := len(r.socks) == 0
	r.mu.Unlock()
	r.aiMu.Lock()
	busy := r.working
	r.aiMu.Unlock()
	if empty && !busy && h.rooms[r.id] == r {
		delete(h.rooms, r.id)
	}
}

func (h *hub) room(convID string) *room {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.rooms[convID]
}

func (h *hub) allRooms() []*room {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]*room, 0, len(h.rooms))
	for _, r := range h.rooms {
		out = append(out, r)
	}
	return out
}

// tell marks a handoff state as told, reporting whether it is news.
func (r *room) tell(state, counselor, kind string) bool {
	key := state + "|" + counselor + "|" + kind
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.told == key {
		return false
	}
	r.told = key
	return true
}

// broadcast sends a frame to every socket of a room now.
func (r *room) broadcast(v any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for s := range r.socks {
		s.conn.Send(v)
	}
}

// catchUp sends every socket of the room the stored messages it has not had
// yet, in seq order. It reads from the lowest cursor once and shares the rows.
func (h *hub) catchUp(ctx context.Context, r *room) {
	h.catchUpTo(ctx, r, 0)
}

// catchUpTo is catchUp for an event that conversation has seq: when every
// socket has had seq already (this node delivered it as it stored it), it
// reads nothing. seq 0 means unknown: it always reads.
func (h *hub) catchUpTo(ctx context.Context, r *room, seq int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if seq > 0 && r.allHave(seq) {
		return
	}
	h.read(ctx, r)
}

// deliver sends a message this node has just stored to the room's sockets
// without reading it back: a socket that has every message before it gets
// it at once; a socket that misses some (another node's message whose event
// has not come yet, or a resume in progress) is caught up from the store,
// so every socket still sees every message in seq order.
func (h *hub) deliver(ctx context.Context, r *room, m xinqiao.Message) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.saw(m)
	gap := false
	var f *messageFrame
	for s := range r.socks {
		switch {
		case s.cursor >= m.Seq:
		case s.cursor == m.Seq-1:
			if f == nil {
				mf := toMessageFrame(m)
				f = &mf
			}
			s.conn.Send(*f)
			s.cursor = m.Seq
		default:
			gap = true
		}
	}
	if gap {
		h.read(ctx, r)
	}
}

// saw keeps m among the room's recent messages when it follows the last
// one; a message after a gap starts them again. r.mu is held.
func (r *room) saw(m xinqiao.Message) {
	n := len(r.recent)
	switch {
	case n > 0 && m.Seq <= r.recent[n-1].Seq:
		return
	case n > 0 && m.Seq != r.recent[n-1].Seq+1:
		r.recent, n = r.recent[:0], 0
	}
	if n == recentTurns {
		copy(r.recent, r.recent[1:])
		r.recent[n-1] = m
		return
	}
	r.recent = append(r.recent, m)
}

// recentUpTo returns a copy of the room's recent messages when they are
// the conversation's last ones up to seq last (every one of them when the
// conversation has fewer than recentTurns); ok is false when the room has
// not seen them all.
func (r *room) recentUpTo(last int64) (ms []xinqiao.Message, ok bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := len(r.recent)
	if n == 0 || r.recent[n-1].Seq != last || int64(n) < min(recentTurns, last) {
		return nil, false
	}
	return slices.Clone(r.recent), true
}

// allHave reports whether every socket of the room has had seq. r.mu is held.
func (r *room) allHave(seq int64) bool {
	for s := range r.socks {
		if s.cursor < seq {
			return false
		}
	}
	return true
}

// read sends the room's sockets what they miss, from the store, reading
// from the lowest cursor once and sharing the rows. r.mu is held.
func (h *hub) read(ctx context.Context, r *room) {
	if len(r.socks) == 0 {
		return
	}
	low := int64(-1)
	for s := range r.socks {
		if low < 0 || s.cursor < low {
			low = s.cursor
		}
	}
	for {
		ms, err := h.store.Messages(ctx, r.id, low, resumeBatch)
		if err != nil {
			h.log.Warn("deliver messages: store unavailable", "conversation", r.id, "err", err)
			return
		}
		for _, m := range ms {
			r.saw(m)
			f := toMessageFrame(m)
			for s := range r.socks {
				if m.Seq > s.cursor {
					s.conn.Send(f)
					s.cursor = m.Seq
				}
			}
			low = m.Seq
		}
		if len(ms) < resumeBatch {
			return
		}
	}
}

// lockAI stops AI output in a room: the answer being written is cancelled
// and no further delta goes out. The store's mode check stops the final
// message even where this node never heard of the handoff.
func (r *room) lockAI(locked bool) {
	r.aiMu.Lock()
	defer r.aiMu.Unlock()
	r.aiLocked = locked
	if locked && r.cancelAI != nil {
		r.cancelAI()
	}
}

// stopAI cancels the answer being written and drops the waiting turn,
// which it returns (nil when none), without locking the room: a later
// message is answered as usual.
func (r *room) stopAI() *turn {
	r.aiMu.Lock()
	defer r.aiMu.Unlock()
	if r.cancelAI != nil {
		r.cancelAI()
	}
	t := r.next
	r.next = nil
	return t
}

func (r *room) isAILocked() bool {
	r.aiMu.Lock()
	defer r.aiMu.Unlock()
	return r.aiLocked
}
