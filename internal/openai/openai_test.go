package openai_test

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"xinqiao/internal/answer"
	"xinqiao/internal/openai"
	"xinqiao/internal/openai/openaitest"
	"xinqiao/internal/xinqiao"
)

var _ answer.Chat = (*openai.Client)(nil)
var _ xinqiao.Embedder = (*openai.Embedder)(nil)

func mustClient(t *testing.T, s *openaitest.Server) *openai.Client {
	t.Helper()
	c, err := openai.New(openai.Config{BaseURL: s.BaseURL(), APIKey: "k", ChatModel: "test-model"})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

var msgs = []answer.Message{{Role: "system", Content: "sys"}, {Role: "user", Content: "hi"}}

func TestStream(t *testing.T) {
	s := openaitest.NewServer(t)
	s.Enqueue(openaitest.Reply{Chunks: []string{"你好", "，同学", "。[1]"}})
	c := mustClient(t, s)
	var deltas []string
	comp, err := c.Stream(context.Background(), msgs, func(d string) { deltas = append(deltas, d) })
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(deltas, "|"), "你好|，同学|。[1]"; got != want {
		t.Errorf("deltas: got %q, want %q", got, want)
	}
	if comp.Text != "你好，同学。[1]" || comp.FinishReason != "stop" {
		t.Errorf("completion: got %+v", comp)
	}
	if comp.PromptTokens != 100 || comp.CompletionTokens != 9 {
		t.Errorf("usage: got %d/%d, want 100/9", comp.PromptTokens, comp.CompletionTokens)
	}
	reqs := s.ChatRequests()
	if len(reqs) != 1 {
		t.Fatalf("requests: got %d, want 1", len(reqs))
	}
	r := reqs[0]
	if !r.Stream || r.StreamOptions == nil || !r.StreamOptions.IncludeUsage || r.Model != "test-model" {
		t.Errorf("request: got stream=%v options=%+v model=%q", r.Stream, r.StreamOptions, r.Model)
	}
	if len(r.Messages) != 2 || r.Messages[0].Role != "system" || r.Messages[1].Content != "hi" {
		t.Errorf("messages: got %+v", r.Messages)
	}
}

func TestStreamErrors(t *testing.T) {
	tests := []struct {
		name       string
		reply      openaitest.Reply
		wantStatus int
		wantErr    error
	}{
		{"429", openaitest.Reply{Status: 429}, 429, nil},
		{"500", openaitest.Reply{Status: 500}, 500, nil},
		{"503", openaitest.Reply{Status: 503}, 503, nil},
		{"broken halfway", openaitest.Reply{Chunks: []string{"a", "b", "c", "d"}, BreakAfter: 2}, 0, nil},
		{"no usage is fine", openaitest.Reply{Chunks: []string{"ok"}, NoUsage: true}, 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openaitest.NewServer(t)
			s.Enqueue(tt.reply)
			comp, err := mustClient(t, s).Stream(context.Background(), msgs, nil)
			switch {
			case tt.name == "no usage is fine":
				if err != nil || comp.Text != "ok" || comp.PromptTokens != 0 {
					t.Errorf("got %+v, %v; want text ok, no usage, no error", comp, err)
				}
			case tt.wantStatus != 0:
				var sc answer.StatusCoder
				if !errors.As(err, &sc) || sc.StatusCode() != tt.wantStatus {
					t.Errorf("error: got %v, want status %d", err, tt.wantStatus)
				}
			default:
				if err == nil {
					t.Errorf("error: got nil, want a broken-stream error (text %q)", comp.Text)
				}
				if comp.Text != "ab" {
					t.Errorf("partial text: got %q, want %q", comp.Text, "ab")
				}
			}
		})
	}
}

func TestStreamCancel(t *testing.T) {
	s := openaitest.NewServer(t)
	s.Enqueue(openaitest.Reply{Chunks: []string{"a"}, FirstDelay: 5 * time.Second})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := mustClient(t, s).Stream(ctx, msgs, nil)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error: got %v, want context.DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("returned after %v, want soon after the context ended", d)
	}
}

func TestComplete(t *testing.T) {
	s := openaitest.NewServer(t)
	s.Enqueue(openaitest.Reply{Chunks: []string{`{"level":"none"`, `}`}})
	comp, err := mustClient(t, s).Complete(context.Background(), msgs)
	if err != nil {
		t.Fatal(err)
	}
	if comp.Text != `{"level":"none"}` {
		t.Errorf("text: got %q", comp.Text)
	}
	if r := s.ChatRequests()[0]; r.Stream {
		t.Errorf("stream: got true, want false")
	}
}

func TestNormalizeBaseURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"http://127.0.0.1:11434", "http://127.0.0.1:11434/v1"},
		{"http://127.0.0.1:8000/v1/", "http://127.0.0.1:8000/v1"},
		{"https://api.example.com/v1", "https://api.example.com/v1"},
		{"https://gw.example.com/llm/api/v1", "https://gw.example.com/llm/api/v1"},
		{"127.0.0.1:8080", ""},
		{"ftp://x", ""},
	}
	for _, tt := range tests {
		got, err := openai.NormalizeBaseURL(tt.in)
		if tt.want == "" {
			if err == nil {
				t.Errorf("NormalizeBaseURL(%q): got %q, want an error", tt.in, got)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("NormalizeBaseURL(%q): got %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestNewValidates(t *testing.T) {
	if _, err := openai.New(openai.Config{BaseURL: "http://x/v1"}); err == nil {
		t.Error("New without a chat model: got nil error")
	}
	if _, err := openai.NewEmbedder(openai.Config{BaseURL: "http://x/v1", EmbedModel: "m"}); err == nil {
		t.Error("NewEmbedder without a dimension: got nil error")
	}
}

func mustEmbedder(t *testing.T, s *openaitest.Server, dim, batch int) *openai.Embedder {
	t.Helper()
	e, err := openai.NewEmbedder(openai.Config{BaseURL: s.BaseURL(), EmbedModel: "bge-m3", EmbedDim: dim, EmbedBatch: batch})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestEmbedBatches(t *testing.T) {
	s := openaitest.NewServer(t)
	e := mustEmbedder(t, s, 8, 3)
	texts := []string{"一", "二", "三", "四", "五", "六", "七"}
	vs, err := e.Embed(context.Background(), texts)
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) != len(texts) {
		t.Fatalf("vectors: got %d, want %d", len(vs), len(texts))
	}
	var sizes []int
	for _, b := range s.EmbedBatches() {
		sizes = append(sizes, len(b))
	}
	if got, want := sizes, []int{3, 3, 1}; len(got) != len(want) || got[0] != 3 || got[1] != 3 || got[2] != 1 {
		t.Errorf("batch sizes: got %v, want %v", got, want)
	}
	for i, v := range vs {
		var n float64
		for _, x := range v {
			n += float64(x) * float64(x)
		}
		if math.Abs(n-1) > 1e-4 {
			t.Errorf("vector %d: squared norm %v, want 1", i, n)
		}
		raw := openaitest.Vector(texts[i], 8)
		if raw[0]/raw[1] < v[0]/v[1]-1e-3 || raw[0]/raw[1] > v[0]/v[1]+1e-3 {
			t.Errorf("vector %d: not the text's own vector (order lost?)", i)
		}
	}
	if e.Name() != "openai:bge-m3" || e.Dim() != 8 {
		t.Errorf("Name, Dim: got %q, %d", e.Name(), e.Dim())
	}
}

func TestEmbedDimensionMismatch(t *testing.T) {
	s := openaitest.NewServer(t)
	s.EmbedWrongDim = 5
	_, err := mustEmbedder(t, s, 8, 16).Embed(context.Background(), []string{"a"})
	if !errors.Is(err, openai.ErrDimension) {
		t.Errorf("error: got %v, want ErrDimension", err)
	}
}

func TestEmbedRetries(t *testing.T) {
	s := openaitest.NewServer(t)
	s.FailEmbeddings(429, 503)
	vs, err := mustEmbedder(t, s, 8, 16).Embed(context.Background(), []string{"a", "b"})
	if err != nil || len(vs) != 2 {
		t.Fatalf("got %d vectors, %v; want 2, nil", len(vs), err)
	}
	if n := len(s.EmbedBatches()); n != 3 {
		t.Errorf("requests: got %d, want 3 (two failures, one success)", n)
	}
	s.FailEmbeddings(400)
	if _, err := mustEmbedder(t, s, 8, 16).Embed(context.Background(), []string{"a"}); err == nil {
		t.Error("400: got nil error, want the error without retry")
	}
}
