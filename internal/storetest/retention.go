package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"xinqiao/internal/xinqiao"
)

func init() {
	register("Retention", func(t *testing.T, open func(tb testing.TB) xinqiao.Store) {
		tests := []struct {
			name string
			fn   func(t *testing.T, s xinqiao.Store)
		}{
			{"PurgeKeepsWhatItMust", testPurge},
			{"PreviewCountsAndDeletesNothing", testPurgePreview},
			{"Batches", testPurgeBatches},
			{"ZeroCutOffKeepsConversations", testPurgeZeroCutOff},
			{"Concurrent", testPurgeConcurrent},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) { tt.fn(t, open(t)) })
		}
	})
}

// The retention fixture: now is a millisecond-exact real time; conversations
// last active before rtBefore are old.
var (
	rtNow    = time.Now().UTC().Truncate(time.Millisecond)
	rtBefore = rtNow.AddDate(0, 0, -180)
	rtOld    = rtNow.AddDate(0, 0, -200)
	rtRecent = rtNow.AddDate(0, 0, -1)
)

// rtFixture names what seedRetention stored.
type rtFixture struct {
	oldPlain, oldHandoff, oldCase, recent, caseOwner string // conversation ids
	oldPlainSession, recentExpired, recentLive       string // student session token hashes
	staffExpired, staffLive                          string // staff session token hashes
}

// rtConversation stores a conversation last active at at, with a session
// expiring at expires and n student messages.
func rtConversation(t *testing.T, s xinqiao.Store, at, expires time.Time, n int) (string, string) {
	t.Helper()
	ctx := context.Background()
	clock, ok := s.(interface{ SetClock(func() time.Time) })
	if !ok {
		t.Fatalf("%s store has no SetClock", s.Engine())
	}
	clock.SetClock(func() time.Time { return at })
	defer clock.SetClock(time.Now)
	c := xinqiao.Conversation{ID: xinqiao.NewID(), Lang: "zh", CreatedAt: at}
	ss := xinqiao.StudentSession{TokenHash: xinqiao.HashToken(xinqiao.NewToken()), CreatedAt: at, ExpiresAt: expires}
	if err := s.CreateConversation(ctx, c, ss); err != nil {
		t.Fatalf("CreateConversation: %v", err)
	}
	for i := range n {
		if _, _, err := s.AppendMessage(ctx, xinqiao.NewMessage{ConversationID: c.ID, Role: xinqiao.RoleStudent, Text: fmt.Sprint("消息 ", i)}); err != nil {
			t.Fatalf("AppendMessage: %v", err)
		}
	}
	return c.ID, ss.TokenHash
}

// seedRetention stores: an old conversation with no handoff (3 messages, a
// live session, an audit event naming it); an old one handed to a counselor;
// an old one that a case names (no handoff) and the old one whose handoff
// filed that case (these three with expired sessions); a recent one with an
// expired session and one with a live session; and an expired and a live
// staff session. Purging with rtBefore and rtNow deletes the first
// conversation, its 3 messages, 5 student sessions (its live one and the 4
// expired ones) and 1 staff session, and keeps 3 old conversations.
func seedRetention(t *testing.T, s xinqiao.Store) rtFixture {
	t.Helper()
	ctx := context.Background()
	var f rtFixture
	f.oldPlain, f.oldPlainSession = rtConversation(t, s, rtOld, rtNow.Add(time.Hour), 3)
	if err := s.Audit(ctx, xinqiao.AuditEvent{At: rtOld, Actor: "s1", Action: "conversation.read", Target: f.oldPlain}); err != nil {
		t.Fatal(err)
	}
	f.oldHandoff, _ = rtConversation(t, s, rtOld, rtOld.Add(12*time.Hour), 2)
	if _, _, _, err := s.OpenHandoff(ctx, xinqiao.NewHandoff{ConversationID: f.oldHandoff, Level: xinqiao.LevelHigh, MessageSeq: 2, At: rtOld}); err != nil {
		t.Fatalf("OpenHandoff: %v", err)
	}
	// A case renamed to name another old conversation keeps that one too.
	f.caseOwner, _ = rtConversation(t, s, rtOld, rtOld.Add(12*time.Hour), 1)
	h, _, _, err := s.OpenHandoff(ctx, xinqiao.NewHandoff{ConversationID: f.caseOwner, Level: xinqiao.LevelHigh, MessageSeq: 1, At: rtOld})
	if err != nil {
		t.Fatalf("OpenHandoff: %v", err)
	}
	f.oldCase, _ = rtConversation(t, s, rtOld, rtOld.Add(12*time.Hour), 1)
	if err := s.SetCaseSubject(ctx, h.CaseID, "conversation:"+f.oldCase, rtOld); err != nil {
		t.Fatalf("SetCaseSubject: %v", err)
	}
	f.recent, f.recentExpired = rtConversation(t, s, rtRecent, rtRecent.Add(12*time.Hour), 1)
	_, f.recentLive = rtConversation(t, s, rtRecent, rtNow.Add(time.Hour), 0)
	st, err := s.CreateStaff(ctx, xinqiao.Staff{Username: "wang", DisplayName: "王老师", Role: xinqiao.RoleCounselor, PasswordHash: "h"})
	if err != nil {
		t.Fatal(err)
	}
	f.staffExpired, f.staffLive = "staff-expired", "staff-live"
	for _, ss := range []xinqiao.StaffSession{
		{TokenHash: f.staffExpired, StaffID: st.ID, CSRF: "c", CreatedAt: rtRecent, ExpiresAt: rtNow.Add(-time.Minute)},
		{TokenHash: f.staffLive, StaffID: st.ID, CSRF: "c", CreatedAt: rtNow, ExpiresAt: rtNow.Add(time.Hour)},
	} {
		if err := s.CreateStaffSession(ctx, ss); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

// rtWant is the report of purging the fixture.
var rtWant = xinqiao.PurgeReport{Conversations: 1, Messages: 3, StudentSessions: 5, StaffSessions: 1, AuditKept: 1, KeptForCases: 3}

func sameCounts(got, want xinqiao.PurgeReport) bool {
	got.Batches, want.Batches = 0, 0
	return got == want
}

func testPurge(t *testing.T, s xinqiao.Store) {
	ctx := context.Background()
	f := seedRetention(t, s)
	rep, err := s.Purge(ctx, rtBefore, rtNow)
	if err != nil {
		t.Fatalf("Purge: %v", err)
	}
	if !sameCounts(rep, rtWant) || rep.Batches != 1 {
		t.Fatalf("got %+v, want %+v in 1 batch", rep, rtWant)
	}
	conversations := []struct {
		name     string
		id       string
		kept     bool
		messages int
	}{
		{"old without handoff", f.oldPlain, false, 0},
		{"old with handoff", f.oldHandoff, true, 2},
		{"old named by a case", f.oldCase, true, 1},
		{"old owning the case", f.caseOwner, true, 1},
		{"recent", f.recent, true, 1},
	}
	for _, tt := range conversations {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.Conversation(ctx, tt.id)
			if kept := err == nil; kept != tt.kept {
				t.Fatalf("got kept %v (%v), want %v", kept, err, tt.kept)
			} else if !kept {
				wantCode(t, err, xinqiao.ENOTFOUND)
			}
			ms, err := s.Messages(ctx, tt.id, 0, 100)
			if err != nil {
				t.Fatal(err)
			}
			if len(ms) != tt.messages {
				t.Fatalf("got %d messages, want %d", len(ms), tt.messages)
			}
		})
	}
	sessions := []struct {
		name  string
		get   func() error
		alive bool
	}{
		{"student session of a purged conversation", func() error { _, err := s.StudentSession(ctx, f.oldPlainSession); return err }, false},
		{"expired student session", func() error { _, err := s.StudentSession(ctx, f.recentExpired); return err }, false},
		{"live student session", func() error { _, err := s.StudentSession(ctx, f.recentLive); return err }, true},
		{"expired staff session", func() error { _, err := s.StaffSession(ctx, f.staffExpired); return err }, false},
		{"live staff session", func() error { _, err := s.StaffSession(ctx, f.staffLive); return err }, true},
	}
	for _, tt := range sessions {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.get()
			if tt.alive && err != nil {
				t.Fatalf("got %v, want the session kept", err)
			} else if !tt.alive {
				wantCode(t, err, xinqiao.ENOTFOUND)
			}
		})
	}
	evs, err := s.AuditEvents(ctx, f.oldPlain, 10)
	if err != nil || len(evs) != 1 {
		t.Fatalf("got %d audit events (%v), want the 1 naming the purged conversation kept", len(evs), err)
	}
	again, err := s.Purge(ctx, rtBefore, rtNow)
	if err != nil {
		t.Fatal(err)
	}
	if want := (xinqiao.PurgeReport{KeptForCases: 3}); !sameCounts(again, want) {
		t.Fatalf("second purge: got %+v, want %+v", again, want)
	}
}

func testPurgePreview(t *testing.T, s xinqiao.Store) {
	ctx := context.Background()
	seedRetention(t, s)
	for i := range 2 { // a preview changes nothing, so a second one counts the same
		got, err := s.PurgePreview(ctx, rtBefore, rtNow)
		if err != nil {
			t.Fatalf("PurgePreview: %v", err)
		}
		if !sameCounts(got, rtWant) || got.Batches != 0 {
			t.Fatalf("preview %d: got %+v, want %+v and no batch", i+1, got, rtWant)
		}
	}
	rep, err := s.Purge(ctx, rtBefore, rtNow)
	if err != nil {
		t.Fatal(err)
	}
	if !sameCounts(rep, rtWant) {
		t.Fatalf("purge after preview: got %+v, want %+v", rep, rtWant)
	}
}

func testPurgeBatches(t *testing.T, s xinqiao.Store) {
	ctx := context.Background()
	n := xinqiao.PurgeBatchSize + 7
	ids := make([]string, 0, n)
	for i := range n {
		msgs := 0
		if i%100 == 0 {
			msgs = 1
		}
		id, _ := rtConversation(t, s, rtOld.Add(time.Duration(i)*time.Second), rtNow.Add(time.Hour), msgs)
		ids = append(ids, id)
	}
	keep, _ := rtConversation(t, s, rtRecent, rtNow.Add(time.Hour), 1)
	want := xinqiao.PurgeReport{Conversations: n, Messages: 6, StudentSessions: n}
	if got, err := s.PurgePreview(ctx, rtBefore, rtNow); err != nil || !sameCounts(got, want) {
		t.Fatalf("preview: got %+v (%v), want %+v", got, err, want)
	}
	rep, err := s.Purge(ctx, rtBefore, rtNow)
	if err != nil {
		t.Fatalf("Purge: %v", err)
	}
	if !sameCounts(rep, want) || rep.Batches != 2 {
		t.Fatalf("got %+v, want %+v in 2 batches", rep, want)
	}
	for _, id := range []string{ids[0], ids[xinqiao.PurgeBatchSize-1], ids[n-1]} {
		if _, err := s.Conversation(ctx, id); xinqiao.ErrorCode(err) != xinqiao.ENOTFOUND {
			t.Fatalf("got %v, want conversation %s purged", err, id)
		}
	}
	if _, err := s.Conversation(ctx, keep); err != nil {
		t.Fatalf("got %v, want the recent conversation kept", err)
	}
}

func testPurgeZeroCutOff(t *testing.T, s xinqiao.Store) {
	ctx := context.Background()
	f := seedRetention(t, s)
	rep, err := s.Purge(ctx, time.Time{}, rtNow)
	if err != nil {
		t.Fatal(err)
	}
	if want := (xinqiao.PurgeReport{StudentSessions: 4, StaffSessions: 1}); !sameCounts(rep, want) {
		t.Fatalf("got %+v, want %+v (expired sessions only)", rep, want)
	}
	if _, err := s.Conversation(ctx, f.oldPlain); err != nil {
		t.Fatalf("got %v, want the old conversation kept when retention is forever", err)
	}
}

// testPurgeConcurrent runs two purges at once (two nodes' loops): each either
// purges or is told another is purging (ECONFLICT), and together they delete
// every old conversation exactly once.
func testPurgeConcurrent(t *testing.T, s xinqiao.Store) {
	ctx := context.Background()
	const n = 40
	for range n {
		rtConversation(t, s, rtOld, rtNow.Add(time.Hour), 1)
	}
	var wg sync.WaitGroup
	reps := make([]xinqiao.PurgeReport, 2)
	errs := make([]error, 2)
	for i := range reps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			reps[i], errs[i] = s.Purge(ctx, rtBefore, rtNow)
		}()
	}
	wg.Wait()
	var total xinqiao.PurgeReport
	for i, err := range errs {
		if err != nil && xinqiao.ErrorCode(err) != xinqiao.ECONFLICT {
			t.Fatalf("purge %d: got %v, want success or ECONFLICT", i+1, err)
		}
		total.Add(reps[i])
	}
	if want := (xinqiao.PurgeReport{Conversations: n, Messages: n, StudentSessions: n}); !sameCounts(total, want) {
		t.Fatalf("got %+v together, want %+v", total, want)
	}
	if left, err := s.PurgePreview(ctx, rtBefore, rtNow); err != nil || left.Conversations != 0 {
		t.Fatalf("got %+v (%v) left, want nothing", left, err)
	}
}
