package openai

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
	goopenai "github.com/sashabaranov/go-openai"

	"xinqiao/internal/xinqiao"
)

// Embedding metrics, registered on the default registry.
var (
	// EmbedRequestsTotal counts embedding requests (batches) by model and outcome.
	EmbedRequestsTotal = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "xinqiao_llm_embed_requests_total",
		Help: "Embedding requests (one per batch), by model and outcome (ok, retry, error).",
	}, []string{"model", "outcome"})
	// EmbedTokensTotal counts prompt tokens the endpoint reported for embeddings.
	EmbedTokensTotal = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "xinqiao_llm_embed_tokens_total",
		Help: "Tokens the endpoint reported for embedding requests, by model.",
	}, []string{"model"})
)

// Embedder implements xinqiao.Embedder over an OpenAI-compatible /embeddings
// endpoint: texts are sent in batches, each retried with jittered backoff after
// a 429, a 5xx or a network error, and every vector is checked against the
// configured dimension and scaled to unit length.
type Embedder struct {
	c       *goopenai.Client
	cfg     Config
	backoff time.Duration
}

// NewEmbedder returns an embedder; it fails without a valid BaseURL, an
// EmbedModel and a positive EmbedDim.
func NewEmbedder(cfg Config) (*Embedder, error) {
	if strings.TrimSpace(cfg.EmbedModel) == "" {
		return nil, errors.New("openai: no embedding model configured")
	}
	if cfg.EmbedDim <= 0 {
		return nil, errors.New("openai: the embedding dimension must be configured")
	}
	if cfg.EmbedBatch <= 0 {
		cfg.EmbedBatch = 64
	}
	if cfg.EmbedRetries == 0 {
		cfg.EmbedRetries = 3
	} else if cfg.EmbedRetries < 0 {
		cfg.EmbedRetries = 0
	}
	c, err := newClient(cfg)
	if err != nil {
		return nil, err
	}
	return &Embedder{c: c, cfg: cfg, backoff: 200 * time.Millisecond}, nil
}

// Name identifies the model: "openai:" and the model name.
func (e *Embedder) Name() string { return "openai:" + e.cfg.EmbedModel }

// Dim is the configured vector length.
func (e *Embedder) Dim() int { return e.cfg.EmbedDim }

// ErrDimension reports a vector whose length is not the configured dimension:
// the model behind the endpoint is not the one configured.
var ErrDimension = errors.New("openai: embedding dimension mismatch")

// Embed returns one unit-length vector per text, in order.
func (e *Embedder) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	out := make([][]float32, 0, len(texts))
	for start := 0; start < len(texts); start += e.cfg.EmbedBatch {
		end := min(start+e.cfg.EmbedBatch, len(texts))
		vs, err := e.batch(ctx, texts[start:end])
		if err != nil {
			return nil, fmt.Errorf("embed texts %d–%d: %w", start, end-1, err)
		}
		out = append(out, vs...)
	}
	return out, nil
}

func (e *Embedder) batch(ctx context.Context, texts []string) ([][]float32, error) {
	req := goopenai.EmbeddingRequest{Input: texts, Model: goopenai.EmbeddingModel(e.cfg.EmbedModel)}
	if e.cfg.EmbedSendDimensions {
		req.Dimensions = e.cfg.EmbedDim
	}
	for attempt := 0; ; attempt++ {
		resp, err := e.c.CreateEmbeddings(ctx, req)
		if err == nil {
			EmbedRequestsTotal.WithLabelValues(e.cfg.EmbedModel, "ok").Inc()
			EmbedTokensTotal.WithLabelValues(e.cfg.EmbedModel).Add(float64(resp.Usage.PromptTokens))
			return e.vectors(resp, len(texts))
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		err = wrap(err)
		if attempt >= e.cfg.EmbedRetries || !retryableEmbed(err) {
			EmbedRequestsTotal.WithLabelValues(e.cfg.EmbedModel, "error").Inc()
			return nil, err
		}
		EmbedRequestsTotal.WithLabelValues(e.cfg.EmbedModel, "retry").Inc()
		wait := min(e.backoff<<attempt, 5*time.Second)
		wait = wait/2 + time.Duration(rand.Int64N(int64(wait/2)+1))
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		}
	}
}

func retryableEmbed(err error) bool {
	var se *StatusError
	if errors.As(err, &se) {
		return se.Status == 429 || se.Status >= 500
	}
	return true // a network error: the endpoint may be restarting
}

func (e *Embedder) vectors(resp goopenai.EmbeddingResponse, n int) ([][]float32, error) {
	if len(resp.Data) != n {
		return nil, fmt.Errorf("openai: got %d embeddings for %d texts", len(resp.Data), n)
	}
	out := make([][]float32, n)
	for i, d := range resp.Data {
		idx := d.Index
		if idx < 0 || idx >= n || out[idx] != nil {
			idx = i // servers that leave index at 0 answer in order
			if out[idx] != nil {
				return nil, fmt.Errorf("openai: duplicate embedding index %d", d.Index)
			}
		}
		if len(d.Embedding) != e.cfg.EmbedDim {
			return nil, fmt.Errorf("%w: got %d, want %d (model %s)", ErrDimension, len(d.Embedding), e.cfg.EmbedDim, e.cfg.EmbedModel)
		}
		out[idx] = xinqiao.UnitVector(d.Embedding)
	}
	return out, nil
}
