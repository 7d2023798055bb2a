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

// AddFeedback implements xinqiao.FeedbackStore.
func (db *DB) AddFeedback(ctx context.Context, conversationID string, seq int64, kind string, at time.Time) (bool, error) {
	if !xinqiao.ValidFeedbackKind(kind) {
		return false, xinqiao.Errorf(xinqiao.EINVALID, "kind must be wrong, upsetting or helpful")
	}
	created := false
	err := db.tx(ctx, func(tx pgx.Tx) error {
		const q = `SELECT sources FROM messages WHERE conversation_id = $1 AND seq = $2 AND role = 'assistant'`
		var raw []byte
		err := tx.QueryRow(ctx, q, conversationID, seq).Scan(&raw)
		if errors.Is(err, pgx.ErrNoRows) {
			return xinqiao.Errorf(xinqiao.ENOTFOUND, "no answer at seq %d in this conversation", seq)
		} else if err != nil {
			return fmt.Errorf("load answer: %w", err)
		}
		var srcs []xinqiao.Source
		if raw != nil {
			if err := json.Unmarshal(raw, &srcs); err != nil {
				return fmt.Errorf("decode sources: %w", err)
			}
		}
		if len(srcs) == 0 {
			srcs = []xinqiao.Source{{}}
		}
		const ins = `INSERT INTO answer_feedback (conversation_id, seq, kind, doc_id, version, title, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING`
		for _, s := range srcs {
			tag, err := tx.Exec(ctx, ins, conversationID, seq, kind, s.DocID, s.Version, s.Title, at.UTC())
			if err != nil {
				return fmt.Errorf("add feedback: %w", err)
			}
			if tag.RowsAffected() > 0 {
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
		WHERE created_at >= $1 AND created_at < $2
		GROUP BY doc_id, version, kind ORDER BY doc_id, version DESC, kind`
	rows, err := db.pool.Query(ctx, q, from.UTC(), to.UTC())
	if err != nil {
		return nil, fmt.Errorf("count feedback: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (xinqiao.FeedbackCount, error) {
		var c xinqiao.FeedbackCount
		err := r.Scan(&c.DocID, &c.Version, &c.Title, &c.Kind, &c.Count)
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("count feedback: %w", err)
	}
	return out, nil
}
