package postgres

import (
	"context"
	"errors"
	"fmt"

	"xinqiao/internal/xinqiao"

	"github.com/jackc/pgx/v5"
)

const riskRulesSelect = `SELECT r.version, r.note, r.author, COALESCE(s.display_name, ''), r.created_at`

// RiskRules implements xinqiao.RiskRuleStore.
func (db *DB) RiskRules(ctx context.Context) (xinqiao.RiskRules, error) {
	r, err := db.riskRules(ctx, `WHERE r.version = (SELECT MAX(version) FROM risk_rules)`)
	if xinqiao.ErrorCode(err) == xinqiao.ENOTFOUND {
		return xinqiao.RiskRules{}, nil
	}
	return r, err
}

// RiskRuleVersion implements xinqiao.RiskRuleStore.
func (db *DB) RiskRuleVersion(ctx context.Context, version int) (xinqiao.RiskRules, error) {
	return db.riskRules(ctx, `WHERE r.version = $1`, version)
}

func (db *DB) riskRules(ctx context.Context, where string, args ...any) (xinqiao.RiskRules, error) {
	var r xinqiao.RiskRules
	err := db.pool.QueryRow(ctx, riskRulesSelect+`, r.source FROM risk_rules r LEFT JOIN staff s ON s.id = r.author `+where, args...).
		Scan(&r.Version, &r.Note, &r.Author, &r.AuthorName, &r.CreatedAt, &r.Source)
	if errors.Is(err, pgx.ErrNoRows) {
		return r, xinqiao.Errorf(xinqiao.ENOTFOUND, "no such version of the district rules")
	} else if err != nil {
		return r, fmt.Errorf("load district rules: %w", err)
	}
	r.CreatedAt = r.CreatedAt.UTC()
	return r, nil
}

// RiskRuleVersions implements xinqiao.RiskRuleStore.
func (db *DB) RiskRuleVersions(ctx context.Context, limit int) ([]xinqiao.RiskRules, error) {
	rows, err := db.pool.Query(ctx, riskRulesSelect+` FROM risk_rules r LEFT JOIN staff s ON s.id = r.author
		ORDER BY r.version DESC LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("list district rules: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (xinqiao.RiskRules, error) {
		var r xinqiao.RiskRules
		err := row.Scan(&r.Version, &r.Note, &r.Author, &r.AuthorName, &r.CreatedAt)
		r.CreatedAt = r.CreatedAt.UTC()
		return r, err
	})
	if err != nil {
		return nil, fmt.Errorf("scan district rules: %w", err)
	}
	if out == nil {
		out = []xinqiao.RiskRules{}
	}
	return out, nil
}

// PublishRiskRules implements xinqiao.RiskRuleStore. The version number is
// the primary key, so of two nodes publishing on the same base exactly one
// insert succeeds; the other gets ECONFLICT.
func (db *DB) PublishRiskRules(ctx context.Context, base int, r xinqiao.RiskRules) (xinqiao.RiskRules, error) {
	r.Version = base + 1
	r.CreatedAt = db.now().UTC().Truncate(1e6)
	err := db.tx(ctx, func(tx pgx.Tx) error {
		var latest int
		if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM risk_rules`).Scan(&latest); err != nil {
			return fmt.Errorf("read the latest district rules: %w", err)
		}
		if latest != base {
			return xinqiao.Errorf(xinqiao.ECONFLICT, "version %d of the district rules was published after version %d: reload and apply your change to it", latest, base)
		}
		_, err := tx.Exec(ctx, `INSERT INTO risk_rules (version, source, note, author, created_at) VALUES ($1, $2, $3, $4, $5)`,
			r.Version, r.Source, r.Note, r.Author, r.CreatedAt)
		if isUnique(err) {
			return xinqiao.Errorf(xinqiao.ECONFLICT, "another version of the district rules was published at the same moment: reload and apply your change to it")
		} else if err != nil {
			return fmt.Errorf("insert district rules: %w", err)
		}
		return tx.QueryRow(ctx, `SELECT display_name FROM staff WHERE id = $1`, r.Author).Scan(&r.AuthorName)
	})
	return r, err
}
