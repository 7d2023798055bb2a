package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"xinqiao/internal/xinqiao"
)

// UpdateStaff implements xinqiao.StaffStore. The write transaction is
// IMMEDIATE and there is one writer, so the last-admin check cannot race
// with another change.
func (db *DB) UpdateStaff(ctx context.Context, id string, u xinqiao.StaffUpdate) (xinqiao.Staff, error) {
	if u.Role != nil && !xinqiao.ValidStaffRole(*u.Role) {
		return xinqiao.Staff{}, xinqiao.Errorf(xinqiao.EINVALID, "role must be admin, supervisor, counselor or curator")
	}
	var out xinqiao.Staff
	err := db.tx(ctx, func(tx *sql.Tx) error {
		cur, err := scanStaff(tx.QueryRowContext(ctx, `SELECT `+staffColumns+` FROM staff WHERE id = ?`, id))
		if errors.Is(err, sql.ErrNoRows) {
			return xinqiao.Errorf(xinqiao.ENOTFOUND, "staff account not found")
		} else if err != nil {
			return fmt.Errorf("load staff: %w", err)
		}
		next := u.Apply(cur)
		if xinqiao.RemovesAdmin(cur, next) {
			const q = `SELECT COUNT(*) FROM staff WHERE role = 'admin' AND disabled = 0 AND id <> ?`
			var others int
			if err := tx.QueryRowContext(ctx, q, id).Scan(&others); err != nil {
				return fmt.Errorf("count admins: %w", err)
			}
			if others == 0 {
				return xinqiao.Errorf(xinqiao.ECONFLICT, "this is the last enabled admin account; make another admin first")
			}
		}
		const q = `UPDATE staff SET display_name = ?, school = ?, role = ?, disabled = ?, on_duty = ? WHERE id = ?`
		if _, err := tx.ExecContext(ctx, q, next.DisplayName, next.School, next.Role, boolInt(next.Disabled), boolInt(next.OnDuty), id); err != nil {
			return fmt.Errorf("update staff: %w", err)
		}
		out = next
		return nil
	})
	return out, err
}

// DeleteStaffSessions implements xinqiao.StaffStore.
func (db *DB) DeleteStaffSessions(ctx context.Context, staffID, except string) (int, error) {
	const q = `DELETE FROM staff_sessions WHERE staff_id = ? AND token_hash <> ?`
	res, err := db.w.ExecContext(ctx, q, staffID, except)
	if err != nil {
		return 0, fmt.Errorf("delete staff sessions: %w", err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}
