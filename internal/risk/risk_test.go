package risk_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"xinqiao/internal/risk"
)

func TestLevelStringParseJSON(t *testing.T) {
	for i, name := range []string{"none", "low", "medium", "high", "imminent"} {
		l := risk.Level(i)
		if got := l.String(); got != name {
			t.Errorf("Level(%d).String(): got %q, want %q", i, got, name)
		}
		p, err := risk.ParseLevel(strings.ToUpper(name))
		if err != nil || p != l {
			t.Errorf("ParseLevel(%q): got %v, %v, want %v", name, p, err, l)
		}
		b, err := json.Marshal(l)
		if err != nil || string(b) != `"`+name+`"` {
			t.Errorf("json.Marshal(%v): got %s, %v", l, b, err)
		}
		var back risk.Level
		if err := json.Unmarshal(b, &back); err != nil || back != l {
			t.Errorf("json.Unmarshal(%s): got %v, %v", b, back, err)
		}
	}
	if _, err := risk.ParseLevel("severe"); err == nil {
		t.Error("ParseLevel(severe): got nil error, want one")
	}
	var l risk.Level
	if err := json.Unmarshal([]byte(`3`), &l); err == nil {
		t.Error("json.Unmarshal(3): got nil error, want one (levels are strings)")
	}
}

func TestResultJSONEmptySlices(t *testing.T) {
	c := mustLoad(t)
	b, err := json.Marshal(c.Classify("今天天气真好"))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"level":"none","categories":[],"rules":[]}`
	if string(b) != want {
		t.Errorf("got %s, want %s", b, want)
	}
}

func TestMatchesExplain(t *testing.T) {
	c := mustLoad(t)
	tests := []struct {
		name, text, wantRule, wantText string
	}{
		{"plain", "我真的好想死", "zh.suicide.ideation.want_die", "好想死"},
		{"spaced", "我想 自 . 杀", "zh.suicide.ideation.thoughts", "想 自 . 杀"},
		{"fullwidth", "ｉ ｗａｎｔ ｔｏ ｄｉｅ", "en.suicide.ideation", "ｗａｎｔ ｔｏ ｄｉｅ"},
		{"traditional", "我想自殺", "zh.suicide.ideation.thoughts", "想自殺"},
		{"emoji prefix", "😭😭我不想活了", "zh.suicide.ideation.not_live", "不想活"},
		{"filler inside", "活着到底有什么意思", "zh.suicide.ideation.not_live", "活着到底有什么意思"},
		{"fillers inside", "活着究竟 其实有什么意思", "zh.suicide.ideation.not_live", "活着究竟 其实有什么意思"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := c.Classify(tc.text)
			for _, m := range r.Matches {
				if m.Rule == tc.wantRule {
					if m.Text != tc.wantText {
						t.Errorf("match text: got %q, want %q", m.Text, tc.wantText)
					}
					rs := []rune(tc.text)
					if string(rs[m.Start:m.End]) != m.Text {
						t.Errorf("span [%d,%d): got %q, want %q", m.Start, m.End, string(rs[m.Start:m.End]), m.Text)
					}
					return
				}
			}
			t.Errorf("got rules %v, want %s", r.Rules, tc.wantRule)
		})
	}
}

func TestClassifyPanicIsSafe(t *testing.T) {
	c := mustLoad(t)
	before := testutil.ToFloat64(risk.PanicsTotal)
	undo := risk.SetTestHook(func(string) { panic("boom") })
	got := c.Classify("hello")
	undo()
	if got.Level != risk.High || !got.Failed || len(got.Categories) != 1 || got.Categories[0] != risk.Crisis {
		t.Errorf("got %+v, want level high, categories [crisis], failed", got)
	}
	if after := testutil.ToFloat64(risk.PanicsTotal); after != before+1 {
		t.Errorf("panics counter: got %v, want %v", after, before+1)
	}
	if got := c.Classify("hello"); got.Failed {
		t.Errorf("after the hook is removed: got failed result %+v", got)
	}
}

func writeRules(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for n, s := range files {
		if err := os.WriteFile(filepath.Join(dir, n), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestLoadRejectsBadFiles(t *testing.T) {
	tests := []struct {
		name, file, wantErr string
	}{
		{"unknown field", "rule x.a\nlang: zh\ncolour: red\n", "bad.rules:3:"},
		{"bad level", "rule x.a\nlang: zh\ncategory: suicide\nlevel: severe\nmatch: 哈\n", "bad.rules:4:"},
		{"bad category", "rule x.a\nlang: zh\ncategory: sadness\n", "bad.rules:3:"},
		{"missing match", "rule x.a\nlang: zh\ncategory: suicide\nlevel: low\n", "bad.rules:1:"},
		{"unknown set", "rule x.a\nlang: zh\ncategory: suicide\nlevel: low\nmatch: {nosuch}死\n", "bad.rules:5:"},
		{"unknown cond set", "rule x.a\nlang: zh\ncategory: suicide\nlevel: low\nmatch: 哈\nunless: nosuch before 2\n", "bad.rules:6:"},
		{"empty alternative", "rule x.a\nlang: zh\ncategory: suicide\nlevel: low\nmatch: 哈 || 呵\n", "bad.rules:5:"},
		{"field outside rule", "level: low\n", "bad.rules:1:"},
		{"duplicate id", "rule zh.suicide.ideation.want_die\nlang: zh\ncategory: suicide\nlevel: low\nmatch: 哈\nrule zh.suicide.ideation.want_die\nlang: zh\ncategory: suicide\nlevel: low\nmatch: 哈\n", "bad.rules:6:"},
		{"combo unknown signal", "combo x.c\nwhen: nosuch + means\nlevel: high\ncategory: suicide\n", "bad.rules:2:"},
		{"combo bad scope", "combo x.c\nwhen: ideation + means\nlevel: high\ncategory: suicide\nscope: turn\n", "bad.rules:5:"},
		{"bad id", "rule X A\n", "bad.rules:1:"},
		{"unknown set in a+b", "rule x.a\nlang: zh\ncategory: suicide\nlevel: low\nmatch: 哈\nunless: neg+nosuch sentence\n", "bad.rules:6: rule x.a: unless: unknown set \"nosuch\""},
		{"empty set in a+b", "rule x.a\nlang: zh\ncategory: suicide\nlevel: low\nmatch: 哈\nneed: neg+ sentence\n", "bad.rules:6: rule x.a: need: empty set name"},
		{"empty set in a|b", "rule x.a\nlang: zh\ncategory: suicide\nlevel: low\nmatch: 哈\nneed: |neg sentence\n", "bad.rules:6: rule x.a: need: empty set name"},
		{"unknown set in a|b", "rule x.a\nlang: zh\ncategory: suicide\nlevel: low\nmatch: 哈\nunless: neg|nosuch sentence\n", "bad.rules:6: rule x.a: unless: unknown set \"nosuch\""},
		{"+ and | together", "rule x.a\nlang: zh\ncategory: suicide\nlevel: low\nmatch: 哈\nunless: neg+topic|past sentence\n", "bad.rules:6: rule x.a: unless: \"neg+topic|past\" joins sets with both + and |"},
		{"bad person", "rule x.a\nlang: zh\ncategory: suicide\nlevel: none\nperson: nobody\nmatch: 哈\n", "bad.rules:5: rule x.a: person \"nobody\": want self or any"},
		{"empty desc", "rule x.a\ndesc:\nlang: zh\ncategory: suicide\nlevel: low\nmatch: 哈\n", "bad.rules:2:"},
		{"desc too long", "combo x.c\nwhen: ideation + means\nlevel: high\ncategory: suicide\ndesc: " + strings.Repeat("长", risk.MaxDescLen+1) + "\n", "bad.rules:5:"},
		{"set redefined", "set neg = 不\n", "bad.rules:1:"},
		{"words list in a condition", "words xw = 哈 | 呵\nrule x.a\nlang: zh\ncategory: suicide\nlevel: low\nmatch: {xw}死\nunless: xw before 2\n", "bad.rules:1), spelled out in patterns only: a condition needs a set"},
		{"set extended as words", "words neg += 莫\n", "bad.rules:1: neg is a set list"},
		{"words extended as a set", "words xw = 哈\nset xw += 呵\n", "bad.rules:2: xw is a words list"},
		{"words redefined", "words xw = 哈\nwords xw = 呵\n", "bad.rules:2: xw already defined"},
		{"bad words line", "words xw 哈\n", "bad.rules:1: words needs"},
		{"words extended first", "words xw += 哈\n", "bad.rules:1: words xw extended before it is defined"},
		{"too many patterns in all", tooManyPatterns(), "bad.rules:"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeRules(t, map[string]string{"bad.rules": tc.file})
			_, err := risk.Load(dir)
			if err == nil {
				t.Fatalf("Load: got nil error, want one containing %q", tc.wantErr)
			}
			if !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("Load: got %q, want it to contain %q", err, tc.wantErr)
			}
		})
	}
	if _, err := risk.Load(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Error("Load(missing folder): got nil error, want one")
	}
}

// tooManyPatterns is a rule file whose every pattern is within the
// per-pattern limit but whose rules together expand to millions.
func tooManyPatterns() string {
	var b strings.Builder
	b.WriteString("set zz = ")
	for i := range 64 {
		if i > 0 {
			b.WriteString(" | ")
		}
		b.WriteString("字" + string(rune(0x4e00+i)))
	}
	b.WriteString("\n")
	for i := range 200 {
		fmt.Fprintf(&b, "rule x.z%d\nlang: zh\ncategory: crisis\nlevel: low\nmatch: {zz}{zz}\n", i)
	}
	return b.String()
}

// TestLoadErrorsAreTyped: every compile error of a source is a *RuleError
// naming the source and the line, for the rules page to point at.
func TestLoadErrorsAreTyped(t *testing.T) {
	_, err := risk.Load("", risk.Source{Name: "district", Text: "# one\nrule x.a\nlang: zh\ncategory: suicide\nlevel: severe\nmatch: 哈\n"})
	var re *risk.RuleError
	if !errors.As(err, &re) || re.File != "district" || re.Line != 5 || !strings.Contains(re.Msg, "severe") {
		t.Fatalf("got %#v, want a RuleError at district:5 naming the bad level", err)
	}
}

func TestLoadOverride(t *testing.T) {
	dir := writeRules(t, map[string]string{"school.rules": `
# a district's own words
set topic += 校刊
rule district.slang.bailan
lang: zh
category: suicide
level: medium
signals: ideation
match: 想摆烂到底去死
rule zh.suicide.ideation.want_die
lang: zh
category: suicide
level: high
signals: ideation
match: 想死
disable zh.self_harm.signs
`})
	c, err := risk.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, text string
		want       risk.Level
	}{
		{"new rule", "我想摆烂到底去死", risk.Medium},
		{"replaced level", "我想死", risk.High},
		{"extended set", "校刊上说有人想死", risk.Low},
		{"disabled rule", "手上的伤", risk.None},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := c.Classify(tc.text); got.Level != tc.want {
				t.Errorf("Classify(%q): got %s (rules %v), want %s", tc.text, got.Level, got.Rules, tc.want)
			}
		})
	}
	names := map[string]bool{}
	for _, r := range c.Rules() {
		names[r.ID] = true
	}
	if !names["district.slang.bailan"] || names["zh.self_harm.signs"] {
		t.Errorf("Rules(): got district rule %v, disabled rule %v; want true, false", names["district.slang.bailan"], names["zh.self_harm.signs"])
	}
}

func TestAccumulate(t *testing.T) {
	c := mustLoad(t)
	var st risk.ConversationState
	turns := []struct {
		text string
		want risk.Level
	}{
		{"最近觉得活着没意思", risk.Medium},
		{"家里有好多安眠药", risk.High},
		{"今晚吧", risk.Imminent},
		{"今天天气不错", risk.Imminent},
	}
	for i, tc := range turns {
		st = c.Accumulate(st, c.Classify(tc.text))
		if st.Level != tc.want {
			t.Errorf("turn %d: got %s (signals %v), want %s", i+1, st.Level, st.Signals, tc.want)
		}
	}
	b, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	var back risk.ConversationState
	if err := json.Unmarshal(b, &back); err != nil || back.Level != st.Level || back.Turns != st.Turns {
		t.Errorf("JSON round trip: got %+v, %v, want %+v", back, err, st)
	}

	hopeless := risk.ConversationState{}
	for _, text := range []string{"我觉得好绝望", "天台上风很大", "明天就是最后一天"} {
		hopeless = c.Accumulate(hopeless, c.Classify(text))
	}
	if hopeless.Level < risk.High {
		t.Errorf("hopelessness, then means, then a time: got %s, want at least high", hopeless.Level)
	}

	plan := risk.ConversationState{}
	for _, text := range []string{"我真的不想活了", "我已经计划好了"} {
		plan = c.Accumulate(plan, c.Classify(text))
	}
	if plan.Level != risk.High {
		t.Errorf("ideation, then 计划好了: got %s, want high", plan.Level)
	}
	// combo.act_just_now has scope message: "just took" pairs with an
	// overdose in the same message, never with one told turns ago.
	past := risk.ConversationState{}
	for _, text := range []string{"我上个月吞了一整瓶药", "我刚吃了感冒药"} {
		past = c.Accumulate(past, c.Classify(text))
	}
	if past.Level != risk.High {
		t.Errorf("a past overdose, then 刚吃了感冒药: got %s (rules %v), want high", past.Level, past.Rules)
	}
	if r := c.Classify("我刚吞了一整瓶安眠药"); r.Level != risk.Imminent {
		t.Errorf("an overdose just taken: got %s, want imminent", r.Level)
	}
	other := risk.ConversationState{}
	for _, text := range []string{"我朋友说她想死", "她家里有很多安眠药"} {
		other = c.Accumulate(other, c.Classify(text))
	}
	if other.Level > risk.Medium {
		t.Errorf("a friend's ideation, then means: got %s, want at most medium (someone else's signals do not combine)", other.Level)
	}
}

func TestLower(t *testing.T) {
	st := risk.ConversationState{Level: risk.High, Signals: map[string]int{"means": 1}}
	if _, err := risk.Lower(st, risk.Low, "  "); err == nil {
		t.Error("Lower without reason: got nil error, want one")
	}
	if _, err := risk.Lower(st, risk.Imminent, "up"); err == nil {
		t.Error("Lower to a higher level: got nil error, want one")
	}
	got, err := risk.Lower(st, risk.Low, "talked with the student; safe plan agreed")
	if err != nil {
		t.Fatal(err)
	}
	if got.Level != risk.Low || got.Lowered == nil || got.Lowered.From != risk.High || len(got.Signals) != 0 {
		t.Errorf("got %+v, want level low, lowered from high, signals cleared", got)
	}
	c := mustLoad(t)
	next := c.Accumulate(got, c.Classify("谢谢老师"))
	if next.Level != risk.Low {
		t.Errorf("after lowering, a benign turn: got %s, want low", next.Level)
	}
}

type fakeOpinion struct {
	op    risk.Opinion
	err   error
	delay time.Duration
	panic bool
}

func (f fakeOpinion) Assess(ctx context.Context, text string, history []string) (risk.Opinion, error) {
	if f.panic {
		panic("bad client")
	}
	if f.delay > 0 {
		select {
		case <-time.After(f.delay):
		case <-ctx.Done():
			return risk.Opinion{}, ctx.Err()
		}
	}
	return f.op, f.err
}

func TestCombine(t *testing.T) {
	base := risk.Result{Level: risk.Medium, Categories: []risk.Category{risk.Suicide}, Rules: []string{"r"}}
	tests := []struct {
		name string
		so   risk.SecondOpinion
		want risk.Level
	}{
		{"nil", nil, risk.Medium},
		{"raises", fakeOpinion{op: risk.Opinion{Level: risk.High, Categories: []risk.Category{risk.SelfHarm}}}, risk.High},
		{"never lowers", fakeOpinion{op: risk.Opinion{Level: risk.None}}, risk.Medium},
		{"error changes nothing", fakeOpinion{op: risk.Opinion{Level: risk.Imminent}, err: errors.New("down")}, risk.Medium},
		{"timeout changes nothing", fakeOpinion{op: risk.Opinion{Level: risk.Imminent}, delay: time.Second}, risk.Medium},
		{"panic changes nothing", fakeOpinion{panic: true}, risk.Medium},
		{"invalid level ignored", fakeOpinion{op: risk.Opinion{Level: risk.Level(9)}}, risk.Medium},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := risk.Combine(context.Background(), base, "text", nil, tc.so, 50*time.Millisecond)
			if got.Level != tc.want {
				t.Errorf("got %s, want %s", got.Level, tc.want)
			}
		})
	}
	got := risk.Combine(context.Background(), base, "t", nil, fakeOpinion{op: risk.Opinion{Level: risk.High, Categories: []risk.Category{risk.SelfHarm}}}, time.Second)
	if !hasCategory(got.Categories, risk.SelfHarm) || !hasCategory(got.Categories, risk.Suicide) || got.Rules[len(got.Rules)-1] != risk.SecondOpinionRule {
		t.Errorf("raised result: got %+v, want suicide and self_harm, rule %s", got, risk.SecondOpinionRule)
	}
	if len(base.Categories) != 1 || len(base.Rules) != 1 {
		t.Errorf("Combine modified its input: %+v", base)
	}
}

func TestParseOpinion(t *testing.T) {
	tests := []struct {
		name, in string
		want     risk.Level
		wantErr  bool
	}{
		{"ok", `{"level":"high","categories":["suicide"],"reason":"plan"}`, risk.High, false},
		{"fenced", "```json\n{\"level\":\"low\",\"categories\":[],\"reason\":\"\"}\n```", risk.Low, false},
		{"bad level", `{"level":"severe","categories":[],"reason":""}`, 0, true},
		{"bad category", `{"level":"low","categories":["sad"],"reason":""}`, 0, true},
		{"missing level", `{"categories":[],"reason":""}`, 0, true},
		{"extra field", `{"level":"low","categories":[],"reason":"","x":1}`, 0, true},
		{"trailing", `{"level":"low","categories":[],"reason":""} {}`, 0, true},
		{"not json", `high`, 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := risk.ParseOpinion([]byte(tc.in))
			if (err != nil) != tc.wantErr {
				t.Fatalf("got error %v, want error %v", err, tc.wantErr)
			}
			if err == nil && got.Level != tc.want {
				t.Errorf("got %s, want %s", got.Level, tc.want)
			}
		})
	}
}

func TestOffsetsValid(t *testing.T) {
	c := mustLoad(t)
	for _, text := range []string{"", " ", "想", "死", "我想\u200b死", "\xff\xfe我想死", "a b c d e f", "k i l l myself", "Ｉ　ｗａｎｔ　ｔｏ　ｄｉｅ", "自\u200d杀💊💊今晚", "真的", "到底。", "其实真的到底", "。真的，想死", "认真的想死"} {
		checkOffsets(t, text, c.Classify(text))
	}
}

func checkOffsets(t *testing.T, text string, r risk.Result) {
	t.Helper()
	n := utf8.RuneCountInString(text)
	rs := []rune(text)
	for _, m := range r.Matches {
		if m.Start < 0 || m.Start > m.End || m.End > n {
			t.Fatalf("Classify(%q): match %+v out of range (rune count %d)", text, m, n)
		}
		if got := string(rs[m.Start:m.End]); got != m.Text && utf8.ValidString(text) {
			t.Fatalf("Classify(%q): match text %q, want original span %q", text, m.Text, got)
		}
	}
}

func TestClassifyConcurrent(t *testing.T) {
	c := mustLoad(t)
	msgs := benchMessages()
	want := make([]risk.Level, len(msgs))
	for i, m := range msgs {
		want[i] = c.Classify(m).Level
	}
	done := make(chan struct{})
	for g := 0; g < 8; g++ {
		go func(g int) {
			defer func() { done <- struct{}{} }()
			for i := 0; i < 200; i++ {
				k := (i + g) % len(msgs)
				if got := c.Classify(msgs[k]).Level; got != want[k] {
					t.Errorf("concurrent Classify: got %s, want %s", got, want[k])
					return
				}
			}
		}(g)
	}
	for g := 0; g < 8; g++ {
		<-done
	}
}

func TestLoadFiles(t *testing.T) {
	sets := "set first_person = 我\nset other_person = 她\nset topic = 作文\nset past = 以前\nset resolved = 好多了\nset second_person = 你\n"
	c, err := risk.LoadFiles(map[string]string{"a.rules": sets + "rule t.one\nlang: zh\ncategory: suicide\nlevel: medium\nmatch: 想死\n"})
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Classify("她想死").Categories; len(got) != 1 || got[0] != risk.ConcernForOther {
		t.Errorf("got %v, want [concern_for_other]", got)
	}
	if _, err := risk.LoadFiles(map[string]string{"a.rules": "rule t.one\nlang: zh\n"}); err == nil {
		t.Error("LoadFiles without the built-in sets: got nil error, want one")
	}
}

// TestEveryRuleIsDescribed: the console shows a counselor a rule's desc
// instead of its id, so every built-in rule and combination has one, and
// Describe gives it (and a sentence for the ids the engine makes itself).
func TestEveryRuleIsDescribed(t *testing.T) {
	c, err := risk.Load("")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range c.Rules() {
		if r.Desc == "" {
			t.Errorf("%s (%s) has no desc", r.ID, r.Source)
		} else if got := c.Describe(r.ID); got != r.Desc {
			t.Errorf("Describe(%s) = %q, want %q", r.ID, got, r.Desc)
		}
	}
	for _, id := range append(slices.Clone(risk.EngineRules), risk.ModelRule+" 0.87") {
		if c.Describe(id) == "" {
			t.Errorf("Describe(%q) is empty", id)
		}
	}
	if got := c.Describe("no.such.rule"); got != "" {
		t.Errorf("Describe(unknown) = %q, want empty", got)
	}
	// The model's entry carries its score: the description says it, since
	// the id is only on hover.
	if got, want := c.Describe(risk.ModelRule+" 0.87，无规则"), "学习模型认为风险更高（评分 0.87）"; got != want {
		t.Errorf("Describe(model entry) = %q, want %q", got, want)
	}
}

// TestJustTookIsADoseTaken: zh.suicide.act.just_took, described to the
// counselor as pills just taken, fires on a dose swallowed and never on
// pills only readied for later ("已经把药准备好了，今晚就吃" is a plan).
func TestJustTookIsADoseTaken(t *testing.T) {
	c, err := risk.Load("")
	if err != nil {
		t.Fatal(err)
	}
	const id = "zh.suicide.act.just_took"
	for text, want := range map[string]bool{
		"我已经把药准备好了，今晚就吃":   false,
		"嗯，我已经把药都攒好了，今晚就吃": false,
		"我刚把药买好了今晚就吃":      false,
		"我刚把一整瓶药都吃了":       true,
		"我已经把药全吞了":         true,
		"刚吃了一瓶安眠药":         true,
	} {
		if got := slices.Contains(c.Classify(text).Rules, id); got != want {
			t.Errorf("%s: %s fired = %v, want %v", text, id, got, want)
		}
	}
}

// TestTraditionalReadsAsSimplified: the normaliser folds every traditional
// character (OpenCC's table), not only those our rules were written with,
// so a message reads the same in either script: the same rules, level and
// categories (the model reads the folded text too).
func TestTraditionalReadsAsSimplified(t *testing.T) {
	c := mustLoad(t)
	pairs := [][2]string{
		{"我老豆揸住把刀話要斬死我阿媽", "我老豆揸住把刀话要斩死我阿妈"},
		{"我把門鎖上了，把整瓶安眠藥都吞了", "我把门锁上了，把整瓶安眠药都吞了"},
		{"他們說放學後要在巷口堵我，還帶了棍子", "他们说放学后要在巷口堵我，还带了棍子"},
		{"浴缸裡的水已經放好了，刀片也在旁邊", "浴缸里的水已经放好了，刀片也在旁边"},
	}
	for _, p := range pairs {
		trad, simp := c.Classify(p[0]), c.Classify(p[1])
		if trad.Level != simp.Level || !slices.Equal(trad.Rules, simp.Rules) || !slices.Equal(trad.Categories, simp.Categories) {
			t.Errorf("%s: got %s %v %v, want as %s: %s %v %v", p[0], trad.Level, trad.Rules, trad.Categories, p[1], simp.Level, simp.Rules, simp.Categories)
		}
		if simp.Level < risk.Medium {
			t.Errorf("%s: level %s, want medium or above (the pair must test a flag)", p[1], simp.Level)
		}
	}
}
