package chat_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"xinqiao/internal/app"
	"xinqiao/internal/apptest"
	"xinqiao/internal/config"
	"xinqiao/internal/openai/openaitest"
	"xinqiao/internal/storetest"
	"xinqiao/internal/xinqiao"
)

// TestOverloadedNodeKeepsAckingAndShowsTheCrisisCard holds the node's only
// answer slot with a model that does not answer: messages are still
// stored and acked, the students whose answers must wait are told so
// plainly, and a risky message gets the crisis card and its handoff
// without waiting behind the answers.
func TestOverloadedNodeKeepsAckingAndShowsTheCrisisCard(t *testing.T) {
	llm := openaitest.NewServer(t)
	llm.Default = openaitest.Reply{Chunks: []string{"好的。"}, FirstDelay: time.Minute}
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			s := apptest.Start(t, e.Open(t), app.Options{}, oneSlot(llm))
			asked := len(llm.ChatRequests())
			first := s.DialStudent(t, s.NewSession(t, "").Token)
			first.Message(t, "a1", "明天考试，我紧张得睡不着怎么办")
			first.WaitType(t, wait, "ack")
			waitAsked(t, llm, asked) // the first answer holds the slot once the model has its request

			for i := range 3 {
				c := s.DialStudent(t, s.NewSession(t, "").Token)
				id := fmt.Sprint("b", i)
				c.Message(t, id, "怎么安排复习时间比较好")
				if ack := c.WaitType(t, wait, "ack"); ack.ClientID != id || ack.Seq != 1 {
					t.Fatalf("got %s, want the ack of %s", ack.Raw, id)
				}
				n, skipped := c.Wait(t, wait, func(f apptest.Frame) bool { return f.Type == "notice" })
				if n.Code != "answer_delayed" || n.ReplyTo != id || n.Text == "" {
					t.Fatalf("got %s, want a notice that the answer to %s is delayed", n.Raw, id)
				}
				for _, f := range skipped {
					if f.Type == "error" {
						t.Fatalf("got %s, want the message taken", f.Raw)
					}
				}
			}

			risky := s.DialStudent(t, s.NewSession(t, "").Token)
			risky.Message(t, "r1", "我不想活了，今晚就从楼顶跳下去")
			var crisis, ack, handoff bool
			cards := 0
			for !(crisis && ack && handoff) {
				f := risky.Next(t, wait)
				switch {
				case f.Type == "crisis":
					crisis, cards = len(f.Hotlines) > 0, cards+1
				case f.Type == "ack" && f.ClientID == "r1":
					ack = true
				case f.Type == "handoff" && f.State == "waiting":
					handoff = true
				case f.Type == "notice" || f.Type == "error":
					t.Fatalf("got %s for a risky message", f.Raw)
				}
			}
			risky.Quiet(t, 300*time.Millisecond, func(f apptest.Frame) bool { cards += countType([]apptest.Frame{f}, "crisis"); return false })
			if cards != 1 {
				t.Fatalf("got %d crisis cards for one message, want 1", cards)
			}
			first.Quiet(t, 200*time.Millisecond, isAssistant) // the slot is still held

			// A student whose answer waits keeps writing: every message is
			// acked and joins the waiting answer, with one notice for the
			// wait; a risky one among them shows the card and opens the
			// handoff at once, and the waiting answer is dropped for the
			// counselor, its turns done.
			sess := s.NewSession(t, "")
			m := s.DialStudent(t, sess.Token)
			var frames []apptest.Frame
			for i := range 4 {
				id := fmt.Sprint("m", i)
				m.Message(t, id, "怎么安排复习时间比较好")
				f, skipped := m.Wait(t, wait, func(f apptest.Frame) bool { return f.Type == "ack" && f.ClientID == id })
				frames = append(append(frames, skipped...), f)
			}
			m.Message(t, "mr", "我不想活了，今晚就从楼顶跳下去")
			ho, skipped := m.Wait(t, wait, func(f apptest.Frame) bool { return f.Type == "handoff" && f.State == "waiting" })
			frames = append(append(frames, skipped...), ho)
			m.Quiet(t, 300*time.Millisecond, func(f apptest.Frame) bool { frames = append(frames, f); return isAssistant(f) })
			if n := countType(frames, "notice"); n != 1 {
				t.Fatalf("got %d notices for one wait, want 1: %s", n, describe(frames))
			}
			if n := countType(frames, "crisis"); n != 1 || countType(frames, "error") != 0 {
				t.Fatalf("got %d crisis cards and %d errors, want one card and no error: %s", n, countType(frames, "error"), describe(frames))
			}
			for deadline := time.Now().Add(wait); ; time.Sleep(20 * time.Millisecond) {
				if pending := pendingOf(t, s.Store, sess.ConversationID); len(pending) == 0 {
					break
				} else if time.Now().After(deadline) {
					t.Fatalf("got pending turns %v, want the waiting answer's turns done and the handoff open", pending)
				}
			}
		})
	}
}

// holdAnswers makes every answer of the model wait until the returned
// function is called (it is called when the test ends, too).
func holdAnswers(t *testing.T, llm *openaitest.Server) (release func()) {
	gate := make(chan struct{})
	llm.OnFirstChunk = func(time.Time) { <-gate }
	release = sync.OnceFunc(func() { close(gate) })
	t.Cleanup(release)
	return release
}

// oneSlot configures a node that answers with llm, one answer at a time,
// and waits a minute for a silent model.
func oneSlot(llm *openaitest.Server) func(*config.Config) {
	return func(c *config.Config) {
		c.OpenAIBaseURL, c.ChatModel = llm.BaseURL(), "test-model"
		c.AnswerSlots, c.LLMStall = 1, time.Minute
	}
}

// waitAsked waits until the model has had more than n chat requests.
func waitAsked(t *testing.T, llm *openaitest.Server, n int) {
	t.Helper()
	for deadline := time.Now().Add(wait); len(llm.ChatRequests()) <= n; {
		if time.Now().After(deadline) {
			t.Fatal("the answer never reached the model")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// sendPaced sends n messages as fast as the per-conversation rate allows
// (a burst of 8, then one a second), as a student typing fast would.
func sendPaced(t *testing.T, c *apptest.Client, n int, id, text func(i int) string) {
	t.Helper()
	for i := range n {
		if i >= 8 {
			time.Sleep(1050 * time.Millisecond)
		}
		c.Message(t, id(i), text(i))
	}
}

// TestMessagesWhileEverySlotIsHeldAreAnsweredTogether: a student writes 20
// messages while the node's only answer slot is held. Every one is acked,
// none is refused, the student is told once that the answer will take a
// moment, and once the slot is free one answer addresses the latest
// messages and completes every message's pending turn.
func TestMessagesWhileEverySlotIsHeldAreAnsweredTogether(t *testing.T) {
	llm := openaitest.NewServer(t)
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			release := holdAnswers(t, llm)
			s := apptest.Start(t, e.Open(t), app.Options{}, oneSlot(llm))
			// The model's first-token timeout (8 s) ends an answer held at the
			// model, so three students hold the slot one after another (the
			// slot is taken in the order asked) while the student writes.
			var holders []*apptest.Client
			for i := range 3 {
				asked := len(llm.ChatRequests())
				h := s.DialStudent(t, s.NewSession(t, "").Token)
				h.Message(t, "h", "明天考试，我紧张得睡不着怎么办")
				h.WaitType(t, wait, "ack")
				if i == 0 {
					waitAsked(t, llm, asked) // the first holder's answer has the slot
				}
				holders = append(holders, h)
			}

			const n = 20
			sess := s.NewSession(t, "")
			c := s.DialStudent(t, sess.Token)
			text := func(i int) string { return fmt.Sprintf("第%d个问题：考试前怎么复习比较好", i) }
			sendPaced(t, c, n, func(i int) string { return fmt.Sprint("q", i) }, text)
			acks, notices := map[string]bool{}, 0
			for len(acks) < n {
				f := c.Next(t, wait)
				switch f.Type {
				case "ack":
					acks[f.ClientID] = true
				case "notice":
					notices++
				case "error":
					t.Fatalf("got %s, want every message taken", f.Raw)
				}
			}
			c.Quiet(t, 300*time.Millisecond, func(f apptest.Frame) bool { return f.Type == "error" || isAssistant(f) })

			before := len(llm.ChatRequests())
			release()
			ans, skipped := c.Wait(t, wait, isAssistant)
			notices += countType(skipped, "notice")
			if notices != 1 {
				t.Fatalf("got %d answer_delayed notices for one wait, want 1: %s", notices, describe(skipped))
			}
			if ans.Seq != n+1 || !ans.AIGenerated {
				t.Fatalf("got %s, want one answer after the %d messages", ans.Raw, n)
			}
			c.Quiet(t, 500*time.Millisecond, isAssistant) // one answer, not one per message
			var asks []string
			for _, r := range llm.ChatRequests()[before:] {
				if b, _ := json.Marshal(r.Messages); strings.Contains(string(b), "第19个") {
					asks = append(asks, string(b))
				}
			}
			if len(asks) != 1 || !strings.Contains(asks[0], "第12个") || !strings.Contains(asks[0], "第0个") {
				t.Fatalf("got %d model requests with the latest message, want one that has the latest messages and the earlier ones as history: %v", len(asks), asks)
			}
			for _, h := range holders {
				h.Wait(t, wait, isAssistant)
			}
			noTurnsLeft(t, s.Store, time.Now())
		})
	}
}

// pendingOf returns the seqs of a conversation's pending turns, read
// without taking them (their leases are left as they are).
func pendingOf(t *testing.T, s xinqiao.Store, convID string) []int64 {
	t.Helper()
	ms, err := s.Messages(context.Background(), convID, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var out []int64
	for _, m := range ms {
		if m.Role != xinqiao.RoleStudent {
			continue
		}
		// A resend of a stored message reports its turn while it is pending.
		_, pt, _, err := s.AppendStudentMessage(context.Background(),
			xinqiao.NewMessage{ConversationID: convID, ClientID: m.ClientID, Role: xinqiao.RoleStudent, Text: m.Text}, xinqiao.NewTurn{})
		if err != nil {
			t.Fatal(err)
		}
		if pt != nil {
			out = append(out, m.Seq)
		}
	}
	return out
}

// gatedStore holds every student message's append until open is closed,
// as a store too busy to write would.
type gatedStore struct {
	xinqiao.Store
	open chan struct{}
}

func (g *gatedStore) AppendStudentMessage(ctx context.Context, m xinqiao.NewMessage, t xinqiao.NewTurn) (xinqiao.Message, *xinqiao.PendingTurn, bool, error) {
	select {
	case <-g.open:
	case <-ctx.Done():
		return xinqiao.Message{}, nil, false, ctx.Err()
	}
	return g.Store.AppendStudentMessage(ctx, m, t)
}

// TestSlowStoreDoesNotCloseTheSocket: while the server's reader of a
// student socket waits on the store for several pong waits, the socket
// stays open (the student's page answers pings all along), and the message
// is acked once the store takes it.
func TestSlowStoreDoesNotCloseTheSocket(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			g := &gatedStore{Store: e.Open(t), open: make(chan struct{})}
			s := apptest.Start(t, g, app.Options{}, func(c *config.Config) { c.PongWait = time.Second })
			c := s.DialStudent(t, s.NewSession(t, "").Token)
			c.Message(t, "s1", riskyText) // a risky message never waits for an intake slot: it waits on the store
			c.WaitType(t, wait, "crisis")
			select {
			case <-c.Closed():
				t.Fatalf("the server closed the socket while it was slow: %v", c.CloseErr)
			case <-time.After(3 * time.Second): // three pong waits
			}
			close(g.open)
			if f, _ := c.Wait(t, wait, func(f apptest.Frame) bool { return f.Type == "ack" }); f.ClientID != "s1" {
				t.Fatalf("got %s, want the ack of s1", f.Raw)
			}
			c.Send(t, map[string]any{"type": "ping"})
			c.WaitType(t, wait, "pong")
		})
	}
}

// TestFullIntakeSaysBusyAndTheResendIsStoredOnce: when every intake slot
// is taken (the store is too slow to write), an ordinary message is not
// stored and gets a busy error with a retry hint; the page's resends after
// that store it once.
func TestFullIntakeSaysBusyAndTheResendIsStoredOnce(t *testing.T) {
	const intakeSlots = 64 // chat.Deps.IntakeSlots' default
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			g := &gatedStore{Store: e.Open(t), open: make(chan struct{})}
			s := apptest.Start(t, g, app.Options{})
			var held []*apptest.Client
			for i := range intakeSlots {
				c := s.DialStudent(t, s.NewSession(t, "").Token)
				c.Message(t, fmt.Sprint("h", i), "明天考试，我紧张得睡不着怎么办")
				held = append(held, c)
			}
			time.Sleep(200 * time.Millisecond) // every held message is read and waits on the store
			sess := s.NewSession(t, "")
			c := s.DialStudent(t, sess.Token)
			c.Message(t, "b1", "怎么安排复习时间比较好")
			f := c.WaitType(t, wait, "error")
			var busy struct {
				RetryAfter int `json:"retry_after"`
			}
			if err := json.Unmarshal(f.Raw, &busy); err != nil || f.Code != "busy" || f.ClientID != "b1" || busy.RetryAfter <= 0 || f.Message == "" {
				t.Fatalf("got %s, want a busy error for b1 with retry_after", f.Raw)
			}
			close(g.open)
			for _, h := range held {
				h.WaitType(t, wait, "ack")
			}
			var seqs []int64
			for range 2 { // the page's resend, and one more
				c.Message(t, "b1", "怎么安排复习时间比较好")
				seqs = append(seqs, c.WaitType(t, wait, "ack").Seq)
			}
			ms, err := s.Store.Messages(context.Background(), sess.ConversationID, 0, 20)
			if err != nil {
				t.Fatal(err)
			}
			stored := 0
			for _, m := range ms {
				if m.ClientID == "b1" {
					stored++
				}
			}
			if stored != 1 || seqs[0] != 1 || seqs[1] != 1 {
				t.Fatalf("got b1 stored %d times, acked at %v; want once at seq 1", stored, seqs)
			}
		})
	}
}

// slotWait is a node with one answer slot, held by another student's
// answer (holder), while student's question q1 waits for it; a counselor's
// console is open.
type slotWait struct {
	s               *apptest.Server
	console         *apptest.Client
	asked           int // the model's requests before the holder's
	release         func()
	holder, student *apptest.Client
	sess            apptest.Session // student's
}

// questionWaitsForTheSlot starts a slotWait on store.
func questionWaitsForTheSlot(t *testing.T, store xinqiao.Store, llm *openaitest.Server) slotWait {
	t.Helper()
	w := slotWait{release: holdAnswers(t, llm)}
	w.s = apptest.Start(t, store, app.Options{}, oneSlot(llm))
	w.s.AddStaff(t, "wang", xinqiao.RoleCounselor, "王老师")
	w.console = w.s.Login(t, "wang").DialStaff(t)
	w.console.WaitType(t, wait, "queue")
	w.asked = len(llm.ChatRequests())
	w.holder = w.s.DialStudent(t, w.s.NewSession(t, "").Token)
	w.holder.Message(t, "h", "明天考试，我紧张得睡不着怎么办")
	w.holder.WaitType(t, wait, "ack")
	waitAsked(t, llm, w.asked) // the holder's answer has the slot

	w.sess = w.s.NewSession(t, "")
	w.student = w.s.DialStudent(t, w.sess.Token)
	w.student.Message(t, "q1", "考试前怎么复习比较好")
	w.student.WaitType(t, wait, "ack")
	return w
}

// TestRiskyMessageWhileItsAnswerWaitsEscalatesAtOnce: while the only answer
// slot is held, a student's question waits for it; a risky message sent
// then does not join that waiting answer: it shows the crisis card and
// reaches the console before the slot is free (the waiting question has not
// gone to the model), and once the slot frees the waiting answer is never
// sent, because a counselor now has the conversation.
func TestRiskyMessageWhileItsAnswerWaitsEscalatesAtOnce(t *testing.T) {
	llm := openaitest.NewServer(t)
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			w := questionWaitsForTheSlot(t, e.Open(t), llm)
			s, console, asked, release, h, c, sess := w.s, w.console, w.asked, w.release, w.holder, w.student, w.sess
			c.Message(t, "r1", "我不想活了，今晚就从楼顶跳下去")
			c.WaitType(t, wait, "crisis")
			consoleHandoff(t, console, wait, sess.ConversationID, xinqiao.KindUrgent)
			if n := len(llm.ChatRequests()); n != asked+1 {
				t.Fatalf("the model had %d requests when the handoff reached the console, want %d: the escalation waited for the slot", n, asked+1)
			}
			release()
			h.Wait(t, wait, isAssistant)
			c.Quiet(t, time.Second, isAssistant) // the AI stepped back: q1's answer is dropped
			if n := answersIn(t, s.Store, sess.ConversationID); n != 0 {
				t.Fatalf("got %d AI answers in a conversation a counselor has, want 0", n)
			}
			noTurnsLeft(t, s.Store, time.Now())
		})
	}
}

// TestMediumMessageWhileItsAnswerWaitsOpensItsReviewAtOnce: a medium
// message sent while the conversation's answer waits for the only slot
// joins that answer, but its review reaches the console at once, before the
// slot frees; the waiting question is not then answered on its own, and
// every turn is done.
func TestMediumMessageWhileItsAnswerWaitsOpensItsReviewAtOnce(t *testing.T) {
	llm := openaitest.NewServer(t)
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			w := questionWaitsForTheSlot(t, e.Open(t), llm)
			s, console, asked, release, h, c, sess := w.s, w.console, w.asked, w.release, w.holder, w.student, w.sess
			c.Message(t, "m1", "有时候觉得活着没什么意思，不想活了") // medium (TestMediumIdeationOpensAReview)
			c.WaitType(t, wait, "ack")
			consoleHandoff(t, console, wait, sess.ConversationID, xinqiao.KindReview)
			if n := len(llm.ChatRequests()); n != asked+1 {
				t.Fatalf("the model had %d requests when the review reached the console, want %d: the review waited for the slot", n, asked+1)
			}
			// A socket's messages are taken in order: once m2 is acked, m1
			// has joined the waiting answer (after its review opened).
			c.Message(t, "m2", "谢谢")
			c.Wait(t, wait, func(f apptest.Frame) bool { return f.Type == "ack" && f.ClientID == "m2" })
			release()
			h.Wait(t, wait, isAssistant)
			c.Wait(t, wait, isAssistant)
			c.Quiet(t, 500*time.Millisecond, func(f apptest.Frame) bool { return f.Type == "error" })
			for _, r := range llm.ChatRequests()[asked+1:] {
				if b, _ := json.Marshal(r.Messages); strings.Contains(string(b), "怎么复习") && !strings.Contains(string(b), "没什么意思") {
					t.Fatalf("the waiting question was answered on its own: %s", b)
				}
			}
			noTurnsLeft(t, s.Store, time.Now())
		})
	}
}
