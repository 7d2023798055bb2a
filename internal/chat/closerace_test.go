package chat_test

import (
	"context"
	"sync/atomic"
	"testing"

	"xinqiao/internal/app"
	"xinqiao/internal/apptest"
	"xinqiao/internal/storetest"
	"xinqiao/internal/xinqiao"
)

// closeBeforeAppend wraps a store so that, once armed, the next student
// message is stored only after before has run (a counselor's close, over
// HTTP): the message was read while the counselor had the conversation and
// reaches the store after they left it.
type closeBeforeAppend struct {
	xinqiao.Store
	before atomic.Pointer[func()]
}

// AppendStudentMessage implements xinqiao.ConversationStore.
func (c *closeBeforeAppend) AppendStudentMessage(ctx context.Context, m xinqiao.NewMessage, t xinqiao.NewTurn) (xinqiao.Message, *xinqiao.PendingTurn, bool, error) {
	if fn := c.before.Swap(nil); fn != nil {
		(*fn)()
	}
	return c.Store.AppendStudentMessage(ctx, m, t)
}

// TestMessageAsTheCounselorCloses: a student asked for a teacher, who took
// the chat over; the student writes just as the counselor closes the
// handoff and gives the conversation back to the AI. The message
// reaches the store after the close, so nobody reads it live: the AI must
// answer it, not leave it acked and unanswered.
func TestMessageAsTheCounselorCloses(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			racing := &closeBeforeAppend{Store: e.Open(t)}
			s := apptest.Start(t, racing, app.Options{})
			s.AddStaff(t, "wang", xinqiao.RoleCounselor, "王老师")
			wang := s.Login(t, "wang")
			sess := s.NewSession(t, "")
			c := s.DialStudent(t, sess.Token)
			c.Send(t, map[string]string{"type": "ask_counselor"})
			id := claimTheWaiting(t, wang, c)

			closed := make(chan int, 1)
			ended := make(chan struct{}) // the page was told the handoff ended: this node knows
			closeFirst := func() {
				closed <- wang.Do(t, "POST", "/api/handoffs/"+id+"/close", map[string]string{"outcome": "resolved"}, nil)
				<-ended
			}
			racing.before.Store(&closeFirst)
			c.Message(t, "x2", "明天要考试，有点紧张，怎么办")
			c.Wait(t, wait, func(f apptest.Frame) bool { return f.Type == "handoff" && f.State == "ended" })
			close(ended)
			if code := <-closed; code != 200 {
				t.Fatalf("close: got %d", code)
			}
			c.WaitType(t, wait, "ack")
			c.Wait(t, wait, isAssistant)
		})
	}
}
