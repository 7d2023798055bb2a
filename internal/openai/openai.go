// Package openai adapts any OpenAI-compatible endpoint (a hosted API, or vLLM,
// Ollama or llama.cpp on the district's own server) through
// github.com/sashabaranov/go-openai: a streaming chat client implementing
// answer.Chat and an embedder implementing xinqiao.Embedder. Model names and
// the base URL are configuration strings; nothing here logs message text.
package openai

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	goopenai "github.com/sashabaranov/go-openai"

	"xinqiao/internal/answer"
)

// Config configures the adapter. Zero values take the defaults in brackets.
type Config struct {
	// BaseURL is the endpoint's API root, e.g. "https://api.openai.com/v1" or
	// "http://127.0.0.1:11434/v1". A URL with no path gets "/v1" appended.
	BaseURL string
	// APIKey is sent as a bearer token; local servers usually need none.
	APIKey string
	// ChatModel is the model for answers (required by New).
	ChatModel string
	// MaxTokens bounds a completion [700]; Temperature [0.3].
	MaxTokens   int
	Temperature float32
	// EmbedModel and EmbedDim are the embedding model and its vector length
	// (both required by NewEmbedder); every vector is checked against EmbedDim.
	EmbedModel string
	EmbedDim   int
	// EmbedSendDimensions sends "dimensions": EmbedDim with each request (only
	// OpenAI's text-embedding-3 models honour it; others may reject it).
	EmbedSendDimensions bool
	// EmbedBatch is the number of texts per request [64]; EmbedRetries the
	// retries of a batch after a 429, a 5xx or a network error [3].
	EmbedBatch   int
	EmbedRetries int
	// HTTPClient is the client for every request [a new http.Client].
	HTTPClient *http.Client
}

// Client is a streaming chat client for one model.
type Client struct {
	c   *goopenai.Client
	cfg Config
}

// NormalizeBaseURL trims a trailing slash and appends "/v1" to a URL that has
// no path, so "http://127.0.0.1:11434" and "http://127.0.0.1:11434/v1/" both
// reach Ollama's OpenAI-compatible API.
func NormalizeBaseURL(raw string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Scheme == "" || u.Host == "" {
		return "", fmt.Errorf("openai: base URL %q: want an absolute http(s) URL", raw)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", fmt.Errorf("openai: base URL %q: want http or https", raw)
	}
	u.Path = strings.TrimRight(u.Path, "/")
	if u.Path == "" {
		u.Path = "/v1"
	}
	return u.String(), nil
}

func newClient(cfg Config) (*goopenai.Client, error) {
	base, err := NormalizeBaseURL(cfg.BaseURL)
	if err != nil {
		return nil, err
	}
	cc := goopenai.DefaultConfig(cfg.APIKey)
	cc.BaseURL = base
	if cfg.HTTPClient != nil {
		cc.HTTPClient = cfg.HTTPClient
	}
	return goopenai.NewClientWithConfig(cc), nil
}

// New returns a chat client; it fails without a valid BaseURL and ChatModel.
func New(cfg Config) (*Client, error) {
	if strings.TrimSpace(cfg.ChatModel) == "" {
		return nil, errors.New("openai: no chat model configured")
	}
	if cfg.MaxTokens <= 0 {
		cfg.MaxTokens = 700
	}
	if cfg.Temperature == 0 {
		cfg.Temperature = 0.3
	}
	c, err := newClient(cfg)
	if err != nil {
		return nil, err
	}
	return &Client{c: c, cfg: cfg}, nil
}

// Model returns the chat model's name.
func (c *Client) Model() string { return c.cfg.ChatModel }

// ErrIncomplete is returned when a stream ends without a finish reason: the
// connection broke and the text is partial.
var ErrIncomplete = errors.New("openai: stream ended before the model finished")

// StatusError is an error with the HTTP status the endpoint answered, so the
// answerer retries 429 and 5xx.
type StatusError struct {
	Status int
	Err    error
}

// Error implements error.
func (e *StatusError) Error() string { return fmt.Sprintf("openai: HTTP %d: %v", e.Status, e.Err) }

// Unwrap returns the go-openai error.
func (e *StatusError) Unwrap() error { return e.Err }

// StatusCode implements answer.StatusCoder.
func (e *StatusError) StatusCode() int { return e.Status }

func wrap(err error) error {
	var ae *goopenai.APIError
	if errors.As(err, &ae) && ae.HTTPStatusCode != 0 {
		return &StatusError{Status: ae.HTTPStatusCode, Err: err}
	}
	var re *goopenai.RequestError
	if errors.As(err, &re) && re.HTTPStatusCode != 0 {
		return &StatusError{Status: re.HTTPStatusCode, Err: err}
	}
	return fmt.Errorf("openai: %w", err)
}

func messages(msgs []answer.Message) []goopenai.ChatCompletionMessage {
	out := make([]goopenai.ChatCompletionMessage, len(msgs))
	for i, m := range msgs {
		out[i] = goopenai.ChatCompletionMessage{Role: m.Role, Content: m.Content}
	}
	return out
}

// Stream implements answer.Chat: one streamed chat completion with usage
// reporting. onDelta gets every non-empty content piece, in order, from the
// calling goroutine. Chunks without choices (the usage chunk) are read for
// usage only. A stream that ends without a finish reason returns ErrIncomplete
// with the partial completion; a cancelled ctx closes the connection and
// returns ctx's error.
func (c *Client) Stream(ctx context.Context, msgs []answer.Message, onDelta func(string)) (answer.Completion, error) {
	req := goopenai.ChatCompletionRequest{
		Model:         c.cfg.ChatModel,
		Messages:      messages(msgs),
		Stream:        true,
		StreamOptions: &goopenai.StreamOptions{IncludeUsage: true},
		MaxTokens:     c.cfg.MaxTokens,
		Temperature:   c.cfg.Temperature,
	}
	comp := answer.Completion{Model: c.cfg.ChatModel}
	stream, err := c.c.CreateChatCompletionStream(ctx, req)
	if err != nil {
		if ctx.Err() != nil {
			return comp, ctx.Err()
		}
		return comp, wrap(err)
	}
	defer stream.Close()
	var b strings.Builder
	for {
		resp, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			comp.Text = b.String()
			if ctx.Err() != nil {
				return comp, ctx.Err()
			}
			return comp, wrap(err)
		}
		if resp.Model != "" {
			comp.Model = resp.Model
		}
		if resp.Usage != nil {
			comp.PromptTokens = resp.Usage.PromptTokens
			comp.CompletionTokens = resp.Usage.CompletionTokens
		}
		if len(resp.Choices) == 0 {
			continue
		}
		ch := resp.Choices[0]
		if d := ch.Delta.Content; d != "" {
			b.WriteString(d)
			if onDelta != nil {
				onDelta(d)
			}
		}
		if ch.FinishReason != "" {
			comp.FinishReason = string(ch.FinishReason)
		}
	}
	comp.Text = b.String()
	if ctx.Err() != nil {
		return comp, ctx.Err()
	}
	switch comp.FinishReason {
	case "":
		return comp, ErrIncomplete
	case string(goopenai.FinishReasonContentFilter):
		return comp, errors.New("openai: the endpoint's content filter stopped the answer")
	}
	return comp, nil
}

// Complete runs one non-streamed chat completion (for short structured
// replies such as a risk second opinion).
func (c *Client) Complete(ctx context.Context, msgs []answer.Message) (answer.Completion, error) {
	resp, err := c.c.CreateChatCompletion(ctx, goopenai.ChatCompletionRequest{
		Model:       c.cfg.ChatModel,
		Messages:    messages(msgs),
		MaxTokens:   c.cfg.MaxTokens,
		Temperature: 0,
	})
	if err != nil {
		if ctx.Err() != nil {
			return answer.Completion{}, ctx.Err()
		}
		return answer.Completion{}, wrap(err)
	}
	comp := answer.Completion{Model: resp.Model, PromptTokens: resp.Usage.PromptTokens, CompletionTokens: resp.Usage.CompletionTokens}
	if len(resp.Choices) == 0 {
		return comp, errors.New("openai: completion without choices")
	}
	comp.Text = resp.Choices[0].Message.Content
	comp.FinishReason = string(resp.Choices[0].FinishReason)
	return comp, nil
}
