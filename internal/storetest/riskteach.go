package storetest

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"xinqiao/internal/xinqiao"
)

func init() {
	register("RiskTeaching", func(t *testing.T, open func(tb testing.TB) xinqiao.Store) {
		t.Run("Labels", func(t *testing.T) { testRiskLabels(t, open(t)) })
		t.Run("LabelsGoWithPurgedConversations", func(t *testing.T) { testRiskLabelsPurged(t, open(t)) })
		t.Run("ModelPublish", func(t *testing.T) { testRiskModelPublish(t, open(t)) })
		t.Run("ConcurrentModelPublishOneWins", func(t *testing.T) { testRiskModelConcurrent(t, open(t)) })
	})
}

// labelledConversation stores a turn: the assistant asks, the student
// answers (graded level), then a message graded high and an ordinary one.
func labelledConversation(t *testing.T, s xinqiao.Store) xinqiao.Conversation {
	t.Helper()
	ctx := context.Background()
	c, _ := NewConversation(t, s, "")
	for _, m := range []xinqiao.NewMessage{
		{Role: xinqiao.RoleStudent, Text: "你好", Risk: &xinqiao.RiskMark{Level: "none"}},
		{Role: xinqiao.RoleAssistant, Text: "最近睡得怎么样？"},
		{Role: xinqiao.RoleStudent, Text: "睡不着，想一直睡下去不醒来", Risk: &xinqiao.RiskMark{Level: "medium", Categories: []string{"suicide"}}},
		{Role: xinqiao.RoleStudent, Text: "药已经攒好了", Risk: &xinqiao.RiskMark{Level: "high", Categories: []string{"suicide"}}},
		{Role: xinqiao.RoleStudent, Text: "算了不说了"},
	} {
		m.ConversationID = c.ID
		if _, _, err := s.AppendMessage(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

func exported(t *testing.T, s xinqiao.Store) []xinqiao.LabelledMessage {
	t.Helper()
	var out []xinqiao.LabelledMessage
	if err := s.LabelledMessages(context.Background(), func(m xinqiao.LabelledMessage) error { out = append(out, m); return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

func testRiskLabels(t *testing.T, s xinqiao.Store) {
	ctx := context.Background()
	st := NewStaff(t, s, "label1", xinqiao.RoleCounselor)
	c := labelledConversation(t, s)
	now := time.Now().UTC().Truncate(time.Millisecond)
	if ls, err := s.RiskLabels(ctx, c.ID); err != nil || ls == nil || len(ls) != 0 {
		t.Fatalf("got %v, %v before any label, want an empty list", ls, err)
	}
	if got := exported(t, s); len(got) != 0 {
		t.Fatalf("export before any label: %v", got)
	}
	// a counselor's click on the high message, then a change of mind
	l, err := s.SetRiskLabel(ctx, xinqiao.RiskLabel{ConversationID: c.ID, Seq: 4, Label: xinqiao.LabelNone, Source: xinqiao.LabelByCounselor, StaffID: st.ID, UpdatedAt: now})
	if err != nil || l.Label != xinqiao.LabelNone {
		t.Fatalf("set: %+v, %v", l, err)
	}
	if _, err := s.SetRiskLabel(ctx, xinqiao.RiskLabel{ConversationID: c.ID, Seq: 4, Label: xinqiao.LabelRisk, Source: xinqiao.LabelByCounselor, StaffID: st.ID, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	_, err = s.SetRiskLabel(ctx, xinqiao.RiskLabel{ConversationID: c.ID, Seq: 2, Label: xinqiao.LabelRisk, Source: xinqiao.LabelByCounselor, StaffID: st.ID, UpdatedAt: now})
	wantCode(t, err, xinqiao.EINVALID) // the assistant's question
	_, err = s.SetRiskLabel(ctx, xinqiao.RiskLabel{ConversationID: c.ID, Seq: 99, Label: xinqiao.LabelRisk, Source: xinqiao.LabelByCounselor, StaffID: st.ID, UpdatedAt: now})
	wantCode(t, err, xinqiao.ENOTFOUND)
	// closing the handoff as a false alarm labels the other flagged
	// message (medium), not the one a counselor labelled nor the unflagged
	n, err := s.DefaultRiskLabels(ctx, c.ID, 5, xinqiao.LabelNone, st.ID, now.Add(time.Second))
	if err != nil || n != 1 {
		t.Fatalf("default labels: %d, %v; want 1 (the medium message)", n, err)
	}
	if n, err := s.DefaultRiskLabels(ctx, c.ID, 5, xinqiao.LabelNone, st.ID, now); err != nil || n != 0 {
		t.Fatalf("default labels again: %d, %v; want 0", n, err)
	}
	ls, err := s.RiskLabels(ctx, c.ID)
	if err != nil || len(ls) != 2 {
		t.Fatalf("labels: %+v, %v", ls, err)
	}
	if a, b := ls[0], ls[1]; a.Seq != 3 || a.Label != xinqiao.LabelNone || a.Source != xinqiao.LabelByOutcome ||
		b.Seq != 4 || b.Label != xinqiao.LabelRisk || b.Source != xinqiao.LabelByCounselor || b.StaffID != st.ID || !b.UpdatedAt.Equal(now) {
		t.Fatalf("labels: %+v", ls)
	}
	got := exported(t, s)
	want := []xinqiao.LabelledMessage{
		{Text: "睡不着，想一直睡下去不醒来", Label: "none", Level: "medium", Question: "最近睡得怎么样？"},
		{Text: "药已经攒好了", Label: "risk", Level: "high", Question: "最近睡得怎么样？"},
	}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("export: %+v, want %+v", got, want)
	}
	// an unflagged message labelled by hand exports as level none
	if _, err := s.SetRiskLabel(ctx, xinqiao.RiskLabel{ConversationID: c.ID, Seq: 5, Label: xinqiao.LabelUnsure, Source: xinqiao.LabelByCounselor, StaffID: st.ID, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	if got := exported(t, s); len(got) != 3 || got[2].Level != "none" || got[2].Label != "unsure" {
		t.Fatalf("export: %+v", got)
	}
	stop := errors.New("stop")
	if err := s.LabelledMessages(ctx, func(xinqiao.LabelledMessage) error { return stop }); !errors.Is(err, stop) {
		t.Fatalf("an error from fn: got %v", err)
	}
}

func testRiskLabelsPurged(t *testing.T, s xinqiao.Store) {
	ctx := context.Background()
	st := NewStaff(t, s, "label2", xinqiao.RoleCounselor)
	c := labelledConversation(t, s)
	if _, err := s.SetRiskLabel(ctx, xinqiao.RiskLabel{ConversationID: c.ID, Seq: 4, Label: xinqiao.LabelRisk, Source: xinqiao.LabelByCounselor, StaffID: st.ID, UpdatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Purge(ctx, time.Now().Add(time.Hour), time.Now()); err != nil {
		t.Fatal(err)
	}
	if got := exported(t, s); len(got) != 0 {
		t.Fatalf("export after the conversation was purged: %+v", got)
	}
}

func testRiskModelPublish(t *testing.T, s xinqiao.Store) {
	ctx := context.Background()
	m, err := s.RiskModel(ctx)
	if err != nil || m.Version != 0 {
		t.Fatalf("got %+v, %v before any publish, want version 0", m, err)
	}
	if vs, err := s.RiskModelVersions(ctx, 10); err != nil || vs == nil || len(vs) != 0 {
		t.Fatalf("got %v, %v, want an empty (not nil) history", vs, err)
	}
	st := NewStaff(t, s, "model1", xinqiao.RoleSupervisor)
	w := []byte("XQRM\x00\x01weights\xff\x00")
	v1, err := s.PublishRiskModel(ctx, 0, xinqiao.RiskModel{Weights: w, SHA256: "abc", Note: "区模型第一版", Author: st.ID})
	if err != nil || v1.Version != 1 || v1.Bytes != len(w) || v1.AuthorName != st.DisplayName || v1.CreatedAt.IsZero() {
		t.Fatalf("publish: %+v, %v", v1, err)
	}
	_, err = s.PublishRiskModel(ctx, 0, xinqiao.RiskModel{Weights: w, Note: "stale", Author: st.ID})
	wantCode(t, err, xinqiao.ECONFLICT)
	v2, err := s.PublishRiskModel(ctx, 1, xinqiao.RiskModel{Note: "回到内置模型", Author: st.ID})
	if err != nil || v2.Version != 2 || v2.Bytes != 0 {
		t.Fatalf("publish the built-in: %+v, %v", v2, err)
	}
	cur, err := s.RiskModel(ctx)
	if err != nil || cur.Version != 2 || cur.Weights != nil || cur.Note != "回到内置模型" || !cur.CreatedAt.Equal(v2.CreatedAt) {
		t.Fatalf("latest: %+v, %v", cur, err)
	}
	old, err := s.RiskModelVersion(ctx, 1)
	if err != nil || string(old.Weights) != string(w) || old.SHA256 != "abc" || old.Bytes != len(w) || old.AuthorName != st.DisplayName {
		t.Fatalf("version 1: %+v, %v", old, err)
	}
	if b, err := s.RiskModelVersion(ctx, 2); err != nil || len(b.Weights) != 0 {
		t.Fatalf("version 2: %+v, %v", b, err)
	}
	_, err = s.RiskModelVersion(ctx, 3)
	wantCode(t, err, xinqiao.ENOTFOUND)
	vs, err := s.RiskModelVersions(ctx, 10)
	if err != nil || len(vs) != 2 || vs[0].Version != 2 || vs[1].Version != 1 || vs[1].Weights != nil {
		t.Fatalf("history: %+v, %v", vs, err)
	}
}

func testRiskModelConcurrent(t *testing.T, s xinqiao.Store) {
	ctx := context.Background()
	st := NewStaff(t, s, "model2", xinqiao.RoleSupervisor)
	const n = 8
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = s.PublishRiskModel(ctx, 0, xinqiao.RiskModel{Weights: []byte{byte(i)}, Note: "race", Author: st.ID})
		}()
	}
	wg.Wait()
	won := 0
	for _, err := range errs {
		switch {
		case err == nil:
			won++
		case xinqiao.ErrorCode(err) != xinqiao.ECONFLICT:
			t.Fatalf("got %v, want success or conflict", err)
		}
	}
	if vs, _ := s.RiskModelVersions(ctx, 10); won != 1 || len(vs) != 1 {
		t.Fatalf("%d of %d publishes on the same base won and %d versions stored, want exactly 1", won, n, len(vs))
	}
}
