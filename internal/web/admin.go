package web

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"xinqiao/internal/auth"
	"xinqiao/internal/xinqiao"
)

// Audit log page sizes: the default and the most one request may read.
const (
	auditDefaultLimit = 100
	auditMaxLimit     = 500
)

// AdminModule adds the administration page /admin and the admin API behind
// it: editing, disabling and re-enabling staff accounts, resetting another
// account's password, and reading the audit log. Every change is audited,
// and so is every read of the audit log. Accounts are created with POST
// /api/staff/users and terminals registered with POST /api/terminals,
// which the page also uses.
func AdminModule() Module {
	return func(s *Server) {
		s.Page("GET /admin", "admin.html")
		s.Handle("POST /api/staff/users/{id}", s.Staff(xinqiao.RoleAdmin, s.handleUpdateUser))
		s.Handle("POST /api/staff/users/{id}/password", s.Staff(xinqiao.RoleAdmin, s.handleResetPassword))
		s.Handle("GET /api/audit", s.Staff(xinqiao.RoleAdmin, s.handleAudit))
		s.Handle("GET /api/audit/latest", s.Staff(xinqiao.RoleAdmin, s.handleAuditLatest))
	}
}

// updateUserRequest is the body of POST /api/staff/users/{id}: absent
// fields stay as they are.
type updateUserRequest struct {
	DisplayName *string `json:"display_name"`
	School      *string `json:"school"`
	Role        *string `json:"role"`
	Disabled    *bool   `json:"disabled"`
}

// validate trims the text fields and returns the store update, or an
// EINVALID error naming the first bad field.
func (req updateUserRequest) validate() (xinqiao.StaffUpdate, error) {
	u := xinqiao.StaffUpdate{Disabled: req.Disabled}
	if req.DisplayName == nil && req.School == nil && req.Role == nil && req.Disabled == nil {
		return u, xinqiao.Errorf(xinqiao.EINVALID, "nothing to change: send display_name, school, role or disabled")
	}
	if req.DisplayName != nil {
		v := strings.TrimSpace(*req.DisplayName)
		if n := utf8.RuneCountInString(v); n == 0 || n > 64 {
			return u, xinqiao.Errorf(xinqiao.EINVALID, "display_name must be 1 to 64 characters")
		}
		u.DisplayName = &v
	}
	if req.School != nil {
		v := strings.TrimSpace(*req.School)
		if utf8.RuneCountInString(v) > 128 {
			return u, xinqiao.Errorf(xinqiao.EINVALID, "school must be at most 128 characters")
		}
		u.School = &v
	}
	if req.Role != nil {
		if !xinqiao.ValidStaffRole(*req.Role) {
			return u, xinqiao.Errorf(xinqiao.EINVALID, "role must be admin, supervisor, counselor or curator")
		}
		u.Role = req.Role
	}
	return u, nil
}

// handleUpdateUser edits or disables an account. An admin cannot disable or
// demote their own account (409), so nobody locks themselves out by
// mistake; the store refuses to disable or demote the last enabled admin
// (409). Disabling ends the account's sessions at once.
func (s *Server) handleUpdateUser(w http.ResponseWriter, r *http.Request, admin xinqiao.Staff) {
	var req updateUserRequest
	if err := Decode(r, &req); err != nil {
		s.Error(w, r, err)
		return
	}
	u, err := req.validate()
	if err != nil {
		s.Error(w, r, err)
		return
	}
	id := r.PathValue("id")
	if id == admin.ID && ((u.Disabled != nil && *u.Disabled) || (u.Role != nil && *u.Role != xinqiao.RoleAdmin)) {
		s.Error(w, r, xinqiao.Errorf(xinqiao.ECONFLICT, "you cannot disable or demote your own account; ask another admin"))
		return
	}
	before, err := s.Store.StaffByID(r.Context(), id)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	after, err := s.Store.UpdateStaff(r.Context(), id, u)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if changed := staffChanges(before, after); changed != "" {
		s.audit(r, admin, "staff.update", id, changed)
	}
	switch {
	case after.Disabled && !before.Disabled:
		n, err := s.Store.DeleteStaffSessions(r.Context(), id, "")
		if err != nil {
			// The account cannot log in or use a session any more
			// (Authenticate refuses disabled accounts); the rows stay until
			// they expire.
			s.Log.Error("end sessions of a disabled account", "staff", id, "err", err)
		}
		s.audit(r, admin, "staff.disable", id, fmt.Sprintf("sessions_ended=%d", n))
	case !after.Disabled && before.Disabled:
		s.audit(r, admin, "staff.enable", id, "")
	}
	if after != before {
		s.staffChanged(r.Context(), id)
	}
	s.JSON(w, http.StatusOK, after)
}

// staffChanged tells every node that an account changed, so consoles open
// under it re-check their session at once (a disabled account's socket is
// closed, a changed role takes effect).
func (s *Server) staffChanged(ctx context.Context, staffID string) {
	if err := s.Store.Publish(ctx, xinqiao.Event{Kind: EventStaffChanged, HandoffID: staffID}); err != nil {
		s.Log.Warn("publish staff change", "staff", staffID, "err", err)
	}
}

// EventStaffChanged is the event kind of a changed staff account; the
// account id travels in the event's HandoffID field (events carry ids only).
const EventStaffChanged = "staff_changed"

// staffChanges describes the edited fields of an account for the audit
// trail, e.g. "role: counselor→supervisor; school: →育才中学".
func staffChanges(before, after xinqiao.Staff) string {
	var parts []string
	for _, f := range []struct{ name, old, new string }{
		{"display_name", before.DisplayName, after.DisplayName},
		{"school", before.School, after.School},
		{"role", before.Role, after.Role},
	} {
		if f.old != f.new {
			parts = append(parts, fmt.Sprintf("%s: %s→%s", f.name, f.old, f.new))
		}
	}
	return strings.Join(parts, "; ")
}

type resetPasswordRequest struct {
	Password string `json:"password"`
}

// handleResetPassword sets another account's password (checked against the
// password policy) and ends that account's sessions, so whoever held them
// must log in with the new password. Admins change their own password with
// POST /api/staff/password, which asks for the current one.
func (s *Server) handleResetPassword(w http.ResponseWriter, r *http.Request, admin xinqiao.Staff) {
	var req resetPasswordRequest
	if err := Decode(r, &req); err != nil {
		s.Error(w, r, err)
		return
	}
	if msg := auth.CheckPasswordPolicy(req.Password); msg != "" {
		s.Error(w, r, xinqiao.Errorf(xinqiao.EINVALID, "%s", msg))
		return
	}
	id := r.PathValue("id")
	if id == admin.ID {
		s.Error(w, r, xinqiao.Errorf(xinqiao.EFORBIDDEN, "change your own password with your current one (POST /api/staff/password)"))
		return
	}
	target, err := s.Store.StaffByID(r.Context(), id)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	hash, err := auth.HashPassword(req.Password)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	// The admin knows the new password: its owner must change it first.
	if err := s.Store.SetPassword(r.Context(), target.ID, hash, true); err != nil {
		s.Error(w, r, err)
		return
	}
	n, err := s.Store.DeleteStaffSessions(r.Context(), target.ID, "")
	if err != nil {
		s.Log.Error("end sessions after a password reset", "staff", target.ID, "err", err)
	}
	s.audit(r, admin, "staff.reset_password", target.ID, fmt.Sprintf("sessions_ended=%d", n))
	s.staffChanged(r.Context(), target.ID)
	s.JSON(w, http.StatusOK, map[string]any{"ok": true, "sessions_ended": n})
}

// handleAudit returns the audit log, newest first, optionally for one
// target. The read itself is audited first ("audit.read"), and refused if
// it cannot be.
func (s *Server) handleAudit(w http.ResponseWriter, r *http.Request, admin xinqiao.Staff) {
	q := r.URL.Query()
	target := strings.TrimSpace(q.Get("target"))
	if len(target) > 200 {
		s.Error(w, r, xinqiao.Errorf(xinqiao.EINVALID, "target must be at most 200 bytes"))
		return
	}
	limit := auditDefaultLimit
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > auditMaxLimit {
			s.Error(w, r, xinqiao.Errorf(xinqiao.EINVALID, "limit must be a whole number from 1 to %d", auditMaxLimit))
			return
		}
		limit = n
	}
	if err := s.AuditRead(r.Context(), admin, "audit.read", "audit", fmt.Sprintf("target=%s limit=%d", target, limit)); err != nil {
		s.Error(w, r, err)
		return
	}
	evs, err := s.Store.AuditEvents(r.Context(), target, limit)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if evs == nil {
		evs = []xinqiao.AuditEvent{}
	}
	s.JSON(w, http.StatusOK, map[string]any{"events": evs})
}

// auditLatestScan is how many of the newest events GET /api/audit/latest
// looks through for one that is not a read of the log.
const auditLatestScan = 200

// handleAuditLatest answers the id of the newest audit event that is not a
// read of the log itself (0 when the newest auditLatestScan events are all
// reads), so that the admin page can poll it and reload the log, which
// records a read, only when something else happened. It shows no event,
// so reading it is not recorded.
func (s *Server) handleAuditLatest(w http.ResponseWriter, r *http.Request, _ xinqiao.Staff) {
	evs, err := s.Store.AuditEvents(r.Context(), "", auditLatestScan)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	var latest int64
	for _, e := range evs {
		if e.Action != "audit.read" {
			latest = e.ID
			break
		}
	}
	s.JSON(w, http.StatusOK, map[string]int64{"latest": latest})
}

// audit records an admin change. The change is already made, so a failure
// to record it is logged rather than reported to the admin.
func (s *Server) audit(r *http.Request, admin xinqiao.Staff, action, target, detail string) {
	e := xinqiao.AuditEvent{At: s.Now(), Actor: admin.ID, Action: action, Target: target, Detail: detail}
	if err := s.Store.Audit(r.Context(), e); err != nil {
		s.Log.Error("audit an admin change", "action", action, "target", target, "err", err)
	}
}
