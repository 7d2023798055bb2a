package answer

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// Metrics of the answering path, registered on the default registry.
var (
	// RequestsTotal counts answers by the mode they were sent in.
	RequestsTotal = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "xinqiao_answer_requests_total",
		Help: "Answers sent, by mode (llm, extractive, card, no_material, fallback).",
	}, []string{"mode"})
	// FallbacksTotal counts LLM answers replaced by the extractive answer, by reason.
	FallbacksTotal = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "xinqiao_answer_fallbacks_total",
		Help: "LLM answers replaced by the extractive answer, by model and reason (timeout, breaker_open, error, check_failed:<reason>).",
	}, []string{"model", "reason"})
	// CheckFailuresTotal counts generated answers that failed the output check.
	CheckFailuresTotal = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "xinqiao_answer_check_failures_total",
		Help: "Generated answers that failed the output check, by reason (risk, phone, url, length, empty).",
	}, []string{"reason"})
	// CardsTotal counts pinned replies by card key and whether the card was found.
	CardsTotal = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "xinqiao_answer_cards_total",
		Help: "Pinned card replies, by card key and whether the knowledge base had the card.",
	}, []string{"key", "found"})

	// LLMRequestsTotal counts chat completions by model and outcome.
	LLMRequestsTotal = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "xinqiao_llm_requests_total",
		Help: "LLM answer attempts, by model and outcome (ok, error, timeout, check_failed, canceled, breaker_open).",
	}, []string{"model", "outcome"})
	// LLMRetriesTotal counts retries after a 429 or 5xx before the first token.
	LLMRetriesTotal = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "xinqiao_llm_retries_total",
		Help: "Chat completion retries (429 or 5xx before the first token), by model.",
	}, []string{"model"})
	// LLMTokensTotal counts tokens by model and direction (in, out).
	LLMTokensTotal = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "xinqiao_llm_tokens_total",
		Help: "Tokens used, by model and direction (in = prompt, out = completion); estimated when the server reports no usage.",
	}, []string{"model", "direction"})
	// LLMTimeToFirstToken observes the time from request to first streamed token.
	LLMTimeToFirstToken = promauto.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "xinqiao_llm_time_to_first_token_seconds",
		Help:    "Time from the start of an LLM answer to its first streamed token, by model.",
		Buckets: []float64{.1, .25, .5, 1, 2, 4, 8, 15, 30},
	}, []string{"model"})
	// LLMDuration observes the duration of whole LLM answers.
	LLMDuration = promauto.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "xinqiao_llm_duration_seconds",
		Help:    "Duration of LLM answers that completed, by model.",
		Buckets: []float64{.5, 1, 2, 4, 8, 15, 30, 60},
	}, []string{"model"})
	// LLMBreakerState is 0 closed, 1 open, 2 half-open.
	LLMBreakerState = promauto.NewGaugeVec(prometheus.GaugeOpts{
		Name: "xinqiao_llm_breaker_state",
		Help: "Circuit breaker state of the LLM endpoint, by model: 0 closed, 1 open, 2 half-open.",
	}, []string{"model"})
)
