package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"xinqiao/internal/xinqiao"

	"github.com/jackc/pgx/v5"
)

// SetRiskLabel implements xinqiao.RiskLabelStore.
func (db *DB) SetRiskLabel(ctx context.Context, l xinqiao.RiskLabel) (xinqiao.RiskLabel, error) {
	l.UpdatedAt = l.UpdatedAt.UTC().Truncate(time.Microsecond)
	err := db.tx(ctx, func(tx pgx.Tx) error {
		var id int64
		var role string
		err := tx.QueryRow(ctx, `SELECT id, role FROM messages WHERE conversation_id = $1 AND seq = $2`, l.ConversationID, l.Seq).Scan(&id, &role)
		if errors.Is(err, pgx.ErrNoRows) {
			return xinqiao.Errorf(xinqiao.ENOTFOUND, "message %d of this conversation not found", l.Seq)
		} else if err != nil {
			return fmt.Errorf("load message to label: %w", err)
		}
		if role != xinqiao.RoleStudent {
			return xinqiao.Errorf(xinqiao.EINVALID, "message %d is not a student's message; only students' messages are labelled", l.Seq)
		}
		_, err = tx.Exec(ctx, `INSERT INTO risk_labels (message_id, conversation_id, seq, label, source, staff_id, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)
			ON CONFLICT (message_id) DO UPDATE SET label = excluded.label, source = excluded.source,
				staff_id = excluded.staff_id, updated_at = excluded.updated_at`,
			id, l.ConversationID, l.Seq, l.Label, l.Source, l.StaffID, l.UpdatedAt)
		if err != nil {
			return fmt.Errorf("store label: %w", err)
		}
		return nil
	})
	return l, err
}

// RiskLabels implements xinqiao.RiskLabelStore.
func (db *DB) RiskLabels(ctx context.Context, conversationID string) ([]xinqiao.RiskLabel, error) {
	rows, err := db.pool.Query(ctx, `SELECT seq, label, source, staff_id, updated_at FROM risk_labels
		WHERE conversation_id = $1 ORDER BY seq`, conversationID)
	if err != nil {
		return nil, fmt.Errorf("list labels: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (xinqiao.RiskLabel, error) {
		l := xinqiao.RiskLabel{ConversationID: conversationID}
		err := row.Scan(&l.Seq, &l.Label, &l.Source, &l.StaffID, &l.UpdatedAt)
		l.UpdatedAt = l.UpdatedAt.UTC()
		return l, err
	})
	if err != nil {
		return nil, fmt.Errorf("scan labels: %w", err)
	}
	if out == nil {
		out = []xinqiao.RiskLabel{}
	}
	return out, nil
}

// DefaultRiskLabels implements xinqiao.RiskLabelStore.
func (db *DB) DefaultRiskLabels(ctx context.Context, conversationID string, seq int64, label, staffID string, at time.Time) (int, error) {
	tag, err := db.pool.Exec(ctx, `INSERT INTO risk_labels (message_id, conversation_id, seq, label, source, staff_id, updated_at)
		SELECT m.id, m.conversation_id, m.seq, $1, $2, $3, $4 FROM messages m
		WHERE m.conversation_id = $5 AND m.seq <= $6 AND m.role = 'student'
			AND m.risk->>'level' IN ('medium', 'high', 'imminent')
		ON CONFLICT (message_id) DO NOTHING`,
		label, xinqiao.LabelByOutcome, staffID, at.UTC().Truncate(time.Microsecond), conversationID, seq)
	if err != nil {
		return 0, fmt.Errorf("default labels: %w", err)
	}
	return int(tag.RowsAffected()), nil
}

// LabelledMessages implements xinqiao.RiskLabelStore.
func (db *DB) LabelledMessages(ctx context.Context, fn func(xinqiao.LabelledMessage) error) error {
	rows, err := db.pool.Query(ctx, `SELECT m.text, l.label, COALESCE(m.risk->>'level', 'none'),
			COALESCE((SELECT q.text FROM messages q WHERE q.conversation_id = m.conversation_id AND q.seq < m.seq
				AND q.role IN ('assistant', 'counselor') ORDER BY q.seq DESC LIMIT 1), '')
		FROM risk_labels l JOIN messages m ON m.id = l.message_id ORDER BY m.id`)
	if err != nil {
		return fmt.Errorf("export labels: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var lm xinqiao.LabelledMessage
		if err := rows.Scan(&lm.Text, &lm.Label, &lm.Level, &lm.Question); err != nil {
			return fmt.Errorf("scan labels: %w", err)
		}
		if err := fn(lm); err != nil {
			return err
		}
	}
	return rows.Err()
}

const riskModelSelect = `SELECT r.version, length(r.weights), r.sha256, r.note, r.author, COALESCE(s.display_name, ''), r.created_at`

// RiskModel implements xinqiao.RiskModelStore.
func (db *DB) RiskModel(ctx context.Context) (xinqiao.RiskModel, error) {
	vs, err := db.RiskModelVersions(ctx, 1)
	if err != nil || len(vs) == 0 {
		return xinqiao.RiskModel{}, err
	}
	return vs[0], nil
}

// RiskModelVersion implements xinqiao.RiskModelStore.
func (db *DB) RiskModelVersion(ctx context.Context, version int) (xinqiao.RiskModel, error) {
	var m xinqiao.RiskModel
	err := db.pool.QueryRow(ctx, riskModelSelect+`, r.weights FROM risk_models r LEFT JOIN staff s ON s.id = r.author WHERE r.version = $1`, version).
		Scan(&m.Version, &m.Bytes, &m.SHA256, &m.Note, &m.Author, &m.AuthorName, &m.CreatedAt, &m.Weights)
	if errors.Is(err, pgx.ErrNoRows) {
		return m, xinqiao.Errorf(xinqiao.ENOTFOUND, "no such version of the district model")
	} else if err != nil {
		return m, fmt.Errorf("load district model: %w", err)
	}
	m.CreatedAt = m.CreatedAt.UTC()
	return m, nil
}

// RiskModelVersions implements xinqiao.RiskModelStore.
func (db *DB) RiskModelVersions(ctx context.Context, limit int) ([]xinqiao.RiskModel, error) {
	rows, err := db.pool.Query(ctx, riskModelSelect+` FROM risk_models r LEFT JOIN staff s ON s.id = r.author
		ORDER BY r.version DESC LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("list district models: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (xinqiao.RiskModel, error) {
		var m xinqiao.RiskModel
		err := row.Scan(&m.Version, &m.Bytes, &m.SHA256, &m.Note, &m.Author, &m.AuthorName, &m.CreatedAt)
		m.CreatedAt = m.CreatedAt.UTC()
		return m, err
	})
	if err != nil {
		return nil, fmt.Errorf("scan district models: %w", err)
	}
	if out == nil {
		out = []xinqiao.RiskModel{}
	}
	return out, nil
}

// PublishRiskModel implements xinqiao.RiskModelStore. The version number is
// the primary key, so of two nodes publishing on the same base exactly one
// insert succeeds; the other gets ECONFLICT.
func (db *DB) PublishRiskModel(ctx context.Context, base int, m xinqiao.RiskModel) (xinqiao.RiskModel, error) {
	m.Version = base + 1
	m.Bytes = len(m.Weights)
	m.CreatedAt = db.now().UTC().Truncate(time.Millisecond)
	if m.Weights == nil {
		m.Weights = []byte{}
	}
	err := db.tx(ctx, func(tx pgx.Tx) error {
		var latest int
		if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM risk_models`).Scan(&latest); err != nil {
			return fmt.Errorf("read the latest district model: %w", err)
		}
		if latest != base {
			return xinqiao.Errorf(xinqiao.ECONFLICT, "version %d of the district model was published after version %d: check your model against it", latest, base)
		}
		_, err := tx.Exec(ctx, `INSERT INTO risk_models (version, weights, sha256, note, author, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
			m.Version, m.Weights, m.SHA256, m.Note, m.Author, m.CreatedAt)
		if isUnique(err) {
			return xinqiao.Errorf(xinqiao.ECONFLICT, "another version of the district model was published at the same moment: check your model against it")
		} else if err != nil {
			return fmt.Errorf("insert district model: %w", err)
		}
		return tx.QueryRow(ctx, `SELECT display_name FROM staff WHERE id = $1`, m.Author).Scan(&m.AuthorName)
	})
	return m, err
}
