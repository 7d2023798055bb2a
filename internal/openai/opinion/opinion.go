// Package opinion gives the risk classifier a second opinion from a language
// model (risk.SecondOpinion) through the OpenAI-compatible chat client. It is a
// package of its own so that the chat adapter builds without the risk package.
package opinion

import (
	"context"
	"fmt"

	"xinqiao/internal/answer"
	"xinqiao/internal/risk"
	"xinqiao/prompts"
)

// Completer runs one non-streamed chat completion; *openai.Client implements it.
type Completer interface {
	Complete(ctx context.Context, msgs []answer.Message) (answer.Completion, error)
}

// SecondOpinion implements risk.SecondOpinion with a model: one user message,
// prompts/risk_second_opinion.md rendered with the fenced message and history
// (prompts.RiskSecondOpinion); the reply must be the JSON that
// risk.ParseOpinion accepts, or Assess returns an error (and risk.Combine then
// keeps the first opinion).
type SecondOpinion struct {
	c      Completer
	render func(text string, history []string) (string, error)
	// MaxHistory bounds the earlier messages sent (the most recent ones) [6].
	MaxHistory int
}

// New returns a second opinion over c, rendering prompts.RiskSecondOpinion.
func New(c Completer) *SecondOpinion {
	return &SecondOpinion{c: c, render: prompts.RiskSecondOpinion, MaxHistory: 6}
}

// WithPrompt returns a copy that renders its system prompt with render (tests).
func (s *SecondOpinion) WithPrompt(render func(text string, history []string) (string, error)) *SecondOpinion {
	c := *s
	c.render = render
	return &c
}

var _ risk.SecondOpinion = (*SecondOpinion)(nil)

// Assess implements risk.SecondOpinion.
func (s *SecondOpinion) Assess(ctx context.Context, text string, history []string) (risk.Opinion, error) {
	if n := s.MaxHistory; n >= 0 && len(history) > n {
		history = history[len(history)-n:]
	}
	prompt, err := s.render(text, history)
	if err != nil {
		return risk.Opinion{}, fmt.Errorf("second opinion prompt: %w", err)
	}
	comp, err := s.c.Complete(ctx, []answer.Message{{Role: "user", Content: prompt}})
	if err != nil {
		return risk.Opinion{}, fmt.Errorf("second opinion: %w", err)
	}
	return risk.ParseOpinion([]byte(comp.Text))
}
