package handoff_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"xinqiao/internal/apptest"
	"xinqiao/internal/xinqiao"
)

// failJoinOnce wraps a store so that the first join of a review meets a
// store error: whichever step of it reaches the store first, the mode
// change (SetMode) or the join itself (JoinHandoff), fails once, as a lost
// connection would, before touching the database.
type failJoinOnce struct {
	xinqiao.Store
	failed atomic.Bool
}

var errInjected = errors.New("store unavailable: connection reset (fault injected by the test)")

func (f *failJoinOnce) fault() error {
	if f.failed.CompareAndSwap(false, true) {
		return errInjected
	}
	return nil
}

// SetMode implements xinqiao.ConversationStore.
func (f *failJoinOnce) SetMode(ctx context.Context, conversationID, mode string) error {
	if err := f.fault(); err != nil {
		return err
	}
	return f.Store.SetMode(ctx, conversationID, mode)
}

// JoinHandoff implements xinqiao.HandoffStore.
func (f *failJoinOnce) JoinHandoff(ctx context.Context, id, staffID string, at time.Time) (xinqiao.Handoff, error) {
	if err := f.fault(); err != nil {
		return xinqiao.Handoff{}, err
	}
	return f.Store.JoinHandoff(ctx, id, staffID, at)
}

// claimedReview has a student say something medium and 王老师 claim the
// review it opens, to read it.
func claimedReview(t *testing.T, s *apptest.Server) (*apptest.Staff, *apptest.Client, xinqiao.Handoff) {
	t.Helper()
	s.AddStaff(t, "wang", xinqiao.RoleCounselor, "王老师")
	wang := s.Login(t, "wang")
	sess := s.NewSession(t, `{"lang":"zh"}`)
	student := s.DialStudent(t, sess.Token)
	student.Message(t, "m1", "有时候觉得活着没什么意思，不想活了")
	student.Wait(t, wait, isAnswer)
	var queue struct{ Handoffs []xinqiao.Handoff }
	wang.Do(t, "GET", "/api/handoffs?kind=review&status=waiting", nil, &queue)
	var h xinqiao.Handoff
	for _, q := range queue.Handoffs {
		if q.ConversationID == sess.ConversationID {
			h = q
		}
	}
	if h.ID == "" {
		t.Fatalf("precondition: no review of the conversation in %+v", queue.Handoffs)
	}
	if code := wang.Do(t, "POST", "/api/handoffs/"+h.ID+"/claim", nil, nil); code != 200 {
		t.Fatalf("claim: got %d", code)
	}
	return wang, student, h
}

// joinLines counts the lines telling the student 王老师 joined, and
// whether a frame said so.
func joinLines(fs []apptest.Frame) (lines int, joined bool) {
	for _, f := range fs {
		if f.Type == "message" && f.Role == xinqiao.RoleSystem && strings.Contains(f.Text, "王老师加入了对话") {
			lines++
		}
		joined = joined || (f.Type == "handoff" && f.State == "joined" && f.Counselor == "王老师")
	}
	return lines, joined
}

// rest returns the frames that arrive until the socket is quiet for d.
func rest(c *apptest.Client, d time.Duration) []apptest.Frame {
	var fs []apptest.Frame
	for f, ok := c.TryNext(d); ok; f, ok = c.TryNext(d) {
		fs = append(fs, f)
	}
	return fs
}

// TestJoinAfterAFailedJoin: the counselor's first message in a review they
// claimed meets a store error while joining. It is refused, and the
// counselor's next message joins: it reaches the student, who is told once
// that 王老师 joined, and the AI stays quiet while they talk.
func TestJoinAfterAFailedJoin(t *testing.T) {
	eachEngine(t, func(t *testing.T, open func(tb testing.TB) xinqiao.Store) {
		clk := apptest.NewClock(time.Now())
		var faulty *failJoinOnce
		s := boot(t, func(tb testing.TB) xinqiao.Store {
			faulty = &failJoinOnce{Store: open(tb)}
			return faulty
		}, clk)
		wang, student, h := claimedReview(t, s)

		var bad struct {
			Error struct{ Code, Message string } `json:"error"`
		}
		if code := wang.Do(t, "POST", "/api/handoffs/"+h.ID+"/messages", map[string]string{"text": "你好，我是王老师", "client_id": "w1"}, &bad); code < 500 {
			t.Fatalf("the first message, whose join met a store error: got %d %+v, want a server error", code, bad)
		}
		if !faulty.failed.Load() {
			t.Fatal("precondition: the join never reached the store")
		}
		if code := wang.Do(t, "POST", "/api/handoffs/"+h.ID+"/messages", map[string]string{"text": "你好，我是王老师", "client_id": "w1"}, &bad); code != 201 {
			t.Fatalf("the counselor's next message after a failed join: got %d %+v, want 201", code, bad)
		}
		reply, skipped := student.Wait(t, wait, func(f apptest.Frame) bool { return f.Type == "message" && f.Role == xinqiao.RoleCounselor })
		if reply.Text != "你好，我是王老师" {
			t.Fatalf("student got %s, want the counselor's message", reply.Raw)
		}
		// Everything the student saw, with what follows the message.
		c2 := wang.Do(t, "POST", "/api/handoffs/"+h.ID+"/messages", map[string]string{"text": "想和我聊聊吗？", "client_id": "w2"}, &bad)
		if c2 != 201 {
			t.Fatalf("the second message after the join: got %d %+v", c2, bad)
		}
		second, more := student.Wait(t, wait, func(f apptest.Frame) bool { return f.Type == "message" && f.Role == xinqiao.RoleCounselor })
		lines, joined := joinLines(append(append(append(skipped, more...), second), rest(student, 500*time.Millisecond)...))
		if lines != 1 || !joined || second.Text != "想和我聊聊吗？" {
			t.Fatalf("the student saw %d join lines (joined frame %v) and then %q; want one line, the joined frame and the second message", lines, joined, second.Text)
		}
		got, err := s.Store.Handoff(context.Background(), h.ID)
		if err != nil || got.Kind != xinqiao.KindRequested || got.State != xinqiao.HandoffActive || got.Counselor != wang.Me.ID {
			t.Fatalf("handoff after the join: %+v, %v; want it active, 王老师's, requested", got, err)
		}
		// While they talk the AI is quiet.
		student.Message(t, "m2", "嗯，谢谢老师")
		student.WaitType(t, wait, "ack")
		student.Quiet(t, 700*time.Millisecond, isAnswer)
	})
}

// meetAtJoin wraps a store so that, once armed, the first two joins (or
// handoff opens, which the join once was) wait for each other: two
// messages sent at once both read the review before either joins it.
type meetAtJoin struct {
	xinqiao.Store
	left atomic.Int32
	met  chan struct{}
}

func (m *meetAtJoin) arm() { m.met = make(chan struct{}); m.left.Store(2) }

func (m *meetAtJoin) meet() {
	switch m.left.Add(-1) {
	case 0:
		close(m.met)
	case 1:
		select {
		case <-m.met:
		case <-time.After(wait):
		}
	}
}

// OpenHandoff implements xinqiao.HandoffStore.
func (m *meetAtJoin) OpenHandoff(ctx context.Context, nh xinqiao.NewHandoff) (xinqiao.Handoff, bool, bool, error) {
	m.meet()
	return m.Store.OpenHandoff(ctx, nh)
}

// JoinHandoff implements xinqiao.HandoffStore.
func (m *meetAtJoin) JoinHandoff(ctx context.Context, id, staffID string, at time.Time) (xinqiao.Handoff, error) {
	m.meet()
	return m.Store.JoinHandoff(ctx, id, staffID, at)
}

// TestTwoMessagesJoinOnce: two messages the counselor sends at once into a
// review they claimed, both read as a review, both reach the student, who
// is told once that 王老师 joined.
func TestTwoMessagesJoinOnce(t *testing.T) {
	eachEngine(t, func(t *testing.T, open func(tb testing.TB) xinqiao.Store) {
		clk := apptest.NewClock(time.Now())
		var meeting *meetAtJoin
		s := boot(t, func(tb testing.TB) xinqiao.Store {
			meeting = &meetAtJoin{Store: open(tb)}
			return meeting
		}, clk)
		wang, student, h := claimedReview(t, s)
		rest(student, 300*time.Millisecond)
		meeting.arm()
		codes := make(chan int, 2)
		for _, id := range []string{"w1", "w2"} {
			go func() {
				code := 0 // sent even when Do fails the test and ends this goroutine
				defer func() { codes <- code }()
				code = wang.Do(t, "POST", "/api/handoffs/"+h.ID+"/messages", map[string]string{"text": "老师在这里 " + id, "client_id": id}, nil)
			}()
		}
		for range 2 {
			if code := <-codes; code != 201 {
				t.Fatalf("a message sent with another into the review: got %d, want 201", code)
			}
		}
		if meeting.left.Load() > 0 {
			t.Fatal("precondition: the two messages did not both try to join")
		}
		var fs []apptest.Frame
		for n := 0; n < 2; {
			f, skipped := student.Wait(t, wait, func(f apptest.Frame) bool { return f.Type == "message" && f.Role == xinqiao.RoleCounselor })
			fs, n = append(append(fs, skipped...), f), n+1
		}
		if lines, joined := joinLines(append(fs, rest(student, 500*time.Millisecond)...)); lines != 1 || !joined {
			t.Fatalf("the student saw %d join lines (joined frame %v), want one line and the joined frame", lines, joined)
		}
	})
}

// joinBeforeRaise wraps a store so that, once armed, the next urgent open
// first lets a counselor's join land (before, a real HTTP request): the
// counselor's first message in a review they read reaches the store after
// the student's risky message was read as raising a review, before the
// raise itself.
type joinBeforeRaise struct {
	xinqiao.Store
	before atomic.Pointer[func()]
}

// OpenHandoff implements xinqiao.HandoffStore.
func (j *joinBeforeRaise) OpenHandoff(ctx context.Context, nh xinqiao.NewHandoff) (xinqiao.Handoff, bool, bool, error) {
	if nh.Kind == xinqiao.KindUrgent {
		if fn := j.before.Swap(nil); fn != nil {
			(*fn)()
		}
	}
	return j.Store.OpenHandoff(ctx, nh)
}

// TestJoinedJustBeforeTheRaise: a counselor joins a review (writes to the
// student) just as the student's next message raises it to urgent. The
// counselor is in the chat, so the raised handoff stays theirs: it does not
// go back to the queue, and their next message reaches the student.
func TestJoinedJustBeforeTheRaise(t *testing.T) {
	eachEngine(t, func(t *testing.T, open func(tb testing.TB) xinqiao.Store) {
		clk := apptest.NewClock(time.Now())
		var racing *joinBeforeRaise
		s := boot(t, func(tb testing.TB) xinqiao.Store {
			racing = &joinBeforeRaise{Store: open(tb)}
			return racing
		}, clk)
		wang, student, h := claimedReview(t, s)
		rest(student, 300*time.Millisecond)
		joined := make(chan int, 1)
		join := func() {
			joined <- wang.Do(t, "POST", "/api/handoffs/"+h.ID+"/messages", map[string]string{"text": "你好，我是王老师", "client_id": "w1"}, nil)
		}
		racing.before.Store(&join)
		student.Message(t, "m2", "我今晚就从楼顶跳下去")
		student.WaitType(t, wait, "crisis")
		if code := <-joined; code != 201 {
			t.Fatalf("the counselor's message that joins the review: got %d, want 201", code)
		}
		student.Wait(t, wait, func(f apptest.Frame) bool { return f.Type == "message" && f.Role == xinqiao.RoleCounselor })
		rest(student, 500*time.Millisecond)
		got, err := s.Store.Handoff(context.Background(), h.ID)
		if err != nil || got.Kind != xinqiao.KindUrgent || got.State != xinqiao.HandoffActive || got.Counselor != wang.Me.ID {
			t.Fatalf("handoff after the raise: %+v, %v; want it urgent, active and still 王老师's", got, err)
		}
		var bad struct {
			Error struct{ Code, Message string } `json:"error"`
		}
		if code := wang.Do(t, "POST", "/api/handoffs/"+h.ID+"/messages", map[string]string{"text": "我在这里陪你", "client_id": "w2"}, &bad); code != 201 {
			t.Fatalf("the counselor's next message: got %d %+v, want 201", code, bad)
		}
		if f, _ := student.Wait(t, wait, func(f apptest.Frame) bool { return f.Type == "message" && f.Role == xinqiao.RoleCounselor }); f.Text != "我在这里陪你" {
			t.Fatalf("student got %s", f.Raw)
		}
	})
}
