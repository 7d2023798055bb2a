package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"xinqiao/internal/xinqiao"
)

const staffColumns = `id, username, display_name, role, school, password_hash, on_duty, disabled, created_at, must_change_password`

func scanStaff(row interface{ Scan(...any) error }) (xinqiao.Staff, error) {
	var s xinqiao.Staff
	var created int64
	err := row.Scan(&s.ID, &s.Username, &s.DisplayName, &s.Role, &s.School, &s.PasswordHash, &s.OnDuty, &s.Disabled, &created, &s.MustChangePassword)
	s.CreatedAt = fromMS(created)
	return s, err
}

// CreateStaff implements xinqiao.StaffStore.
func (db *DB) CreateStaff(ctx context.Context, s xinqiao.Staff) (xinqiao.Staff, error) {
	if s.ID == "" {
		s.ID = xinqiao.NewID()
	}
	s.CreatedAt = db.now().UTC().Truncate(1e6)
	const q = `INSERT INTO staff (id, username, display_name, role, school, password_hash, on_duty, disabled, created_at, must_change_password)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	_, err := db.w.ExecContext(ctx, q, s.ID, s.Username, s.DisplayName, s.Role, s.School, s.PasswordHash,
		boolInt(s.OnDuty), boolInt(s.Disabled), ms2(s.CreatedAt), boolInt(s.MustChangePassword))
	if isUnique(err) {
		return s, xinqiao.Errorf(xinqiao.ECONFLICT, "username %q is taken", s.Username)
	} else if err != nil {
		return s, fmt.Errorf("insert staff: %w", err)
	}
	return s, nil
}

func (db *DB) staffWhere(ctx context.Context, where string, arg any) (xinqiao.Staff, error) {
	s, err := scanStaff(db.r.QueryRowContext(ctx, `SELECT `+staffColumns+` FROM staff WHERE `+where, arg))
	if errors.Is(err, sql.ErrNoRows) {
		return s, xinqiao.Errorf(xinqiao.ENOTFOUND, "staff account not found")
	} else if err != nil {
		return s, fmt.Errorf("load staff: %w", err)
	}
	return s, nil
}

// StaffByUsername implements xinqiao.StaffStore.
func (db *DB) StaffByUsername(ctx context.Context, username string) (xinqiao.Staff, error) {
	return db.staffWhere(ctx, `username = ?`, username)
}

// StaffByID implements xinqiao.StaffStore.
func (db *DB) StaffByID(ctx context.Context, id string) (xinqiao.Staff, error) {
	return db.staffWhere(ctx, `id = ?`, id)
}

// CountStaff implements xinqiao.StaffStore.
func (db *DB) CountStaff(ctx context.Context) (int, error) {
	var n int
	if err := db.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM staff`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count staff: %w", err)
	}
	return n, nil
}

// ListStaff implements xinqiao.StaffStore.
func (db *DB) ListStaff(ctx context.Context) ([]xinqiao.Staff, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT `+staffColumns+` FROM staff ORDER BY username`)
	return collect(rows, err, "list staff", scanStaff)
}

// SetPassword implements xinqiao.StaffStore.
func (db *DB) SetPassword(ctx context.Context, staffID, hash string, mustChange bool) error {
	res, err := db.w.ExecContext(ctx, `UPDATE staff SET password_hash = ?, must_change_password = ? WHERE id = ?`, hash, boolInt(mustChange), staffID)
	if err != nil {
		return fmt.Errorf("set password: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return xinqiao.Errorf(xinqiao.ENOTFOUND, "staff account not found")
	}
	return nil
}

// SetOnDuty implements xinqiao.StaffStore.
func (db *DB) SetOnDuty(ctx context.Context, staffID string, on bool) error {
	res, err := db.w.ExecContext(ctx, `UPDATE staff SET on_duty = ? WHERE id = ?`, boolInt(on), staffID)
	if err != nil {
		return fmt.Errorf("set on duty: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return xinqiao.Errorf(xinqiao.ENOTFOUND, "staff account not found")
	}
	return nil
}

// CreateStaffSession implements xinqiao.StaffStore.
func (db *DB) CreateStaffSession(ctx context.Context, s xinqiao.StaffSession) error {
	const q = `INSERT INTO staff_sessions (token_hash, staff_id, csrf, created_at, expires_at) VALUES (?, ?, ?, ?, ?)`
	if _, err := db.w.ExecContext(ctx, q, s.TokenHash, s.StaffID, s.CSRF, ms2(s.CreatedAt), ms2(s.ExpiresAt)); err != nil {
		if isForeignKey(err) {
			return xinqiao.Errorf(xinqiao.ENOTFOUND, "staff account not found")
		}
		return fmt.Errorf("insert staff session: %w", err)
	}
	return nil
}

// StaffSession implements xinqiao.StaffStore.
func (db *DB) StaffSession(ctx context.Context, tokenHash string) (xinqiao.StaffSession, error) {
	const q = `SELECT token_hash, staff_id, csrf, created_at, expires_at FROM staff_sessions WHERE token_hash = ?`
	var s xinqiao.StaffSession
	var created, expires int64
	err := db.r.QueryRowContext(ctx, q, tokenHash).Scan(&s.TokenHash, &s.StaffID, &s.CSRF, &created, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return s, xinqiao.Errorf(xinqiao.ENOTFOUND, "session not found")
	} else if err != nil {
		return s, fmt.Errorf("load staff session: %w", err)
	}
	s.CreatedAt, s.ExpiresAt = fromMS(created), fromMS(expires)
	return s, nil
}

// DeleteStaffSession implements xinqiao.StaffStore.
func (db *DB) DeleteStaffSession(ctx context.Context, tokenHash string) error {
	if _, err := db.w.ExecContext(ctx, `DELETE FROM staff_sessions WHERE token_hash = ?`, tokenHash); err != nil {
		return fmt.Errorf("delete staff session: %w", err)
	}
	return nil
}

// Audit implements xinqiao.AuditStore.
func (db *DB) Audit(ctx context.Context, e xinqiao.AuditEvent) error {
	if e.At.IsZero() {
		e.At = db.now()
	}
	const q = `INSERT INTO audit_events (at, actor, action, target, detail) VALUES (?, ?, ?, ?, ?)`
	if _, err := db.w.ExecContext(ctx, q, ms2(e.At), e.Actor, e.Action, e.Target, e.Detail); err != nil {
		return fmt.Errorf("insert audit event: %w", err)
	}
	return nil
}

// AuditEvents implements xinqiao.AuditStore.
func (db *DB) AuditEvents(ctx context.Context, target string, limit int) ([]xinqiao.AuditEvent, error) {
	const q = `SELECT id, at, actor, action, target, detail FROM audit_events
		WHERE (? = '' OR target = ?) ORDER BY id DESC LIMIT ?`
	rows, err := db.r.QueryContext(ctx, q, target, target, limit)
	if err != nil {
		return nil, fmt.Errorf("list audit events: %w", err)
	}
	defer rows.Close()
	var out []xinqiao.AuditEvent
	for rows.Next() {
		var e xinqiao.AuditEvent
		var at int64
		if err := rows.Scan(&e.ID, &at, &e.Actor, &e.Action, &e.Target, &e.Detail); err != nil {
			return nil, fmt.Errorf("scan audit event: %w", err)
		}
		e.At = fromMS(at)
		out = append(out, e)
	}
	return out, rows.Err()
}
