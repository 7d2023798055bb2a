package risk

import (
	"slices"
	"strings"
)

// AnsweredSlotRule names the layer-2 rule that fires when a student's short
// reply names a method or a time in answer to a question about how, what or
// when, asked by the assistant or a counselor in a conversation where a wish
// to die, a plan, a goodbye or self-harm has already been read: 你打算怎么做？
// — 跳; 你说的那件事是指什么？— 药; 你打算什么时候？— 现在. A yes or a no is
// Answered's; this reads the answers that fill the question's blank.
const AnsweredSlotRule = "context.answered_how_when"

// Questions that ask how (or which thing), and questions that ask when.
var (
	howAsks = []string{"怎么做", "怎么弄", "怎样做", "怎么结束", "打算怎么", "想怎么", "用什么", "什么方法", "什么方式", "哪种方法",
		"是指什么", "指的是什么", "是什么事", "点做", "点样做", "点样", "how would you", "how will you", "how are you going to",
		"how are you planning", "how do you plan", "what would you use", "what do you mean", "what thing", "what is it"}
	whenAsks = []string{"什么时候", "几点", "哪天", "哪一天", "几时", "when are you", "when do you", "when would you", "when will you", "what time"}
)

// Short answers that name a way to die or to hurt oneself, and the ones
// among them that are means in hand; and answers that say now.
var (
	slotMethods = []string{"跳", "药", "割腕", "割手", "割自己", "划手", "划自己", "上吊", "绳子", "烧炭", "炭", "刀", "撞车", "卧轨", "农药", "淹死", "𠝹",
		"jump", "pills", "pill", "overdose", "od", "rope", "hang", "cut", "cutting", "knife", "blade", "razor", "bridge", "train", "roof"}
	slotMeans = []string{"药", "绳子", "炭", "刀", "农药", "pills", "pill", "rope", "knife", "blade", "razor"}
	slotNow   = []string{"现在", "而家", "宜家", "马上", "立刻", "now", "rn", "tonight", "今晚", "今夜"}
	// everyday words that hold a method's character: no method
	slotErrands = []string{"跳舞", "跳绳", "跳远", "跳高", "跳水", "跳槽", "跳级", "跳过", "药学", "药剂", "刀工", "jump rope", "high jump", "long jump"}
)

// slotSignals are the signals that make a conversation one in which a how
// or a when is about dying or self-harm.
var slotSignals = []string{"ideation", "passive", "plan", "plan_hint", "farewell", "farewell_hint", "self_harm", "giving_away"}

// answeredSlot reads reply as the answer that fills the blank of the
// question before it (see AnsweredSlotRule): a method named after how or
// what, a high; a time after when, a high, or imminent when it is now or
// tonight, once the conversation is at medium or above over dying or
// self-harm. own is the reply's own reading (Classify), whose signals say
// whether it names a time; r is what it is read as so far. It leaves r as it
// is when the conversation holds no wish, plan, goodbye or self-harm yet,
// when the reply is long, a no or a question back, or names nothing of the
// kind.
func answeredSlot(prev ConversationState, question, reply string, own, r Result) Result {
	if _, ok := shortReply(reply); !ok || Denies(reply) || strings.ContainsAny(reply, "?？") || !slotConversation(prev, r) {
		return r
	}
	// both read as the rules read them: lower case, Traditional folded
	// (幾時 → 几时, 藥 → 药), spaces and punctuation between words gone
	var nt normText
	q := normalizeString(lastQuestion(question), &nt)
	t := normalizeString(reply, &nt)
	if q == "" || strings.Contains(t, "吗") {
		return r
	}
	cat := Suicide
	if slices.Contains(prev.Categories, SelfHarm) && !slices.Contains(prev.Categories, Suicide) {
		cat = SelfHarm
	}
	var out Result
	switch {
	case containsAny(q, howAsks) && hasWord(t, slotMethods) && !hasWord(t, slotErrands):
		out = Result{Level: High, Categories: []Category{cat}, Signals: []string{"plan"}}
		if hasWord(t, slotMeans) {
			out.Signals = append(out.Signals, "means")
		}
	case !containsAny(q, whenAsks) || !dyingAtMedium(prev):
		return r
	case hasWord(t, slotNow):
		out = Result{Level: Imminent, Categories: []Category{cat}, Signals: []string{"plan", "timeframe"}}
	case slices.Contains(own.Signals, "timeframe"):
		out = Result{Level: High, Categories: []Category{cat}, Signals: []string{"plan", "timeframe"}}
	default:
		return r
	}
	if !saysMore(out, max(r.Level, prev.Level), r.Categories, prev.Categories) {
		return r
	}
	return readAs(r, out, AnsweredSlotRule, reply)
}

// slotConversation reports whether the conversation so far, or the message
// itself, holds a wish to die, a plan, a goodbye or self-harm.
func slotConversation(prev ConversationState, r Result) bool {
	for _, s := range slotSignals {
		if prev.Signals[s] > 0 || slices.Contains(r.Signals, s) {
			return true
		}
	}
	return false
}

// dyingAtMedium reports whether the conversation has reached medium or
// above over dying or self-harm: a when is read as the time of it only
// then (终于决定报哪间大学 — 几时开始准备？— 今晚 is a plan of another kind).
func dyingAtMedium(prev ConversationState) bool {
	return prev.Level >= Medium && (slices.Contains(prev.Categories, Suicide) || slices.Contains(prev.Categories, SelfHarm))
}

// hasWord reports whether t holds one of ws: a Chinese word anywhere, a
// Latin one as a whole word.
func hasWord(t string, ws []string) bool {
	lat := words(t)
	for _, w := range ws {
		if latin(w) {
			if slices.Contains(lat, w) || (strings.Contains(w, " ") && strings.Contains(t, w)) {
				return true
			}
		} else if strings.Contains(t, w) {
			return true
		}
	}
	return false
}
