package handoff_test

import (
	"strings"
	"testing"
	"time"

	"xinqiao/internal/app"
	"xinqiao/internal/apptest"
	"xinqiao/internal/config"
	"xinqiao/internal/handoff"
	"xinqiao/internal/openai/openaitest"
	"xinqiao/internal/storetest"
	"xinqiao/internal/xinqiao"
)

// TestWrittenBrief: with an LLM configured, the counselor's transcript
// carries a written brief beside the extractive one; when the model fails,
// the extractive brief still comes, at once.
func TestWrittenBrief(t *testing.T) {
	llm := openaitest.NewServer(t)
	s := apptest.Start(t, storetest.MustOpenSQLite(t), app.Options{}, func(c *config.Config) {
		c.OpenAIBaseURL, c.ChatModel = llm.BaseURL(), "test-model"
	})
	s.AddStaff(t, "wang", xinqiao.RoleCounselor, "王老师")
	wang := s.Login(t, "wang")
	sess := s.NewSession(t, "")
	c := s.DialStudent(t, sess.Token)
	c.Message(t, "b1", risky)
	c.WaitType(t, wait, "crisis")
	// The notice of who is on duty is the last message stored for now.
	c.Wait(t, wait, func(f apptest.Frame) bool { return f.Type == "message" && f.Role == "system" })

	const brief = "学生说今晚打算从楼顶跳下去，情绪很低落。"
	llm.Enqueue(openaitest.Reply{Chunks: []string{brief}})
	var tr handoff.Transcript
	if code := wang.Do(t, "GET", "/api/conversations/"+sess.ConversationID, nil, &tr); code != 200 {
		t.Fatalf("transcript: got %d", code)
	}
	if tr.Brief.AISummary != brief || tr.Brief.Summary == "" || len(tr.Brief.Flagged) == 0 {
		t.Fatalf("got brief %+v, want the written brief beside the extractive one", tr.Brief)
	}
	reqs := llm.ChatRequests()
	last := reqs[len(reqs)-1]
	if len(last.Messages) != 2 || !strings.Contains(last.Messages[1].Content, "<transcript>") || !strings.Contains(last.Messages[1].Content, "跳楼") {
		t.Fatalf("the model was not given the fenced transcript: %+v", last.Messages)
	}

	// Cached until a new message arrives: no second request.
	n := len(llm.ChatRequests())
	wang.Do(t, "GET", "/api/conversations/"+sess.ConversationID, nil, &tr)
	if len(llm.ChatRequests()) != n || tr.Brief.AISummary != brief {
		t.Fatalf("the written brief was not reused: %d requests, %q", len(llm.ChatRequests())-n, tr.Brief.AISummary)
	}

	// A failing model: the extractive brief alone, without waiting long.
	c.Message(t, "b2", "我还在")
	c.Wait(t, wait, func(f apptest.Frame) bool { return f.Type == "message" && f.Seq > 2 })
	llm.Enqueue(openaitest.Reply{Status: 500}, openaitest.Reply{Status: 500}, openaitest.Reply{Status: 500})
	start := time.Now()
	tr = handoff.Transcript{}
	if code := wang.Do(t, "GET", "/api/conversations/"+sess.ConversationID, nil, &tr); code != 200 {
		t.Fatalf("transcript: got %d", code)
	}
	if tr.Brief.AISummary != "" || tr.Brief.Summary == "" {
		t.Fatalf("got %+v, want only the extractive brief", tr.Brief)
	}
	if d := time.Since(start); d > 9*time.Second {
		t.Fatalf("the transcript waited %v on a failing model", d)
	}
}
