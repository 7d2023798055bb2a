package web_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"xinqiao/internal/app"
	"xinqiao/internal/apptest"
	"xinqiao/internal/storetest"
	"xinqiao/internal/xinqiao"
)

func start(t *testing.T, e storetest.Engine) *apptest.Server {
	return apptest.Start(t, e.Open(t), app.Options{})
}

func TestStaffAccounts(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			s := start(t, e)
			s.AddStaff(t, "root", xinqiao.RoleAdmin, "管理员")
			s.AddStaff(t, "wang", xinqiao.RoleCounselor, "王老师")
			admin := s.Login(t, "root")
			if admin.Me.Role != xinqiao.RoleAdmin || admin.CSRF == "" {
				t.Fatalf("got %+v, want an admin with a CSRF token", admin.Me)
			}
			var out struct {
				Error struct{ Code string } `json:"error"`
			}
			anon := &apptest.Staff{S: s, Client: http.DefaultClient}
			tests := []struct {
				name   string
				who    *apptest.Staff
				method string
				path   string
				body   any
				code   int
			}{
				{"create counselor", admin, "POST", "/api/staff/users", map[string]string{"username": "li", "password": "long-enough-pw", "role": "counselor", "display_name": "李老师"}, 201},
				{"duplicate username", admin, "POST", "/api/staff/users", map[string]string{"username": "li", "password": "long-enough-pw", "role": "counselor"}, 409},
				{"bad role", admin, "POST", "/api/staff/users", map[string]string{"username": "zh", "password": "long-enough-pw", "role": "janitor"}, 400},
				{"short password", admin, "POST", "/api/staff/users", map[string]string{"username": "zh", "password": "short", "role": "curator"}, 400},
				{"bad username", admin, "POST", "/api/staff/users", map[string]string{"username": "a b", "password": "long-enough-pw", "role": "curator"}, 400},
				{"unknown field", admin, "POST", "/api/staff/users", map[string]any{"username": "zh", "password": "long-enough-pw", "role": "curator", "admin": true}, 400},
				{"list as admin", admin, "GET", "/api/staff/users", nil, 200},
				{"anonymous create", anon, "POST", "/api/staff/users", map[string]string{"username": "x1", "password": "long-enough-pw", "role": "admin"}, 401},
				{"anonymous me", anon, "GET", "/api/staff/me", nil, 401},
				{"register terminal", admin, "POST", "/api/terminals", map[string]string{"code": "YZ-301", "school": "育才中学", "place": "心理辅导室门口", "band": "junior"}, 200},
				{"bad terminal band", admin, "POST", "/api/terminals", map[string]string{"code": "YZ-302", "school": "育才中学", "band": "college"}, 400},
				{"terminal without school", admin, "POST", "/api/terminals", map[string]string{"code": "YZ-303"}, 400},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					if got := tt.who.Do(t, tt.method, tt.path, tt.body, &out); got != tt.code {
						t.Fatalf("got %d (%s), want %d", got, out.Error.Code, tt.code)
					}
				})
			}
			wang := s.Login(t, "wang")
			if code := wang.Do(t, "POST", "/api/staff/users", map[string]string{"username": "x2", "password": "long-enough-pw", "role": "admin"}, &out); code != 403 {
				t.Fatalf("a counselor creating an admin: got %d, want 403", code)
			}
			if code := wang.Do(t, "POST", "/api/terminals", map[string]string{"code": "Q", "school": "x"}, &out); code != 403 {
				t.Fatalf("a counselor registering a terminal: got %d, want 403", code)
			}
			noCSRF := &apptest.Staff{S: s, Client: wang.Client}
			if code := noCSRF.Do(t, "POST", "/api/staff/logout", nil, &out); code != 403 {
				t.Fatalf("logout without the CSRF header: got %d, want 403", code)
			}

			// A session from a registered terminal carries its school and place.
			sess := s.NewSession(t, `{"terminal":"YZ-301"}`)
			conv, err := s.Store.Conversation(context.Background(), sess.ConversationID)
			if err != nil || conv.School != "育才中学" || conv.Place != "心理辅导室门口" || conv.Band != xinqiao.BandJunior {
				t.Fatalf("got %+v, %v", conv, err)
			}
			// An unknown terminal still gets help, as an unregistered conversation.
			other := s.NewSession(t, `{"terminal":"NOPE"}`)
			if c, _ := s.Store.Conversation(context.Background(), other.ConversationID); c.Terminal != "" {
				t.Fatalf("got terminal %q, want none", c.Terminal)
			}

			// Password change: wrong current → 403; then the new one logs in.
			if code := wang.Do(t, "POST", "/api/staff/password", map[string]string{"current": "wrong", "new": "a-new-long-password"}, &out); code != 403 {
				t.Fatalf("got %d, want 403", code)
			}
			if code := wang.Do(t, "POST", "/api/staff/password", map[string]string{"current": apptest.Password, "new": "a-new-long-password"}, &out); code != 200 {
				t.Fatalf("got %d, want 200", code)
			}
			if code := wang.Do(t, "POST", "/api/staff/logout", nil, &out); code != 200 {
				t.Fatalf("logout: got %d", code)
			}
			if code := wang.Do(t, "GET", "/api/staff/me", nil, &out); code != 401 {
				t.Fatalf("after logout: got %d, want 401", code)
			}
			if code := anon.Do(t, "POST", "/api/staff/login", map[string]string{"username": "wang", "password": apptest.Password}, &out); code != 401 {
				t.Fatalf("old password: got %d, want 401", code)
			}
			if code := anon.Do(t, "POST", "/api/staff/login", map[string]string{"username": "wang", "password": "a-new-long-password"}, &out); code != 200 {
				t.Fatalf("new password: got %d, want 200", code)
			}
			evs, _ := s.Store.AuditEvents(context.Background(), "", 50)
			var actions []string
			for _, e := range evs {
				actions = append(actions, e.Action)
			}
			if got := strings.Join(actions, ","); !strings.Contains(got, "staff.create") || !strings.Contains(got, "staff.password") || !strings.Contains(got, "terminal.register") {
				t.Fatalf("audit trail %q lacks staff.create, staff.password or terminal.register", got)
			}
		})
	}
}

func TestLoginIsThrottled(t *testing.T) {
	s := apptest.Start(t, storetest.MustOpenSQLite(t), app.Options{})
	s.AddStaff(t, "zhao", xinqiao.RoleCurator, "赵老师")
	anon := &apptest.Staff{S: s, Client: http.DefaultClient}
	var codes []int
	for range 7 {
		codes = append(codes, anon.Do(t, "POST", "/api/staff/login", map[string]string{"username": "zhao", "password": "guess-guess"}, nil))
	}
	if codes[0] != 401 || codes[6] != 429 {
		t.Fatalf("got %v, want 401 at first and 429 after five tries", codes)
	}
	for _, body := range []string{`{"username":`, `{}`, `{"username":"a","password":"b","x":1}`} {
		resp, err := http.Post(s.URL+"/api/staff/login", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 400 && resp.StatusCode != 429 {
			t.Fatalf("%s: got %d, want 400", body, resp.StatusCode)
		}
	}
}

func TestHealthAndHeaders(t *testing.T) {
	s := apptest.Start(t, storetest.MustOpenSQLite(t), app.Options{})
	resp, err := http.Get(s.URL + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("X-Content-Type-Options") != "nosniff" || !strings.Contains(resp.Header.Get("Content-Security-Policy"), "default-src 'self'") {
		t.Fatalf("got %d %v", resp.StatusCode, resp.Header)
	}
	s.Store.Close()
	resp, err = http.Get(s.URL + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 503 {
		t.Fatalf("readyz with the store closed: got %d, want 503", resp.StatusCode)
	}
	resp, _ = http.Get(s.URL + "/healthz")
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("healthz: got %d, want 200 (liveness does not depend on the store)", resp.StatusCode)
	}
}
