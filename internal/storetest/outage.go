package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"xinqiao/internal/xinqiao"
)

// Outage wraps a real store so that a test can take the database away under
// a running node and bring it back. While it is down, every call the student
// pipeline makes (conversations, messages, turns, events, opening a handoff)
// and a counselor's queue, claim and reads of one handoff (Handoffs,
// ClaimHandoff, Handoff) fail as a lost connection does in the real stores
// (EUNAVAILABLE); everything else passes through. A test that needs a row
// written or an event published while it is down calls the wrapped Store.
type Outage struct {
	xinqiao.Store
	down atomic.Bool
}

// NewOutage wraps s, up.
func NewOutage(s xinqiao.Store) *Outage { return &Outage{Store: s} }

// Down takes the database away.
func (o *Outage) Down() { o.down.Store(true) }

// Up brings it back.
func (o *Outage) Up() { o.down.Store(false) }

// errOutage is what every call returns while the database is away: the
// stores' unavailable error with a lost connection as its cause.
var errOutage = fmt.Errorf("%w: %w",
	xinqiao.Errorf(xinqiao.EUNAVAILABLE, "the database cannot be reached just now; try again in a moment"),
	errors.New("connection refused (outage injected by the test)"))

func (o *Outage) fail() error {
	if o.down.Load() {
		return errOutage
	}
	return nil
}

// Conversation implements xinqiao.ConversationStore.
func (o *Outage) Conversation(ctx context.Context, id string) (xinqiao.Conversation, error) {
	if err := o.fail(); err != nil {
		return xinqiao.Conversation{}, err
	}
	return o.Store.Conversation(ctx, id)
}

// StudentSession implements xinqiao.ConversationStore.
func (o *Outage) StudentSession(ctx context.Context, tokenHash string) (xinqiao.StudentSession, error) {
	if err := o.fail(); err != nil {
		return xinqiao.StudentSession{}, err
	}
	return o.Store.StudentSession(ctx, tokenHash)
}

// AppendMessage implements xinqiao.ConversationStore.
func (o *Outage) AppendMessage(ctx context.Context, m xinqiao.NewMessage) (xinqiao.Message, bool, error) {
	if err := o.fail(); err != nil {
		return xinqiao.Message{}, false, err
	}
	return o.Store.AppendMessage(ctx, m)
}

// AppendStudentMessage implements xinqiao.ConversationStore.
func (o *Outage) AppendStudentMessage(ctx context.Context, m xinqiao.NewMessage, t xinqiao.NewTurn) (xinqiao.Message, *xinqiao.PendingTurn, bool, error) {
	if err := o.fail(); err != nil {
		return xinqiao.Message{}, nil, false, err
	}
	return o.Store.AppendStudentMessage(ctx, m, t)
}

// Messages implements xinqiao.ConversationStore.
func (o *Outage) Messages(ctx context.Context, conversationID string, afterSeq int64, limit int) ([]xinqiao.Message, error) {
	if err := o.fail(); err != nil {
		return nil, err
	}
	return o.Store.Messages(ctx, conversationID, afterSeq, limit)
}

// SetRisk implements xinqiao.ConversationStore.
func (o *Outage) SetRisk(ctx context.Context, conversationID, level string, state json.RawMessage) error {
	if err := o.fail(); err != nil {
		return err
	}
	return o.Store.SetRisk(ctx, conversationID, level, state)
}

// ClaimStaleTurns implements xinqiao.ConversationStore.
func (o *Outage) ClaimStaleTurns(ctx context.Context, now, leaseUntil time.Time, limit int) ([]xinqiao.PendingTurn, error) {
	if err := o.fail(); err != nil {
		return nil, err
	}
	return o.Store.ClaimStaleTurns(ctx, now, leaseUntil, limit)
}

// ClaimTurn implements xinqiao.ConversationStore.
func (o *Outage) ClaimTurn(ctx context.Context, conversationID string, seq int64, now, leaseUntil time.Time) (xinqiao.PendingTurn, bool, error) {
	if err := o.fail(); err != nil {
		return xinqiao.PendingTurn{}, false, err
	}
	return o.Store.ClaimTurn(ctx, conversationID, seq, now, leaseUntil)
}

// ReleaseTurn implements xinqiao.ConversationStore.
func (o *Outage) ReleaseTurn(ctx context.Context, conversationID string, seq int64, now time.Time) error {
	if err := o.fail(); err != nil {
		return err
	}
	return o.Store.ReleaseTurn(ctx, conversationID, seq, now)
}

// RenewTurns implements xinqiao.ConversationStore.
func (o *Outage) RenewTurns(ctx context.Context, conversationID string, seqs []int64, leaseUntil time.Time) error {
	if err := o.fail(); err != nil {
		return err
	}
	return o.Store.RenewTurns(ctx, conversationID, seqs, leaseUntil)
}

// CompleteTurn implements xinqiao.ConversationStore.
func (o *Outage) CompleteTurn(ctx context.Context, conversationID string, seq int64) (bool, error) {
	if err := o.fail(); err != nil {
		return false, err
	}
	return o.Store.CompleteTurn(ctx, conversationID, seq)
}

// OpenHandoff implements xinqiao.HandoffStore.
func (o *Outage) OpenHandoff(ctx context.Context, nh xinqiao.NewHandoff) (xinqiao.Handoff, bool, bool, error) {
	if err := o.fail(); err != nil {
		return xinqiao.Handoff{}, false, false, err
	}
	return o.Store.OpenHandoff(ctx, nh)
}

// Publish implements xinqiao.Broker.
func (o *Outage) Publish(ctx context.Context, e xinqiao.Event) error {
	if err := o.fail(); err != nil {
		return err
	}
	return o.Store.Publish(ctx, e)
}

// Handoffs implements xinqiao.HandoffStore.
func (o *Outage) Handoffs(ctx context.Context, f xinqiao.HandoffFilter) ([]xinqiao.Handoff, error) {
	if err := o.fail(); err != nil {
		return nil, err
	}
	return o.Store.Handoffs(ctx, f)
}

// ClaimHandoff implements xinqiao.HandoffStore.
func (o *Outage) ClaimHandoff(ctx context.Context, id, staffID string, at time.Time) (xinqiao.Handoff, error) {
	if err := o.fail(); err != nil {
		return xinqiao.Handoff{}, err
	}
	return o.Store.ClaimHandoff(ctx, id, staffID, at)
}

// Handoff implements xinqiao.HandoffStore.
func (o *Outage) Handoff(ctx context.Context, id string) (xinqiao.Handoff, error) {
	if err := o.fail(); err != nil {
		return xinqiao.Handoff{}, err
	}
	return o.Store.Handoff(ctx, id)
}
