package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"xinqiao/internal/xinqiao"
)

const handoffSelect = `SELECT h.id, h.conversation_id, COALESCE(h.case_id, ''), h.state, h.level, h.categories, h.reason,
		h.message_seq, COALESCE(h.counselor, ''), COALESCE(s.display_name, ''), COALESCE(c.terminal, ''),
		COALESCE(t.school, ''), COALESCE(t.place, ''), h.opened_at, h.claimed_at, h.closed_at, h.closed_by,
		h.outcome, h.note, h.escalated, h.updated_at, h.kind
	FROM handoffs h
	JOIN conversations c ON c.id = h.conversation_id
	LEFT JOIN terminals t ON t.code = c.terminal
	LEFT JOIN staff s ON s.id = h.counselor`

type hoScanner interface{ Scan(...any) error }

func hoTime(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := fromMS(v.Int64)
	return &t
}

func scanHandoff(row hoScanner) (xinqiao.Handoff, error) {
	var h xinqiao.Handoff
	var cats, reason string
	var opened, updated int64
	var claimed, closed sql.NullInt64
	err := row.Scan(&h.ID, &h.ConversationID, &h.CaseID, &h.State, &h.Level, &cats, &reason, &h.MessageSeq,
		&h.Counselor, &h.CounselorName, &h.Terminal, &h.School, &h.Place, &opened, &claimed, &closed,
		&h.ClosedBy, &h.Outcome, &h.Note, &h.Escalated, &updated, &h.Kind)
	if err != nil {
		return h, err
	}
	if err := json.Unmarshal([]byte(cats), &h.Categories); err != nil {
		return h, fmt.Errorf("decode categories of handoff %s: %w", h.ID, err)
	}
	if err := json.Unmarshal([]byte(reason), &h.Reason); err != nil {
		return h, fmt.Errorf("decode reason of handoff %s: %w", h.ID, err)
	}
	h.OpenedAt, h.UpdatedAt = fromMS(opened), fromMS(updated)
	h.ClaimedAt, h.ClosedAt = hoTime(claimed), hoTime(closed)
	return h, nil
}

type hoQuerier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func handoffTx(ctx context.Context, q hoQuerier, id string) (xinqiao.Handoff, error) {
	h, err := scanHandoff(q.QueryRowContext(ctx, handoffSelect+` WHERE h.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return h, xinqiao.Errorf(xinqiao.ENOTFOUND, "handoff not found")
	} else if err != nil {
		return h, fmt.Errorf("load handoff: %w", err)
	}
	return h, nil
}

// hoUnion returns a followed by the items of b not in a.
func hoUnion(a, b []string) []string {
	out := append([]string{}, a...)
	for _, s := range b {
		seen := false
		for _, t := range out {
			seen = seen || t == s
		}
		if !seen {
			out = append(out, s)
		}
	}
	return out
}

func hoList(ss []string) string {
	if ss == nil {
		ss = []string{}
	}
	b, _ := json.Marshal(ss)
	return string(b)
}

// insertLadder schedules the ladder from base; a step already past is due at.
func insertLadder(ctx context.Context, tx *sql.Tx, handoffID string, base, at time.Time, ladder []xinqiao.LadderStep) error {
	const q = `INSERT INTO handoff_timers (handoff_id, kind, step, action, due_at) VALUES (?, 'ladder', ?, ?, ?)`
	for i, st := range ladder {
		due := base.Add(st.After)
		if due.Before(at) {
			due = at
		}
		if _, err := tx.ExecContext(ctx, q, handoffID, i+1, st.Action, ms2(due)); err != nil {
			return fmt.Errorf("schedule ladder: %w", err)
		}
	}
	return nil
}

// OpenHandoff implements xinqiao.HandoffStore. SQLite has one writer, so the
// transaction alone serialises concurrent opens; the partial unique index
// keeps one open handoff per conversation even so.
func (db *DB) OpenHandoff(ctx context.Context, nh xinqiao.NewHandoff) (xinqiao.Handoff, bool, bool, error) {
	var id string
	created, raised := false, false
	if nh.Kind == "" {
		nh.Kind = xinqiao.KindUrgent
	}
	if xinqiao.KindRank(nh.Kind) < 0 {
		return xinqiao.Handoff{}, false, false, xinqiao.Errorf(xinqiao.EINVALID, "unknown handoff kind %q", nh.Kind)
	}
	err := db.tx(ctx, func(tx *sql.Tx) error {
		const qc = `UPDATE conversations SET mode = CASE WHEN ? THEN 'handoff' ELSE mode END, updated_at = ? WHERE id = ?
			RETURNING COALESCE(terminal, ''), COALESCE((SELECT school FROM terminals WHERE code = conversations.terminal), '')`
		var terminal, school string
		err := tx.QueryRowContext(ctx, qc, boolInt(nh.Kind == xinqiao.KindUrgent), ms2(nh.At), nh.ConversationID).Scan(&terminal, &school)
		if errors.Is(err, sql.ErrNoRows) {
			return xinqiao.Errorf(xinqiao.ENOTFOUND, "conversation not found")
		} else if err != nil {
			return fmt.Errorf("lock conversation: %w", err)
		}
		rank := xinqiao.LevelRank(nh.Level)
		const qo = `SELECT id, state, level, kind, categories, reason, queued_at, COALESCE(case_id, ''), message_seq FROM handoffs
			WHERE conversation_id = ? AND state <> 'closed'`
		var state, level, kind, caseID, cats, reason string
		var queued, seq int64
		err = tx.QueryRowContext(ctx, qo, nh.ConversationID).Scan(&id, &state, &level, &kind, &cats, &reason, &queued, &caseID, &seq)
		switch {
		case err == nil:
			var oc, or []string
			_ = json.Unmarshal([]byte(cats), &oc)
			_ = json.Unmarshal([]byte(reason), &or)
			levelUp := rank > xinqiao.LevelRank(level)
			kindUp := xinqiao.KindRank(nh.Kind) > xinqiao.KindRank(kind)
			raised = levelUp || kindUp
			if xinqiao.FlagMoves(kind, level, seq, nh) {
				seq = nh.MessageSeq
			}
			if !levelUp {
				nh.Level, rank = level, xinqiao.LevelRank(level)
			}
			if !kindUp {
				nh.Kind = kind
			}
			// updated_at always moves on a merge, even within one clock
			// tick: a close checks it (CloseHandoff.Seen) so that a risky
			// message merged after the counselor's last read is seen first.
			const qu = `UPDATE handoffs SET level = ?, level_rank = ?, kind = ?, kind_rank = ?, categories = ?, reason = ?,
				message_seq = ?, updated_at = MAX(?, updated_at + 1) WHERE id = ?`
			if _, err := tx.ExecContext(ctx, qu, nh.Level, rank, nh.Kind, xinqiao.KindRank(nh.Kind), hoList(hoUnion(oc, nh.Categories)),
				hoList(hoUnion(or, nh.Rules)), seq, ms2(nh.At), id); err != nil {
				return fmt.Errorf("raise handoff: %w", err)
			}
			if raised && state == xinqiao.HandoffWaiting {
				const qd = `DELETE FROM handoff_timers WHERE handoff_id = ? AND kind = 'ladder' AND fired_at IS NULL`
				if _, err := tx.ExecContext(ctx, qd, id); err != nil {
					return fmt.Errorf("reschedule ladder: %w", err)
				}
				base := fromMS(queued)
				if kindUp { // a new kind runs its own clocks from now
					base = nh.At
				}
				if err := insertLadder(ctx, tx, id, base, nh.At, nh.LadderFor(nh.Kind, nh.Level)); err != nil {
					return err
				}
			}
			if kindUp && kind == xinqiao.KindReview && state == xinqiao.HandoffActive {
				// A counselor was reading the review, not talking with the
				// student (one who writes joins it: JoinHandoff makes it a
				// request). Nobody has joined, so the raised handoff goes
				// back to the queue with the ladder of its new kind from now.
				const qb = `UPDATE handoffs SET state = 'waiting', counselor = NULL, claimed_at = NULL, queued_at = ?, updated_at = MAX(?, updated_at + 1)
					WHERE id = ?`
				if _, err := tx.ExecContext(ctx, qb, ms2(nh.At), ms2(nh.At), id); err != nil {
					return fmt.Errorf("return raised review to the queue: %w", err)
				}
				if _, err := tx.ExecContext(ctx, `DELETE FROM handoff_timers WHERE handoff_id = ? AND fired_at IS NULL`, id); err != nil {
					return fmt.Errorf("return raised review to the queue: %w", err)
				}
				if err := insertLadder(ctx, tx, id, nh.At, nh.At, nh.LadderFor(nh.Kind, nh.Level)); err != nil {
					return err
				}
			}
		case errors.Is(err, sql.ErrNoRows):
			const qprev = `SELECT case_id FROM handoffs WHERE conversation_id = ? AND case_id IS NOT NULL
				ORDER BY opened_at DESC LIMIT 1`
			if err := tx.QueryRowContext(ctx, qprev, nh.ConversationID).Scan(&caseID); err != nil && !errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("find case: %w", err)
			}
			if caseID == "" {
				subject := "conversation:" + nh.ConversationID
				if terminal != "" {
					subject = "terminal:" + terminal
				}
				const qcase = `INSERT INTO cases (id, subject, school, status, risk_level, risk_rank, opened_at, updated_at)
					VALUES (?, ?, ?, 'open', ?, ?, ?, ?)
					ON CONFLICT (subject) DO UPDATE SET status = 'open', updated_at = excluded.updated_at
					RETURNING id`
				if err := tx.QueryRowContext(ctx, qcase, xinqiao.NewID(), subject, school, nh.Level, rank,
					ms2(nh.At), ms2(nh.At)).Scan(&caseID); err != nil {
					return fmt.Errorf("file case: %w", err)
				}
			}
			id = xinqiao.NewID()
			const qi = `INSERT INTO handoffs (id, conversation_id, case_id, state, level, level_rank, kind, kind_rank, categories, reason,
				message_seq, opened_at, queued_at, updated_at) VALUES (?, ?, ?, 'waiting', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
			at := ms2(nh.At)
			if _, err := tx.ExecContext(ctx, qi, id, nh.ConversationID, caseID, nh.Level, rank, nh.Kind, xinqiao.KindRank(nh.Kind),
				hoList(nh.Categories), hoList(nh.Rules), nh.MessageSeq, at, at, at); err != nil {
				return fmt.Errorf("insert handoff: %w", err)
			}
			if err := insertLadder(ctx, tx, id, nh.At, nh.At, nh.LadderFor(nh.Kind, nh.Level)); err != nil {
				return err
			}
			created = true
		default:
			return fmt.Errorf("find open handoff: %w", err)
		}
		const qr = `UPDATE cases SET risk_level = ?, risk_rank = ?, updated_at = ?, status = 'open'
			WHERE id = ? AND risk_rank < ?`
		if _, err := tx.ExecContext(ctx, qr, nh.Level, rank, ms2(nh.At), caseID, rank); err != nil {
			return fmt.Errorf("raise case: %w", err)
		}
		return nil
	})
	if err != nil {
		return xinqiao.Handoff{}, false, false, err
	}
	h, err := db.Handoff(ctx, id)
	return h, created, raised, err
}

// Handoff implements xinqiao.HandoffStore.
func (db *DB) Handoff(ctx context.Context, id string) (xinqiao.Handoff, error) {
	return handoffTx(ctx, db.r, id)
}

// LatestHandoff implements xinqiao.HandoffStore.
func (db *DB) LatestHandoff(ctx context.Context, conversationID string) (xinqiao.Handoff, error) {
	const q = handoffSelect + ` WHERE h.conversation_id = ? ORDER BY h.state <> 'closed' DESC, h.opened_at DESC, h.id LIMIT 1`
	h, err := scanHandoff(db.r.QueryRowContext(ctx, q, conversationID))
	if errors.Is(err, sql.ErrNoRows) {
		return h, xinqiao.Errorf(xinqiao.ENOTFOUND, "no handoff for this conversation")
	} else if err != nil {
		return h, fmt.Errorf("load handoff: %w", err)
	}
	return h, nil
}

// Handoffs implements xinqiao.HandoffStore.
func (db *DB) Handoffs(ctx context.Context, f xinqiao.HandoffFilter) ([]xinqiao.Handoff, error) {
	const q = handoffSelect + ` WHERE (? = '' OR instr(?, ',' || h.state || ',') > 0)
		AND (? = '' OR h.conversation_id = ?) AND (? = '' OR h.case_id = ?) AND (? = '' OR h.counselor = ?)
		AND (? = '' OR h.kind = ?) AND (? = '' OR COALESCE(t.school, '') IN ('', ?))
		ORDER BY h.kind_rank = 2 DESC, h.level_rank DESC, h.kind_rank DESC, h.opened_at, h.id LIMIT ?`
	if f.Limit <= 0 {
		f.Limit = 200
	}
	states := ""
	if len(f.States) > 0 {
		states = ","
		for _, s := range f.States {
			states += s + ","
		}
	}
	rows, err := db.r.QueryContext(ctx, q, states, states, f.ConversationID, f.ConversationID, f.CaseID, f.CaseID,
		f.Counselor, f.Counselor, f.Kind, f.Kind, f.School, f.School, f.Limit)
	return collect(rows, err, "list handoffs", scanHandoff)
}

// changeHandoff runs a conditional UPDATE that returns the id when it
// applied, then the follow-up statements, then loads the row, all in one
// transaction. When the UPDATE matched nothing, the row as it is explains why.
func (db *DB) changeHandoff(ctx context.Context, id, want, staffID, q string, args []any, then func(tx *sql.Tx) error) (xinqiao.Handoff, error) {
	var h xinqiao.Handoff
	err := db.tx(ctx, func(tx *sql.Tx) error {
		var got string
		err := tx.QueryRowContext(ctx, q, args...).Scan(&got)
		if errors.Is(err, sql.ErrNoRows) {
			cur, err := handoffTx(ctx, tx, id)
			if err != nil {
				return err
			}
			return cur.WhyNot(want, staffID)
		} else if isForeignKey(err) {
			return xinqiao.Errorf(xinqiao.ENOTFOUND, "staff account not found")
		} else if err != nil {
			return fmt.Errorf("update handoff: %w", err)
		}
		if then != nil {
			if err := then(tx); err != nil {
				return err
			}
		}
		h, err = handoffTx(ctx, tx, id)
		return err
	})
	return h, err
}

// ClaimHandoff implements xinqiao.HandoffStore with one conditional UPDATE.
func (db *DB) ClaimHandoff(ctx context.Context, id, staffID string, at time.Time) (xinqiao.Handoff, error) {
	const q = `UPDATE handoffs SET state = 'active', counselor = ?, claimed_at = ?, updated_at = MAX(?, updated_at + 1)
		WHERE id = ? AND state = 'waiting' RETURNING id`
	return db.changeHandoff(ctx, id, xinqiao.HandoffWaiting, "", q, []any{staffID, ms2(at), ms2(at), id}, func(tx *sql.Tx) error {
		// A student who asked for a teacher now has one: the AI steps back.
		const qm = `UPDATE conversations SET mode = 'handoff', updated_at = ?
			WHERE id = (SELECT conversation_id FROM handoffs WHERE id = ? AND kind = 'requested') AND mode = 'ai'`
		if _, err := tx.ExecContext(ctx, qm, ms2(at), id); err != nil {
			return fmt.Errorf("set mode: %w", err)
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM handoff_timers WHERE handoff_id = ? AND fired_at IS NULL`, id)
		return err
	})
}

// JoinHandoff implements xinqiao.HandoffStore with one conditional UPDATE.
func (db *DB) JoinHandoff(ctx context.Context, id, staffID string, at time.Time) (xinqiao.Handoff, error) {
	const q = `UPDATE handoffs SET kind = 'requested', kind_rank = ?, updated_at = MAX(?, updated_at + 1)
		WHERE id = ? AND state = 'active' AND counselor = ? AND kind = 'review' RETURNING id`
	args := []any{xinqiao.KindRank(xinqiao.KindRequested), ms2(at), id, staffID}
	return db.changeHandoff(ctx, id, xinqiao.HandoffActive, staffID, q, args, func(tx *sql.Tx) error {
		const qm = `UPDATE conversations SET mode = 'handoff', updated_at = ?
			WHERE id = (SELECT conversation_id FROM handoffs WHERE id = ?)`
		if _, err := tx.ExecContext(ctx, qm, ms2(at), id); err != nil {
			return fmt.Errorf("set mode: %w", err)
		}
		return nil
	})
}

// ReleaseHandoff implements xinqiao.HandoffStore.
func (db *DB) ReleaseHandoff(ctx context.Context, id, staffID string, at time.Time, ladder []xinqiao.LadderStep) (xinqiao.Handoff, error) {
	const q = `UPDATE handoffs SET state = 'waiting', counselor = NULL, claimed_at = NULL, queued_at = ?, updated_at = MAX(?, updated_at + 1)
		WHERE id = ? AND state = 'active' AND (? = '' OR counselor = ?) RETURNING id`
	return db.changeHandoff(ctx, id, xinqiao.HandoffActive, staffID, q, []any{ms2(at), ms2(at), id, staffID, staffID}, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM handoff_timers WHERE handoff_id = ? AND fired_at IS NULL`, id); err != nil {
			return err
		}
		return insertLadder(ctx, tx, id, at, at, ladder)
	})
}

// TransferHandoff implements xinqiao.HandoffStore.
func (db *DB) TransferHandoff(ctx context.Context, id, fromStaffID, toStaffID string, at time.Time) (xinqiao.Handoff, error) {
	const q = `UPDATE handoffs SET counselor = ?, updated_at = MAX(?, updated_at + 1)
		WHERE id = ? AND state = 'active' AND (? = '' OR counselor = ?) RETURNING id`
	return db.changeHandoff(ctx, id, xinqiao.HandoffActive, fromStaffID, q, []any{toStaffID, ms2(at), id, fromStaffID, fromStaffID}, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM handoff_timers WHERE handoff_id = ? AND kind = 'grace' AND fired_at IS NULL`, id)
		return err
	})
}

// CloseHandoff implements xinqiao.HandoffStore.
func (db *DB) CloseHandoff(ctx context.Context, id string, c xinqiao.CloseHandoff) (xinqiao.Handoff, error) {
	const q = `UPDATE handoffs SET state = 'closed', closed_at = ?, closed_by = ?, outcome = ?, note = ?, updated_at = MAX(?, updated_at + 1)
		WHERE id = ? AND state <> 'closed' AND (? OR (state = 'active' AND counselor = ?))
		AND (? IS NULL OR updated_at = ?) RETURNING id`
	staff := c.StaffID
	if c.AnyHolder {
		staff = ""
	}
	at := ms2(c.At)
	var seen sql.NullInt64
	if !c.Seen.IsZero() {
		seen = sql.NullInt64{Int64: ms2(c.Seen), Valid: true}
	}
	args := []any{at, c.StaffID, c.Outcome, c.Note, at, id, boolInt(c.AnyHolder), c.StaffID, seen, seen}
	return db.changeHandoff(ctx, id, xinqiao.HandoffActive, staff, q, args, func(tx *sql.Tx) error {
		const qm = `UPDATE conversations SET mode = ?, updated_at = ?
			WHERE id = (SELECT conversation_id FROM handoffs WHERE id = ?)`
		if _, err := tx.ExecContext(ctx, qm, c.Mode, at, id); err != nil {
			return fmt.Errorf("set mode: %w", err)
		}
		if c.Risk != "" {
			const qr = `UPDATE conversations SET risk_level = ?, risk_state = ?
				WHERE id = (SELECT conversation_id FROM handoffs WHERE id = ?)`
			if _, err := tx.ExecContext(ctx, qr, c.Risk, nullString(string(c.RiskState)), id); err != nil {
				return fmt.Errorf("set risk: %w", err)
			}
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM handoff_timers WHERE handoff_id = ? AND fired_at IS NULL`, id)
		return err
	})
}

const timerColumns = `id, handoff_id, kind, step, action, staff_id, due_at, fired_at, leased_until`

func scanTimer(row hoScanner) (xinqiao.Timer, error) {
	var t xinqiao.Timer
	var due int64
	var fired, leased sql.NullInt64
	err := row.Scan(&t.ID, &t.HandoffID, &t.Kind, &t.Step, &t.Action, &t.StaffID, &due, &fired, &leased)
	t.Due, t.FiredAt, t.LeasedUntil = fromMS(due), hoTime(fired), hoTime(leased)
	return t, err
}

// AddTimer implements xinqiao.HandoffStore.
func (db *DB) AddTimer(ctx context.Context, t xinqiao.Timer) error {
	const q = `INSERT INTO handoff_timers (handoff_id, kind, step, action, staff_id, due_at) VALUES (?, ?, ?, ?, ?, ?)`
	if _, err := db.w.ExecContext(ctx, q, t.HandoffID, t.Kind, t.Step, t.Action, t.StaffID, ms2(t.Due)); err != nil {
		if isForeignKey(err) {
			return xinqiao.Errorf(xinqiao.ENOTFOUND, "handoff not found")
		}
		return fmt.Errorf("add timer: %w", err)
	}
	return nil
}

// CancelTimers implements xinqiao.HandoffStore.
func (db *DB) CancelTimers(ctx context.Context, handoffID, kind, staffID string) error {
	const q = `DELETE FROM handoff_timers WHERE fired_at IS NULL AND (? = '' OR handoff_id = ?)
		AND (? = '' OR kind = ?) AND (? = '' OR staff_id = ?)`
	if _, err := db.w.ExecContext(ctx, q, handoffID, handoffID, kind, kind, staffID, staffID); err != nil {
		return fmt.Errorf("cancel timers: %w", err)
	}
	return nil
}

// TakeDueTimers implements xinqiao.HandoffStore: the write transaction
// leases the rows before any other caller can see them free.
func (db *DB) TakeDueTimers(ctx context.Context, now, leaseUntil time.Time, limit int) ([]xinqiao.Timer, error) {
	var out []xinqiao.Timer
	err := db.tx(ctx, func(tx *sql.Tx) error {
		const q = `UPDATE handoff_timers SET leased_until = ? WHERE id IN (
				SELECT id FROM handoff_timers WHERE fired_at IS NULL AND due_at <= ?
				AND (leased_until IS NULL OR leased_until <= ?) ORDER BY due_at, id LIMIT ?)
			RETURNING ` + timerColumns
		rows, err := tx.QueryContext(ctx, q, ms2(leaseUntil), ms2(now), ms2(now), limit)
		if err != nil {
			return fmt.Errorf("take due timers: %w", err)
		}
		for rows.Next() {
			t, err := scanTimer(rows)
			if err != nil {
				rows.Close()
				return fmt.Errorf("scan timer: %w", err)
			}
			out = append(out, t)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, t := range out {
			if t.Kind != xinqiao.TimerLadder {
				continue
			}
			const qe = `UPDATE handoffs SET escalated = MAX(escalated, ?) WHERE id = ?`
			if _, err := tx.ExecContext(ctx, qe, t.Step, t.HandoffID); err != nil {
				return fmt.Errorf("mark escalation: %w", err)
			}
		}
		return nil
	})
	sortTimers(out)
	return out, err
}

// CompleteTimer implements xinqiao.HandoffStore.
func (db *DB) CompleteTimer(ctx context.Context, id int64, at time.Time) error {
	const q = `UPDATE handoff_timers SET fired_at = ? WHERE id = ? AND fired_at IS NULL`
	if _, err := db.w.ExecContext(ctx, q, ms2(at), id); err != nil {
		return fmt.Errorf("complete timer: %w", err)
	}
	return nil
}

// sortTimers orders timers by due time then id (RETURNING has no order).
func sortTimers(ts []xinqiao.Timer) {
	for i := 1; i < len(ts); i++ {
		for j := i; j > 0 && (ts[j].Due.Before(ts[j-1].Due) || ts[j].Due.Equal(ts[j-1].Due) && ts[j].ID < ts[j-1].ID); j-- {
			ts[j], ts[j-1] = ts[j-1], ts[j]
		}
	}
}

// Timers implements xinqiao.HandoffStore.
func (db *DB) Timers(ctx context.Context, handoffID string) ([]xinqiao.Timer, error) {
	const q = `SELECT ` + timerColumns + ` FROM handoff_timers WHERE handoff_id = ? ORDER BY due_at, id`
	rows, err := db.r.QueryContext(ctx, q, handoffID)
	return collect(rows, err, "list timers", scanTimer)
}

// RecordAlertAttempt implements xinqiao.HandoffStore.
func (db *DB) RecordAlertAttempt(ctx context.Context, a xinqiao.AlertAttempt) error {
	const q = `INSERT INTO alert_attempts (handoff_id, event, audience, target, attempt, ok, status, error, at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`
	if _, err := db.w.ExecContext(ctx, q, a.HandoffID, a.Event, a.Audience, a.Target, a.Attempt, boolInt(a.OK),
		a.Status, a.Error, ms2(a.At)); err != nil {
		return fmt.Errorf("record alert attempt: %w", err)
	}
	return nil
}

// AlertAttempts implements xinqiao.HandoffStore.
func (db *DB) AlertAttempts(ctx context.Context, handoffID string, limit int) ([]xinqiao.AlertAttempt, error) {
	const q = `SELECT id, handoff_id, event, audience, target, attempt, ok, status, error, at FROM alert_attempts
		WHERE (? = '' OR handoff_id = ?) ORDER BY id LIMIT ?`
	rows, err := db.r.QueryContext(ctx, q, handoffID, handoffID, limit)
	if err != nil {
		return nil, fmt.Errorf("list alert attempts: %w", err)
	}
	defer rows.Close()
	var out []xinqiao.AlertAttempt
	for rows.Next() {
		var a xinqiao.AlertAttempt
		var at int64
		if err := rows.Scan(&a.ID, &a.HandoffID, &a.Event, &a.Audience, &a.Target, &a.Attempt, &a.OK, &a.Status, &a.Error, &at); err != nil {
			return nil, fmt.Errorf("scan alert attempt: %w", err)
		}
		a.At = fromMS(at)
		out = append(out, a)
	}
	return out, rows.Err()
}

// TouchPresence implements xinqiao.HandoffStore.
func (db *DB) TouchPresence(ctx context.Context, staffIDs []string, at time.Time) error {
	if len(staffIDs) == 0 {
		return nil
	}
	return db.tx(ctx, func(tx *sql.Tx) error {
		const q = `INSERT INTO staff_presence (staff_id, seen_at) VALUES (?, ?)
			ON CONFLICT (staff_id) DO UPDATE SET seen_at = MAX(seen_at, excluded.seen_at)`
		for _, id := range staffIDs {
			if _, err := tx.ExecContext(ctx, q, id, ms2(at)); err != nil {
				return fmt.Errorf("touch presence: %w", err)
			}
		}
		return nil
	})
}

// Presence implements xinqiao.HandoffStore.
func (db *DB) Presence(ctx context.Context, staffID string) (time.Time, error) {
	var v int64
	err := db.r.QueryRowContext(ctx, `SELECT seen_at FROM staff_presence WHERE staff_id = ?`, staffID).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, nil
	} else if err != nil {
		return time.Time{}, fmt.Errorf("load presence: %w", err)
	}
	return fromMS(v), nil
}

const caseSelect = `SELECT c.id, c.subject, c.school, c.status, c.risk_level,
		(SELECT count(*) FROM handoffs h WHERE h.case_id = c.id), c.opened_at, c.updated_at
	FROM cases c`

func scanCase(row hoScanner) (xinqiao.Case, error) {
	var c xinqiao.Case
	var opened, updated int64
	err := row.Scan(&c.ID, &c.Subject, &c.School, &c.Status, &c.RiskLevel, &c.Handoffs, &opened, &updated)
	c.OpenedAt, c.UpdatedAt = fromMS(opened), fromMS(updated)
	return c, err
}

// Case implements xinqiao.HandoffStore.
func (db *DB) Case(ctx context.Context, id string) (xinqiao.Case, error) {
	c, err := scanCase(db.r.QueryRowContext(ctx, caseSelect+` WHERE c.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return c, xinqiao.Errorf(xinqiao.ENOTFOUND, "case not found")
	} else if err != nil {
		return c, fmt.Errorf("load case: %w", err)
	}
	return c, nil
}

// Cases implements xinqiao.HandoffStore.
func (db *DB) Cases(ctx context.Context, f xinqiao.CaseFilter) ([]xinqiao.Case, error) {
	const q = caseSelect + ` WHERE (? = '' OR c.school = ?) AND (? = '' OR c.status = ?) AND c.risk_rank >= ?
		AND (? = '' OR c.subject = ?)
		AND (? = 0 OR EXISTS (SELECT 1 FROM follow_ups f WHERE f.case_id = c.id AND f.done_at IS NULL AND f.due_at < ?))
		ORDER BY c.risk_rank DESC, c.updated_at DESC, c.id LIMIT ?`
	if f.Limit <= 0 {
		f.Limit = 200
	}
	var overdue int64
	if !f.OverdueAt.IsZero() {
		overdue = ms2(f.OverdueAt)
	}
	rows, err := db.r.QueryContext(ctx, q, f.School, f.School, f.Status, f.Status, max(xinqiao.LevelRank(f.MinLevel), 0),
		f.Subject, f.Subject, overdue, overdue, f.Limit)
	return collect(rows, err, "list cases", scanCase)
}

func (db *DB) updateCase(ctx context.Context, q string, args ...any) error {
	res, err := db.w.ExecContext(ctx, q, args...)
	if isUnique(err) {
		return xinqiao.Errorf(xinqiao.ECONFLICT, "another case already has this subject")
	} else if err != nil {
		return fmt.Errorf("update case: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return xinqiao.Errorf(xinqiao.ENOTFOUND, "case not found")
	}
	return nil
}

// SetCaseSubject implements xinqiao.HandoffStore.
func (db *DB) SetCaseSubject(ctx context.Context, id, subject string, at time.Time) error {
	return db.updateCase(ctx, `UPDATE cases SET subject = ?, updated_at = ? WHERE id = ?`, subject, ms2(at), id)
}

// SetCaseStatus implements xinqiao.HandoffStore.
func (db *DB) SetCaseStatus(ctx context.Context, id, status string, at time.Time) error {
	return db.updateCase(ctx, `UPDATE cases SET status = ?, updated_at = ? WHERE id = ?`, status, ms2(at), id)
}

// touchCase marks a case updated; a missing case is ENOTFOUND.
func touchCase(ctx context.Context, tx *sql.Tx, id string, at time.Time) error {
	res, err := tx.ExecContext(ctx, `UPDATE cases SET updated_at = ? WHERE id = ?`, ms2(at), id)
	if err != nil {
		return fmt.Errorf("touch case: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return xinqiao.Errorf(xinqiao.ENOTFOUND, "case not found")
	}
	return nil
}

// AddCaseNote implements xinqiao.HandoffStore.
func (db *DB) AddCaseNote(ctx context.Context, n xinqiao.CaseNote) (xinqiao.CaseNote, error) {
	err := db.tx(ctx, func(tx *sql.Tx) error {
		if err := touchCase(ctx, tx, n.CaseID, n.At); err != nil {
			return err
		}
		const q = `INSERT INTO case_notes (case_id, handoff_id, author, text, at) VALUES (?, ?, ?, ?, ?) RETURNING id`
		return tx.QueryRowContext(ctx, q, n.CaseID, n.HandoffID, n.Author, n.Text, ms2(n.At)).Scan(&n.ID)
	})
	return n, err
}

// CaseNotes implements xinqiao.HandoffStore.
func (db *DB) CaseNotes(ctx context.Context, caseID string) ([]xinqiao.CaseNote, error) {
	const q = `SELECT n.id, n.case_id, n.handoff_id, n.author, COALESCE(s.display_name, ''), n.text, n.at
		FROM case_notes n LEFT JOIN staff s ON s.id = n.author WHERE n.case_id = ? ORDER BY n.id`
	rows, err := db.r.QueryContext(ctx, q, caseID)
	if err != nil {
		return nil, fmt.Errorf("list notes: %w", err)
	}
	defer rows.Close()
	var out []xinqiao.CaseNote
	for rows.Next() {
		var n xinqiao.CaseNote
		var at int64
		if err := rows.Scan(&n.ID, &n.CaseID, &n.HandoffID, &n.Author, &n.AuthorName, &n.Text, &at); err != nil {
			return nil, fmt.Errorf("scan note: %w", err)
		}
		n.At = fromMS(at)
		out = append(out, n)
	}
	return out, rows.Err()
}

// AddReferral implements xinqiao.HandoffStore.
func (db *DB) AddReferral(ctx context.Context, r xinqiao.Referral) (xinqiao.Referral, error) {
	err := db.tx(ctx, func(tx *sql.Tx) error {
		if err := touchCase(ctx, tx, r.CaseID, r.At); err != nil {
			return err
		}
		const q = `INSERT INTO referrals (case_id, handoff_id, kind, detail, by_staff, at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id`
		return tx.QueryRowContext(ctx, q, r.CaseID, r.HandoffID, r.Kind, r.Detail, r.By, ms2(r.At)).Scan(&r.ID)
	})
	return r, err
}

// Referrals implements xinqiao.HandoffStore.
func (db *DB) Referrals(ctx context.Context, caseID string) ([]xinqiao.Referral, error) {
	const q = `SELECT id, case_id, handoff_id, kind, detail, by_staff, at FROM referrals WHERE case_id = ? ORDER BY id`
	rows, err := db.r.QueryContext(ctx, q, caseID)
	if err != nil {
		return nil, fmt.Errorf("list referrals: %w", err)
	}
	defer rows.Close()
	var out []xinqiao.Referral
	for rows.Next() {
		var r xinqiao.Referral
		var at int64
		if err := rows.Scan(&r.ID, &r.CaseID, &r.HandoffID, &r.Kind, &r.Detail, &r.By, &at); err != nil {
			return nil, fmt.Errorf("scan referral: %w", err)
		}
		r.At = fromMS(at)
		out = append(out, r)
	}
	return out, rows.Err()
}

const followUpColumns = `id, case_id, task, due_at, assignee, created_by, created_at, done_at, done_by`

func scanFollowUp(row hoScanner) (xinqiao.FollowUp, error) {
	var f xinqiao.FollowUp
	var due, created int64
	var done sql.NullInt64
	err := row.Scan(&f.ID, &f.CaseID, &f.Task, &due, &f.Assignee, &f.CreatedBy, &created, &done, &f.DoneBy)
	f.Due, f.CreatedAt, f.DoneAt = fromMS(due), fromMS(created), hoTime(done)
	return f, err
}

// AddFollowUp implements xinqiao.HandoffStore.
func (db *DB) AddFollowUp(ctx context.Context, f xinqiao.FollowUp) (xinqiao.FollowUp, error) {
	err := db.tx(ctx, func(tx *sql.Tx) error {
		if err := touchCase(ctx, tx, f.CaseID, f.CreatedAt); err != nil {
			return err
		}
		const q = `INSERT INTO follow_ups (case_id, task, due_at, assignee, created_by, created_at)
			VALUES (?, ?, ?, ?, ?, ?) RETURNING id`
		return tx.QueryRowContext(ctx, q, f.CaseID, f.Task, ms2(f.Due), f.Assignee, f.CreatedBy, ms2(f.CreatedAt)).Scan(&f.ID)
	})
	return f, err
}

// FollowUps implements xinqiao.HandoffStore.
func (db *DB) FollowUps(ctx context.Context, caseID string) ([]xinqiao.FollowUp, error) {
	const q = `SELECT ` + followUpColumns + ` FROM follow_ups
		WHERE (? <> '' AND case_id = ?) OR (? = '' AND done_at IS NULL) ORDER BY due_at, id`
	rows, err := db.r.QueryContext(ctx, q, caseID, caseID, caseID)
	return collect(rows, err, "list follow-ups", scanFollowUp)
}

// FollowUp implements xinqiao.HandoffStore.
func (db *DB) FollowUp(ctx context.Context, id int64) (xinqiao.FollowUp, error) {
	const q = `SELECT ` + followUpColumns + ` FROM follow_ups WHERE id = ?`
	f, err := scanFollowUp(db.r.QueryRowContext(ctx, q, id))
	if errors.Is(err, sql.ErrNoRows) {
		return f, xinqiao.Errorf(xinqiao.ENOTFOUND, "follow-up not found")
	} else if err != nil {
		return f, fmt.Errorf("load follow-up: %w", err)
	}
	return f, nil
}

// CompleteFollowUp implements xinqiao.HandoffStore.
func (db *DB) CompleteFollowUp(ctx context.Context, id int64, by string, at time.Time) (xinqiao.FollowUp, error) {
	const q = `UPDATE follow_ups SET done_at = ?, done_by = ? WHERE id = ? AND done_at IS NULL RETURNING ` + followUpColumns
	f, err := scanFollowUp(db.w.QueryRowContext(ctx, q, ms2(at), by, id))
	if errors.Is(err, sql.ErrNoRows) {
		var n int
		_ = db.r.QueryRowContext(ctx, `SELECT count(*) FROM follow_ups WHERE id = ?`, id).Scan(&n)
		if n == 0 {
			return f, xinqiao.Errorf(xinqiao.ENOTFOUND, "follow-up not found")
		}
		return f, xinqiao.Errorf(xinqiao.ECONFLICT, "the follow-up is already done")
	} else if err != nil {
		return f, fmt.Errorf("complete follow-up: %w", err)
	}
	return f, nil
}

// MarkOpenedNoDuty implements xinqiao.HandoffStore.
func (db *DB) MarkOpenedNoDuty(ctx context.Context, handoffID string) error {
	res, err := db.w.ExecContext(ctx, `UPDATE handoffs SET opened_no_duty = 1 WHERE id = ?`, handoffID)
	if err != nil {
		return fmt.Errorf("mark handoff opened with nobody on duty: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return xinqiao.Errorf(xinqiao.ENOTFOUND, "handoff not found")
	}
	return nil
}
