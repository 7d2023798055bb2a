package xinqiao

import (
	"context"
	"encoding/json"
	"time"
)

// Message roles.
const (
	RoleStudent   = "student"
	RoleAssistant = "assistant"
	RoleCounselor = "counselor"
	RoleSystem    = "system"
)

// Conversation modes: who answers the student now.
const (
	ModeAI      = "ai"      // the assistant answers
	ModeHandoff = "handoff" // a handoff is open: the AI is locked out
	ModeEnded   = "ended"   // closed; no more messages are accepted
)

// Grade bands of the knowledge base and of conversations.
const (
	BandPrimary = "primary"
	BandJunior  = "junior"
	BandSenior  = "senior"
)

// Terminal is a registered school computer. A conversation started from a
// terminal carries its school and place to the counselor's queue.
type Terminal struct {
	Code      string    `json:"code"`
	School    string    `json:"school"`
	Place     string    `json:"place"`
	Band      string    `json:"band,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// Conversation is one student's chat. Students are anonymous: a conversation is
// bound to a session token, and to a terminal when one was given.
type Conversation struct {
	ID        string          `json:"id"`
	Terminal  string          `json:"terminal,omitempty"`
	School    string          `json:"school,omitempty"`
	Place     string          `json:"place,omitempty"`
	Lang      string          `json:"lang"`
	Band      string          `json:"band,omitempty"`
	Mode      string          `json:"mode"`
	RiskLevel string          `json:"risk_level"`
	RiskState json.RawMessage `json:"-"`
	LastSeq   int64           `json:"last_seq"`
	CreatedAt time.Time       `json:"created_at"`
	UpdatedAt time.Time       `json:"updated_at"`
}

// StudentSession binds a bearer token (stored hashed) to a conversation.
type StudentSession struct {
	TokenHash      string    `json:"-"`
	ConversationID string    `json:"conversation_id"`
	CreatedAt      time.Time `json:"created_at"`
	ExpiresAt      time.Time `json:"expires_at"`
}

// Source is a cited knowledge document version.
type Source struct {
	Title   string `json:"title"`
	DocID   string `json:"doc_id"`
	Version int    `json:"version"`
}

// Span is a matched part of a message, in rune offsets.
type Span struct {
	Rule     string `json:"rule"`
	Category string `json:"category"`
	Level    string `json:"level"`
	Start    int    `json:"start"`
	End      int    `json:"end"`
}

// RiskMark is what the classifier said of one message, kept with it so the
// counselor sees why it was flagged.
type RiskMark struct {
	Level      string   `json:"level"`
	Categories []string `json:"categories"`
	Rules      []string `json:"rules"`
	Spans      []Span   `json:"spans,omitempty"`
}

// Message is one stored, sequenced entry of a conversation.
type Message struct {
	ID             int64     `json:"id"`
	ConversationID string    `json:"conversation_id"`
	Seq            int64     `json:"seq"`
	ClientID       string    `json:"client_id,omitempty"`
	Role           string    `json:"role"`
	Author         string    `json:"author,omitempty"` // staff id for counselor messages
	Text           string    `json:"text"`
	Risk           *RiskMark `json:"risk,omitempty"`
	Sources        []Source  `json:"sources,omitempty"`
	AIGenerated    bool      `json:"ai_generated"`
	CreatedAt      time.Time `json:"created_at"`
}

// NewMessage is a message to append. Seq and ID are assigned by the store.
type NewMessage struct {
	ConversationID string
	ClientID       string // optional; unique per conversation, makes a resend idempotent
	Role           string
	Author         string
	Text           string
	Risk           *RiskMark
	Sources        []Source
	AIGenerated    bool
	// RequireMode, when set, makes the append fail with ECONFLICT unless the
	// conversation is in that mode in the same transaction: the AI lock.
	RequireMode string
	// Completes, when > 0, names the student message (by seq) whose pending
	// turn this message completes, in the same transaction; the append fails
	// with ECONFLICT when that turn is no longer pending, so an answer that
	// another node has already given is discarded, not stored twice.
	Completes int64
	// Covers, with Completes, names the earlier student messages whose
	// answer was merged into this one (a coalesced turn: one answer to the
	// student's latest messages together); their pending turns are completed
	// in the same transaction, and those already done are skipped.
	Covers []int64
	// ConversationRisk, when set, records the conversation's new risk level
	// and ConversationRiskState its classifier state in the same transaction
	// (as SetRisk would), so a message and the level it raised commit together.
	ConversationRisk      string
	ConversationRiskState json.RawMessage
}

// Turn kinds: what an acknowledged student message still owes the student.
const (
	TurnAnswer   = "answer"   // an AI answer
	TurnEscalate = "escalate" // the crisis card and a handoff to a human
)

// NewTurn is the turn AppendStudentMessage records as pending with the
// message. A zero Kind records none (a counselor has the conversation and
// reads the message live).
type NewTurn struct {
	Kind       string // TurnAnswer or TurnEscalate
	Level      string // the risk level the message reached
	Categories []string
	Rules      []string
	// LeaseUntil is how long the appending node keeps the turn to itself:
	// no other node takes it before then.
	LeaseUntil time.Time
	// AIOnly records an answer turn only when the conversation is in mode
	// ai in the same transaction: a counselor who has the conversation
	// reads the message live, and one who gave it back to the AI a moment
	// ago, after the caller read the mode, has left it to the AI.
	AIOnly bool
}

// PendingTurn is the work an acknowledged student message promises: its
// answer, or its escalation to a human. It is stored in the transaction that
// stores the message, so an ack promises the whole turn, and it stays until
// the turn is done (CompleteTurn, or an answer stored with
// NewMessage.Completes). A node that dies after the ack leaves the row; once
// its lease has ended any node takes it (ClaimStaleTurns) and finishes it.
type PendingTurn struct {
	ConversationID string    `json:"conversation_id"`
	Seq            int64     `json:"seq"` // the student message's seq
	ClientID       string    `json:"client_id,omitempty"`
	Kind           string    `json:"kind"`
	Level          string    `json:"level"`
	Categories     []string  `json:"categories"`
	Rules          []string  `json:"rules"`
	Attempts       int       `json:"attempts"` // leases taken so far, the first included
	CreatedAt      time.Time `json:"created_at"`
	LeaseUntil     time.Time `json:"lease_until"`
}

// ConversationStore persists conversations, their sessions and messages.
type ConversationStore interface {
	// UpsertTerminal registers or updates a school terminal.
	UpsertTerminal(ctx context.Context, t Terminal) error
	// Terminal returns a registered terminal or ENOTFOUND.
	Terminal(ctx context.Context, code string) (Terminal, error)
	// Terminals returns every registered terminal, ordered by school and code.
	Terminals(ctx context.Context) ([]Terminal, error)
	// CreateConversation stores a new conversation and its session in one transaction.
	CreateConversation(ctx context.Context, c Conversation, s StudentSession) error
	// Conversation returns one conversation or ENOTFOUND.
	Conversation(ctx context.Context, id string) (Conversation, error)
	// StudentSession returns the session for a token hash, or ENOTFOUND.
	// Expired sessions are returned too; the caller checks ExpiresAt.
	StudentSession(ctx context.Context, tokenHash string) (StudentSession, error)
	// AppendMessage stores a message, assigning the next seq of its conversation
	// in the same transaction. A ClientID seen before in the conversation returns
	// the stored message and created=false, storing nothing.
	AppendMessage(ctx context.Context, m NewMessage) (msg Message, created bool, err error)
	// AppendStudentMessage is AppendMessage for a student message: in the same
	// transaction it records the message's turn as pending (unless t.Kind is
	// "", or t.AIOnly and the conversation is not in mode ai: then turn is
	// nil). A ClientID seen before stores nothing and returns the stored
	// message, created=false, and its turn while that is still pending (nil
	// once done): a resend of a message whose turn was never finished is not
	// mistaken for one fully handled.
	AppendStudentMessage(ctx context.Context, m NewMessage, t NewTurn) (msg Message, turn *PendingTurn, created bool, err error)
	// ClaimStaleTurns leases up to limit pending turns whose lease ended at or
	// before now to the caller until leaseUntil, counting an attempt on each,
	// oldest first. Each turn goes to one caller: FOR UPDATE SKIP LOCKED on
	// PostgreSQL, the single writer on SQLite.
	ClaimStaleTurns(ctx context.Context, now, leaseUntil time.Time, limit int) ([]PendingTurn, error)
	// ClaimTurn leases one pending turn as ClaimStaleTurns would; ok=false
	// when it is done or another lease still holds it.
	ClaimTurn(ctx context.Context, conversationID string, seq int64, now, leaseUntil time.Time) (t PendingTurn, ok bool, err error)
	// ReleaseTurn ends the caller's lease on a pending turn at now, so that
	// the next sweep of any node takes it: a node that stops gracefully hands
	// over the turns it could not finish instead of making them wait out
	// their lease. A turn that is done is left alone.
	ReleaseTurn(ctx context.Context, conversationID string, seq int64, now time.Time) error
	// RenewTurns moves the lease of the caller's pending turns (by seq) to
	// leaseUntil without counting an attempt, so that no other node's sweep
	// takes a turn whose answer is still being written. A turn that is done,
	// or whose lease already runs later, is left alone.
	RenewTurns(ctx context.Context, conversationID string, seqs []int64, leaseUntil time.Time) error
	// CompleteTurn marks a pending turn done; done=false when it already was.
	CompleteTurn(ctx context.Context, conversationID string, seq int64) (done bool, err error)
	// Messages returns up to limit messages with seq > afterSeq, in seq order.
	Messages(ctx context.Context, conversationID string, afterSeq int64, limit int) ([]Message, error)
	// SetRisk raises or records a conversation's level and classifier state.
	SetRisk(ctx context.Context, conversationID, level string, state json.RawMessage) error
	// SetMode changes who answers the conversation.
	SetMode(ctx context.Context, conversationID, mode string) error
}
