package xinqiao

import (
	"context"
	"time"
)

// Staff roles (RoleCounselor, shared with message roles, is a staff role too).
const (
	RoleAdmin      = "admin"
	RoleSupervisor = "supervisor"
	RoleCurator    = "curator"
)

// ValidStaffRole reports whether r is one of the staff roles.
func ValidStaffRole(r string) bool {
	switch r {
	case RoleAdmin, RoleSupervisor, RoleCounselor, RoleCurator:
		return true
	}
	return false
}

// Staff is an account of a school or district staff member.
type Staff struct {
	ID           string    `json:"id"`
	Username     string    `json:"username"`
	DisplayName  string    `json:"display_name"`
	Role         string    `json:"role"`
	School       string    `json:"school,omitempty"`
	PasswordHash string    `json:"-"`
	OnDuty       bool      `json:"on_duty"`
	Disabled     bool      `json:"disabled"`
	CreatedAt    time.Time `json:"created_at"`
	// MustChangePassword is set while the account's password is one
	// someone else knows (printed at the first start, or set by an admin):
	// until the owner changes it, the account can do nothing else.
	MustChangePassword bool `json:"must_change_password"`
}

// Can reports whether the staff member's role includes the given role: admins
// can do everything; supervisors can do what counselors can.
func (s Staff) Can(role string) bool {
	switch {
	case s.Disabled:
		return false
	case s.Role == RoleAdmin || s.Role == role:
		return true
	case s.Role == RoleSupervisor && role == RoleCounselor:
		return true
	}
	return false
}

// StaffSession is a logged-in staff browser session.
type StaffSession struct {
	TokenHash string    `json:"-"`
	StaffID   string    `json:"staff_id"`
	CSRF      string    `json:"-"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
}

// AuditEvent records a staff action on student data, above all every read of a
// transcript.
type AuditEvent struct {
	ID     int64     `json:"id"`
	At     time.Time `json:"at"`
	Actor  string    `json:"actor"`  // staff id, or "system"
	Action string    `json:"action"` // e.g. "conversation.read"
	Target string    `json:"target"` // e.g. a conversation id
	Detail string    `json:"detail,omitempty"`
}

// StaffStore persists staff accounts and sessions.
type StaffStore interface {
	// CreateStaff stores a new account; a taken username is ECONFLICT.
	CreateStaff(ctx context.Context, s Staff) (Staff, error)
	// StaffByUsername returns an account or ENOTFOUND.
	StaffByUsername(ctx context.Context, username string) (Staff, error)
	// StaffByID returns an account or ENOTFOUND.
	StaffByID(ctx context.Context, id string) (Staff, error)
	// CountStaff counts accounts.
	CountStaff(ctx context.Context) (int, error)
	// ListStaff returns every account, ordered by username.
	ListStaff(ctx context.Context) ([]Staff, error)
	// SetPassword replaces an account's password hash; mustChange says
	// whether the owner must change it before anything else works (a
	// password an admin set) or not (one the owner chose).
	SetPassword(ctx context.Context, staffID, hash string, mustChange bool) error
	// SetOnDuty puts a counselor on or off duty.
	SetOnDuty(ctx context.Context, staffID string, on bool) error
	// CreateStaffSession stores a session.
	CreateStaffSession(ctx context.Context, s StaffSession) error
	// StaffSession returns a session by token hash, or ENOTFOUND.
	StaffSession(ctx context.Context, tokenHash string) (StaffSession, error)
	// DeleteStaffSession ends a session; ending a missing one is not an error.
	DeleteStaffSession(ctx context.Context, tokenHash string) error
	// UpdateStaff applies an admin's change to an account and returns the
	// account as stored. A missing account is ENOTFOUND, an unknown role
	// EINVALID, and a change that would leave no enabled admin ECONFLICT
	// (checked in the same transaction, so two admins cannot disable each
	// other at once). Disabling an account also takes it off duty.
	UpdateStaff(ctx context.Context, id string, u StaffUpdate) (Staff, error)
	// DeleteStaffSessions ends every session of an account but the one
	// whose token hash is except ("" for none), e.g. when it is disabled or
	// its password changes, and returns how many it ended.
	DeleteStaffSessions(ctx context.Context, staffID, except string) (int, error)
}

// StaffUpdate is a change of an account by an admin: nil fields stay as
// they are. Usernames and passwords are changed elsewhere.
type StaffUpdate struct {
	DisplayName *string
	School      *string
	Role        *string
	Disabled    *bool
}

// Apply returns s with the set fields of u; a disabled account is off duty.
func (u StaffUpdate) Apply(s Staff) Staff {
	if u.DisplayName != nil {
		s.DisplayName = *u.DisplayName
	}
	if u.School != nil {
		s.School = *u.School
	}
	if u.Role != nil {
		s.Role = *u.Role
	}
	if u.Disabled != nil {
		s.Disabled = *u.Disabled
	}
	if s.Disabled {
		s.OnDuty = false
	}
	return s
}

// RemovesAdmin reports whether changing before into after takes an enabled
// admin away: the change the stores refuse for the last one.
func RemovesAdmin(before, after Staff) bool {
	return before.Role == RoleAdmin && !before.Disabled && (after.Role != RoleAdmin || after.Disabled)
}

// AuditStore keeps the audit trail.
type AuditStore interface {
	// Audit records one event.
	Audit(ctx context.Context, e AuditEvent) error
	// AuditEvents returns the newest events first, optionally for one target.
	AuditEvents(ctx context.Context, target string, limit int) ([]AuditEvent, error)
}
