package chat_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"xinqiao/internal/app"
	"xinqiao/internal/apptest"
	"xinqiao/internal/storetest"
	"xinqiao/internal/xinqiao"
)

// countingStore wraps a real store and counts the calls of the message path
// that are not the writes themselves: reads of messages and of the
// conversation, and events published.
type countingStore struct {
	xinqiao.Store
	messages, conversations, publishes atomic.Int64
}

// Messages implements xinqiao.ConversationStore.
func (c *countingStore) Messages(ctx context.Context, id string, after int64, limit int) ([]xinqiao.Message, error) {
	c.messages.Add(1)
	return c.Store.Messages(ctx, id, after, limit)
}

// Conversation implements xinqiao.ConversationStore.
func (c *countingStore) Conversation(ctx context.Context, id string) (xinqiao.Conversation, error) {
	c.conversations.Add(1)
	return c.Store.Conversation(ctx, id)
}

// Publish implements xinqiao.Broker.
func (c *countingStore) Publish(ctx context.Context, e xinqiao.Event) error {
	c.publishes.Add(1)
	return c.Store.Publish(ctx, e)
}

func (c *countingStore) counts() [3]int64 {
	return [3]int64{c.messages.Load(), c.conversations.Load(), c.publishes.Load()}
}

// TestStoreCallsPerMessage counts what one ordinary student message and its
// answer cost the store beyond the writes: the node delivers what it has
// just stored without reading it back, and its own events read nothing, so
// a message takes one read of messages (the answer's history), one of the
// conversation (its mode and risk) and one event (the answer's, which
// covers the message's).
func TestStoreCallsPerMessage(t *testing.T) {
	questions := []string{"明天考试，我紧张得睡不着怎么办", "我和同学吵架了，现在很难受", "最近总是学不进去，心里很烦",
		"考试前一晚总是失眠怎么办", "和爸妈说不上话，觉得很孤单", "上课总走神，成绩一直往下掉"}
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			cs := &countingStore{Store: e.Open(t)}
			// The message's event waits for its answer's however slow the
			// machine: each answer comes within wait, or the test fails.
			srv := apptest.Start(t, cs, app.Options{AnswerEventWait: 2 * wait})
			sess := srv.NewSession(t, "")
			c := srv.DialStudent(t, sess.Token)
			c.Message(t, "q0", questions[0])
			c.Wait(t, wait, isAssistant)
			time.Sleep(300 * time.Millisecond) // the node's own events come back after the answer
			before := cs.counts()
			n := int64(len(questions) - 1)
			for i, q := range questions[1:] {
				c.Message(t, fmt.Sprintf("q%d", i+1), q)
				c.Wait(t, wait, isAssistant)
			}
			time.Sleep(300 * time.Millisecond)
			after := cs.counts()
			want := [3]int64{1, 1, 1}
			for i, name := range []string{"reads of messages", "reads of the conversation", "events published"} {
				if got := after[i] - before[i]; got > want[i]*n {
					t.Errorf("%d %s for %d messages, want at most %d a message", got, name, n, want[i])
				}
			}
		})
	}
}
