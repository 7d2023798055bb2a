package handoff_test

import (
	"context"
	"encoding/json"
	"sync/atomic"
	"testing"
	"time"

	"xinqiao/internal/apptest"
	"xinqiao/internal/xinqiao"
)

// riskBeforeClose wraps a store so that, once armed, the next close of a
// handoff is written only after before has run and a handoff open (or
// raise) has reached the store since: the student's risky message is read
// and merged into the handoff while its counselor's close is on its way.
type riskBeforeClose struct {
	xinqiao.Store
	before atomic.Pointer[func()]
	opened chan struct{}
}

// OpenHandoff implements xinqiao.HandoffStore.
func (r *riskBeforeClose) OpenHandoff(ctx context.Context, nh xinqiao.NewHandoff) (xinqiao.Handoff, bool, bool, error) {
	h, created, raised, err := r.Store.OpenHandoff(ctx, nh)
	if err == nil {
		select {
		case r.opened <- struct{}{}:
		default:
		}
	}
	return h, created, raised, err
}

// CloseHandoff implements xinqiao.HandoffStore.
func (r *riskBeforeClose) CloseHandoff(ctx context.Context, id string, c xinqiao.CloseHandoff) (xinqiao.Handoff, error) {
	if fn := r.before.Swap(nil); fn != nil {
		(*fn)()
		select {
		case <-r.opened:
		case <-time.After(wait):
		}
	}
	return r.Store.CloseHandoff(ctx, id, c)
}

// TestRiskyMessageAsTheCounselorCloses: the student writes something
// grave while the counselor's close is on its way. The message is merged
// into the open handoff just before the close reaches the store; the
// close must not file it away unseen: it is refused as the handoff changed
// meanwhile, and the handoff stays open with the counselor.
func TestRiskyMessageAsTheCounselorCloses(t *testing.T) {
	eachEngine(t, func(t *testing.T, open func(tb testing.TB) xinqiao.Store) {
		clk := apptest.NewClock(time.Now())
		var racing *riskBeforeClose
		s := boot(t, func(tb testing.TB) xinqiao.Store {
			racing = &riskBeforeClose{Store: open(tb), opened: make(chan struct{}, 1)}
			return racing
		}, clk)
		s.AddStaff(t, "wang", xinqiao.RoleCounselor, "王老师")
		wang := s.Login(t, "wang")
		sess := s.NewSession(t, `{"lang":"zh"}`)
		student := s.DialStudent(t, sess.Token)
		student.Message(t, "m1", "我不想活了，今晚就从楼顶跳下去")
		student.Wait(t, wait, func(f apptest.Frame) bool { return f.Type == "handoff" && f.State == "waiting" })
		hs, err := s.Store.Handoffs(context.Background(), xinqiao.HandoffFilter{ConversationID: sess.ConversationID})
		if err != nil || len(hs) != 1 {
			t.Fatalf("precondition: got handoffs %+v, %v", hs, err)
		}
		h := hs[0]
		if code := wang.Do(t, "POST", "/api/handoffs/"+h.ID+"/claim", nil, nil); code != 200 {
			t.Fatalf("claim: got %d", code)
		}
		rest(student, 300*time.Millisecond)
		select { // the opens so far are not the one the close waits for
		case <-racing.opened:
		default:
		}
		grave := func() { student.Message(t, "m2", "我已经把药都攒好了，今晚全部吃掉") }
		racing.before.Store(&grave)
		var bad struct {
			Error struct{ Code, Message string } `json:"error"`
		}
		if code := wang.Do(t, "POST", "/api/handoffs/"+h.ID+"/close", map[string]string{"outcome": "resolved"}, &bad); code != 409 {
			t.Fatalf("close as a grave message came in: got %d %+v, want 409 (the handoff changed meanwhile)", code, bad)
		}
		got, err := s.Store.Handoff(context.Background(), h.ID)
		if err != nil || got.State != xinqiao.HandoffActive || got.Counselor != wang.Me.ID || got.MessageSeq <= h.MessageSeq {
			t.Fatalf("handoff after the refused close: %+v, %v; want it active, 王老师's, flagging the new message", got, err)
		}
		// Nor is the conversation's risk lowered by a close that did not
		// happen: the handoff is open, so its level and signals stand.
		conv, err := s.Store.Conversation(context.Background(), sess.ConversationID)
		if err != nil {
			t.Fatal(err)
		}
		var st struct {
			Lowered *struct{ To string } `json:"lowered"`
		}
		if err := json.Unmarshal(conv.RiskState, &st); err != nil || st.Lowered != nil || xinqiao.LevelRank(conv.RiskLevel) < xinqiao.LevelRank(xinqiao.LevelHigh) {
			t.Fatalf("conversation after the refused close: risk %q, state %s (%v); want it high or above, never lowered", conv.RiskLevel, conv.RiskState, err)
		}
	})
}
