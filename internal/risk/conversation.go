package risk

import (
	"errors"
	"sort"
)

// ConversationState is layer 2: what a conversation has shown so far. It is a
// small value the caller persists (as JSON) and passes back on the next turn.
type ConversationState struct {
	// Level is the conversation's level; it only rises by itself.
	Level Level `json:"level"`
	// Signals counts the turns that showed each signal ("means", "timeframe" …).
	Signals map[string]int `json:"signals,omitempty"`
	// Categories seen at low or above, in a stable order.
	Categories []Category `json:"categories,omitempty"`
	// Rules are the combination rules that fired across turns.
	Rules []string `json:"rules,omitempty"`
	// Turns is the number of results accumulated.
	Turns int `json:"turns"`
	// Lowered records the last counselor action that lowered the level.
	Lowered *Lowering `json:"lowered,omitempty"`
	// Other is the highest level of a danger to someone else seen so far
	// (Result.OtherLevel): when it is high and no lower than Level, the
	// crisis card is the one for someone else in danger.
	Other Level `json:"other,omitempty"`
}

// Lowering is a counselor's decision to lower a conversation's level.
type Lowering struct {
	From   Level  `json:"from"`
	To     Level  `json:"to"`
	Reason string `json:"reason"`
}

// Accumulate adds one message's result to the conversation. The level never
// falls: it is the highest of the previous level, the message's level and
// every combination rule over the signals seen so far (hopelessness in one
// turn, means in the next, a time in the third → high).
func (c *Classifier) Accumulate(prev ConversationState, r Result) ConversationState {
	next := prev
	next.Turns++
	next.Signals = make(map[string]int, len(prev.Signals)+len(r.Signals))
	for k, v := range prev.Signals {
		next.Signals[k] = v
	}
	for _, s := range r.Signals {
		next.Signals[s]++
	}
	next.Categories = append([]Category(nil), prev.Categories...)
	next.Rules = append([]string(nil), prev.Rules...)
	if r.Level > next.Level {
		next.Level = r.Level
	}
	next.Other = max(next.Other, r.OtherLevel())
	if r.Level > None {
		for _, k := range r.Categories {
			next.Categories = addCategory(next.Categories, k)
		}
	}
	var sig uint64
	for i, n := range c.signals {
		if next.Signals[n] > 0 {
			sig |= 1 << uint(i)
		}
	}
	for _, k := range c.combos {
		if k.sameTurn {
			continue // Classify already applied it to the message alone
		}
		if sig&k.when == k.when && k.level > None {
			if k.level > next.Level {
				next.Level = k.level
			}
			next.Categories = addCategory(next.Categories, k.category)
			next.Rules = addString(next.Rules, k.id)
		}
	}
	sort.Slice(next.Categories, func(i, j int) bool {
		return categoryRank(next.Categories[i]) < categoryRank(next.Categories[j])
	})
	if len(next.Signals) == 0 {
		next.Signals = nil
	}
	return next
}

// Lower is the counselor's action: it sets the conversation's level to "to",
// which must not be above the current level, and records why. The reason is
// required. Accumulated signals are cleared so that what the counselor has
// already assessed does not raise the level again by itself; new messages do.
func Lower(prev ConversationState, to Level, reason string) (ConversationState, error) {
	if to < None || to > Imminent {
		return prev, errors.New("risk: lower: invalid level")
	}
	if len(trimSpace(reason)) == 0 {
		return prev, errors.New("risk: lower: a reason is required")
	}
	if to > prev.Level {
		return prev, errors.New("risk: lower: the new level is above the current one")
	}
	next := prev
	next.Lowered = &Lowering{From: prev.Level, To: to, Reason: reason}
	next.Level = to
	next.Other = min(next.Other, to)
	next.Signals = nil
	next.Rules = nil
	return next, nil
}

func trimSpace(s string) string {
	start, end := 0, len(s)
	for start < end && (s[start] == ' ' || s[start] == '\t' || s[start] == '\n' || s[start] == '\r') {
		start++
	}
	for end > start && (s[end-1] == ' ' || s[end-1] == '\t' || s[end-1] == '\n' || s[end-1] == '\r') {
		end--
	}
	return s[start:end]
}
