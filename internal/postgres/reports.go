package postgres

import (
	"context"
	"fmt"
	"time"

	"xinqiao/internal/xinqiao"

	"github.com/jackc/pgx/v5"
)

var _ xinqiao.ReportStore = (*DB)(nil)

// reportDay is the SQL of the day (YYYY-MM-DD) of a timestamptz column,
// shifted by the filter's zone offset in seconds ($1 of each query), so the
// result does not depend on the session's TimeZone.
func reportDay(col string) string {
	return `to_char((` + col + ` AT TIME ZONE 'UTC') + $1::int * interval '1 second', 'YYYY-MM-DD')`
}

// reportSchool keeps the rows of one school's terminals when the parameter
// is not empty. t is the terminals table of the conversation.
func reportSchool(n int) string { return fmt.Sprintf(`($%d = '' OR t.school = $%d)`, n, n) }

// reportRows runs an aggregate query and collects every row.
func reportRows[T any](ctx context.Context, db *DB, what, q string, scan func(pgx.CollectableRow) (T, error), args ...any) ([]T, error) {
	rows, err := db.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("report %s: %w", what, err)
	}
	out, err := pgx.CollectRows(rows, scan)
	if err != nil {
		return nil, fmt.Errorf("report %s: %w", what, err)
	}
	if out == nil {
		out = []T{}
	}
	return out, nil
}

func offsetSeconds(f xinqiao.ReportFilter) int32 { return int32(f.DayOffset / time.Second) }

// ConversationsByDay implements xinqiao.ReportStore.
func (db *DB) ConversationsByDay(ctx context.Context, f xinqiao.ReportFilter) ([]xinqiao.DayCount, error) {
	q := `SELECT ` + reportDay("c.created_at") + ` AS day, COUNT(*)
		FROM conversations c LEFT JOIN terminals t ON t.code = c.terminal
		WHERE c.created_at >= $2 AND c.created_at < $3 AND ` + reportSchool(4) + `
		GROUP BY day ORDER BY day`
	return reportRows(ctx, db, "conversations", q, func(r pgx.CollectableRow) (xinqiao.DayCount, error) {
		var d xinqiao.DayCount
		err := r.Scan(&d.Day, &d.Count)
		return d, err
	}, offsetSeconds(f), f.From, f.To, f.School)
}

// StudentMessagesByDay implements xinqiao.ReportStore. The level is the one
// stored in each message's risk mark, "none" when it has none.
func (db *DB) StudentMessagesByDay(ctx context.Context, f xinqiao.ReportFilter) ([]xinqiao.DayLevelCount, error) {
	q := `SELECT ` + reportDay("m.created_at") + ` AS day, COALESCE(m.risk->>'level', 'none') AS level, COUNT(*)
		FROM messages m JOIN conversations c ON c.id = m.conversation_id LEFT JOIN terminals t ON t.code = c.terminal
		WHERE m.role = 'student' AND m.created_at >= $2 AND m.created_at < $3 AND ` + reportSchool(4) + `
		GROUP BY day, level ORDER BY day, level`
	return reportRows(ctx, db, "messages", q, func(r pgx.CollectableRow) (xinqiao.DayLevelCount, error) {
		var d xinqiao.DayLevelCount
		err := r.Scan(&d.Day, &d.Level, &d.Count)
		return d, err
	}, offsetSeconds(f), f.From, f.To, f.School)
}

// reportNoDuty is true for a handoff that opened while nobody was on duty,
// as the handoff service records it (MarkOpenedNoDuty).
const reportNoDuty = `(h.opened_no_duty)`

// HandoffGroups implements xinqiao.ReportStore.
func (db *DB) HandoffGroups(ctx context.Context, f xinqiao.ReportFilter) ([]xinqiao.HandoffGroup, error) {
	q := `SELECT ` + reportDay("h.opened_at") + ` AS day, h.kind, h.level, h.state, h.outcome,
			h.claimed_at IS NOT NULL AS claimed, ` + reportNoDuty + ` AS no_duty, COUNT(*)
		FROM handoffs h JOIN conversations c ON c.id = h.conversation_id LEFT JOIN terminals t ON t.code = c.terminal
		WHERE h.opened_at >= $2 AND h.opened_at < $3 AND ` + reportSchool(4) + `
		GROUP BY day, h.kind, h.level, h.state, h.outcome, claimed, no_duty ORDER BY day`
	return reportRows(ctx, db, "handoffs", q, func(r pgx.CollectableRow) (xinqiao.HandoffGroup, error) {
		var g xinqiao.HandoffGroup
		err := r.Scan(&g.Day, &g.Kind, &g.Level, &g.State, &g.Outcome, &g.Claimed, &g.NoDuty, &g.Count)
		return g, err
	}, offsetSeconds(f), f.From, f.To, f.School)
}

// ClaimWaits implements xinqiao.ReportStore.
func (db *DB) ClaimWaits(ctx context.Context, f xinqiao.ReportFilter) ([]time.Duration, error) {
	q := `SELECT (EXTRACT(EPOCH FROM h.claimed_at - h.opened_at) * 1000)::bigint AS wait
		FROM handoffs h JOIN conversations c ON c.id = h.conversation_id LEFT JOIN terminals t ON t.code = c.terminal
		WHERE h.opened_at >= $1 AND h.opened_at < $2 AND h.claimed_at IS NOT NULL AND ` + reportSchool(3) + `
			AND ($4 = '' OR h.kind = $4)
		ORDER BY wait`
	return reportRows(ctx, db, "claim waits", q, func(r pgx.CollectableRow) (time.Duration, error) {
		var ms int64
		err := r.Scan(&ms)
		return time.Duration(ms) * time.Millisecond, err
	}, f.From, f.To, f.School, f.Kind)
}

// Escalations implements xinqiao.ReportStore.
func (db *DB) Escalations(ctx context.Context, f xinqiao.ReportFilter) ([]xinqiao.StepCount, error) {
	q := `SELECT tm.step, tm.action, COUNT(*)
		FROM handoff_timers tm JOIN handoffs h ON h.id = tm.handoff_id
		JOIN conversations c ON c.id = h.conversation_id LEFT JOIN terminals t ON t.code = c.terminal
		WHERE tm.kind = 'ladder' AND tm.fired_at >= $1 AND tm.fired_at < $2 AND ` + reportSchool(3) + `
		GROUP BY tm.step, tm.action ORDER BY tm.step, tm.action`
	return reportRows(ctx, db, "escalations", q, func(r pgx.CollectableRow) (xinqiao.StepCount, error) {
		var s xinqiao.StepCount
		err := r.Scan(&s.Step, &s.Action, &s.Count)
		return s, err
	}, f.From, f.To, f.School)
}

// WaitingHandoffs implements xinqiao.ReportStore.
func (db *DB) WaitingHandoffs(ctx context.Context, f xinqiao.ReportFilter) ([]xinqiao.WaitingHandoff, error) {
	q := `SELECT h.kind, h.level, COALESCE(t.school, ''), h.opened_at, h.queued_at, h.escalated
		FROM handoffs h JOIN conversations c ON c.id = h.conversation_id LEFT JOIN terminals t ON t.code = c.terminal
		WHERE h.state = 'waiting' AND ` + reportSchool(1) + `
		ORDER BY h.kind_rank = 2 DESC, h.level_rank DESC, h.kind_rank DESC, h.opened_at`
	return reportRows(ctx, db, "waiting", q, func(r pgx.CollectableRow) (xinqiao.WaitingHandoff, error) {
		var w xinqiao.WaitingHandoff
		err := r.Scan(&w.Kind, &w.Level, &w.School, &w.OpenedAt, &w.QueuedAt, &w.Escalated)
		w.OpenedAt, w.QueuedAt = w.OpenedAt.UTC(), w.QueuedAt.UTC()
		return w, err
	}, f.School)
}

// CountFollowUps implements xinqiao.ReportStore.
func (db *DB) CountFollowUps(ctx context.Context, f xinqiao.ReportFilter) (xinqiao.FollowUpCounts, error) {
	const q = `SELECT
			COUNT(*) FILTER (WHERE f.due_at >= $1 AND f.due_at < $2),
			COUNT(*) FILTER (WHERE f.due_at >= $1 AND f.due_at < $2 AND f.done_at IS NOT NULL),
			COUNT(*) FILTER (WHERE f.done_at IS NULL AND f.due_at < $3)
		FROM follow_ups f JOIN cases cs ON cs.id = f.case_id
		WHERE ($4 = '' OR cs.school = $4)`
	var c xinqiao.FollowUpCounts
	if err := db.pool.QueryRow(ctx, q, f.From, f.To, f.Now, f.School).Scan(&c.Due, &c.DueDone, &c.Overdue); err != nil {
		return c, fmt.Errorf("report follow-ups: %w", err)
	}
	return c, nil
}
