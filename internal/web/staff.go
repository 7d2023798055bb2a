package web

import (
	"context"
	"crypto/subtle"
	"fmt"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"xinqiao/internal/auth"
	"xinqiao/internal/xinqiao"
)

// StaffCookie is the name of the staff session cookie.
const StaffCookie = "xq_staff"

// CSRFHeader carries the session's CSRF token on every state-changing
// staff request.
const CSRFHeader = "X-CSRF-Token"

type staffKey struct{}

// StaffFrom returns the authenticated staff member of a request handled
// through Staff.
func StaffFrom(ctx context.Context) (xinqiao.Staff, bool) {
	st, ok := ctx.Value(staffKey{}).(xinqiao.Staff)
	return st, ok
}

func (s *Server) staffRoutes() {
	s.HandleFunc("POST /api/staff/login", s.handleLogin)
	s.Handle("POST /api/staff/logout", s.Staff("", s.handleLogout))
	s.Handle("GET /api/staff/me", s.Staff("", s.handleMe))
	s.Handle("POST /api/staff/password", s.Staff("", s.handlePassword))
	s.Handle("POST /api/staff/users", s.Staff(xinqiao.RoleAdmin, s.handleCreateUser))
	s.Handle("GET /api/staff/users", s.Staff(xinqiao.RoleSupervisor, s.handleListUsers))
}

// Authenticate returns the staff member and session behind a request's
// cookie, or an EUNAUTHORIZED error.
func (s *Server) Authenticate(r *http.Request) (xinqiao.Staff, xinqiao.StaffSession, error) {
	c, err := r.Cookie(StaffCookie)
	if err != nil || c.Value == "" {
		return xinqiao.Staff{}, xinqiao.StaffSession{}, xinqiao.Errorf(xinqiao.EUNAUTHORIZED, "please log in")
	}
	sess, err := s.Store.StaffSession(r.Context(), xinqiao.HashToken(c.Value))
	if xinqiao.ErrorCode(err) == xinqiao.ENOTFOUND || (err == nil && !s.Now().Before(sess.ExpiresAt)) {
		return xinqiao.Staff{}, sess, xinqiao.Errorf(xinqiao.EUNAUTHORIZED, "your session has ended; please log in again")
	} else if err != nil {
		return xinqiao.Staff{}, sess, err
	}
	st, err := s.Store.StaffByID(r.Context(), sess.StaffID)
	if err != nil || st.Disabled {
		return st, sess, xinqiao.Errorf(xinqiao.EUNAUTHORIZED, "this account cannot log in")
	}
	if st.MustChangePassword && !firstPasswordRoutes[r.Pattern] {
		return st, sess, xinqiao.Errorf(xinqiao.EFORBIDDEN, "change the first password of this account (POST /api/staff/password) before anything else")
	}
	return st, sess, nil
}

// firstPasswordRoutes are all an account whose password someone else knows
// (Staff.MustChangePassword) may use until it changes the password: every
// other staff route and socket is refused, whatever the page does.
var firstPasswordRoutes = map[string]bool{
	"GET /api/staff/me":        true,
	"POST /api/staff/logout":   true,
	"POST /api/staff/password": true,
}

// Staff wraps a handler that needs a logged-in staff member with the given
// role ("" for any role; admins pass every check; supervisors pass counselor
// checks). State-changing methods must carry the session's CSRF token.
func (s *Server) Staff(role string, h func(w http.ResponseWriter, r *http.Request, st xinqiao.Staff)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st, sess, err := s.Authenticate(r)
		if err != nil {
			s.Error(w, r, err)
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			tok := r.Header.Get(CSRFHeader)
			if tok == "" || subtle.ConstantTimeCompare([]byte(tok), []byte(sess.CSRF)) != 1 {
				s.Error(w, r, xinqiao.Errorf(xinqiao.EFORBIDDEN, "missing or wrong %s header", CSRFHeader))
				return
			}
		}
		if role != "" && !st.Can(role) {
			s.Error(w, r, xinqiao.Errorf(xinqiao.EFORBIDDEN, "this needs the %s role", role))
			return
		}
		h(w, r.WithContext(context.WithValue(r.Context(), staffKey{}, st)), st)
	})
}

// AuditRead records a staff read of student data before it is served. A
// read that cannot be audited is refused.
func (s *Server) AuditRead(ctx context.Context, st xinqiao.Staff, action, target, detail string) error {
	if err := s.Store.Audit(ctx, xinqiao.AuditEvent{At: s.Now(), Actor: st.ID, Action: action, Target: target, Detail: detail}); err != nil {
		return xinqiao.Errorf(xinqiao.EUNAVAILABLE, "the audit trail is unavailable, so the record cannot be shown")
	}
	return nil
}

// isJSON reports whether a request says its body is JSON.
func isJSON(r *http.Request) bool {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && mt == "application/json"
}

// unsupported answers 415 for a body that is not JSON.
func (s *Server) unsupported(w http.ResponseWriter, r *http.Request) {
	var body ErrorBody
	body.Error.Code, body.Error.Message = xinqiao.EINVALID, "send the body as application/json"
	s.JSON(w, http.StatusUnsupportedMediaType, body)
}

// AllowSession reports, as an ERATELIMITED error, when the request's
// address or the terminal code has started more student sessions in the
// last minute than configured; otherwise it spends one of each (a terminal
// over its cap spends nothing of its address's).
func (s *Server) AllowSession(r *http.Request, terminal string) error {
	if terminal != "" && !s.sessTerm.Allow(terminal) {
		return xinqiao.Errorf(xinqiao.ERATELIMITED, "too many new conversations on this terminal; wait a minute")
	}
	if !s.sessAddr.Allow(s.ClientIP(r)) {
		return xinqiao.Errorf(xinqiao.ERATELIMITED, "too many new conversations from this network; wait a minute")
	}
	return nil
}

// AcquireSocket counts a WebSocket about to open for a session (its token
// hash) from the request's address against the configured caps, and
// returns the function to call when it closes; over a cap it returns an
// ERATELIMITED error and counts nothing.
func (s *Server) AcquireSocket(r *http.Request, tokenHash string) (release func(), err error) {
	release, ok := s.sockets.Acquire([]string{"addr:" + s.ClientIP(r), "tok:" + tokenHash},
		[]int{s.Cfg.SocketsPerAddr, s.Cfg.SocketsPerToken})
	if !ok {
		return release, xinqiao.Errorf(xinqiao.ERATELIMITED, "too many open connections; close other tabs of this page")
	}
	return release, nil
}

// ClientIP returns the address a request comes from, for the per-address
// limits: the TCP peer, or, when the peer is one of the trusted proxies
// (XINQIAO_TRUSTED_PROXIES), the last address in X-Forwarded-For that is
// not itself a trusted proxy. A client's own X-Forwarded-For is never
// believed: only what the trusted proxies appended counts.
func (s *Server) ClientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	if !s.trusted(host) {
		return host
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		hop := strings.TrimSpace(hops[i])
		if net.ParseIP(hop) == nil {
			break // a malformed entry: stop at the last proxy we trust
		}
		if !s.trusted(hop) {
			return hop
		}
		host = hop
	}
	return host
}

// trusted reports whether ip is one of the configured trusted proxies.
func (s *Server) trusted(ip string) bool {
	addr, err := netip.ParseAddr(ip)
	if err != nil {
		return false
	}
	addr = addr.Unmap()
	for _, p := range s.proxies {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

type loginRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

type meResponse struct {
	Staff xinqiao.Staff `json:"staff"`
	CSRF  string        `json:"csrf"`
}

// handleLogin checks a username and password and starts a session. It
// takes JSON only (415 otherwise), so a cross-site form cannot log a
// browser in. Wrong passwords are throttled per address and username with
// growing delays (auth.LoginGuard); right ones spend no budget.
func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) {
	if !isJSON(r) {
		s.unsupported(w, r)
		return
	}
	var req loginRequest
	if err := Decode(r, &req); err != nil {
		s.Error(w, r, err)
		return
	}
	if req.Username == "" || req.Password == "" || len(req.Username) > 128 {
		s.Error(w, r, xinqiao.Errorf(xinqiao.EINVALID, "username and password are required"))
		return
	}
	ip, user := s.ClientIP(r), strings.ToLower(req.Username)
	if wait := s.guard.Check(ip, user, s.Now()); wait > 0 {
		secs := int((wait + time.Second - 1) / time.Second)
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		s.Error(w, r, xinqiao.Errorf(xinqiao.ERATELIMITED, "too many wrong passwords from here; try again in %d seconds", secs))
		return
	}
	st, err := s.Store.StaffByUsername(r.Context(), req.Username)
	if err != nil && xinqiao.ErrorCode(err) != xinqiao.ENOTFOUND {
		s.Error(w, r, err)
		return
	}
	hash := st.PasswordHash
	if err != nil || st.Disabled {
		hash = dummyHash // spend the same time whether or not the account exists
	}
	if auth.VerifyPassword(hash, req.Password) != nil || err != nil || st.Disabled {
		s.guard.Failed(ip, user, s.Now())
		s.Log.Info("staff login failed", "ip", ip)
		s.Error(w, r, xinqiao.Errorf(xinqiao.EUNAUTHORIZED, "wrong username or password"))
		return
	}
	s.guard.Succeeded(ip, user, s.Now())
	tok, csrf := xinqiao.NewToken(), xinqiao.NewToken()
	now := s.Now()
	sess := xinqiao.StaffSession{TokenHash: xinqiao.HashToken(tok), StaffID: st.ID, CSRF: csrf, CreatedAt: now, ExpiresAt: now.Add(s.Cfg.SessionTTL)}
	if err := s.Store.CreateStaffSession(r.Context(), sess); err != nil {
		s.Error(w, r, err)
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name: StaffCookie, Value: tok, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode,
		Secure: r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https"), Expires: sess.ExpiresAt,
	})
	s.Log.Info("staff logged in", "staff", st.ID, "role", st.Role)
	s.JSON(w, http.StatusOK, meResponse{Staff: st, CSRF: csrf})
}

// dummyHash is verified against when an account does not exist, so a
// failed login takes as long either way.
var dummyHash, _ = auth.HashPassword("xinqiao-no-such-account")

// handleLogout ends the session and closes the consoles open under it, on
// every node, at once.
func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request, st xinqiao.Staff) {
	if c, err := r.Cookie(StaffCookie); err == nil {
		if err := s.Store.DeleteStaffSession(r.Context(), xinqiao.HashToken(c.Value)); err != nil {
			s.Error(w, r, err)
			return
		}
		s.staffChanged(r.Context(), st.ID)
	}
	http.SetCookie(w, &http.Cookie{Name: StaffCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteStrictMode})
	s.JSON(w, http.StatusOK, map[string]bool{"ok": true})
}

func (s *Server) handleMe(w http.ResponseWriter, r *http.Request, st xinqiao.Staff) {
	_, sess, err := s.Authenticate(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.JSON(w, http.StatusOK, meResponse{Staff: st, CSRF: sess.CSRF})
}

type passwordRequest struct {
	Current string `json:"current"`
	New     string `json:"new"`
}

// handlePassword changes the caller's own password, after checking the
// current one, and ends every other session of the account (with their
// consoles, on every node): whoever else held one must log in with the new
// password.
func (s *Server) handlePassword(w http.ResponseWriter, r *http.Request, st xinqiao.Staff) {
	var req passwordRequest
	if err := Decode(r, &req); err != nil {
		s.Error(w, r, err)
		return
	}
	if !s.logins.Allow("pw:" + st.ID) {
		s.Error(w, r, xinqiao.Errorf(xinqiao.ERATELIMITED, "too many attempts; wait a minute and try again"))
		return
	}
	if auth.VerifyPassword(st.PasswordHash, req.Current) != nil {
		s.Error(w, r, xinqiao.Errorf(xinqiao.EFORBIDDEN, "the current password is wrong"))
		return
	}
	if msg := auth.CheckPasswordPolicy(req.New); msg != "" {
		s.Error(w, r, xinqiao.Errorf(xinqiao.EINVALID, "%s", msg))
		return
	}
	if req.New == req.Current {
		s.Error(w, r, xinqiao.Errorf(xinqiao.EINVALID, "the new password must differ from the current one"))
		return
	}
	hash, err := auth.HashPassword(req.New)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if err := s.Store.SetPassword(r.Context(), st.ID, hash, false); err != nil {
		s.Error(w, r, err)
		return
	}
	_, sess, err := s.Authenticate(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	n, err := s.Store.DeleteStaffSessions(r.Context(), st.ID, sess.TokenHash)
	if err != nil {
		// The password is changed; the other sessions stay until they expire.
		s.Log.Error("end other sessions after a password change", "staff", st.ID, "err", err)
	}
	s.staffChanged(r.Context(), st.ID)
	_ = s.Store.Audit(r.Context(), xinqiao.AuditEvent{At: s.Now(), Actor: st.ID, Action: "staff.password", Target: st.ID, Detail: fmt.Sprintf("sessions_ended=%d", n)})
	s.JSON(w, http.StatusOK, map[string]any{"ok": true, "sessions_ended": n})
}

type createUserRequest struct {
	Username    string `json:"username"`
	Password    string `json:"password"`
	Role        string `json:"role"`
	DisplayName string `json:"display_name"`
	School      string `json:"school"`
}

// ValidateUsername returns a message safe to show when a username is not
// acceptable, or "".
func ValidateUsername(u string) string {
	if n := utf8.RuneCountInString(u); n < 2 || n > 64 {
		return "username must be 2 to 64 characters"
	}
	for _, c := range u {
		if !(c == '.' || c == '-' || c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return "username may use letters, digits, '.', '-' and '_' only"
		}
	}
	return ""
}

// CreateStaff validates and stores a new staff account whose password its
// owner chose: the one way the API, the command line and the first start
// create accounts (through CreateStaffFirstPassword for a password someone
// else knows).
func CreateStaff(ctx context.Context, store xinqiao.StaffStore, username, password, role, displayName, school string) (xinqiao.Staff, error) {
	return createStaff(ctx, store, username, password, role, displayName, school, false)
}

// CreateStaffFirstPassword is CreateStaff for a first password someone
// else knows (printed at the first start, or set by an admin): the account
// must change it before anything else works.
func CreateStaffFirstPassword(ctx context.Context, store xinqiao.StaffStore, username, password, role, displayName, school string) (xinqiao.Staff, error) {
	return createStaff(ctx, store, username, password, role, displayName, school, true)
}

func createStaff(ctx context.Context, store xinqiao.StaffStore, username, password, role, displayName, school string, mustChange bool) (xinqiao.Staff, error) {
	if msg := ValidateUsername(username); msg != "" {
		return xinqiao.Staff{}, xinqiao.Errorf(xinqiao.EINVALID, "%s", msg)
	}
	if !xinqiao.ValidStaffRole(role) {
		return xinqiao.Staff{}, xinqiao.Errorf(xinqiao.EINVALID, "role must be admin, supervisor, counselor or curator")
	}
	if msg := auth.CheckPasswordPolicy(password); msg != "" {
		return xinqiao.Staff{}, xinqiao.Errorf(xinqiao.EINVALID, "%s", msg)
	}
	if displayName == "" {
		displayName = username
	}
	if utf8.RuneCountInString(displayName) > 64 || utf8.RuneCountInString(school) > 128 {
		return xinqiao.Staff{}, xinqiao.Errorf(xinqiao.EINVALID, "display name or school is too long")
	}
	hash, err := auth.HashPassword(password)
	if err != nil {
		return xinqiao.Staff{}, err
	}
	return store.CreateStaff(ctx, xinqiao.Staff{Username: username, DisplayName: displayName, Role: role, School: school, PasswordHash: hash, MustChangePassword: mustChange})
}

func (s *Server) handleCreateUser(w http.ResponseWriter, r *http.Request, admin xinqiao.Staff) {
	var req createUserRequest
	if err := Decode(r, &req); err != nil {
		s.Error(w, r, err)
		return
	}
	// The admin chose or saw the password: its owner changes it first.
	st, err := CreateStaffFirstPassword(r.Context(), s.Store, req.Username, req.Password, req.Role, req.DisplayName, req.School)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	_ = s.Store.Audit(r.Context(), xinqiao.AuditEvent{At: s.Now(), Actor: admin.ID, Action: "staff.create", Target: st.ID, Detail: st.Role})
	s.JSON(w, http.StatusCreated, st)
}

func (s *Server) handleListUsers(w http.ResponseWriter, r *http.Request, _ xinqiao.Staff) {
	all, err := s.Store.ListStaff(r.Context())
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if all == nil {
		all = []xinqiao.Staff{}
	}
	s.JSON(w, http.StatusOK, map[string]any{"users": all})
}
