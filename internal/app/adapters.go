package app

import (
	"context"
	"errors"
	"strings"

	"xinqiao/internal/answer"
	"xinqiao/internal/kb"
	"xinqiao/internal/openai"
	"xinqiao/internal/risk"
	"xinqiao/internal/xinqiao"
	"xinqiao/prompts"
)

// searchAdapter gives the chat pipeline retrieval as answer passages.
type searchAdapter struct{ s *kb.Searcher }

func (a searchAdapter) Passages(ctx context.Context, query, lang, band string) ([]answer.Passage, bool, error) {
	res, err := a.s.Search(ctx, query, kb.Filter{Lang: lang, Band: band, K: 4, CountGap: true})
	if err != nil {
		return nil, false, err
	}
	ps := make([]answer.Passage, 0, len(res.Hits))
	for i, h := range res.Hits {
		ps = append(ps, passage(h, i+1))
	}
	return ps, res.Confident, nil
}

func passage(h kb.Hit, n int) answer.Passage {
	return answer.Passage{N: n, DocID: h.DocID, Version: h.Version, Title: h.Title, Heading: h.Heading, Text: h.Text, Topics: h.Topics, Score: h.Fused}
}

// cardSource gives the answerers the knowledge base's pinned cards.
type cardSource struct{ s *kb.Searcher }

func (c cardSource) Card(ctx context.Context, key, lang, band string) (answer.Passage, bool) {
	h, ok := c.s.Card(ctx, key, lang, band)
	if !ok {
		return answer.Passage{}, false
	}
	return passage(h, 1), true
}

// riskChecker lets the output check run the classifier on answers.
type riskChecker struct{ live *risk.Live }

func (r riskChecker) Check(text string) (string, []string) {
	res := r.live.Current().Classify(text)
	cats := make([]string, 0, len(res.Categories))
	for _, c := range res.Categories {
		cats = append(cats, string(c))
	}
	return res.Level.String(), cats
}

// briefWriter writes the counselor's brief with the chat model.
type briefWriter struct{ c *openai.Client }

// briefTurns bounds what the model reads: the last messages, each cut.
const (
	briefTurns    = 40
	briefTurnLen  = 500
	briefMaxRunes = 400
)

func (b briefWriter) Summarize(ctx context.Context, msgs []xinqiao.Message) (string, error) {
	if len(msgs) > briefTurns {
		msgs = msgs[len(msgs)-briefTurns:]
	}
	who := map[string]string{xinqiao.RoleStudent: "学生", xinqiao.RoleAssistant: "心桥AI", xinqiao.RoleCounselor: "心理老师", xinqiao.RoleSystem: "系统提示"}
	turns := make([]prompts.BriefTurn, 0, len(msgs))
	for _, m := range msgs {
		text := []rune(m.Text)
		if len(text) > briefTurnLen {
			text = append(text[:briefTurnLen], '…')
		}
		turns = append(turns, prompts.BriefTurn{Role: who[m.Role], Text: string(text)})
	}
	system, user, err := prompts.CounselorBrief(turns)
	if err != nil {
		return "", err
	}
	comp, err := b.c.Complete(ctx, []answer.Message{{Role: "system", Content: system}, {Role: "user", Content: user}})
	if err != nil {
		return "", err
	}
	text := []rune(strings.TrimSpace(comp.Text))
	if len(text) == 0 {
		return "", errors.New("empty brief")
	}
	if len(text) > briefMaxRunes {
		text = append(text[:briefMaxRunes], '…')
	}
	return string(text), nil
}
