package storetest

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"xinqiao/internal/xinqiao"
)

func init() {
	register("PendingTurns", func(t *testing.T, open func(tb testing.TB) xinqiao.Store) {
		t.Run("RecordedWithTheMessage", func(t *testing.T) { testTurnRecorded(t, open(t)) })
		t.Run("AnswerCompletesOnce", func(t *testing.T) { testTurnAnswerCompletes(t, open(t)) })
		t.Run("ClaimAfterLease", func(t *testing.T) { testTurnClaim(t, open(t)) })
		t.Run("MergedAnswerCompletesEveryTurn", func(t *testing.T) { testTurnMergedAnswer(t, open(t)) })
		t.Run("RenewKeepsTheTurnFromSweeps", func(t *testing.T) { testTurnRenew(t, open(t)) })
		t.Run("ConcurrentClaimsTakeEachOnce", func(t *testing.T) { testTurnConcurrentClaims(t, open(t)) })
		t.Run("AIOnlyByTheModeAtAppend", func(t *testing.T) { testTurnAIOnly(t, open(t)) })
	})
}

// studentMessage appends a student message with a pending turn.
func studentMessage(t *testing.T, s xinqiao.Store, convID, clientID, kind string, lease time.Time) (xinqiao.Message, *xinqiao.PendingTurn) {
	t.Helper()
	m, turn, created, err := s.AppendStudentMessage(context.Background(),
		xinqiao.NewMessage{ConversationID: convID, ClientID: clientID, Role: xinqiao.RoleStudent, Text: "消息 " + clientID},
		xinqiao.NewTurn{Kind: kind, Level: "high", Categories: []string{"suicide"}, Rules: []string{"r1"}, LeaseUntil: lease})
	if err != nil || !created {
		t.Fatalf("AppendStudentMessage %s: created %v, %v", clientID, created, err)
	}
	return m, turn
}

func testTurnRecorded(t *testing.T, s xinqiao.Store) {
	ctx := context.Background()
	c, _ := NewConversation(t, s, "")
	lease := time.Now().Add(time.Minute).UTC().Truncate(time.Millisecond)
	state := json.RawMessage(`{"level":3}`)
	m, turn, created, err := s.AppendStudentMessage(ctx,
		xinqiao.NewMessage{ConversationID: c.ID, ClientID: "a", Role: xinqiao.RoleStudent, Text: "不想活了",
			ConversationRisk: "high", ConversationRiskState: state},
		xinqiao.NewTurn{Kind: xinqiao.TurnEscalate, Level: "high", Categories: []string{"suicide"}, Rules: []string{"r1"}, LeaseUntil: lease})
	if err != nil || !created || turn == nil {
		t.Fatalf("got turn %v, created %v, %v; want a pending turn", turn, created, err)
	}
	if turn.Seq != m.Seq || turn.Kind != xinqiao.TurnEscalate || turn.Level != "high" || turn.ClientID != "a" ||
		len(turn.Categories) != 1 || turn.Categories[0] != "suicide" || turn.Attempts != 1 || !turn.LeaseUntil.Equal(lease) {
		t.Fatalf("got turn %+v, want seq %d, escalate at high, leased until %v", turn, m.Seq, lease)
	}
	conv, err := s.Conversation(ctx, c.ID)
	var st struct{ Level int }
	_ = json.Unmarshal(conv.RiskState, &st)
	if err != nil || conv.RiskLevel != "high" || st.Level != 3 {
		t.Fatalf("got conversation %+v (%s), %v; want the risk recorded with the message", conv, conv.RiskState, err)
	}

	// A resend stores nothing and says the turn is still owed.
	again, turn2, created, err := s.AppendStudentMessage(ctx,
		xinqiao.NewMessage{ConversationID: c.ID, ClientID: "a", Role: xinqiao.RoleStudent, Text: "不想活了"},
		xinqiao.NewTurn{Kind: xinqiao.TurnEscalate, Level: "high", LeaseUntil: lease})
	if err != nil || created || again.Seq != m.Seq || turn2 == nil || turn2.Seq != m.Seq || turn2.Kind != xinqiao.TurnEscalate {
		t.Fatalf("resend: got %+v, turn %+v, created %v, %v; want the stored message and its pending turn", again, turn2, created, err)
	}
	if done, err := s.CompleteTurn(ctx, c.ID, m.Seq); err != nil || !done {
		t.Fatalf("CompleteTurn: got %v, %v; want done", done, err)
	}
	if done, err := s.CompleteTurn(ctx, c.ID, m.Seq); err != nil || done {
		t.Fatalf("CompleteTurn again: got %v, %v; want false", done, err)
	}
	// Once done, a resend is handled in full.
	_, turn3, created, err := s.AppendStudentMessage(ctx,
		xinqiao.NewMessage{ConversationID: c.ID, ClientID: "a", Role: xinqiao.RoleStudent, Text: "不想活了"},
		xinqiao.NewTurn{Kind: xinqiao.TurnEscalate, Level: "high", LeaseUntil: lease})
	if err != nil || created || turn3 != nil {
		t.Fatalf("resend after done: got turn %+v, created %v, %v; want none", turn3, created, err)
	}
	// No kind, no turn: a counselor reads the message live.
	_, none, created, err := s.AppendStudentMessage(ctx,
		xinqiao.NewMessage{ConversationID: c.ID, ClientID: "b", Role: xinqiao.RoleStudent, Text: "在吗"}, xinqiao.NewTurn{})
	if err != nil || !created || none != nil {
		t.Fatalf("no kind: got turn %+v, created %v, %v; want a message without a turn", none, created, err)
	}
	if ts, err := s.ClaimStaleTurns(ctx, lease.Add(time.Hour), lease.Add(2*time.Hour), 10); err != nil || len(ts) != 0 {
		t.Fatalf("got stale turns %+v, %v; want none left", ts, err)
	}
}

func testTurnAnswerCompletes(t *testing.T, s xinqiao.Store) {
	ctx := context.Background()
	c, _ := NewConversation(t, s, "")
	m, _ := studentMessage(t, s, c.ID, "q", xinqiao.TurnAnswer, time.Now().Add(time.Minute))
	answer := xinqiao.NewMessage{ConversationID: c.ID, Role: xinqiao.RoleAssistant, Text: "回答", AIGenerated: true,
		RequireMode: xinqiao.ModeAI, Completes: m.Seq}
	a, created, err := s.AppendMessage(ctx, answer)
	if err != nil || !created || a.Seq != m.Seq+1 {
		t.Fatalf("answer: got %+v, %v, %v; want stored at seq %d", a, created, err, m.Seq+1)
	}
	// A second answer to the same turn (another node's, written at the same
	// time) is refused and leaves no trace, not even a seq.
	_, _, err = s.AppendMessage(ctx, answer)
	wantCode(t, err, xinqiao.ECONFLICT)
	conv, _ := s.Conversation(ctx, c.ID)
	ms, _ := s.Messages(ctx, c.ID, 0, 10)
	if conv.LastSeq != a.Seq || len(ms) != 2 {
		t.Fatalf("got last seq %d and %d messages, want %d and 2", conv.LastSeq, len(ms), a.Seq)
	}
	if done, err := s.CompleteTurn(ctx, c.ID, m.Seq); err != nil || done {
		t.Fatalf("the answer did not complete the turn: CompleteTurn got %v, %v", done, err)
	}
}

func testTurnMergedAnswer(t *testing.T, s xinqiao.Store) {
	ctx := context.Background()
	c, _ := NewConversation(t, s, "")
	lease := time.Now().Add(time.Minute)
	m1, _ := studentMessage(t, s, c.ID, "1", xinqiao.TurnAnswer, lease)
	m2, _ := studentMessage(t, s, c.ID, "2", xinqiao.TurnAnswer, lease)
	m3, _ := studentMessage(t, s, c.ID, "3", xinqiao.TurnAnswer, lease)
	other, _ := NewConversation(t, s, "")
	o1, _ := studentMessage(t, s, other.ID, "1", xinqiao.TurnAnswer, lease)
	if done, err := s.CompleteTurn(ctx, c.ID, m2.Seq); err != nil || !done {
		t.Fatalf("CompleteTurn: got %v, %v", done, err)
	}
	// One answer to the three messages: the turn of 2, done already, is skipped.
	answer := xinqiao.NewMessage{ConversationID: c.ID, Role: xinqiao.RoleAssistant, Text: "回答", AIGenerated: true,
		RequireMode: xinqiao.ModeAI, Completes: m3.Seq, Covers: []int64{m1.Seq, m2.Seq}}
	if _, created, err := s.AppendMessage(ctx, answer); err != nil || !created {
		t.Fatalf("merged answer: got %v, %v; want stored", created, err)
	}
	_, _, err := s.AppendMessage(ctx, answer)
	wantCode(t, err, xinqiao.ECONFLICT)
	ts, err := s.ClaimStaleTurns(ctx, lease.Add(time.Hour), lease.Add(2*time.Hour), 10)
	if err != nil || len(ts) != 1 || ts[0].ConversationID != other.ID || ts[0].Seq != o1.Seq {
		t.Fatalf("got pending turns %+v, %v; want only the other conversation's", ts, err)
	}
}

func testTurnRenew(t *testing.T, s xinqiao.Store) {
	ctx := context.Background()
	base := time.Now().UTC().Truncate(time.Millisecond)
	c, _ := NewConversation(t, s, "")
	m1, _ := studentMessage(t, s, c.ID, "1", xinqiao.TurnAnswer, base.Add(time.Minute))
	m2, _ := studentMessage(t, s, c.ID, "2", xinqiao.TurnAnswer, base.Add(time.Minute))
	m3, _ := studentMessage(t, s, c.ID, "3", xinqiao.TurnAnswer, base.Add(time.Hour))
	renewed := base.Add(3 * time.Minute)
	if err := s.RenewTurns(ctx, c.ID, []int64{m1.Seq, m2.Seq, m3.Seq, 999}, renewed); err != nil {
		t.Fatal(err)
	}
	if ts, err := s.ClaimStaleTurns(ctx, base.Add(2*time.Minute), base.Add(4*time.Minute), 10); err != nil || len(ts) != 0 {
		t.Fatalf("after the first lease, renewed: got %+v, %v; want none taken", ts, err)
	}
	ts, err := s.ClaimStaleTurns(ctx, renewed, renewed.Add(time.Minute), 10)
	if err != nil || len(ts) != 2 || ts[0].Seq != m1.Seq || ts[1].Seq != m2.Seq || ts[0].Attempts != 2 {
		t.Fatalf("after the renewed lease: got %+v, %v; want turns 1 and 2 at attempt 2 (a renewal is no attempt)", ts, err)
	}
	if err := s.RenewTurns(ctx, c.ID, nil, renewed); err != nil {
		t.Fatalf("RenewTurns of none: %v", err)
	}
}

func testTurnClaim(t *testing.T, s xinqiao.Store) {
	ctx := context.Background()
	base := time.Now().UTC().Truncate(time.Millisecond)
	c, _ := NewConversation(t, s, "")
	m1, _ := studentMessage(t, s, c.ID, "1", xinqiao.TurnEscalate, base.Add(10*time.Second))
	m2, _ := studentMessage(t, s, c.ID, "2", xinqiao.TurnAnswer, base.Add(20*time.Second))

	if ts, err := s.ClaimStaleTurns(ctx, base.Add(5*time.Second), base.Add(time.Minute), 10); err != nil || len(ts) != 0 {
		t.Fatalf("under a live lease: got %+v, %v; want none", ts, err)
	}
	if _, ok, err := s.ClaimTurn(ctx, c.ID, m2.Seq, base.Add(5*time.Second), base.Add(time.Minute)); err != nil || ok {
		t.Fatalf("ClaimTurn under a live lease: got %v, %v; want refused", ok, err)
	}
	newLease := base.Add(2 * time.Minute)
	ts, err := s.ClaimStaleTurns(ctx, base.Add(15*time.Second), newLease, 10)
	if err != nil || len(ts) != 1 || ts[0].Seq != m1.Seq || ts[0].Attempts != 2 || !ts[0].LeaseUntil.Equal(newLease) {
		t.Fatalf("after the first lease: got %+v, %v; want seq %d, attempt 2, leased until %v", ts, err, m1.Seq, newLease)
	}
	if ts, _ := s.ClaimStaleTurns(ctx, base.Add(15*time.Second), newLease, 10); len(ts) != 0 {
		t.Fatalf("claimed twice: %+v", ts)
	}
	got, ok, err := s.ClaimTurn(ctx, c.ID, m2.Seq, base.Add(30*time.Second), newLease)
	if err != nil || !ok || got.Kind != xinqiao.TurnAnswer || got.Attempts != 2 {
		t.Fatalf("ClaimTurn after its lease: got %+v, %v, %v", got, ok, err)
	}
	ts, err = s.ClaimStaleTurns(ctx, newLease, newLease.Add(time.Minute), 10)
	if err != nil || len(ts) != 2 || ts[0].Seq != m1.Seq || ts[1].Seq != m2.Seq || ts[0].Attempts != 3 {
		t.Fatalf("both leases over: got %+v, %v; want both turns, oldest first", ts, err)
	}
	if _, ok, err := s.ClaimTurn(ctx, c.ID, 999, newLease.Add(time.Hour), newLease.Add(2*time.Hour)); err != nil || ok {
		t.Fatalf("ClaimTurn of no turn: got %v, %v", ok, err)
	}

	// A released turn is taken by the next sweep at once, not after its lease.
	m3, _ := studentMessage(t, s, c.ID, "3", xinqiao.TurnAnswer, base.Add(time.Hour))
	at := base.Add(time.Minute)
	if err := s.ReleaseTurn(ctx, c.ID, m3.Seq, at); err != nil {
		t.Fatal(err)
	}
	ts, err = s.ClaimStaleTurns(ctx, at, at.Add(time.Minute), 10)
	if err != nil || len(ts) != 1 || ts[0].Seq != m3.Seq {
		t.Fatalf("after ReleaseTurn: got %+v, %v; want turn %d", ts, err, m3.Seq)
	}
	if err := s.ReleaseTurn(ctx, c.ID, 999, at); err != nil {
		t.Fatalf("ReleaseTurn of no turn: %v", err)
	}
}

func testTurnConcurrentClaims(t *testing.T, s xinqiao.Store) {
	ctx := context.Background()
	base := time.Now().UTC()
	const convs, workers = 6, 4
	for range convs {
		c, _ := NewConversation(t, s, "")
		studentMessage(t, s, c.ID, "m", xinqiao.TurnAnswer, base)
		studentMessage(t, s, c.ID, "n", xinqiao.TurnEscalate, base)
	}
	var mu sync.Mutex
	seen := map[string]int{}
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				ts, err := s.ClaimStaleTurns(ctx, base.Add(time.Second), base.Add(time.Hour), 3)
				if err != nil {
					t.Errorf("ClaimStaleTurns: %v", err)
					return
				}
				if len(ts) == 0 {
					return
				}
				mu.Lock()
				for _, pt := range ts {
					seen[pt.ConversationID+"/"+pt.Kind]++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(seen) != 2*convs {
		t.Fatalf("got %d turns claimed, want %d", len(seen), 2*convs)
	}
	for k, n := range seen {
		if n != 1 {
			t.Fatalf("turn %s claimed %d times, want once", k, n)
		}
	}
}

// testTurnAIOnly: an answer turn asked for only in mode ai is recorded by
// the mode the append itself reads: none while a counselor has the
// conversation, one again once they gave it back to the AI.
func testTurnAIOnly(t *testing.T, s xinqiao.Store) {
	ctx := context.Background()
	c, _ := NewConversation(t, s, "")
	lease := time.Now().Add(time.Minute)
	appendAIOnly := func(clientID string) *xinqiao.PendingTurn {
		t.Helper()
		_, turn, created, err := s.AppendStudentMessage(ctx,
			xinqiao.NewMessage{ConversationID: c.ID, ClientID: clientID, Role: xinqiao.RoleStudent, Text: "消息 " + clientID},
			xinqiao.NewTurn{Kind: xinqiao.TurnAnswer, Level: "low", LeaseUntil: lease, AIOnly: true})
		if err != nil || !created {
			t.Fatalf("AppendStudentMessage %s: created %v, %v", clientID, created, err)
		}
		return turn
	}
	if err := s.SetMode(ctx, c.ID, xinqiao.ModeHandoff); err != nil {
		t.Fatal(err)
	}
	if turn := appendAIOnly("h"); turn != nil {
		t.Fatalf("in handoff mode: got turn %+v, want none (the counselor reads it live)", turn)
	}
	if err := s.SetMode(ctx, c.ID, xinqiao.ModeAI); err != nil {
		t.Fatal(err)
	}
	if turn := appendAIOnly("a"); turn == nil || turn.Kind != xinqiao.TurnAnswer {
		t.Fatalf("back in ai mode: got turn %+v, want an answer turn", turn)
	}
	ts, err := s.ClaimStaleTurns(ctx, lease.Add(time.Hour), lease.Add(2*time.Hour), 10)
	if err != nil || len(ts) != 1 || ts[0].ClientID != "a" {
		t.Fatalf("got pending turns %+v, %v; want the one of the message stored in ai mode", ts, err)
	}
}
