package storetest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"xinqiao/internal/xinqiao"
)

func init() {
	register("Reports", func(t *testing.T, open func(tb testing.TB) xinqiao.Store) {
		s := open(t)
		rs, ok := s.(xinqiao.ReportStore)
		if !ok {
			t.Fatalf("%s store does not implement xinqiao.ReportStore", s.Engine())
		}
		seedReports(t, s)
		tests := []struct {
			name string
			fn   func(t *testing.T, rs xinqiao.ReportStore)
		}{
			{"PerDay", testReportPerDay},
			{"Handoffs", testReportHandoffs},
			{"WaitingAndFollowUps", testReportNow},
			{"EmptyPeriod", testReportEmpty},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) { tt.fn(t, rs) })
		}
	})
	register("ReportKinds", testReportKinds)
}

// testReportKinds: the handoff groups carry their kind, claim waits can be
// read for one kind (a review's claim is its first look), and the queue now
// lists urgent first, then by level.
func testReportKinds(t *testing.T, open func(tb testing.TB) xinqiao.Store) {
	ctx := context.Background()
	s := open(t)
	rs := s.(xinqiao.ReportStore)
	st := NewStaff(t, s, "rk", xinqiao.RoleCounselor)
	at := rpC1
	var ids []string
	for i, k := range []struct{ kind, level string }{
		{xinqiao.KindReview, xinqiao.LevelMedium}, {xinqiao.KindReview, xinqiao.LevelMedium},
		{xinqiao.KindRequested, xinqiao.LevelLow}, {xinqiao.KindUrgent, xinqiao.LevelHigh},
	} {
		c, _ := NewConversation(t, s, "")
		h, _, _, err := s.OpenHandoff(ctx, xinqiao.NewHandoff{ConversationID: c.ID, Kind: k.kind, Level: k.level,
			MessageSeq: 1, At: at.Add(time.Duration(i) * time.Minute)})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, h.ID)
	}
	if _, err := s.ClaimHandoff(ctx, ids[0], st.ID, at.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CloseHandoff(ctx, ids[0], xinqiao.CloseHandoff{StaffID: st.ID, Outcome: xinqiao.OutcomeReviewed, Note: "看过",
		Mode: xinqiao.ModeAI, At: at.Add(3 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	groups, err := rs.HandoffGroups(ctx, rpFilter(""))
	if err != nil {
		t.Fatal(err)
	}
	byKind := map[string]int{}
	for _, g := range groups {
		byKind[g.Kind] += g.Count
		if g.Kind == xinqiao.KindReview && g.State == xinqiao.HandoffClosed && (g.Outcome != xinqiao.OutcomeReviewed || !g.Claimed) {
			t.Errorf("closed review group: got %+v", g)
		}
	}
	if byKind[xinqiao.KindReview] != 2 || byKind[xinqiao.KindRequested] != 1 || byKind[xinqiao.KindUrgent] != 1 {
		t.Errorf("groups by kind: got %v, want 2 reviews, 1 requested, 1 urgent", byKind)
	}
	f := rpFilter("")
	f.Kind = xinqiao.KindReview
	waits, err := rs.ClaimWaits(ctx, f)
	if err != nil || !slices.Equal(waits, []time.Duration{2 * time.Hour}) {
		t.Errorf("review claim waits: got %v, %v; want [2h]", waits, err)
	}
	f.Kind = xinqiao.KindUrgent
	if waits, err := rs.ClaimWaits(ctx, f); err != nil || len(waits) != 0 {
		t.Errorf("urgent claim waits: got %v, %v; want none", waits, err)
	}
	waiting, err := rs.WaitingHandoffs(ctx, rpFilter(""))
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, w := range waiting {
		order = append(order, w.Kind)
	}
	if strings.Join(order, ",") != "urgent,review,requested" {
		t.Errorf("waiting: got %v, want urgent (high), review (medium), requested (low)", order)
	}
}

// The report fixture: Guangzhou days (UTC+8); the period is the local days
// 2026-03-02 to 2026-03-04; now is 2026-03-03 20:00 local.
var (
	rpOffset = 8 * time.Hour
	rpFrom   = time.Date(2026, 3, 1, 16, 0, 0, 0, time.UTC)
	rpTo     = time.Date(2026, 3, 4, 16, 0, 0, 0, time.UTC)
	rpNow    = time.Date(2026, 3, 3, 12, 0, 0, 0, time.UTC)
	// Times of the fixture, UTC.
	rpC1 = time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC)  // local 03-02 09:00, 一中
	rpC2 = time.Date(2026, 3, 2, 17, 0, 0, 0, time.UTC) // local 03-03 01:00, 二中
	rpC3 = time.Date(2026, 3, 3, 2, 0, 0, 0, time.UTC)  // local 03-03 10:00, no terminal
	rpC0 = time.Date(2026, 3, 1, 15, 0, 0, 0, time.UTC) // local 03-01 23:00: before the period
)

func rpFilter(school string) xinqiao.ReportFilter {
	return xinqiao.ReportFilter{From: rpFrom, To: rpTo, School: school, DayOffset: rpOffset, Now: rpNow}
}

// seedReports stores, through the ordinary store methods, four
// conversations with student messages of several risk levels and three
// handoffs: closed (claimed after 30 s), active (claimed after 90 s) and
// waiting (both ladder steps fired; opened while nobody was on duty).
func seedReports(t *testing.T, s xinqiao.Store) {
	t.Helper()
	ctx := context.Background()
	clock, ok := s.(interface{ SetClock(func() time.Time) })
	if !ok {
		t.Fatalf("%s store has no SetClock", s.Engine())
	}
	at := func(tm time.Time) { clock.SetClock(func() time.Time { return tm }) }
	defer clock.SetClock(time.Now)
	for _, tm := range []xinqiao.Terminal{{Code: "R-A", School: "一中", Place: "心理室"}, {Code: "R-B", School: "二中", Place: "图书馆"}} {
		if err := s.UpsertTerminal(ctx, tm); err != nil {
			t.Fatal(err)
		}
	}
	conv := func(terminal string, created time.Time) string {
		c := xinqiao.Conversation{ID: xinqiao.NewID(), Terminal: terminal, Lang: "zh", Band: xinqiao.BandJunior, CreatedAt: created}
		ss := xinqiao.StudentSession{TokenHash: xinqiao.HashToken(xinqiao.NewToken()), CreatedAt: created, ExpiresAt: created.Add(time.Hour)}
		if err := s.CreateConversation(ctx, c, ss); err != nil {
			t.Fatalf("CreateConversation: %v", err)
		}
		return c.ID
	}
	msg := func(convID, role, level string, tm time.Time) {
		at(tm)
		nm := xinqiao.NewMessage{ConversationID: convID, Role: role, Text: "测试消息"}
		if level != "" {
			nm.Risk = &xinqiao.RiskMark{Level: level, Categories: []string{"suicide"}, Rules: []string{"zh.test"}}
		}
		if _, _, err := s.AppendMessage(ctx, nm); err != nil {
			t.Fatalf("AppendMessage: %v", err)
		}
	}
	c0 := conv("R-A", rpC0)
	c1 := conv("R-A", rpC1)
	c2 := conv("R-B", rpC2)
	c3 := conv("", rpC3)
	msg(c0, xinqiao.RoleStudent, "", rpC0.Add(time.Minute)) // before the period
	msg(c1, xinqiao.RoleStudent, "", rpC1.Add(time.Minute))
	msg(c1, xinqiao.RoleAssistant, "", rpC1.Add(2*time.Minute)) // not a student message
	msg(c1, xinqiao.RoleStudent, xinqiao.LevelLow, rpC1.Add(3*time.Minute))
	msg(c1, xinqiao.RoleStudent, xinqiao.LevelHigh, rpC1.Add(4*time.Minute))
	msg(c2, xinqiao.RoleStudent, xinqiao.LevelHigh, rpC2.Add(time.Minute))
	msg(c3, xinqiao.RoleStudent, xinqiao.LevelNone, rpC3.Add(time.Minute))
	msg(c3, xinqiao.RoleStudent, xinqiao.LevelImminent, rpC3.Add(2*time.Minute))

	counselor := NewStaff(t, s, "rp-wang", xinqiao.RoleCounselor)
	h1, _, _ := openHandoff(t, s, c1, xinqiao.LevelHigh, rpC1.Add(4*time.Minute))
	if _, err := s.ClaimHandoff(ctx, h1.ID, counselor.ID, h1.OpenedAt.Add(30*time.Second)); err != nil {
		t.Fatalf("ClaimHandoff: %v", err)
	}
	if _, err := s.CloseHandoff(ctx, h1.ID, xinqiao.CloseHandoff{StaffID: counselor.ID, Outcome: xinqiao.OutcomeResolved,
		Mode: xinqiao.ModeAI, At: h1.OpenedAt.Add(20 * time.Minute)}); err != nil {
		t.Fatalf("CloseHandoff: %v", err)
	}
	h2, _, _ := openHandoff(t, s, c2, xinqiao.LevelHigh, rpC2.Add(time.Minute))
	if _, err := s.ClaimHandoff(ctx, h2.ID, counselor.ID, h2.OpenedAt.Add(90*time.Second)); err != nil {
		t.Fatalf("ClaimHandoff: %v", err)
	}
	h3, _, _ := openHandoff(t, s, c3, xinqiao.LevelImminent, rpC3.Add(2*time.Minute))
	// Nobody on duty: the handoff service marks the handoff and files a
	// system follow-up due the next school day.
	if err := s.MarkOpenedNoDuty(ctx, h3.ID); err != nil {
		t.Fatalf("MarkOpenedNoDuty: %v", err)
	}
	wantCode(t, s.MarkOpenedNoDuty(ctx, "missing"), xinqiao.ENOTFOUND)
	if _, err := s.AddFollowUp(ctx, xinqiao.FollowUp{CaseID: h3.CaseID, Task: "非值班时间的求助", Due: rpC3.Add(20 * time.Hour),
		CreatedBy: "system", CreatedAt: h3.OpenedAt}); err != nil {
		t.Fatalf("AddFollowUp: %v", err)
	}
	firedAt := h3.OpenedAt.Add(200 * time.Second)
	fired, err := s.TakeDueTimers(ctx, firedAt, firedAt.Add(time.Minute), 10)
	if err != nil || len(fired) != 2 {
		t.Fatalf("TakeDueTimers: got %d timers, %v; want the 2 ladder steps of the waiting handoff", len(fired), err)
	}
	for _, tm := range fired {
		if err := s.CompleteTimer(ctx, tm.ID, firedAt); err != nil {
			t.Fatalf("CompleteTimer: %v", err)
		}
	}
	// h1's case (一中): one follow-up due in the period and done, one
	// overdue now, one due after now.
	for i, due := range []time.Time{rpC1.Add(24 * time.Hour), rpNow.Add(-time.Hour), rpNow.Add(time.Hour)} {
		f, err := s.AddFollowUp(ctx, xinqiao.FollowUp{CaseID: h1.CaseID, Task: fmt.Sprintf("回访 %d", i), Due: due,
			CreatedBy: counselor.ID, CreatedAt: rpC1.Add(time.Hour)})
		if err != nil {
			t.Fatalf("AddFollowUp: %v", err)
		}
		if i == 0 {
			if _, err := s.CompleteFollowUp(ctx, f.ID, counselor.ID, due); err != nil {
				t.Fatalf("CompleteFollowUp: %v", err)
			}
		}
	}
}

func testReportPerDay(t *testing.T, rs xinqiao.ReportStore) {
	ctx := context.Background()
	tests := []struct {
		school   string
		convs    []xinqiao.DayCount
		messages []xinqiao.DayLevelCount
	}{
		{"", []xinqiao.DayCount{dc("2026-03-02", 1), dc("2026-03-03", 2)}, []xinqiao.DayLevelCount{
			dl("2026-03-02", "high", 1), dl("2026-03-02", "low", 1), dl("2026-03-02", "none", 1),
			dl("2026-03-03", "high", 1), dl("2026-03-03", "imminent", 1), dl("2026-03-03", "none", 1)}},
		{"一中", []xinqiao.DayCount{dc("2026-03-02", 1)}, []xinqiao.DayLevelCount{
			dl("2026-03-02", "high", 1), dl("2026-03-02", "low", 1), dl("2026-03-02", "none", 1)}},
		{"二中", []xinqiao.DayCount{dc("2026-03-03", 1)}, []xinqiao.DayLevelCount{dl("2026-03-03", "high", 1)}},
		{"无此校", []xinqiao.DayCount{}, []xinqiao.DayLevelCount{}},
	}
	for _, tt := range tests {
		t.Run("school="+tt.school, func(t *testing.T) {
			convs, err := rs.ConversationsByDay(ctx, rpFilter(tt.school))
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(convs, tt.convs) {
				t.Errorf("conversations: got %v, want %v", convs, tt.convs)
			}
			msgs, err := rs.StudentMessagesByDay(ctx, rpFilter(tt.school))
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(msgs, tt.messages) {
				t.Errorf("student messages: got %v, want %v", msgs, tt.messages)
			}
		})
	}
}

func dc(day string, n int) xinqiao.DayCount { return xinqiao.DayCount{Day: day, Count: n} }

func dl(day, level string, n int) xinqiao.DayLevelCount {
	return xinqiao.DayLevelCount{Day: day, Level: level, Count: n}
}

func testReportHandoffs(t *testing.T, rs xinqiao.ReportStore) {
	ctx := context.Background()
	tests := []struct {
		school string
		groups []xinqiao.HandoffGroup
		waits  []time.Duration
		steps  []xinqiao.StepCount
	}{
		{"", []xinqiao.HandoffGroup{
			{Day: "2026-03-02", Kind: "urgent", Level: "high", State: "closed", Outcome: "resolved", Claimed: true, Count: 1},
			{Day: "2026-03-03", Kind: "urgent", Level: "high", State: "active", Claimed: true, Count: 1},
			{Day: "2026-03-03", Kind: "urgent", Level: "imminent", State: "waiting", NoDuty: true, Count: 1},
		}, []time.Duration{30 * time.Second, 90 * time.Second},
			[]xinqiao.StepCount{{Step: 1, Action: "duty", Count: 1}, {Step: 2, Action: "oncall", Count: 1}}},
		{"二中", []xinqiao.HandoffGroup{
			{Day: "2026-03-03", Kind: "urgent", Level: "high", State: "active", Claimed: true, Count: 1},
		}, []time.Duration{90 * time.Second}, []xinqiao.StepCount{}},
	}
	for _, tt := range tests {
		t.Run("school="+tt.school, func(t *testing.T) {
			groups, err := rs.HandoffGroups(ctx, rpFilter(tt.school))
			if err != nil {
				t.Fatal(err)
			}
			slices.SortFunc(groups, func(a, b xinqiao.HandoffGroup) int {
				return cmpStrings(a.Day+a.Level+a.State, b.Day+b.Level+b.State)
			})
			if !slices.Equal(groups, tt.groups) {
				t.Errorf("groups: got %+v, want %+v", groups, tt.groups)
			}
			waits, err := rs.ClaimWaits(ctx, rpFilter(tt.school))
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(waits, tt.waits) {
				t.Errorf("claim waits: got %v, want %v", waits, tt.waits)
			}
			steps, err := rs.Escalations(ctx, rpFilter(tt.school))
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(steps, tt.steps) {
				t.Errorf("escalations: got %+v, want %+v", steps, tt.steps)
			}
		})
	}
}

func cmpStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func testReportNow(t *testing.T, rs xinqiao.ReportStore) {
	ctx := context.Background()
	waiting, err := rs.WaitingHandoffs(ctx, rpFilter(""))
	if err != nil {
		t.Fatal(err)
	}
	want := xinqiao.WaitingHandoff{Kind: "urgent", Level: "imminent", OpenedAt: rpC3.Add(2 * time.Minute), QueuedAt: rpC3.Add(2 * time.Minute), Escalated: 2}
	if len(waiting) != 1 || waiting[0] != want {
		t.Errorf("waiting: got %+v, want [%+v]", waiting, want)
	}
	if w, err := rs.WaitingHandoffs(ctx, rpFilter("一中")); err != nil || len(w) != 0 {
		t.Errorf("waiting of 一中: got %+v, %v; want none", w, err)
	}
	tests := []struct {
		school string
		want   xinqiao.FollowUpCounts
	}{
		{"", xinqiao.FollowUpCounts{Due: 4, DueDone: 1, Overdue: 1}},
		{"一中", xinqiao.FollowUpCounts{Due: 3, DueDone: 1, Overdue: 1}},
		{"二中", xinqiao.FollowUpCounts{}},
	}
	for _, tt := range tests {
		got, err := rs.CountFollowUps(ctx, rpFilter(tt.school))
		if err != nil {
			t.Fatal(err)
		}
		if got != tt.want {
			t.Errorf("follow-ups of %q: got %+v, want %+v", tt.school, got, tt.want)
		}
	}
}

func testReportEmpty(t *testing.T, rs xinqiao.ReportStore) {
	ctx := context.Background()
	f := rpFilter("")
	f.From, f.To = rpTo.AddDate(0, 1, 0), rpTo.AddDate(0, 2, 0)
	convs, err1 := rs.ConversationsByDay(ctx, f)
	msgs, err2 := rs.StudentMessagesByDay(ctx, f)
	groups, err3 := rs.HandoffGroups(ctx, f)
	waits, err4 := rs.ClaimWaits(ctx, f)
	steps, err5 := rs.Escalations(ctx, f)
	if err := fmt.Sprint(err1, err2, err3, err4, err5); err != "<nil> <nil> <nil> <nil> <nil>" {
		t.Fatalf("errors: %s", err)
	}
	if len(convs)+len(msgs)+len(groups)+len(waits)+len(steps) != 0 {
		t.Errorf("empty period: got %v %v %v %v %v, want nothing", convs, msgs, groups, waits, steps)
	}
	if convs == nil || msgs == nil || groups == nil || waits == nil || steps == nil {
		t.Errorf("empty period: got a nil slice, want empty slices (they encode as [])")
	}
}
