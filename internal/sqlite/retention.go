package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"xinqiao/internal/xinqiao"
)

// purgeable selects the conversations a purge deletes: last active before
// ?1, never handed to a counselor, and no case names them (a case's subject
// is "conversation:ID" when the student came from no terminal).
const purgeable = `SELECT c.id FROM conversations c
	WHERE c.updated_at < ?1
		AND NOT EXISTS (SELECT 1 FROM handoffs h WHERE h.conversation_id = c.id)
		AND NOT EXISTS (SELECT 1 FROM cases k WHERE k.subject = 'conversation:' || c.id)`

// keptForCases counts the conversations older than ?1 that a purge keeps.
const keptForCases = `SELECT COUNT(*) FROM conversations c
	WHERE c.updated_at < ?1
		AND (EXISTS (SELECT 1 FROM handoffs h WHERE h.conversation_id = c.id)
			OR EXISTS (SELECT 1 FROM cases k WHERE k.subject = 'conversation:' || c.id))`

// Purge implements xinqiao.RetentionStore. Each batch is one write
// transaction; SQLite has one writer, so a batch sees no concurrent change
// and two purges (the server's loop and the command) simply take turns.
func (db *DB) Purge(ctx context.Context, before, now time.Time) (xinqiao.PurgeReport, error) {
	var rep xinqiao.PurgeReport
	cut, at := ms2(before), ms2(now)
	for first := true; ; first = false {
		var n int
		err := db.tx(ctx, func(tx *sql.Tx) error {
			var b xinqiao.PurgeReport
			if first {
				var err error
				if b.StudentSessions, err = execCount(ctx, tx, `DELETE FROM student_sessions WHERE expires_at < ?`, at); err != nil {
					return fmt.Errorf("purge student sessions: %w", err)
				}
				if b.StaffSessions, err = execCount(ctx, tx, `DELETE FROM staff_sessions WHERE expires_at < ?`, at); err != nil {
					return fmt.Errorf("purge staff sessions: %w", err)
				}
			}
			rows, err := tx.QueryContext(ctx, purgeable+` ORDER BY c.updated_at LIMIT ?2`, cut, xinqiao.PurgeBatchSize)
			ids, err := collect(rows, err, "select conversations to purge", func(r *sql.Rows) (string, error) {
				var id string
				return id, r.Scan(&id)
			})
			if err != nil {
				return err
			}
			n = len(ids)
			if n > 0 {
				list, _ := json.Marshal(ids)
				const in = ` IN (SELECT value FROM json_each(?))`
				if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_events WHERE target`+in, string(list)).Scan(&b.AuditKept); err != nil {
					return fmt.Errorf("count audit events: %w", err)
				}
				var live int
				for _, s := range []struct {
					q    string
					dest *int
				}{
					{`DELETE FROM messages WHERE conversation_id` + in, &b.Messages},
					{`DELETE FROM student_sessions WHERE conversation_id` + in, &live},
					{`DELETE FROM conversations WHERE id` + in, &b.Conversations},
				} {
					if *s.dest, err = execCount(ctx, tx, s.q, string(list)); err != nil {
						return fmt.Errorf("purge conversations: %w", err)
					}
				}
				b.StudentSessions += live
			}
			b.Batches = 1
			rep.Add(b)
			return nil
		})
		if err != nil {
			return rep, err
		}
		if n < xinqiao.PurgeBatchSize {
			break
		}
	}
	if err := db.r.QueryRowContext(ctx, keptForCases, cut).Scan(&rep.KeptForCases); err != nil {
		return rep, fmt.Errorf("count kept conversations: %w", err)
	}
	return rep, nil
}

// PurgePreview implements xinqiao.RetentionStore: one read of the counts
// Purge would produce now.
func (db *DB) PurgePreview(ctx context.Context, before, now time.Time) (xinqiao.PurgeReport, error) {
	const q = `WITH gone AS (` + purgeable + `)
		SELECT (SELECT COUNT(*) FROM gone),
			(SELECT COUNT(*) FROM messages WHERE conversation_id IN (SELECT id FROM gone)),
			(SELECT COUNT(*) FROM student_sessions WHERE expires_at < ?2 OR conversation_id IN (SELECT id FROM gone)),
			(SELECT COUNT(*) FROM staff_sessions WHERE expires_at < ?2),
			(SELECT COUNT(*) FROM audit_events WHERE target IN (SELECT id FROM gone)),
			(` + keptForCases + `)`
	var r xinqiao.PurgeReport
	err := db.r.QueryRowContext(ctx, q, ms2(before), ms2(now)).Scan(&r.Conversations, &r.Messages, &r.StudentSessions,
		&r.StaffSessions, &r.AuditKept, &r.KeptForCases)
	if err != nil {
		return r, fmt.Errorf("preview purge: %w", err)
	}
	return r, nil
}

// execCount runs a statement and returns how many rows it changed.
func execCount(ctx context.Context, tx *sql.Tx, q string, args ...any) (int, error) {
	res, err := tx.ExecContext(ctx, q, args...)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), err
}
