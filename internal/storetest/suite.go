package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"xinqiao/internal/xinqiao"
)

// Run runs the conformance suite against stores opened by open. Each subtest
// gets a fresh store.
func Run(t *testing.T, open func(tb testing.TB) xinqiao.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s xinqiao.Store)
	}{
		{"Ping", testPing},
		{"ConversationLifecycle", testConversationLifecycle},
		{"TerminalRequiredToExist", testTerminal},
		{"AppendAssignsSeq", testAppendSeq},
		{"AppendIsIdempotentByClientID", testAppendIdempotent},
		{"AppendConcurrentKeepsSeqDense", testAppendConcurrent},
		{"AppendRequireMode", testAppendRequireMode},
		{"MessagesRoundTrip", testMessagesRoundTrip},
		{"RiskAndMode", testRiskAndMode},
		{"Staff", testStaff},
		{"StaffSessions", testStaffSessions},
		{"Audit", testAudit},
		{"Broker", testBroker},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.fn(t, open(t))
		})
	}
	for _, st := range suites {
		t.Run(st.name, func(t *testing.T) { st.fn(t, open) })
	}
}

// suites lets the knowledge and handoff parts register their own conformance
// tests from their own files.
var suites []struct {
	name string
	fn   func(t *testing.T, open func(tb testing.TB) xinqiao.Store)
}

// register adds a named group of conformance tests to Run.
func register(name string, fn func(t *testing.T, open func(tb testing.TB) xinqiao.Store)) {
	suites = append(suites, struct {
		name string
		fn   func(t *testing.T, open func(tb testing.TB) xinqiao.Store)
	}{name, fn})
}

// NewConversation stores a conversation with a session and returns both.
func NewConversation(tb testing.TB, s xinqiao.Store, terminal string) (xinqiao.Conversation, xinqiao.StudentSession) {
	tb.Helper()
	now := time.Now().UTC().Truncate(time.Millisecond)
	c := xinqiao.Conversation{ID: xinqiao.NewID(), Terminal: terminal, Lang: "zh", Band: xinqiao.BandJunior, CreatedAt: now}
	ss := xinqiao.StudentSession{TokenHash: xinqiao.HashToken(xinqiao.NewToken()), CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
	if err := s.CreateConversation(context.Background(), c, ss); err != nil {
		tb.Fatalf("CreateConversation: %v", err)
	}
	ss.ConversationID = c.ID
	return c, ss
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := xinqiao.ErrorCode(err); got != code {
		t.Fatalf("got error %v (code %q), want code %q", err, got, code)
	}
}

func testPing(t *testing.T, s xinqiao.Store) {
	if err := s.Ping(context.Background()); err != nil {
		t.Fatalf("Ping: %v", err)
	}
}

func testConversationLifecycle(t *testing.T, s xinqiao.Store) {
	ctx := context.Background()
	c, ss := NewConversation(t, s, "")
	got, err := s.Conversation(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Mode != xinqiao.ModeAI || got.RiskLevel != "none" || got.LastSeq != 0 || got.Lang != "zh" || got.Band != xinqiao.BandJunior {
		t.Fatalf("got %+v, want a fresh ai-mode conversation", got)
	}
	if !got.CreatedAt.Equal(c.CreatedAt) {
		t.Fatalf("got created_at %v, want %v", got.CreatedAt, c.CreatedAt)
	}
	sess, err := s.StudentSession(ctx, ss.TokenHash)
	if err != nil {
		t.Fatal(err)
	}
	if sess.ConversationID != c.ID || !sess.ExpiresAt.Equal(ss.ExpiresAt) {
		t.Fatalf("got session %+v, want conversation %s expiring %v", sess, c.ID, ss.ExpiresAt)
	}
	_, err = s.StudentSession(ctx, "nope")
	wantCode(t, err, xinqiao.ENOTFOUND)
	_, err = s.Conversation(ctx, "nope")
	wantCode(t, err, xinqiao.ENOTFOUND)
}

func testTerminal(t *testing.T, s xinqiao.Store) {
	ctx := context.Background()
	now := time.Now()
	c := xinqiao.Conversation{ID: xinqiao.NewID(), Terminal: "T-404", Lang: "zh", CreatedAt: now}
	ss := xinqiao.StudentSession{TokenHash: "h1", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
	wantCode(t, s.CreateConversation(ctx, c, ss), xinqiao.EINVALID)
	if _, err := s.Conversation(ctx, c.ID); xinqiao.ErrorCode(err) != xinqiao.ENOTFOUND {
		t.Fatalf("a failed create left a conversation behind: %v", err)
	}
	if err := s.UpsertTerminal(ctx, xinqiao.Terminal{Code: "T-1", School: "一中", Place: "心理辅导室"}); err != nil {
		t.Fatal(err)
	}
	if err := s.UpsertTerminal(ctx, xinqiao.Terminal{Code: "T-1", School: "一中", Place: "图书馆"}); err != nil {
		t.Fatal(err)
	}
	term, err := s.Terminal(ctx, "T-1")
	if err != nil || term.Place != "图书馆" {
		t.Fatalf("got %+v, %v; want the updated place", term, err)
	}
	conv, _ := NewConversation(t, s, "T-1")
	got, err := s.Conversation(ctx, conv.ID)
	if err != nil || got.School != "一中" || got.Place != "图书馆" || got.Terminal != "T-1" {
		t.Fatalf("got %+v, %v; want the terminal's school and place", got, err)
	}
	_, err = s.Terminal(ctx, "T-2")
	wantCode(t, err, xinqiao.ENOTFOUND)
	if err := s.UpsertTerminal(ctx, xinqiao.Terminal{Code: "A-9", School: "一中", Place: "走廊", Band: xinqiao.BandSenior}); err != nil {
		t.Fatal(err)
	}
	all, err := s.Terminals(ctx)
	if err != nil || len(all) != 2 || all[0].Code != "A-9" || all[0].Band != xinqiao.BandSenior || all[1].Code != "T-1" {
		t.Fatalf("got %+v, %v; want A-9 then T-1", all, err)
	}
}

func testAppendSeq(t *testing.T, s xinqiao.Store) {
	ctx := context.Background()
	c, _ := NewConversation(t, s, "")
	for i := 1; i <= 3; i++ {
		m, created, err := s.AppendMessage(ctx, xinqiao.NewMessage{ConversationID: c.ID, ClientID: fmt.Sprint("c", i), Role: xinqiao.RoleStudent, Text: "你好"})
		if err != nil || !created || m.Seq != int64(i) {
			t.Fatalf("append %d: got seq %d created %v err %v", i, m.Seq, created, err)
		}
	}
	m, _, err := s.AppendMessage(ctx, xinqiao.NewMessage{ConversationID: c.ID, Role: xinqiao.RoleAssistant, Text: "答", AIGenerated: true})
	if err != nil || m.Seq != 4 {
		t.Fatalf("got seq %d err %v, want 4", m.Seq, err)
	}
	got, _ := s.Conversation(ctx, c.ID)
	if got.LastSeq != 4 {
		t.Fatalf("got last_seq %d, want 4", got.LastSeq)
	}
	_, _, err = s.AppendMessage(ctx, xinqiao.NewMessage{ConversationID: "missing", Role: xinqiao.RoleStudent, Text: "x"})
	wantCode(t, err, xinqiao.ENOTFOUND)
}

func testAppendIdempotent(t *testing.T, s xinqiao.Store) {
	ctx := context.Background()
	c, _ := NewConversation(t, s, "")
	first, created, err := s.AppendMessage(ctx, xinqiao.NewMessage{ConversationID: c.ID, ClientID: "abc", Role: xinqiao.RoleStudent, Text: "一"})
	if err != nil || !created {
		t.Fatal(err)
	}
	again, created, err := s.AppendMessage(ctx, xinqiao.NewMessage{ConversationID: c.ID, ClientID: "abc", Role: xinqiao.RoleStudent, Text: "一"})
	if err != nil || created || again.Seq != first.Seq || again.ID != first.ID {
		t.Fatalf("resend: got %+v created=%v err=%v, want the stored row", again, created, err)
	}
	next, _, _ := s.AppendMessage(ctx, xinqiao.NewMessage{ConversationID: c.ID, ClientID: "def", Role: xinqiao.RoleStudent, Text: "二"})
	if next.Seq != first.Seq+1 {
		t.Fatalf("got seq %d after a resend, want %d: the resend must not use up a seq", next.Seq, first.Seq+1)
	}
	// The same client id in another conversation is another message.
	c2, _ := NewConversation(t, s, "")
	other, created, err := s.AppendMessage(ctx, xinqiao.NewMessage{ConversationID: c2.ID, ClientID: "abc", Role: xinqiao.RoleStudent, Text: "一"})
	if err != nil || !created || other.Seq != 1 {
		t.Fatalf("got %+v created=%v err=%v", other, created, err)
	}
}

func testAppendConcurrent(t *testing.T, s xinqiao.Store) {
	ctx := context.Background()
	c, _ := NewConversation(t, s, "")
	const n = 40
	var wg sync.WaitGroup
	errs := make(chan error, n*2)
	for i := range n {
		for range 2 { // each message sent twice at once, as a reconnecting client may
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, _, err := s.AppendMessage(ctx, xinqiao.NewMessage{ConversationID: c.ID, ClientID: fmt.Sprint("m", i), Role: xinqiao.RoleStudent, Text: "x"})
				errs <- err
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	ms, err := s.Messages(ctx, c.ID, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != n {
		t.Fatalf("got %d messages, want %d", len(ms), n)
	}
	for i, m := range ms {
		if m.Seq != int64(i+1) {
			t.Fatalf("message %d has seq %d: seqs must be dense", i, m.Seq)
		}
	}
}

func testAppendRequireMode(t *testing.T, s xinqiao.Store) {
	ctx := context.Background()
	c, _ := NewConversation(t, s, "")
	if err := s.SetMode(ctx, c.ID, xinqiao.ModeHandoff); err != nil {
		t.Fatal(err)
	}
	_, _, err := s.AppendMessage(ctx, xinqiao.NewMessage{ConversationID: c.ID, Role: xinqiao.RoleAssistant, Text: "AI", AIGenerated: true, RequireMode: xinqiao.ModeAI})
	wantCode(t, err, xinqiao.ECONFLICT)
	ms, _ := s.Messages(ctx, c.ID, 0, 10)
	got, _ := s.Conversation(ctx, c.ID)
	if len(ms) != 0 || got.LastSeq != 0 {
		t.Fatalf("a refused append left %d messages and last_seq %d", len(ms), got.LastSeq)
	}
	if _, _, err := s.AppendMessage(ctx, xinqiao.NewMessage{ConversationID: c.ID, Role: xinqiao.RoleCounselor, Text: "老师在", RequireMode: xinqiao.ModeHandoff}); err != nil {
		t.Fatal(err)
	}
}

func testMessagesRoundTrip(t *testing.T, s xinqiao.Store) {
	ctx := context.Background()
	c, _ := NewConversation(t, s, "")
	risk := &xinqiao.RiskMark{Level: "high", Categories: []string{"suicide"}, Rules: []string{"zh.x"}, Spans: []xinqiao.Span{{Rule: "zh.x", Category: "suicide", Level: "high", Start: 1, End: 3}}}
	in := xinqiao.NewMessage{ConversationID: c.ID, ClientID: "k", Role: xinqiao.RoleStudent, Text: "含有😀与\"引号\"的文字", Risk: risk}
	m, _, err := s.AppendMessage(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	src := []xinqiao.Source{{Title: "考试焦虑", DocID: "exam", Version: 2}}
	a, _, err := s.AppendMessage(ctx, xinqiao.NewMessage{ConversationID: c.ID, Role: xinqiao.RoleAssistant, Text: "答", Sources: src, AIGenerated: true})
	if err != nil {
		t.Fatal(err)
	}
	ms, err := s.Messages(ctx, c.ID, 0, 10)
	if err != nil || len(ms) != 2 {
		t.Fatalf("got %d messages, %v", len(ms), err)
	}
	if g := ms[0]; g.Text != in.Text || g.ClientID != "k" || g.Risk == nil || g.Risk.Level != "high" || len(g.Risk.Spans) != 1 || g.ID != m.ID || g.AIGenerated {
		t.Fatalf("got %+v, want the student message back", g)
	}
	if g := ms[1]; g.Seq != a.Seq || !g.AIGenerated || len(g.Sources) != 1 || g.Sources[0] != src[0] || g.Risk != nil {
		t.Fatalf("got %+v, want the answer back", g)
	}
	after, _ := s.Messages(ctx, c.ID, 1, 10)
	if len(after) != 1 || after[0].Seq != 2 {
		t.Fatalf("after seq 1: got %d messages", len(after))
	}
	none, _ := s.Messages(ctx, c.ID, 1<<40, 10)
	if len(none) != 0 {
		t.Fatalf("after a huge seq: got %d messages, want 0", len(none))
	}
}

func testRiskAndMode(t *testing.T, s xinqiao.Store) {
	ctx := context.Background()
	c, _ := NewConversation(t, s, "")
	state := json.RawMessage(`{"level":"high","signals":{"means":1}}`)
	if err := s.SetRisk(ctx, c.ID, "high", state); err != nil {
		t.Fatal(err)
	}
	if err := s.SetMode(ctx, c.ID, xinqiao.ModeHandoff); err != nil {
		t.Fatal(err)
	}
	got, _ := s.Conversation(ctx, c.ID)
	var m map[string]any
	if got.RiskLevel != "high" || got.Mode != xinqiao.ModeHandoff || json.Unmarshal(got.RiskState, &m) != nil || m["level"] != "high" {
		t.Fatalf("got %+v state %s", got, got.RiskState)
	}
	wantCode(t, s.SetMode(ctx, "missing", xinqiao.ModeAI), xinqiao.ENOTFOUND)
	wantCode(t, s.SetRisk(ctx, "missing", "low", nil), xinqiao.ENOTFOUND)
	if err := s.SetMode(ctx, c.ID, "bogus"); err == nil {
		t.Fatal("got no error for an unknown mode")
	}
}

func testStaff(t *testing.T, s xinqiao.Store) {
	ctx := context.Background()
	n, err := s.CountStaff(ctx)
	if err != nil || n != 0 {
		t.Fatalf("got %d, %v; want 0", n, err)
	}
	st, err := s.CreateStaff(ctx, xinqiao.Staff{Username: "wang", DisplayName: "王老师", Role: xinqiao.RoleCounselor, PasswordHash: "h"})
	if err != nil || st.ID == "" {
		t.Fatalf("got %+v, %v", st, err)
	}
	_, err = s.CreateStaff(ctx, xinqiao.Staff{Username: "wang", DisplayName: "x", Role: xinqiao.RoleCurator, PasswordHash: "h"})
	wantCode(t, err, xinqiao.ECONFLICT)
	if _, err := s.CreateStaff(ctx, xinqiao.Staff{Username: "bad", DisplayName: "x", Role: "janitor", PasswordHash: "h"}); err == nil {
		t.Fatal("got no error for an unknown role")
	}
	byName, err := s.StaffByUsername(ctx, "wang")
	if err != nil || byName.ID != st.ID || byName.DisplayName != "王老师" || byName.PasswordHash != "h" {
		t.Fatalf("got %+v, %v", byName, err)
	}
	if err := s.SetOnDuty(ctx, st.ID, true); err != nil {
		t.Fatal(err)
	}
	byID, _ := s.StaffByID(ctx, st.ID)
	if !byID.OnDuty {
		t.Fatal("got off duty, want on duty")
	}
	wantCode(t, s.SetOnDuty(ctx, "missing", true), xinqiao.ENOTFOUND)
	if err := s.SetPassword(ctx, st.ID, "h2", true); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.StaffByID(ctx, st.ID); got.PasswordHash != "h2" || !got.MustChangePassword {
		t.Fatalf("got hash %q must change %v, want h2 to be changed", got.PasswordHash, got.MustChangePassword)
	}
	if err := s.SetPassword(ctx, st.ID, "h3", false); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.StaffByUsername(ctx, "wang"); got.PasswordHash != "h3" || got.MustChangePassword {
		t.Fatalf("got hash %q must change %v, want h3 kept", got.PasswordHash, got.MustChangePassword)
	}
	wantCode(t, s.SetPassword(ctx, "missing", "h", false), xinqiao.ENOTFOUND)
	first, err := s.CreateStaff(ctx, xinqiao.Staff{Username: "first", DisplayName: "x", Role: xinqiao.RoleAdmin, PasswordHash: "h", MustChangePassword: true})
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := s.StaffByID(ctx, first.ID); !got.MustChangePassword {
		t.Fatal("an account created with a password to change: got it not to be changed")
	}
	_, err = s.StaffByUsername(ctx, "li")
	wantCode(t, err, xinqiao.ENOTFOUND)
	all, _ := s.ListStaff(ctx)
	if len(all) != 2 || all[0].Username != "first" || !all[0].MustChangePassword || all[1].MustChangePassword {
		t.Fatalf("got %+v, want first (to change its password) and wang", all)
	}
}

func testStaffSessions(t *testing.T, s xinqiao.Store) {
	ctx := context.Background()
	st, _ := s.CreateStaff(ctx, xinqiao.Staff{Username: "li", DisplayName: "李", Role: xinqiao.RoleCurator, PasswordHash: "h"})
	now := time.Now().UTC().Truncate(time.Millisecond)
	ss := xinqiao.StaffSession{TokenHash: "tok", StaffID: st.ID, CSRF: "csrf", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
	if err := s.CreateStaffSession(ctx, ss); err != nil {
		t.Fatal(err)
	}
	got, err := s.StaffSession(ctx, "tok")
	if err != nil || got.StaffID != st.ID || got.CSRF != "csrf" || !got.ExpiresAt.Equal(ss.ExpiresAt) {
		t.Fatalf("got %+v, %v", got, err)
	}
	if err := s.DeleteStaffSession(ctx, "tok"); err != nil {
		t.Fatal(err)
	}
	_, err = s.StaffSession(ctx, "tok")
	wantCode(t, err, xinqiao.ENOTFOUND)
	if err := s.DeleteStaffSession(ctx, "tok"); err != nil {
		t.Fatalf("deleting a missing session: %v", err)
	}
	wantCode(t, s.CreateStaffSession(ctx, xinqiao.StaffSession{TokenHash: "t2", StaffID: "ghost", CreatedAt: now, ExpiresAt: now}), xinqiao.ENOTFOUND)
}

func testAudit(t *testing.T, s xinqiao.Store) {
	ctx := context.Background()
	for i, target := range []string{"c1", "c2", "c1"} {
		if err := s.Audit(ctx, xinqiao.AuditEvent{Actor: "s1", Action: "conversation.read", Target: target, Detail: fmt.Sprint(i)}); err != nil {
			t.Fatal(err)
		}
	}
	evs, err := s.AuditEvents(ctx, "c1", 10)
	if err != nil || len(evs) != 2 || evs[0].Detail != "2" || evs[1].Detail != "0" || evs[0].At.IsZero() {
		t.Fatalf("got %+v, %v; want c1's two events newest first", evs, err)
	}
	all, _ := s.AuditEvents(ctx, "", 10)
	if len(all) != 3 {
		t.Fatalf("got %d events, want 3", len(all))
	}
}

func testBroker(t *testing.T, s xinqiao.Store) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	got := make(chan xinqiao.Event, 10)
	s.Subscribe(ctx, func(e xinqiao.Event) {
		if e.Kind != "resync" {
			got <- e
		}
	})
	want := xinqiao.Event{Kind: "message", ConversationID: "c1", Seq: 7}
	if err := s.Publish(ctx, want); err != nil {
		t.Fatal(err)
	}
	select {
	case e := <-got:
		if e != want {
			t.Fatalf("got %+v, want %+v", e, want)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no event within 5s")
	}
	if errors.Is(ctx.Err(), context.Canceled) {
		t.Fatal("context ended early")
	}
}
