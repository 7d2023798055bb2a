package risk_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"xinqiao/internal/risk"
)

// TestBuiltinModel: the shipped weights load, and the classifier Load
// returns carries them.
func TestBuiltinModel(t *testing.T) {
	t0 := time.Now()
	m, err := risk.BuiltinModel()
	if err != nil {
		t.Fatalf("BuiltinModel: %v", err)
	}
	t.Logf("built-in model read in %v", time.Since(t0))
	if mustLoad(t).Model() != m {
		t.Fatal("Load's classifier does not carry the built-in model")
	}
	if r, h := m.Thresholds(); r <= 0 || r >= 1 || h <= 0 || h >= 1 {
		t.Fatalf("thresholds %v %v outside (0, 1)", r, h)
	}
}

func shippedWeights(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("model", "model.bin"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestParseModelRefuses: a truncated or corrupt weights file, one from a
// newer format or no model file at all is refused with an error saying
// which, and a classifier without a model still reads by its rules.
func TestParseModelRefuses(t *testing.T) {
	good := shippedWeights(t)
	if _, err := risk.ParseModel(good); err != nil {
		t.Fatalf("the shipped file: %v", err)
	}
	flip := bytes.Clone(good)
	flip[len(flip)/2] ^= 0x40
	newer := bytes.Clone(good)
	newer[4] = byte(risk.ModelFormat + 1)
	for _, tc := range []struct {
		name string
		b    []byte
		want string
	}{
		{"empty", nil, "truncated"},
		{"header only", good[:20], "truncated"},
		{"cut short", good[:len(good)-1000], "truncated"},
		{"trailing bytes", append(bytes.Clone(good), 0), "trailing"},
		{"flipped bit", flip, "checksum"},
		{"not a model", append([]byte("PK\x03\x04"), good[4:]...), "magic"},
		{"newer format", newer, "newer"},
	} {
		m, err := risk.ParseModel(tc.b)
		if err == nil || m != nil {
			t.Errorf("%s: got no error", tc.name)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %q, want it to say %q", tc.name, err, tc.want)
		}
	}
	if _, err := risk.ParseModel(newer); !errors.Is(err, risk.ErrModelFormat) {
		t.Errorf("newer format: got %v, want ErrModelFormat", err)
	}
	rulesOnly := mustLoad(t).WithModel(nil)
	if r := rulesOnly.Classify("我今晚就吃安眠药，已经攒够了"); r.Level < risk.High || r.Model != nil {
		t.Fatalf("rules alone: got %+v, want high from the rules and no model reading", r)
	}
}

// TestModelRoundTrip: writing a parsed model gives the same bytes.
func TestModelRoundTrip(t *testing.T) {
	good := shippedWeights(t)
	m, err := risk.ParseModel(good)
	if err != nil {
		t.Fatal(err)
	}
	b, err := m.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b, good) {
		t.Fatal("MarshalBinary(ParseModel(b)) != b")
	}
}

// TestModelFormat1: a weights file of format 1 (no set features, one risk
// threshold) still reads, with the long-message threshold equal to the
// other, writes back the same bytes and says it is format 1 (the rules page
// showed the binary's format for any model).
func TestModelFormat1(t *testing.T) {
	b := shippedWeights(t)
	hlen := map[byte]int{2: 28, 3: 32}[b[4]]
	if hlen == 0 {
		t.Fatalf("the shipped model is format %d, want 2 or 3", b[4])
	}
	le := binary.LittleEndian
	old := append([]byte(nil), b[:24]...)
	le.PutUint16(old[4:], 1)
	old[10], old[11] = 0, 0 // no set features, no flags
	old = append(old, b[hlen:len(b)-4]...)
	old = le.AppendUint32(old, crc32.ChecksumIEEE(old))
	m, err := risk.ParseModel(old)
	if err != nil {
		t.Fatalf("format 1: %v", err)
	}
	if r, _ := m.Thresholds(); m.LongThreshold() != r || m.Config().Sets != 0 {
		t.Fatalf("format 1 read with long threshold %v (risk %v) and features %+v", m.LongThreshold(), r, m.Config())
	}
	back, err := m.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(back, old) {
		t.Fatal("a format 1 model does not write back as it was read")
	}
	shipped, _ := risk.ParseModel(b)
	if shipped.LongThreshold() == m.LongThreshold() {
		t.Fatalf("the shipped model's long threshold %v is its short one", shipped.LongThreshold())
	}
	if m.Format() != 1 || shipped.Format() != int(b[4]) {
		t.Fatalf("formats reported %d and %d, want 1 and %d as in their files", m.Format(), shipped.Format(), b[4])
	}
}

// TestModelOnlyRaises: on every labelled case the rules and the model
// together grade at least what the rules alone grade, with the rules'
// categories and rules kept.
func TestModelOnlyRaises(t *testing.T) {
	c := mustLoad(t)
	alone := c.WithModel(nil)
	raised := 0
	for _, tc := range loadCases(t) {
		a, b := alone.Classify(tc.Text), c.Classify(tc.Text)
		if b.Level < a.Level {
			t.Errorf("%s %q: rules alone %s, with the model %s", tc.Name, tc.Text, a.Level, b.Level)
		}
		for _, k := range a.Categories {
			if !hasCategory(b.Categories, k) {
				t.Errorf("%s %q: category %s lost", tc.Name, tc.Text, k)
			}
		}
		if len(b.Rules) < len(a.Rules) {
			t.Errorf("%s %q: rules %v became %v", tc.Name, tc.Text, a.Rules, b.Rules)
		}
		if b.Model != nil && b.Model.Raised {
			raised++
		}
	}
	t.Logf("the model raised %d labelled cases above the rules", raised)
}

// TestModelExplains: a message only the model flags carries the score as
// a rule entry ("模型 0.87，无规则") and the spans that carried it, in the
// rules' span shape (rune offsets into the original text).
func TestModelExplains(t *testing.T) {
	c := mustLoad(t)
	// the issue's examples that no rule reads
	for _, text := range []string{"想知道一次吃多少片才够", "每天醒来都觉得多活一天都是负担"} {
		r := c.Classify(text)
		if r.Level < risk.Medium || r.Model == nil || !r.Model.Raised {
			t.Fatalf("%q: got %+v, want the model to raise it", text, r)
		}
		// the score shown is the risk probability, also when the severity
		// made it high (a severity of 0.13 beside a high flag misleads)
		want := risk.ModelRule + " " + strconv.FormatFloat(r.Model.Risk, 'f', 2, 64) + "，无规则"
		if len(r.Rules) != 1 || r.Rules[0] != want {
			t.Errorf("%q: rules %q, want [%q]", text, r.Rules, want)
		}
		if len(r.Matches) == 0 {
			t.Fatalf("%q: no spans", text)
		}
		rs := []rune(text)
		for _, m := range r.Matches {
			if m.Rule != r.Rules[0] || m.Level != r.Level || m.Start < 0 || m.End > len(rs) || m.Start >= m.End || string(rs[m.Start:m.End]) != m.Text {
				t.Errorf("%q: bad span %+v", text, m)
			}
		}
		t.Logf("%q → %s %v %v", text, r.Level, r.Rules, r.Matches)
	}
	// a message the rules grade keeps its rules, and a raise adds the score
	// without "无规则"
	r := c.Classify("我好累")
	for _, id := range r.Rules {
		if strings.HasPrefix(id, risk.ModelRule) && strings.Contains(id, "无规则") && len(r.Rules) > 1 {
			t.Errorf("%v: 无规则 beside rules", r.Rules)
		}
	}
}

// TestModelLongText: a long post is read sentence by sentence: one risky
// sentence among many ordinary ones still counts.
func TestModelLongText(t *testing.T) {
	c := mustLoad(t)
	filler := "今天上午有数学课和英语课，老师讲了很多题目。中午在食堂吃了面条，下午去操场跑步。晚上回家写作业，写完以后看了一会儿书。"
	risky := "每天醒来都觉得多活一天都是负担。"
	alone := c.Classify(risky)
	long := strings.Repeat(filler, 3) + risky + strings.Repeat(filler, 2)
	if utf8.RuneCountInString(long) < 300 {
		t.Fatalf("long text is %d runes", utf8.RuneCountInString(long))
	}
	r := c.Classify(long)
	if r.Level < alone.Level || r.Level < risk.Medium {
		t.Fatalf("long text: got %s %v, want at least %s as the sentence alone", r.Level, r.Rules, alone.Level)
	}
	if benign := c.Classify(strings.Repeat(filler, 5)); benign.Level >= risk.Medium {
		t.Fatalf("benign long text: got %s %v", benign.Level, benign.Rules)
	}
}

// TestIssueExamples: the messages issue 14 opens with, which the rules
// graded none or low. All five are reached now; a message missed again
// would be logged as a known miss here, never hidden.
func TestIssueExamples(t *testing.T) {
	c := mustLoad(t)
	for _, tc := range []struct {
		text    string
		min     risk.Level
		reached bool // false: a known miss, logged
	}{
		{"想知道一次吃多少片才够", risk.High, true},
		{"每天醒来都觉得多活一天都是负担", risk.Medium, true},
		// a painless way sought, 离开 standing for dying: the model misses
		// it at every threshold so far; zh.suicide.method.painless_leave
		// reads the construction (cases painless_leave_zh)
		{"有没有不疼的离开方式", risk.High, true},
		{"这周末把借同学的东西都还了，以后就没什么牵挂了", risk.Medium, true},
		{"今晚想去天台吹吹风，再也不下来了", risk.High, true},
	} {
		r := c.Classify(tc.text)
		switch {
		case r.Level >= tc.min && !tc.reached:
			t.Logf("%q: now %s %v (was a known miss: update this test)", tc.text, r.Level, r.Rules)
		case r.Level < tc.min && tc.reached:
			t.Errorf("%q: got %s %v, want at least %s", tc.text, r.Level, r.Rules, tc.min)
		case r.Level < tc.min:
			t.Logf("known miss: %q graded %s %v, want at least %s", tc.text, r.Level, r.Rules, tc.min)
		}
	}
}

// TestModelFormat3: a format 3 file (a flags byte and a severity threshold
// of its own in the header) reads and writes back the same bytes; unknown
// flags or a severity threshold outside [0, 1] are refused, saying so; and
// its thresholds grade as they say: with the flag, the model's severity
// makes high a message the rules flag; with the severity threshold, a grave
// reading is high whatever the risk probability.
func TestModelFormat3(t *testing.T) {
	b := shippedWeights(t)
	m0, err := risk.ParseModel(b)
	if err != nil {
		t.Fatal(err)
	}
	hlen := map[int]int{1: 24, 2: 28, 3: 32}[m0.Format()]
	le := binary.LittleEndian
	variant := func(flags byte, grave float32) []byte {
		v := bytes.Clone(b[:24])
		v = append(v, 0, 0, 0, 0)
		le.PutUint16(v[4:], 3)
		v[10], v[11] = 1, flags
		le.PutUint32(v[16:], math.Float32bits(0.9))  // risk
		le.PutUint32(v[20:], math.Float32bits(0.15)) // high
		le.PutUint32(v[24:], math.Float32bits(0.9))  // long
		v = le.AppendUint32(v, math.Float32bits(grave))
		v = append(v, b[hlen:len(b)-4]...)
		return le.AppendUint32(v, crc32.ChecksumIEEE(v))
	}
	m, err := risk.ParseModel(variant(1, 0.25))
	if err != nil {
		t.Fatalf("format 3: %v", err)
	}
	if m.Format() != 3 || !m.SevereOnRules() || m.GraveThreshold() != float64(float32(0.25)) {
		t.Fatalf("format 3 read as format %d, severity on the rules' flags %v, severity threshold %v", m.Format(), m.SevereOnRules(), m.GraveThreshold())
	}
	if back, _ := m.MarshalBinary(); !bytes.Equal(back, variant(1, 0.25)) {
		t.Fatal("a format 3 model does not write back as it was read")
	}
	for _, tc := range []struct {
		name string
		b    []byte
		want string
	}{
		{"unknown flags", variant(6, 0.6), "flags"},
		{"severity threshold above 1", variant(1, 1.5), "severity threshold"},
		{"cut after the header", variant(1, 0.6)[:40], "truncated"},
	} {
		if _, err := risk.ParseModel(tc.b); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want a refusal saying %q", tc.name, err, tc.want)
		}
	}
	// grading: find a message the model reads as grave (severity 0.25 or
	// more, risk below the risk threshold 0.9) and one the rules flag
	// medium while the model's severity is above the high threshold 0.15
	c := mustLoad(t)
	plain, err := risk.ParseModel(variant(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	cases, err := risk.OwnCases()
	if err != nil {
		t.Fatal(err)
	}
	flagOnly, err := risk.ParseModel(variant(1, 0))
	if err != nil {
		t.Fatal(err)
	}
	graveOnly, err := risk.ParseModel(variant(0, 0.25))
	if err != nil {
		t.Fatal(err)
	}
	var sawGrave, sawOnRules bool
	for _, k := range cases {
		riskP, severe, _ := c.WithModel(plain).ScoreText(k.Text)
		if riskP >= 0.9 || severe < 0.15 {
			continue
		}
		alone := c.WithModel(nil).Classify(k.Text)
		rules := alone.Level
		if rules >= risk.High || slices.Contains(alone.Categories, risk.ConcernForOther) || slices.ContainsFunc(alone.Matches, func(m risk.Match) bool { return m.Category == risk.ConcernForOther }) {
			continue // someone else's risk: the model does not make it a handoff
		}
		base := c.WithModel(plain).Classify(k.Text).Level
		if base >= risk.High {
			continue
		}
		if severe >= 0.25 {
			if got := c.WithModel(graveOnly).Classify(k.Text).Level; got < risk.High {
				t.Fatalf("%q: severity %.3f above the severity threshold 0.25: graded %v with it, %v without", k.Text, severe, got, base)
			}
			sawGrave = true
		}
		if rules == risk.Medium {
			if got := c.WithModel(flagOnly).Classify(k.Text).Level; got < risk.High {
				t.Fatalf("%q: flagged medium by the rules, severity %.3f: graded %v with the flag, %v without", k.Text, severe, got, base)
			}
			sawOnRules = true
		}
		if sawGrave && sawOnRules {
			break
		}
	}
	if !sawGrave || !sawOnRules {
		t.Fatalf("no case to check: grave reading %v, medium rule with a grave reading %v", sawGrave, sawOnRules)
	}
}
