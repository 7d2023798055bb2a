package xinqiao

import (
	"context"
	"time"
)

// PurgeBatchSize is how many conversations one purge transaction deletes at
// most, so that a large purge never holds its locks for long.
const PurgeBatchSize = 500

// PurgeReport counts what a purge deleted (or, for a preview, would delete).
// It holds numbers only, never ids or text, so it is safe to log.
type PurgeReport struct {
	// Conversations deleted: last active before the cut-off, never handed
	// to a counselor and linked to no case.
	Conversations int `json:"conversations"`
	// Messages deleted with those conversations.
	Messages int `json:"messages"`
	// StudentSessions deleted: expired ones, and live ones of deleted
	// conversations.
	StudentSessions int `json:"student_sessions"`
	// StaffSessions deleted: expired ones.
	StaffSessions int `json:"staff_sessions"`
	// AuditKept counts the audit events naming a deleted conversation. They
	// are kept (they hold ids, never text) and now name a conversation that
	// no longer exists.
	AuditKept int `json:"audit_kept"`
	// KeptForCases counts the conversations older than the cut-off that are
	// kept because they reached a counselor or belong to a case (一人一案):
	// the school keeps those under its own policy.
	KeptForCases int `json:"kept_for_cases"`
	// Batches is how many transactions the purge took (0 for a preview).
	Batches int `json:"batches"`
}

// Purged returns the deleted counts by kind, as named in the metrics.
func (r PurgeReport) Purged() map[string]int {
	return map[string]int{
		"conversations":    r.Conversations,
		"messages":         r.Messages,
		"student_sessions": r.StudentSessions,
		"staff_sessions":   r.StaffSessions,
	}
}

// Add adds another report's counts to r (a purge of several batches).
func (r *PurgeReport) Add(o PurgeReport) {
	r.Conversations += o.Conversations
	r.Messages += o.Messages
	r.StudentSessions += o.StudentSessions
	r.StaffSessions += o.StaffSessions
	r.AuditKept += o.AuditKept
	r.KeptForCases += o.KeptForCases
	r.Batches += o.Batches
}

// RetentionStore deletes what the service no longer needs to keep.
type RetentionStore interface {
	// Purge deletes the student and staff sessions that expired before now,
	// and the conversations last active before before (with their messages
	// and sessions) that have no handoff and no case; audit events are kept.
	// It works in transactions of at most PurgeBatchSize conversations. A
	// zero before deletes no conversation. On PostgreSQL one node purges at
	// a time: while another holds the purge, Purge returns ECONFLICT.
	Purge(ctx context.Context, before, now time.Time) (PurgeReport, error)
	// PurgePreview counts what Purge would delete with the same arguments,
	// deleting nothing (Batches stays 0).
	PurgePreview(ctx context.Context, before, now time.Time) (PurgeReport, error)
}
