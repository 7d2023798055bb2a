package storetest

import (
	"context"
	"reflect"
	"testing"
	"time"

	"xinqiao/internal/xinqiao"
)

func init() {
	register("Feedback", func(t *testing.T, open func(tb testing.TB) xinqiao.Store) {
		t.Run("OncePerAnswerAndKind", func(t *testing.T) { testFeedback(t, open(t)) })
		t.Run("GoesWithItsConversation", func(t *testing.T) { testFeedbackPurged(t, open(t)) })
	})
}

// answer stores an assistant message citing srcs and returns its seq.
func answer(t *testing.T, s xinqiao.Store, convID string, srcs ...xinqiao.Source) int64 {
	t.Helper()
	m, _, err := s.AppendMessage(context.Background(), xinqiao.NewMessage{ConversationID: convID, Role: xinqiao.RoleAssistant,
		Text: "一个回答", Sources: srcs, AIGenerated: true})
	if err != nil {
		t.Fatalf("append answer: %v", err)
	}
	return m.Seq
}

func testFeedback(t *testing.T, s xinqiao.Store) {
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Millisecond)
	c, _ := NewConversation(t, s, "")
	q, _, err := s.AppendMessage(ctx, xinqiao.NewMessage{ConversationID: c.ID, ClientID: "q", Role: xinqiao.RoleStudent, Text: "怎么睡得着"})
	if err != nil {
		t.Fatal(err)
	}
	sleep := xinqiao.Source{Title: "晚上睡不着", DocID: "sleep", Version: 2}
	exam := xinqiao.Source{Title: "考试焦虑", DocID: "exam", Version: 1}
	both := answer(t, s, c.ID, sleep, exam)
	bare := answer(t, s, c.ID)

	for _, tc := range []struct {
		seq     int64
		kind    string
		created bool
	}{
		{both, xinqiao.FeedbackWrong, true},
		{both, xinqiao.FeedbackWrong, false}, // the same again changes nothing
		{both, xinqiao.FeedbackUpsetting, true},
		{bare, xinqiao.FeedbackHelpful, true},
	} {
		created, err := s.AddFeedback(ctx, c.ID, tc.seq, tc.kind, now)
		if err != nil || created != tc.created {
			t.Fatalf("AddFeedback(%d, %s): got %v, %v; want created %v", tc.seq, tc.kind, created, err, tc.created)
		}
	}
	_, err = s.AddFeedback(ctx, c.ID, q.Seq, xinqiao.FeedbackHelpful, now)
	wantCode(t, err, xinqiao.ENOTFOUND) // the student's own message is no answer
	_, err = s.AddFeedback(ctx, c.ID, 99, xinqiao.FeedbackHelpful, now)
	wantCode(t, err, xinqiao.ENOTFOUND)
	other, _ := NewConversation(t, s, "")
	_, err = s.AddFeedback(ctx, other.ID, both, xinqiao.FeedbackHelpful, now)
	wantCode(t, err, xinqiao.ENOTFOUND) // another conversation's answer
	_, err = s.AddFeedback(ctx, c.ID, both, "meh", now)
	wantCode(t, err, xinqiao.EINVALID)

	got, err := s.FeedbackCounts(ctx, now.Add(-time.Hour), now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	want := []xinqiao.FeedbackCount{
		{DocID: "", Version: 0, Title: "", Kind: xinqiao.FeedbackHelpful, Count: 1},
		{DocID: "exam", Version: 1, Title: "考试焦虑", Kind: xinqiao.FeedbackUpsetting, Count: 1},
		{DocID: "exam", Version: 1, Title: "考试焦虑", Kind: xinqiao.FeedbackWrong, Count: 1},
		{DocID: "sleep", Version: 2, Title: "晚上睡不着", Kind: xinqiao.FeedbackUpsetting, Count: 1},
		{DocID: "sleep", Version: 2, Title: "晚上睡不着", Kind: xinqiao.FeedbackWrong, Count: 1},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got counts %+v, want %+v", got, want)
	}
	if got, err := s.FeedbackCounts(ctx, now.Add(time.Millisecond), now.Add(time.Hour)); err != nil || len(got) != 0 {
		t.Fatalf("counts after the feedback was given: got %+v, %v; want none", got, err)
	}
}

func testFeedbackPurged(t *testing.T, s xinqiao.Store) {
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Millisecond)
	c, _ := NewConversation(t, s, "")
	seq := answer(t, s, c.ID, xinqiao.Source{Title: "晚上睡不着", DocID: "sleep", Version: 2})
	if _, err := s.AddFeedback(ctx, c.ID, seq, xinqiao.FeedbackHelpful, now); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Purge(ctx, now.Add(time.Hour), now.Add(time.Hour)); err != nil {
		t.Fatalf("purge: %v", err)
	}
	if got, err := s.FeedbackCounts(ctx, now.Add(-time.Hour), now.Add(time.Hour)); err != nil || len(got) != 0 {
		t.Fatalf("counts after the conversation was purged: got %+v, %v; want none", got, err)
	}
}
