package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"xinqiao/internal/xinqiao"
)

// SetRiskLabel implements xinqiao.RiskLabelStore.
func (db *DB) SetRiskLabel(ctx context.Context, l xinqiao.RiskLabel) (xinqiao.RiskLabel, error) {
	l.UpdatedAt = l.UpdatedAt.UTC().Truncate(time.Millisecond)
	err := db.tx(ctx, func(tx *sql.Tx) error {
		var id int64
		var role string
		err := tx.QueryRowContext(ctx, `SELECT id, role FROM messages WHERE conversation_id = ? AND seq = ?`, l.ConversationID, l.Seq).Scan(&id, &role)
		if errors.Is(err, sql.ErrNoRows) {
			return xinqiao.Errorf(xinqiao.ENOTFOUND, "message %d of this conversation not found", l.Seq)
		} else if err != nil {
			return fmt.Errorf("load message to label: %w", err)
		}
		if role != xinqiao.RoleStudent {
			return xinqiao.Errorf(xinqiao.EINVALID, "message %d is not a student's message; only students' messages are labelled", l.Seq)
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO risk_labels (message_id, conversation_id, seq, label, source, staff_id, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (message_id) DO UPDATE SET label = excluded.label, source = excluded.source,
				staff_id = excluded.staff_id, updated_at = excluded.updated_at`,
			id, l.ConversationID, l.Seq, l.Label, l.Source, l.StaffID, ms2(l.UpdatedAt))
		if err != nil {
			return fmt.Errorf("store label: %w", err)
		}
		return nil
	})
	return l, err
}

// RiskLabels implements xinqiao.RiskLabelStore.
func (db *DB) RiskLabels(ctx context.Context, conversationID string) ([]xinqiao.RiskLabel, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT seq, label, source, staff_id, updated_at FROM risk_labels
		WHERE conversation_id = ? ORDER BY seq`, conversationID)
	if err != nil {
		return nil, fmt.Errorf("list labels: %w", err)
	}
	defer rows.Close()
	out := []xinqiao.RiskLabel{}
	for rows.Next() {
		l := xinqiao.RiskLabel{ConversationID: conversationID}
		var at int64
		if err := rows.Scan(&l.Seq, &l.Label, &l.Source, &l.StaffID, &at); err != nil {
			return nil, fmt.Errorf("scan labels: %w", err)
		}
		l.UpdatedAt = fromMS(at)
		out = append(out, l)
	}
	return out, rows.Err()
}

// DefaultRiskLabels implements xinqiao.RiskLabelStore.
func (db *DB) DefaultRiskLabels(ctx context.Context, conversationID string, seq int64, label, staffID string, at time.Time) (int, error) {
	var n int64
	err := db.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO risk_labels (message_id, conversation_id, seq, label, source, staff_id, updated_at)
			SELECT m.id, m.conversation_id, m.seq, ?, ?, ?, ? FROM messages m
			WHERE m.conversation_id = ? AND m.seq <= ? AND m.role = 'student'
				AND json_extract(m.risk, '$.level') IN ('medium', 'high', 'imminent')
			ON CONFLICT (message_id) DO NOTHING`,
			label, xinqiao.LabelByOutcome, staffID, ms2(at), conversationID, seq)
		if err != nil {
			return fmt.Errorf("default labels: %w", err)
		}
		n, err = res.RowsAffected()
		return err
	})
	return int(n), err
}

// LabelledMessages implements xinqiao.RiskLabelStore.
func (db *DB) LabelledMessages(ctx context.Context, fn func(xinqiao.LabelledMessage) error) error {
	rows, err := db.r.QueryContext(ctx, `SELECT m.text, l.label, COALESCE(json_extract(m.risk, '$.level'), 'none'),
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
	vs, err := db.riskModels(ctx, `ORDER BY r.version DESC LIMIT 1`)
	if err != nil || len(vs) == 0 {
		return xinqiao.RiskModel{}, err
	}
	return vs[0], nil
}

// RiskModelVersion implements xinqiao.RiskModelStore.
func (db *DB) RiskModelVersion(ctx context.Context, version int) (xinqiao.RiskModel, error) {
	var m xinqiao.RiskModel
	var at int64
	err := db.r.QueryRowContext(ctx, riskModelSelect+`, r.weights FROM risk_models r LEFT JOIN staff s ON s.id = r.author WHERE r.version = ?`, version).
		Scan(&m.Version, &m.Bytes, &m.SHA256, &m.Note, &m.Author, &m.AuthorName, &at, &m.Weights)
	if errors.Is(err, sql.ErrNoRows) {
		return m, xinqiao.Errorf(xinqiao.ENOTFOUND, "no such version of the district model")
	} else if err != nil {
		return m, fmt.Errorf("load district model: %w", err)
	}
	m.CreatedAt = fromMS(at)
	return m, nil
}

// RiskModelVersions implements xinqiao.RiskModelStore.
func (db *DB) RiskModelVersions(ctx context.Context, limit int) ([]xinqiao.RiskModel, error) {
	return db.riskModels(ctx, `ORDER BY r.version DESC LIMIT ?`, limit)
}

func (db *DB) riskModels(ctx context.Context, tail string, args ...any) ([]xinqiao.RiskModel, error) {
	rows, err := db.r.QueryContext(ctx, riskModelSelect+` FROM risk_models r LEFT JOIN staff s ON s.id = r.author `+tail, args...)
	if err != nil {
		return nil, fmt.Errorf("list district models: %w", err)
	}
	defer rows.Close()
	out := []xinqiao.RiskModel{}
	for rows.Next() {
		var m xinqiao.RiskModel
		var at int64
		if err := rows.Scan(&m.Version, &m.Bytes, &m.SHA256, &m.Note, &m.Author, &m.AuthorName, &at); err != nil {
			return nil, fmt.Errorf("scan district models: %w", err)
		}
		m.CreatedAt = fromMS(at)
		out = append(out, m)
	}
	return out, rows.Err()
}

// PublishRiskModel implements xinqiao.RiskModelStore.
func (db *DB) PublishRiskModel(ctx context.Context, base int, m xinqiao.RiskModel) (xinqiao.RiskModel, error) {
	m.Version = base + 1
	m.Bytes = len(m.Weights)
	m.CreatedAt = db.now().UTC().Truncate(time.Millisecond)
	if m.Weights == nil {
		m.Weights = []byte{}
	}
	err := db.tx(ctx, func(tx *sql.Tx) error {
		var latest int
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM risk_models`).Scan(&latest); err != nil {
			return fmt.Errorf("read the latest district model: %w", err)
		}
		if latest != base {
			return xinqiao.Errorf(xinqiao.ECONFLICT, "version %d of the district model was published after version %d: check your model against it", latest, base)
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO risk_models (version, weights, sha256, note, author, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
			m.Version, m.Weights, m.SHA256, m.Note, m.Author, ms2(m.CreatedAt))
		if isUnique(err) {
			return xinqiao.Errorf(xinqiao.ECONFLICT, "another version of the district model was published at the same moment: check your model against it")
		} else if err != nil {
			return fmt.Errorf("insert district model: %w", err)
		}
		return tx.QueryRowContext(ctx, `SELECT display_name FROM staff WHERE id = ?`, m.Author).Scan(&m.AuthorName)
	})
	return m, err
}
