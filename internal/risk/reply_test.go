package risk_test

import (
	"bufio"
	"os"
	"strings"
	"testing"

	"xinqiao/internal/risk"
)

// TestReplies runs our dialogue cases (testdata/replies.txt): a short reply
// read with the question before it.
func TestReplies(t *testing.T) {
	c := mustLoad(t)
	f, err := os.Open("testdata/replies.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	// Reuse the case format: the TEXT field holds QUESTION || REPLY.
	cases, err := risk.ParseCases(strings.NewReader(strings.Join(lines, "\n")), "replies")
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) < 50 {
		t.Fatalf("got %d reply cases, want at least 50", len(cases))
	}
	affirmed := 0
	for _, tc := range cases {
		q, reply, ok := strings.Cut(tc.Text, " || ")
		if !ok {
			t.Fatalf("%s: want QUESTION || REPLY", tc.Name)
		}
		t.Run(tc.Name, func(t *testing.T) {
			got := c.Answered(q, reply, c.Classify(reply))
			if why := tc.Fails(got); why != "" {
				t.Errorf("%q after %q (restated %q): %s", reply, q, risk.Restate(q), why)
			}
			for _, m := range got.Matches {
				if m.Rule == risk.AffirmedRule || m.Rule == risk.DeniedSafetyRule {
					affirmed++
					if m.Start != 0 || m.Text != reply {
						t.Errorf("affirmed span: got %+v, want the whole reply", m)
					}
				}
			}
		})
	}
	if affirmed == 0 {
		t.Fatal("no case was affirmed")
	}
}

func TestAffirmedNeverLowers(t *testing.T) {
	c := mustLoad(t)
	reply := "嗯，我已经把药都攒好了，今晚就吃"
	own := c.Classify(reply)
	got := c.Answered("你今天吃饭了吗？", reply, own)
	if got.Level != own.Level || len(got.Rules) != len(own.Rules) {
		t.Fatalf("got %s %v, want the reply's own %s %v", got.Level, got.Rules, own.Level, own.Rules)
	}
	got = c.Answered("你有没有想过结束自己的生命？", "有", risk.Result{Level: risk.Imminent, Categories: []risk.Category{risk.Suicide}})
	if got.Level != risk.Imminent {
		t.Fatalf("got %s, want imminent kept", got.Level)
	}
}

func TestMayAnswer(t *testing.T) {
	for _, tc := range []struct {
		text string
		want bool
	}{
		{"有", true}, {"割过", true}, {"想过好几次", true}, {"yes", true},
		{"没有", true}, {"不会", true}, {"no", true}, {"不安全", true}, {"我做不到", true},
		{"明天就要考试了，我紧张得睡不着，怎么办？", false},
		{"I can't sleep the night before a test", false},
		{"这是一条超过四十个字的很长很长很长很长很长很长很长很长很长很长很长很长很长的消息", false},
	} {
		if got := risk.MayAnswer(tc.text); got != tc.want {
			t.Errorf("MayAnswer(%q) = %v, want %v", tc.text, got, tc.want)
		}
	}
}

// TestPartialYes: a partial yes (有一点, 有啲, 一点点) as the whole answer to
// the service's safety question is a yes, as "kinda" and "a little" are in
// English (fourth blind conversations, b4-101: 有一点 was read as nothing);
// the same words with more after them (有点累, 一点都没有) are not.
func TestPartialYes(t *testing.T) {
	c := mustLoad(t)
	q := "学业和友谊同时出问题，真的会让人很无力。我想认真问你一句，你可以只回答“有”或者“没有”：你现在就有伤害自己或者结束生命的想法吗？"
	for _, tc := range []struct {
		reply    string
		min, max risk.Level
	}{
		{"有一点", risk.Medium, risk.Imminent},
		{"有点", risk.Medium, risk.Imminent},
		{"有一點吧", risk.Medium, risk.Imminent},
		{"有啲", risk.Medium, risk.Imminent},
		{"一点点。", risk.Medium, risk.Imminent},
		{"有点累", risk.None, risk.Low},
		{"一点都没有", risk.None, risk.Low},
		{"有些事不想说", risk.None, risk.Low},
	} {
		got := c.Answered(q, tc.reply, c.Classify(tc.reply))
		if got.Level < tc.min || got.Level > tc.max {
			t.Errorf("%q: got %s %v, want %s..%s", tc.reply, got.Level, got.Rules, tc.min, tc.max)
		}
	}
}
