// Package risk reads student messages for danger before anything else happens.
//
// It has three layers. Layer 1 (Classify) is a rule engine: counselor-editable
// rule files (Chinese and English) are compiled into one Aho–Corasick automaton
// that runs over normalised text (full-width, case, traditional characters,
// characters spaced out with punctuation, pinyin, homophones, emoji, written
// Cantonese) and maps every match back to the original text so that a counselor
// sees why a message was flagged. Layer 2 (Accumulate) carries signals across
// the turns of a conversation; its level only rises unless a counselor lowers it
// with a reason (Lower). Layer 3 (Combine) takes an optional second opinion that
// can raise a level and never lowers one.
package risk

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Level is how urgent a message or conversation is. The order follows the
// ideation → intent → plan → means → timeframe → action ladder.
type Level int

// Levels, from no concern to an act planned for now or under way.
const (
	None     Level = iota // nothing of concern
	Low                   // distress, topic talk, resolved past thoughts
	Medium                // ideation, abuse or bullying disclosure, threats
	High                  // intent, plan, method, recent act: opens a handoff
	Imminent              // plan with means and a near time, or an act under way
)

var levelNames = [...]string{"none", "low", "medium", "high", "imminent"}

// String returns the lowercase name used in JSON, rule files and the API.
func (l Level) String() string {
	if l < None || int(l) >= len(levelNames) {
		return fmt.Sprintf("level(%d)", int(l))
	}
	return levelNames[l]
}

// ParseLevel turns a level name (case-insensitive) into a Level.
func ParseLevel(s string) (Level, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	for i, n := range levelNames {
		if n == t {
			return Level(i), nil
		}
	}
	return None, fmt.Errorf("unknown risk level %q (want none, low, medium, high or imminent)", s)
}

// MarshalText encodes the level as its name, so JSON carries "high", not 3.
func (l Level) MarshalText() ([]byte, error) {
	if l < None || l > Imminent {
		return nil, fmt.Errorf("invalid risk level %d", int(l))
	}
	return []byte(l.String()), nil
}

// UnmarshalText decodes a level name.
func (l *Level) UnmarshalText(b []byte) error {
	v, err := ParseLevel(string(b))
	if err != nil {
		return err
	}
	*l = v
	return nil
}

// Category is what kind of danger a match points to.
type Category string

// Categories a rule may carry.
const (
	Suicide         Category = "suicide"
	SelfHarm        Category = "self_harm"
	Abuse           Category = "abuse"
	Violence        Category = "violence"
	Bullying        Category = "bullying"
	Crisis          Category = "crisis"
	ConcernForOther Category = "concern_for_other"
)

// SignalDenial is the signal of a clear denial ("我不是想自杀，只是想发泄一下",
// rules zh.denial, en.denial): when it is the message's only signal and no
// rule reads risk in it, the learned model alone grades it medium at most.
const SignalDenial = "denial"

// SignalAttempt is the signal of an attempt told (zh.suicide.attempt.past
// and its kin): one's own suicide attempt told as over and past
// ("以前自杀过，现在好多了") keeps its grade (GUIDE.md: an attempt is high),
// and one's own self-harm long over is capped at medium, not low like other
// resolved talk, so that a counselor reads it (the review tier).
const SignalAttempt = "attempt"

// Categories lists every known category in a stable order.
var Categories = []Category{Suicide, SelfHarm, Abuse, Violence, Bullying, Crisis, ConcernForOther}

func validCategory(c Category) bool {
	for _, k := range Categories {
		if k == c {
			return true
		}
	}
	return false
}

func categoryRank(c Category) int {
	for i, k := range Categories {
		if k == c {
			return i
		}
	}
	return len(Categories)
}

// Match is one rule that fired, with the span of the original text it fired on.
type Match struct {
	Rule     string   `json:"rule"`     // rule id, e.g. "zh.suicide.plan.pills"
	Category Category `json:"category"` // after context (a friend's risk becomes concern_for_other)
	Level    Level    `json:"level"`    // after context (hyperbole, topic talk, resolved past)
	Start    int      `json:"start"`    // rune offset into the original text
	End      int      `json:"end"`      // rune offset, exclusive
	Text     string   `json:"text"`     // the original text span
}

// Result is layer 1's verdict on one message.
type Result struct {
	Level      Level      `json:"level"`
	Categories []Category `json:"categories"`
	Rules      []string   `json:"rules"`
	Matches    []Match    `json:"matches,omitempty"`
	Signals    []string   `json:"signals,omitempty"`
	Failed     bool       `json:"failed,omitempty"`
	// Model is the learned scorer's reading when it graded the message
	// medium or above (nil otherwise).
	Model *ModelScore `json:"model,omitempty"`
}

// OtherLevel is the level of the gravest risk the message reads as someone
// else's (matches of category concern_for_other): high or above is someone
// else in danger now (a friend who took pills and does not wake), for whom
// the crisis card leads with the emergency lines. None when there is none.
func (r Result) OtherLevel() Level {
	lvl := None
	for _, m := range r.Matches {
		if m.Category == ConcernForOther && m.Level > lvl {
			lvl = m.Level
		}
	}
	return lvl
}

// ForOther reports that the crisis card at level is the one for someone
// else in danger: the danger to someone else (other, an OtherLevel) is
// high or above and no lower than level.
func ForOther(level, other Level) bool { return level >= High && other >= level }

// MarshalJSON writes Categories and Rules as [] rather than null when empty.
func (r Result) MarshalJSON() ([]byte, error) {
	type plain Result
	p := plain(r)
	if p.Categories == nil {
		p.Categories = []Category{}
	}
	if p.Rules == nil {
		p.Rules = []string{}
	}
	return json.Marshal(p)
}
