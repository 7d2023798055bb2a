package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"xinqiao/internal/xinqiao"
)

const riskRulesSelect = `SELECT r.version, r.note, r.author, COALESCE(s.display_name, ''), r.created_at`

// RiskRules implements xinqiao.RiskRuleStore.
func (db *DB) RiskRules(ctx context.Context) (xinqiao.RiskRules, error) {
	r, err := db.riskRules(ctx, db.r, `WHERE r.version = (SELECT MAX(version) FROM risk_rules)`)
	if xinqiao.ErrorCode(err) == xinqiao.ENOTFOUND {
		return xinqiao.RiskRules{}, nil
	}
	return r, err
}

// RiskRuleVersion implements xinqiao.RiskRuleStore.
func (db *DB) RiskRuleVersion(ctx context.Context, version int) (xinqiao.RiskRules, error) {
	return db.riskRules(ctx, db.r, `WHERE r.version = ?`, version)
}

type queryRower interface {
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
}

func (db *DB) riskRules(ctx context.Context, q queryRower, where string, args ...any) (xinqiao.RiskRules, error) {
	var r xinqiao.RiskRules
	var at int64
	err := q.QueryRowContext(ctx, riskRulesSelect+`, r.source FROM risk_rules r LEFT JOIN staff s ON s.id = r.author `+where, args...).
		Scan(&r.Version, &r.Note, &r.Author, &r.AuthorName, &at, &r.Source)
	if errors.Is(err, sql.ErrNoRows) {
		return r, xinqiao.Errorf(xinqiao.ENOTFOUND, "no such version of the district rules")
	} else if err != nil {
		return r, fmt.Errorf("load district rules: %w", err)
	}
	r.CreatedAt = fromMS(at)
	return r, nil
}

// RiskRuleVersions implements xinqiao.RiskRuleStore.
func (db *DB) RiskRuleVersions(ctx context.Context, limit int) ([]xinqiao.RiskRules, error) {
	rows, err := db.r.QueryContext(ctx, riskRulesSelect+` FROM risk_rules r LEFT JOIN staff s ON s.id = r.author
		ORDER BY r.version DESC LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("list district rules: %w", err)
	}
	defer rows.Close()
	out := []xinqiao.RiskRules{}
	for rows.Next() {
		var r xinqiao.RiskRules
		var at int64
		if err := rows.Scan(&r.Version, &r.Note, &r.Author, &r.AuthorName, &at); err != nil {
			return nil, fmt.Errorf("scan district rules: %w", err)
		}
		r.CreatedAt = fromMS(at)
		out = append(out, r)
	}
	return out, rows.Err()
}

// PublishRiskRules implements xinqiao.RiskRuleStore.
func (db *DB) PublishRiskRules(ctx context.Context, base int, r xinqiao.RiskRules) (xinqiao.RiskRules, error) {
	r.Version = base + 1
	r.CreatedAt = db.now().UTC().Truncate(1e6)
	err := db.tx(ctx, func(tx *sql.Tx) error {
		var latest int
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM risk_rules`).Scan(&latest); err != nil {
			return fmt.Errorf("read the latest district rules: %w", err)
		}
		if latest != base {
			return xinqiao.Errorf(xinqiao.ECONFLICT, "version %d of the district rules was published after version %d: reload and apply your change to it", latest, base)
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO risk_rules (version, source, note, author, created_at) VALUES (?, ?, ?, ?, ?)`,
			r.Version, r.Source, r.Note, r.Author, ms2(r.CreatedAt))
		if isUnique(err) {
			return xinqiao.Errorf(xinqiao.ECONFLICT, "another version of the district rules was published at the same moment: reload and apply your change to it")
		} else if err != nil {
			return fmt.Errorf("insert district rules: %w", err)
		}
		return tx.QueryRowContext(ctx, `SELECT display_name FROM staff WHERE id = ?`, r.Author).Scan(&r.AuthorName)
	})
	return r, err
}
