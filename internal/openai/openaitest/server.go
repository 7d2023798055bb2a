// Package openaitest is a fake OpenAI-compatible server for tests: it speaks
// the real wire format (POST /v1/chat/completions with and without
// "stream": true, answering text/event-stream lines "data: {chunk}" ending in
// "data: [DONE]", with a usage chunk whose choices are empty; and POST
// /v1/embeddings), and it records what it was sent. Replies are scripted per
// request: an HTTP error, a slow first token, a stream that breaks halfway.
package openaitest

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	goopenai "github.com/sashabaranov/go-openai"
)

// Reply scripts the answer to one chat request.
type Reply struct {
	// Status, when not 0 or 200, answers with an OpenAI error body and this status.
	Status int
	// Chunks are the content pieces streamed (or joined for a non-streamed request).
	Chunks []string
	// FirstDelay is waited before the first chunk; Delay between chunks.
	FirstDelay time.Duration
	Delay      time.Duration
	// BreakAfter > 0 aborts the connection after that many chunks, with no
	// finish reason and no [DONE].
	BreakAfter int
	// NoUsage leaves out the usage chunk.
	NoUsage bool
}

// Server is the fake endpoint. BaseURL() is what a client is configured with.
type Server struct {
	*httptest.Server

	// Default answers chat requests once the script is used up.
	Default Reply
	// EmbedDim is the length of the vectors served [8]; EmbedWrongDim, when
	// not 0, is served instead (to test the dimension check).
	EmbedDim      int
	EmbedWrongDim int
	// OnFirstChunk, if set, is called right before the first content chunk of
	// a stream is written and flushed (for overhead benchmarks).
	OnFirstChunk func(time.Time)

	mu        sync.Mutex
	script    []Reply
	embedFail []int
	chat      []goopenai.ChatCompletionRequest
	embeds    [][]string
}

// NewServer starts a fake endpoint, closed when the test ends.
func NewServer(tb testing.TB) *Server {
	tb.Helper()
	s := &Server{EmbedDim: 8, Default: Reply{Chunks: []string{"好的。"}}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/chat/completions", s.handleChat)
	mux.HandleFunc("POST /v1/embeddings", s.handleEmbed)
	s.Server = httptest.NewServer(mux)
	tb.Cleanup(s.Close)
	return s
}

// BaseURL returns the API root to configure a client with.
func (s *Server) BaseURL() string { return s.URL + "/v1" }

// Enqueue scripts the replies to the next chat requests, in order.
func (s *Server) Enqueue(r ...Reply) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.script = append(s.script, r...)
}

// FailEmbeddings makes the next embedding requests fail with these statuses.
func (s *Server) FailEmbeddings(status ...int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.embedFail = append(s.embedFail, status...)
}

// ChatRequests returns the chat requests received so far.
func (s *Server) ChatRequests() []goopenai.ChatCompletionRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]goopenai.ChatCompletionRequest(nil), s.chat...)
}

// EmbedBatches returns the inputs of the embedding requests received so far.
func (s *Server) EmbedBatches() [][]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([][]string(nil), s.embeds...)
}

func writeError(w http.ResponseWriter, status int) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"error":{"message":"fake error %d","type":"server_error","param":null,"code":null}}`, status)
}

func (s *Server) handleChat(w http.ResponseWriter, r *http.Request) {
	var req goopenai.ChatCompletionRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	s.chat = append(s.chat, req)
	rep := s.Default
	if len(s.script) > 0 {
		rep, s.script = s.script[0], s.script[1:]
	}
	onFirst := s.OnFirstChunk
	s.mu.Unlock()

	if rep.Status != 0 && rep.Status != http.StatusOK {
		writeError(w, rep.Status)
		return
	}
	model := req.Model
	if !req.Stream {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{
			"id": "chatcmpl-fake", "object": "chat.completion", "created": time.Now().Unix(), "model": model,
			"choices": []any{map[string]any{"index": 0, "message": map[string]any{"role": "assistant", "content": strings.Join(rep.Chunks, "")}, "finish_reason": "stop"}},
			"usage":   map[string]any{"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
		})
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	fl := w.(http.Flusher)
	fl.Flush()
	send := func(v any) {
		b, _ := json.Marshal(v)
		fmt.Fprintf(w, "data: %s\n\n", b)
		fl.Flush()
	}
	wait := func(d time.Duration) bool {
		if d <= 0 {
			return true
		}
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
			return true
		case <-r.Context().Done():
			return false
		}
	}
	chunk := func(delta map[string]any, finish any) map[string]any {
		return map[string]any{
			"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 1700000000, "model": model,
			"choices": []any{map[string]any{"index": 0, "delta": delta, "finish_reason": finish}},
		}
	}
	if !wait(rep.FirstDelay) {
		return
	}
	out := 0
	for i, c := range rep.Chunks {
		if i > 0 && !wait(rep.Delay) {
			return
		}
		if rep.BreakAfter > 0 && i >= rep.BreakAfter {
			panic(http.ErrAbortHandler) // drop the connection mid-stream
		}
		delta := map[string]any{"content": c}
		if i == 0 {
			delta["role"] = "assistant"
		}
		if i == 0 && onFirst != nil {
			onFirst(time.Now())
		}
		send(chunk(delta, nil))
		out += len([]rune(c))
	}
	if rep.BreakAfter > 0 {
		panic(http.ErrAbortHandler)
	}
	send(chunk(map[string]any{}, "stop"))
	if !rep.NoUsage && req.StreamOptions != nil && req.StreamOptions.IncludeUsage {
		send(map[string]any{
			"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 1700000000, "model": model,
			"choices": []any{},
			"usage":   map[string]any{"prompt_tokens": 100, "completion_tokens": out, "total_tokens": 100 + out},
		})
	}
	fmt.Fprint(w, "data: [DONE]\n\n")
	fl.Flush()
}

func (s *Server) handleEmbed(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Input any    `json:"input"`
		Model string `json:"model"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest)
		return
	}
	var texts []string
	switch in := req.Input.(type) {
	case string:
		texts = []string{in}
	case []any:
		for _, t := range in {
			s, _ := t.(string)
			texts = append(texts, s)
		}
	}
	s.mu.Lock()
	s.embeds = append(s.embeds, texts)
	status := 0
	if len(s.embedFail) > 0 {
		status, s.embedFail = s.embedFail[0], s.embedFail[1:]
	}
	dim := s.EmbedDim
	if s.EmbedWrongDim != 0 {
		dim = s.EmbedWrongDim
	}
	s.mu.Unlock()
	if status != 0 {
		writeError(w, status)
		return
	}
	data := make([]any, len(texts))
	for i, t := range texts {
		data[i] = map[string]any{"object": "embedding", "index": i, "embedding": Vector(t, dim)}
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{
		"object": "list", "model": req.Model, "data": data,
		"usage": map[string]any{"prompt_tokens": len(texts), "total_tokens": len(texts)},
	})
}

// Vector is the deterministic (not unit-length) vector the server returns for a text.
func Vector(text string, dim int) []float32 {
	h := fnv.New64a()
	h.Write([]byte(text))
	x := h.Sum64()
	v := make([]float32, dim)
	for i := range v {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		v[i] = float32(x%1000)/100 + 1
	}
	return v
}
