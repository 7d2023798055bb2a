package answer_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"xinqiao/internal/answer"
	"xinqiao/internal/openai"
	"xinqiao/internal/openai/openaitest"
)

// fakeCards serves cards by key; a key not in the map is missing.
type fakeCards map[string]answer.Passage

func (f fakeCards) Card(_ context.Context, key, lang, band string) (answer.Passage, bool) {
	p, ok := f[key+"/"+lang]
	return p, ok
}

var cards = fakeCards{
	"medium_risk/zh":     {DocID: "card-medium-risk-zh", Version: 1, Title: "谢谢你愿意说出来", Text: "谢谢你愿意把这些告诉我。学校的心理老师很想听你说说最近的事。"},
	"self_harm/zh":       {DocID: "card-self-harm-zh", Version: 1, Title: "身体和心里的痛", Text: "谢谢你告诉我。请和学校的心理老师聊一聊。"},
	"abuse/en":           {DocID: "card-abuse-en", Version: 2, Title: "Nobody may hurt you", Text: "It is not your fault. Please tell the school psychology teacher."},
	"sexuality_young/zh": {DocID: "card-sexuality-young-zh", Version: 1, Title: "长大的问题", Text: "这样的问题可以问爸爸妈妈或老师。"},
	"eating/zh":          {DocID: "card-eating-zh", Version: 1, Title: "关于吃饭和体重的担心", Text: "谢谢你说出对吃饭和体重的担心。"},
}

// fakeRisk flags texts that contain one of its words as medium.
type fakeRisk []string

func (f fakeRisk) Check(text string) (string, []string) {
	for _, w := range f {
		if strings.Contains(text, w) {
			return "medium", []string{"self_harm"}
		}
	}
	return "none", nil
}

var examPassages = []answer.Passage{
	{N: 1, DocID: "exam-anxiety-zh", Version: 3, Title: "考试前很紧张怎么办", Topics: []string{"exam-anxiety", "stress-relief"},
		Text: "## 为什么会紧张\n考试前有点紧张是很正常的。适度的紧张能让人更专注。\n\n## 试试这些方法\n- 紧张的时候，可以慢慢吸气四秒，再慢慢呼气六秒。\n- 考试前一晚早点睡，睡眠比多看一小时书更有用。\n- 把担心写在纸上，写下来以后心里会轻松一些。"},
	{N: 2, DocID: "sleep-zh", Version: 1, Title: "睡不着的时候", Topics: []string{"sleep", "stress-relief"},
		Text: "睡前一小时放下手机。睡不着的时候不要一直看时间。可以听一点轻音乐，让身体慢慢放松。"},
	{N: 3, DocID: "friends-zh", Version: 1, Title: "和朋友吵架了", Topics: []string{"friendship"},
		Text: "和朋友吵架以后，先让自己冷静下来。"},
}

func examRequest() answer.Request {
	return answer.Request{Question: "考试前很紧张，晚上睡不着怎么办？", Lang: "zh", Band: "junior", Passages: examPassages, Confident: true, RiskLevel: "none"}
}

// clock is an injectable clock for the breaker.
type clock struct{ t time.Time }

func (c *clock) now() time.Time          { return c.t }
func (c *clock) advance(d time.Duration) { c.t = c.t.Add(d) }

// mustLLM wires an LLM answerer to the fake server through the real adapter.
func mustLLM(t testing.TB, s *openaitest.Server, cfg answer.Config, risk answer.RiskChecker) *answer.LLM {
	t.Helper()
	c, err := openai.New(openai.Config{BaseURL: s.BaseURL(), APIKey: "k", ChatModel: "fake-model"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Model == "" {
		cfg.Model = "fake-model"
	}
	if cfg.RetryBackoff == 0 {
		cfg.RetryBackoff = 5 * time.Millisecond
	}
	if cfg.FirstTokenTimeout == 0 {
		cfg.FirstTokenTimeout = 2 * time.Second
	}
	check := answer.NewChecker(answer.CheckConfig{Risk: risk})
	return answer.NewLLM(c, answer.NewExtractive(answer.ExtractiveConfig{Cards: cards}), cards, check, cfg)
}

// recorder collects deltas and fails the test if one arrives after Answer returned.
type recorder struct {
	t        testing.TB
	deltas   []string
	returned bool
}

func (r *recorder) on(d string) {
	if r.returned {
		r.t.Errorf("delta %q after Answer returned", d)
	}
	r.deltas = append(r.deltas, d)
}

func (r *recorder) text() string { return strings.Join(r.deltas, "") }
