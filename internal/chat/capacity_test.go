package chat_test

import (
	"fmt"
	"testing"
	"time"

	"xinqiao/internal/app"
	"xinqiao/internal/apptest"
	"xinqiao/internal/config"
	"xinqiao/internal/openai/openaitest"
	"xinqiao/internal/storetest"
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
			s := apptest.Start(t, e.Open(t), app.Options{}, func(c *config.Config) {
				c.OpenAIBaseURL, c.ChatModel = llm.BaseURL(), "test-model"
				c.AnswerSlots, c.LLMStall = 1, time.Minute
			})
			asked := len(llm.ChatRequests())
			first := s.DialStudent(t, s.NewSession(t, "").Token)
			first.Message(t, "a1", "明天考试，我紧张得睡不着怎么办")
			first.WaitType(t, wait, "ack")
			// The first answer holds the slot once the model has its request.
			for deadline := time.Now().Add(wait); len(llm.ChatRequests()) == asked; {
				if time.Now().After(deadline) {
					t.Fatal("the first answer never reached the model")
				}
				time.Sleep(10 * time.Millisecond)
			}

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
			for !(crisis && ack && handoff) {
				f := risky.Next(t, wait)
				switch {
				case f.Type == "crisis":
					crisis = len(f.Hotlines) > 0
				case f.Type == "ack" && f.ClientID == "r1":
					ack = true
				case f.Type == "handoff" && f.State == "waiting":
					handoff = true
				case f.Type == "notice" || f.Type == "error":
					t.Fatalf("got %s for a risky message", f.Raw)
				}
			}
			first.Quiet(t, 200*time.Millisecond, isAssistant) // the slot is still held
		})
	}
}
