package chat_test

import (
	"strings"
	"testing"
	"time"

	"xinqiao/internal/app"
	"xinqiao/internal/apptest"
	"xinqiao/internal/config"
	"xinqiao/internal/openai/openaitest"
	"xinqiao/internal/storetest"

	"github.com/gorilla/websocket"
)

// TestLLMAnswerStreams runs the pipeline against an OpenAI-compatible
// endpoint speaking the real streaming wire format: delta frames, then the
// final message with sources and the AI label; a broken stream falls back
// to the extractive answer; the endpoint never sees a risky message.
func TestLLMAnswerStreams(t *testing.T) {
	llm := openaitest.NewServer(t)
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			s := apptest.Start(t, e.Open(t), app.Options{}, func(c *config.Config) {
				c.OpenAIBaseURL, c.ChatModel = llm.BaseURL(), "test-model"
			})
			if s.App.AnswerMode != "llm" {
				t.Fatalf("got answer mode %q, want llm", s.App.AnswerMode)
			}
			sess := s.NewSession(t, "")
			c := s.DialStudent(t, sess.Token)

			llm.Enqueue(openaitest.Reply{Chunks: []string{"考试前紧张很常见。", "可以试试慢慢地深呼吸[1]，", "再早点上床休息。"}, Delay: 5 * time.Millisecond})
			c.Message(t, "l1", "明天考试，我紧张得睡不着怎么办")
			final, skipped := c.Wait(t, wait, isAssistant)
			var streamed strings.Builder
			for _, f := range skipped {
				if f.Type == "delta" {
					if f.ReplyTo != "l1" {
						t.Fatalf("got delta for %q, want l1", f.ReplyTo)
					}
					streamed.WriteString(f.Text)
				}
			}
			if streamed.Len() == 0 {
				t.Fatalf("no delta frames before the final message; got %s", describe(skipped))
			}
			if !final.AIGenerated || len(final.Sources) == 0 || !strings.Contains(final.Text, "深呼吸") {
				t.Fatalf("got final %s, want the model's text with sources and the AI label", final.Raw)
			}
			if !strings.HasPrefix(final.Text, strings.TrimSpace(streamed.String())[:6]) {
				t.Fatalf("final %q does not continue the streamed %q", final.Text, streamed.String())
			}

			// A stream that breaks halfway: the student gets the extractive answer.
			llm.Enqueue(openaitest.Reply{Chunks: []string{"我们先", "聊聊", "你"}, BreakAfter: 2})
			c.Message(t, "l2", "和好朋友吵架了怎么和好")
			fb, _ := c.Wait(t, wait, isAssistant)
			if !fb.AIGenerated || len(fb.Sources) == 0 || strings.HasPrefix(fb.Text, "我们先聊聊") {
				t.Fatalf("got %s, want the extractive fallback", fb.Raw)
			}

			// A risky message never reaches the model.
			before := len(llm.ChatRequests())
			c.Message(t, "l3", "我不想活了，今晚就从楼顶跳下去")
			c.WaitType(t, wait, "crisis")
			c.Quiet(t, time.Second, isAssistant)
			for _, req := range llm.ChatRequests()[before:] {
				for _, m := range req.Messages {
					if strings.Contains(m.Content, "楼顶") {
						t.Fatal("the risky message was sent to the model")
					}
				}
			}
		})
	}
}

// TestClosingThePageStopsTheAnswer: a page that closes its socket on purpose
// (清屏) stops the answer being written; a dropped link does not, and the
// answer waits for the resume.
func TestClosingThePageStopsTheAnswer(t *testing.T) {
	llm := openaitest.NewServer(t)
	s := apptest.Start(t, storetest.MustOpenSQLite(t), app.Options{}, func(c *config.Config) {
		c.OpenAIBaseURL, c.ChatModel = llm.BaseURL(), "test-model"
	})
	slow := openaitest.Reply{Chunks: []string{"考试前紧张很常见。", "可以慢慢深呼吸[1]。"}, FirstDelay: 300 * time.Millisecond, Delay: 300 * time.Millisecond}
	stored := func(conv string) int {
		ms, err := s.Store.Messages(t.Context(), conv, 0, 10)
		if err != nil {
			t.Fatal(err)
		}
		return len(ms)
	}

	cleared := s.NewSession(t, "")
	c := s.DialStudent(t, cleared.Token)
	llm.Enqueue(slow)
	c.Message(t, "k1", "明天考试，我紧张得睡不着怎么办")
	c.WaitType(t, wait, "ack")
	c.Conn.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, "cleared"))
	time.Sleep(1500 * time.Millisecond)
	if n := stored(cleared.ConversationID); n != 1 {
		t.Fatalf("got %d stored messages after the page closed, want 1 (no answer)", n)
	}

	dropped := s.NewSession(t, "")
	d := s.DialStudent(t, dropped.Token)
	llm.Enqueue(slow)
	d.Message(t, "k2", "明天考试，我紧张得睡不着怎么办")
	d.WaitType(t, wait, "ack")
	d.Conn.Close() // the link drops: no close frame
	time.Sleep(1500 * time.Millisecond)
	if n := stored(dropped.ConversationID); n != 2 {
		t.Fatalf("got %d stored messages after a dropped link, want 2 (the answer kept for the resume)", n)
	}
}

// TestExemplarOpinionIsWired: with XINQIAO_RISK_OPINION=exemplar the node
// starts and a plain question is still answered.
func TestExemplarOpinionIsWired(t *testing.T) {
	s := apptest.Start(t, storetest.MustOpenSQLite(t), app.Options{}, func(c *config.Config) { c.RiskOpinion = "exemplar" })
	c := s.DialStudent(t, s.NewSession(t, "").Token)
	c.Message(t, "x1", "明天考试，我紧张得睡不着怎么办")
	c.Wait(t, wait, isAssistant)
}

// TestStalledStreamFallsBack: a model that sends one token and then nothing
// does not keep the student waiting for the whole answer timeout; after the
// configured stall timeout the student gets the extractive answer.
func TestStalledStreamFallsBack(t *testing.T) {
	llm := openaitest.NewServer(t)
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			s := apptest.Start(t, e.Open(t), app.Options{}, func(c *config.Config) {
				c.OpenAIBaseURL, c.ChatModel = llm.BaseURL(), "test-model"
				c.LLMStall = 200 * time.Millisecond
			})
			c := s.DialStudent(t, s.NewSession(t, "").Token)
			llm.Enqueue(openaitest.Reply{Chunks: []string{"嗯，让我想想", "……"}, Delay: time.Hour})
			c.Message(t, "s1", "明天考试，我紧张得睡不着怎么办")
			ans, skipped := c.Wait(t, wait, isAssistant)
			streamed := false
			for _, f := range skipped {
				streamed = streamed || (f.Type == "delta" && f.ReplyTo == "s1")
			}
			if !streamed {
				t.Fatalf("the first token was never streamed; got %s", describe(skipped))
			}
			if !ans.AIGenerated || len(ans.Sources) == 0 || strings.Contains(ans.Text, "让我想想") {
				t.Fatalf("got %s, want the extractive answer with its sources", ans.Raw)
			}
		})
	}
}
