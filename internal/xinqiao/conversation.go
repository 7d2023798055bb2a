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
	// Messages returns up to limit messages with seq > afterSeq, in seq order.
	Messages(ctx context.Context, conversationID string, afterSeq int64, limit int) ([]Message, error)
	// SetRisk raises or records a conversation's level and classifier state.
	SetRisk(ctx context.Context, conversationID, level string, state json.RawMessage) error
	// SetMode changes who answers the conversation.
	SetMode(ctx context.Context, conversationID, mode string) error
}
