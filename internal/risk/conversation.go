package risk

import (
	"errors"
	"sort"
	"strings"
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
	// Through is the sequence number of the conversation's last message
	// when the counselor lowered it (0: not known): the messages up to it
	// were assessed, so a later message is not read together with them
	// (Context.Earlier).
	Through int64 `json:"through,omitempty"`
}

// RecentRule names the layer-2 rule that fires when a student's message,
// read together with the student's messages just before it, says more than
// it says alone: 过完生日就走 — 离开这个世界, "everything's gonna be quiet
// soon" — "took them already", 我脸肿了 — 我妈 — 拿拖鞋.
const RecentRule = "context.recent_turns"

// RecentTurns is how many of the student's messages just before a message
// are read with it; recentRunes bounds each (its last runes are read).
const (
	RecentTurns = 2
	recentRunes = 200
)

// Context is what a conversation says right before a student's message, as
// the transcript has it.
type Context struct {
	// Question is the counselor's or the assistant's message the student's
	// message answers: the latest message, system notices aside, when it is
	// theirs; else "".
	Question string
	// Earlier are the student's own messages just before this one, oldest
	// first, at most RecentTurns, none from before a counselor lowered the
	// conversation's level (ConversationState.Lowered: what was assessed is
	// not read again).
	Earlier []string
}

// ReadTurn is layer 2 for one student message, as the service reads it: res
// is the message's own result (Classify). A short answer (MayAnswer) is read
// as the answer to the question before it (Answered), and a short reply
// naming a method or a time as the blank it fills (AnsweredSlotRule); the
// message is read together with the student's messages just before it, and
// when that reading is medium or above and says more than the message and
// the conversation so far, the message takes it (RecentRule). Then the
// result is added to the conversation (Accumulate). context is called once,
// and may be nil (the first message, or the transcript could not be read).
// The message's level is max(res.Level, next.Level). It never lowers res.
func (c *Classifier) ReadTurn(prev ConversationState, res Result, text string, context func() Context) (Result, ConversationState) {
	if context != nil {
		ctx := context()
		if ctx.Question != "" {
			own := res
			if MayAnswer(text) {
				res = c.Answered(ctx.Question, text, res)
			}
			res = answeredSlot(prev, ctx.Question, text, own, res)
		}
		if len(ctx.Earlier) > 0 {
			res = c.withRecent(prev, ctx.Earlier, text, res)
		}
	}
	return res, c.Accumulate(prev, res)
}

// withRecent reads text after the student's earlier messages, joined as
// sentences of one text, and raises r to that reading when it is medium or
// above and higher than both r and the conversation, or brings a category
// at that level that neither has. Only the last RecentTurns earlier
// messages, each cut to its last recentRunes runes, are read.
func (c *Classifier) withRecent(prev ConversationState, earlier []string, text string, r Result) Result {
	if len(earlier) > RecentTurns {
		earlier = earlier[len(earlier)-RecentTurns:]
	}
	var b strings.Builder
	for _, e := range earlier {
		e = strings.TrimSpace(e)
		if rs := []rune(e); len(rs) > recentRunes {
			e = string(rs[len(rs)-recentRunes:])
		}
		b.WriteString(e)
		b.WriteString("。")
	}
	b.WriteString(text)
	w := c.Classify(b.String())
	if w.Level < Medium || !saysMore(w, max(r.Level, prev.Level), r.Categories, prev.Categories) {
		return r
	}
	return readAs(r, w, RecentRule, text)
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
