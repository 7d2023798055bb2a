package handoff

import (
	"context"
	"time"

	"xinqiao/internal/xinqiao"
)

// Run is the background loop of one node: every Tick it takes the due
// timers (each leased to one node at a time: SKIP LOCKED on PostgreSQL,
// the single writer on SQLite) and acts on them; every PresenceEvery it
// records the staff whose consoles this node holds. It returns when ctx
// ends.
func (s *Service) Run(ctx context.Context) {
	tick := time.NewTicker(s.cfg.Tick)
	defer tick.Stop()
	presence := time.NewTicker(s.cfg.PresenceEvery)
	defer presence.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			if _, err := s.Tick(ctx); err != nil && ctx.Err() == nil {
				s.log.Warn("handoff timers", "err", err)
			}
		case <-presence.C:
			if err := s.store.TouchPresence(ctx, s.localConsoles(), s.now()); err != nil && ctx.Err() == nil {
				s.log.Warn("record console presence", "err", err)
			}
		}
	}
}

// timerLease is how long a node holds a timer it took before another
// (or itself) may take it again: one full round of alert deliveries (every
// attempt timing out, every backoff waited) and two ticks. A step is done,
// and its timer marked fired, only when a target accepted its alert or it
// had nothing to do; a node that dies or fails before then leaves the
// lease to lapse, and the step fires again (at least once, never lost).
func (s *Service) timerLease() time.Duration {
	d := time.Duration(s.cfg.Attempts)*s.cfg.HTTPTimeout + 2*s.cfg.Tick
	wait := s.cfg.Backoff
	for i := 1; i < s.cfg.Attempts; i++ {
		d += wait
		wait = min(wait*2, s.cfg.MaxBackoff)
	}
	return d
}

// Tick acts on every timer due by the service's clock and returns how
// many it took. Run calls it; tests call it after moving their clock.
func (s *Service) Tick(ctx context.Context) (int, error) {
	n := 0
	for {
		now := s.now()
		ts, err := s.store.TakeDueTimers(ctx, now, now.Add(s.timerLease()), 100)
		if err != nil {
			return n, err
		}
		for _, t := range ts {
			s.fire(ctx, t)
		}
		n += len(ts)
		if len(ts) < 100 {
			return n, nil
		}
	}
}

// complete marks a timer's step done, so no node takes it again. A failure
// leaves its lease to lapse: the step fires once more, a duplicate alert
// rather than a lost one.
func (s *Service) complete(t xinqiao.Timer) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.store.CompleteTimer(ctx, t.ID, s.now()); err != nil {
		s.log.Warn("mark timer fired; it fires again when its lease lapses", "handoff", t.HandoffID, "timer", t.ID, "err", err)
	}
}

// fire acts on a taken timer and marks it fired once its step is done. A
// store error on the way leaves it unmarked: its lease lapses and the step
// is taken again, on this node or another.
func (s *Service) fire(ctx context.Context, t xinqiao.Timer) {
	h, err := s.store.Handoff(ctx, t.HandoffID)
	if xinqiao.ErrorCode(err) == xinqiao.ENOTFOUND {
		s.complete(t)
		return
	} else if err != nil {
		s.log.Warn("timer: read its handoff; it fires again when its lease lapses", "handoff", t.HandoffID, "timer", t.ID, "err", err)
		return
	}
	switch t.Kind {
	case xinqiao.TimerLadder:
		if h.State != xinqiao.HandoffWaiting {
			s.complete(t)
			return
		}
		onDuty, _ := s.OnDuty(ctx, h.School)
		escalations.WithLabelValues(t.Action).Inc()
		s.log.Warn("handoff unclaimed: escalating", "handoff", h.ID, "level", h.Level, "step", t.Step, "action", t.Action)
		h.Escalated = max(h.Escalated, t.Step)
		s.alertThen(s.alertFor(h, EventEscalation, t.Action, t.Step, onDuty), func(delivered bool) {
			if delivered {
				s.complete(t)
				return
			}
			s.log.Error("escalation not delivered to any target; it fires again when its lease lapses", "handoff", h.ID, "step", t.Step)
		})
		s.publish(ctx, xinqiao.Event{Kind: "handoff", ConversationID: h.ConversationID, HandoffID: h.ID})
	case xinqiao.TimerGrace:
		if h.State != xinqiao.HandoffActive || h.Counselor != t.StaffID {
			s.complete(t)
			return
		}
		if s.present(ctx, t.StaffID) {
			s.complete(t)
			return // back on a console, on this node or another
		}
		rel, err := s.store.ReleaseHandoff(ctx, h.ID, t.StaffID, s.now(), s.ladder(h.Kind, h.Level, s.now()))
		switch xinqiao.ErrorCode(err) {
		case "":
		case xinqiao.ECONFLICT, xinqiao.EFORBIDDEN, xinqiao.ENOTFOUND:
			s.log.Info("grace release did not apply", "handoff", h.ID, "err", err)
			s.complete(t)
			return
		default:
			s.log.Warn("grace release failed; it is tried again when its lease lapses", "handoff", h.ID, "err", err)
			return
		}
		// The release deleted this timer with the handoff's others, and
		// scheduled the ladder afresh: the released alert is best effort,
		// the new ladder is not.
		s.log.Warn("counselor away past the grace period: handoff back in the queue", "handoff", h.ID, "staff", t.StaffID)
		if rel.Kind != xinqiao.KindReview {
			s.system(ctx, rel.ConversationID, "老师的网络断开了，正在为你联系另一位老师。你也可以拨打页面热线栏里现在能接通的电话。")
		}
		s.publish(ctx, xinqiao.Event{Kind: "handoff", ConversationID: rel.ConversationID, HandoffID: rel.ID})
		onDuty, _ := s.OnDuty(ctx, rel.School)
		s.alert(s.alertFor(rel, EventReleased, AudienceReleased, 0, onDuty))
	default:
		s.complete(t)
	}
}

// present reports whether a staff member has a console now: on this node,
// or on another node that recorded presence recently.
func (s *Service) present(ctx context.Context, staffID string) bool {
	s.mu.Lock()
	n := s.consoles[staffID]
	s.mu.Unlock()
	if n > 0 {
		return true
	}
	seen, err := s.store.Presence(ctx, staffID)
	return err == nil && s.now().Sub(seen) < 2*s.cfg.PresenceEvery
}

func (s *Service) localConsoles() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := make([]string, 0, len(s.consoles))
	for id := range s.consoles {
		ids = append(ids, id)
	}
	return ids
}

// ConsoleConnected records that a staff member opened a console on this
// node: their grace timers are cancelled and their presence recorded.
func (s *Service) ConsoleConnected(ctx context.Context, staffID string) {
	s.mu.Lock()
	s.consoles[staffID]++
	s.mu.Unlock()
	if err := s.store.TouchPresence(ctx, []string{staffID}, s.now()); err != nil {
		s.log.Warn("record console presence", "staff", staffID, "err", err)
	}
	if err := s.store.CancelTimers(ctx, "", xinqiao.TimerGrace, staffID); err != nil {
		s.log.Warn("cancel grace timers", "staff", staffID, "err", err)
	}
}

// ConsoleDisconnected records that one of a staff member's consoles on this
// node closed. When it was the last, each active handoff they hold gets a
// grace timer: if they are not back in time, it returns to the queue.
func (s *Service) ConsoleDisconnected(ctx context.Context, staffID string) {
	s.mu.Lock()
	s.consoles[staffID]--
	last := s.consoles[staffID] <= 0
	if last {
		delete(s.consoles, staffID)
	}
	s.mu.Unlock()
	if !last {
		return
	}
	hs, err := s.store.Handoffs(ctx, xinqiao.HandoffFilter{States: []string{xinqiao.HandoffActive}, Counselor: staffID})
	if err != nil {
		s.log.Warn("list handoffs of a disconnected counselor", "staff", staffID, "err", err)
		return
	}
	due := s.now().Add(s.cfg.Grace)
	for _, h := range hs {
		if err := s.store.AddTimer(ctx, xinqiao.Timer{HandoffID: h.ID, Kind: xinqiao.TimerGrace, StaffID: staffID, Due: due}); err != nil {
			s.log.Warn("schedule grace timer", "handoff", h.ID, "err", err)
		}
	}
	if len(hs) > 0 {
		s.log.Info("counselor console closed mid-chat: grace period started", "staff", staffID, "handoffs", len(hs), "grace", s.cfg.Grace)
	}
}
