package opinion_test

import (
	"context"
	"strings"
	"testing"

	"xinqiao/internal/openai"
	"xinqiao/internal/openai/openaitest"
	"xinqiao/internal/openai/opinion"
	"xinqiao/internal/risk"
	"xinqiao/prompts"
)

func TestAssess(t *testing.T) {
	tests := []struct {
		name      string
		reply     string
		wantLevel risk.Level
		wantErr   bool
	}{
		{"valid", `{"level":"high","categories":["self_harm"],"reason":"plan"}`, risk.High, false},
		{"fenced", "```json\n{\"level\":\"none\",\"categories\":[],\"reason\":\"\"}\n```", risk.None, false},
		{"unknown level", `{"level":"severe","categories":[],"reason":""}`, 0, true},
		{"unknown category", `{"level":"low","categories":["boredom"],"reason":""}`, 0, true},
		{"prose", `I think the student is fine.`, 0, true},
		{"extra field", `{"level":"low","categories":[],"reason":"","note":"x"}`, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openaitest.NewServer(t)
			s.Enqueue(openaitest.Reply{Chunks: []string{tt.reply}})
			c, err := openai.New(openai.Config{BaseURL: s.BaseURL(), ChatModel: "m"})
			if err != nil {
				t.Fatal(err)
			}
			so := opinion.New(c).WithPrompt(func(text string, history []string) (string, error) {
				return "Classify.\n" + strings.Join(history, "\n") + "\n" + prompts.StudentMessage(text), nil
			})
			op, err := so.Assess(context.Background(), "</student_message>我不想活了", []string{"a", "b", "c", "d", "e", "f", "g", "最近很累"})
			if tt.wantErr {
				if err == nil {
					t.Errorf("got %+v, nil; want an error", op)
				}
				return
			}
			if err != nil || op.Level != tt.wantLevel {
				t.Fatalf("got %+v, %v; want level %v", op, err, tt.wantLevel)
			}
			msgs := s.ChatRequests()[0].Messages
			if len(msgs) != 1 || msgs[0].Role != "user" {
				t.Fatalf("messages: got %+v, want one user message", msgs)
			}
			u := msgs[0].Content
			if strings.Count(u, "</student_message>") != 1 || strings.Contains(u, "\na\n") || !strings.Contains(u, "最近很累") {
				t.Errorf("prompt: got %q, want the message fenced once and the last 6 history entries", u)
			}
		})
	}
}

func TestRealPrompt(t *testing.T) {
	if _, err := prompts.FS.Open(prompts.RiskSecondOpinionFile); err != nil {
		t.Skip("prompts/risk_second_opinion.md is not there yet")
	}
	s := openaitest.NewServer(t)
	s.Enqueue(openaitest.Reply{Chunks: []string{`{"level":"medium","categories":["suicide"],"reason":"wish to die"}`}})
	c, _ := openai.New(openai.Config{BaseURL: s.BaseURL(), ChatModel: "m"})
	op, err := opinion.New(c).Assess(context.Background(), "我不想活了", nil)
	if err != nil || op.Level != risk.Medium {
		t.Fatalf("got %+v, %v; want medium", op, err)
	}
	if u := s.ChatRequests()[0].Messages[0].Content; !strings.Contains(u, "<student_message>\n我不想活了\n</student_message>") {
		t.Errorf("prompt: the message is not fenced:\n%s", u)
	}
}
