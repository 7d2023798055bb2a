package web_test

import (
	"testing"
	"time"

	"xinqiao/internal/app"
	"xinqiao/internal/apptest"
	"xinqiao/internal/storetest"
	"xinqiao/internal/xinqiao"

	"github.com/gorilla/websocket"
)

// waitClosed fails the test unless the server closes c within five seconds
// (the periodic session re-check is a minute: only an immediate close passes).
func waitClosed(t *testing.T, c *apptest.Client, what string) {
	t.Helper()
	select {
	case <-c.Closed():
		if !websocket.IsCloseError(c.CloseErr, websocket.ClosePolicyViolation) {
			t.Fatalf("%s: got %v, want close 1008", what, c.CloseErr)
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("%s: the console stayed open", what)
	}
}

// TestPasswordChangeEndsOtherSessions: a weak new password is refused; a
// good one ends every other session of the account, closing its consoles
// at once, and keeps the session that changed it.
func TestPasswordChangeEndsOtherSessions(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			s := apptest.Start(t, e.Open(t), app.Options{})
			s.AddStaff(t, "wang", xinqiao.RoleCounselor, "王老师")
			s.AddStaff(t, "li", xinqiao.RoleCounselor, "李老师")
			here, there, li := s.Login(t, "wang"), s.Login(t, "wang"), s.Login(t, "li")
			thereConsole, liConsole := there.DialStaff(t), li.DialStaff(t)
			var out adminErr
			for _, weak := range []string{"aaaaaaaaaa", "1234567890", "password123"} {
				if code := here.Do(t, "POST", "/api/staff/password", map[string]string{"current": apptest.Password, "new": weak}, &out); code != 400 || out.Error.Code != xinqiao.EINVALID {
					t.Fatalf("new password %q: got %d %s, want 400 invalid", weak, code, out.Error.Code)
				}
			}
			var ok struct {
				SessionsEnded int `json:"sessions_ended"`
			}
			if code := here.Do(t, "POST", "/api/staff/password", map[string]string{"current": apptest.Password, "new": "春天的心桥-陪伴-7"}, &ok); code != 200 || ok.SessionsEnded != 1 {
				t.Fatalf("change: got %d %+v, want 200 with one other session ended", code, ok)
			}
			waitClosed(t, thereConsole, "the other session's console after a password change")
			if code := there.Do(t, "GET", "/api/staff/me", nil, nil); code != 401 {
				t.Fatalf("the other session after the change: got %d, want 401", code)
			}
			if code := here.Do(t, "GET", "/api/staff/me", nil, nil); code != 200 {
				t.Fatalf("the session that changed it: got %d, want 200", code)
			}
			liConsole.Quiet(t, 500*time.Millisecond, func(apptest.Frame) bool { return false })
			select {
			case <-liConsole.Closed():
				t.Fatal("another account's console was closed")
			default:
			}
			// Weak passwords are refused for new accounts and admin resets too.
			s.AddStaff(t, "root", xinqiao.RoleAdmin, "管理员")
			root := s.Login(t, "root")
			if code := root.Do(t, "POST", "/api/staff/users", map[string]string{"username": "zh", "password": "qwertyuiop", "role": "curator"}, &out); code != 400 {
				t.Fatalf("create with a keyboard walk: got %d, want 400", code)
			}
			if code := root.Do(t, "POST", "/api/staff/users/"+li.Me.ID+"/password", map[string]string{"password": "woaini1314520"}, &out); code != 400 {
				t.Fatalf("reset to a common password: got %d, want 400", code)
			}
		})
	}
}

// TestLogoutClosesConsolesOnEveryNode: two nodes on one PostgreSQL
// database; logging out on one closes the console open under that session
// on the other at once, and leaves the account's other sessions open;
// an admin's reset closes them all.
func TestLogoutClosesConsolesOnEveryNode(t *testing.T) {
	nodes := storetest.PostgresNodes(t, 2) // skips without TEST_DATABASE_URL; CI always sets it
	a := apptest.Start(t, nodes[0], app.Options{Node: "a"})
	b := apptest.Start(t, nodes[1], app.Options{Node: "b"})
	a.AddStaff(t, "wang", xinqiao.RoleCounselor, "王老师")
	a.AddStaff(t, "root", xinqiao.RoleAdmin, "管理员")
	first, second := a.Login(t, "wang"), a.Login(t, "wang")
	// Cookies belong to the host, not the port: each browser's cookie
	// reaches node b too.
	onB := &apptest.Staff{S: b, Client: first.Client, CSRF: first.CSRF, Me: first.Me}
	console := onB.DialStaff(t)
	secondOnB := &apptest.Staff{S: b, Client: second.Client, CSRF: second.CSRF, Me: second.Me}
	other := secondOnB.DialStaff(t)
	if code := first.Do(t, "POST", "/api/staff/logout", nil, nil); code != 200 {
		t.Fatalf("logout on node a: got %d", code)
	}
	waitClosed(t, console, "a console on node b after logout on node a")
	select {
	case <-other.Closed():
		t.Fatal("the account's other session lost its console at logout")
	case <-time.After(500 * time.Millisecond):
	}
	root := a.Login(t, "root")
	if code := root.Do(t, "POST", "/api/staff/users/"+second.Me.ID+"/password", map[string]string{"password": "reset-by-admin-42"}, nil); code != 200 {
		t.Fatalf("admin reset: got %d", code)
	}
	waitClosed(t, other, "a console on node b after an admin reset on node a")
}
