package storetest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"xinqiao/internal/storetest"
	"xinqiao/internal/xinqiao"
)

// BenchmarkStudentTurnWrites measures the writes of one student turn on
// each engine, one after another (no concurrency), e.g.:
//
//	go test ./internal/storetest/ -run '^$' -bench StudentTurnWrites -benchtime 2000x
//
// "before" writes the message (AppendMessage), then the conversation's risk
// (SetRisk), then the answer (AppendMessage): three commits, as the pipeline
// wrote a turn before pending turns. "pending" writes the message with its
// pending turn and the risk (AppendStudentMessage), then the answer that
// completes the turn (AppendMessage with Completes): two commits.
func BenchmarkStudentTurnWrites(b *testing.B) {
	ctx := context.Background()
	state := json.RawMessage(`{"level":1,"score":0.4}`)
	for _, e := range storetest.Engines(b) {
		s := e.Open(b)
		for _, mode := range []string{"before", "pending"} {
			b.Run(e.Name+"/"+mode, func(b *testing.B) {
				c, _ := storetest.NewConversation(b, s, "")
				b.ResetTimer()
				for i := range b.N {
					nm := xinqiao.NewMessage{ConversationID: c.ID, ClientID: fmt.Sprint(mode, i), Role: xinqiao.RoleStudent, Text: "明天考试，我紧张得睡不着怎么办"}
					answer := xinqiao.NewMessage{ConversationID: c.ID, Role: xinqiao.RoleAssistant, Text: "考试前紧张很常见。", AIGenerated: true, RequireMode: xinqiao.ModeAI}
					if mode == "before" {
						if _, _, err := s.AppendMessage(ctx, nm); err != nil {
							b.Fatal(err)
						}
						if err := s.SetRisk(ctx, c.ID, "low", state); err != nil {
							b.Fatal(err)
						}
					} else {
						nm.ConversationRisk, nm.ConversationRiskState = "low", state
						m, _, _, err := s.AppendStudentMessage(ctx, nm, xinqiao.NewTurn{Kind: xinqiao.TurnAnswer, Level: "low", LeaseUntil: time.Now().Add(time.Minute)})
						if err != nil {
							b.Fatal(err)
						}
						answer.Completes = m.Seq
					}
					if _, _, err := s.AppendMessage(ctx, answer); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
