package web_test

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"xinqiao/internal/app"
	"xinqiao/internal/apptest"
	"xinqiao/internal/storetest"
	"xinqiao/internal/xinqiao"
)

// slowReads makes reads take a while and counts them: how many in all,
// and the most at once.
type slowReads struct {
	mu            sync.Mutex
	now, max, all int
}

// start counts a read that has begun and takes d; the read ends when the
// returned func is called.
func (r *slowReads) start(d time.Duration) (end func()) {
	r.mu.Lock()
	r.now++
	r.all++
	r.max = max(r.max, r.now)
	r.mu.Unlock()
	time.Sleep(d)
	return func() {
		r.mu.Lock()
		r.now--
		r.mu.Unlock()
	}
}

// counts returns the reads in all and the most at once.
func (r *slowReads) counts() (all, most int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.all, r.max
}

// slowQueueStore takes a while to read the console's queue and records how
// many such reads ran at once.
type slowQueueStore struct {
	xinqiao.Store
	slowReads
}

func (q *slowQueueStore) Handoffs(ctx context.Context, f xinqiao.HandoffFilter) ([]xinqiao.Handoff, error) {
	if f.Limit != 500 || len(f.States) != 2 { // not the console's queue
		return q.Store.Handoffs(ctx, f)
	}
	defer q.start(100 * time.Millisecond)()
	return q.Store.Handoffs(ctx, f)
}

// TestConsoleQueueRequestsAreReadOneAtATime: a console that asks for its
// queue fifty times in a row gets it, from one read at a time (each read
// touches up to 500 handoffs and their flagged messages), not fifty reads
// at once.
func TestConsoleQueueRequestsAreReadOneAtATime(t *testing.T) {
	q := &slowQueueStore{Store: storetest.MustOpenSQLite(t)}
	s := apptest.Start(t, q, app.Options{})
	s.AddStaff(t, "wang", xinqiao.RoleCounselor, "王老师")
	console := s.Login(t, "wang").DialStaff(t)
	console.WaitType(t, 10*time.Second, "queue")
	for range 50 {
		console.Send(t, map[string]string{"type": "queue"})
	}
	console.WaitType(t, 10*time.Second, "queue")
	console.Quiet(t, 300*time.Millisecond, func(f apptest.Frame) bool { return false })
	if all, most := q.counts(); most != 1 || all > 10 {
		t.Fatalf("fifty queue requests: %d reads, up to %d at once; want one at a time, and far fewer reads than requests", all, most)
	}
}

// previewAuditRefused is a store whose audit log refuses the preview reads.
type previewAuditRefused struct{ xinqiao.Store }

func (p previewAuditRefused) Audit(ctx context.Context, e xinqiao.AuditEvent) error {
	if e.Action == "conversation.preview" {
		return errors.New("audit log unavailable")
	}
	return p.Store.Audit(ctx, e)
}

// TestQueuePreviewNeedsItsAudit: a console is sent the first words of a
// flagged message only with the read audited; when the audit log refuses
// it, the queue item comes without them, and everything else as usual.
func TestQueuePreviewNeedsItsAudit(t *testing.T) {
	for _, refused := range []bool{false, true} {
		var store xinqiao.Store = storetest.MustOpenSQLite(t)
		if refused {
			store = previewAuditRefused{store}
		}
		s := apptest.Start(t, store, app.Options{})
		s.AddStaff(t, "wang", xinqiao.RoleCounselor, "王老师")
		console := s.Login(t, "wang").DialStaff(t)
		console.WaitType(t, 10*time.Second, "queue")
		sess := s.NewSession(t, "")
		student := s.DialStudent(t, sess.Token)
		student.Message(t, "r1", "我不想活了，今晚就从楼顶跳下去")
		f, _ := console.Wait(t, 10*time.Second, func(f apptest.Frame) bool { return f.Type == "handoff" })
		var got struct{ Handoff xinqiao.Handoff }
		if err := json.Unmarshal(f.Raw, &got); err != nil {
			t.Fatal(err)
		}
		if got.Handoff.ConversationID != sess.ConversationID {
			t.Fatalf("audit refused %v: got %s, want the student's handoff", refused, f.Raw)
		}
		if want := !refused; (got.Handoff.Preview != "") != want {
			t.Fatalf("audit refused %v: preview %q", refused, got.Handoff.Preview)
		}
		evs, err := store.AuditEvents(context.Background(), sess.ConversationID, 10)
		if err != nil {
			t.Fatal(err)
		}
		if n := len(evs); refused && n != 0 || !refused && (n != 1 || evs[0].Action != "conversation.preview") {
			t.Fatalf("audit refused %v: audit events %+v", refused, evs)
		}
	}
}

// slowWatchStore takes a while to read a conversation while slow is set and
// records how many such reads ran at once.
type slowWatchStore struct {
	xinqiao.Store
	slow atomic.Bool
	slowReads
}

func (q *slowWatchStore) Conversation(ctx context.Context, id string) (xinqiao.Conversation, error) {
	if q.slow.Load() {
		defer q.start(50 * time.Millisecond)()
	}
	return q.Store.Conversation(ctx, id)
}

// TestConsoleWatchesOneAtATimeLatestWins: a console that asks to watch two
// conversations in turn twenty times starts one watch at a time, not twenty
// at once (each is a store read and an audit entry), and ends up watching
// the one it asked for last: that conversation's new messages reach it, the
// other's do not. An unwatch sent while a watch starts leaves it watching
// nothing.
func TestConsoleWatchesOneAtATimeLatestWins(t *testing.T) {
	q := &slowWatchStore{Store: storetest.MustOpenSQLite(t)}
	s := apptest.Start(t, q, app.Options{})
	s.AddStaff(t, "wang", xinqiao.RoleCounselor, "王老师")
	console := s.Login(t, "wang").DialStaff(t)
	console.WaitType(t, 10*time.Second, "queue")
	a, b := s.NewSession(t, ""), s.NewSession(t, "")
	sa, sb := s.DialStudent(t, a.Token), s.DialStudent(t, b.Token)
	q.slow.Store(true)
	for i := range 20 {
		id := a.ConversationID
		if i%2 == 1 {
			id = b.ConversationID
		}
		console.Send(t, map[string]any{"type": "watch", "conversation_id": id, "after_seq": 0})
	}
	console.Quiet(t, time.Second, func(f apptest.Frame) bool { return f.Type == "error" })
	q.slow.Store(false)
	reads, most := q.counts()
	if most != 1 || reads > 10 {
		t.Fatalf("twenty watch requests: %d reads, up to %d at once; want one at a time, and far fewer than twenty", reads, most)
	}
	convOf := func(f apptest.Frame) string {
		var m struct {
			ConversationID string `json:"conversation_id"`
		}
		_ = json.Unmarshal(f.Raw, &m)
		return m.ConversationID
	}
	sa.Message(t, "a1", "你好")
	sa.WaitType(t, 10*time.Second, "ack")
	sb.Message(t, "b1", "你好")
	sb.WaitType(t, 10*time.Second, "ack")
	_, seen := console.Wait(t, 10*time.Second, func(f apptest.Frame) bool {
		return f.Type == "message" && convOf(f) == b.ConversationID
	})
	for _, f := range seen {
		if f.Type == "message" && convOf(f) == a.ConversationID {
			t.Fatalf("the console still got the first conversation's messages: %s", f.Raw)
		}
	}

	// An unwatch sent while a watch is starting is carried out after it:
	// the console watches nothing.
	q.slow.Store(true)
	console.Send(t, map[string]any{"type": "watch", "conversation_id": a.ConversationID, "after_seq": 0})
	console.Send(t, map[string]any{"type": "unwatch"})
	console.Quiet(t, 500*time.Millisecond, func(f apptest.Frame) bool { return f.Type == "error" })
	q.slow.Store(false)
	sa.Message(t, "a2", "还在吗")
	sa.WaitType(t, 10*time.Second, "ack")
	console.Quiet(t, time.Second, func(f apptest.Frame) bool {
		var m struct {
			Message xinqiao.Message `json:"message"`
		}
		_ = json.Unmarshal(f.Raw, &m)
		return f.Type == "message" && m.Message.ClientID == "a2"
	})
}

// heldQueueStore holds the first console queue it reads until release is
// closed, so that the queue is older than what happens meanwhile.
type heldQueueStore struct {
	xinqiao.Store
	reading chan struct{} // closed once the first queue is read (and held)
	release chan struct{}
	once    sync.Once
}

func (q *heldQueueStore) Handoffs(ctx context.Context, f xinqiao.HandoffFilter) ([]xinqiao.Handoff, error) {
	hs, err := q.Store.Handoffs(ctx, f)
	if f.Limit == 500 && len(f.States) == 2 { // the console's queue
		q.once.Do(func() {
			close(q.reading)
			<-q.release
		})
	}
	return hs, err
}

// TestHandoffDuringFirstQueueIsNotLost: a handoff opened while a console's
// first queue is being read comes as a frame before that (older) queue,
// which replaces the console's whole list; the console is then sent its
// queue once more, so the list it ends on holds the handoff.
func TestHandoffDuringFirstQueueIsNotLost(t *testing.T) {
	q := &heldQueueStore{Store: storetest.MustOpenSQLite(t), reading: make(chan struct{}), release: make(chan struct{})}
	release := sync.OnceFunc(func() { close(q.release) })
	s := apptest.Start(t, q, app.Options{})
	t.Cleanup(release) // before the node stops
	s.AddStaff(t, "wang", xinqiao.RoleCounselor, "王老师")
	console := s.Login(t, "wang").DialStaff(t)
	select {
	case <-q.reading:
	case <-time.After(10 * time.Second):
		t.Fatal("the console's first queue was never read")
	}
	sess := s.NewSession(t, "")
	student := s.DialStudent(t, sess.Token)
	student.Message(t, "r1", "我不想活了，今晚就从楼顶跳下去")
	student.WaitType(t, 10*time.Second, "crisis")
	hasHandoff := func(f apptest.Frame) bool {
		var body struct {
			Handoff  xinqiao.Handoff
			Handoffs []xinqiao.Handoff
		}
		_ = json.Unmarshal(f.Raw, &body)
		for _, h := range append(body.Handoffs, body.Handoff) {
			if h.ConversationID == sess.ConversationID {
				return true
			}
		}
		return false
	}
	if f, _ := console.Wait(t, 10*time.Second, func(f apptest.Frame) bool { return f.Type == "handoff" }); !hasHandoff(f) {
		t.Fatalf("got %s, want the student's handoff", f.Raw)
	}
	release()
	if first := console.WaitType(t, 10*time.Second, "queue"); hasHandoff(first) {
		t.Fatalf("the held first queue %s already has the handoff: it was read too late for this test", first.Raw)
	}
	if again := console.WaitType(t, 10*time.Second, "queue"); !hasHandoff(again) {
		t.Fatalf("the queue sent after %s lacks the handoff", again.Raw)
	}
}
