package chat_test

import (
	"testing"
	"time"

	"xinqiao/internal/app"
	"xinqiao/internal/apptest"
	"xinqiao/internal/storetest"
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
	onB.Send(t, map[string]any{"type": "resume", "after_seq": 0})
	time.Sleep(100 * time.Millisecond)

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
