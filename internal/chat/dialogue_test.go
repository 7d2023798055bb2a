package chat_test

import (
	"context"
	"slices"
	"testing"

	"xinqiao/internal/apptest"
	"xinqiao/internal/risk"
	"xinqiao/internal/xinqiao"
)

// TestShortYesTakesTheQuestionsRisk: a student's short yes to a counselor's
// question about suicide, or a no to "are you safe?", is read as the answer
// it is (layer 2, dialogue): the stored mark says why, and the
// conversation's level rises. A no to the suicide question, and the same
// yes to an everyday question, stay quiet.
func TestShortYesTakesTheQuestionsRisk(t *testing.T) {
	each(t, func(t *testing.T, s *apptest.Server, _ *apptest.Clock) {
		ctx := context.Background()
		for _, tc := range []struct {
			question, reply string
			want            string // level of the reply's mark
			affirmed        bool
		}{
			{"谢谢你愿意说出来。你有没有想过结束自己的生命？", "有，好几次", xinqiao.LevelMedium, true},
			{"你有没有割过自己？", "割过", xinqiao.LevelHigh, true},
			{"你有没有想过结束自己的生命？", "没有，就是很累", xinqiao.LevelLow, false},
			{"你今天吃早饭了吗？", "有", xinqiao.LevelNone, false},
			{"你现在安全吗？", "不安全", xinqiao.LevelHigh, true},
			{"你现在安全吗？", "安全", xinqiao.LevelNone, false},
		} {
			sess := s.NewSession(t, `{"lang":"zh"}`)
			c := s.DialStudent(t, sess.Token)
			if _, _, err := s.Store.AppendMessage(ctx, xinqiao.NewMessage{ConversationID: sess.ConversationID, Role: xinqiao.RoleCounselor, Text: tc.question}); err != nil {
				t.Fatal(err)
			}
			c.Message(t, "r1", tc.reply)
			ack := c.WaitType(t, wait, "ack")
			ms, err := s.Store.Messages(ctx, sess.ConversationID, ack.Seq-1, 1)
			if err != nil || len(ms) != 1 || ms[0].Risk == nil {
				t.Fatalf("stored reply: got %+v, %v", ms, err)
			}
			// The level is saved after the ack; the crisis card or the
			// answer comes after it.
			if xinqiao.LevelRank(tc.want) >= xinqiao.LevelRank(xinqiao.LevelHigh) {
				c.WaitType(t, wait, "crisis")
			} else {
				c.Wait(t, wait, isAssistant)
			}
			m := ms[0].Risk
			answered := slices.Contains(m.Rules, risk.AffirmedRule) || slices.Contains(m.Rules, risk.DeniedSafetyRule)
			if m.Level != tc.want || answered != tc.affirmed {
				t.Fatalf("%q after %q: got %+v, want %s (affirmed %v)", tc.reply, tc.question, m, tc.want, tc.affirmed)
			}
			conv, err := s.Store.Conversation(ctx, sess.ConversationID)
			if err != nil || conv.RiskLevel != tc.want && !(tc.want == xinqiao.LevelNone && conv.RiskLevel == "") {
				t.Fatalf("%q after %q: conversation level %q, %v, want %s", tc.reply, tc.question, conv.RiskLevel, err, tc.want)
			}
		}
	})
}
