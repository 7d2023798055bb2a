package risk

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Opinion is a second opinion on one message (layer 3), e.g. from an LLM.
type Opinion struct {
	Level      Level      `json:"level"`
	Categories []Category `json:"categories"`
	Reason     string     `json:"reason"`
}

// SecondOpinion gives an opinion on a message with the conversation's
// earlier student messages (oldest first). Implementations must honour ctx.
type SecondOpinion interface {
	Assess(ctx context.Context, text string, history []string) (Opinion, error)
}

// SecondOpinionRule is the rule id Combine adds when an opinion raised a result.
const SecondOpinionRule = "second_opinion"

// ParseOpinion validates a second opinion's JSON output:
// {"level": "...", "categories": [...], "reason": "..."}. Unknown fields,
// unknown levels or categories, and trailing data are errors. Surrounding
// whitespace and a Markdown code fence are tolerated.
func ParseOpinion(b []byte) (Opinion, error) {
	b = bytes.TrimSpace(b)
	if bytes.HasPrefix(b, []byte("```")) {
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			b = b[i+1:]
		}
		b = bytes.TrimSuffix(bytes.TrimSpace(b), []byte("```"))
	}
	var raw struct {
		Level      *Level     `json:"level"`
		Categories []Category `json:"categories"`
		Reason     string     `json:"reason"`
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&raw); err != nil {
		return Opinion{}, fmt.Errorf("risk: second opinion: %w", err)
	}
	if dec.More() {
		return Opinion{}, errors.New("risk: second opinion: trailing data after the JSON object")
	}
	if raw.Level == nil {
		return Opinion{}, errors.New("risk: second opinion: missing level")
	}
	for _, c := range raw.Categories {
		if !validCategory(c) {
			return Opinion{}, fmt.Errorf("risk: second opinion: unknown category %q", c)
		}
	}
	return Opinion{Level: *raw.Level, Categories: raw.Categories, Reason: raw.Reason}, nil
}

// Combine asks so for a second opinion within timeout and merges it into r:
// the opinion can raise the level and add categories, never lower anything.
// A nil so, an error, a panic, a timeout or an invalid level changes nothing.
func Combine(ctx context.Context, r Result, text string, history []string, so SecondOpinion, timeout time.Duration) Result {
	if so == nil {
		return r
	}
	if timeout <= 0 {
		timeout = 3 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	type reply struct {
		op  Opinion
		err error
	}
	ch := make(chan reply, 1)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				ch <- reply{err: errors.New("second opinion panicked")}
			}
		}()
		op, err := so.Assess(ctx, text, history)
		ch <- reply{op, err}
	}()
	var rep reply
	select {
	case rep = <-ch:
	case <-ctx.Done():
		return r
	}
	if rep.err != nil || rep.op.Level < None || rep.op.Level > Imminent || rep.op.Level <= r.Level {
		return r
	}
	out := r
	out.Level = rep.op.Level
	out.Categories = append([]Category(nil), r.Categories...)
	for _, c := range rep.op.Categories {
		if validCategory(c) {
			out.Categories = addCategory(out.Categories, c)
		}
	}
	if len(out.Categories) == 0 {
		out.Categories = []Category{Crisis}
	}
	out.Rules = addString(append([]string(nil), r.Rules...), SecondOpinionRule)
	return out
}
