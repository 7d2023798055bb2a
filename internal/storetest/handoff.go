package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"xinqiao/internal/xinqiao"
)

func init() {
	register("Handoff", func(t *testing.T, open func(tb testing.TB) xinqiao.Store) {
		tests := []struct {
			name string
			fn   func(t *testing.T, s xinqiao.Store)
		}{
			{"OpenIsIdempotentAndRaises", testHandoffOpen},
			{"QueueOrder", testHandoffQueue},
			{"ConcurrentClaimsOneWinner", testHandoffClaimRace},
			{"ClaimDuringTickAndRaise", testHandoffClaimDuringTickAndRaise},
			{"RefusalsLeaveStateUnchanged", testHandoffRefusals},
			{"ReleaseTransferClose", testHandoffReleaseTransfer},
			{"TimersFireOnce", testHandoffTimers},
			{"AlertsAndPresence", testHandoffAlerts},
			{"Cases", testHandoffCases},
			{"Kinds", testHandoffKinds},
			{"FlaggedMessage", testHandoffFlaggedMessage},
			{"JoinIsOneChange", testHandoffJoin},
			{"SchoolFilter", testHandoffSchoolFilter},
			{"CloseSeesEveryMerge", testHandoffCloseSeen},
			{"UpdatedAtOnlyRises", testHandoffUpdatedAtRises},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) { tt.fn(t, open(t)) })
		}
	})
}

// NewStaff stores a staff account with the given role and returns it.
func NewStaff(tb testing.TB, s xinqiao.Store, username, role string) xinqiao.Staff {
	tb.Helper()
	st, err := s.CreateStaff(context.Background(), xinqiao.Staff{Username: username, DisplayName: username + "老师", Role: role, PasswordHash: "x"})
	if err != nil {
		tb.Fatalf("CreateStaff: %v", err)
	}
	return st
}

// hoT0 is a fixed, millisecond-exact start time for handoff tests.
var hoT0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

var hoLadder = []xinqiao.LadderStep{{After: 60 * time.Second, Action: "duty"}, {After: 180 * time.Second, Action: "oncall"}}

func openHandoff(t *testing.T, s xinqiao.Store, convID, level string, at time.Time) (xinqiao.Handoff, bool, bool) {
	t.Helper()
	h, created, raised, err := s.OpenHandoff(context.Background(), xinqiao.NewHandoff{ConversationID: convID, Level: level,
		Categories: []string{"suicide"}, Rules: []string{"zh.rule." + level}, MessageSeq: 1, At: at, Ladder: hoLadder})
	if err != nil {
		t.Fatalf("OpenHandoff: %v", err)
	}
	return h, created, raised
}

func testHandoffOpen(t *testing.T, s xinqiao.Store) {
	ctx := context.Background()
	if err := s.UpsertTerminal(ctx, xinqiao.Terminal{Code: "T-9", School: "七中", Place: "三楼走廊"}); err != nil {
		t.Fatal(err)
	}
	c, _ := NewConversation(t, s, "T-9")
	h, created, raised := openHandoff(t, s, c.ID, xinqiao.LevelHigh, hoT0)
	if !created || raised || h.State != xinqiao.HandoffWaiting || h.Level != xinqiao.LevelHigh || h.School != "七中" ||
		h.Place != "三楼走廊" || h.CaseID == "" || !h.OpenedAt.Equal(hoT0) || h.ClaimedAt != nil {
		t.Fatalf("got %+v created=%v raised=%v, want a new waiting high handoff with school and place", h, created, raised)
	}
	conv, _ := s.Conversation(ctx, c.ID)
	if conv.Mode != xinqiao.ModeHandoff {
		t.Fatalf("got mode %q, want handoff", conv.Mode)
	}
	again, created, raised := openHandoff(t, s, c.ID, xinqiao.LevelHigh, hoT0.Add(time.Second))
	if created || raised || again.ID != h.ID {
		t.Fatalf("second open: got %s created=%v raised=%v, want the same handoff", again.ID, created, raised)
	}
	up, created, raised := openHandoff(t, s, c.ID, xinqiao.LevelImminent, hoT0.Add(100*time.Second))
	if created || !raised || up.ID != h.ID || up.Level != xinqiao.LevelImminent || len(up.Reason) != 2 || len(up.Categories) != 1 {
		t.Fatalf("raise: got %+v created=%v raised=%v", up, created, raised)
	}
	// The ladder is rescheduled from the opening: step 1 (60 s) is past, so due now.
	ts, err := s.Timers(ctx, h.ID)
	if err != nil || len(ts) != 2 {
		t.Fatalf("got %d timers, %v; want 2", len(ts), err)
	}
	if want := hoT0.Add(100 * time.Second); !ts[0].Due.Equal(want) || !ts[1].Due.Equal(hoT0.Add(180*time.Second)) {
		t.Fatalf("got dues %v, %v; want %v and +180s", ts[0].Due, ts[1].Due, want)
	}
	down, _, raised := openHandoff(t, s, c.ID, xinqiao.LevelHigh, hoT0.Add(200*time.Second))
	if raised || down.Level != xinqiao.LevelImminent {
		t.Fatalf("got level %s raised=%v; a lower level must never lower it", down.Level, raised)
	}
	latest, err := s.LatestHandoff(ctx, c.ID)
	if err != nil || latest.ID != h.ID {
		t.Fatalf("LatestHandoff: got %+v, %v", latest, err)
	}
	cs, err := s.Case(ctx, h.CaseID)
	if err != nil || cs.Subject != "terminal:T-9" || cs.RiskLevel != xinqiao.LevelImminent || cs.Handoffs != 1 || cs.School != "七中" {
		t.Fatalf("got case %+v, %v", cs, err)
	}
	_, _, _, err = s.OpenHandoff(ctx, xinqiao.NewHandoff{ConversationID: "missing", Level: xinqiao.LevelHigh, At: hoT0})
	wantCode(t, err, xinqiao.ENOTFOUND)
	_, err = s.Handoff(ctx, "missing")
	wantCode(t, err, xinqiao.ENOTFOUND)
	_, err = s.LatestHandoff(ctx, "missing")
	wantCode(t, err, xinqiao.ENOTFOUND)
}

func testHandoffQueue(t *testing.T, s xinqiao.Store) {
	ctx := context.Background()
	var ids []string
	for i, level := range []string{xinqiao.LevelHigh, xinqiao.LevelImminent, xinqiao.LevelHigh, xinqiao.LevelImminent} {
		c, _ := NewConversation(t, s, "")
		h, _, _ := openHandoff(t, s, c.ID, level, hoT0.Add(time.Duration(i)*time.Second))
		ids = append(ids, h.ID)
	}
	got, err := s.Handoffs(ctx, xinqiao.HandoffFilter{States: []string{xinqiao.HandoffWaiting}})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{ids[1], ids[3], ids[0], ids[2]}
	if len(got) != len(want) {
		t.Fatalf("got %d handoffs, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i].ID != want[i] {
			t.Fatalf("position %d: got %s (%s), want %s: imminent first, then oldest", i, got[i].ID, got[i].Level, want[i])
		}
	}
	st := NewStaff(t, s, "zhao", xinqiao.RoleCounselor)
	if _, err := s.ClaimHandoff(ctx, ids[0], st.ID, hoT0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	active, _ := s.Handoffs(ctx, xinqiao.HandoffFilter{States: []string{xinqiao.HandoffActive}})
	if len(active) != 1 || active[0].ID != ids[0] || active[0].CounselorName != "zhao老师" {
		t.Fatalf("got %+v, want the claimed handoff with its counselor's name", active)
	}
	mine, _ := s.Handoffs(ctx, xinqiao.HandoffFilter{Counselor: st.ID})
	all, _ := s.Handoffs(ctx, xinqiao.HandoffFilter{})
	if len(mine) != 1 || len(all) != 4 {
		t.Fatalf("got %d mine and %d in all, want 1 and 4", len(mine), len(all))
	}
}

func testHandoffClaimRace(t *testing.T, s xinqiao.Store) {
	ctx := context.Background()
	c, _ := NewConversation(t, s, "")
	h, _, _ := openHandoff(t, s, c.ID, xinqiao.LevelImminent, hoT0)
	const n = 50
	staff := make([]xinqiao.Staff, n)
	for i := range staff {
		staff[i] = NewStaff(t, s, fmt.Sprint("c", i), xinqiao.RoleCounselor)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	winners, conflicts := []string{}, 0
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			got, err := s.ClaimHandoff(ctx, h.ID, staff[i].ID, hoT0.Add(time.Second))
			mu.Lock()
			defer mu.Unlock()
			switch xinqiao.ErrorCode(err) {
			case "":
				winners = append(winners, got.Counselor)
			case xinqiao.ECONFLICT:
				conflicts++
			default:
				t.Errorf("claim: %v", err)
			}
		}()
	}
	close(start)
	wg.Wait()
	if len(winners) != 1 || conflicts != n-1 {
		t.Fatalf("got %d winners and %d conflicts, want 1 and %d", len(winners), conflicts, n-1)
	}
	got, _ := s.Handoff(ctx, h.ID)
	if got.State != xinqiao.HandoffActive || got.Counselor != winners[0] || got.ClaimedAt == nil {
		t.Fatalf("got %+v, want active and held by the winner %s", got, winners[0])
	}
	ts, _ := s.Timers(ctx, h.ID)
	if len(ts) != 0 {
		t.Fatalf("got %d timers after the claim, want the ladder cancelled", len(ts))
	}
}

// testHandoffClaimDuringTickAndRaise claims a student's request for a
// teacher at the moment its overdue ladder steps fire on two nodes and the
// student's next message raises it: every claim is won once or refused with
// ECONFLICT, and the tick and the raise succeed. Each of them locks the
// handoff, its conversation and its timers; taken in different orders, the
// claim deadlocked with either (PostgreSQL aborted one, an internal error).
func testHandoffClaimDuringTickAndRaise(t *testing.T, s xinqiao.Store) {
	ctx := context.Background()
	const claimers = 6
	staff := make([]xinqiao.Staff, claimers)
	for i := range staff {
		staff[i] = NewStaff(t, s, fmt.Sprint("c", i), xinqiao.RoleCounselor)
	}
	at := hoT0.Add(5 * time.Minute) // both ladder steps are due
	for round := range 15 {
		c, _ := NewConversation(t, s, "")
		h, _, _, err := s.OpenHandoff(ctx, xinqiao.NewHandoff{ConversationID: c.ID, Kind: xinqiao.KindRequested,
			Level: xinqiao.LevelLow, MessageSeq: 1, At: hoT0, Ladder: hoLadder})
		if err != nil {
			t.Fatalf("OpenHandoff: %v", err)
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		winners, conflicts := 0, 0
		start := make(chan struct{})
		run := func(f func()) {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				f()
			}()
		}
		for i := range staff {
			run(func() {
				_, err := s.ClaimHandoff(ctx, h.ID, staff[i].ID, at)
				mu.Lock()
				defer mu.Unlock()
				switch xinqiao.ErrorCode(err) {
				case "":
					winners++
				case xinqiao.ECONFLICT:
					conflicts++
				default:
					t.Errorf("round %d: claim: %v", round, err)
				}
			})
		}
		for range 2 {
			run(func() {
				if _, err := s.TakeDueTimers(ctx, at, at.Add(time.Minute), 100); err != nil {
					t.Errorf("round %d: TakeDueTimers: %v", round, err)
				}
			})
		}
		run(func() {
			_, _, _, err := s.OpenHandoff(ctx, xinqiao.NewHandoff{ConversationID: c.ID, Kind: xinqiao.KindRequested,
				Level: xinqiao.LevelMedium, MessageSeq: 2, At: at, Ladder: hoLadder})
			if err != nil {
				t.Errorf("round %d: raise: %v", round, err)
			}
		})
		close(start)
		wg.Wait()
		if t.Failed() {
			t.FailNow()
		}
		if winners != 1 || conflicts != claimers-1 {
			t.Fatalf("round %d: got %d winners and %d conflicts, want 1 and %d", round, winners, conflicts, claimers-1)
		}
		got, _ := s.Handoff(ctx, h.ID)
		conv, _ := s.Conversation(ctx, c.ID)
		if got.State != xinqiao.HandoffActive || conv.Mode != xinqiao.ModeHandoff {
			t.Fatalf("round %d: got state %q and mode %q, want active and handoff", round, got.State, conv.Mode)
		}
	}
}

func testHandoffRefusals(t *testing.T, s xinqiao.Store) {
	ctx := context.Background()
	a := NewStaff(t, s, "a", xinqiao.RoleCounselor)
	b := NewStaff(t, s, "b", xinqiao.RoleCounselor)
	c, _ := NewConversation(t, s, "")
	h, _, _ := openHandoff(t, s, c.ID, xinqiao.LevelHigh, hoT0)
	close1 := xinqiao.CloseHandoff{StaffID: a.ID, Outcome: xinqiao.OutcomeResolved, Mode: xinqiao.ModeAI, At: hoT0.Add(time.Minute)}
	_, err := s.CloseHandoff(ctx, h.ID, close1)
	wantCode(t, err, xinqiao.ECONFLICT) // waiting: claim it first
	if _, err := s.ClaimHandoff(ctx, h.ID, a.ID, hoT0.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	_, err = s.ClaimHandoff(ctx, h.ID, b.ID, hoT0.Add(2*time.Second))
	wantCode(t, err, xinqiao.ECONFLICT)
	_, err = s.CloseHandoff(ctx, h.ID, xinqiao.CloseHandoff{StaffID: b.ID, Outcome: xinqiao.OutcomeResolved, Mode: xinqiao.ModeAI, At: hoT0.Add(time.Minute)})
	wantCode(t, err, xinqiao.EFORBIDDEN)
	_, err = s.TransferHandoff(ctx, h.ID, b.ID, b.ID, hoT0.Add(time.Minute))
	wantCode(t, err, xinqiao.EFORBIDDEN)
	_, err = s.ReleaseHandoff(ctx, h.ID, b.ID, hoT0.Add(time.Minute), nil)
	wantCode(t, err, xinqiao.EFORBIDDEN)
	if got, _ := s.Handoff(ctx, h.ID); got.State != xinqiao.HandoffActive || got.Counselor != a.ID {
		t.Fatalf("got %+v, want it still active and a's", got)
	}
	closed, err := s.CloseHandoff(ctx, h.ID, close1)
	if err != nil || closed.State != xinqiao.HandoffClosed || closed.Outcome != xinqiao.OutcomeResolved || closed.ClosedAt == nil || closed.ClosedBy != a.ID {
		t.Fatalf("close: got %+v, %v", closed, err)
	}
	if conv, _ := s.Conversation(ctx, c.ID); conv.Mode != xinqiao.ModeAI {
		t.Fatalf("got mode %s after close, want ai", conv.Mode)
	}
	_, err = s.CloseHandoff(ctx, h.ID, close1)
	wantCode(t, err, xinqiao.ECONFLICT)
	_, err = s.ClaimHandoff(ctx, h.ID, b.ID, hoT0.Add(2*time.Minute))
	wantCode(t, err, xinqiao.ECONFLICT)
	_, err = s.ClaimHandoff(ctx, "missing", b.ID, hoT0)
	wantCode(t, err, xinqiao.ENOTFOUND)
	if got, _ := s.Handoff(ctx, h.ID); got.State != xinqiao.HandoffClosed || got.Counselor != a.ID || !got.ClosedAt.Equal(*closed.ClosedAt) {
		t.Fatalf("got %+v, want it unchanged after the refusals", got)
	}
	// A new risky message opens a new handoff under the same case.
	h2, created, _ := openHandoff(t, s, c.ID, xinqiao.LevelHigh, hoT0.Add(time.Hour))
	if !created || h2.ID == h.ID || h2.CaseID != h.CaseID {
		t.Fatalf("got %+v created=%v, want a new handoff in case %s", h2, created, h.CaseID)
	}
}

func testHandoffReleaseTransfer(t *testing.T, s xinqiao.Store) {
	ctx := context.Background()
	a := NewStaff(t, s, "a", xinqiao.RoleCounselor)
	b := NewStaff(t, s, "b", xinqiao.RoleCounselor)
	c, _ := NewConversation(t, s, "")
	h, _, _ := openHandoff(t, s, c.ID, xinqiao.LevelHigh, hoT0)
	if _, err := s.ClaimHandoff(ctx, h.ID, a.ID, hoT0.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	if err := s.AddTimer(ctx, xinqiao.Timer{HandoffID: h.ID, Kind: xinqiao.TimerGrace, StaffID: a.ID, Due: hoT0.Add(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	moved, err := s.TransferHandoff(ctx, h.ID, a.ID, b.ID, hoT0.Add(2*time.Second))
	if err != nil || moved.Counselor != b.ID || moved.CounselorName != "b老师" || moved.State != xinqiao.HandoffActive {
		t.Fatalf("transfer: got %+v, %v", moved, err)
	}
	if ts, _ := s.Timers(ctx, h.ID); len(ts) != 0 {
		t.Fatalf("got %d timers after transfer, want the grace timer cancelled", len(ts))
	}
	_, err = s.TransferHandoff(ctx, h.ID, "", "ghost", hoT0.Add(3*time.Second))
	wantCode(t, err, xinqiao.ENOTFOUND)
	back, err := s.ReleaseHandoff(ctx, h.ID, b.ID, hoT0.Add(10*time.Second), hoLadder)
	if err != nil || back.State != xinqiao.HandoffWaiting || back.Counselor != "" || back.ClaimedAt != nil {
		t.Fatalf("release: got %+v, %v", back, err)
	}
	ts, _ := s.Timers(ctx, h.ID)
	if len(ts) != 2 || !ts[0].Due.Equal(hoT0.Add(70*time.Second)) {
		t.Fatalf("got timers %+v, want the ladder again from the release", ts)
	}
	// A supervisor may close a waiting handoff and end the conversation.
	sup := NewStaff(t, s, "sup", xinqiao.RoleSupervisor)
	closed, err := s.CloseHandoff(ctx, h.ID, xinqiao.CloseHandoff{StaffID: sup.ID, AnyHolder: true, Outcome: xinqiao.OutcomeFalseAlarm,
		Note: "误报", Mode: xinqiao.ModeEnded, At: hoT0.Add(time.Minute)})
	if err != nil || closed.State != xinqiao.HandoffClosed || closed.Note != "误报" {
		t.Fatalf("close: got %+v, %v", closed, err)
	}
	if conv, _ := s.Conversation(ctx, c.ID); conv.Mode != xinqiao.ModeEnded {
		t.Fatalf("got mode %s, want ended", conv.Mode)
	}
	if ts, _ := s.Timers(ctx, h.ID); len(ts) != 0 {
		t.Fatalf("got %d timers after close, want 0", len(ts))
	}
}

func testHandoffTimers(t *testing.T, s xinqiao.Store) {
	ctx := context.Background()
	var hs []xinqiao.Handoff
	for range 5 {
		c, _ := NewConversation(t, s, "")
		h, _, _ := openHandoff(t, s, c.ID, xinqiao.LevelImminent, hoT0)
		hs = append(hs, h)
	}
	at60 := hoT0.Add(60 * time.Second)
	lease := at60.Add(30 * time.Second)
	none, err := s.TakeDueTimers(ctx, hoT0.Add(59*time.Second), lease, 100)
	if err != nil || len(none) != 0 {
		t.Fatalf("at 59 s: got %d timers, %v; want none", len(none), err)
	}
	// Eight takers race at 60 s: each of the five first steps goes to exactly one.
	var mu sync.Mutex
	seen := map[int64]int{}
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ts, err := s.TakeDueTimers(ctx, at60, lease, 2)
			if err != nil {
				t.Error(err)
			}
			mu.Lock()
			for _, tm := range ts {
				seen[tm.ID]++
				if tm.Step != 1 || tm.Action != "duty" || tm.Kind != xinqiao.TimerLadder || tm.FiredAt != nil ||
					tm.LeasedUntil == nil || !tm.LeasedUntil.Equal(lease) {
					t.Errorf("got %+v, want step 1 duty, leased until %v, not yet fired", tm, lease)
				}
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	rest, _ := s.TakeDueTimers(ctx, at60, lease, 100)
	for _, tm := range rest {
		seen[tm.ID]++
	}
	if len(seen) != 5 {
		t.Fatalf("got %d distinct timers taken at 60 s, want 5", len(seen))
	}
	for id, n := range seen {
		if n != 1 {
			t.Fatalf("timer %d taken %d times while leased, want once", id, n)
		}
	}
	if h, _ := s.Handoff(ctx, hs[0].ID); h.Escalated != 1 {
		t.Fatalf("got escalated %d, want 1", h.Escalated)
	}
	// Four steps are done; the taker of the fifth dies before it is. Its
	// lease holds until 90 s, then the fifth alone is taken again.
	var dead int64
	for id := range seen {
		if dead == 0 {
			dead = id
			continue
		}
		if err := s.CompleteTimer(ctx, id, at60); err != nil {
			t.Fatal(err)
		}
	}
	if got, _ := s.TakeDueTimers(ctx, lease.Add(-time.Millisecond), lease.Add(time.Minute), 100); len(got) != 0 {
		t.Fatalf("before the lease lapses: got %+v, want none", got)
	}
	again, err := s.TakeDueTimers(ctx, lease, lease.Add(30*time.Second), 100)
	if err != nil || len(again) != 1 || again[0].ID != dead {
		t.Fatalf("after the lease lapsed: got %+v, %v; want timer %d alone, taken again", again, err, dead)
	}
	if err := s.CompleteTimer(ctx, dead, lease); err != nil {
		t.Fatal(err)
	}
	if err := s.CompleteTimer(ctx, dead, lease.Add(time.Hour)); err != nil { // twice: no error, the first stands
		t.Fatal(err)
	}
	if err := s.CompleteTimer(ctx, 1<<40, lease); err != nil { // gone (cancelled meanwhile): no error
		t.Fatal(err)
	}
	ts, _ := s.Timers(ctx, hs[0].ID)
	for _, tm := range ts {
		if tm.Step == 1 && (tm.FiredAt == nil || tm.FiredAt.After(lease)) {
			t.Fatalf("first step after completion: %+v, want fired by %v", tm, lease)
		}
	}
	late, _ := s.TakeDueTimers(ctx, hoT0.Add(time.Hour), hoT0.Add(time.Hour+time.Minute), 100)
	if len(late) != 5 || late[0].Step != 2 || late[0].Action != "oncall" {
		t.Fatalf("got %+v, want the five second steps", late)
	}
	for _, tm := range late {
		if err := s.CompleteTimer(ctx, tm.ID, hoT0.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	if again, _ := s.TakeDueTimers(ctx, hoT0.Add(2*time.Hour), hoT0.Add(3*time.Hour), 100); len(again) != 0 {
		t.Fatalf("got %d timers again, want none", len(again))
	}
	// Grace timers are cancelled per staff member.
	st := NewStaff(t, s, "g", xinqiao.RoleCounselor)
	for _, h := range hs[:2] {
		if err := s.AddTimer(ctx, xinqiao.Timer{HandoffID: h.ID, Kind: xinqiao.TimerGrace, StaffID: st.ID, Due: hoT0.Add(3 * time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.CancelTimers(ctx, "", xinqiao.TimerGrace, st.ID); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.TakeDueTimers(ctx, hoT0.Add(4*time.Hour), hoT0.Add(5*time.Hour), 100); len(got) != 0 {
		t.Fatalf("got %d timers after cancel, want 0", len(got))
	}
	wantCode(t, s.AddTimer(ctx, xinqiao.Timer{HandoffID: "missing", Kind: xinqiao.TimerGrace, Due: hoT0}), xinqiao.ENOTFOUND)
}

func testHandoffAlerts(t *testing.T, s xinqiao.Store) {
	ctx := context.Background()
	for i := 1; i <= 3; i++ {
		a := xinqiao.AlertAttempt{HandoffID: "h1", Event: "opened", Audience: "counselors", Target: "robot", Attempt: i, OK: i == 3, Status: 500, Error: "boom", At: hoT0}
		if err := s.RecordAlertAttempt(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	as, err := s.AlertAttempts(ctx, "h1", 10)
	if err != nil || len(as) != 3 || as[0].Attempt != 1 || as[2].OK != true || as[0].Error != "boom" || !as[0].At.Equal(hoT0) {
		t.Fatalf("got %+v, %v", as, err)
	}
	st := NewStaff(t, s, "p", xinqiao.RoleCounselor)
	if at, err := s.Presence(ctx, st.ID); err != nil || !at.IsZero() {
		t.Fatalf("got %v, %v; want zero", at, err)
	}
	if err := s.TouchPresence(ctx, []string{st.ID}, hoT0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := s.TouchPresence(ctx, []string{st.ID}, hoT0); err != nil {
		t.Fatal(err)
	}
	if at, _ := s.Presence(ctx, st.ID); !at.Equal(hoT0.Add(time.Minute)) {
		t.Fatalf("got %v, want the latest touch", at)
	}
}

func testHandoffCases(t *testing.T, s xinqiao.Store) {
	ctx := context.Background()
	st := NewStaff(t, s, "w", xinqiao.RoleCounselor)
	if err := s.UpsertTerminal(ctx, xinqiao.Terminal{Code: "T-1", School: "一中", Place: "图书馆"}); err != nil {
		t.Fatal(err)
	}
	c1, _ := NewConversation(t, s, "T-1")
	c2, _ := NewConversation(t, s, "T-1")
	c3, _ := NewConversation(t, s, "")
	h1, _, _ := openHandoff(t, s, c1.ID, xinqiao.LevelHigh, hoT0)
	h2, _, _ := openHandoff(t, s, c2.ID, xinqiao.LevelImminent, hoT0.Add(time.Minute))
	h3, _, _ := openHandoff(t, s, c3.ID, xinqiao.LevelHigh, hoT0.Add(2*time.Minute))
	if h1.CaseID != h2.CaseID || h3.CaseID == h1.CaseID {
		t.Fatalf("got cases %s %s %s, want the terminal's two together and the anonymous one apart", h1.CaseID, h2.CaseID, h3.CaseID)
	}
	n, err := s.AddCaseNote(ctx, xinqiao.CaseNote{CaseID: h1.CaseID, HandoffID: h1.ID, Author: st.ID, Text: "已联系班主任", At: hoT0})
	if err != nil || n.ID == 0 {
		t.Fatalf("got %+v, %v", n, err)
	}
	_, err = s.AddCaseNote(ctx, xinqiao.CaseNote{CaseID: "missing", Author: st.ID, Text: "x", At: hoT0})
	wantCode(t, err, xinqiao.ENOTFOUND)
	notes, _ := s.CaseNotes(ctx, h1.CaseID)
	if len(notes) != 1 || notes[0].AuthorName != "w老师" || notes[0].Text != "已联系班主任" {
		t.Fatalf("got %+v", notes)
	}
	if _, err := s.AddReferral(ctx, xinqiao.Referral{CaseID: h1.CaseID, Kind: xinqiao.ReferralParents, By: st.ID, At: hoT0}); err != nil {
		t.Fatal(err)
	}
	refs, _ := s.Referrals(ctx, h1.CaseID)
	if len(refs) != 1 || refs[0].Kind != xinqiao.ReferralParents {
		t.Fatalf("got %+v", refs)
	}
	fu, err := s.AddFollowUp(ctx, xinqiao.FollowUp{CaseID: h1.CaseID, Task: "一周后回访", Due: hoT0.Add(7 * 24 * time.Hour), CreatedBy: st.ID, CreatedAt: hoT0})
	if err != nil {
		t.Fatal(err)
	}
	overdue, _ := s.Cases(ctx, xinqiao.CaseFilter{OverdueAt: hoT0.Add(8 * 24 * time.Hour)})
	if len(overdue) != 1 || overdue[0].ID != h1.CaseID {
		t.Fatalf("got %+v, want the case with the overdue follow-up", overdue)
	}
	if got, _ := s.Cases(ctx, xinqiao.CaseFilter{OverdueAt: hoT0.Add(24 * time.Hour)}); len(got) != 0 {
		t.Fatalf("got %d cases overdue after a day, want 0", len(got))
	}
	open, _ := s.FollowUps(ctx, "")
	if len(open) != 1 || open[0].Task != "一周后回访" {
		t.Fatalf("got %+v", open)
	}
	if got, err := s.FollowUp(ctx, fu.ID); err != nil || got.CaseID != h1.CaseID || got.Task != "一周后回访" || got.DoneAt != nil {
		t.Fatalf("FollowUp: got %+v, %v", got, err)
	}
	_, err = s.FollowUp(ctx, 999999)
	wantCode(t, err, xinqiao.ENOTFOUND)
	done, err := s.CompleteFollowUp(ctx, fu.ID, st.ID, hoT0.Add(time.Hour))
	if err != nil || done.DoneAt == nil || done.DoneBy != st.ID {
		t.Fatalf("got %+v, %v", done, err)
	}
	_, err = s.CompleteFollowUp(ctx, fu.ID, st.ID, hoT0.Add(time.Hour))
	wantCode(t, err, xinqiao.ECONFLICT)
	_, err = s.CompleteFollowUp(ctx, 999999, st.ID, hoT0)
	wantCode(t, err, xinqiao.ENOTFOUND)
	all, _ := s.Cases(ctx, xinqiao.CaseFilter{})
	if len(all) != 2 || all[0].ID != h1.CaseID || all[0].RiskLevel != xinqiao.LevelImminent || all[0].Handoffs != 2 {
		t.Fatalf("got %+v, want the imminent terminal case first with 2 handoffs", all)
	}
	if got, _ := s.Cases(ctx, xinqiao.CaseFilter{School: "一中"}); len(got) != 1 {
		t.Fatalf("got %d cases for 一中, want 1", len(got))
	}
	if got, _ := s.Cases(ctx, xinqiao.CaseFilter{MinLevel: xinqiao.LevelImminent}); len(got) != 1 {
		t.Fatalf("got %d imminent cases, want 1", len(got))
	}
	if err := s.SetCaseSubject(ctx, h3.CaseID, "小雨", hoT0); err != nil {
		t.Fatal(err)
	}
	wantCode(t, s.SetCaseSubject(ctx, h1.CaseID, "小雨", hoT0), xinqiao.ECONFLICT)
	if err := s.SetCaseStatus(ctx, h3.CaseID, xinqiao.CaseClosed, hoT0); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Cases(ctx, xinqiao.CaseFilter{Subject: "小雨", Status: xinqiao.CaseClosed}); len(got) != 1 {
		t.Fatalf("got %d, want the renamed closed case", len(got))
	}
	wantCode(t, s.SetCaseStatus(ctx, "missing", xinqiao.CaseClosed, hoT0), xinqiao.ENOTFOUND)
	byCase, _ := s.Handoffs(ctx, xinqiao.HandoffFilter{CaseID: h1.CaseID})
	if len(byCase) != 2 {
		t.Fatalf("got %d handoffs in the case, want 2", len(byCase))
	}
}

// testHandoffKinds: a review or a requested handoff leaves the AI on when it
// opens; the queue puts urgent first, then the highest level, a request
// before a review at the same level, then the oldest; a kind
// only rises, on the same handoff, with its ladder rescheduled from the
// moment it rose; claiming a requested handoff gives the chat to the
// counselor, claiming a review does not.
func testHandoffKinds(t *testing.T, s xinqiao.Store) {
	ctx := context.Background()
	open := func(convID, kind, level string, at time.Time, ladder []xinqiao.LadderStep) (xinqiao.Handoff, bool, bool) {
		t.Helper()
		h, created, raised, err := s.OpenHandoff(ctx, xinqiao.NewHandoff{ConversationID: convID, Kind: kind, Level: level,
			Categories: []string{"suicide"}, Rules: []string{"r." + kind}, MessageSeq: 1, At: at, Ladder: ladder})
		if err != nil {
			t.Fatalf("OpenHandoff %s: %v", kind, err)
		}
		return h, created, raised
	}
	mode := func(convID string) string {
		t.Helper()
		c, err := s.Conversation(ctx, convID)
		if err != nil {
			t.Fatal(err)
		}
		return c.Mode
	}
	review, _ := NewConversation(t, s, "")
	rv, created, _ := open(review.ID, xinqiao.KindReview, xinqiao.LevelMedium, hoT0, []xinqiao.LadderStep{{After: time.Hour, Action: "duty"}})
	if !created || rv.Kind != xinqiao.KindReview || rv.Level != xinqiao.LevelMedium || mode(review.ID) != xinqiao.ModeAI {
		t.Fatalf("review: got %+v created=%v mode %s, want a new review with the AI still on", rv, created, mode(review.ID))
	}
	asked, _ := NewConversation(t, s, "")
	rq, _, _ := open(asked.ID, xinqiao.KindRequested, xinqiao.LevelLow, hoT0.Add(time.Second), nil)
	if rq.Kind != xinqiao.KindRequested || mode(asked.ID) != xinqiao.ModeAI {
		t.Fatalf("requested: got %+v mode %s", rq, mode(asked.ID))
	}
	urgentConv, _ := NewConversation(t, s, "")
	ur, _, _ := open(urgentConv.ID, "", xinqiao.LevelHigh, hoT0.Add(2*time.Second), hoLadder)
	if ur.Kind != xinqiao.KindUrgent || mode(urgentConv.ID) != xinqiao.ModeHandoff {
		t.Fatalf("urgent: got %+v mode %s, want kind urgent by default and handoff mode", ur, mode(urgentConv.ID))
	}
	medReview, _ := NewConversation(t, s, "")
	rv2, _, _ := open(medReview.ID, xinqiao.KindReview, xinqiao.LevelMedium, hoT0.Add(-time.Minute), nil)
	got, err := s.Handoffs(ctx, xinqiao.HandoffFilter{States: []string{xinqiao.HandoffWaiting}})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{ur.ID, rv2.ID, rv.ID, rq.ID}
	for i := range want {
		if i >= len(got) || got[i].ID != want[i] {
			t.Fatalf("queue position %d: got %v, want urgent, the medium reviews oldest first, then the low request", i, kinds(got))
		}
	}
	reviews, _ := s.Handoffs(ctx, xinqiao.HandoffFilter{Kind: xinqiao.KindReview})
	if len(reviews) != 2 {
		t.Fatalf("kind filter: got %v, want the two reviews", kinds(reviews))
	}

	// A lower kind changes nothing; a higher one raises the same handoff.
	same, created, raised := open(asked.ID, xinqiao.KindReview, xinqiao.LevelMedium, hoT0.Add(3*time.Second), nil)
	if created || same.ID != rq.ID || same.Kind != xinqiao.KindRequested || same.Level != xinqiao.LevelMedium || !raised {
		t.Fatalf("review onto requested: got %+v created=%v raised=%v, want requested at medium", same, created, raised)
	}
	// At the same level a request comes before a review, even a newer one.
	got, _ = s.Handoffs(ctx, xinqiao.HandoffFilter{States: []string{xinqiao.HandoffWaiting}})
	if len(got) != 4 || got[1].ID != rq.ID {
		t.Fatalf("queue after the raise: got %v, want the medium request second", kinds(got))
	}
	upAt := hoT0.Add(10 * time.Minute)
	up, created, raised := open(review.ID, xinqiao.KindUrgent, xinqiao.LevelHigh, upAt, hoLadder)
	if created || !raised || up.ID != rv.ID || up.Kind != xinqiao.KindUrgent || up.Level != xinqiao.LevelHigh || mode(review.ID) != xinqiao.ModeHandoff {
		t.Fatalf("upgrade: got %+v created=%v raised=%v mode %s, want the review become urgent", up, created, raised, mode(review.ID))
	}
	ts, err := s.Timers(ctx, rv.ID)
	if err != nil || len(ts) != 2 || !ts[0].Due.Equal(upAt.Add(60*time.Second)) {
		t.Fatalf("upgrade ladder: got %+v, %v; want the urgent ladder from the upgrade", ts, err)
	}
	back, _, raised := open(review.ID, xinqiao.KindReview, xinqiao.LevelMedium, upAt.Add(time.Second), nil)
	if raised || back.Kind != xinqiao.KindUrgent || back.Level != xinqiao.LevelHigh {
		t.Fatalf("got %+v raised=%v; a kind never falls", back, raised)
	}

	st := NewStaff(t, s, "kind", xinqiao.RoleCounselor)
	if _, err := s.ClaimHandoff(ctx, rv2.ID, st.ID, hoT0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if m := mode(medReview.ID); m != xinqiao.ModeAI {
		t.Fatalf("claimed review: got mode %s, want ai (a review is read, not taken over)", m)
	}
	if _, err := s.ClaimHandoff(ctx, rq.ID, st.ID, hoT0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if m := mode(asked.ID); m != xinqiao.ModeHandoff {
		t.Fatalf("claimed request: got mode %s, want handoff", m)
	}
	_, _, _, err = s.OpenHandoff(ctx, xinqiao.NewHandoff{ConversationID: asked.ID, Kind: "bogus", Level: xinqiao.LevelHigh, At: hoT0})
	wantCode(t, err, xinqiao.EINVALID)
}

// testHandoffJoin: joining a review changes its kind and the
// conversation's mode together; every refusal changes neither.
func testHandoffJoin(t *testing.T, s xinqiao.Store) {
	ctx := context.Background()
	wang, li := NewStaff(t, s, "joinwang", xinqiao.RoleCounselor), NewStaff(t, s, "joinli", xinqiao.RoleCounselor)
	open := func(kind, level string) (xinqiao.Conversation, xinqiao.Handoff) {
		t.Helper()
		c, _ := NewConversation(t, s, "")
		h, _, _, err := s.OpenHandoff(ctx, xinqiao.NewHandoff{ConversationID: c.ID, Kind: kind, Level: level,
			Categories: []string{"suicide"}, MessageSeq: 1, At: hoT0})
		if err != nil {
			t.Fatalf("OpenHandoff %s: %v", kind, err)
		}
		return c, h
	}
	// state reads the handoff's kind and the conversation's mode.
	state := func(c xinqiao.Conversation, h xinqiao.Handoff) string {
		t.Helper()
		cur, err := s.Handoff(ctx, h.ID)
		if err != nil {
			t.Fatal(err)
		}
		conv, err := s.Conversation(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		return cur.State + "/" + cur.Kind + "/" + conv.Mode
	}
	claim := func(h xinqiao.Handoff, st xinqiao.Staff) {
		t.Helper()
		if _, err := s.ClaimHandoff(ctx, h.ID, st.ID, hoT0.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
	}

	c, rv := open(xinqiao.KindReview, xinqiao.LevelMedium)
	_, err := s.JoinHandoff(ctx, rv.ID, wang.ID, hoT0.Add(time.Minute))
	wantCode(t, err, xinqiao.ECONFLICT)
	if got := state(c, rv); got != "waiting/review/ai" {
		t.Fatalf("join of a waiting review: got %s, want it unchanged (waiting/review/ai)", got)
	}
	claim(rv, wang)
	_, err = s.JoinHandoff(ctx, rv.ID, li.ID, hoT0.Add(2*time.Minute))
	wantCode(t, err, xinqiao.EFORBIDDEN)
	if got := state(c, rv); got != "active/review/ai" {
		t.Fatalf("join of another's review: got %s, want it unchanged (active/review/ai)", got)
	}
	h, err := s.JoinHandoff(ctx, rv.ID, wang.ID, hoT0.Add(2*time.Minute))
	if err != nil {
		t.Fatalf("JoinHandoff: %v", err)
	}
	if h.ID != rv.ID || h.Kind != xinqiao.KindRequested || h.State != xinqiao.HandoffActive || h.Counselor != wang.ID ||
		state(c, rv) != "active/requested/handoff" {
		t.Fatalf("joined: got %+v, %s; want the review become wang's requested handoff with the AI stepped back", h, state(c, rv))
	}
	_, err = s.JoinHandoff(ctx, rv.ID, wang.ID, hoT0.Add(3*time.Minute))
	wantCode(t, err, xinqiao.ECONFLICT)

	uc, ur := open(xinqiao.KindUrgent, xinqiao.LevelHigh)
	claim(ur, wang)
	_, err = s.JoinHandoff(ctx, ur.ID, wang.ID, hoT0.Add(2*time.Minute))
	wantCode(t, err, xinqiao.ECONFLICT)
	if got := state(uc, ur); got != "active/urgent/handoff" {
		t.Fatalf("join of an urgent handoff: got %s, want it unchanged", got)
	}
	_, err = s.JoinHandoff(ctx, xinqiao.NewID(), wang.ID, hoT0)
	wantCode(t, err, xinqiao.ENOTFOUND)
}

func kinds(hs []xinqiao.Handoff) []string {
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = h.Kind + "/" + h.Level + "/" + h.ID
	}
	return out
}

// testHandoffFlaggedMessage: a merge moves the flagged message only to one
// that raised the handoff or is itself at least as severe, and later.
func testHandoffFlaggedMessage(t *testing.T, s xinqiao.Store) {
	ctx := context.Background()
	c, _ := NewConversation(t, s, "")
	steps := []struct {
		name                string
		kind, level, msgLvl string
		seq, want           int64
	}{
		{"opens at its message", xinqiao.KindReview, xinqiao.LevelMedium, xinqiao.LevelMedium, 2, 2},
		{"harmless words at the conversation's level", xinqiao.KindReview, xinqiao.LevelMedium, xinqiao.LevelNone, 5, 2},
		{"a later medium message", xinqiao.KindReview, xinqiao.LevelMedium, xinqiao.LevelMedium, 7, 7},
		{"an earlier one replayed", xinqiao.KindReview, xinqiao.LevelMedium, xinqiao.LevelMedium, 3, 7},
		{"a request raises the kind", xinqiao.KindRequested, xinqiao.LevelMedium, xinqiao.LevelLow, 9, 9},
		{"a review under a request", xinqiao.KindReview, xinqiao.LevelMedium, xinqiao.LevelMedium, 11, 9},
		{"high raises kind and level", xinqiao.KindUrgent, xinqiao.LevelHigh, xinqiao.LevelHigh, 13, 13},
		{"high kept over low words", xinqiao.KindUrgent, xinqiao.LevelHigh, xinqiao.LevelLow, 15, 13},
		{"a request under urgent", xinqiao.KindRequested, xinqiao.LevelHigh, xinqiao.LevelHigh, 16, 13},
		{"no message named", xinqiao.KindUrgent, xinqiao.LevelHigh, xinqiao.LevelHigh, 0, 13},
		{"another high message", xinqiao.KindUrgent, xinqiao.LevelHigh, "", 17, 17},
		{"imminent from accumulation", xinqiao.KindUrgent, xinqiao.LevelImminent, xinqiao.LevelMedium, 19, 19},
		{"high under imminent", xinqiao.KindUrgent, xinqiao.LevelHigh, xinqiao.LevelHigh, 21, 19},
	}
	for i, st := range steps {
		h, _, _, err := s.OpenHandoff(ctx, xinqiao.NewHandoff{ConversationID: c.ID, Kind: st.kind, Level: st.level,
			MessageSeq: st.seq, MessageLevel: st.msgLvl, At: hoT0.Add(time.Duration(i) * time.Second)})
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if h.MessageSeq != st.want {
			t.Fatalf("%s: got flagged message %d, want %d", st.name, h.MessageSeq, st.want)
		}
	}
}

// testHandoffSchoolFilter: HandoffFilter.School selects what that school's
// staff may see, before the limit: its own handoffs and those from no
// registered terminal, never another school's.
func testHandoffSchoolFilter(t *testing.T, s xinqiao.Store) {
	ctx := context.Background()
	for _, tm := range []xinqiao.Terminal{{Code: "SA", School: "一中"}, {Code: "SB", School: "二中"}} {
		if err := s.UpsertTerminal(ctx, tm); err != nil {
			t.Fatal(err)
		}
	}
	ids := map[string]string{}
	for i, term := range []string{"SA", "SA", "SB", ""} {
		c, _ := NewConversation(t, s, term)
		h, _, _ := openHandoff(t, s, c.ID, xinqiao.LevelHigh, hoT0.Add(time.Duration(i)*time.Second))
		ids[h.ID] = term
	}
	got, err := s.Handoffs(ctx, xinqiao.HandoffFilter{School: "二中", Limit: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || ids[got[0].ID] != "SB" || ids[got[1].ID] != "" {
		t.Fatalf("二中 with limit 2: got %v, want its own handoff and the one of no terminal", kinds(got))
	}
	if all, _ := s.Handoffs(ctx, xinqiao.HandoffFilter{}); len(all) != 4 {
		t.Fatalf("no school: got %d handoffs, want all 4", len(all))
	}
}

// testHandoffCloseSeen: a close that names the handoff as last read (Seen)
// is refused once a message was merged into it since, even at the same
// instant, and changes nothing; closing the handoff as it now is works.
func testHandoffCloseSeen(t *testing.T, s xinqiao.Store) {
	ctx := context.Background()
	c, _ := NewConversation(t, s, "")
	h, _, _ := openHandoff(t, s, c.ID, xinqiao.LevelHigh, hoT0)
	st := NewStaff(t, s, "seen", xinqiao.RoleCounselor)
	read, err := s.ClaimHandoff(ctx, h.ID, st.ID, hoT0)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := s.OpenHandoff(ctx, xinqiao.NewHandoff{ConversationID: c.ID, Level: xinqiao.LevelHigh,
		Categories: []string{"suicide"}, MessageSeq: 2, At: hoT0}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetRisk(ctx, c.ID, xinqiao.LevelHigh, json.RawMessage(`{"level":3}`)); err != nil {
		t.Fatal(err)
	}
	close := xinqiao.CloseHandoff{StaffID: st.ID, Outcome: xinqiao.OutcomeResolved, Mode: xinqiao.ModeAI, At: hoT0, Seen: read.UpdatedAt,
		Risk: xinqiao.LevelLow, RiskState: json.RawMessage(`{"level":1}`)}
	_, err = s.CloseHandoff(ctx, h.ID, close)
	wantCode(t, err, xinqiao.ECONFLICT)
	now, err := s.Handoff(ctx, h.ID)
	if err != nil || now.State != xinqiao.HandoffActive || now.MessageSeq != 2 {
		t.Fatalf("after the refused close: got %+v, %v; want it active, flagging message 2", now, err)
	}
	if conv, err := s.Conversation(ctx, c.ID); err != nil || conv.RiskLevel != xinqiao.LevelHigh || !sameJSON(conv.RiskState, `{"level":3}`) {
		t.Fatalf("risk after the refused close: %q %s, %v; want it high as it was", conv.RiskLevel, conv.RiskState, err)
	}
	close.Seen = now.UpdatedAt
	if got, err := s.CloseHandoff(ctx, h.ID, close); err != nil || got.State != xinqiao.HandoffClosed {
		t.Fatalf("close as it now is: got %+v, %v", got, err)
	}
	if conv, err := s.Conversation(ctx, c.ID); err != nil || conv.RiskLevel != xinqiao.LevelLow || !sameJSON(conv.RiskState, `{"level":1}`) {
		t.Fatalf("risk after the close: %q %s, %v; want the close's low", conv.RiskLevel, conv.RiskState, err)
	}
}

// sameJSON reports whether got encodes the same value as want (Postgres
// re-spaces jsonb).
func sameJSON(got json.RawMessage, want string) bool {
	var a, b any
	if json.Unmarshal(got, &a) != nil || json.Unmarshal([]byte(want), &b) != nil {
		return false
	}
	return reflect.DeepEqual(a, b)
}

// testHandoffUpdatedAtRises: every change of a handoff moves its
// updated_at forward by at least a millisecond, even at the same instant
// as the last change or with a clock behind it (another node's): consoles
// order a handoff's frames by it, and a close checks it (Seen).
func testHandoffUpdatedAtRises(t *testing.T, s xinqiao.Store) {
	ctx := context.Background()
	c, _ := NewConversation(t, s, "")
	a, b := NewStaff(t, s, "rise-a", xinqiao.RoleCounselor), NewStaff(t, s, "rise-b", xinqiao.RoleCounselor)
	h, _, _ := openHandoff(t, s, c.ID, xinqiao.LevelHigh, hoT0)
	last := h.UpdatedAt
	step := func(what string, got xinqiao.Handoff, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if got.UpdatedAt.Sub(last) < time.Millisecond {
			t.Fatalf("%s: updated_at %v after %v, want it at least 1 ms later", what, got.UpdatedAt, last)
		}
		last = got.UpdatedAt
	}
	behind := hoT0.Add(-time.Minute)
	got, _, _, err := s.OpenHandoff(ctx, xinqiao.NewHandoff{ConversationID: c.ID, Level: xinqiao.LevelImminent,
		Categories: []string{"suicide"}, MessageSeq: 2, At: hoT0, Ladder: hoLadder})
	step("raise at the same instant", got, err)
	got, err = s.ClaimHandoff(ctx, h.ID, a.ID, behind)
	step("claim with a clock behind", got, err)
	got, err = s.TransferHandoff(ctx, h.ID, a.ID, b.ID, behind)
	step("transfer", got, err)
	got, err = s.ReleaseHandoff(ctx, h.ID, b.ID, behind, hoLadder)
	step("release", got, err)
	got, err = s.ClaimHandoff(ctx, h.ID, a.ID, behind)
	step("claim again", got, err)
	got, err = s.CloseHandoff(ctx, h.ID, xinqiao.CloseHandoff{StaffID: a.ID, Outcome: xinqiao.OutcomeResolved, Mode: xinqiao.ModeAI, At: behind})
	step("close", got, err)
}
