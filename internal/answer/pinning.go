package answer

import (
	"context"
	"strings"

	"xinqiao/prompts"
)

// Pinning decides when a reply must be an approved card instead of a generated
// or extracted one. Nil maps take the defaults (DefaultPinning).
type Pinning struct {
	// MediumDefault is the card for a medium-risk message whose categories
	// name no card of their own.
	MediumDefault string
	// MediumCategories maps a risk category to its card at medium risk.
	MediumCategories map[string]string
	// Categories maps a risk category to its card at any level (e.g. "low"
	// talk about self-harm).
	Categories map[string]string
	// Topics maps a knowledge-base topic of a top passage to a card, for every band.
	Topics map[string]string
	// PrimaryTopics maps a topic to a card for primary pupils only.
	PrimaryTopics map[string]string
	// TopicWindow is how many top passages' topics are looked at (default 3).
	TopicWindow int
}

// DefaultPinning returns the district's default rules, matching the cards'
// pinned_for keys in knowledge/cards.
func DefaultPinning() Pinning {
	return Pinning{
		MediumDefault:    "medium_risk",
		MediumCategories: map[string]string{"self_harm": "self_harm", "abuse": "abuse", "bullying": "bullying_now"},
		Categories:       map[string]string{"self_harm": "self_harm", "suicide": "medium_risk", "abuse": "abuse"},
		Topics: map[string]string{
			"self-harm": "self_harm", "abuse": "abuse", "sexual-abuse": "abuse", "domestic-violence": "abuse",
			"eating": "eating", "eating-disorder": "eating", "suicide": "medium_risk",
		},
		PrimaryTopics: map[string]string{
			"sexuality": "sexuality_young", "sex": "sexuality_young", "sex-education": "sexuality_young",
			"crush": "sexuality_young", "first-feelings": "sexuality_young", "dating": "sexuality_young",
		},
		TopicWindow: 3,
	}
}

func (p Pinning) withDefaults() Pinning {
	d := DefaultPinning()
	if p.MediumDefault == "" {
		p.MediumDefault = d.MediumDefault
	}
	if p.MediumCategories == nil {
		p.MediumCategories = d.MediumCategories
	}
	if p.Categories == nil {
		p.Categories = d.Categories
	}
	if p.Topics == nil {
		p.Topics = d.Topics
	}
	if p.PrimaryTopics == nil {
		p.PrimaryTopics = d.PrimaryTopics
	}
	if p.TopicWindow <= 0 {
		p.TopicWindow = d.TopicWindow
	}
	return p
}

func normTopic(t string) string {
	return strings.ReplaceAll(strings.ToLower(strings.TrimSpace(t)), "_", "-")
}

// Key returns the card key the request must be answered with, or "".
func (p Pinning) Key(req Request) string {
	p = p.withDefaults()
	switch strings.ToLower(strings.TrimSpace(req.RiskLevel)) {
	case "", "none", "low":
	default: // medium, and anything unexpected, fails safe to a card
		for _, c := range req.RiskCategories {
			if k := p.MediumCategories[c]; k != "" {
				return k
			}
		}
		return p.MediumDefault
	}
	for _, c := range req.RiskCategories {
		if k := p.Categories[c]; k != "" {
			return k
		}
	}
	for i, ps := range req.Passages {
		if i >= p.TopicWindow {
			break
		}
		for _, t := range ps.Topics {
			t = normTopic(t)
			if k := p.Topics[t]; k != "" {
				return k
			}
			if req.Band == "primary" {
				if k := p.PrimaryTopics[t]; k != "" {
					return k
				}
			}
		}
	}
	return ""
}

// preamble answers the requests that never reach generation or extraction: a
// pinned card, or the no-material reply. ok is false when the request should be
// answered from the passages.
func preamble(ctx context.Context, req Request, cards Cards, pin Pinning) (Answer, bool) {
	lang := prompts.Lang(req.Lang)
	if key := pin.Key(req); key != "" {
		var card Passage
		found := false
		if cards != nil {
			card, found = cards.Card(ctx, key, lang, req.Band)
		}
		CardsTotal.WithLabelValues(key, boolLabel(found && strings.TrimSpace(card.Text) != "")).Inc()
		RequestsTotal.WithLabelValues(ModeCard).Inc()
		if found && strings.TrimSpace(card.Text) != "" {
			return Answer{Text: strings.TrimSpace(card.Text), Sources: sourcesOf([]Passage{card}), AIGenerated: true, Mode: ModeCard}, true
		}
		text, _ := prompts.Reply(lang, prompts.ReplyPinnedMissing)
		return Answer{Text: text, AIGenerated: true, Mode: ModeCard}, true
	}
	if !req.Confident || len(req.Passages) == 0 {
		RequestsTotal.WithLabelValues(ModeNoMaterial).Inc()
		text, _ := prompts.Reply(lang, prompts.ReplyNoMaterial)
		return Answer{Text: text, AIGenerated: true, Mode: ModeNoMaterial}, true
	}
	return Answer{}, false
}

func boolLabel(b bool) string {
	if b {
		return "true"
	}
	return "false"
}
