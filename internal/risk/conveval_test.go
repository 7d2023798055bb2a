package risk_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"xinqiao/internal/risk"
)

// convLine writes one conversation of EvalConversations' input.
func convLine(t *testing.T, id, label, level string, first int, turns ...string) string {
	t.Helper()
	type turn struct {
		Role string `json:"role"`
		Text string `json:"text"`
	}
	row := struct {
		ID    string `json:"id"`
		Label string `json:"label"`
		Level string `json:"level,omitempty"`
		First *int   `json:"first_risk_turn,omitempty"`
		Turns []turn `json:"turns"`
	}{ID: id, Label: label, Level: level}
	if first >= 0 {
		row.First = &first
	}
	for _, s := range turns { // "s:" student, "a:" assistant, "c:" counselor
		role := map[string]string{"s": "student", "a": "assistant", "c": "counselor"}[s[:1]]
		row.Turns = append(row.Turns, turn{role, s[2:]})
	}
	b, err := json.Marshal(row)
	if err != nil {
		t.Fatal(err)
	}
	return string(b) + "\n"
}

const safetyQ = "我想认真问你一句，你可以只回答“有”或者“没有”：你现在就有伤害自己或者结束生命的想法吗？"

// TestReadTurn: a short yes is read as the answer to the question before
// it, and only when there is one; a message is read with the student's
// messages just before it when that says more than the conversation already
// has; signals add up across turns.
func TestReadTurn(t *testing.T) {
	c := mustLoad(t)
	read := func(prev risk.ConversationState, text string, ctx risk.Context) (risk.Result, risk.ConversationState) {
		return c.ReadTurn(prev, c.Classify(text), text, func() risk.Context { return ctx })
	}
	res, st := read(risk.ConversationState{}, "有", risk.Context{Question: safetyQ})
	if res.Level < risk.Medium || !contains(res.Rules, risk.AffirmedRule) || st.Level != res.Level {
		t.Errorf("有 after the safety question: got %s %v, conversation %s; want medium or above by %s", res.Level, res.Rules, st.Level, risk.AffirmedRule)
	}
	if res, _ = read(risk.ConversationState{}, "有", risk.Context{Question: "你今天吃早餐了吗？"}); res.Level >= risk.Medium {
		t.Errorf("有 after a question about breakfast: got %s %v, want below medium", res.Level, res.Rules)
	}
	if res, _ = c.ReadTurn(risk.ConversationState{}, c.Classify("有"), "有", nil); res.Level >= risk.Medium {
		t.Errorf("有 with nothing before it: got %s, want below medium", res.Level)
	}

	// What "走" meant, said in the next message.
	text := "离开这个世界"
	res, st = read(risk.ConversationState{}, text, risk.Context{Earlier: []string{"下周三是我生日", "过完生日就走"}})
	last := res.Matches[len(res.Matches)-1]
	if res.Level < risk.Medium || !contains(res.Rules, risk.RecentRule) || st.Level < res.Level ||
		last.Rule != risk.RecentRule || last.Start != 0 || last.End != len([]rune(text)) {
		t.Errorf("离开这个世界 after 过完生日就走: got %s %v, last match %+v; want medium or above by %s over the whole message", res.Level, res.Rules, last, risk.RecentRule)
	}
	for _, tc := range []struct {
		earlier []string
		text    string
	}{
		{[]string{"周末想看电影", "你们都有空吗"}, "嗯 今晚"},
		{[]string{"下周三是我生日", "搬去深圳 我爸换工作了"}, "有点舍不得这边的同学"},
		{[]string{"明天去露营！", "帐篷 手电筒 还有零食"}, "嗯嗯"},
	} {
		if res, _ := read(risk.ConversationState{}, tc.text, risk.Context{Earlier: tc.earlier}); res.Level >= risk.Medium {
			t.Errorf("%s after %v: got %s %v, want below medium", tc.text, tc.earlier, res.Level, res.Rules)
		}
	}
	// A reading that says no more than the conversation has leaves the
	// message as it is.
	_, st = read(risk.ConversationState{}, "我真的不想活了", risk.Context{})
	if res, _ = read(st, "好的", risk.Context{Earlier: []string{"我真的不想活了"}}); res.Level != risk.None || contains(res.Rules, risk.RecentRule) {
		t.Errorf("好的 after 我真的不想活了, already counted: got %s %v, want none without %s", res.Level, res.Rules, risk.RecentRule)
	}

	st = risk.ConversationState{}
	for _, text := range []string{"最近觉得活着没意思", "家里有好多安眠药", "今晚吧"} {
		_, st = c.ReadTurn(st, c.Classify(text), text, nil)
	}
	if st.Level != risk.Imminent || st.Turns != 3 {
		t.Errorf("ideation, means, a time over three turns: got %s after %d turns, want imminent after 3", st.Level, st.Turns)
	}
}

func contains(xs []string, x string) bool {
	for _, s := range xs {
		if s == x {
			return true
		}
	}
	return false
}

// TestEvalConversations measures labelled conversations as the service
// reads them: a yes answers only the assistant's or counselor's message
// right before it, risk adds up across turns, and the report names what it
// missed and when it caught the rest.
func TestEvalConversations(t *testing.T) {
	c := mustLoad(t)
	in := convLine(t, "yes-to-safety", "risk", "medium", 2, "s:最近睡不着", "a:"+safetyQ, "s:有") +
		// The same yes, but a student message came between: it answers nothing.
		convLine(t, "yes-after-own", "risk", "medium", 3, "s:最近睡不着", "a:"+safetyQ, "s:我也不知道怎么说", "s:有") +
		convLine(t, "building", "risk", "imminent", 2, "s:最近觉得活着没意思", "a:愿意多说一点吗？", "s:家里有好多安眠药", "c:你现在在哪里？", "s:今晚吧") +
		convLine(t, "movie", "none", "none", -1, "s:周末想看电影", "a:你想什么时候去？", "s:周六下午吧") +
		convLine(t, "late", "risk", "high", 0, "s:我不太好", "a:发生什么了？", "s:我不想活了") +
		convLine(t, "worry", "unsure", "", -1, "s:我朋友说她想死")
	rep, err := risk.EvalConversations(c, strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if rep.N != 5 || rep.TP != 3 || rep.FN != 1 || rep.TN != 1 || rep.FP != 0 || rep.Unsure != 1 {
		t.Errorf("got N %d TP %d FN %d TN %d FP %d unsure %d, want 5 3 1 1 0 1", rep.N, rep.TP, rep.FN, rep.TN, rep.FP, rep.Unsure)
	}
	if len(rep.Missed) != 1 || rep.Missed[0] != "yes-after-own" {
		t.Errorf("missed %v, want [yes-after-own]", rep.Missed)
	}
	// building reaches imminent; late (labelled high) reaches only
	// medium, a turn after its first_risk_turn.
	if rep.ByLevel["imminent"][risk.Imminent] != 1 || rep.Severe != 2 || rep.SevereHigh != 1 || len(rep.SevereLow) != 1 || rep.SevereLow[0] != "late" {
		t.Errorf("by level %v, severe %d reaching high %d, below high %v; want building imminent, late below high", rep.ByLevel, rep.Severe, rep.SevereHigh, rep.SevereLow)
	}
	if rep.Timed != 3 || rep.OnTime != 2 || rep.LateTurns != 1 {
		t.Errorf("timed %d on time %d late turns %d, want 3 2 1", rep.Timed, rep.OnTime, rep.LateTurns)
	}
	if rep.Precision() != 1 || rep.Recall() != 0.75 {
		t.Errorf("precision %.3f recall %.3f, want 1 and 0.75", rep.Precision(), rep.Recall())
	}
	var out bytes.Buffer
	if err := rep.WriteText(&out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"recall        0.750  (3/4)", "missed: yes-after-own", "high/imminent below high: late", "2 of 3 (the others 1 student turns late"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
}

// TestEvalConversationsBadInput: each bad line is refused with its line
// number and what is wrong.
func TestEvalConversationsBadInput(t *testing.T) {
	c := mustLoad(t)
	good := convLine(t, "ok", "none", "none", -1, "s:你好")
	long := `{"label":"none","turns":[` + strings.Repeat(`{"role":"student","text":"你好"},`, 500) + `{"role":"student","text":"你好"}]}`
	for _, tc := range []struct{ line, want string }{
		{`{"label":"none","turns":[{"role":"student","text":"hi"}]`, "line 2: unexpected end"},
		{`{"label":"maybe","turns":[{"role":"student","text":"hi"}]}`, `line 2: label "maybe"`},
		{`{"label":"risk","level":"severe","turns":[{"role":"student","text":"hi"}]}`, `line 2: unknown risk level "severe"`},
		{`{"label":"none","turns":[]}`, "line 2: 0 turns"},
		{long, "line 2: 501 turns"},
		{`{"label":"none","turns":[{"role":"teacher","text":"hi"}]}`, `line 2: turn 0: role "teacher"`},
		{`{"label":"none","turns":[{"role":"student"}]}`, "line 2: turn 0 has no text"},
		{`{"label":"none","turns":[{"role":"student","text":"  "}]}`, "line 2: turn 0 has no text"},
		{`{"label":"none","turns":[{"role":"assistant","text":"hi"}]}`, "line 2: no student turn"},
		{`{"label":"risk","first_risk_turn":1,"turns":[{"role":"student","text":"hi"},{"role":"assistant","text":"hi"}]}`, "line 2: first_risk_turn 1 is not a student turn"},
		{`{"label":"risk","first_risk_turn":5,"turns":[{"role":"student","text":"hi"}]}`, "line 2: first_risk_turn 5 is not a student turn"},
	} {
		_, err := risk.EvalConversations(c, strings.NewReader(good+tc.line+"\n"))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%.60s: got %v, want an error with %q", tc.line, err, tc.want)
		}
	}
}

// TestConversationsDev holds the conversation reading to the figures it was
// built on: 130 labelled conversations written for it by a helper that read
// nothing of the project (testdata/conversations_dev_2026-12-07.jsonl), in
// which most risk shows only across turns. Measured when the reading with
// the student's messages before a message came in (session 13): recall 0.958
// (69/72), precision 0.793 (69/87), 43 of 46 high or imminent reaching high;
// before it 0.847 (61/72), 0.782, 33 of 46. With riskrules22 and the 26th
// model: 1.000 (72/72), 0.800 (72/90), 42 of 46. The floors leave room for a
// retrained model's drift, not for losing the reading.
func TestConversationsDev(t *testing.T) {
	f, err := os.Open(filepath.Join("testdata", "conversations_dev_2026-12-07.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rep, err := risk.EvalConversations(mustLoad(t), f)
	if err != nil {
		t.Fatal(err)
	}
	if rep.N != 130 || rep.Recall() < 0.93 || rep.Precision() < 0.75 || rep.SevereHigh < 41 {
		var b bytes.Buffer
		rep.WriteText(&b)
		t.Errorf("want 130 conversations, recall ≥ 0.93, precision ≥ 0.75, ≥ 41 of 46 severe reaching high; got\n%s", b.String())
	}
}
