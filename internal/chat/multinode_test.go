package chat_test

import (
	"fmt"
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

// TestTwoNodesShareAConversation runs two nodes on one PostgreSQL database:
// a student's second socket on the other node sees every message, answer
// and crisis card, through LISTEN/NOTIFY and the rows.
func TestTwoNodesShareAConversation(t *testing.T) {
	nodes := storetest.PostgresNodes(t, 2) // skips without TEST_DATABASE_URL; CI always sets it
	a := apptest.Start(t, nodes[0], app.Options{Node: "a"})
	b := apptest.Start(t, nodes[1], app.Options{Node: "b"})
	sess := a.NewSession(t, "")
	onA := a.DialStudent(t, sess.Token)
	onB := b.DialStudent(t, sess.Token)
	onB.Ping(t)

	onA.Message(t, "n1", "明天考试，我紧张得睡不着怎么办")
	onA.WaitType(t, wait, "ack")
	student, _ := onB.Wait(t, wait, func(f apptest.Frame) bool { return f.Type == "message" && f.Role == "student" })
	answer, _ := onB.Wait(t, wait, isAssistant)
	if student.Seq != 1 || answer.Seq != 2 || len(answer.Sources) == 0 {
		t.Fatalf("node b got %s then %s, want seq 1 and the answer at seq 2", student.Raw, answer.Raw)
	}
	onA.Message(t, "n2", "我不想活了，今晚就从楼顶跳下去")
	if f := onB.WaitType(t, wait, "crisis"); len(f.Hotlines) == 0 {
		t.Fatalf("node b got crisis %s without hotlines", f.Raw)
	}
	if f := onB.WaitType(t, wait, "handoff"); f.State != "waiting" {
		t.Fatalf("node b got %s, want waiting", f.Raw)
	}
}

// TestTurnsOfACrashedNodeAreFinishedOnce: a node acks a risky message and a
// question and dies; two nodes start on the same PostgreSQL database and
// sweep at once. The handoff opens once and the question is answered once.
func TestTurnsOfACrashedNodeAreFinishedOnce(t *testing.T) {
	nodes := storetest.PostgresNodes(t, 3) // skips without TEST_DATABASE_URL; CI always sets it
	clk := apptest.NewClock(time.Now())
	a := apptest.Start(t, nodes[0], app.Options{Now: clk.Now, Node: "a", AfterAck: crash})
	risky, plain := a.NewSession(t, ""), a.NewSession(t, "")
	rc, pc := a.DialStudent(t, risky.Token), a.DialStudent(t, plain.Token)
	rc.Message(t, "k1", riskyText)
	rc.WaitType(t, wait, "ack")
	pc.Message(t, "k2", "明天考试，我紧张得睡不着怎么办")
	pc.WaitType(t, wait, "ack")
	a.Stop()

	clk.Add(afterLeases)
	b := apptest.Start(t, nodes[1], app.Options{Now: clk.Now, Node: "b"})
	c := apptest.Start(t, nodes[2], app.Options{Now: clk.Now, Node: "c"})
	onC := c.DialStudent(t, plain.Token)
	onC.Send(t, map[string]any{"type": "resume", "after_seq": 0})
	onC.Wait(t, wait, isAssistant)
	onB := b.DialStudent(t, risky.Token)
	onB.WaitType(t, wait, "handoff")
	time.Sleep(500 * time.Millisecond) // a second answer or handoff would land now

	if hs := handoffsOf(t, nodes[1], risky.ConversationID); len(hs) != 1 {
		t.Fatalf("got %d handoffs, want 1", len(hs))
	}
	ms, err := nodes[1].Messages(t.Context(), plain.ConversationID, 0, 20)
	if err != nil {
		t.Fatal(err)
	}
	answers := 0
	for _, m := range ms {
		if m.Role == "assistant" {
			answers++
		}
	}
	if answers != 1 {
		t.Fatalf("got %d answers, want 1", answers)
	}
	noTurnsLeft(t, nodes[1], clk.Now())
}

// TestTwoNodesSeeEveryMessageInOrder: a student writes from sockets on two
// nodes at once. Each node delivers what it stores without reading it back,
// so a socket that has not yet heard of the other node's message has a gap,
// which a read fills: every socket sees every message of the conversation
// once, in seq order.
func TestTwoNodesSeeEveryMessageInOrder(t *testing.T) {
	nodes := storetest.PostgresNodes(t, 2) // skips without TEST_DATABASE_URL; CI always sets it
	a := apptest.Start(t, nodes[0], app.Options{Node: "a"})
	b := apptest.Start(t, nodes[1], app.Options{Node: "b"})
	sess := a.NewSession(t, "")
	onA := a.DialStudent(t, sess.Token)
	onB := b.DialStudent(t, sess.Token)
	for i := range 3 {
		onA.Message(t, fmt.Sprintf("a%d", i), "明天考试，我紧张得睡不着怎么办")
		onB.Message(t, fmt.Sprintf("b%d", i), "我和同学吵架了，现在很难受")
	}
	var ms []xinqiao.Message
	for deadline := time.Now().Add(wait); ; time.Sleep(100 * time.Millisecond) {
		ts, err := nodes[0].ClaimStaleTurns(t.Context(), time.Now().Add(time.Hour), time.Now().Add(2*time.Hour), 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(ts) == 0 {
			if ms, err = nodes[0].Messages(t.Context(), sess.ConversationID, 0, 100); err != nil {
				t.Fatal(err)
			}
			if len(ms) > 0 && ms[len(ms)-1].Role == xinqiao.RoleAssistant {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("turns still pending after %v", wait)
		}
	}
	last := ms[len(ms)-1].Seq
	for name, c := range map[string]*apptest.Client{"a": onA, "b": onB} {
		var seqs []int64
		c.Wait(t, wait, func(f apptest.Frame) bool {
			if f.Type == "message" {
				seqs = append(seqs, f.Seq)
			}
			return f.Type == "message" && f.Seq == last
		})
		for i, s := range seqs {
			if s != int64(i+1) {
				t.Fatalf("socket on node %s got seqs %v, want 1 to %d once each in order", name, seqs, last)
			}
		}
	}
}

// TestTwoNodesSeeAMessageWhoseAnswerIsSlow: a student message's event waits
// for its answer's, which covers it, but only AnswerEventWait: with the
// answer held on the model, a socket on the other node still gets the
// message, then the answer.
func TestTwoNodesSeeAMessageWhoseAnswerIsSlow(t *testing.T) {
	nodes := storetest.PostgresNodes(t, 2) // skips without TEST_DATABASE_URL; CI always sets it
	llm := openaitest.NewServer(t)
	llm.Default = openaitest.Reply{Chunks: []string{"考试前紧张很常见。", "可以试试慢慢地深呼吸[1]。"}}
	hold := make(chan struct{})
	release := sync.OnceFunc(func() { close(hold) })
	llm.OnFirstChunk = func(time.Time) { <-hold }
	a := apptest.Start(t, nodes[0], app.Options{Node: "a", AnswerEventWait: 50 * time.Millisecond}, func(c *config.Config) {
		c.OpenAIBaseURL, c.ChatModel = llm.BaseURL(), "test-model"
	})
	b := apptest.Start(t, nodes[1], app.Options{Node: "b"})
	t.Cleanup(release) // before the nodes stop
	sess := a.NewSession(t, "")
	onA := a.DialStudent(t, sess.Token)
	onB := b.DialStudent(t, sess.Token)
	onB.Ping(t) // node b has the socket before node a's event comes
	onA.Message(t, "s1", "明天考试，我紧张得睡不着怎么办")
	onA.WaitType(t, wait, "ack")
	student, _ := onB.Wait(t, wait, func(f apptest.Frame) bool { return f.Type == "message" })
	if student.Role != "student" || student.Seq != 1 {
		t.Fatalf("node b got %s first, want the student's message (seq 1) while its answer is held", student.Raw)
	}
	release()
	if answer, _ := onB.Wait(t, wait, isAssistant); answer.Seq != 2 {
		t.Fatalf("node b got the answer at seq %d, want 2", answer.Seq)
	}
}
