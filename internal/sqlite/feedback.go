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

// AddFeedback implements xinqiao.FeedbackStore.
func (db *DB) AddFeedback(ctx context.Context, conversationID string, seq int64, kind string, at time.Time) (bool, error) {
	if !xinqiao.ValidFeedbackKind(kind) {
		return false, xinqiao.Errorf(xinqiao.EINVALID, "kind must be wrong, upsetting or helpful")
	}
	created := false
	err := db.tx(ctx, func(tx *sql.Tx) error {
		const q = `SELECT sources FROM messages WHERE conversation_id = ? AND seq = ? AND role = 'assistant'`
		var raw sql.NullString
		err := tx.QueryRowContext(ctx, q, conversationID, seq).Scan(&raw)
		if errors.Is(err, sql.ErrNoRows) {
			return xinqiao.Errorf(xinqiao.ENOTFOUND, "no answer at seq %d in this conversation", seq)
		} else if err != nil {
			return fmt.Errorf("load answer: %w", err)
		}
		var srcs []xinqiao.Source
		if raw.Valid {
			if err := json.Unmarshal([]byte(raw.String), &srcs); err != nil {
				return fmt.Errorf("decode sources: %w", err)
			}
		}
		if len(srcs) == 0 {
			srcs = []xinqiao.Source{{}}
		}
		const ins = `INSERT INTO answer_feedback (conversation_id, seq, kind, doc_id, version, title, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`
		for _, s := range srcs {
			res, err := tx.ExecContext(ctx, ins, conversationID, seq, kind, s.DocID, s.Version, s.Title, ms2(at))
			if err != nil {
				return fmt.Errorf("add feedback: %w", err)
			}
			if n, _ := res.RowsAffected(); n > 0 {
				created = true
			}
		}
		return nil
	})
	return created, err
}

// FeedbackCounts implements xinqiao.FeedbackStore.
func (db *DB) FeedbackCounts(ctx context.Context, from, to time.Time) ([]xinqiao.FeedbackCount, error) {
	const q = `SELECT doc_id, version, MAX(title), kind, COUNT(*) FROM answer_feedback
		WHERE created_at >= ? AND created_at < ?
		GROUP BY doc_id, version, kind ORDER BY doc_id, version DESC, kind`
	rows, err := db.r.QueryContext(ctx, q, ms2(from), ms2(to))
	if err != nil {
		return nil, fmt.Errorf("count feedback: %w", err)
	}
	defer rows.Close()
	var out []xinqiao.FeedbackCount
	for rows.Next() {
		var c xinqiao.FeedbackCount
		if err := rows.Scan(&c.DocID, &c.Version, &c.Title, &c.Kind, &c.Count); err != nil {
			return nil, fmt.Errorf("count feedback: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}
