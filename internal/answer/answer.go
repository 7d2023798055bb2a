// Package answer writes the assistant's reply to a student's message that the
// risk classifier let through. The pipeline builds one Request (question,
// language, grade band, history, ranked passages, risk level) and calls
// Answerer.Answer once; everything else happens here:
//
//  1. Pinned cards: a medium-risk message, a low-risk message in a sensitive
//     category, or a question whose top passages carry a sensitive topic
//     (self-harm, abuse, eating, sexuality for primary pupils) gets an approved
//     card from the knowledge base, never free generation.
//  2. No material: without confident passages the reply says so and points to
//     the school psychology teacher.
//  3. An LLM answer (NewLLM) streamed through onDelta, then checked (risk,
//     phone numbers, URLs, length); or an extractive answer (NewExtractive)
//     assembled from the passages' most relevant sentences.
//  4. Every failure of the LLM path (timeout, error, open circuit breaker,
//     failed check) falls back to the extractive answer and is counted.
//
// Streaming contract for the page: deltas are a prefix of the text being
// written, and the final Answer always replaces everything streamed before it.
// When a check fails after streaming began, the final text is a different
// (extractive) answer, so the page must replace the streamed text by the final
// message rather than append to it. onDelta is never called after Answer returns.
package answer

import (
	"context"

	"xinqiao/internal/xinqiao"
)

// Passage is one ranked passage from the knowledge base. N is the number the
// answer cites as [N]; 0 means its position in the list plus one.
type Passage struct {
	N       int
	DocID   string
	Version int
	Title   string
	Heading string
	Text    string
	Topics  []string
	Score   float64
}

// Turn is one earlier message of the conversation.
type Turn struct {
	Role string // "student", "assistant" or "counselor"
	Text string
}

// Request is everything needed to answer one student message.
type Request struct {
	Question string
	Lang     string // "zh" or "en"; anything else is read as "zh"
	Band     string // "primary", "junior", "senior" or "" (read as junior)
	// History holds earlier turns, oldest first; the answerer trims it to a token budget.
	History []Turn
	// Passages are ranked, best first. Empty, or Confident false, means no good material.
	Passages  []Passage
	Confident bool
	// RiskLevel is the classifier's level for the message: "none", "low" or
	// "medium" (higher levels never reach the answerer; if one does, it is treated
	// as medium). RiskCategories are the classifier's categories.
	RiskLevel      string
	RiskCategories []string
}

// Modes of an Answer.
const (
	ModeLLM        = "llm"         // written by the language model and checked
	ModeExtractive = "extractive"  // sentences picked from the passages
	ModeCard       = "card"        // an approved pinned card
	ModeNoMaterial = "no_material" // the passages do not cover the question
	ModeFallback   = "fallback"    // the LLM path failed; the text is extractive
)

// Fallback reasons (Answer.Fallback); a failed check is "check_failed:<reason>"
// with a reason from CheckError.
const (
	FallbackTimeout     = "timeout"
	FallbackStall       = "stall" // the stream went quiet after its first token
	FallbackBreakerOpen = "breaker_open"
	FallbackError       = "error"
	FallbackCheckPrefix = "check_failed:"
)

// Answer is the reply to send. AIGenerated is true for every machine-written reply
// (LLM, extractive, card, no-material): the page and any export label it.
type Answer struct {
	Text        string
	Sources     []xinqiao.Source
	AIGenerated bool
	Mode        string
	// Fallback says why, when Mode is ModeFallback: "timeout", "breaker_open",
	// "check_failed:<reason>" or "error".
	Fallback string
}

// Answerer answers one request. onDelta (may be nil) receives streamed pieces of
// the text; it is never called after Answer returns, and the final Answer.Text
// replaces whatever was streamed. The error is non-nil only when ctx ended (the
// socket closed or a handoff opened): then nothing should be sent.
type Answerer interface {
	Answer(ctx context.Context, req Request, onDelta func(text string)) (Answer, error)
}

// Cards looks up the approved pinned card for a key ("medium_risk", "self_harm",
// "abuse", "eating", "sexuality_young", "bullying_now", …) in a language and a
// grade band. The knowledge base implements it.
type Cards interface {
	Card(ctx context.Context, key, lang, band string) (Passage, bool)
}

// Message is one chat message sent to a model.
type Message struct {
	Role    string // "system", "user" or "assistant"
	Content string
}

// Completion is the outcome of one streamed chat completion. Token counts are 0
// when the server reported no usage.
type Completion struct {
	Text             string
	Model            string
	FinishReason     string
	PromptTokens     int
	CompletionTokens int
}

// Chat streams one chat completion, calling onDelta with each piece of text as it
// arrives, in order, from the calling goroutine or one it waits for. It must
// return soon after ctx ends. internal/openai implements it.
type Chat interface {
	Stream(ctx context.Context, msgs []Message, onDelta func(text string)) (Completion, error)
}

// StatusCoder is implemented by Chat errors that carry an HTTP status, so that
// 429 and 5xx are retried (before the first token only).
type StatusCoder interface {
	StatusCode() int
}

// RiskChecker classifies a text; the lead adapts the risk classifier to it.
// level is "none", "low", "medium", "high" or "imminent".
type RiskChecker interface {
	Check(text string) (level string, categories []string)
}

func source(p Passage) xinqiao.Source {
	return xinqiao.Source{Title: p.Title, DocID: p.DocID, Version: p.Version}
}

func number(p Passage, i int) int {
	if p.N > 0 {
		return p.N
	}
	return i + 1
}
