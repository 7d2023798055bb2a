package chat

import (
	"xinqiao/internal/hotline"
	"xinqiao/internal/xinqiao"
)

// Frames of the student WebSocket protocol (API.md). Every frame is one JSON
// object with a type.

type inFrame struct {
	Type     string `json:"type"`
	ClientID string `json:"client_id"`
	Text     string `json:"text"`
	AfterSeq *int64 `json:"after_seq"`
}

type ackFrame struct {
	Type     string `json:"type"` // "ack"
	ClientID string `json:"client_id"`
	Seq      int64  `json:"seq"`
}

type messageFrame struct {
	Type        string           `json:"type"` // "message"
	Seq         int64            `json:"seq"`
	Role        string           `json:"role"`
	Text        string           `json:"text"`
	Sources     []xinqiao.Source `json:"sources"`
	AIGenerated bool             `json:"ai_generated"`
	ClientID    string           `json:"client_id,omitempty"`
	At          string           `json:"at"`
}

type deltaFrame struct {
	Type    string `json:"type"` // "delta"
	ReplyTo string `json:"reply_to"`
	Text    string `json:"text"`
}

type crisisFrame struct {
	Type     string         `json:"type"` // "crisis"
	Level    string         `json:"level"`
	Text     string         `json:"text"`
	Hotlines []hotline.Card `json:"hotlines"`
}

type handoffFrame struct {
	Type      string `json:"type"` // "handoff"
	State     string `json:"state"`
	Counselor string `json:"counselor,omitempty"`
	Kind      string `json:"kind,omitempty"` // urgent or requested (a review is not shown)
	OnDuty    *bool  `json:"on_duty,omitempty"`
	// Text says plainly who will come and when, and which lines answer now.
	Text string `json:"text,omitempty"`
	// Mode is, once the handoff has ended, what the conversation does next:
	// "ai" (the assistant answers again) or "ended" (the page offers a new
	// conversation at once, before the student types into a closed one).
	Mode string `json:"mode,omitempty"`
}

// typingFrame tells the page that the counselor is typing.
type typingFrame struct {
	Type string `json:"type"` // "typing"
	Role string `json:"role"`
}

type errorFrame struct {
	Type    string `json:"type"` // "error"
	Code    string `json:"code"`
	Message string `json:"message"`
	// ClientID names the message the error is about, when there is one.
	ClientID string `json:"client_id,omitempty"`
}

func toMessageFrame(m xinqiao.Message) messageFrame {
	src := m.Sources
	if src == nil {
		src = []xinqiao.Source{}
	}
	return messageFrame{Type: "message", Seq: m.Seq, Role: m.Role, Text: m.Text, Sources: src,
		AIGenerated: m.AIGenerated, ClientID: m.ClientID, At: m.CreatedAt.Format("2006-01-02T15:04:05Z07:00")}
}
