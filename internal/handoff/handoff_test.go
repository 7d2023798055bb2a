package handoff_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"xinqiao/internal/apptest"
	"xinqiao/internal/handoff"
	"xinqiao/internal/storetest"
	"xinqiao/internal/xinqiao"
)

// clock is the settable clock the ladder tests drive.
type clock = apptest.Clock

// sink is an alert endpoint that records what it gets and fails the first
// failFirst requests.
type sink struct {
	mu        sync.Mutex
	bodies    []map[string]any
	urls      []string
	failFirst int
	calls     int
}

func (k *sink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.calls++
	if k.calls <= k.failFirst {
		http.Error(w, "down", http.StatusBadGateway)
		return
	}
	b, _ := io.ReadAll(r.Body)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	k.bodies = append(k.bodies, m)
	k.urls = append(k.urls, r.URL.String())
	w.Write([]byte(`{"errcode":0,"errmsg":"ok"}`))
}

func (k *sink) got() []map[string]any {
	k.mu.Lock()
	defer k.mu.Unlock()
	return append([]map[string]any{}, k.bodies...)
}

type fixture struct {
	store xinqiao.Store
	svc   *handoff.Service
	clock *clock
	hook  *sink
	robot *sink
}

var t0 = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

func newFixture(t *testing.T, open func(tb testing.TB) xinqiao.Store) *fixture {
	t.Helper()
	f := &fixture{store: open(t), clock: apptest.NewClock(t0), hook: &sink{}, robot: &sink{}}
	hs, rs := httptest.NewServer(f.hook), httptest.NewServer(f.robot)
	t.Cleanup(hs.Close)
	t.Cleanup(rs.Close)
	cfg := handoff.DefaultConfig()
	cfg.Backoff, cfg.MaxBackoff = time.Millisecond, 5*time.Millisecond
	cfg.Targets = []handoff.Target{
		{Name: "hook", Kind: handoff.KindWebhook, URL: hs.URL + "/alert", Secret: "s3cret"},
		{Name: "district", Kind: handoff.KindRobot, URL: rs.URL + "/robot/send?access_token=k", Secret: "SECabc", Audiences: []string{handoff.ActionOnCall}},
	}
	cfg.OnCallContact = "区值班电话 020-0000"
	f.svc = handoff.New(f.store, cfg, nil, f.clock.Now)
	return f
}

func (f *fixture) drain(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := f.svc.Drain(ctx); err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) conversation(t *testing.T, terminal string) xinqiao.Conversation {
	t.Helper()
	c, _ := storetest.NewConversation(t, f.store, terminal)
	return c
}

func (f *fixture) staff(t *testing.T, name, role string, onDuty bool) xinqiao.Staff {
	t.Helper()
	st := storetest.NewStaff(t, f.store, name, role)
	if onDuty {
		if err := f.store.SetOnDuty(context.Background(), st.ID, true); err != nil {
			t.Fatal(err)
		}
		st.OnDuty = true
	}
	return st
}

func (f *fixture) open(t *testing.T, convID, level string) handoff.OpenResult {
	t.Helper()
	r, err := f.svc.Open(context.Background(), handoff.OpenRequest{ConversationID: convID, Level: level,
		Categories: []string{"suicide"}, Rules: []string{"zh.suicide.plan"}, MessageSeq: 1})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return r
}

func eachEngine(t *testing.T, fn func(t *testing.T, open func(tb testing.TB) xinqiao.Store)) {
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) { fn(t, e.Open) })
	}
}

func TestOpen(t *testing.T) {
	eachEngine(t, func(t *testing.T, open func(tb testing.TB) xinqiao.Store) {
		f := newFixture(t, open)
		ctx := context.Background()
		events := make(chan xinqiao.Event, 100)
		sctx, cancel := context.WithCancel(ctx)
		defer cancel()
		f.store.Subscribe(sctx, func(e xinqiao.Event) { events <- e })
		c := f.conversation(t, "")
		r := f.open(t, c.ID, xinqiao.LevelHigh)
		if !r.Created || r.OnDuty != 0 || r.Handoff.State != xinqiao.HandoffWaiting {
			t.Fatalf("got %+v, want a created handoff with nobody on duty", r)
		}
		if fus, _ := f.store.FollowUps(ctx, r.Handoff.CaseID); len(fus) != 1 || !fus[0].Due.Equal(handoff.NextSchoolDay(t0)) {
			t.Fatalf("got follow-ups %+v, want one for the next school day", fus)
		}
		conv, _ := f.store.Conversation(ctx, c.ID)
		if conv.Mode != xinqiao.ModeHandoff {
			t.Fatalf("got mode %s, want handoff", conv.Mode)
		}
		select {
		case e := <-events:
			if e.Kind != "handoff" || e.HandoffID != r.Handoff.ID || e.ConversationID != c.ID {
				t.Fatalf("got event %+v, want the handoff event", e)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("no handoff event")
		}
		f.staff(t, "on", xinqiao.RoleCounselor, true)
		f.staff(t, "off", xinqiao.RoleCounselor, false)
		f.staff(t, "cur", xinqiao.RoleCurator, false)
		again := f.open(t, c.ID, xinqiao.LevelImminent)
		if again.Created || again.Handoff.ID != r.Handoff.ID || again.Handoff.Level != xinqiao.LevelImminent || again.OnDuty != 1 {
			t.Fatalf("got %+v, want the same handoff raised, one on duty", again)
		}
		state, name, kind, ok, err := f.svc.StudentState(ctx, c.ID)
		if err != nil || !ok || state != "waiting" || name != "" || kind != xinqiao.KindUrgent {
			t.Fatalf("got %q %q %v %v, want waiting", state, name, ok, err)
		}
		if _, _, _, ok, _ := f.svc.StudentState(ctx, "nope"); ok {
			t.Fatal("got ok for a conversation without a handoff")
		}
		_, err = f.svc.Open(ctx, handoff.OpenRequest{ConversationID: c.ID, Level: xinqiao.LevelMedium})
		if xinqiao.ErrorCode(err) != xinqiao.EINVALID {
			t.Fatalf("got %v, want invalid for a medium level", err)
		}
		f.drain(t)
		// opened (nobody on duty → also no_duty) then raised: three webhook alerts, no student text.
		got := f.hook.got()
		var evs []string
		for _, b := range got {
			evs = append(evs, b["event"].(string))
			if strings.Contains(fmt.Sprint(b), "text\":\"") {
				t.Fatalf("alert %v carries message text", b)
			}
		}
		sort.Strings(evs) // deliveries run concurrently
		if strings.Join(evs, ",") != "no_duty,opened,opened" {
			t.Fatalf("got alert events %v, want opened, no_duty and opened", evs)
		}
	})
}

func TestLadderFiresAtConfiguredTimes(t *testing.T) {
	eachEngine(t, func(t *testing.T, open func(tb testing.TB) xinqiao.Store) {
		f := newFixture(t, open)
		ctx := context.Background()
		f.staff(t, "on", xinqiao.RoleCounselor, true)
		imminent := f.open(t, f.conversation(t, "").ID, xinqiao.LevelImminent).Handoff
		high := f.open(t, f.conversation(t, "").ID, xinqiao.LevelHigh).Handoff
		steps := []struct {
			at        time.Duration
			wantFired int
			wantEsc   map[string]int // handoff id → escalated after this tick
		}{
			{59 * time.Second, 0, map[string]int{imminent.ID: 0, high.ID: 0}},
			{60 * time.Second, 1, map[string]int{imminent.ID: 1, high.ID: 0}},
			{119 * time.Second, 0, map[string]int{imminent.ID: 1, high.ID: 0}},
			{120 * time.Second, 1, map[string]int{imminent.ID: 1, high.ID: 1}},
			{180 * time.Second, 1, map[string]int{imminent.ID: 2, high.ID: 1}},
			{599 * time.Second, 0, map[string]int{imminent.ID: 2, high.ID: 1}},
			{600 * time.Second, 1, map[string]int{imminent.ID: 2, high.ID: 2}},
			{time.Hour, 0, map[string]int{imminent.ID: 2, high.ID: 2}},
		}
		for _, st := range steps {
			f.clock.Set(t0.Add(st.at))
			n, err := f.svc.Tick(ctx)
			if err != nil || n != st.wantFired {
				t.Fatalf("at %v: got %d fired, %v; want %d", st.at, n, err, st.wantFired)
			}
			f.drain(t) // a step is done once its alert is delivered

			for id, want := range st.wantEsc {
				h, _ := f.store.Handoff(ctx, id)
				if h.Escalated != want {
					t.Fatalf("at %v: handoff %s escalated %d, want %d", st.at, h.Level, h.Escalated, want)
				}
			}
		}
		f.drain(t)
		// The robot hears only the on-call steps, signed the DingTalk way.
		robot := f.robot.got()
		if len(robot) != 2 {
			t.Fatalf("got %d robot alerts, want the 2 on-call steps", len(robot))
		}
		for i, b := range robot {
			content := b["text"].(map[string]any)["content"].(string)
			if b["msgtype"] != "text" || !strings.Contains(content, "区值班电话") || !strings.Contains(content, "升级") {
				t.Fatalf("got robot payload %v", b)
			}
			if u := f.robot.urls[i]; !strings.Contains(u, "access_token=k") || !strings.Contains(u, "timestamp=") || !strings.Contains(u, "sign=") {
				t.Fatalf("got robot URL %s, want it signed", u)
			}
		}
		as, _ := f.store.AlertAttempts(ctx, imminent.ID, 100)
		var steps2 []string
		for _, a := range as {
			if a.Event == handoff.EventEscalation {
				steps2 = append(steps2, a.Audience+"@"+a.Target)
			}
		}
		sort.Strings(steps2) // deliveries run concurrently
		if want := "duty@hook,oncall@district,oncall@hook"; strings.Join(steps2, ",") != want {
			t.Fatalf("got escalation attempts %v, want %s", steps2, want)
		}
	})
}

func TestClaimStopsLadder(t *testing.T) {
	eachEngine(t, func(t *testing.T, open func(tb testing.TB) xinqiao.Store) {
		f := newFixture(t, open)
		ctx := context.Background()
		st := f.staff(t, "wang", xinqiao.RoleCounselor, true)
		h := f.open(t, f.conversation(t, "").ID, xinqiao.LevelImminent).Handoff
		f.clock.Add(30 * time.Second)
		if _, err := f.svc.Claim(ctx, st, h.ID); err != nil {
			t.Fatal(err)
		}
		f.clock.Add(time.Hour)
		if n, _ := f.svc.Tick(ctx); n != 0 {
			t.Fatalf("got %d timers fired after the claim, want 0", n)
		}
	})
}

func TestAlertRetriesRecorded(t *testing.T) {
	eachEngine(t, func(t *testing.T, open func(tb testing.TB) xinqiao.Store) {
		f := newFixture(t, open)
		f.hook.failFirst = 2
		c := f.conversation(t, "")
		f.staff(t, "on", xinqiao.RoleCounselor, true)
		h := f.open(t, c.ID, xinqiao.LevelHigh).Handoff
		f.drain(t)
		as, err := f.store.AlertAttempts(context.Background(), h.ID, 100)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, a := range as {
			got = append(got, fmt.Sprintf("%s#%d:%v:%d", a.Target, a.Attempt, a.OK, a.Status))
		}
		if want := "hook#1:false:502,hook#2:false:502,hook#3:true:200"; strings.Join(got, ",") != want {
			t.Fatalf("got attempts %v, want %s", got, want)
		}
	})
}

func TestClaimRace(t *testing.T) {
	eachEngine(t, func(t *testing.T, open func(tb testing.TB) xinqiao.Store) {
		f := newFixture(t, open)
		ctx := context.Background()
		h := f.open(t, f.conversation(t, "").ID, xinqiao.LevelImminent).Handoff
		const n = 50
		var staff []xinqiao.Staff
		for i := range n {
			staff = append(staff, f.staff(t, fmt.Sprint("c", i), xinqiao.RoleCounselor, true))
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		codes := map[string]int{}
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := f.svc.Claim(ctx, staff[i], h.ID)
				mu.Lock()
				codes[xinqiao.ErrorCode(err)]++
				mu.Unlock()
			}()
		}
		wg.Wait()
		if codes[""] != 1 || codes[xinqiao.ECONFLICT] != n-1 {
			t.Fatalf("got %v, want 1 winner and %d conflicts", codes, n-1)
		}
	})
}

func TestRelayAndAILock(t *testing.T) {
	eachEngine(t, func(t *testing.T, open func(tb testing.TB) xinqiao.Store) {
		f := newFixture(t, open)
		ctx := context.Background()
		a := f.staff(t, "a", xinqiao.RoleCounselor, true)
		b := f.staff(t, "b", xinqiao.RoleCounselor, true)
		c := f.conversation(t, "")
		h := f.open(t, c.ID, xinqiao.LevelHigh).Handoff
		_, err := f.svc.Relay(ctx, a, h.ID, "", "你好")
		if xinqiao.ErrorCode(err) != xinqiao.ECONFLICT {
			t.Fatalf("relay before claim: got %v, want conflict", err)
		}
		if _, err := f.svc.Claim(ctx, a, h.ID); err != nil {
			t.Fatal(err)
		}
		if s, name, _, _, _ := f.svc.StudentState(ctx, c.ID); s != "joined" || name != "a老师" {
			t.Fatalf("got %q %q, want joined by a老师", s, name)
		}
		if ms, err := f.store.Messages(ctx, c.ID, 0, 10); err != nil || len(ms) == 0 || ms[len(ms)-1].Text != "a老师加入了对话。" {
			t.Fatalf("got %+v (%v), want the line a老师加入了对话。 (老师 once)", ms, err)
		}
		m, err := f.svc.Relay(ctx, a, h.ID, "k1", "我是心理老师，我在这里。")
		if err != nil || m.Role != xinqiao.RoleCounselor || m.Author != a.ID {
			t.Fatalf("relay: got %+v, %v", m, err)
		}
		again, err := f.svc.Relay(ctx, a, h.ID, "k1", "我是心理老师，我在这里。")
		if err != nil || again.Seq != m.Seq {
			t.Fatalf("resend: got seq %d, %v; want %d", again.Seq, err, m.Seq)
		}
		_, err = f.svc.Relay(ctx, b, h.ID, "", "插话")
		if xinqiao.ErrorCode(err) != xinqiao.EFORBIDDEN {
			t.Fatalf("got %v, want forbidden for someone else's handoff", err)
		}
		// The AI lock: an answer that needs mode ai is refused while the handoff is open.
		_, _, err = f.store.AppendMessage(ctx, xinqiao.NewMessage{ConversationID: c.ID, Role: xinqiao.RoleAssistant, Text: "AI", AIGenerated: true, RequireMode: xinqiao.ModeAI})
		if xinqiao.ErrorCode(err) != xinqiao.ECONFLICT {
			t.Fatalf("got %v, want the AI refused", err)
		}
		tests := []struct {
			name string
			who  xinqiao.Staff
			req  handoff.CloseRequest
			code string
		}{
			{"bad outcome", a, handoff.CloseRequest{Outcome: "meh"}, xinqiao.EINVALID},
			{"someone else's", b, handoff.CloseRequest{Outcome: xinqiao.OutcomeResolved}, xinqiao.EFORBIDDEN},
			{"holder", a, handoff.CloseRequest{Outcome: xinqiao.OutcomeResolved, Note: "平稳"}, ""},
			{"twice", a, handoff.CloseRequest{Outcome: xinqiao.OutcomeResolved}, xinqiao.ECONFLICT},
		}
		for _, tt := range tests {
			_, err := f.svc.Close(ctx, tt.who, h.ID, tt.req)
			if got := xinqiao.ErrorCode(err); got != tt.code {
				t.Fatalf("%s: got code %q (%v), want %q", tt.name, got, err, tt.code)
			}
		}
		if s, _, _, _, _ := f.svc.StudentState(ctx, c.ID); s != "ended" {
			t.Fatalf("got %q, want ended", s)
		}
		if _, _, err := f.store.AppendMessage(ctx, xinqiao.NewMessage{ConversationID: c.ID, Role: xinqiao.RoleAssistant, Text: "AI", AIGenerated: true, RequireMode: xinqiao.ModeAI}); err != nil {
			t.Fatalf("after close the AI answers again: %v", err)
		}
		_, err = f.svc.Relay(ctx, a, h.ID, "", "还在吗")
		if xinqiao.ErrorCode(err) != xinqiao.ECONFLICT {
			t.Fatalf("relay after close: got %v, want conflict", err)
		}
	})
}

func TestJoinedLine(t *testing.T) {
	for name, want := range map[string]string{
		"王老师": "王老师加入了对话。", "陳老師": "陳老師加入了对话。", "Li Ming": "Li Ming 老师加入了对话。", "王芳": "王芳 老师加入了对话。", " ": "老师加入了对话。",
	} {
		if got := handoff.JoinedLine(name); got != want {
			t.Errorf("JoinedLine(%q) = %q, want %q", name, got, want)
		}
	}
}

func TestGracePeriod(t *testing.T) {
	eachEngine(t, func(t *testing.T, open func(tb testing.TB) xinqiao.Store) {
		f := newFixture(t, open)
		ctx := context.Background()
		a := f.staff(t, "a", xinqiao.RoleCounselor, true)
		h := f.open(t, f.conversation(t, "").ID, xinqiao.LevelHigh).Handoff
		f.svc.ConsoleConnected(ctx, a.ID)
		if _, err := f.svc.Claim(ctx, a, h.ID); err != nil {
			t.Fatal(err)
		}
		// Away and back within the grace period: still theirs.
		f.svc.ConsoleDisconnected(ctx, a.ID)
		f.clock.Add(60 * time.Second)
		f.svc.ConsoleConnected(ctx, a.ID)
		f.clock.Add(60 * time.Second)
		f.svc.Tick(ctx)
		if got, _ := f.store.Handoff(ctx, h.ID); got.State != xinqiao.HandoffActive || got.Counselor != a.ID {
			t.Fatalf("got %+v, want it still a's", got)
		}
		// Away past the grace period: back in the queue, with an alert and the ladder again.
		f.svc.ConsoleDisconnected(ctx, a.ID)
		f.clock.Add(89 * time.Second)
		if n, _ := f.svc.Tick(ctx); n != 0 {
			t.Fatalf("got %d timers at 89 s, want 0", n)
		}
		f.clock.Add(time.Second)
		if n, _ := f.svc.Tick(ctx); n != 1 {
			t.Fatalf("got %d timers at 90 s, want 1", n)
		}
		got, _ := f.store.Handoff(ctx, h.ID)
		if got.State != xinqiao.HandoffWaiting || got.Counselor != "" {
			t.Fatalf("got %+v, want it waiting again", got)
		}
		f.drain(t)
		as, _ := f.store.AlertAttempts(ctx, h.ID, 100)
		released := 0
		for _, a := range as {
			if a.Event == handoff.EventReleased {
				released++
			}
		}
		if released != 1 {
			t.Fatalf("got %d released alerts in %+v, want 1", released, as)
		}
		ts, _ := f.store.Timers(ctx, h.ID)
		if n := len(ts); n < 2 || ts[n-1].Kind != xinqiao.TimerLadder {
			t.Fatalf("got timers %+v, want the ladder scheduled again", ts)
		}
	})
}

func TestCases(t *testing.T) {
	eachEngine(t, func(t *testing.T, open func(tb testing.TB) xinqiao.Store) {
		f := newFixture(t, open)
		ctx := context.Background()
		if err := f.store.UpsertTerminal(ctx, xinqiao.Terminal{Code: "T1", School: "一中", Place: "走廊"}); err != nil {
			t.Fatal(err)
		}
		if err := f.store.UpsertTerminal(ctx, xinqiao.Terminal{Code: "T2", School: "二中", Place: "图书馆"}); err != nil {
			t.Fatal(err)
		}
		f.staff(t, "duty", xinqiao.RoleSupervisor, true) // someone on duty: no next-school-day follow-ups
		c1 := f.conversation(t, "T1")
		c2 := f.conversation(t, "T2")
		h1 := f.open(t, c1.ID, xinqiao.LevelImminent).Handoff
		h2 := f.open(t, c2.ID, xinqiao.LevelHigh).Handoff
		one := storetest.NewStaff(t, f.store, "yi", xinqiao.RoleCounselor)
		if _, err := f.store.CreateStaff(ctx, xinqiao.Staff{Username: "er", DisplayName: "二中老师", Role: xinqiao.RoleCounselor, School: "二中", PasswordHash: "x"}); err != nil {
			t.Fatal(err)
		}
		er, _ := f.store.StaffByUsername(ctx, "er")
		sup := storetest.NewStaff(t, f.store, "sup", xinqiao.RoleSupervisor)
		if q, _ := f.svc.Queue(ctx, er); len(q) != 1 || q[0].ID != h2.ID {
			t.Fatalf("got %d handoffs in 二中's queue, want only its own", len(q))
		}
		if q, _ := f.svc.Queue(ctx, one); len(q) != 2 || q[0].ID != h1.ID {
			t.Fatalf("got %+v, want both, imminent first", q)
		}
		if _, err := f.svc.Claim(ctx, er, h1.ID); xinqiao.ErrorCode(err) != xinqiao.ENOTFOUND {
			t.Fatalf("got %v, want not found for another school's handoff", err)
		}
		if _, err := f.svc.AddNote(ctx, one, h1.CaseID, h1.ID, "  已电话联系家长  "); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.AddReferral(ctx, one, h1.CaseID, h1.ID, xinqiao.ReferralHospital, "市精神卫生中心绿色通道"); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.AddReferral(ctx, one, h1.CaseID, "", "magic", ""); xinqiao.ErrorCode(err) != xinqiao.EINVALID {
			t.Fatalf("got %v, want invalid kind", err)
		}
		if _, err := f.svc.AddFollowUp(ctx, one, h1.CaseID, "三天后回访", t0.Add(72*time.Hour), ""); err != nil {
			t.Fatal(err)
		}
		v, err := f.svc.CaseView(ctx, one, h1.CaseID)
		if err != nil || len(v.Notes) != 1 || v.Notes[0].Text != "已电话联系家长" || len(v.Referrals) != 1 || len(v.FollowUps) != 1 || len(v.Handoffs) != 1 {
			t.Fatalf("got %+v, %v", v, err)
		}
		if _, err := f.svc.CaseView(ctx, er, h1.CaseID); xinqiao.ErrorCode(err) != xinqiao.ENOTFOUND {
			t.Fatalf("got %v, want another school's case hidden", err)
		}
		if _, err := f.svc.Cases(ctx, one, xinqiao.CaseFilter{}); xinqiao.ErrorCode(err) != xinqiao.EFORBIDDEN {
			t.Fatalf("got %v, want forbidden for a counselor", err)
		}
		cs, err := f.svc.Cases(ctx, sup, xinqiao.CaseFilter{OverdueAt: t0.Add(100 * time.Hour)})
		if err != nil || len(cs) != 1 || cs[0].ID != h1.CaseID {
			t.Fatalf("got %+v, %v; want the case with the overdue follow-up", cs, err)
		}
		if c, err := f.svc.UpdateCase(ctx, one, h1.CaseID, "小林", xinqiao.CaseClosed); err != nil || c.Subject != "小林" || c.Status != xinqiao.CaseClosed {
			t.Fatalf("got %+v, %v", c, err)
		}
	})
}

func TestBrief(t *testing.T) {
	now := t0.Add(10 * time.Minute)
	long := strings.Repeat("今天", 100) + "我不想活了" + strings.Repeat("真的", 50)
	start := len([]rune(strings.Repeat("今天", 100)))
	msgs := []xinqiao.Message{
		{Seq: 1, Role: xinqiao.RoleStudent, Text: "你好", CreatedAt: t0},
		{Seq: 2, Role: xinqiao.RoleAssistant, Text: "你好呀", CreatedAt: t0},
		{Seq: 3, Role: xinqiao.RoleStudent, Text: long, CreatedAt: t0.Add(time.Minute),
			Risk: &xinqiao.RiskMark{Level: "imminent", Categories: []string{"suicide"}, Rules: []string{"zh.suicide.intent"},
				Spans: []xinqiao.Span{{Start: start, End: start + 5}}}},
	}
	b := handoff.MakeBrief(msgs, now)
	if b.Messages != 2 || len(b.Flagged) != 1 || len(b.Rules) != 1 {
		t.Fatalf("got %+v", b)
	}
	if ex := b.Flagged[0].Excerpt; !strings.Contains(ex, "我不想活了") || len([]rune(ex)) > 122 {
		t.Fatalf("got excerpt %q, want the matched words within 120 characters", ex)
	}
	if !strings.Contains(b.Summary, "2 条消息") || !strings.Contains(b.Summary, "自杀") {
		t.Fatalf("got summary %q", b.Summary)
	}
}

func TestNextSchoolDay(t *testing.T) {
	cst := time.FixedZone("CST", 8*3600)
	tests := []struct {
		name string
		at   time.Time
		want time.Time
	}{
		{"friday night", time.Date(2026, 3, 6, 22, 0, 0, 0, cst), time.Date(2026, 3, 9, 8, 0, 0, 0, cst)},
		{"saturday", time.Date(2026, 3, 7, 10, 0, 0, 0, cst), time.Date(2026, 3, 9, 8, 0, 0, 0, cst)},
		{"monday 1am", time.Date(2026, 3, 9, 1, 0, 0, 0, cst), time.Date(2026, 3, 10, 8, 0, 0, 0, cst)},
		{"tuesday evening in UTC", time.Date(2026, 3, 10, 14, 0, 0, 0, time.UTC), time.Date(2026, 3, 11, 8, 0, 0, 0, cst)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := handoff.NextSchoolDay(tt.at); !got.Equal(tt.want) {
				t.Fatalf("got %v, want %v", got.In(cst), tt.want)
			}
		})
	}
}

func TestParseTargets(t *testing.T) {
	tests := []struct {
		name, in string
		n        int
		err      bool
	}{
		{"empty", "", 0, false},
		{"one", `[{"name":"d","kind":"robot","url":"https://oapi.dingtalk.com/robot/send?access_token=x","secret":"s"}]`, 1, false},
		{"bad kind", `[{"kind":"fax","url":"https://x"}]`, 0, true},
		{"bad url", `[{"kind":"webhook","url":"ftp://x"}]`, 0, true},
		{"not json", `robot`, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts, err := handoff.ParseTargets(tt.in)
			if (err != nil) != tt.err || len(ts) != tt.n {
				t.Fatalf("got %d targets, %v; want %d, error %v", len(ts), err, tt.n, tt.err)
			}
			for _, tg := range ts {
				if strings.Contains(tg.String(), "access_token") || strings.Contains(tg.String(), tg.Secret) {
					t.Fatalf("got %q, want the secret and key masked", tg.String())
				}
			}
		})
	}
	if got := handoff.TargetFromURL("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k", ""); got.Kind != handoff.KindRobot {
		t.Fatalf("got kind %s for a WeCom URL, want robot", got.Kind)
	}
	if got := handoff.TargetFromURL("https://ops.example.edu.cn/hook", ""); got.Kind != handoff.KindWebhook {
		t.Fatalf("got kind %s, want webhook", got.Kind)
	}
}

// TestTransferToAnAbsentCounselor: a handoff transferred to a counselor
// who has no console open anywhere is theirs for the grace period only,
// as if their console had just closed: if they never come, it goes back
// to the queue instead of staying with nobody, its student waiting for a
// teacher who was never there. A disabled account cannot be given one.
func TestTransferToAnAbsentCounselor(t *testing.T) {
	eachEngine(t, func(t *testing.T, open func(tb testing.TB) xinqiao.Store) {
		f := newFixture(t, open)
		ctx := context.Background()
		a := f.staff(t, "a", xinqiao.RoleCounselor, true)
		b := f.staff(t, "b", xinqiao.RoleCounselor, false) // never opened a console
		off := f.staff(t, "off", xinqiao.RoleCounselor, false)
		disabled := true
		if _, err := f.store.UpdateStaff(ctx, off.ID, xinqiao.StaffUpdate{Disabled: &disabled}); err != nil {
			t.Fatal(err)
		}
		h := f.open(t, f.conversation(t, "").ID, xinqiao.LevelHigh).Handoff
		f.svc.ConsoleConnected(ctx, a.ID)
		if _, err := f.svc.Claim(ctx, a, h.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Transfer(ctx, a, h.ID, off.ID); xinqiao.ErrorCode(err) != xinqiao.EINVALID {
			t.Fatalf("transfer to a disabled account: got %v, want invalid", err)
		}
		if got, err := f.svc.Transfer(ctx, a, h.ID, b.ID); err != nil || got.Counselor != b.ID {
			t.Fatalf("transfer: got %+v, %v", got, err)
		}
		f.clock.Add(f.svc.Config().Grace)
		if _, err := f.svc.Tick(ctx); err != nil {
			t.Fatal(err)
		}
		if got, _ := f.store.Handoff(ctx, h.ID); got.State != xinqiao.HandoffWaiting || got.Counselor != "" {
			t.Fatalf("a grace period after the transfer to an absent counselor: got %+v, want it back in the queue", got)
		}
	})
}

// TestQueueOfASchoolIsNotCutByOtherSchools: the queue is read up to a
// bound, and the bound applies to what the counselor may see: a district
// whose other school has more open reviews than the bound still shows a
// counselor of this school the student of theirs who asked for a teacher.
func TestQueueOfASchoolIsNotCutByOtherSchools(t *testing.T) {
	eachEngine(t, func(t *testing.T, open func(tb testing.TB) xinqiao.Store) {
		f := newFixture(t, open)
		ctx := context.Background()
		for _, tm := range []xinqiao.Terminal{{Code: "A1", School: "一中", Place: "走廊"}, {Code: "B1", School: "二中", Place: "图书馆"}} {
			if err := f.store.UpsertTerminal(ctx, tm); err != nil {
				t.Fatal(err)
			}
		}
		for i := range 501 {
			c := f.conversation(t, "A1")
			if _, _, _, err := f.store.OpenHandoff(ctx, xinqiao.NewHandoff{ConversationID: c.ID, Kind: xinqiao.KindReview,
				Level: xinqiao.LevelMedium, Categories: []string{"bullying"}, MessageSeq: 1, At: t0.Add(time.Duration(i) * time.Second)}); err != nil {
				t.Fatal(err)
			}
		}
		asked := f.conversation(t, "B1")
		r, err := f.svc.Open(ctx, handoff.OpenRequest{ConversationID: asked.ID, Kind: xinqiao.KindRequested,
			Level: xinqiao.LevelNone, Rules: []string{"student.ask_counselor"}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.store.CreateStaff(ctx, xinqiao.Staff{Username: "er", DisplayName: "二中老师", Role: xinqiao.RoleCounselor, School: "二中", PasswordHash: "x"}); err != nil {
			t.Fatal(err)
		}
		er, err := f.store.StaffByUsername(ctx, "er")
		if err != nil {
			t.Fatal(err)
		}
		q, err := f.svc.Queue(ctx, er)
		if err != nil {
			t.Fatal(err)
		}
		if len(q) != 1 || q[0].ID != r.Handoff.ID {
			t.Fatalf("二中's queue: got %d handoffs, want just its own request", len(q))
		}
	})
}
