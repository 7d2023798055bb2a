// Package prompts holds the text xinqiao sends to a language model and the fixed
// replies it writes itself, as embedded files rendered with text/template:
//
//   - system.{zh,en}.tmpl: the system prompt (role, grounding and citation rules,
//     safety rules, injection resistance, the grade band's reading level);
//   - context.{zh,en}.tmpl: the last user message of a turn, with the numbered
//     passages and the student's message fenced and labelled as data;
//   - replies.{zh,en}.tmpl: the extractive lead-in and tail, the no-material reply,
//     the reply used when a pinned card is missing, the standard safety question
//     and the notice that a teacher will read the conversation (review);
//   - risk_second_opinion.md: the risk engineer's prompt for a second opinion,
//     rendered by RiskSecondOpinion.
//
// Editing a file changes behaviour: run `go test ./prompts/ -update` and review the
// golden files in testdata/ like code.
package prompts

import (
	"bytes"
	"embed"
	"fmt"
	"strings"
	"text/template"
)

// FS holds every prompt file of the folder.
//
//go:embed *.tmpl *.md
var FS embed.FS

// RiskSecondOpinionFile is the name in FS of the risk second-opinion prompt.
const RiskSecondOpinionFile = "risk_second_opinion.md"

// Passage is one numbered passage as the model sees it. N is the number the
// answer cites as [N].
type Passage struct {
	N       int
	Title   string
	Heading string
	Text    string
}

// Context is what the last user message of a turn carries.
type Context struct {
	Question string
	Passages []Passage
}

// Reply names the fixed replies in replies.{zh,en}.tmpl.
const (
	ReplyExtractiveLead = "extractive_lead"
	ReplyExtractiveTail = "extractive_tail"
	ReplyNoMaterial     = "no_material"
	ReplyPinnedMissing  = "pinned_missing"
	// ReplySafetyQuestion is the standard safety question the assistant asks
	// once per conversation when a message opens a review. It is worded so
	// that a short yes is read as high risk by the dialogue reading
	// (risk.Classifier.Answered): keep a near time word in it.
	ReplySafetyQuestion = "safety_question"
	// ReplyReviewNotice tells the student, once, that the school's
	// psychology teacher will read the conversation.
	ReplyReviewNotice = "review_notice"
)

var funcs = template.FuncMap{"data": Data}

var tmpl = map[string]*template.Template{}

func init() {
	for _, lang := range []string{"zh", "en"} {
		for _, kind := range []string{"system", "context", "replies"} {
			name := kind + "." + lang + ".tmpl"
			tmpl[name] = template.Must(template.New(name).Funcs(funcs).ParseFS(FS, name))
		}
	}
	tmpl["brief.zh.tmpl"] = template.Must(template.New("brief.zh.tmpl").Funcs(funcs).ParseFS(FS, "brief.zh.tmpl"))
}

// Lang returns "en" for "en" (any case, with a region) and "zh" for anything else:
// Chinese is the default language of the service.
func Lang(lang string) string {
	if l := strings.ToLower(strings.TrimSpace(lang)); l == "en" || strings.HasPrefix(l, "en-") || strings.HasPrefix(l, "en_") {
		return "en"
	}
	return "zh"
}

// Band returns band if it is "primary", "junior" or "senior", else "" (which the
// templates read as junior).
func Band(band string) string {
	switch band {
	case "primary", "junior", "senior":
		return band
	}
	return ""
}

// System renders the system prompt for a language and a grade band.
func System(lang, band string) (string, error) {
	return render(tmpl["system."+Lang(lang)+".tmpl"], "", struct{ Band string }{Band(band)})
}

// User renders the last user message of a turn: the passages, each fenced in a
// <passage n="N"> element, and the student's message in <student_message>, both
// labelled as data and neutralised with Data so that neither can close its fence.
func User(lang string, c Context) (string, error) {
	return render(tmpl["context."+Lang(lang)+".tmpl"], "", c)
}

// BriefTurn is one line of a transcript given to the counselor-brief prompt:
// who spoke (in words the model reads, e.g. "学生") and what was said.
type BriefTurn struct {
	Role string
	Text string
}

// CounselorBrief renders the prompt that asks the model for a short brief of
// a conversation for the counselor taking it over: the system instructions
// and the transcript, each message neutralised with Data inside one fence.
func CounselorBrief(turns []BriefTurn) (system, user string, err error) {
	t := tmpl["brief.zh.tmpl"]
	if system, err = render(t, "system", nil); err != nil {
		return "", "", err
	}
	user, err = render(t, "user", turns)
	return system, user, err
}

// Reply renders one of the fixed replies (ReplyExtractiveLead, …) in a language.
func Reply(lang, name string) (string, error) {
	return render(tmpl["replies."+Lang(lang)+".tmpl"], name, nil)
}

// StudentMessage fences an earlier student message of the history the same way
// User fences the current one.
func StudentMessage(text string) string {
	return "<student_message>\n" + Data(text) + "\n</student_message>"
}

// RiskSecondOpinion renders risk_second_opinion.md (owned by the risk engineer)
// as a text/template in which {{text}} is the student's message and {{history}}
// the earlier student messages (oldest first, one a line, "(none)" when there
// are none), each fenced in <student_message> and neutralised with Data. The
// file is parsed on each call so that a missing or broken file is an error,
// not a panic.
func RiskSecondOpinion(text string, history []string) (string, error) {
	hist := "(none)"
	if len(history) > 0 {
		var b strings.Builder
		for i, h := range history {
			if i > 0 {
				b.WriteString("\n")
			}
			b.WriteString(StudentMessage(h))
		}
		hist = b.String()
	}
	fm := template.FuncMap{
		"data":    Data,
		"text":    func() string { return StudentMessage(text) },
		"history": func() string { return hist },
	}
	t, err := template.New(RiskSecondOpinionFile).Funcs(fm).ParseFS(FS, RiskSecondOpinionFile)
	if err != nil {
		return "", fmt.Errorf("prompts: %w", err)
	}
	return render(t, "", nil)
}

// dataReplacer turns the characters that could open or close a fence into their
// full-width forms and drops control characters other than newline and tab.
var dataReplacer = strings.NewReplacer(
	"<", "＜", ">", "＞", `"`, "＂",
	"\r\n", "\n", "\r", "\n",
	"\x00", "", "\x1b", "", "\u2028", "\n", "\u2029", "\n",
)

// Data neutralises untrusted text (a student's message, a passage) before it is
// placed inside a fence: angle brackets and double quotes become full-width, so
// the text can neither close its <passage> or <student_message> element nor open a
// new one, and surrounding space is trimmed. The meaning for a reader is unchanged.
func Data(s string) string {
	return strings.TrimSpace(dataReplacer.Replace(s))
}

func render(t *template.Template, name string, data any) (string, error) {
	if t == nil {
		return "", fmt.Errorf("prompts: no template")
	}
	var b bytes.Buffer
	var err error
	if name == "" {
		err = t.Execute(&b, data)
	} else {
		err = t.ExecuteTemplate(&b, name, data)
	}
	if err != nil {
		return "", fmt.Errorf("prompts: render %s: %w", t.Name(), err)
	}
	return strings.TrimSpace(b.String()), nil
}
