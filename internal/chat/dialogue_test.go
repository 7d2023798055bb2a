package chat_test

import (
	"context"
	"encoding/json"
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

// TestMessageReadWithTheStudentsBefore: a message that means little alone
// is read with the student's messages just before it (layer 2): 离开这个世界
// after 过完生日就走 is risk, stored with the rule that says why, and the
// conversation rises; once a counselor has assessed those messages and
// lowered the level, they are not read again. The earlier messages come
// from the store (written there), or from what the node delivered (sent on
// the socket and answered).
func TestMessageReadWithTheStudentsBefore(t *testing.T) {
	each(t, func(t *testing.T, s *apptest.Server, _ *apptest.Clock) {
		ctx := context.Background()
		for _, tc := range []struct {
			name          string
			lowered, sent bool
		}{{"stored", false, false}, {"lowered", true, false}, {"sent", false, true}} {
			sess := s.NewSession(t, `{"lang":"zh"}`)
			c := s.DialStudent(t, sess.Token)
			if tc.sent {
				c.Message(t, "e2", "过完生日就走")
				ack := c.WaitType(t, wait, "ack")
				c.Wait(t, wait, isAssistant)
				if m := markOf(t, s.Store, sess.ConversationID, ack.Seq); xinqiao.LevelRank(m.Level) >= xinqiao.LevelRank(xinqiao.LevelMedium) {
					t.Fatalf("precondition: 过完生日就走 alone is graded %s now; pick another example", m.Level)
				}
			} else {
				var last int64
				for _, m := range []xinqiao.NewMessage{
					{Role: xinqiao.RoleStudent, Text: "下周三是我生日", ClientID: "e1"},
					{Role: xinqiao.RoleAssistant, Text: "提前祝你生日快乐！有什么计划吗？"},
					{Role: xinqiao.RoleStudent, Text: "过完生日就走", ClientID: "e2"},
					{Role: xinqiao.RoleAssistant, Text: "你说的“走”是指去哪里呢？"},
				} {
					m.ConversationID = sess.ConversationID
					stored, _, err := s.Store.AppendMessage(ctx, m)
					if err != nil {
						t.Fatal(err)
					}
					last = stored.Seq
				}
				if tc.lowered {
					st, err := json.Marshal(risk.ConversationState{Level: risk.Low, Lowered: &risk.Lowering{From: risk.High, To: risk.Low, Reason: "assessed", Through: last}})
					if err != nil {
						t.Fatal(err)
					}
					if err := s.Store.SetRisk(ctx, sess.ConversationID, xinqiao.LevelLow, st); err != nil {
						t.Fatal(err)
					}
				}
			}
			c.Message(t, "r1", "离开这个世界")
			ack := c.WaitType(t, wait, "ack") // the message is stored with its mark before the ack
			m := markOf(t, s.Store, sess.ConversationID, ack.Seq)
			read := slices.Contains(m.Rules, risk.RecentRule)
			conv, err := s.Store.Conversation(ctx, sess.ConversationID)
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case !tc.lowered && (!read || xinqiao.LevelRank(m.Level) < xinqiao.LevelRank(xinqiao.LevelMedium) || conv.RiskLevel != m.Level):
				t.Fatalf("%s: 离开这个世界 after 过完生日就走: got %+v, conversation %s; want medium or above by %s, the conversation with it", tc.name, m, conv.RiskLevel, risk.RecentRule)
			case tc.lowered && (read || xinqiao.LevelRank(m.Level) >= xinqiao.LevelRank(xinqiao.LevelMedium)):
				t.Fatalf("%s: 离开这个世界 after messages a counselor assessed: got %+v, want them not read again", tc.name, m)
			}
		}
	})
}

// TestShortAnswerFillsTheQuestion: a short reply naming a method, after a
// counselor's question about how, in a conversation where the student said
// they do not want to live, is read as the plan it completes
// (risk.AnsweredSlotRule) and raises the conversation to high; the same
// kind of answer in an ordinary conversation raises nothing.
func TestShortAnswerFillsTheQuestion(t *testing.T) {
	each(t, func(t *testing.T, s *apptest.Server, _ *apptest.Clock) {
		ctx := context.Background()
		for _, tc := range []struct {
			name, first, question, answer string
			want                          bool
		}{
			{"a wish, then how", "我真的不想活了", "你打算怎么做？", "跳", true},
			{"a trip, then when", "周末想去香港玩", "你打算什么时候去？", "明天", false},
		} {
			sess := s.NewSession(t, `{"lang":"zh"}`)
			c := s.DialStudent(t, sess.Token)
			c.Message(t, "s1", tc.first)
			c.WaitType(t, wait, "ack")
			c.Wait(t, wait, isAssistant)
			if _, _, err := s.Store.AppendMessage(ctx, xinqiao.NewMessage{ConversationID: sess.ConversationID, Role: xinqiao.RoleCounselor, Text: tc.question}); err != nil {
				t.Fatal(err)
			}
			c.Message(t, "s2", tc.answer)
			ack := c.WaitType(t, wait, "ack")
			m := markOf(t, s.Store, sess.ConversationID, ack.Seq)
			conv, err := s.Store.Conversation(ctx, sess.ConversationID)
			if err != nil {
				t.Fatal(err)
			}
			read := slices.Contains(m.Rules, risk.AnsweredSlotRule)
			switch {
			case tc.want && (!read || xinqiao.LevelRank(m.Level) < xinqiao.LevelRank(xinqiao.LevelHigh) || xinqiao.LevelRank(conv.RiskLevel) < xinqiao.LevelRank(xinqiao.LevelHigh)):
				t.Fatalf("%s: %s after %s: got %+v, conversation %s; want high by %s", tc.name, tc.answer, tc.question, m, conv.RiskLevel, risk.AnsweredSlotRule)
			case !tc.want && (read || xinqiao.LevelRank(m.Level) >= xinqiao.LevelRank(xinqiao.LevelMedium)):
				t.Fatalf("%s: %s after %s: got %+v, want nothing read", tc.name, tc.answer, tc.question, m)
			}
		}
	})
}

// markOf returns the stored risk mark of a conversation's message seq.
func markOf(t *testing.T, s xinqiao.Store, convID string, seq int64) xinqiao.RiskMark {
	t.Helper()
	ms, err := s.Messages(context.Background(), convID, seq-1, 1)
	if err != nil || len(ms) != 1 || ms[0].Risk == nil {
		t.Fatalf("stored message %d: got %+v, %v", seq, ms, err)
	}
	return *ms[0].Risk
}
