package postgres

import (
	"context"
	"errors"
	"fmt"

	"xinqiao/internal/xinqiao"

	"github.com/jackc/pgx/v5"
)

// staffAdminLock is the transaction-level advisory lock key that
// serializes account changes, so that the last-admin check of one change
// sees every other change committed before it (two admins disabling each
// other at once cannot both succeed).
const staffAdminLock = 0x78710001

// UpdateStaff implements xinqiao.StaffStore.
func (db *DB) UpdateStaff(ctx context.Context, id string, u xinqiao.StaffUpdate) (xinqiao.Staff, error) {
	if u.Role != nil && !xinqiao.ValidStaffRole(*u.Role) {
		return xinqiao.Staff{}, xinqiao.Errorf(xinqiao.EINVALID, "role must be admin, supervisor, counselor or curator")
	}
	var out xinqiao.Staff
	err := db.tx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, staffAdminLock); err != nil {
			return fmt.Errorf("lock staff changes: %w", err)
		}
		cur, err := scanStaff(tx.QueryRow(ctx, `SELECT `+staffColumns+` FROM staff WHERE id = $1 FOR UPDATE`, id))
		if errors.Is(err, pgx.ErrNoRows) {
			return xinqiao.Errorf(xinqiao.ENOTFOUND, "staff account not found")
		} else if err != nil {
			return fmt.Errorf("load staff: %w", err)
		}
		next := u.Apply(cur)
		if xinqiao.RemovesAdmin(cur, next) {
			const q = `SELECT COUNT(*) FROM staff WHERE role = 'admin' AND NOT disabled AND id <> $1`
			var others int
			if err := tx.QueryRow(ctx, q, id).Scan(&others); err != nil {
				return fmt.Errorf("count admins: %w", err)
			}
			if others == 0 {
				return xinqiao.Errorf(xinqiao.ECONFLICT, "this is the last enabled admin account; make another admin first")
			}
		}
		const q = `UPDATE staff SET display_name = $1, school = $2, role = $3, disabled = $4, on_duty = $5 WHERE id = $6`
		if _, err := tx.Exec(ctx, q, next.DisplayName, next.School, next.Role, next.Disabled, next.OnDuty, id); err != nil {
			return fmt.Errorf("update staff: %w", err)
		}
		out = next
		return nil
	})
	return out, err
}

// DeleteStaffSessions implements xinqiao.StaffStore.
func (db *DB) DeleteStaffSessions(ctx context.Context, staffID, except string) (int, error) {
	const q = `DELETE FROM staff_sessions WHERE staff_id = $1 AND token_hash <> $2`
	tag, err := db.pool.Exec(ctx, q, staffID, except)
	if err != nil {
		return 0, fmt.Errorf("delete staff sessions: %w", err)
	}
	return int(tag.RowsAffected()), nil
}
