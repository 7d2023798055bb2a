package xinqiao

import (
	"context"
	"encoding/json"
	"time"
)

// Handoff states: a handoff waits in the queue, is active once a counselor
// claims it, and is closed when the counselor (or a supervisor) ends it.
const (
	HandoffWaiting = "waiting"
	HandoffActive  = "active"
	HandoffClosed  = "closed"
)

// Risk levels, in order. A handoff opens at LevelHigh and above.
const (
	LevelNone     = "none"
	LevelLow      = "low"
	LevelMedium   = "medium"
	LevelHigh     = "high"
	LevelImminent = "imminent"
)

// LevelRank orders risk levels: none 0 … imminent 4; an unknown level is -1.
// Stores keep the rank beside the level so queues sort by it.
func LevelRank(level string) int {
	switch level {
	case LevelNone:
		return 0
	case LevelLow:
		return 1
	case LevelMedium:
		return 2
	case LevelHigh:
		return 3
	case LevelImminent:
		return 4
	}
	return -1
}

// Handoff kinds: why a conversation is in the queue. One queue serves all
// three: urgent first, then by level (a request before a review at the same
// level), then the longest wait. The kind also sets the ladder's clocks and
// the wording.
const (
	// KindUrgent is high or imminent risk: crisis card, the AI silent, a
	// counselor takes the chat over.
	KindUrgent = "urgent"
	// KindRequested is a student who asked for a teacher (ask_counselor).
	// The AI keeps answering until a counselor claims it.
	KindRequested = "requested"
	// KindReview is medium risk in a risk category: a counselor reads the
	// conversation; the student is not interrupted and the AI keeps answering.
	KindReview = "review"
)

// KindRank orders handoff kinds: review 0, requested 1, urgent 2; an
// unknown kind is -1. A handoff's kind only rises (a review the student
// asks about becomes requested; either becomes urgent at high risk).
func KindRank(kind string) int {
	switch kind {
	case KindReview:
		return 0
	case KindRequested:
		return 1
	case KindUrgent:
		return 2
	}
	return -1
}

// Close outcomes a counselor records when a handoff ends.
const (
	OutcomeResolved   = "resolved"    // talked through; the student is safe for now
	OutcomeReferred   = "referred"    // referred on (hospital green channel, parents, school)
	OutcomeEmergency  = "emergency"   // 110/120 called or the student taken into care
	OutcomeFalseAlarm = "false_alarm" // the flag was wrong; back to the AI
	OutcomeNoReply    = "no_reply"    // the student left or stopped answering
	OutcomeOther      = "other"
	// OutcomeReviewed closes a review as read with no follow-up needed
	// (看过，无需跟进); it needs a reason in the note.
	OutcomeReviewed = "reviewed"
	// OutcomeFollowUp closes a review by filing a follow-up on the case for
	// the next school day (转为个案跟进).
	OutcomeFollowUp = "follow_up"
)

// ValidOutcome reports whether o is one of the close outcomes.
func ValidOutcome(o string) bool {
	switch o {
	case OutcomeResolved, OutcomeReferred, OutcomeEmergency, OutcomeFalseAlarm, OutcomeNoReply, OutcomeOther,
		OutcomeReviewed, OutcomeFollowUp:
		return true
	}
	return false
}

// Handoff is a conversation handed from the AI to a human counselor. Reason
// holds the ids of the rules that matched, never the student's words.
type Handoff struct {
	ID             string     `json:"id"`
	ConversationID string     `json:"conversation_id"`
	CaseID         string     `json:"case_id,omitempty"`
	Kind           string     `json:"kind"` // KindUrgent, KindRequested or KindReview
	State          string     `json:"state"`
	Level          string     `json:"level"`
	Categories     []string   `json:"categories"`
	Reason         []string   `json:"reason"`
	MessageSeq     int64      `json:"message_seq"` // the message that opened or last raised it
	Counselor      string     `json:"counselor,omitempty"`
	CounselorName  string     `json:"counselor_name,omitempty"`
	Terminal       string     `json:"terminal,omitempty"`
	School         string     `json:"school,omitempty"`
	Place          string     `json:"place,omitempty"`
	OpenedAt       time.Time  `json:"opened_at"`
	ClaimedAt      *time.Time `json:"claimed_at,omitempty"`
	ClosedAt       *time.Time `json:"closed_at,omitempty"`
	ClosedBy       string     `json:"closed_by,omitempty"`
	Outcome        string     `json:"outcome,omitempty"`
	Note           string     `json:"note,omitempty"`
	Escalated      int        `json:"escalated"` // ladder steps fired so far
	UpdatedAt      time.Time  `json:"updated_at"`
	// Preview is the first words of the message that opened or last raised
	// the handoff. Only the console's socket sets it, auditing the read;
	// the stores and the REST API leave it empty.
	Preview string `json:"preview,omitempty"`
}

// Open reports whether the handoff is waiting or active.
func (h Handoff) Open() bool { return h.State == HandoffWaiting || h.State == HandoffActive }

// WhyNot explains, as a domain error safe to show, why a change that needed
// the handoff in state want (and held by staffID, when set) did not apply to
// h as it now is. Both stores use it after a conditional UPDATE matched no
// row, so the decision itself never depends on this read.
func (h Handoff) WhyNot(want, staffID string) error {
	switch {
	case h.State == HandoffClosed:
		return Errorf(ECONFLICT, "the handoff is already closed")
	case want == HandoffWaiting && h.State == HandoffActive:
		if h.CounselorName != "" {
			return Errorf(ECONFLICT, "the handoff was already claimed by %s", h.CounselorName)
		}
		return Errorf(ECONFLICT, "the handoff was already claimed")
	case want == HandoffActive && h.State == HandoffWaiting:
		return Errorf(ECONFLICT, "the handoff is waiting in the queue: claim it first")
	case staffID != "" && h.Counselor != staffID:
		return Errorf(EFORBIDDEN, "the handoff is held by another counselor")
	}
	return Errorf(ECONFLICT, "the handoff changed meanwhile: reload it")
}

// LadderStep is one rung of the escalation ladder: After the handoff opened
// (or returned to the queue) and is still unclaimed, Action is taken.
type LadderStep struct {
	After  time.Duration `json:"after"`
	Action string        `json:"action"`
}

// Timer kinds.
const (
	TimerLadder = "ladder" // an escalation step of a waiting handoff
	TimerGrace  = "grace"  // a disconnected counselor's grace period on an active handoff
)

// Timer is a deadline kept as a row, so that one node at a time acts on
// it and it is acted on until done: a node takes it with a lease and marks
// it fired once its step is done; a lease that lapses first (the node died,
// or the store failed it) lets the next taker act on it again.
type Timer struct {
	ID        int64      `json:"id"`
	HandoffID string     `json:"handoff_id"`
	Kind      string     `json:"kind"`
	Step      int        `json:"step"`   // 1-based ladder step
	Action    string     `json:"action"` // what the step does, e.g. "duty" or "oncall"
	StaffID   string     `json:"staff_id,omitempty"`
	Due       time.Time  `json:"due"`
	FiredAt   *time.Time `json:"fired_at,omitempty"`
	// LeasedUntil is when the lease of the node that last took the timer
	// lapses; nil if none ever took it.
	LeasedUntil *time.Time `json:"leased_until,omitempty"`
}

// NewHandoff asks to open a handoff for a conversation, or to raise the open
// one. Ladder is scheduled from the handoff's opening time when it is created,
// again from the opening time when its level rises while it waits, and from
// At when its kind rises while it waits.
type NewHandoff struct {
	ConversationID string
	// Kind is KindUrgent (also when empty), KindRequested or KindReview.
	// Only an urgent handoff puts the conversation in handoff mode (the AI
	// lock) when it opens; a requested one does when it is claimed.
	Kind       string
	Level      string
	Categories []string
	Rules      []string
	// MessageSeq is the student message behind the request, and
	// MessageLevel that message's own level ("" means Level). Merged into
	// an open handoff, the message becomes its flagged message only when it
	// raised the handoff's kind or level, or is itself at least as severe
	// as the handoff (see FlagMoves): a harmless message sent while a
	// conversation stays at its level never takes the place of the one
	// that was flagged.
	MessageSeq   int64
	MessageLevel string
	At           time.Time
	Ladder       []LadderStep
	// LadderOf, when set, gives the ladder of a handoff of a kind at a
	// level. A merge that raises a waiting handoff reschedules the ladder of
	// the handoff as merged, which may be of another kind than the request:
	// a review that raises a student's waiting request keeps the request's
	// ladder. Unset, Ladder serves every kind.
	LadderOf func(kind, level string) []LadderStep
}

// LadderFor is the ladder of the handoff of kind at level that nh created
// or merged into: LadderOf's, else Ladder. Both stores schedule with it.
func (nh NewHandoff) LadderFor(kind, level string) []LadderStep {
	if nh.LadderOf != nil {
		return nh.LadderOf(kind, level)
	}
	return nh.Ladder
}

// FlagMoves reports whether merging nh into an open handoff of kind and
// level, whose flagged message is seq, makes nh.MessageSeq its flagged
// message: the request raised the kind or the level, or it is of the same
// kind or higher and its message, later than the flagged one, is itself at
// least as severe as the handoff. Both stores decide with it.
func FlagMoves(kind, level string, seq int64, nh NewHandoff) bool {
	if nh.MessageSeq <= 0 {
		return false
	}
	if seq <= 0 || LevelRank(nh.Level) > LevelRank(level) || KindRank(nh.Kind) > KindRank(kind) {
		return true
	}
	msg := nh.MessageLevel
	if msg == "" {
		msg = nh.Level
	}
	return nh.MessageSeq > seq && KindRank(nh.Kind) >= KindRank(kind) && LevelRank(msg) >= LevelRank(level)
}

// CloseHandoff asks to close a handoff.
type CloseHandoff struct {
	StaffID   string // who closes it
	AnyHolder bool   // a supervisor may close a handoff held by someone else, or a waiting one
	Outcome   string
	Note      string
	Mode      string // the conversation's mode afterwards: ModeAI or ModeEnded
	At        time.Time
	// Seen, when set, is the handoff's UpdatedAt as the closer last read
	// it: the close applies only if the handoff has not changed since (a
	// risky message merged into it meanwhile must be seen before it is
	// closed); otherwise it is ECONFLICT and changes nothing.
	Seen time.Time
	// Risk, when set, is the conversation's risk level after the close
	// (the counselor's assessment) and RiskState its classifier state,
	// written in the close's transaction: a refused close leaves the
	// conversation's risk as it was, and a committed one leaves no moment
	// in which the handoff is closed but the old level still stands.
	Risk      string
	RiskState json.RawMessage
}

// HandoffFilter selects handoffs. Empty fields select everything.
type HandoffFilter struct {
	States         []string
	Kind           string // one kind, or "" for every kind
	ConversationID string
	CaseID         string
	Counselor      string
	// School, when set, selects the handoffs the staff of that school may
	// see: the school's own and those from no registered terminal (or a
	// terminal of no school), so that Limit bounds what they see, not what
	// the whole district has open.
	School string
	Limit  int // 0 means 200
}

// AlertAttempt records one try to deliver an alert to one target.
type AlertAttempt struct {
	ID        int64     `json:"id"`
	HandoffID string    `json:"handoff_id"`
	Event     string    `json:"event"`    // e.g. "opened", "escalation", "no_duty", "released"
	Audience  string    `json:"audience"` // e.g. "counselors", "duty", "oncall"
	Target    string    `json:"target"`   // the target's configured name, never its URL
	Attempt   int       `json:"attempt"`
	OK        bool      `json:"ok"`
	Status    int       `json:"status,omitempty"` // HTTP status, 0 when none came back
	Error     string    `json:"error,omitempty"`
	At        time.Time `json:"at"`
}

// Case states.
const (
	CaseOpen   = "open"
	CaseClosed = "closed"
)

// Case is the record of one student (一人一案): by pseudonym when a counselor
// gives one, else by the terminal, else by the conversation. It links the
// handoffs (risk history), notes, referrals and follow-ups.
type Case struct {
	ID        string    `json:"id"`
	Subject   string    `json:"subject"` // "terminal:CODE", "conversation:ID" or a pseudonym
	School    string    `json:"school,omitempty"`
	Status    string    `json:"status"`
	RiskLevel string    `json:"risk_level"` // the highest level seen
	Handoffs  int       `json:"handoffs"`
	OpenedAt  time.Time `json:"opened_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// CaseFilter selects cases for a supervisor's list. Empty fields select all.
type CaseFilter struct {
	School    string
	Status    string
	MinLevel  string
	Subject   string
	OverdueAt time.Time // when set, only cases with an open follow-up due before it
	Limit     int       // 0 means 200
}

// CaseNote is a counselor's private note on a case, optionally on one handoff.
type CaseNote struct {
	ID         int64     `json:"id"`
	CaseID     string    `json:"case_id"`
	HandoffID  string    `json:"handoff_id,omitempty"`
	Author     string    `json:"author"`
	AuthorName string    `json:"author_name,omitempty"`
	Text       string    `json:"text"`
	At         time.Time `json:"at"`
}

// Referral kinds.
const (
	ReferralHospital  = "hospital_green_channel"
	ReferralParents   = "parents_informed"
	ReferralPolice    = "police_110"
	ReferralAmbulance = "ambulance_120"
	ReferralSchool    = "school_leadership"
	ReferralOther     = "other"
)

// ValidReferral reports whether k is a referral kind.
func ValidReferral(k string) bool {
	switch k {
	case ReferralHospital, ReferralParents, ReferralPolice, ReferralAmbulance, ReferralSchool, ReferralOther:
		return true
	}
	return false
}

// Referral records a step taken outside the chat for a case.
type Referral struct {
	ID        int64     `json:"id"`
	CaseID    string    `json:"case_id"`
	HandoffID string    `json:"handoff_id,omitempty"`
	Kind      string    `json:"kind"`
	Detail    string    `json:"detail,omitempty"`
	By        string    `json:"by"`
	At        time.Time `json:"at"`
}

// FollowUp is a task on a case with a due date.
type FollowUp struct {
	ID        int64      `json:"id"`
	CaseID    string     `json:"case_id"`
	Task      string     `json:"task"`
	Due       time.Time  `json:"due"`
	Assignee  string     `json:"assignee,omitempty"`
	CreatedBy string     `json:"created_by"`
	CreatedAt time.Time  `json:"created_at"`
	DoneAt    *time.Time `json:"done_at,omitempty"`
	DoneBy    string     `json:"done_by,omitempty"`
}

// HandoffStore persists handoffs, escalation timers, alert attempts, staff
// presence and case records. Every state change is one conditional statement
// or one transaction, so concurrent nodes never read-then-write a decision.
type HandoffStore interface {
	// OpenHandoff, in one transaction, sets the conversation's mode to handoff
	// (urgent kind only), then either opens a waiting handoff (created) filed
	// under the conversation's case, or merges into the conversation's open
	// one, raising its level or its kind when the new one is higher (raised);
	// neither ever falls. A review a counselor claimed to read whose kind
	// rises goes back to the queue in the same transaction (nobody has
	// joined: a counselor who writes in a review joins it first, see
	// JoinHandoff). A conversation has at most one open handoff. A missing
	// conversation is ENOTFOUND.
	OpenHandoff(ctx context.Context, nh NewHandoff) (h Handoff, created, raised bool, err error)
	// MarkOpenedNoDuty records that nobody was on duty when the handoff
	// opened; a missing handoff is ENOTFOUND.
	MarkOpenedNoDuty(ctx context.Context, handoffID string) error
	// Handoff returns one handoff or ENOTFOUND.
	Handoff(ctx context.Context, id string) (Handoff, error)
	// LatestHandoff returns a conversation's open handoff, else its most
	// recent one, or ENOTFOUND.
	LatestHandoff(ctx context.Context, conversationID string) (Handoff, error)
	// Handoffs lists handoffs in queue order: urgent first, then highest
	// level, then requested before review, then oldest.
	Handoffs(ctx context.Context, f HandoffFilter) ([]Handoff, error)
	// ClaimHandoff makes a waiting handoff active and staffID's, atomically: of
	// concurrent claims exactly one succeeds and the rest get ECONFLICT.
	// Unfired ladder timers are cancelled. Claiming a requested handoff puts
	// the conversation in handoff mode; claiming a review leaves the AI on.
	ClaimHandoff(ctx context.Context, id, staffID string, at time.Time) (Handoff, error)
	// JoinHandoff, in one transaction, makes staffID's active review a
	// requested handoff and puts the conversation in handoff mode: the
	// counselor reading it now talks with the student and the AI steps
	// back. Anything else (waiting, another's, already joined or raised) is
	// refused as WhyNot explains and changes nothing.
	JoinHandoff(ctx context.Context, id, staffID string, at time.Time) (Handoff, error)
	// ReleaseHandoff returns an active handoff held by staffID ("" for any
	// holder) to the queue, scheduling ladder from at.
	ReleaseHandoff(ctx context.Context, id, staffID string, at time.Time, ladder []LadderStep) (Handoff, error)
	// TransferHandoff gives an active handoff held by fromStaffID ("" for any
	// holder) to toStaffID.
	TransferHandoff(ctx context.Context, id, fromStaffID, toStaffID string, at time.Time) (Handoff, error)
	// CloseHandoff closes a handoff, sets the conversation's mode (and its
	// risk, when c.Risk is set) and cancels its timers, in one transaction. Closing a closed handoff is ECONFLICT;
	// closing another counselor's is EFORBIDDEN unless AnyHolder.
	CloseHandoff(ctx context.Context, id string, c CloseHandoff) (Handoff, error)

	// AddTimer schedules a timer.
	AddTimer(ctx context.Context, t Timer) error
	// CancelTimers deletes unfired timers of a handoff ("" for every
	// handoff), of a kind ("" for all kinds) and of a staff member ("" for
	// any).
	CancelTimers(ctx context.Context, handoffID, kind, staffID string) error
	// TakeDueTimers leases until leaseUntil up to limit unfired timers due
	// at or before now whose lease, if any, has lapsed by now, and returns
	// them: while the lease holds, no other caller on any node gets them.
	// The taker marks each one fired (CompleteTimer) once its step is done;
	// one it never marks is taken again after its lease. Ladder timers also
	// raise their handoff's Escalated (to at least their step).
	TakeDueTimers(ctx context.Context, now, leaseUntil time.Time, limit int) ([]Timer, error)
	// CompleteTimer marks a taken timer fired at at, so no one takes it
	// again. A timer already fired, or deleted meanwhile (its handoff was
	// claimed, released or closed), is no error.
	CompleteTimer(ctx context.Context, id int64, at time.Time) error
	// Timers returns a handoff's timers, fired or not, by due time.
	Timers(ctx context.Context, handoffID string) ([]Timer, error)

	// RecordAlertAttempt stores one delivery attempt.
	RecordAlertAttempt(ctx context.Context, a AlertAttempt) error
	// AlertAttempts returns a handoff's attempts ("" for all), oldest first.
	AlertAttempts(ctx context.Context, handoffID string, limit int) ([]AlertAttempt, error)

	// TouchPresence records that staff members have a live console at at.
	TouchPresence(ctx context.Context, staffIDs []string, at time.Time) error
	// Presence returns when a staff member last had a live console (zero if never).
	Presence(ctx context.Context, staffID string) (time.Time, error)

	// Case returns one case or ENOTFOUND.
	Case(ctx context.Context, id string) (Case, error)
	// Cases lists cases, highest risk first, then most recently updated.
	Cases(ctx context.Context, f CaseFilter) ([]Case, error)
	// SetCaseSubject renames a case (e.g. to a pseudonym); a taken subject is ECONFLICT.
	SetCaseSubject(ctx context.Context, id, subject string, at time.Time) error
	// SetCaseStatus opens or closes a case.
	SetCaseStatus(ctx context.Context, id, status string, at time.Time) error
	// AddCaseNote stores a note; a missing case is ENOTFOUND.
	AddCaseNote(ctx context.Context, n CaseNote) (CaseNote, error)
	// CaseNotes returns a case's notes, oldest first.
	CaseNotes(ctx context.Context, caseID string) ([]CaseNote, error)
	// AddReferral stores a referral; a missing case is ENOTFOUND.
	AddReferral(ctx context.Context, r Referral) (Referral, error)
	// Referrals returns a case's referrals, oldest first.
	Referrals(ctx context.Context, caseID string) ([]Referral, error)
	// AddFollowUp stores a follow-up task; a missing case is ENOTFOUND.
	AddFollowUp(ctx context.Context, f FollowUp) (FollowUp, error)
	// FollowUps returns a case's follow-ups ("" for every case's open ones), by due date.
	FollowUps(ctx context.Context, caseID string) ([]FollowUp, error)
	// FollowUp returns one follow-up or ENOTFOUND.
	FollowUp(ctx context.Context, id int64) (FollowUp, error)
	// CompleteFollowUp marks a follow-up done; done twice is ECONFLICT.
	CompleteFollowUp(ctx context.Context, id int64, by string, at time.Time) (FollowUp, error)
}
