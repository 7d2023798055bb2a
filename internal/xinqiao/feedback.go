package xinqiao

import (
	"context"
	"time"
)

// Kinds of feedback a student may give an assistant answer from the page
// (不对 / 让我难受 / 有帮助).
const (
	FeedbackWrong     = "wrong"
	FeedbackUpsetting = "upsetting"
	FeedbackHelpful   = "helpful"
)

// FeedbackKinds lists the kinds in the order the pages show them.
var FeedbackKinds = []string{FeedbackWrong, FeedbackUpsetting, FeedbackHelpful}

// ValidFeedbackKind reports whether k is one of FeedbackKinds.
func ValidFeedbackKind(k string) bool {
	return k == FeedbackWrong || k == FeedbackUpsetting || k == FeedbackHelpful
}

// FeedbackCount is how many answers citing one document version got one
// kind of feedback: curators read it beside the versions they approved.
// An answer that cited nothing counts under an empty DocID.
type FeedbackCount struct {
	DocID   string `json:"doc_id"`
	Version int    `json:"version"`
	Title   string `json:"title"`
	Kind    string `json:"kind"`
	Count   int    `json:"count"`
}

// FeedbackStore keeps students' feedback on answers. It holds no text: the
// kind, the answer it is about and the document versions that answer
// cited (copied when the feedback is given). Feedback goes with its
// conversation when retention deletes it.
type FeedbackStore interface {
	// AddFeedback records kind for the assistant message at seq of a
	// conversation, once per message and kind: created is false when it was
	// already recorded. It is ENOTFOUND when the conversation has no
	// assistant message at seq, EINVALID for an unknown kind.
	AddFeedback(ctx context.Context, conversationID string, seq int64, kind string, at time.Time) (created bool, err error)
	// FeedbackCounts counts the feedback given in [from, to) by cited
	// document version and kind, ordered by document, newest version first,
	// then kind.
	FeedbackCounts(ctx context.Context, from, to time.Time) ([]FeedbackCount, error)
}
