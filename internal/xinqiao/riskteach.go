package xinqiao

import (
	"context"
	"time"
)

// Risk labels a counselor gives a student's message: 风险 (risk), 无风险
// (none) or 不确定 (unsure, kept but never trained on).
const (
	LabelRisk   = "risk"
	LabelNone   = "none"
	LabelUnsure = "unsure"
)

// ValidLabel reports whether l is one of the risk labels.
func ValidLabel(l string) bool { return l == LabelRisk || l == LabelNone || l == LabelUnsure }

// Where a label comes from: a counselor's click, or the default a closing
// handoff's outcome gives its flagged messages.
const (
	LabelByCounselor = "counselor"
	LabelByOutcome   = "outcome"
)

// RiskLabel is one labelled student message.
type RiskLabel struct {
	ConversationID string    `json:"conversation_id"`
	Seq            int64     `json:"seq"`
	Label          string    `json:"label"`
	Source         string    `json:"source"`   // LabelByCounselor or LabelByOutcome
	StaffID        string    `json:"staff_id"` // who clicked, or who closed the handoff
	UpdatedAt      time.Time `json:"updated_at"`
}

// LabelledMessage is a labelled message as the district exports it: the
// words, the label, the level the classifier gave it when it arrived, and
// the assistant's or counselor's message before it. No names, no ids.
type LabelledMessage struct {
	Text     string `json:"text"`
	Label    string `json:"label"`
	Level    string `json:"level"`
	Question string `json:"question,omitempty"`
}

// RiskLabelStore keeps the counselors' labels.
type RiskLabelStore interface {
	// SetRiskLabel labels the student message seq of a conversation,
	// replacing any label it had (ENOTFOUND: no such message; EINVALID: not
	// a student's message).
	SetRiskLabel(ctx context.Context, l RiskLabel) (RiskLabel, error)
	// RiskLabels lists a conversation's labels in message order.
	RiskLabels(ctx context.Context, conversationID string) ([]RiskLabel, error)
	// DefaultRiskLabels gives label (source LabelByOutcome, by staffID) to
	// every student message of the conversation up to seq graded medium or
	// above that has no label yet, and returns how many it labelled.
	DefaultRiskLabels(ctx context.Context, conversationID string, seq int64, label, staffID string, at time.Time) (int, error)
	// LabelledMessages calls fn for every labelled message of the district,
	// oldest message first, until fn returns an error.
	LabelledMessages(ctx context.Context, fn func(LabelledMessage) error) error
}

// RiskModel is one published version of the district's learned risk model.
// Empty Weights put the built-in model back in force.
type RiskModel struct {
	Version    int       `json:"version"` // 1, 2, …; 0: nothing published yet
	Weights    []byte    `json:"-"`
	Bytes      int       `json:"bytes"`
	SHA256     string    `json:"sha256"`
	Note       string    `json:"note"`
	Author     string    `json:"author"` // staff id
	AuthorName string    `json:"author_name"`
	CreatedAt  time.Time `json:"created_at,omitzero"`
}

// Limits of a district model.
const (
	MaxRiskModelBytes = 20 << 20
	MaxRiskModelNote  = 500
)

// RiskModelStore keeps every published version of the district model; the
// latest is in force.
type RiskModelStore interface {
	// RiskModel returns the latest version without its weights, or the zero
	// value (Version 0) when none has been published.
	RiskModel(ctx context.Context) (RiskModel, error)
	// RiskModelVersion returns one version with its weights (ENOTFOUND).
	RiskModelVersion(ctx context.Context, version int) (RiskModel, error)
	// RiskModelVersions lists versions newest first, without their weights.
	RiskModelVersions(ctx context.Context, limit int) ([]RiskModel, error)
	// PublishRiskModel stores m (Weights, SHA256, Note, Author) as version
	// base+1; ECONFLICT when the latest version is not base.
	PublishRiskModel(ctx context.Context, base int, m RiskModel) (RiskModel, error)
}

// OutcomeLabel is the label a handoff closed with outcome gives its flagged
// messages that no counselor labelled: 无风险 for a false alarm or a review
// read with no follow-up, 风险 when the counselor acted on it, and none
// ("") when the outcome says nothing about the messages (no reply, other).
func OutcomeLabel(outcome string) string {
	switch outcome {
	case OutcomeFalseAlarm, OutcomeReviewed:
		return LabelNone
	case OutcomeResolved, OutcomeReferred, OutcomeEmergency, OutcomeFollowUp:
		return LabelRisk
	}
	return ""
}
