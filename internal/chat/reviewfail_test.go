package chat_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"xinqiao/internal/app"
	"xinqiao/internal/apptest"
	"xinqiao/internal/storetest"
	"xinqiao/internal/xinqiao"
)

// failReviewOnce wraps a real store so that the first review to open meets
// a store error, as a connection lost for a moment would; everything else,
// the message's own append included, goes through.
type failReviewOnce struct {
	xinqiao.Store
	failed atomic.Bool
}

// OpenHandoff implements xinqiao.HandoffStore.
func (f *failReviewOnce) OpenHandoff(ctx context.Context, nh xinqiao.NewHandoff) (xinqiao.Handoff, bool, bool, error) {
	if nh.Kind == xinqiao.KindReview && f.failed.CompareAndSwap(false, true) {
		return xinqiao.Handoff{}, false, false, fmt.Errorf("%w: %w", xinqiao.Errorf(xinqiao.EUNAVAILABLE, "the database cannot be reached just now"), errors.New("connection reset (fault injected by the test)"))
	}
	return f.Store.OpenHandoff(ctx, nh)
}

// TestReviewThatFailedToOpenIsNotLost: a medium message is stored and
// acked, and its review meets a store error once. The message's turn must
// not be answered and done with the review never opened: the review opens
// (here at the sweep), and then the student gets the answer.
func TestReviewThatFailedToOpenIsNotLost(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			faulty := &failReviewOnce{Store: e.Open(t)}
			s := apptest.Start(t, faulty, app.Options{})
			sess := s.NewSession(t, `{"lang":"zh"}`)
			c := s.DialStudent(t, sess.Token)
			c.Message(t, "m1", "有时候觉得活着没什么意思，不想活了") // medium (TestMediumIdeationOpensAReview)
			c.WaitType(t, wait, "ack")
			// The answer comes from this node at once, or from a sweep
			// after the turn was handed to it: sweep until it comes.
			deadline := time.Now().Add(wait)
			for answered := false; !answered; {
				if time.Now().After(deadline) {
					t.Fatal("no answer to the medium message")
				}
				if _, err := s.App.Chat.RecoverTurns(context.Background()); err != nil {
					t.Fatal(err)
				}
				for f, ok := c.TryNext(200 * time.Millisecond); ok && !answered; f, ok = c.TryNext(200 * time.Millisecond) {
					answered = isAssistant(f)
				}
			}
			if !faulty.failed.Load() {
				t.Fatal("precondition: no review was tried")
			}
			hs := handoffsOf(t, s.Store, sess.ConversationID)
			if len(hs) != 1 || hs[0].Kind != xinqiao.KindReview || hs[0].State != xinqiao.HandoffWaiting {
				t.Fatalf("after the answer: got handoffs %+v, want the review waiting", hs)
			}
		})
	}
}
