package postgres

import (
	"context"
	"errors"
	"fmt"

	"xinqiao/internal/xinqiao"

	"github.com/jackc/pgx/v5"
)

const staffColumns = `id, username, display_name, role, school, password_hash, on_duty, disabled, created_at, must_change_password`

func scanStaff(row pgx.Row) (xinqiao.Staff, error) {
	var s xinqiao.Staff
	err := row.Scan(&s.ID, &s.Username, &s.DisplayName, &s.Role, &s.School, &s.PasswordHash, &s.OnDuty, &s.Disabled, &s.CreatedAt, &s.MustChangePassword)
	s.CreatedAt = s.CreatedAt.UTC()
	return s, err
}

// CreateStaff implements xinqiao.StaffStore.
func (db *DB) CreateStaff(ctx context.Context, s xinqiao.Staff) (xinqiao.Staff, error) {
	if s.ID == "" {
		s.ID = xinqiao.NewID()
	}
	s.CreatedAt = db.now().UTC().Truncate(1e6)
	const q = `INSERT INTO staff (id, username, display_name, role, school, password_hash, on_duty, disabled, created_at, must_change_password)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`
	_, err := db.pool.Exec(ctx, q, s.ID, s.Username, s.DisplayName, s.Role, s.School, s.PasswordHash, s.OnDuty, s.Disabled, s.CreatedAt, s.MustChangePassword)
	if isUnique(err) {
		return s, xinqiao.Errorf(xinqiao.ECONFLICT, "username %q is taken", s.Username)
	} else if err != nil {
		return s, fmt.Errorf("insert staff: %w", err)
	}
	return s, nil
}

func (db *DB) staffWhere(ctx context.Context, where string, arg any) (xinqiao.Staff, error) {
	s, err := scanStaff(db.pool.QueryRow(ctx, `SELECT `+staffColumns+` FROM staff WHERE `+where, arg))
	if errors.Is(err, pgx.ErrNoRows) {
		return s, xinqiao.Errorf(xinqiao.ENOTFOUND, "staff account not found")
	} else if err != nil {
		return s, fmt.Errorf("load staff: %w", err)
	}
	return s, nil
}

// StaffByUsername implements xinqiao.StaffStore.
func (db *DB) StaffByUsername(ctx context.Context, username string) (xinqiao.Staff, error) {
	return db.staffWhere(ctx, `username = $1`, username)
}

// StaffByID implements xinqiao.StaffStore.
func (db *DB) StaffByID(ctx context.Context, id string) (xinqiao.Staff, error) {
	return db.staffWhere(ctx, `id = $1`, id)
}

// CountStaff implements xinqiao.StaffStore.
func (db *DB) CountStaff(ctx context.Context) (int, error) {
	var n int
	if err := db.pool.QueryRow(ctx, `SELECT COUNT(*) FROM staff`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count staff: %w", err)
	}
	return n, nil
}

// ListStaff implements xinqiao.StaffStore.
func (db *DB) ListStaff(ctx context.Context) ([]xinqiao.Staff, error) {
	rows, err := db.pool.Query(ctx, `SELECT `+staffColumns+` FROM staff ORDER BY username`)
	if err != nil {
		return nil, fmt.Errorf("list staff: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (xinqiao.Staff, error) { return scanStaff(r) })
	if err != nil {
		return nil, fmt.Errorf("scan staff: %w", err)
	}
	return out, nil
}

// SetPassword implements xinqiao.StaffStore.
func (db *DB) SetPassword(ctx context.Context, staffID, hash string, mustChange bool) error {
	tag, err := db.pool.Exec(ctx, `UPDATE staff SET password_hash = $2, must_change_password = $3 WHERE id = $1`, staffID, hash, mustChange)
	if err != nil {
		return fmt.Errorf("set password: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return xinqiao.Errorf(xinqiao.ENOTFOUND, "staff account not found")
	}
	return nil
}

// SetOnDuty implements xinqiao.StaffStore.
func (db *DB) SetOnDuty(ctx context.Context, staffID string, on bool) error {
	tag, err := db.pool.Exec(ctx, `UPDATE staff SET on_duty = $2 WHERE id = $1`, staffID, on)
	if err != nil {
		return fmt.Errorf("set on duty: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return xinqiao.Errorf(xinqiao.ENOTFOUND, "staff account not found")
	}
	return nil
}

// CreateStaffSession implements xinqiao.StaffStore.
func (db *DB) CreateStaffSession(ctx context.Context, s xinqiao.StaffSession) error {
	const q = `INSERT INTO staff_sessions (token_hash, staff_id, csrf, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)`
	if _, err := db.pool.Exec(ctx, q, s.TokenHash, s.StaffID, s.CSRF, s.CreatedAt, s.ExpiresAt); err != nil {
		if isForeignKey(err) {
			return xinqiao.Errorf(xinqiao.ENOTFOUND, "staff account not found")
		}
		return fmt.Errorf("insert staff session: %w", err)
	}
	return nil
}

// StaffSession implements xinqiao.StaffStore.
func (db *DB) StaffSession(ctx context.Context, tokenHash string) (xinqiao.StaffSession, error) {
	const q = `SELECT token_hash, staff_id, csrf, created_at, expires_at FROM staff_sessions WHERE token_hash = $1`
	var s xinqiao.StaffSession
	err := db.pool.QueryRow(ctx, q, tokenHash).Scan(&s.TokenHash, &s.StaffID, &s.CSRF, &s.CreatedAt, &s.ExpiresAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return s, xinqiao.Errorf(xinqiao.ENOTFOUND, "session not found")
	} else if err != nil {
		return s, fmt.Errorf("load staff session: %w", err)
	}
	s.CreatedAt, s.ExpiresAt = s.CreatedAt.UTC(), s.ExpiresAt.UTC()
	return s, nil
}

// DeleteStaffSession implements xinqiao.StaffStore.
func (db *DB) DeleteStaffSession(ctx context.Context, tokenHash string) error {
	if _, err := db.pool.Exec(ctx, `DELETE FROM staff_sessions WHERE token_hash = $1`, tokenHash); err != nil {
		return fmt.Errorf("delete staff session: %w", err)
	}
	return nil
}

// Audit implements xinqiao.AuditStore.
func (db *DB) Audit(ctx context.Context, e xinqiao.AuditEvent) error {
	if e.At.IsZero() {
		e.At = db.now()
	}
	const q = `INSERT INTO audit_events (at, actor, action, target, detail) VALUES ($1, $2, $3, $4, $5)`
	if _, err := db.pool.Exec(ctx, q, e.At, e.Actor, e.Action, e.Target, e.Detail); err != nil {
		return fmt.Errorf("insert audit event: %w", err)
	}
	return nil
}

// AuditEvents implements xinqiao.AuditStore.
func (db *DB) AuditEvents(ctx context.Context, target string, limit int) ([]xinqiao.AuditEvent, error) {
	const q = `SELECT id, at, actor, action, target, detail FROM audit_events
		WHERE ($1 = '' OR target = $1) ORDER BY id DESC LIMIT $2`
	rows, err := db.pool.Query(ctx, q, target, limit)
	if err != nil {
		return nil, fmt.Errorf("list audit events: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (xinqiao.AuditEvent, error) {
		var e xinqiao.AuditEvent
		err := r.Scan(&e.ID, &e.At, &e.Actor, &e.Action, &e.Target, &e.Detail)
		e.At = e.At.UTC()
		return e, err
	})
	if err != nil {
		return nil, fmt.Errorf("scan audit events: %w", err)
	}
	return out, nil
}
