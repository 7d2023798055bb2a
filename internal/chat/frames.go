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
	// For is "other" on the card for someone else in danger now: its text
	// is about helping that person and the emergency lines come first.
	For string `json:"for,omitempty"`
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
	// RetryAfter is the seconds to wait before resending, with code busy.
	RetryAfter int `json:"retry_after,omitempty"`
	// Max is the most characters a message may have, with code too_long:
	// the page puts the text back in the box and says how long it may be.
	Max int `json:"max,omitempty"`
}

// noticeFrame tells the student something about a stored message that is
// not an error, such as an answer that will take a while.
type noticeFrame struct {
	Type    string `json:"type"` // "notice"
	Code    string `json:"code"`
	ReplyTo string `json:"reply_to,omitempty"`
	Text    string `json:"text"`
}

// Overload: a message that could not be stored soon gets an error of code
// busy (resend after busyRetry seconds); a stored message whose answer must
// wait for a slot gets a notice of code answer_delayed.
const (
	codeBusy          = "busy"
	codeAnswerDelayed = "answer_delayed"
	busyRetry         = 3
)

func busyText(lang string) string {
	if lang == "en" {
		return "Many students are writing right now and your message was not saved yet. It will be sent again in a few seconds."
	}
	return "现在同时发消息的同学很多，这条消息还没保存。几秒钟后会自动再发一次。"
}

func delayedText(lang string) string {
	if lang == "en" {
		return "Your message is saved. Many students are asking right now, so the answer will take a moment."
	}
	return "消息已经收到。现在提问的同学很多，回答会慢一点，请稍等。"
}

func toMessageFrame(m xinqiao.Message) messageFrame {
	src := m.Sources
	if src == nil {
		src = []xinqiao.Source{}
	}
	return messageFrame{Type: "message", Seq: m.Seq, Role: m.Role, Text: m.Text, Sources: src,
		AIGenerated: m.AIGenerated, ClientID: m.ClientID, At: m.CreatedAt.Format("2006-01-02T15:04:05Z07:00")}
}
