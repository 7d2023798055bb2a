package xinqiao

import (
	"context"
	"time"
)

// Zone is the district's time zone (Guangzhou, UTC+08:00, no daylight
// saving): report dates and the knowledge gaps' days are cut at its
// midnight. A fixed zone, so that it needs no tzdata.
var Zone = time.FixedZone("UTC+08:00", 8*3600)

// ReportFilter selects what the aggregate report queries cover. Every figure
// is a count or a duration: no student text, no conversation or handoff id.
type ReportFilter struct {
	// From and To bound the period as instants, [From, To).
	From, To time.Time
	// School keeps only conversations from terminals of this school ("" for
	// every conversation, those from no registered terminal included).
	School string
	// DayOffset is the zone offset east of UTC at which days are cut in the
	// per-day series (the district's schools: +8h, Guangzhou).
	DayOffset time.Duration
	// Now is the moment "now" figures (waiting handoffs, overdue follow-ups)
	// are measured at.
	Now time.Time
	// Kind keeps only handoffs of one kind (KindUrgent, KindRequested,
	// KindReview) where a query reads handoffs; "" keeps every kind.
	Kind string
}

// DayCount is a count for one day (YYYY-MM-DD in the filter's zone).
type DayCount struct {
	Day   string `json:"day"`
	Count int    `json:"count"`
}

// DayLevelCount counts the student messages of one day whose stored risk
// mark has one level ("none" for messages without a mark).
type DayLevelCount struct {
	Day   string `json:"day"`
	Level string `json:"level"`
	Count int    `json:"count"`
}

// HandoffGroup counts the handoffs opened on one day that share a level, a
// state, an outcome, whether they were ever claimed and whether they opened
// while nobody was on duty. The report sums these groups as it needs.
type HandoffGroup struct {
	Day     string
	Kind    string
	Level   string
	State   string
	Outcome string // "" unless closed
	Claimed bool   // claimed_at is set (active, or closed after a claim)
	NoDuty  bool   // opened while no counselor who could see it was on duty
	Count   int
}

// StepCount counts the escalation ladder steps that fired.
type StepCount struct {
	Step   int    `json:"step"`
	Action string `json:"action"`
	Count  int    `json:"count"`
}

// WaitingHandoff is a handoff waiting in the queue now, without its ids.
type WaitingHandoff struct {
	Kind      string    `json:"kind"`
	Level     string    `json:"level"`
	School    string    `json:"school,omitempty"`
	OpenedAt  time.Time `json:"opened_at"`
	QueuedAt  time.Time `json:"queued_at"` // opened, or last returned to the queue
	Escalated int       `json:"escalated"` // ladder steps fired so far
}

// FollowUpCounts counts the follow-up tasks of cases.
type FollowUpCounts struct {
	Due     int `json:"due"`     // due within the period
	DueDone int `json:"done"`    // of those, done
	Overdue int `json:"overdue"` // not done and due before now, whenever due
}

// ReportStore answers the aggregate queries of the reports. Both engines
// implement it; the reports service holds the rules (scopes, percentiles).
type ReportStore interface {
	// ConversationsByDay counts conversations started per day.
	ConversationsByDay(ctx context.Context, f ReportFilter) ([]DayCount, error)
	// StudentMessagesByDay counts student messages per day and stored risk level.
	StudentMessagesByDay(ctx context.Context, f ReportFilter) ([]DayLevelCount, error)
	// HandoffGroups counts the handoffs opened in the period, grouped.
	HandoffGroups(ctx context.Context, f ReportFilter) ([]HandoffGroup, error)
	// ClaimWaits returns, for the handoffs opened in the period and claimed
	// (of f.Kind, when set), the time from opening to the (latest) claim,
	// smallest first.
	ClaimWaits(ctx context.Context, f ReportFilter) ([]time.Duration, error)
	// Escalations counts the ladder steps fired in the period, by step.
	Escalations(ctx context.Context, f ReportFilter) ([]StepCount, error)
	// WaitingHandoffs lists the handoffs waiting now in queue order: urgent
	// first, then highest level, then requested before review, then oldest.
	WaitingHandoffs(ctx context.Context, f ReportFilter) ([]WaitingHandoff, error)
	// CountFollowUps counts follow-ups due in the period and overdue now, of the
	// cases of f.School ("" for every case).
	CountFollowUps(ctx context.Context, f ReportFilter) (FollowUpCounts, error)
}
