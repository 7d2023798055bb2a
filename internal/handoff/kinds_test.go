package handoff_test

import (
	"context"
	"sort"
	"strings"
	"testing"
	"time"

	"xinqiao/internal/apptest"
	"xinqiao/internal/handoff"
	"xinqiao/internal/storetest"
	"xinqiao/internal/xinqiao"
)

func TestDutyHours(t *testing.T) {
	d := handoff.DefaultDutyHours() // 08:00–18:00 Guangzhou time, Monday to Friday
	cst := time.FixedZone("CST", 8*3600)
	tests := []struct {
		at   time.Time
		in   bool
		next time.Time
	}{
		{time.Date(2026, 12, 7, 10, 0, 0, 0, cst), true, time.Date(2026, 12, 7, 10, 0, 0, 0, cst)},   // Monday morning
		{time.Date(2026, 12, 7, 7, 59, 0, 0, cst), false, time.Date(2026, 12, 7, 8, 0, 0, 0, cst)},   // before school
		{time.Date(2026, 12, 7, 18, 0, 0, 0, cst), false, time.Date(2026, 12, 8, 8, 0, 0, 0, cst)},   // the end is out
		{time.Date(2026, 12, 11, 23, 0, 0, 0, cst), false, time.Date(2026, 12, 14, 8, 0, 0, 0, cst)}, // Friday night → Monday
		{time.Date(2026, 12, 13, 10, 0, 0, 0, cst), false, time.Date(2026, 12, 14, 8, 0, 0, 0, cst)}, // Sunday
	}
	for _, tt := range tests {
		if got := d.In(tt.at); got != tt.in {
			t.Errorf("In(%v): got %v, want %v", tt.at, got, tt.in)
		}
		if got := d.Next(tt.at); !got.Equal(tt.next) {
			t.Errorf("Next(%v): got %v, want %v", tt.at, got.In(cst), tt.next)
		}
	}
	bad := handoff.DefaultConfig()
	bad.DutyHours = handoff.DutyHours{From: 18 * time.Hour, To: 8 * time.Hour}
	if err := bad.Validate(); err == nil {
		t.Error("Validate: got nil for duty hours that end before they start")
	}
}

// TestParseDutyHours: the environment's duty days, hours and holidays are
// read as written, and every bad value is refused with what is wanted.
func TestParseDutyHours(t *testing.T) {
	cst := time.FixedZone("CST", 8*3600)
	if d, err := handoff.ParseDutyHours(""); err != nil || d.From != 8*time.Hour || d.To != 18*time.Hour || d.Days != 0 {
		t.Fatalf("empty: got %+v, %v, want the default", d, err)
	}
	// Monday to Friday and Saturday morning classes, from 07:30; National
	// Day week off.
	d, err := handoff.ParseDutyHours("Mon-Fri,sat 07:30-17:30")
	if err != nil {
		t.Fatal(err)
	}
	if d.Holidays, err = handoff.ParseHolidays(" 2026-10-01..2026-10-07 ,2026-10-03,2027-01-01"); err != nil {
		t.Fatal(err)
	}
	if len(d.Holidays) != 8 {
		t.Fatalf("got holidays %v, want 8 dates", d.Holidays)
	}
	tests := []struct {
		at   time.Time
		in   bool
		next time.Time
	}{
		{time.Date(2026, 9, 30, 7, 30, 0, 0, cst), true, time.Date(2026, 9, 30, 7, 30, 0, 0, cst)},   // Wednesday, the start is in
		{time.Date(2026, 9, 30, 17, 30, 0, 0, cst), false, time.Date(2026, 10, 8, 7, 30, 0, 0, cst)}, // the holiday week is skipped
		{time.Date(2026, 10, 5, 10, 0, 0, 0, cst), false, time.Date(2026, 10, 8, 7, 30, 0, 0, cst)},  // a Monday off
		{time.Date(2026, 10, 10, 9, 0, 0, 0, cst), true, time.Date(2026, 10, 10, 9, 0, 0, 0, cst)},   // Saturday is a duty day
		{time.Date(2026, 10, 11, 9, 0, 0, 0, cst), false, time.Date(2026, 10, 12, 7, 30, 0, 0, cst)}, // Sunday is not
		{time.Date(2026, 12, 31, 18, 0, 0, 0, cst), false, time.Date(2027, 1, 2, 7, 30, 0, 0, cst)},  // New Year's Day off
	}
	for _, tt := range tests {
		if got := d.In(tt.at); got != tt.in {
			t.Errorf("In(%v): got %v, want %v", tt.at, got, tt.in)
		}
		if got := d.Next(tt.at); !got.Equal(tt.next) {
			t.Errorf("Next(%v): got %v, want %v", tt.at, got.In(cst), tt.next)
		}
	}
	if got, want := d.NextDay(time.Date(2026, 9, 30, 12, 0, 0, 0, cst)), time.Date(2026, 10, 8, 7, 30, 0, 0, cst); !got.Equal(want) {
		t.Errorf("NextDay before the holiday week: got %v, want %v", got.In(cst), want)
	}
	for _, tt := range []struct{ in, want string }{
		{"mon-fri", "want days and a time span"},
		{"mon-fry 08:00-18:00", "unknown day"},
		{"fri-mon 08:00-18:00", "runs backwards"},
		{"mon-fri 8:00-18:00", "HH:MM-HH:MM"},
		{"mon-fri 08:00-24:30", "HH:MM-HH:MM"},
		{"mon-fri 18:00-08:00", "end after it starts"},
		{"mon-fri 08:00", "HH:MM-HH:MM"},
	} {
		if _, err := handoff.ParseDutyHours(tt.in); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseDutyHours(%q): got %v, want an error saying %q", tt.in, err, tt.want)
		}
	}
	if d, err := handoff.ParseDutyHours("mon-fri 08:00-24:00"); err != nil || d.To != 24*time.Hour {
		t.Errorf("24:00 ends the day: got %+v, %v", d, err)
	}
	for _, tt := range []struct{ in, want string }{
		{"2026-10-32", "is not a date"},
		{"10/01/2026", "is not a date"},
		{"2026-10-07..2026-10-01", "must run forwards"},
		{"2026-01-01..2027-06-01", "over a year at most"},
	} {
		if _, err := handoff.ParseHolidays(tt.in); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseHolidays(%q): got %v, want an error saying %q", tt.in, err, tt.want)
		}
	}
}

// TestNobodyOnDutyOnAHoliday: on a holiday a counselor with a console open
// is not on duty by the clock (the duty switch still counts), and a
// review opened then is due an hour into the next duty day.
func TestNobodyOnDutyOnAHoliday(t *testing.T) {
	eachEngine(t, func(t *testing.T, open func(tb testing.TB) xinqiao.Store) {
		ctx := context.Background()
		cst := time.FixedZone("CST", 8*3600)
		clk := apptest.NewClock(time.Date(2026, 10, 1, 10, 0, 0, 0, cst)) // a Thursday morning
		store := open(t)
		cfg := handoff.DefaultConfig()
		var err error
		if cfg.DutyHours.Holidays, err = handoff.ParseHolidays("2026-10-01..2026-10-07"); err != nil {
			t.Fatal(err)
		}
		svc := handoff.New(store, cfg, nil, clk.Now)
		st := storetest.NewStaff(t, store, "wang", xinqiao.RoleCounselor)
		if err := store.TouchPresence(ctx, []string{st.ID}, clk.Now()); err != nil {
			t.Fatal(err)
		}
		if n, err := svc.OnDuty(ctx, ""); err != nil || n != 0 {
			t.Fatalf("on a holiday: got %d on duty, %v; want 0", n, err)
		}
		c, _ := storetest.NewConversation(t, store, "")
		r, err := svc.Open(ctx, handoff.OpenRequest{ConversationID: c.ID, Kind: xinqiao.KindReview, Level: xinqiao.LevelMedium,
			Categories: []string{"suicide"}, Rules: []string{"zh.suicide.passive"}, MessageSeq: 1})
		if err != nil || r.OnDuty != 0 {
			t.Fatalf("review on a holiday: got %+v, %v", r, err)
		}
		ts, err := store.Timers(ctx, r.Handoff.ID)
		if want := time.Date(2026, 10, 8, 9, 0, 0, 0, cst); err != nil || len(ts) != 1 || !ts[0].Due.Equal(want) {
			t.Fatalf("got timers %+v, %v; want one due %v", ts, err, want)
		}
		if err := store.SetOnDuty(ctx, st.ID, true); err != nil {
			t.Fatal(err)
		}
		if n, err := svc.OnDuty(ctx, ""); err != nil || n != 1 {
			t.Fatalf("with the duty switch on a holiday: got %d, %v; want 1", n, err)
		}
		clk.Set(time.Date(2026, 10, 8, 10, 0, 0, 0, cst))
		if err := store.SetOnDuty(ctx, st.ID, false); err != nil {
			t.Fatal(err)
		}
		if err := store.TouchPresence(ctx, []string{st.ID}, clk.Now()); err != nil {
			t.Fatal(err)
		}
		if n, err := svc.OnDuty(ctx, ""); err != nil || n != 1 {
			t.Fatalf("after the holidays: got %d on duty, %v; want 1", n, err)
		}
	})
}

// TestReviewIsQuiet: a review opened after hours alerts nobody when it
// opens and files no follow-up; its one reminder is due an hour into the
// next duty period and says what it is. Raised to urgent, the same handoff
// alerts at once, as any urgent one does.
func TestReviewIsQuiet(t *testing.T) {
	eachEngine(t, func(t *testing.T, open func(tb testing.TB) xinqiao.Store) {
		f := newFixture(t, open) // t0 is Monday 18:00 in Guangzhou: after hours
		ctx := context.Background()
		c := f.conversation(t, "")
		r, err := f.svc.Open(ctx, handoff.OpenRequest{ConversationID: c.ID, Kind: xinqiao.KindReview, Level: xinqiao.LevelMedium,
			Categories: []string{"suicide"}, Rules: []string{"zh.suicide.ideation.not_live"}, MessageSeq: 1})
		if err != nil || !r.Created || r.Handoff.Kind != xinqiao.KindReview || r.OnDuty != 0 {
			t.Fatalf("open review: got %+v, %v", r, err)
		}
		if _, err := f.svc.Open(ctx, handoff.OpenRequest{ConversationID: c.ID, Kind: xinqiao.KindReview, Level: xinqiao.LevelHigh}); xinqiao.ErrorCode(err) != xinqiao.EINVALID {
			t.Fatalf("review at high: got %v, want invalid", err)
		}
		f.drain(t)
		if got := f.hook.got(); len(got) != 0 {
			t.Fatalf("opening a review sent %d alerts, want none", len(got))
		}
		if fs, _ := f.store.FollowUps(ctx, r.Handoff.CaseID); len(fs) != 0 {
			t.Fatalf("a review filed follow-ups %+v, want none", fs)
		}
		due := time.Date(2026, 3, 3, 1, 0, 0, 0, time.UTC) // Tuesday 09:00 in Guangzhou
		for _, st := range []struct {
			at   time.Time
			want int
		}{{due.Add(-time.Second), 0}, {due, 1}} {
			f.clock.Set(st.at)
			if n, err := f.svc.Tick(ctx); err != nil || n != st.want {
				t.Fatalf("at %v: got %d fired, %v; want %d", st.at, n, err, st.want)
			}
		}
		f.drain(t)
		got := f.hook.got()
		if len(got) != 1 || got[0]["event"] != handoff.EventEscalation || got[0]["kind"] != xinqiao.KindReview ||
			!strings.Contains(got[0]["text"].(string), "中风险待阅") {
			t.Fatalf("got %v, want one review reminder", got)
		}
		up, err := f.svc.Open(ctx, handoff.OpenRequest{ConversationID: c.ID, Kind: xinqiao.KindUrgent, Level: xinqiao.LevelHigh,
			Categories: []string{"self_harm"}, Rules: []string{"context.affirmed_question"}, MessageSeq: 3})
		if err != nil || up.Created || !up.Raised || up.Handoff.ID != r.Handoff.ID || up.Handoff.Kind != xinqiao.KindUrgent {
			t.Fatalf("raise to urgent: got %+v, %v", up, err)
		}
		f.drain(t)
		var evs []string
		for _, b := range f.hook.got()[1:] {
			evs = append(evs, b["event"].(string)+"/"+b["kind"].(string))
		}
		sort.Strings(evs)
		if strings.Join(evs, ",") != "no_duty/urgent,opened/urgent" {
			t.Fatalf("after the raise: got alerts %v, want opened and no_duty for the urgent handoff", evs)
		}
	})
}

// TestRequestedAlerts: a student's request alerts the counselors as a
// request, whatever its level, and runs the requested ladder.
func TestRequestedAlerts(t *testing.T) {
	eachEngine(t, func(t *testing.T, open func(tb testing.TB) xinqiao.Store) {
		f := newFixture(t, open)
		ctx := context.Background()
		f.staff(t, "on", xinqiao.RoleCounselor, true)
		r, err := f.svc.Open(ctx, handoff.OpenRequest{ConversationID: f.conversation(t, "").ID, Kind: xinqiao.KindRequested,
			Level: xinqiao.LevelNone, Rules: []string{"student.ask_counselor"}})
		if err != nil || r.OnDuty != 1 {
			t.Fatalf("open request: got %+v, %v", r, err)
		}
		ts, _ := f.store.Timers(ctx, r.Handoff.ID)
		if len(ts) != 1 || !ts[0].Due.Equal(t0.Add(3*time.Minute)) {
			t.Fatalf("got timers %+v, want the requested ladder (3 min)", ts)
		}
		f.drain(t)
		got := f.hook.got()
		if len(got) != 1 || got[0]["kind"] != xinqiao.KindRequested || !strings.Contains(got[0]["text"].(string), "请求和老师聊聊") {
			t.Fatalf("got %v, want one request alert", got)
		}
	})
}

// TestRequestKeepsItsLadderWhenAReviewRaisesIt: a student who asked for a
// teacher and then writes a medium-risk message raises the waiting
// request's level through a review; the handoff stays a request, so its
// ladder stays the requested one (a reminder 3 minutes after the ask), not
// the review's one reminder an hour into the next duty period.
func TestRequestKeepsItsLadderWhenAReviewRaisesIt(t *testing.T) {
	eachEngine(t, func(t *testing.T, open func(tb testing.TB) xinqiao.Store) {
		f := newFixture(t, open) // t0 is Monday 18:00 in Guangzhou: after hours
		ctx := context.Background()
		c := f.conversation(t, "")
		r, err := f.svc.Open(ctx, handoff.OpenRequest{ConversationID: c.ID, Kind: xinqiao.KindRequested,
			Level: xinqiao.LevelNone, Rules: []string{"student.ask_counselor"}})
		if err != nil || !r.Created {
			t.Fatalf("open request: got %+v, %v", r, err)
		}
		f.clock.Set(t0.Add(time.Minute))
		up, err := f.svc.Open(ctx, handoff.OpenRequest{ConversationID: c.ID, Kind: xinqiao.KindReview, Level: xinqiao.LevelMedium,
			Categories: []string{"suicide"}, Rules: []string{"zh.suicide.passive"}, MessageSeq: 2})
		if err != nil || up.Created || !up.Raised || up.Handoff.ID != r.Handoff.ID || up.Handoff.Kind != xinqiao.KindRequested ||
			up.Handoff.Level != xinqiao.LevelMedium {
			t.Fatalf("review on the open request: got %+v, %v; want the request raised to medium", up, err)
		}
		f.drain(t)
		before := len(f.hook.got())
		f.clock.Set(t0.Add(3 * time.Minute))
		if n, err := f.svc.Tick(ctx); err != nil || n != 1 {
			ts, _ := f.store.Timers(ctx, r.Handoff.ID)
			t.Fatalf("3 minutes after the ask: got %d fired, %v; want the requested reminder (timers %+v)", n, err, ts)
		}
		f.drain(t)
		got := f.hook.got()[before:]
		if len(got) != 1 || got[0]["event"] != handoff.EventEscalation || got[0]["kind"] != xinqiao.KindRequested {
			t.Fatalf("got %v, want one reminder of the request", got)
		}
	})
}
