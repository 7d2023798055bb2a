package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"xinqiao/internal/xinqiao"

	"github.com/jackc/pgx/v5"
)

const handoffSelect = `SELECT h.id, h.conversation_id, COALESCE(h.case_id, ''), h.state, h.level, h.categories, h.reason,
		h.message_seq, COALESCE(h.counselor, ''), COALESCE(s.display_name, ''), COALESCE(c.terminal, ''),
		COALESCE(t.school, ''), COALESCE(t.place, ''), h.opened_at, h.claimed_at, h.closed_at, h.closed_by,
		h.outcome, h.note, h.escalated, h.updated_at, h.kind
	FROM handoffs h
	JOIN conversations c ON c.id = h.conversation_id
	LEFT JOIN terminals t ON t.code = c.terminal
	LEFT JOIN staff s ON s.id = h.counselor`

func scanHandoff(row pgx.Row) (xinqiao.Handoff, error) {
	var h xinqiao.Handoff
	var cats, reason []byte
	err := row.Scan(&h.ID, &h.ConversationID, &h.CaseID, &h.State, &h.Level, &cats, &reason, &h.MessageSeq,
		&h.Counselor, &h.CounselorName, &h.Terminal, &h.School, &h.Place, &h.OpenedAt, &h.ClaimedAt, &h.ClosedAt,
		&h.ClosedBy, &h.Outcome, &h.Note, &h.Escalated, &h.UpdatedAt, &h.Kind)
	if err != nil {
		return h, err
	}
	if err := json.Unmarshal(cats, &h.Categories); err != nil {
		return h, fmt.Errorf("decode categories of handoff %s: %w", h.ID, err)
	}
	if err := json.Unmarshal(reason, &h.Reason); err != nil {
		return h, fmt.Errorf("decode reason of handoff %s: %w", h.ID, err)
	}
	h.OpenedAt, h.UpdatedAt = h.OpenedAt.UTC(), h.UpdatedAt.UTC()
	h.ClaimedAt, h.ClosedAt = hoUTC(h.ClaimedAt), hoUTC(h.ClosedAt)
	return h, nil
}

func hoUTC(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// handoffTx loads one handoff inside tx.
func handoffTx(ctx context.Context, q interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}, id string) (xinqiao.Handoff, error) {
	h, err := scanHandoff(q.QueryRow(ctx, handoffSelect+` WHERE h.id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
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
func insertLadder(ctx context.Context, tx pgx.Tx, handoffID string, base, at time.Time, ladder []xinqiao.LadderStep) error {
	const q = `INSERT INTO handoff_timers (handoff_id, kind, step, action, due_at) VALUES ($1, 'ladder', $2, $3, $4)`
	for i, st := range ladder {
		due := base.Add(st.After)
		if due.Before(at) {
			due = at
		}
		if _, err := tx.Exec(ctx, q, handoffID, i+1, st.Action, due); err != nil {
			return fmt.Errorf("schedule ladder: %w", err)
		}
	}
	return nil
}

// OpenHandoff implements xinqiao.HandoffStore. The conversation row is
// updated first: its lock serialises concurrent opens of one conversation,
// and the partial unique index keeps one open handoff even so.
func (db *DB) OpenHandoff(ctx context.Context, nh xinqiao.NewHandoff) (xinqiao.Handoff, bool, bool, error) {
	var id string
	created, raised := false, false
	if nh.Kind == "" {
		nh.Kind = xinqiao.KindUrgent
	}
	if xinqiao.KindRank(nh.Kind) < 0 {
		return xinqiao.Handoff{}, false, false, xinqiao.Errorf(xinqiao.EINVALID, "unknown handoff kind %q", nh.Kind)
	}
	err := db.tx(ctx, func(tx pgx.Tx) error {
		const qc = `UPDATE conversations SET mode = CASE WHEN $3 THEN 'handoff' ELSE mode END, updated_at = $2 WHERE id = $1
			RETURNING COALESCE(terminal, ''), COALESCE((SELECT school FROM terminals WHERE code = conversations.terminal), '')`
		var terminal, school string
		err := tx.QueryRow(ctx, qc, nh.ConversationID, nh.At, nh.Kind == xinqiao.KindUrgent).Scan(&terminal, &school)
		if errors.Is(err, pgx.ErrNoRows) {
			return xinqiao.Errorf(xinqiao.ENOTFOUND, "conversation not found")
		} else if err != nil {
			return fmt.Errorf("lock conversation: %w", err)
		}
		rank := xinqiao.LevelRank(nh.Level)
		const qo = `SELECT id, state, level, kind, categories, reason, queued_at, COALESCE(case_id, ''), message_seq FROM handoffs
			WHERE conversation_id = $1 AND state <> 'closed' FOR UPDATE`
		var state, level, kind, caseID string
		var cats, reason []byte
		var queued time.Time
		var seq int64
		err = tx.QueryRow(ctx, qo, nh.ConversationID).Scan(&id, &state, &level, &kind, &cats, &reason, &queued, &caseID, &seq)
		switch {
		case err == nil:
			var oc, or []string
			_ = json.Unmarshal(cats, &oc)
			_ = json.Unmarshal(reason, &or)
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
			const qu = `UPDATE handoffs SET level = $2, level_rank = $3, kind = $8, kind_rank = $9, categories = $4, reason = $5,
				message_seq = $6, updated_at = GREATEST($7, updated_at + interval '1 millisecond') WHERE id = $1`
			if _, err := tx.Exec(ctx, qu, id, nh.Level, rank, hoList(hoUnion(oc, nh.Categories)),
				hoList(hoUnion(or, nh.Rules)), seq, nh.At, nh.Kind, xinqiao.KindRank(nh.Kind)); err != nil {
				return fmt.Errorf("raise handoff: %w", err)
			}
			if raised && state == xinqiao.HandoffWaiting {
				const qd = `DELETE FROM handoff_timers WHERE handoff_id = $1 AND kind = 'ladder' AND fired_at IS NULL`
				if _, err := tx.Exec(ctx, qd, id); err != nil {
					return fmt.Errorf("reschedule ladder: %w", err)
				}
				base := queued
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
				// request, decided in the same order of locks as here).
				// Nobody has joined, so the raised handoff goes back to the
				// queue with the ladder of its new kind from now.
				const qb = `UPDATE handoffs SET state = 'waiting', counselor = NULL, claimed_at = NULL, queued_at = $2, updated_at = GREATEST($2, updated_at + interval '1 millisecond')
					WHERE id = $1`
				if _, err := tx.Exec(ctx, qb, id, nh.At); err != nil {
					return fmt.Errorf("return raised review to the queue: %w", err)
				}
				if _, err := tx.Exec(ctx, `DELETE FROM handoff_timers WHERE handoff_id = $1 AND fired_at IS NULL`, id); err != nil {
					return fmt.Errorf("return raised review to the queue: %w", err)
				}
				if err := insertLadder(ctx, tx, id, nh.At, nh.At, nh.LadderFor(nh.Kind, nh.Level)); err != nil {
					return err
				}
			}
		case errors.Is(err, pgx.ErrNoRows):
			const qprev = `SELECT case_id FROM handoffs WHERE conversation_id = $1 AND case_id IS NOT NULL
				ORDER BY opened_at DESC LIMIT 1`
			if err := tx.QueryRow(ctx, qprev, nh.ConversationID).Scan(&caseID); err != nil && !errors.Is(err, pgx.ErrNoRows) {
				return fmt.Errorf("find case: %w", err)
			}
			if caseID == "" {
				subject := "conversation:" + nh.ConversationID
				if terminal != "" {
					subject = "terminal:" + terminal
				}
				const qcase = `INSERT INTO cases (id, subject, school, status, risk_level, risk_rank, opened_at, updated_at)
					VALUES ($1, $2, $3, 'open', $4, $5, $6, $6)
					ON CONFLICT (subject) DO UPDATE SET status = 'open', updated_at = excluded.updated_at
					RETURNING id`
				if err := tx.QueryRow(ctx, qcase, xinqiao.NewID(), subject, school, nh.Level, rank, nh.At).Scan(&caseID); err != nil {
					return fmt.Errorf("file case: %w", err)
				}
			}
			id = xinqiao.NewID()
			const qi = `INSERT INTO handoffs (id, conversation_id, case_id, state, level, level_rank, categories, reason,
				message_seq, opened_at, queued_at, updated_at, kind, kind_rank)
				VALUES ($1, $2, $3, 'waiting', $4, $5, $6, $7, $8, $9, $9, $9, $10, $11)`
			if _, err := tx.Exec(ctx, qi, id, nh.ConversationID, caseID, nh.Level, rank, hoList(nh.Categories),
				hoList(nh.Rules), nh.MessageSeq, nh.At, nh.Kind, xinqiao.KindRank(nh.Kind)); err != nil {
				return fmt.Errorf("insert handoff: %w", err)
			}
			if err := insertLadder(ctx, tx, id, nh.At, nh.At, nh.LadderFor(nh.Kind, nh.Level)); err != nil {
				return err
			}
			created = true
		default:
			return fmt.Errorf("find open handoff: %w", err)
		}
		const qr = `UPDATE cases SET risk_level = $2, risk_rank = $3, updated_at = $4, status = 'open'
			WHERE id = $1 AND risk_rank < $3`
		if _, err := tx.Exec(ctx, qr, caseID, nh.Level, rank, nh.At); err != nil {
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
	return handoffTx(ctx, db.pool, id)
}

// LatestHandoff implements xinqiao.HandoffStore.
func (db *DB) LatestHandoff(ctx context.Context, conversationID string) (xinqiao.Handoff, error) {
	const q = handoffSelect + ` WHERE h.conversation_id = $1 ORDER BY h.state <> 'closed' DESC, h.opened_at DESC, h.id LIMIT 1`
	h, err := scanHandoff(db.pool.QueryRow(ctx, q, conversationID))
	if errors.Is(err, pgx.ErrNoRows) {
		return h, xinqiao.Errorf(xinqiao.ENOTFOUND, "no handoff for this conversation")
	} else if err != nil {
		return h, fmt.Errorf("load handoff: %w", err)
	}
	return h, nil
}

// Handoffs implements xinqiao.HandoffStore.
func (db *DB) Handoffs(ctx context.Context, f xinqiao.HandoffFilter) ([]xinqiao.Handoff, error) {
	const q = handoffSelect + ` WHERE (cardinality($1::text[]) = 0 OR h.state = ANY($1))
		AND ($2 = '' OR h.conversation_id = $2) AND ($3 = '' OR h.case_id = $3) AND ($4 = '' OR h.counselor = $4)
		AND ($6 = '' OR h.kind = $6) AND ($7 = '' OR COALESCE(t.school, '') IN ('', $7))
		ORDER BY h.kind_rank = 2 DESC, h.level_rank DESC, h.kind_rank DESC, h.opened_at, h.id LIMIT $5`
	if f.Limit <= 0 {
		f.Limit = 200
	}
	states := f.States
	if states == nil {
		states = []string{}
	}
	rows, err := db.pool.Query(ctx, q, states, f.ConversationID, f.CaseID, f.Counselor, f.Limit, f.Kind, f.School)
	if err != nil {
		return nil, fmt.Errorf("list handoffs: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (xinqiao.Handoff, error) { return scanHandoff(r) })
	if err != nil {
		return nil, fmt.Errorf("scan handoffs: %w", err)
	}
	return out, nil
}

// changeHandoff runs a conditional UPDATE that returns the id when it
// applied, then the follow-up statements, then loads the row, all in one
// transaction. When the UPDATE matched nothing, the row as it is explains why.
//
// Every transaction takes its rows in one order: the conversation, the
// handoff, its timers (OpenHandoff does too; TakeDueTimers skips a handoff
// being changed). A claim that updated the handoff before the conversation
// deadlocked with the student's next message raising it, and PostgreSQL
// aborted one of them with an internal error.
func (db *DB) changeHandoff(ctx context.Context, id, want, staffID, q string, args []any, then func(tx pgx.Tx) error) (xinqiao.Handoff, error) {
	var h xinqiao.Handoff
	err := db.tx(ctx, func(tx pgx.Tx) error {
		const qc = `SELECT 1 FROM conversations WHERE id = (SELECT conversation_id FROM handoffs WHERE id = $1) FOR NO KEY UPDATE`
		if _, err := tx.Exec(ctx, qc, id); err != nil {
			return fmt.Errorf("lock conversation: %w", err)
		}
		var got string
		err := tx.QueryRow(ctx, q, args...).Scan(&got)
		if errors.Is(err, pgx.ErrNoRows) {
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
	const q = `UPDATE handoffs SET state = 'active', counselor = $2, claimed_at = $3, updated_at = GREATEST($3, updated_at + interval '1 millisecond')
		WHERE id = $1 AND state = 'waiting' RETURNING id`
	return db.changeHandoff(ctx, id, xinqiao.HandoffWaiting, "", q, []any{id, staffID, at}, func(tx pgx.Tx) error {
		// A student who asked for a teacher now has one: the AI steps back.
		const qm = `UPDATE conversations SET mode = 'handoff', updated_at = $2
			WHERE id = (SELECT conversation_id FROM handoffs WHERE id = $1 AND kind = 'requested') AND mode = 'ai'`
		if _, err := tx.Exec(ctx, qm, id, at); err != nil {
			return fmt.Errorf("set mode: %w", err)
		}
		_, err := tx.Exec(ctx, `DELETE FROM handoff_timers WHERE handoff_id = $1 AND fired_at IS NULL`, id)
		return err
	})
}

// JoinHandoff implements xinqiao.HandoffStore with one conditional UPDATE.
func (db *DB) JoinHandoff(ctx context.Context, id, staffID string, at time.Time) (xinqiao.Handoff, error) {
	const q = `UPDATE handoffs SET kind = 'requested', kind_rank = $3, updated_at = GREATEST($4, updated_at + interval '1 millisecond')
		WHERE id = $1 AND state = 'active' AND counselor = $2 AND kind = 'review' RETURNING id`
	args := []any{id, staffID, xinqiao.KindRank(xinqiao.KindRequested), at}
	return db.changeHandoff(ctx, id, xinqiao.HandoffActive, staffID, q, args, func(tx pgx.Tx) error {
		const qm = `UPDATE conversations SET mode = 'handoff', updated_at = $2
			WHERE id = (SELECT conversation_id FROM handoffs WHERE id = $1)`
		if _, err := tx.Exec(ctx, qm, id, at); err != nil {
			return fmt.Errorf("set mode: %w", err)
		}
		return nil
	})
}

// ReleaseHandoff implements xinqiao.HandoffStore.
func (db *DB) ReleaseHandoff(ctx context.Context, id, staffID string, at time.Time, ladder []xinqiao.LadderStep) (xinqiao.Handoff, error) {
	const q = `UPDATE handoffs SET state = 'waiting', counselor = NULL, claimed_at = NULL, queued_at = $3, updated_at = GREATEST($3, updated_at + interval '1 millisecond')
		WHERE id = $1 AND state = 'active' AND ($2 = '' OR counselor = $2) RETURNING id`
	return db.changeHandoff(ctx, id, xinqiao.HandoffActive, staffID, q, []any{id, staffID, at}, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM handoff_timers WHERE handoff_id = $1 AND fired_at IS NULL`, id); err != nil {
			return err
		}
		return insertLadder(ctx, tx, id, at, at, ladder)
	})
}

// TransferHandoff implements xinqiao.HandoffStore.
func (db *DB) TransferHandoff(ctx context.Context, id, fromStaffID, toStaffID string, at time.Time) (xinqiao.Handoff, error) {
	const q = `UPDATE handoffs SET counselor = $3, updated_at = GREATEST($4, updated_at + interval '1 millisecond')
		WHERE id = $1 AND state = 'active' AND ($2 = '' OR counselor = $2) RETURNING id`
	return db.changeHandoff(ctx, id, xinqiao.HandoffActive, fromStaffID, q, []any{id, fromStaffID, toStaffID, at}, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `DELETE FROM handoff_timers WHERE handoff_id = $1 AND kind = 'grace' AND fired_at IS NULL`, id)
		return err
	})
}

// CloseHandoff implements xinqiao.HandoffStore.
func (db *DB) CloseHandoff(ctx context.Context, id string, c xinqiao.CloseHandoff) (xinqiao.Handoff, error) {
	const q = `UPDATE handoffs SET state = 'closed', closed_at = $2, closed_by = $3, outcome = $4, note = $5, updated_at = GREATEST($2, updated_at + interval '1 millisecond')
		WHERE id = $1 AND state <> 'closed' AND ($6 OR (state = 'active' AND counselor = $3))
		AND ($7::timestamptz IS NULL OR updated_at = $7) RETURNING id`
	want, staff := xinqiao.HandoffActive, c.StaffID
	if c.AnyHolder {
		staff = ""
	}
	var seen *time.Time
	if !c.Seen.IsZero() {
		seen = &c.Seen
	}
	return db.changeHandoff(ctx, id, want, staff, q, []any{id, c.At, c.StaffID, c.Outcome, c.Note, c.AnyHolder, seen}, func(tx pgx.Tx) error {
		const qm = `UPDATE conversations SET mode = $2, updated_at = $3
			WHERE id = (SELECT conversation_id FROM handoffs WHERE id = $1)`
		if _, err := tx.Exec(ctx, qm, id, c.Mode, c.At); err != nil {
			return fmt.Errorf("set mode: %w", err)
		}
		if c.Risk != "" {
			var st any
			if len(c.RiskState) > 0 {
				st = string(c.RiskState)
			}
			const qr = `UPDATE conversations SET risk_level = $2, risk_state = $3
				WHERE id = (SELECT conversation_id FROM handoffs WHERE id = $1)`
			if _, err := tx.Exec(ctx, qr, id, c.Risk, st); err != nil {
				return fmt.Errorf("set risk: %w", err)
			}
		}
		_, err := tx.Exec(ctx, `DELETE FROM handoff_timers WHERE handoff_id = $1 AND fired_at IS NULL`, id)
		return err
	})
}

const timerColumns = `id, handoff_id, kind, step, action, staff_id, due_at, fired_at, leased_until`

func scanTimer(row pgx.Row) (xinqiao.Timer, error) {
	var t xinqiao.Timer
	err := row.Scan(&t.ID, &t.HandoffID, &t.Kind, &t.Step, &t.Action, &t.StaffID, &t.Due, &t.FiredAt, &t.LeasedUntil)
	t.Due, t.FiredAt, t.LeasedUntil = t.Due.UTC(), hoUTC(t.FiredAt), hoUTC(t.LeasedUntil)
	return t, err
}

// AddTimer implements xinqiao.HandoffStore.
func (db *DB) AddTimer(ctx context.Context, t xinqiao.Timer) error {
	const q = `INSERT INTO handoff_timers (handoff_id, kind, step, action, staff_id, due_at) VALUES ($1, $2, $3, $4, $5, $6)`
	if _, err := db.pool.Exec(ctx, q, t.HandoffID, t.Kind, t.Step, t.Action, t.StaffID, t.Due); err != nil {
		if isForeignKey(err) {
			return xinqiao.Errorf(xinqiao.ENOTFOUND, "handoff not found")
		}
		return fmt.Errorf("add timer: %w", err)
	}
	return nil
}

// CancelTimers implements xinqiao.HandoffStore.
func (db *DB) CancelTimers(ctx context.Context, handoffID, kind, staffID string) error {
	const q = `DELETE FROM handoff_timers WHERE fired_at IS NULL AND ($1 = '' OR handoff_id = $1)
		AND ($2 = '' OR kind = $2) AND ($3 = '' OR staff_id = $3)`
	if _, err := db.pool.Exec(ctx, q, handoffID, kind, staffID); err != nil {
		return fmt.Errorf("cancel timers: %w", err)
	}
	return nil
}

// TakeDueTimers implements xinqiao.HandoffStore: SKIP LOCKED lets every node
// scan at once, and each row is leased by exactly one of them. The
// timer's handoff is locked with it, skipping one that a claim, release or
// close is changing (the change cancels the timer or the next tick takes
// it): waiting for the handoff while holding its timer, which the change
// deletes, deadlocked with it.
func (db *DB) TakeDueTimers(ctx context.Context, now, leaseUntil time.Time, limit int) ([]xinqiao.Timer, error) {
	var out []xinqiao.Timer
	err := db.tx(ctx, func(tx pgx.Tx) error {
		const q = `WITH due AS (
				SELECT t.id FROM handoff_timers t JOIN handoffs h ON h.id = t.handoff_id
				WHERE t.fired_at IS NULL AND t.due_at <= $1 AND (t.leased_until IS NULL OR t.leased_until <= $1)
				ORDER BY t.due_at, t.id LIMIT $2 FOR UPDATE OF t SKIP LOCKED FOR NO KEY UPDATE OF h SKIP LOCKED)
			UPDATE handoff_timers t SET leased_until = $3 FROM due WHERE t.id = due.id
			RETURNING t.id, t.handoff_id, t.kind, t.step, t.action, t.staff_id, t.due_at, t.fired_at, t.leased_until`
		rows, err := tx.Query(ctx, q, now, limit, leaseUntil)
		if err != nil {
			return fmt.Errorf("take due timers: %w", err)
		}
		out, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (xinqiao.Timer, error) { return scanTimer(r) })
		if err != nil {
			return fmt.Errorf("scan timers: %w", err)
		}
		for _, t := range out {
			if t.Kind != xinqiao.TimerLadder {
				continue
			}
			const qe = `UPDATE handoffs SET escalated = GREATEST(escalated, $2) WHERE id = $1`
			if _, err := tx.Exec(ctx, qe, t.HandoffID, t.Step); err != nil {
				return fmt.Errorf("mark escalation: %w", err)
			}
		}
		return nil
	})
	return out, err
}

// CompleteTimer implements xinqiao.HandoffStore.
func (db *DB) CompleteTimer(ctx context.Context, id int64, at time.Time) error {
	const q = `UPDATE handoff_timers SET fired_at = $2 WHERE id = $1 AND fired_at IS NULL`
	if _, err := db.pool.Exec(ctx, q, id, at); err != nil {
		return fmt.Errorf("complete timer: %w", err)
	}
	return nil
}

// Timers implements xinqiao.HandoffStore.
func (db *DB) Timers(ctx context.Context, handoffID string) ([]xinqiao.Timer, error) {
	const q = `SELECT ` + timerColumns + ` FROM handoff_timers WHERE handoff_id = $1 ORDER BY due_at, id`
	rows, err := db.pool.Query(ctx, q, handoffID)
	if err != nil {
		return nil, fmt.Errorf("list timers: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (xinqiao.Timer, error) { return scanTimer(r) })
}

// RecordAlertAttempt implements xinqiao.HandoffStore.
func (db *DB) RecordAlertAttempt(ctx context.Context, a xinqiao.AlertAttempt) error {
	const q = `INSERT INTO alert_attempts (handoff_id, event, audience, target, attempt, ok, status, error, at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`
	if _, err := db.pool.Exec(ctx, q, a.HandoffID, a.Event, a.Audience, a.Target, a.Attempt, a.OK, a.Status, a.Error, a.At); err != nil {
		return fmt.Errorf("record alert attempt: %w", err)
	}
	return nil
}

// AlertAttempts implements xinqiao.HandoffStore.
func (db *DB) AlertAttempts(ctx context.Context, handoffID string, limit int) ([]xinqiao.AlertAttempt, error) {
	const q = `SELECT id, handoff_id, event, audience, target, attempt, ok, status, error, at FROM alert_attempts
		WHERE ($1 = '' OR handoff_id = $1) ORDER BY id LIMIT $2`
	rows, err := db.pool.Query(ctx, q, handoffID, limit)
	if err != nil {
		return nil, fmt.Errorf("list alert attempts: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (xinqiao.AlertAttempt, error) {
		var a xinqiao.AlertAttempt
		err := r.Scan(&a.ID, &a.HandoffID, &a.Event, &a.Audience, &a.Target, &a.Attempt, &a.OK, &a.Status, &a.Error, &a.At)
		a.At = a.At.UTC()
		return a, err
	})
}

// TouchPresence implements xinqiao.HandoffStore.
func (db *DB) TouchPresence(ctx context.Context, staffIDs []string, at time.Time) error {
	const q = `INSERT INTO staff_presence (staff_id, seen_at) SELECT unnest($1::text[]), $2
		ON CONFLICT (staff_id) DO UPDATE SET seen_at = GREATEST(staff_presence.seen_at, excluded.seen_at)`
	if len(staffIDs) == 0 {
		return nil
	}
	if _, err := db.pool.Exec(ctx, q, staffIDs, at); err != nil {
		return fmt.Errorf("touch presence: %w", err)
	}
	return nil
}

// Presence implements xinqiao.HandoffStore.
func (db *DB) Presence(ctx context.Context, staffID string) (time.Time, error) {
	var t time.Time
	err := db.pool.QueryRow(ctx, `SELECT seen_at FROM staff_presence WHERE staff_id = $1`, staffID).Scan(&t)
	if errors.Is(err, pgx.ErrNoRows) {
		return time.Time{}, nil
	} else if err != nil {
		return t, fmt.Errorf("load presence: %w", err)
	}
	return t.UTC(), nil
}

const caseSelect = `SELECT c.id, c.subject, c.school, c.status, c.risk_level,
		(SELECT count(*) FROM handoffs h WHERE h.case_id = c.id), c.opened_at, c.updated_at
	FROM cases c`

func scanCase(row pgx.Row) (xinqiao.Case, error) {
	var c xinqiao.Case
	err := row.Scan(&c.ID, &c.Subject, &c.School, &c.Status, &c.RiskLevel, &c.Handoffs, &c.OpenedAt, &c.UpdatedAt)
	c.OpenedAt, c.UpdatedAt = c.OpenedAt.UTC(), c.UpdatedAt.UTC()
	return c, err
}

// Case implements xinqiao.HandoffStore.
func (db *DB) Case(ctx context.Context, id string) (xinqiao.Case, error) {
	c, err := scanCase(db.pool.QueryRow(ctx, caseSelect+` WHERE c.id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return c, xinqiao.Errorf(xinqiao.ENOTFOUND, "case not found")
	} else if err != nil {
		return c, fmt.Errorf("load case: %w", err)
	}
	return c, nil
}

// Cases implements xinqiao.HandoffStore.
func (db *DB) Cases(ctx context.Context, f xinqiao.CaseFilter) ([]xinqiao.Case, error) {
	const q = caseSelect + ` WHERE ($1 = '' OR c.school = $1) AND ($2 = '' OR c.status = $2) AND c.risk_rank >= $3
		AND ($4 = '' OR c.subject = $4)
		AND ($5::timestamptz IS NULL OR EXISTS (SELECT 1 FROM follow_ups f WHERE f.case_id = c.id AND f.done_at IS NULL AND f.due_at < $5))
		ORDER BY c.risk_rank DESC, c.updated_at DESC, c.id LIMIT $6`
	if f.Limit <= 0 {
		f.Limit = 200
	}
	var overdue *time.Time
	if !f.OverdueAt.IsZero() {
		overdue = &f.OverdueAt
	}
	rows, err := db.pool.Query(ctx, q, f.School, f.Status, max(xinqiao.LevelRank(f.MinLevel), 0), f.Subject, overdue, f.Limit)
	if err != nil {
		return nil, fmt.Errorf("list cases: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (xinqiao.Case, error) { return scanCase(r) })
}

func (db *DB) updateCase(ctx context.Context, q string, args ...any) error {
	tag, err := db.pool.Exec(ctx, q, args...)
	if isUnique(err) {
		return xinqiao.Errorf(xinqiao.ECONFLICT, "another case already has this subject")
	} else if err != nil {
		return fmt.Errorf("update case: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return xinqiao.Errorf(xinqiao.ENOTFOUND, "case not found")
	}
	return nil
}

// SetCaseSubject implements xinqiao.HandoffStore.
func (db *DB) SetCaseSubject(ctx context.Context, id, subject string, at time.Time) error {
	return db.updateCase(ctx, `UPDATE cases SET subject = $2, updated_at = $3 WHERE id = $1`, id, subject, at)
}

// SetCaseStatus implements xinqiao.HandoffStore.
func (db *DB) SetCaseStatus(ctx context.Context, id, status string, at time.Time) error {
	return db.updateCase(ctx, `UPDATE cases SET status = $2, updated_at = $3 WHERE id = $1`, id, status, at)
}

// touchCase marks a case updated; a missing case is ENOTFOUND.
func touchCase(ctx context.Context, tx pgx.Tx, id string, at time.Time) error {
	tag, err := tx.Exec(ctx, `UPDATE cases SET updated_at = $2 WHERE id = $1`, id, at)
	if err != nil {
		return fmt.Errorf("touch case: %w", err)
	} else if tag.RowsAffected() == 0 {
		return xinqiao.Errorf(xinqiao.ENOTFOUND, "case not found")
	}
	return nil
}

// AddCaseNote implements xinqiao.HandoffStore.
func (db *DB) AddCaseNote(ctx context.Context, n xinqiao.CaseNote) (xinqiao.CaseNote, error) {
	err := db.tx(ctx, func(tx pgx.Tx) error {
		if err := touchCase(ctx, tx, n.CaseID, n.At); err != nil {
			return err
		}
		const q = `INSERT INTO case_notes (case_id, handoff_id, author, text, at) VALUES ($1, $2, $3, $4, $5) RETURNING id`
		return tx.QueryRow(ctx, q, n.CaseID, n.HandoffID, n.Author, n.Text, n.At).Scan(&n.ID)
	})
	return n, err
}

// CaseNotes implements xinqiao.HandoffStore.
func (db *DB) CaseNotes(ctx context.Context, caseID string) ([]xinqiao.CaseNote, error) {
	const q = `SELECT n.id, n.case_id, n.handoff_id, n.author, COALESCE(s.display_name, ''), n.text, n.at
		FROM case_notes n LEFT JOIN staff s ON s.id = n.author WHERE n.case_id = $1 ORDER BY n.id`
	rows, err := db.pool.Query(ctx, q, caseID)
	if err != nil {
		return nil, fmt.Errorf("list notes: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (xinqiao.CaseNote, error) {
		var n xinqiao.CaseNote
		err := r.Scan(&n.ID, &n.CaseID, &n.HandoffID, &n.Author, &n.AuthorName, &n.Text, &n.At)
		n.At = n.At.UTC()
		return n, err
	})
}

// AddReferral implements xinqiao.HandoffStore.
func (db *DB) AddReferral(ctx context.Context, r xinqiao.Referral) (xinqiao.Referral, error) {
	err := db.tx(ctx, func(tx pgx.Tx) error {
		if err := touchCase(ctx, tx, r.CaseID, r.At); err != nil {
			return err
		}
		const q = `INSERT INTO referrals (case_id, handoff_id, kind, detail, by_staff, at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`
		return tx.QueryRow(ctx, q, r.CaseID, r.HandoffID, r.Kind, r.Detail, r.By, r.At).Scan(&r.ID)
	})
	return r, err
}

// Referrals implements xinqiao.HandoffStore.
func (db *DB) Referrals(ctx context.Context, caseID string) ([]xinqiao.Referral, error) {
	const q = `SELECT id, case_id, handoff_id, kind, detail, by_staff, at FROM referrals WHERE case_id = $1 ORDER BY id`
	rows, err := db.pool.Query(ctx, q, caseID)
	if err != nil {
		return nil, fmt.Errorf("list referrals: %w", err)
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (xinqiao.Referral, error) {
		var r xinqiao.Referral
		err := row.Scan(&r.ID, &r.CaseID, &r.HandoffID, &r.Kind, &r.Detail, &r.By, &r.At)
		r.At = r.At.UTC()
		return r, err
	})
}

const followUpColumns = `id, case_id, task, due_at, assignee, created_by, created_at, done_at, done_by`

func scanFollowUp(row pgx.Row) (xinqiao.FollowUp, error) {
	var f xinqiao.FollowUp
	err := row.Scan(&f.ID, &f.CaseID, &f.Task, &f.Due, &f.Assignee, &f.CreatedBy, &f.CreatedAt, &f.DoneAt, &f.DoneBy)
	f.Due, f.CreatedAt, f.DoneAt = f.Due.UTC(), f.CreatedAt.UTC(), hoUTC(f.DoneAt)
	return f, err
}

// AddFollowUp implements xinqiao.HandoffStore.
func (db *DB) AddFollowUp(ctx context.Context, f xinqiao.FollowUp) (xinqiao.FollowUp, error) {
	err := db.tx(ctx, func(tx pgx.Tx) error {
		if err := touchCase(ctx, tx, f.CaseID, f.CreatedAt); err != nil {
			return err
		}
		const q = `INSERT INTO follow_ups (case_id, task, due_at, assignee, created_by, created_at)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`
		return tx.QueryRow(ctx, q, f.CaseID, f.Task, f.Due, f.Assignee, f.CreatedBy, f.CreatedAt).Scan(&f.ID)
	})
	return f, err
}

// FollowUps implements xinqiao.HandoffStore.
func (db *DB) FollowUps(ctx context.Context, caseID string) ([]xinqiao.FollowUp, error) {
	const q = `SELECT ` + followUpColumns + ` FROM follow_ups
		WHERE ($1 <> '' AND case_id = $1) OR ($1 = '' AND done_at IS NULL) ORDER BY due_at, id`
	rows, err := db.pool.Query(ctx, q, caseID)
	if err != nil {
		return nil, fmt.Errorf("list follow-ups: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (xinqiao.FollowUp, error) { return scanFollowUp(r) })
}

// FollowUp implements xinqiao.HandoffStore.
func (db *DB) FollowUp(ctx context.Context, id int64) (xinqiao.FollowUp, error) {
	const q = `SELECT ` + followUpColumns + ` FROM follow_ups WHERE id = $1`
	f, err := scanFollowUp(db.pool.QueryRow(ctx, q, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return f, xinqiao.Errorf(xinqiao.ENOTFOUND, "follow-up not found")
	} else if err != nil {
		return f, fmt.Errorf("load follow-up: %w", err)
	}
	return f, nil
}

// CompleteFollowUp implements xinqiao.HandoffStore.
func (db *DB) CompleteFollowUp(ctx context.Context, id int64, by string, at time.Time) (xinqiao.FollowUp, error) {
	const q = `UPDATE follow_ups SET done_at = $2, done_by = $3 WHERE id = $1 AND done_at IS NULL RETURNING ` + followUpColumns
	f, err := scanFollowUp(db.pool.QueryRow(ctx, q, id, at, by))
	if errors.Is(err, pgx.ErrNoRows) {
		var n int
		_ = db.pool.QueryRow(ctx, `SELECT count(*) FROM follow_ups WHERE id = $1`, id).Scan(&n)
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
	tag, err := db.pool.Exec(ctx, `UPDATE handoffs SET opened_no_duty = true WHERE id = $1`, handoffID)
	if err != nil {
		return fmt.Errorf("mark handoff opened with nobody on duty: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return xinqiao.Errorf(xinqiao.ENOTFOUND, "handoff not found")
	}
	return nil
}
