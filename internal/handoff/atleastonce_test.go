package handoff_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"xinqiao/internal/handoff"
	"xinqiao/internal/storetest"
	"xinqiao/internal/xinqiao"
)

// escalations returns the steps of the escalation alerts the webhook got
// for a handoff, in the order it got them.
func (k *sink) escalations(handoffID string) []int {
	var steps []int
	for _, b := range k.got() {
		if b["event"] == handoff.EventEscalation && b["handoff_id"] == handoffID {
			step, _ := b["step"].(float64)
			steps = append(steps, int(step))
		}
	}
	return steps
}

// firedSteps returns the ladder steps of a handoff its store marks fired.
func firedSteps(t *testing.T, s xinqiao.Store, handoffID string) []int {
	t.Helper()
	ts, err := s.Timers(context.Background(), handoffID)
	if err != nil {
		t.Fatal(err)
	}
	var steps []int
	for _, tm := range ts {
		if tm.Kind == xinqiao.TimerLadder && tm.FiredAt != nil {
			steps = append(steps, tm.Step)
		}
	}
	return steps
}

// TestLadderStepSurvivesAStoreError: the database goes away as a node
// takes a due step, so the node cannot read the handoff to alert anyone.
// The step must not be used up: once the database is back and the step's
// lease has lapsed, the next tick alerts the on-duty counselors.
func TestLadderStepSurvivesAStoreError(t *testing.T) {
	eachEngine(t, func(t *testing.T, open func(tb testing.TB) xinqiao.Store) {
		var out *storetest.Outage
		f := newFixture(t, func(tb testing.TB) xinqiao.Store {
			out = storetest.NewOutage(open(tb))
			return out
		})
		ctx := context.Background()
		f.staff(t, "on", xinqiao.RoleCounselor, true)
		h := f.open(t, f.conversation(t, "").ID, xinqiao.LevelImminent).Handoff
		f.drain(t)
		f.clock.Set(t0.Add(60 * time.Second))
		out.Down()
		if n, _ := f.svc.Tick(ctx); n != 1 {
			t.Fatalf("got %d timers taken at 60 s, want the first step", n)
		}
		out.Up()
		f.drain(t)
		if got := f.hook.escalations(h.ID); len(got) != 0 {
			t.Fatalf("escalations during the outage: %v, want none (the handoff could not be read)", got)
		}
		if got := firedSteps(t, f.store, h.ID); len(got) != 0 {
			t.Fatalf("steps marked fired during the outage: %v, want none", got)
		}
		f.clock.Set(t0.Add(61 * time.Second))
		if n, _ := f.svc.Tick(ctx); n != 0 {
			t.Fatalf("got %d timers taken while the lease holds, want 0", n)
		}
		f.clock.Set(t0.Add(150 * time.Second)) // past the lease, before the on-call step
		if n, _ := f.svc.Tick(ctx); n != 1 {
			t.Fatalf("got %d timers taken after the lease lapsed, want the first step again", n)
		}
		f.drain(t)
		if got := f.hook.escalations(h.ID); len(got) != 1 || got[0] != 1 {
			t.Fatalf("escalations after the outage: %v, want step 1", got)
		}
		if got := firedSteps(t, f.store, h.ID); len(got) != 1 || got[0] != 1 {
			t.Fatalf("steps marked fired: %v, want step 1", got)
		}
		f.clock.Set(t0.Add(170 * time.Second))
		if n, _ := f.svc.Tick(ctx); n != 0 {
			t.Fatalf("got %d timers taken after the step was done, want 0", n)
		}
	})
}

// TestLadderStepOfADeadNode: a node takes the on-call step and is killed
// (-9) before it alerts anyone. Another node (or this one restarted) takes
// the step once its lease lapses and pages the district on-call.
func TestLadderStepOfADeadNode(t *testing.T) {
	eachEngine(t, func(t *testing.T, open func(tb testing.TB) xinqiao.Store) {
		f := newFixture(t, open)
		ctx := context.Background()
		f.staff(t, "on", xinqiao.RoleCounselor, true)
		h := f.open(t, f.conversation(t, "").ID, xinqiao.LevelImminent).Handoff
		f.clock.Set(t0.Add(60 * time.Second))
		if n, _ := f.svc.Tick(ctx); n != 1 {
			t.Fatalf("got %d timers at 60 s, want the first step", n)
		}
		f.drain(t)
		// The dead node: it takes the on-call step and never acts on it.
		at := t0.Add(180 * time.Second)
		taken, err := f.store.TakeDueTimers(ctx, at, at.Add(time.Minute), 100)
		if err != nil || len(taken) != 1 || taken[0].Action != handoff.ActionOnCall {
			t.Fatalf("dead node took %+v, %v; want the on-call step", taken, err)
		}
		f.clock.Set(at.Add(30 * time.Second))
		if n, _ := f.svc.Tick(ctx); n != 0 {
			t.Fatalf("got %d timers while the dead node's lease holds, want 0", n)
		}
		f.clock.Set(at.Add(time.Minute))
		if n, _ := f.svc.Tick(ctx); n != 1 {
			t.Fatalf("got %d timers after the dead node's lease lapsed, want the on-call step", n)
		}
		f.drain(t)
		if got := f.hook.escalations(h.ID); len(got) != 2 || got[1] != 2 {
			t.Fatalf("escalations: %v, want steps 1 and 2", got)
		}
		if got := f.robot.got(); len(got) != 1 {
			t.Fatalf("district on-call robot got %d alerts, want the on-call step once", len(got))
		}
		if got := firedSteps(t, f.store, h.ID); len(got) != 2 {
			t.Fatalf("steps marked fired: %v, want both", got)
		}
	})
}

// failRelease wraps a store whose next ReleaseHandoff fails as a lost
// connection does, once armed.
type failRelease struct {
	xinqiao.Store
	armed atomic.Bool
}

// ReleaseHandoff implements xinqiao.HandoffStore.
func (r *failRelease) ReleaseHandoff(ctx context.Context, id, staffID string, at time.Time, ladder []xinqiao.LadderStep) (xinqiao.Handoff, error) {
	if r.armed.Swap(false) {
		return xinqiao.Handoff{}, errors.New("connection reset by peer (injected by the test)")
	}
	return r.Store.ReleaseHandoff(ctx, id, staffID, at, ladder)
}

// TestGraceReleaseSurvivesAStoreError: the grace period of a counselor
// whose console went away ends, and the release back to the queue fails
// on a store error. The grace timer must not be used up, leaving the
// student with a counselor who is not there: the release is tried again
// once the lease lapses.
func TestGraceReleaseSurvivesAStoreError(t *testing.T) {
	eachEngine(t, func(t *testing.T, open func(tb testing.TB) xinqiao.Store) {
		var fr *failRelease
		f := newFixture(t, func(tb testing.TB) xinqiao.Store {
			fr = &failRelease{Store: open(tb)}
			return fr
		})
		ctx := context.Background()
		a := f.staff(t, "a", xinqiao.RoleCounselor, true)
		h := f.open(t, f.conversation(t, "").ID, xinqiao.LevelHigh).Handoff
		f.svc.ConsoleConnected(ctx, a.ID)
		if _, err := f.svc.Claim(ctx, a, h.ID); err != nil {
			t.Fatal(err)
		}
		f.svc.ConsoleDisconnected(ctx, a.ID)
		f.clock.Add(90 * time.Second)
		fr.armed.Store(true)
		if n, _ := f.svc.Tick(ctx); n != 1 {
			t.Fatalf("got %d timers at the end of the grace period, want 1", n)
		}
		if got, _ := f.store.Handoff(ctx, h.ID); got.State != xinqiao.HandoffActive {
			t.Fatalf("after the failed release: %+v, want it still active (the store refused)", got)
		}
		f.clock.Add(time.Minute)
		if n, _ := f.svc.Tick(ctx); n != 1 {
			t.Fatalf("got %d timers after the lease lapsed, want the grace timer again", n)
		}
		if got, _ := f.store.Handoff(ctx, h.ID); got.State != xinqiao.HandoffWaiting || got.Counselor != "" {
			t.Fatalf("after the retried release: %+v, want it back in the queue", got)
		}
	})
}
