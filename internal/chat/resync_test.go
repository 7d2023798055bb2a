package chat_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"

	"xinqiao/internal/app"
	"xinqiao/internal/apptest"
	"xinqiao/internal/storetest"
	"xinqiao/internal/xinqiao"
)

// deafStore is a real store whose node stops hearing events for a while,
// as a node does while its PostgreSQL listener reconnects: the events
// published meanwhile never reach it, and when it hears again every
// subscriber gets a "resync" event, as the broker sends after a reconnect.
type deafStore struct {
	xinqiao.Store
	deaf atomic.Bool

	mu      sync.Mutex
	subs    []func(xinqiao.Event)
	dropped map[string]int // handoff id → handoff events dropped (one per subscriber)
	cond    *sync.Cond
}

func newDeafStore(s xinqiao.Store) *deafStore {
	d := &deafStore{Store: s, dropped: map[string]int{}}
	d.cond = sync.NewCond(&d.mu)
	return d
}

func (d *deafStore) Subscribe(ctx context.Context, fn func(xinqiao.Event)) {
	d.mu.Lock()
	d.subs = append(d.subs, fn)
	d.mu.Unlock()
	d.Store.Subscribe(ctx, func(e xinqiao.Event) {
		if !d.deaf.Load() {
			fn(e)
			return
		}
		if e.Kind == "handoff" {
			d.mu.Lock()
			d.dropped[e.HandoffID]++
			d.cond.Broadcast()
			d.mu.Unlock()
		}
	})
}

// waitDropped waits until every subscriber missed a handoff event of id.
func (d *deafStore) waitDropped(id string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for d.dropped[id] < len(d.subs) {
		d.cond.Wait()
	}
}

// hear ends the deafness with a resync, as a reconnected listener does.
func (d *deafStore) hear() {
	d.deaf.Store(false)
	d.mu.Lock()
	subs := append([]func(xinqiao.Event){}, d.subs...)
	d.mu.Unlock()
	for _, fn := range subs {
		fn(xinqiao.Event{Kind: "resync"})
	}
}

// TestHandoffClosedWhileTheNodeWasDeaf: a counselor closes the handoff
// while the student's node hears no events (its listener is reconnecting).
// After the resync the student's page learns the handoff ended and the AI
// answers the student again: the node must not keep the conversation
// locked, acking the student's messages and answering none.
func TestHandoffClosedWhileTheNodeWasDeaf(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			store := newDeafStore(e.Open(t))
			s := apptest.Start(t, store, app.Options{})
			s.AddStaff(t, "wang", xinqiao.RoleCounselor, "王老师")
			wang := s.Login(t, "wang")
			sess := s.NewSession(t, "")
			c := s.DialStudent(t, sess.Token)
			c.Message(t, "x1", riskyText)
			id := claimTheWaiting(t, wang, c)

			store.deaf.Store(true)
			if code := wang.Do(t, "POST", "/api/handoffs/"+id+"/close", map[string]string{"outcome": "resolved"}, nil); code != 200 {
				t.Fatalf("close: got %d", code)
			}
			store.waitDropped(id)
			store.hear()

			_, skipped := c.Wait(t, wait, func(f apptest.Frame) bool { return f.Type == "handoff" && f.State == "ended" })
			if systemLines(skipped, "老师离开了对话") != 1 {
				t.Fatalf("after the resync: got %s, want the line that the teacher left", describe(skipped))
			}
			c.Message(t, "x2", "明天要考试，有点紧张，怎么办")
			c.WaitType(t, wait, "ack")
			c.Wait(t, wait, isAssistant)
		})
	}
}
