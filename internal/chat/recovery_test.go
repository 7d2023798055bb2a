package chat_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"xinqiao/internal/app"
	"xinqiao/internal/apptest"
	"xinqiao/internal/config"
	"xinqiao/internal/openai/openaitest"
	"xinqiao/internal/storetest"
	"xinqiao/internal/xinqiao"
)

// afterLeases is past every lease a node holds on a turn it acked.
const afterLeases = 3 * time.Minute

const riskyText = "我不想活了，今晚就从楼顶跳下去"

// crash is the test hook that stops the pipeline right after every ack, as
// a node killed there would.
func crash(string, int64) bool { return true }

// handoffsOf returns the handoffs of a conversation.
func handoffsOf(t *testing.T, s xinqiao.Store, convID string) []xinqiao.Handoff {
	t.Helper()
	hs, err := s.Handoffs(context.Background(), xinqiao.HandoffFilter{ConversationID: convID})
	if err != nil {
		t.Fatal(err)
	}
	return hs
}

// noTurnsLeft fails the test if any turn is still pending.
func noTurnsLeft(t *testing.T, s xinqiao.Store, now time.Time) {
	t.Helper()
	ts, err := s.ClaimStaleTurns(context.Background(), now.Add(time.Hour), now.Add(2*time.Hour), 10)
	if err != nil || len(ts) != 0 {
		t.Fatalf("got pending turns %+v, %v; want every turn done", ts, err)
	}
}

// TestCrashAfterAckIsFinishedOnRestart: a node acks a risky message and a
// plain question and dies before doing anything else. A new node on the
// same store opens the handoff and sends the answer.
func TestCrashAfterAckIsFinishedOnRestart(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			store := e.Open(t)
			clk := apptest.NewClock(time.Now())
			a := apptest.Start(t, store, app.Options{Now: clk.Now, Node: "a", AfterAck: crash})
			risky, plain := a.NewSession(t, ""), a.NewSession(t, `{"lang":"en"}`)
			rc, pc := a.DialStudent(t, risky.Token), a.DialStudent(t, plain.Token)
			rc.Message(t, "k1", riskyText)
			rc.WaitType(t, wait, "ack")
			pc.Message(t, "k2", "I can't sleep the night before a test, what can I do?")
			pc.WaitType(t, wait, "ack")
			pc.Quiet(t, 300*time.Millisecond, isAssistant)
			a.Stop()
			if hs := handoffsOf(t, store, risky.ConversationID); len(hs) != 0 {
				t.Fatalf("the crashed node opened %d handoffs; the hook did not stop it", len(hs))
			}

			clk.Add(afterLeases)
			b := apptest.Start(t, store, app.Options{Now: clk.Now, Node: "b"})
			rc = b.DialStudent(t, risky.Token)
			rc.WaitType(t, wait, "crisis")
			if f := rc.WaitType(t, wait, "handoff"); f.State != "waiting" {
				t.Fatalf("got %s, want the handoff waiting", f.Raw)
			}
			hs := handoffsOf(t, store, risky.ConversationID)
			if len(hs) != 1 || hs[0].State != xinqiao.HandoffWaiting || hs[0].MessageSeq != 1 {
				t.Fatalf("got handoffs %+v, want one waiting for message 1", hs)
			}

			pc = b.DialStudent(t, plain.Token)
			pc.Send(t, map[string]any{"type": "resume", "after_seq": 0})
			ans, _ := pc.Wait(t, wait, isAssistant)
			if ans.Seq != 2 || !ans.AIGenerated || len(ans.Sources) == 0 {
				t.Fatalf("got %s, want the answer at seq 2 with sources", ans.Raw)
			}
			noTurnsLeft(t, store, clk.Now())
		})
	}
}

// TestResendOfAnAckedMessageFinishesItsTurn: a resend of a message whose
// turn is still pending is not treated as handled: a risky one opens its
// handoff at once; a plain one is answered once the lease of the node that
// acked it has run out.
func TestResendOfAnAckedMessageFinishesItsTurn(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			clk := apptest.NewClock(time.Now())
			s := apptest.Start(t, e.Open(t), app.Options{Now: clk.Now, AfterAck: crash})
			sess := s.NewSession(t, "")
			c := s.DialStudent(t, sess.Token)
			c.Message(t, "r1", riskyText)
			first := c.WaitType(t, wait, "ack")
			c.Quiet(t, 300*time.Millisecond, func(f apptest.Frame) bool { return f.Type == "handoff" })
			c.Message(t, "r1", riskyText)
			again, skipped := c.Wait(t, wait, func(f apptest.Frame) bool { return f.Type == "ack" })
			if again.Seq != first.Seq {
				t.Fatalf("got seq %d for the resend, want %d", again.Seq, first.Seq)
			}
			if !slices.ContainsFunc(skipped, func(f apptest.Frame) bool { return f.Type == "crisis" }) {
				c.WaitType(t, wait, "crisis") // the card goes out as the resend is read, before its ack
			}
			c.WaitType(t, wait, "handoff")
			if hs := handoffsOf(t, s.Store, sess.ConversationID); len(hs) != 1 {
				t.Fatalf("got %d handoffs, want 1", len(hs))
			}

			other := s.NewSession(t, "")
			d := s.DialStudent(t, other.Token)
			d.Message(t, "p1", "明天考试，我紧张得睡不着怎么办")
			d.WaitType(t, wait, "ack")
			d.Message(t, "p1", "明天考试，我紧张得睡不着怎么办")
			d.WaitType(t, wait, "ack")
			d.Quiet(t, 300*time.Millisecond, isAssistant) // the lease of the node that acked it still runs
			clk.Add(afterLeases)
			d.Message(t, "p1", "明天考试，我紧张得睡不着怎么办")
			d.WaitType(t, wait, "ack")
			if ans, _ := d.Wait(t, wait, isAssistant); ans.Seq != 2 || len(ans.Sources) == 0 {
				t.Fatalf("got %s, want the answer at seq 2", ans.Raw)
			}
			noTurnsLeft(t, s.Store, clk.Now())
		})
	}
}

// TestRiskyMessageDuringOutageOpensHandoffOnResend: a risky message sent
// while the database is away is not stored, yet the crisis card goes out;
// the page's resend (same client_id) once the database is back stores it
// and opens the handoff, exactly once however often it is resent.
func TestRiskyMessageDuringOutageOpensHandoffOnResend(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			db := storetest.NewOutage(e.Open(t))
			s := apptest.Start(t, db, app.Options{})
			sess := s.NewSession(t, "")
			c := s.DialStudent(t, sess.Token)
			c.Message(t, "w", "你好")
			c.Wait(t, wait, isAssistant)

			db.Down()
			c.Message(t, "d1", riskyText)
			var gotCrisis, gotNotStored bool
			for !(gotCrisis && gotNotStored) {
				f := c.Next(t, wait)
				switch {
				case f.Type == "crisis":
					gotCrisis = len(f.Hotlines) > 0
				case f.Type == "error" && f.Code == "not_stored" && f.ClientID == "d1":
					gotNotStored = true
				case f.Type == "ack" && f.ClientID == "d1":
					t.Fatal("acknowledged a message the store could not keep")
				}
			}

			db.Up()
			handoff := false
			for range 3 { // the page's resends, one after another
				c.Message(t, "d1", riskyText)
				f, skipped := c.Wait(t, wait, func(f apptest.Frame) bool { return f.Type == "ack" })
				if f.ClientID != "d1" {
					t.Fatalf("got %s, want the ack of d1", f.Raw)
				}
				for _, f := range skipped {
					handoff = handoff || f.Type == "handoff"
				}
			}
			if !handoff {
				c.WaitType(t, wait, "handoff")
			}
			time.Sleep(300 * time.Millisecond) // a late second opening would show now
			hs := handoffsOf(t, s.Store, sess.ConversationID)
			if len(hs) != 1 || hs[0].State != xinqiao.HandoffWaiting {
				t.Fatalf("got handoffs %+v, want exactly one waiting", hs)
			}
			ms, err := s.Store.Messages(context.Background(), sess.ConversationID, 0, 20)
			if err != nil {
				t.Fatal(err)
			}
			stored := 0
			for _, m := range ms {
				if m.ClientID == "d1" {
					stored++
				}
			}
			if stored != 1 {
				t.Fatalf("the risky message was stored %d times, want once", stored)
			}
			noTurnsLeft(t, s.Store, time.Now())
		})
	}
}

// TestGracefulStopHandsOverTheAnswer: a node stopping while an answer is
// being written hands its turn over, and the next node answers at once,
// without waiting out the stopped node's lease (the clock does not move).
func TestGracefulStopHandsOverTheAnswer(t *testing.T) {
	llm := openaitest.NewServer(t)
	withLLM := func(c *config.Config) { c.OpenAIBaseURL, c.ChatModel = llm.BaseURL(), "test-model" }
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			store := e.Open(t)
			clk := apptest.NewClock(time.Now())
			a := apptest.Start(t, store, app.Options{Now: clk.Now, Node: "a"}, withLLM)
			sess := a.NewSession(t, "")
			c := a.DialStudent(t, sess.Token)
			asked := len(llm.ChatRequests())
			llm.Enqueue(openaitest.Reply{Chunks: []string{"考试前紧张很常见。"}, FirstDelay: time.Hour})
			c.Message(t, "g1", "明天考试，我紧张得睡不着怎么办")
			c.WaitType(t, wait, "ack")
			deadline := time.Now().Add(wait)
			for len(llm.ChatRequests()) == asked { // node a is writing the answer
				if time.Now().After(deadline) {
					t.Fatal("node a never asked the model")
				}
				time.Sleep(10 * time.Millisecond)
			}
			a.Stop()

			llm.Enqueue(openaitest.Reply{Chunks: []string{"考试前紧张很常见，", "可以慢慢深呼吸[1]。"}})
			b := apptest.Start(t, store, app.Options{Now: clk.Now, Node: "b"}, withLLM)
			d := b.DialStudent(t, sess.Token)
			d.Send(t, map[string]any{"type": "resume", "after_seq": 0})
			if ans, _ := d.Wait(t, wait, isAssistant); ans.Seq != 2 || !strings.Contains(ans.Text, "深呼吸") {
				t.Fatalf("got %s, want node b's answer at seq 2", ans.Raw)
			}
			noTurnsLeft(t, store, clk.Now())
		})
	}
}

// answersIn counts the assistant messages of a conversation.
func answersIn(t *testing.T, s xinqiao.Store, convID string) int {
	t.Helper()
	ms, err := s.Messages(context.Background(), convID, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, m := range ms {
		if m.Role == xinqiao.RoleAssistant {
			n++
		}
	}
	return n
}

// oneAnswerToThree resumes, on node b, a conversation whose three student
// messages were acked by a node that stopped, and checks that they get one
// answer (seq 4) between them, on the socket and in the store.
func oneAnswerToThree(t *testing.T, b *apptest.Server, store xinqiao.Store, sess apptest.Session) {
	t.Helper()
	d := b.DialStudent(t, sess.Token)
	d.Send(t, map[string]any{"type": "resume", "after_seq": 3})
	if ans, _ := d.Wait(t, wait, isAssistant); ans.Seq != 4 {
		t.Fatalf("got %s, want one answer at seq 4", ans.Raw)
	}
	d.Quiet(t, 500*time.Millisecond, func(f apptest.Frame) bool { return isAssistant(f) && f.Seq != 4 })
	if n := answersIn(t, store, sess.ConversationID); n != 1 {
		t.Fatalf("got %d answers to the three messages, want 1", n)
	}
}

// TestMergedMessagesOfACrashedNodeAreAnsweredOnce: a node acks three
// messages of one student and dies before answering. The next node's sweep
// takes their turns together and sends one answer to the three, not three.
func TestMergedMessagesOfACrashedNodeAreAnsweredOnce(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			store := e.Open(t)
			clk := apptest.NewClock(time.Now())
			a := apptest.Start(t, store, app.Options{Now: clk.Now, Node: "a", AfterAck: crash})
			sess := a.NewSession(t, "")
			c := a.DialStudent(t, sess.Token)
			for i, q := range []string{"明天考试", "我紧张得睡不着", "怎么办"} {
				c.Message(t, fmt.Sprint("m", i), q)
				c.WaitType(t, wait, "ack")
			}
			a.Stop()

			clk.Add(afterLeases)
			b := apptest.Start(t, store, app.Options{Now: clk.Now, Node: "b"})
			oneAnswerToThree(t, b, store, sess)
			noTurnsLeft(t, store, clk.Now())
		})
	}
}

// TestMergedTurnOfAStoppedNodeIsAnsweredOnce: messages merged into one
// waiting turn while the only answer slot is held survive their node's
// stop: the next node answers them once, the holder's message once.
func TestMergedTurnOfAStoppedNodeIsAnsweredOnce(t *testing.T) {
	llm := openaitest.NewServer(t)
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			release := holdAnswers(t, llm)
			store := e.Open(t)
			clk := apptest.NewClock(time.Now())
			withLLM := oneSlot(llm)
			a := apptest.Start(t, store, app.Options{Now: clk.Now, Node: "a"}, withLLM)
			asked := len(llm.ChatRequests())
			holder := a.NewSession(t, "")
			h := a.DialStudent(t, holder.Token)
			h.Message(t, "h", "明天考试，我紧张得睡不着怎么办")
			h.WaitType(t, wait, "ack")
			waitAsked(t, llm, asked)
			sess := a.NewSession(t, "")
			c := a.DialStudent(t, sess.Token)
			for i, q := range []string{"明天考试", "我紧张得睡不着", "怎么办"} {
				c.Message(t, fmt.Sprint("m", i), q)
				c.WaitType(t, wait, "ack")
			}
			a.Stop()
			release()

			clk.Add(afterLeases) // past every lease, whether handed over or not
			b := apptest.Start(t, store, app.Options{Now: clk.Now, Node: "b"}, withLLM)
			oneAnswerToThree(t, b, store, sess)
			hd := b.DialStudent(t, holder.Token)
			hd.Send(t, map[string]any{"type": "resume", "after_seq": 1})
			hd.Wait(t, wait, isAssistant)
			noTurnsLeft(t, store, clk.Now())
		})
	}
}

// TestSlowAnswerKeepsItsLease: an answer that takes longer than its lease
// (the model is slow) is not taken by another node's sweep: the node
// writing it renews the lease, and the message is answered once.
func TestSlowAnswerKeepsItsLease(t *testing.T) {
	llm := openaitest.NewServer(t)
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			release := holdAnswers(t, llm)
			store := e.Open(t)
			clk := apptest.NewClock(time.Now())
			withLLM := func(c *config.Config) {
				c.OpenAIBaseURL, c.ChatModel = llm.BaseURL(), "test-model"
				c.LLMStall = time.Minute
			}
			a := apptest.Start(t, store, app.Options{Now: clk.Now, Node: "a"}, withLLM)
			b := apptest.Start(t, store, app.Options{Now: clk.Now, Node: "b"}, withLLM)
			asked := len(llm.ChatRequests())
			sess := a.NewSession(t, "")
			c := a.DialStudent(t, sess.Token)
			c.Message(t, "s1", "明天考试，我紧张得睡不着怎么办")
			c.WaitType(t, wait, "ack")
			waitAsked(t, llm, asked) // node a is writing the answer

			ctx := context.Background()
			clk.Add(90 * time.Second) // inside the lease: a's sweep renews it
			if _, err := a.App.Chat.RecoverTurns(ctx); err != nil {
				t.Fatal(err)
			}
			clk.Add(time.Minute) // past the first lease
			if n, err := b.App.Chat.RecoverTurns(ctx); err != nil || n != 0 {
				t.Fatalf("node b's sweep took %d turns (%v), want none: node a is still answering", n, err)
			}
			release()
			if ans, _ := c.Wait(t, wait, isAssistant); ans.Seq != 2 {
				t.Fatalf("got %s, want the answer at seq 2", ans.Raw)
			}
			c.Quiet(t, 500*time.Millisecond, isAssistant)
			if n := answersIn(t, store, sess.ConversationID); n != 1 {
				t.Fatalf("got %d answers, want 1", n)
			}
			noTurnsLeft(t, store, clk.Now())
		})
	}
}

// TestManyTurnsOfACrashedNodeAreAnsweredOncePerConversation: a node acks
// more turns than one sweep batch takes, a conversation's turns spread over
// the batches, and dies. The next node answers each conversation once.
// (Answering batch by batch fails it on PostgreSQL; on SQLite only when a
// conversation's answer starts before the next batch is taken.)
func TestManyTurnsOfACrashedNodeAreAnsweredOncePerConversation(t *testing.T) {
	const convs, each = 7, 8 // 56 turns: more than a sweep batch (50)
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			store := e.Open(t)
			clk := apptest.NewClock(time.Now())
			a := apptest.Start(t, store, app.Options{Now: clk.Now, Node: "a", AfterAck: crash})
			var ids []string
			var cs []*apptest.Client
			for range convs {
				sess := a.NewSession(t, "")
				ids = append(ids, sess.ConversationID)
				cs = append(cs, a.DialStudent(t, sess.Token))
			}
			// One message of each conversation in turn: the sweep takes turns
			// oldest first, so each conversation's last turn is in the second batch.
			for i := range each {
				for j, c := range cs {
					c.Message(t, fmt.Sprint("m", i), "明天考试，我紧张得睡不着怎么办")
					if f := c.WaitType(t, wait, "ack"); f.Seq != int64(i+1) {
						t.Fatalf("conversation %d: got %s, want the ack at seq %d", j, f.Raw, i+1)
					}
				}
			}
			a.Stop()

			clk.Add(afterLeases)
			apptest.Start(t, store, app.Options{Now: clk.Now, Node: "b"})
			for j, id := range ids {
				for deadline := time.Now().Add(wait); answersIn(t, store, id) == 0; time.Sleep(20 * time.Millisecond) {
					if time.Now().After(deadline) {
						t.Fatalf("conversation %d was not answered", j)
					}
				}
			}
			time.Sleep(500 * time.Millisecond) // a second answer would land now
			for j, id := range ids {
				if n := answersIn(t, store, id); n != 1 {
					t.Fatalf("conversation %d got %d answers to its %d messages, want 1", j, n, each)
				}
			}
			noTurnsLeft(t, store, clk.Now())
		})
	}
}
