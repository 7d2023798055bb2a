package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"xinqiao/internal/xinqiao"
)

var _ xinqiao.ReportStore = (*DB)(nil)

// reportDay is the SQL of the day (YYYY-MM-DD) of a millisecond column,
// shifted by the filter's zone offset (the first ? of each query).
func reportDay(col string) string {
	return `strftime('%Y-%m-%d', (` + col + ` + ?) / 1000, 'unixepoch')`
}

// reportSchool keeps the rows of one school's terminals when the parameter
// pair is not empty. t is the terminals table of the conversation.
const reportSchool = `(? = '' OR t.school = ?)`

// reportRows runs an aggregate query on the read pool and scans every row.
func (db *DB) reportRows(ctx context.Context, what, q string, scan func(*sql.Rows) error, args ...any) error {
	rows, err := db.r.QueryContext(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("report %s: %w", what, err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return fmt.Errorf("report %s: %w", what, err)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("report %s: %w", what, err)
	}
	return nil
}

// ConversationsByDay implements xinqiao.ReportStore.
func (db *DB) ConversationsByDay(ctx context.Context, f xinqiao.ReportFilter) ([]xinqiao.DayCount, error) {
	q := `SELECT ` + reportDay("c.created_at") + ` AS day, COUNT(*)
		FROM conversations c LEFT JOIN terminals t ON t.code = c.terminal
		WHERE c.created_at >= ? AND c.created_at < ? AND ` + reportSchool + `
		GROUP BY day ORDER BY day`
	out := []xinqiao.DayCount{}
	err := db.reportRows(ctx, "conversations", q, func(r *sql.Rows) error {
		var d xinqiao.DayCount
		err := r.Scan(&d.Day, &d.Count)
		out = append(out, d)
		return err
	}, f.DayOffset.Milliseconds(), ms2(f.From), ms2(f.To), f.School, f.School)
	return out, err
}

// StudentMessagesByDay implements xinqiao.ReportStore. The level is the one
// stored in each message's risk mark, "none" when it has none.
func (db *DB) StudentMessagesByDay(ctx context.Context, f xinqiao.ReportFilter) ([]xinqiao.DayLevelCount, error) {
	q := `SELECT ` + reportDay("m.created_at") + ` AS day, COALESCE(json_extract(m.risk, '$.level'), 'none') AS level, COUNT(*)
		FROM messages m JOIN conversations c ON c.id = m.conversation_id LEFT JOIN terminals t ON t.code = c.terminal
		WHERE m.role = 'student' AND m.created_at >= ? AND m.created_at < ? AND ` + reportSchool + `
		GROUP BY day, level ORDER BY day, level`
	out := []xinqiao.DayLevelCount{}
	err := db.reportRows(ctx, "messages", q, func(r *sql.Rows) error {
		var d xinqiao.DayLevelCount
		err := r.Scan(&d.Day, &d.Level, &d.Count)
		out = append(out, d)
		return err
	}, f.DayOffset.Milliseconds(), ms2(f.From), ms2(f.To), f.School, f.School)
	return out, err
}

// reportNoDuty is true for a handoff that opened while nobody was on duty,
// as the handoff service records it (MarkOpenedNoDuty).
const reportNoDuty = `(h.opened_no_duty = 1)`

// HandoffGroups implements xinqiao.ReportStore.
func (db *DB) HandoffGroups(ctx context.Context, f xinqiao.ReportFilter) ([]xinqiao.HandoffGroup, error) {
	q := `SELECT ` + reportDay("h.opened_at") + ` AS day, h.kind, h.level, h.state, h.outcome,
			h.claimed_at IS NOT NULL AS claimed, ` + reportNoDuty + ` AS no_duty, COUNT(*)
		FROM handoffs h JOIN conversations c ON c.id = h.conversation_id LEFT JOIN terminals t ON t.code = c.terminal
		WHERE h.opened_at >= ? AND h.opened_at < ? AND ` + reportSchool + `
		GROUP BY day, h.kind, h.level, h.state, h.outcome, claimed, no_duty ORDER BY day`
	out := []xinqiao.HandoffGroup{}
	err := db.reportRows(ctx, "handoffs", q, func(r *sql.Rows) error {
		var g xinqiao.HandoffGroup
		err := r.Scan(&g.Day, &g.Kind, &g.Level, &g.State, &g.Outcome, &g.Claimed, &g.NoDuty, &g.Count)
		out = append(out, g)
		return err
	}, f.DayOffset.Milliseconds(), ms2(f.From), ms2(f.To), f.School, f.School)
	return out, err
}

// ClaimWaits implements xinqiao.ReportStore.
func (db *DB) ClaimWaits(ctx context.Context, f xinqiao.ReportFilter) ([]time.Duration, error) {
	const q = `SELECT h.claimed_at - h.opened_at AS wait
		FROM handoffs h JOIN conversations c ON c.id = h.conversation_id LEFT JOIN terminals t ON t.code = c.terminal
		WHERE h.opened_at >= ? AND h.opened_at < ? AND h.claimed_at IS NOT NULL AND ` + reportSchool + `
			AND (? = '' OR h.kind = ?)
		ORDER BY wait`
	out := []time.Duration{}
	err := db.reportRows(ctx, "claim waits", q, func(r *sql.Rows) error {
		var ms int64
		err := r.Scan(&ms)
		out = append(out, time.Duration(ms)*time.Millisecond)
		return err
	}, ms2(f.From), ms2(f.To), f.School, f.School, f.Kind, f.Kind)
	return out, err
}

// Escalations implements xinqiao.ReportStore.
func (db *DB) Escalations(ctx context.Context, f xinqiao.ReportFilter) ([]xinqiao.StepCount, error) {
	const q = `SELECT tm.step, tm.action, COUNT(*)
		FROM handoff_timers tm JOIN handoffs h ON h.id = tm.handoff_id
		JOIN conversations c ON c.id = h.conversation_id LEFT JOIN terminals t ON t.code = c.terminal
		WHERE tm.kind = 'ladder' AND tm.fired_at >= ? AND tm.fired_at < ? AND ` + reportSchool + `
		GROUP BY tm.step, tm.action ORDER BY tm.step, tm.action`
	out := []xinqiao.StepCount{}
	err := db.reportRows(ctx, "escalations", q, func(r *sql.Rows) error {
		var s xinqiao.StepCount
		err := r.Scan(&s.Step, &s.Action, &s.Count)
		out = append(out, s)
		return err
	}, ms2(f.From), ms2(f.To), f.School, f.School)
	return out, err
}

// WaitingHandoffs implements xinqiao.ReportStore.
func (db *DB) WaitingHandoffs(ctx context.Context, f xinqiao.ReportFilter) ([]xinqiao.WaitingHandoff, error) {
	const q = `SELECT h.kind, h.level, COALESCE(t.school, ''), h.opened_at, h.queued_at, h.escalated
		FROM handoffs h JOIN conversations c ON c.id = h.conversation_id LEFT JOIN terminals t ON t.code = c.terminal
		WHERE h.state = 'waiting' AND ` + reportSchool + `
		ORDER BY h.kind_rank = 2 DESC, h.level_rank DESC, h.kind_rank DESC, h.opened_at`
	out := []xinqiao.WaitingHandoff{}
	err := db.reportRows(ctx, "waiting", q, func(r *sql.Rows) error {
		var w xinqiao.WaitingHandoff
		var opened, queued int64
		err := r.Scan(&w.Kind, &w.Level, &w.School, &opened, &queued, &w.Escalated)
		w.OpenedAt, w.QueuedAt = fromMS(opened), fromMS(queued)
		out = append(out, w)
		return err
	}, f.School, f.School)
	return out, err
}

// CountFollowUps implements xinqiao.ReportStore.
func (db *DB) CountFollowUps(ctx context.Context, f xinqiao.ReportFilter) (xinqiao.FollowUpCounts, error) {
	const q = `SELECT
			COALESCE(SUM(CASE WHEN f.due_at >= ? AND f.due_at < ? THEN 1 ELSE 0 END), 0),
			COALESCE(SUM(CASE WHEN f.due_at >= ? AND f.due_at < ? AND f.done_at IS NOT NULL THEN 1 ELSE 0 END), 0),
			COALESCE(SUM(CASE WHEN f.done_at IS NULL AND f.due_at < ? THEN 1 ELSE 0 END), 0)
		FROM follow_ups f JOIN cases cs ON cs.id = f.case_id
		WHERE (? = '' OR cs.school = ?)`
	var c xinqiao.FollowUpCounts
	from, to := ms2(f.From), ms2(f.To)
	if err := db.r.QueryRowContext(ctx, q, from, to, from, to, ms2(f.Now), f.School, f.School).Scan(&c.Due, &c.DueDone, &c.Overdue); err != nil {
		return c, fmt.Errorf("report follow-ups: %w", err)
	}
	return c, nil
}
