package risk

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// AffirmedRule names the layer-2 rule that fires when a student's short
// "yes" answers a question about risk asked by a counselor or the assistant.
const AffirmedRule = "context.affirmed_question"

// DeniedSafetyRule names the layer-2 rule that fires when a student's short
// "no" answers a question about their safety ("你现在安全吗？" — 不安全; "can
// you promise me you won't hurt yourself tonight?" — I can't).
const DeniedSafetyRule = "context.denied_safety"

// MaxReplyRunes bounds what counts as a short reply: longer replies say
// enough on their own for layer 1.
const MaxReplyRunes = 40

// Chinese and Cantonese yes-words that affirm only when nothing but
// particles, punctuation or a new clause follows (有 yes, 有点 not).
var shortYes = []string{"有", "是", "对", "会", "嗯", "恩", "想", "要", "在", "係", "系", "冇错", "没错"}

// A partial yes that affirms only as the whole reply, with nothing but
// particles or punctuation after it (有一点, 有啲, 一点点): 有点累 is tiredness.
// Longest first, so that 有一点点 is not read as 有一点 and a rest of 点.
var partialYes = []string{"有一点点", "有一點點", "有一点", "有一點", "有一些", "有少少", "有一啲", "一点点", "一點點", "有点", "有點", "有些", "有啲", "少少", "一点", "一點"}

// Words that affirm whatever follows them (想过好几次, 偶尔会).
var longYes = []string{"想过", "有过", "做过", "试过", "经常", "偶尔", "有时候", "有时", "有几次", "有一次", "有好几次",
	"一直", "总是", "常常", "老是", "确实", "可能", "也许", "大概", "算是", "应该是", "差不多"}

// Verbs of 有X过 (有想过, 有割过), a yes in southern Mandarin and Cantonese.
const yesVerbs = "想试做割划吃跳写打谂諗"

// Negations that open a no (不会, 没有, 冇, 唔係, 别).
const noStarts = "不没无冇唔别未否"

// Particles that may follow a short yes (有的, 是啊, 对呀, 嗯嗯).
const yesParticles = "的啊呀吧啦呢哦噢嗯了过滴额哇咯嘛喔呗"

// English yes-words, whole words at the start of the reply.
var enYes = []string{"yes", "yeah", "yep", "yup", "ya", "yea", "sometimes", "often", "always", "maybe", "kind of", "kinda",
	"sort of", "a little", "a bit", "i have", "i do", "i did", "i am", "im", "i was", "i think so", "i guess", "probably", "true", "right"}

// English words that turn a reply into a no.
var enNo = map[string]bool{"no": true, "not": true, "never": true, "nope": true, "nah": true, "dont": true, "didnt": true,
	"havent": true, "wasnt": true, "isnt": true, "arent": true, "cant": true, "wont": true, "nothing": true}

// shortReply lowercases a reply and drops its apostrophes (dont, im), and
// reports whether it is short enough to be an answer at all.
func shortReply(reply string) (string, bool) {
	t := strings.TrimSpace(strings.ToLower(reply))
	t = strings.Map(func(r rune) rune {
		switch r {
		case '\'', '’', '`':
			return -1
		}
		return r
	}, t)
	return t, t != "" && utf8.RuneCountInString(t) <= MaxReplyRunes
}

// latin reports whether a reply is written in Latin letters (English).
func latin(t string) bool {
	r, _ := utf8.DecodeRuneInString(t)
	return r < utf8.RuneSelf
}

// words splits English text into its words.
func words(t string) []string {
	return strings.FieldsFunc(t, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
}

// Affirms reports whether a reply is a short yes: 有, 嗯嗯, 是的, 想过好几次,
// 有，昨晚还想过, yes, sometimes, I have. A reply that starts with a no
// (没有, 不会, no, I don't), a question back (有没有), or a yes-word that is
// part of another word (有点累, 对不起, yesterday) is not.
func Affirms(reply string) bool {
	t, ok := shortReply(reply)
	if !ok {
		return false
	}
	if latin(t) {
		return affirmsEnglish(t)
	}
	for _, w := range longYes {
		if strings.HasPrefix(t, w) {
			return true
		}
	}
	if rs := []rune(t); len(rs) >= 3 && rs[0] == '有' && rs[2] == '过' && strings.ContainsRune(yesVerbs, rs[1]) {
		return true // 有想过, 有割过
	}
	for _, w := range partialYes {
		rest, ok := strings.CutPrefix(t, w)
		if !ok {
			continue
		}
		return endsAnswer(rest)
	}
	for _, w := range shortYes {
		rest, ok := strings.CutPrefix(t, w)
		if !ok {
			continue
		}
		return endsAnswer(strings.TrimLeft(rest, w)) // 嗯嗯, 对对对
	}
	return false
}

// endsAnswer reports whether what follows a yes-word leaves it the whole
// answer: nothing but particles, or punctuation or a new clause after them.
func endsAnswer(rest string) bool {
	rest = strings.TrimLeft(rest, yesParticles)
	if rest == "" {
		return true
	}
	r, _ := utf8.DecodeRuneInString(rest)
	return unicode.IsPunct(r) || unicode.IsSpace(r) || unicode.IsSymbol(r)
}

func affirmsEnglish(t string) bool {
	ws := words(t)
	if len(ws) == 0 {
		return false
	}
	for i, w := range ws {
		if i < 4 && enNo[w] {
			return false
		}
	}
	joined := strings.Join(ws, " ")
	for _, y := range enYes {
		if joined == y || strings.HasPrefix(joined, y+" ") {
			return true
		}
	}
	return false
}

// Chinese question forms and what they become in a statement.
var zhQuestion = strings.NewReplacer(
	"有没有", "有", "是不是", "", "会不会", "会", "想不想", "想", "要不要", "要", "能不能", "能",
	"在不在", "在", "有冇", "有", "係唔係", "", "会唔会", "会", "是否", "", "有无", "有",
	"您", "我", "你", "我",
)

// Restate turns the last question of a counselor's or the assistant's
// message into the statement a yes would make of it:
// 你有没有想过结束自己的生命？ → 我有想过结束自己的生命;
// Have you been thinking about hurting yourself? → i have been thinking
// about hurting myself. It returns "" when the message asks no question.
func Restate(question string) string {
	q := lastQuestion(question)
	if q == "" {
		return ""
	}
	if latin(q) {
		return restateEnglish(q)
	}
	s := zhQuestion.Replace(q)
	s = strings.TrimRight(s, "?？!！ 　")
	s = strings.TrimRight(s, "吗呢么嘛吧呀啊")
	return s
}

// lastQuestion is the last sentence of a message that asks something.
func lastQuestion(msg string) string {
	var sents []string
	start := 0
	for i, r := range msg {
		switch r {
		case '。', '！', '!', '？', '?', '\n', '.':
			end := i + utf8.RuneLen(r)
			sents = append(sents, msg[start:end])
			start = end
		}
	}
	sents = append(sents, msg[start:])
	for i := len(sents) - 1; i >= 0; i-- {
		s := strings.TrimSpace(sents[i])
		if s == "" {
			continue
		}
		if isQuestion(s) {
			return s
		}
	}
	return ""
}

func isQuestion(s string) bool {
	if strings.HasSuffix(s, "?") || strings.HasSuffix(s, "？") {
		return true
	}
	return containsAny(strings.TrimRight(s, "。.！! "), []string{"吗", "有没有", "是不是", "会不会", "是否", "有冇", "係唔係", "未呀"})
}

// containsAny reports whether s holds one of subs.
func containsAny(s string, subs []string) bool {
	return slices.ContainsFunc(subs, func(w string) bool { return strings.Contains(s, w) })
}

// English auxiliaries that start a yes/no question, and the statement form
// after "i".
var enAux = map[string]string{"have": "have", "are": "am", "do": "", "did": "", "were": "was", "will": "will",
	"would": "would", "can": "can", "could": "could", "have you ever": "have"}

func restateEnglish(q string) string {
	words := strings.FieldsFunc(strings.ToLower(q), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '\''
	})
	for i, w := range words {
		switch w {
		case "yourself":
			words[i] = "myself"
		case "your":
			words[i] = "my"
		case "you":
			words[i] = "me"
		}
	}
	// aux + "me" at the start was "aux you": the subject.
	if len(words) >= 2 && words[1] == "me" {
		if aux, ok := enAux[words[0]]; ok {
			out := []string{"i"}
			if aux != "" {
				out = append(out, aux)
			}
			return strings.Join(append(out, words[2:]...), " ")
		}
	}
	// is/has/does anyone … → someone …
	if len(words) >= 2 && (words[1] == "anyone" || words[1] == "someone" || words[1] == "anybody" || words[1] == "somebody") {
		switch words[0] {
		case "is", "has", "does", "did", "was":
			verb := words[0]
			if verb == "does" || verb == "did" {
				verb = ""
			}
			out := []string{"someone"}
			if verb != "" {
				out = append(out, verb)
			}
			return strings.Join(append(out, words[2:]...), " ")
		}
	}
	return strings.Join(words, " ")
}

// Answered reads a reply in the light of the question it answers.
//
// A short yes (Affirms, or the question's verb echoed) makes the question,
// restated as the student's own statement (Restate), the reply's meaning:
// 你有没有想过结束自己的生命？ — 有 reads 我有想过结束自己的生命 (AffirmedRule).
// A short no (Denies) to a question about the student's safety makes its
// negation the reply's meaning: 你现在安全吗？ — 不安全 reads 我现在不安全, and
// 你能答应我今晚不伤害自己吗？ — 不能 reads 我今晚会伤害自己 (DeniedSafetyRule).
// When that statement is graded medium or above, the reply takes its level,
// categories and signals under the rule, with the whole reply as the span,
// plus the statement's rules. Otherwise r, the reply's own result, is
// returned unchanged. It never lowers r.
func (c *Classifier) Answered(question, reply string, r Result) Result {
	if utf8.RuneCountInString(reply) > MaxReplyRunes {
		return r
	}
	st := Restate(question)
	if st == "" {
		return r
	}
	rule := AffirmedRule
	switch {
	case Affirms(reply) || echoes(question, reply):
	case Denies(reply):
		if st = negateSafety(st); st == "" {
			return r
		}
		rule = DeniedSafetyRule
	default:
		return r
	}
	q := c.classifyRules(st) // our own sentence: read by the rules it was written for
	if q.Failed || q.Level < Medium || !saysMore(q, r.Level, r.Categories) {
		return r
	}
	return readAs(r, q, rule, reply)
}

// readAs is r, a message's own result, raised to q, the result of reading
// it in its context: the higher level, both results' categories, rules and
// signals, rule (which names the context) added, and a match of rule over
// the whole message at q's level, since q's own spans lie in another text.
func readAs(r, q Result, rule, text string) Result {
	out := r
	out.Level = max(r.Level, q.Level)
	out.Categories = append([]Category(nil), r.Categories...)
	for _, k := range q.Categories {
		out.Categories = addCategory(out.Categories, k)
	}
	out.Rules = addString(append([]string(nil), r.Rules...), rule)
	for _, id := range q.Rules {
		out.Rules = addString(out.Rules, id)
	}
	out.Signals = append([]string(nil), r.Signals...)
	for _, sg := range q.Signals {
		out.Signals = addString(out.Signals, sg)
	}
	top := Crisis
	if len(q.Categories) > 0 {
		top = q.Categories[0]
	}
	out.Matches = append(append([]Match(nil), r.Matches...), Match{Rule: rule, Category: top, Level: q.Level,
		Start: 0, End: utf8.RuneCountInString(text), Text: text})
	return out
}

// MayAnswer reports whether a message could be a short yes (Affirms, or a
// short first clause that could repeat a question's verb), so that a caller
// looks up the question before it only when Affirmed could use it.
func MayAnswer(reply string) bool {
	if utf8.RuneCountInString(reply) > MaxReplyRunes {
		return false
	}
	return Affirms(reply) || Denies(reply) || echoHead(reply) != ""
}

// Refusals anywhere in a short Chinese reply (我做不到, 没办法, 不知道).
var noAnywhere = []string{"做不到", "没办法", "办不到", "不知道", "不确定", "说不准", "唔知", "唔得", "做唔到"}

// Denies reports whether a reply is a short no or a refusal: 不安全, 没有,
// 不能, 我做不到, 不知道, no, not really, I can't, idk, not sure.
func Denies(reply string) bool {
	t, ok := shortReply(reply)
	if !ok {
		return false
	}
	if latin(t) {
		ws := words(t)
		switch {
		case len(ws) == 0 || len(ws) > 6: // nothing, or a sentence of its own
			return false
		case enNo[ws[0]] || ws[0] == "idk" || ws[0] == "cannot":
			return true
		case len(ws) > 1 && (ws[0] == "i" || ws[0] == "im") && (enNo[ws[1]] || ws[1] == "cannot"):
			return true // I can't, I don't know, I'm not
		}
		return strings.HasPrefix(strings.Join(ws, " "), "not sure")
	}
	if r, _ := utf8.DecodeRuneInString(t); strings.ContainsRune(noStarts, r) {
		return true
	}
	return utf8.RuneCountInString(t) <= 12 && containsAny(t, noAnywhere)
}

// Promises not to come to harm, and what refusing them says.
var zhPromise = strings.NewReplacer("能答应我", "", "可以答应我", "", "答应我", "", "能保证", "", "可以保证", "", "保证", "",
	"承诺", "", "答应", "",
	"不会伤害", "会伤害", "不伤害", "会伤害", "不会做傻事", "会做傻事", "不做傻事", "会做傻事", "不会自杀", "会自杀", "不会想不开", "会想不开")

// negateSafety turns a restated question about the student's safety into
// the statement a no would make of it, or "" for any other question:
// 我现在安全 → 我现在不安全; 我能答应我今晚不伤害自己 → 我今晚会伤害自己;
// i am safe right now → i am not safe right now; can i promise me i wont
// hurt myself → i will hurt myself.
func negateSafety(st string) string {
	if latin(st) {
		switch {
		case strings.Contains(st, "promise") && strings.Contains(st, "hurt"):
			return "i will hurt myself"
		case strings.Contains(st, "promise") && strings.Contains(st, "kill"):
			return "i will kill myself"
		case strings.Contains(st, "safe") && !strings.Contains(st, "not safe"):
			return strings.Replace(st, "safe", "not safe", 1)
		}
		return ""
	}
	switch {
	case strings.ContainsAny(st, "答应保证承诺"):
		if n := zhPromise.Replace(st); n != st && !strings.Contains(n, "不会") {
			return n
		}
	case strings.Contains(st, "安全") && !strings.Contains(st, "不安全"):
		return strings.Replace(st, "安全", "不安全", 1)
	}
	return ""
}

// echoes reports whether a reply answers yes by repeating the question's
// verb, the usual Chinese yes: 你有没有割过自己？ — 割过.
func echoes(question, reply string) bool {
	head := echoHead(reply)
	return head != "" && strings.Contains(lastQuestion(question), head)
}

// echoHead is the first clause of a Chinese reply, without its particles,
// when it is 2 to 4 characters long and no no (割过 in 割过，好几次); else "".
func echoHead(reply string) string {
	rs := []rune(strings.TrimSpace(reply))
	n := 0
	for n < len(rs) && !unicode.IsPunct(rs[n]) && !unicode.IsSpace(rs[n]) && !unicode.IsSymbol(rs[n]) {
		n++
	}
	head := []rune(strings.TrimRight(string(rs[:n]), strings.ReplaceAll(yesParticles, "过", "")))
	if len(head) < 2 || len(head) > 4 || head[0] < utf8.RuneSelf || strings.ContainsRune(noStarts, head[0]) {
		return ""
	}
	return string(head)
}

// saysMore reports whether q, a reading of a message in its context, adds
// to what is already known: a level above level, or a category that none of
// have holds.
func saysMore(q Result, level Level, have ...[]Category) bool {
	if q.Level > level {
		return true
	}
	for _, k := range q.Categories {
		if !slices.ContainsFunc(have, func(cs []Category) bool { return slices.Contains(cs, k) }) {
			return true
		}
	}
	return false
}
