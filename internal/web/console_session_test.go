package web_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"xinqiao/internal/app"
	"xinqiao/internal/apptest"
	"xinqiao/internal/storetest"
	"xinqiao/internal/xinqiao"

	"github.com/gorilla/websocket"
)

// TestDisabledCounselorLosesTheConsole: disabling an account closes the
// consoles open under it at once, and demoting one does too; other
// counselors' consoles stay open.
func TestDisabledCounselorLosesTheConsole(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			s := apptest.Start(t, e.Open(t), app.Options{})
			s.AddStaff(t, "root", xinqiao.RoleAdmin, "管理员")
			s.AddStaff(t, "wang", xinqiao.RoleCounselor, "王老师")
			s.AddStaff(t, "li", xinqiao.RoleCounselor, "李老师")
			root, wang, li := s.Login(t, "root"), s.Login(t, "wang"), s.Login(t, "li")
			wc, lc := wang.DialStaff(t), li.DialStaff(t)
			if code := root.Do(t, "POST", "/api/staff/users/"+wang.Me.ID, map[string]bool{"disabled": true}, nil); code != 200 {
				t.Fatalf("disable: got %d", code)
			}
			select {
			case <-wc.Closed():
				if !websocket.IsCloseError(wc.CloseErr, websocket.ClosePolicyViolation) {
					t.Fatalf("got %v, want close 1008", wc.CloseErr)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("the disabled counselor's console stayed open")
			}
			curator := xinqiao.RoleCurator
			if code := root.Do(t, "POST", "/api/staff/users/"+li.Me.ID, map[string]*string{"role": &curator}, nil); code != 200 {
				t.Fatalf("demote: got %d", code)
			}
			select {
			case <-lc.Closed():
			case <-time.After(5 * time.Second):
				t.Fatal("a console stayed open after its account lost the counselor role")
			}
		})
	}
}

// sessionsStay is a store that cannot end sessions.
type sessionsStay struct{ xinqiao.Store }

func (sessionsStay) DeleteStaffSessions(context.Context, string, string) (int, error) {
	return 0, errors.New("store unavailable")
}

// TestResetPasswordClosesTheConsoleEvenWithSessionsLeft: an admin's reset
// makes the password one the owner must change; an open console closes at
// once even when the store could not end the account's sessions, as every
// other staff route refuses the account until it changes the password.
func TestResetPasswordClosesTheConsoleEvenWithSessionsLeft(t *testing.T) {
	s := apptest.Start(t, sessionsStay{storetest.MustOpenSQLite(t)}, app.Options{})
	s.AddStaff(t, "root", xinqiao.RoleAdmin, "管理员")
	s.AddStaff(t, "wang", xinqiao.RoleCounselor, "王老师")
	root, wang := s.Login(t, "root"), s.Login(t, "wang")
	wc := wang.DialStaff(t)
	if code := root.Do(t, "POST", "/api/staff/users/"+wang.Me.ID+"/password", map[string]string{"password": "reset-by-admin-42x"}, nil); code != 200 {
		t.Fatalf("reset: got %d", code)
	}
	select {
	case <-wc.Closed():
		if !websocket.IsCloseError(wc.CloseErr, websocket.ClosePolicyViolation) {
			t.Fatalf("got %v, want close 1008", wc.CloseErr)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the console of an account whose password an admin reset stayed open")
	}
	if code := wang.Do(t, "GET", "/api/handoffs", nil, nil); code != 403 {
		t.Fatalf("the old session after the reset: got %d, want 403", code)
	}
}
