package postgres

import (
	"context"
	"fmt"
	"time"

	"xinqiao/internal/xinqiao"

	"github.com/jackc/pgx/v5"
)

// retentionLock is the session-level advisory lock key a purge holds, so
// that one node purges at a time however many run the daily loop.
const retentionLock = 0x78710002

// purgeable selects the conversations a purge deletes: last active before
// $1, never handed to a counselor, and no case names them (a case's subject
// is "conversation:ID" when the student came from no terminal).
const purgeable = `SELECT c.id FROM conversations c
	WHERE c.updated_at < $1
		AND NOT EXISTS (SELECT 1 FROM handoffs h WHERE h.conversation_id = c.id)
		AND NOT EXISTS (SELECT 1 FROM cases k WHERE k.subject = 'conversation:' || c.id)`

// keptForCases counts the conversations older than $1 that a purge keeps.
const keptForCases = `SELECT COUNT(*) FROM conversations c
	WHERE c.updated_at < $1
		AND (EXISTS (SELECT 1 FROM handoffs h WHERE h.conversation_id = c.id)
			OR EXISTS (SELECT 1 FROM cases k WHERE k.subject = 'conversation:' || c.id))`

// Purge implements xinqiao.RetentionStore.
//
// Two guards, for two different races. The advisory lock makes the purge
// one node's job: a node that finds it taken returns ECONFLICT at once
// instead of doing the same work twice. And each batch locks the rows it
// deletes (FOR UPDATE … SKIP LOCKED), so the transaction stays correct even
// without the lock: a student's message or a handoff that races a batch
// either commits first (the row no longer qualifies when it is re-checked,
// or is skipped while locked) or waits and then finds no conversation; a
// handoff opens only after updating its conversation, so a conversation
// that reaches a counselor is never deleted.
func (db *DB) Purge(ctx context.Context, before, now time.Time) (xinqiao.PurgeReport, error) {
	var rep xinqiao.PurgeReport
	conn, err := db.pool.Acquire(ctx)
	if err != nil {
		return rep, fmt.Errorf("purge: %w", err)
	}
	var locked bool
	if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1)`, retentionLock).Scan(&locked); err != nil {
		conn.Release()
		return rep, fmt.Errorf("take purge lock: %w", err)
	}
	if !locked {
		conn.Release()
		return rep, xinqiao.Errorf(xinqiao.ECONFLICT, "another node is purging")
	}
	defer func() {
		if _, err := conn.Exec(context.Background(), `SELECT pg_advisory_unlock($1)`, retentionLock); err != nil {
			// Never hand a connection that may still hold the lock back to
			// the pool: closing it releases the lock.
			_ = conn.Hijack().Close(context.Background())
			return
		}
		conn.Release()
	}()

	for first := true; ; first = false {
		var n int
		err := db.tx(ctx, func(tx pgx.Tx) error {
			var b xinqiao.PurgeReport
			if first {
				tag, err := tx.Exec(ctx, `DELETE FROM student_sessions WHERE expires_at < $1`, now)
				if err != nil {
					return fmt.Errorf("purge student sessions: %w", err)
				}
				b.StudentSessions = int(tag.RowsAffected())
				if tag, err = tx.Exec(ctx, `DELETE FROM staff_sessions WHERE expires_at < $1`, now); err != nil {
					return fmt.Errorf("purge staff sessions: %w", err)
				}
				b.StaffSessions = int(tag.RowsAffected())
			}
			rows, err := tx.Query(ctx, purgeable+` ORDER BY c.updated_at LIMIT $2 FOR UPDATE OF c SKIP LOCKED`, before, xinqiao.PurgeBatchSize)
			if err != nil {
				return fmt.Errorf("select conversations to purge: %w", err)
			}
			ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
			if err != nil {
				return fmt.Errorf("select conversations to purge: %w", err)
			}
			n = len(ids)
			if n > 0 {
				if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM audit_events WHERE target = ANY($1)`, ids).Scan(&b.AuditKept); err != nil {
					return fmt.Errorf("count audit events: %w", err)
				}
				var live int
				for _, s := range []struct {
					q    string
					dest *int
				}{
					{`DELETE FROM messages WHERE conversation_id = ANY($1)`, &b.Messages},
					{`DELETE FROM student_sessions WHERE conversation_id = ANY($1)`, &live},
					{`DELETE FROM conversations WHERE id = ANY($1)`, &b.Conversations},
				} {
					tag, err := tx.Exec(ctx, s.q, ids)
					if err != nil {
						return fmt.Errorf("purge conversations: %w", err)
					}
					*s.dest = int(tag.RowsAffected())
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
	if err := db.pool.QueryRow(ctx, keptForCases, before).Scan(&rep.KeptForCases); err != nil {
		return rep, fmt.Errorf("count kept conversations: %w", err)
	}
	return rep, nil
}

// PurgePreview implements xinqiao.RetentionStore: one read of the counts
// Purge would produce now. It takes no lock and deletes nothing.
func (db *DB) PurgePreview(ctx context.Context, before, now time.Time) (xinqiao.PurgeReport, error) {
	const q = `WITH gone AS (` + purgeable + `)
		SELECT (SELECT COUNT(*) FROM gone),
			(SELECT COUNT(*) FROM messages WHERE conversation_id IN (SELECT id FROM gone)),
			(SELECT COUNT(*) FROM student_sessions WHERE expires_at < $2 OR conversation_id IN (SELECT id FROM gone)),
			(SELECT COUNT(*) FROM staff_sessions WHERE expires_at < $2),
			(SELECT COUNT(*) FROM audit_events WHERE target IN (SELECT id FROM gone)),
			(` + keptForCases + `)`
	var r xinqiao.PurgeReport
	err := db.pool.QueryRow(ctx, q, before, now).Scan(&r.Conversations, &r.Messages, &r.StudentSessions,
		&r.StaffSessions, &r.AuditKept, &r.KeptForCases)
	if err != nil {
		return r, fmt.Errorf("preview purge: %w", err)
	}
	return r, nil
}
