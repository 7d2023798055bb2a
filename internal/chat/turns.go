package chat

import (
	"context"
	"slices"
	"time"

	"xinqiao/internal/risk"
	"xinqiao/internal/xinqiao"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// An ack promises the whole turn. The student's message and its pending
// turn (escalate or answer) commit in one transaction; the node that
// appended the message holds the turn under a lease and marks it done when
// the handoff is open or the answer is stored, renewing the lease while it
// works (an answer may wait for a slot and stream for longer than a lease).
// A node that dies in between leaves the row, and any node's sweep (at
// start, then every turnSweep) takes it once the lease has ended and
// finishes it. The turns of messages merged into one answer are taken
// together and answered once.
const (
	escalateLease = 20 * time.Second // opening a handoff takes at most a few seconds
	answerLease   = 2 * time.Minute  // an answer may queue behind others and stream for up to 45 s
	turnSweep     = 10 * time.Second
	// A turn taken this many times, or left pending this long, gets an
	// apology instead of a late answer out of its context.
	maxTurnAttempts = 3
	lateTurn        = 30 * time.Minute
	sweepBatch      = 50
	recoverRound    = 100 * sweepBatch // stale turns taken before they are grouped and finished
)

var turnsRecovered = promauto.NewCounterVec(prometheus.CounterOpts{
	Name: "xinqiao_chat_turns_recovered_total", Help: "Pending turns a node finished after the node that acked them stopped, by kind and outcome.",
}, []string{"kind", "outcome"})

// turnKey names a pending turn on this node.
type turnKey struct {
	conv string
	seq  int64
}

// hold records that this node is working on a turn leased until lease, so
// its own sweep leaves it alone and renews its lease before it ends. It
// reports false when the turn was held already.
func (s *Service) hold(conv string, seq int64, lease time.Time) bool {
	s.heldMu.Lock()
	defer s.heldMu.Unlock()
	k := turnKey{conv, seq}
	if _, ok := s.held[k]; ok {
		return false
	}
	s.held[k] = lease
	return true
}

func (s *Service) release(conv string, seq int64) {
	s.heldMu.Lock()
	delete(s.held, turnKey{conv, seq})
	s.heldMu.Unlock()
}

// releaseTurn releases every message of a turn.
func (s *Service) releaseTurn(t *turn) {
	for _, p := range t.parts {
		s.release(t.conv.ID, p.seq)
	}
}

// renewLeases moves the lease of every turn this node holds that would end
// within half a lease to a full lease from now, so that no other node's
// sweep takes a turn still being answered here (and answers it twice).
// Run's sweep calls it every turnSweep, well inside a lease.
func (s *Service) renewLeases(ctx context.Context) {
	now := s.d.Now()
	until := now.Add(answerLease)
	due := map[string][]int64{}
	s.heldMu.Lock()
	for k, lease := range s.held {
		if lease.Sub(now) < answerLease/2 {
			due[k.conv] = append(due[k.conv], k.seq)
		}
	}
	s.heldMu.Unlock()
	for conv, seqs := range due {
		if err := s.d.Store.RenewTurns(ctx, conv, seqs, until); err != nil {
			storeFailures.WithLabelValues("turn").Inc()
			s.d.Log.Warn("renew turn leases failed; the next sweep tries again", "conversation", conv, "err", err)
			continue
		}
		s.heldMu.Lock()
		for _, seq := range seqs {
			if _, ok := s.held[turnKey{conv, seq}]; ok {
				s.held[turnKey{conv, seq}] = until
			}
		}
		s.heldMu.Unlock()
	}
}

func (s *Service) holds(conv string, seq int64) bool {
	s.heldMu.Lock()
	defer s.heldMu.Unlock()
	_, ok := s.held[turnKey{conv, seq}]
	return ok
}

// complete marks a turn done. A failure is logged: the turn stays pending
// and a later sweep finishes it again (opening a handoff twice opens one).
func (s *Service) complete(ctx context.Context, conv string, seq int64) {
	if _, err := s.d.Store.CompleteTurn(ctx, conv, seq); err != nil {
		storeFailures.WithLabelValues("turn").Inc()
		s.d.Log.Warn("mark turn done failed; it will be finished again", "conversation", conv, "seq", seq, "err", err)
	}
}

// finish marks every message's turn of an AI turn done.
func (s *Service) finish(ctx context.Context, t *turn) {
	for _, p := range t.parts {
		s.complete(ctx, t.conv.ID, p.seq)
	}
}

// handOverTurn hands over every message's turn of an AI turn.
func (s *Service) handOverTurn(t *turn) {
	for _, p := range t.parts {
		s.handOver(t.conv.ID, p.seq)
	}
}

// handOver ends this node's lease on a turn it could not finish because it
// is stopping, so the next sweep of any node (a peer, or this node once
// restarted) takes it at once.
func (s *Service) handOver(conv string, seq int64) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := s.d.Store.ReleaseTurn(ctx, conv, seq, s.d.Now()); err != nil {
		s.d.Log.Warn("hand over turn failed; it waits out its lease", "conversation", conv, "seq", seq, "err", err)
	}
}

// escalateTurn shows the crisis card, opens the handoff and marks the
// message's turn done once the handoff is open; a handoff that could not
// open leaves the turn pending for the next sweep.
func (s *Service) escalateTurn(r *room, conv xinqiao.Conversation, level, shown risk.Level, res risk.Result, seq int64) {
	if !s.hold(conv.ID, seq, s.d.Now().Add(escalateLease)) {
		return // this node is opening it already
	}
	defer s.release(conv.ID, seq)
	if s.escalate(r, conv, level, shown, res, seq) {
		s.complete(s.ctx, conv.ID, seq)
	}
}

// Run finishes the turns other nodes (or this node before a restart) left
// pending: once at start, then every turnSweep, until ctx ends. It returns
// once the answers being written have stopped and their turns are handed
// over (ctx should be the node's lifetime, which stops them).
func (s *Service) Run(ctx context.Context) {
	defer s.writing.Wait()
	sweep := func() {
		if _, err := s.RecoverTurns(ctx); err != nil && ctx.Err() == nil {
			s.d.Log.Warn("finish pending turns", "err", err)
		}
	}
	sweep()
	t := time.NewTicker(turnSweep)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			sweep()
		}
	}
}

// RecoverTurns first renews the leases of the turns this node is working
// on, then takes every pending turn whose lease has ended by the service's
// clock and finishes it: the handoff opens, or the answer (or an apology)
// is stored and sent, one answer for a conversation's answer turns taken
// together. It returns how many turns it took. Run calls it; tests call it
// after moving their clock.
func (s *Service) RecoverTurns(ctx context.Context) (int, error) {
	s.renewLeases(ctx)
	n := 0
	for {
		// Take every stale turn (up to recoverRound) before answering any, so
		// that a conversation's turns claimed in different batches still get
		// one answer.
		var ts []xinqiao.PendingTurn
		more := true
		for more && len(ts) < recoverRound {
			now := s.d.Now()
			batch, err := s.d.Store.ClaimStaleTurns(ctx, now, now.Add(answerLease), sweepBatch)
			if err != nil {
				s.recoverAll(ctx, ts)
				return n + len(ts), err
			}
			ts = append(ts, batch...)
			more = len(batch) == sweepBatch
		}
		s.recoverAll(ctx, ts)
		n += len(ts)
		if !more {
			return n, nil
		}
	}
}

// recoverAll finishes leased turns conversation by conversation, in the
// order each conversation's oldest turn was taken.
func (s *Service) recoverAll(ctx context.Context, ts []xinqiao.PendingTurn) {
	var order []string
	byConv := map[string][]xinqiao.PendingTurn{}
	for _, t := range ts {
		if byConv[t.ConversationID] == nil {
			order = append(order, t.ConversationID)
		}
		byConv[t.ConversationID] = append(byConv[t.ConversationID], t)
	}
	for _, id := range order {
		s.recoverTurns(ctx, id, byConv[id])
	}
}

// recoverTurns finishes the pending turns of one conversation this node
// has just leased, oldest first.
func (s *Service) recoverTurns(ctx context.Context, convID string, pts []xinqiao.PendingTurn) {
	pts = slices.DeleteFunc(pts, func(pt xinqiao.PendingTurn) bool {
		return s.holds(pt.ConversationID, pt.Seq) // this node is still on it; the claim only renewed its lease
	})
	if len(pts) == 0 {
		return
	}
	log := s.d.Log.With("conversation", convID)
	conv, err := s.d.Store.Conversation(ctx, convID)
	if xinqiao.ErrorCode(err) == xinqiao.ENOTFOUND {
		for _, pt := range pts {
			s.complete(ctx, convID, pt.Seq)
		}
		return
	} else if err != nil {
		log.Warn("finish pending turns: store unavailable; they stay pending", "err", err)
		return
	}
	r := s.hub.open(conv.ID)
	defer s.hub.dropIfIdle(r)
	var t *turn // the conversation's answer turns, merged into one answer
	late := false
	for _, pt := range pts {
		res := pendingResult(pt)
		switch pt.Kind {
		case xinqiao.TurnEscalate:
			log.Warn("opening the handoff of a risky message acked by a node that stopped", "seq", pt.Seq, "attempts", pt.Attempts)
			turnsRecovered.WithLabelValues(pt.Kind, "escalated").Inc()
			s.escalateTurn(r, conv, max(res.Level, risk.High), risk.None, res, pt.Seq)
		case xinqiao.TurnAnswer:
			if conv.Mode != xinqiao.ModeAI {
				turnsRecovered.WithLabelValues(pt.Kind, "counselor").Inc()
				s.complete(ctx, conv.ID, pt.Seq) // a counselor has the conversation
				continue
			}
			ms, err := s.d.Store.Messages(ctx, conv.ID, pt.Seq-1, 1)
			if err != nil {
				log.Warn("finish pending turn: store unavailable; it stays pending", "seq", pt.Seq, "err", err)
				continue
			}
			if len(ms) == 0 || ms[0].Seq != pt.Seq {
				s.complete(ctx, conv.ID, pt.Seq)
				continue
			}
			u := turn{parts: []part{{seq: pt.Seq, clientID: pt.ClientID, text: ms[0].Text}}, result: res, conv: conv, recovered: true}
			if res.Level == risk.Medium { // its review may not have opened before the node stopped
				var failed bool
				u.ask, failed = s.review(ctx, conv, ms[0].Text, res, decodeState(conv.RiskState), pt.Seq)
				// Not answered before its review is open: the next sweep tries
				// again. A review that keeps failing does not keep the student
				// waiting for ever: past maxTurnAttempts the late answer, an
				// apology, goes out.
				if failed && pt.Attempts <= maxTurnAttempts {
					s.handOver(conv.ID, pt.Seq)
					continue
				}
			}
			late = late || pt.Attempts > maxTurnAttempts || s.d.Now().Sub(pt.CreatedAt) > lateTurn
			if t == nil {
				t = &u
			} else {
				t.merge(u)
			}
		default:
			log.Warn("pending turn of an unknown kind left for a node that knows it", "seq", pt.Seq)
		}
	}
	if t == nil {
		return
	}
	if late {
		turnsRecovered.WithLabelValues(xinqiao.TurnAnswer, "apology").Add(float64(len(t.parts)))
		s.apologize(ctx, r, conv, t.seq(), t.covers())
		return
	}
	log.Info("answering messages acked by a node that stopped", "seq", t.seq(), "merged", len(t.parts)-1)
	turnsRecovered.WithLabelValues(xinqiao.TurnAnswer, "answered").Add(float64(len(t.parts)))
	lease := s.d.Now().Add(answerLease)
	t.parts = slices.DeleteFunc(t.parts, func(p part) bool { return !s.hold(conv.ID, p.seq, lease) })
	if len(t.parts) > 0 {
		s.enqueueTurn(r, *t)
	}
}

// pendingResult is the risk a pending turn was stored with.
func pendingResult(pt xinqiao.PendingTurn) risk.Result {
	level, err := risk.ParseLevel(pt.Level)
	if err != nil {
		level = risk.None
	}
	res := risk.Result{Level: level, Rules: pt.Rules}
	for _, c := range pt.Categories {
		res.Categories = append(res.Categories, risk.Category(c))
	}
	return res
}

// apologize stores and sends, in the conversation's language, an honest
// word that a message (seq, with those merged into its turn, covers) could
// not be answered, and marks their turns done.
func (s *Service) apologize(ctx context.Context, r *room, conv xinqiao.Conversation, seq int64, covers []int64) {
	m, _, err := s.d.Store.AppendMessage(ctx, xinqiao.NewMessage{ConversationID: conv.ID, Role: xinqiao.RoleSystem,
		Text: apologyText(conv.Lang), Completes: seq, Covers: covers})
	if xinqiao.ErrorCode(err) == xinqiao.ECONFLICT {
		return // another node finished it
	} else if err != nil {
		storeFailures.WithLabelValues("answer").Inc()
		s.d.Log.Warn("store apology failed; the turn stays pending", "conversation", conv.ID, "seq", seq, "err", err)
		return
	}
	s.hub.deliver(ctx, r, m)
	s.publishMessage(r, conv.ID, m.Seq)
}

func apologyText(lang string) string {
	if lang == "en" {
		return "Sorry, the service was interrupted and your message above was not answered. If you still need help, please send it again, or talk to your school psychology teacher."
	}
	return "抱歉，刚才服务中断了，上面这条消息没能得到回答。如果你还需要帮助，可以再发一次，或者去找学校的心理老师聊聊。"
}

// stopAI stops a room's AI work because the student left on purpose: the
// turns it drops are done, with nothing more to send.
func (s *Service) stopAI(r *room) {
	if t := r.stopAI(); t != nil {
		s.dequeued()
		s.finish(s.ctx, t)
		s.releaseTurn(t)
	}
}
