package storetest

import (
	"context"
	"sync"
	"testing"
	"time"

	"xinqiao/internal/xinqiao"
)

func init() {
	register("Admin", func(t *testing.T, open func(tb testing.TB) xinqiao.Store) {
		tests := []struct {
			name string
			fn   func(t *testing.T, s xinqiao.Store)
		}{
			{"UpdateStaff", testUpdateStaff},
			{"DisableTakesOffDuty", testDisableOffDuty},
			{"LastAdmin", testLastAdmin},
			{"LastAdminConcurrent", testLastAdminConcurrent},
			{"DeleteStaffSessions", testDeleteStaffSessions},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) { tt.fn(t, open(t)) })
		}
	})
}

func ptr[T any](v T) *T { return &v }

func mustStaff(t *testing.T, s xinqiao.Store, username, role string) xinqiao.Staff {
	t.Helper()
	st, err := s.CreateStaff(context.Background(), xinqiao.Staff{Username: username, DisplayName: username, Role: role, PasswordHash: "h"})
	if err != nil {
		t.Fatalf("CreateStaff %s: %v", username, err)
	}
	return st
}

func testUpdateStaff(t *testing.T, s xinqiao.Store) {
	ctx := context.Background()
	st := mustStaff(t, s, "wang", xinqiao.RoleCounselor)
	tests := []struct {
		name string
		u    xinqiao.StaffUpdate
		want func(xinqiao.Staff) xinqiao.Staff
	}{
		{"display name", xinqiao.StaffUpdate{DisplayName: ptr("王老师")}, func(s xinqiao.Staff) xinqiao.Staff { s.DisplayName = "王老师"; return s }},
		{"school and role", xinqiao.StaffUpdate{School: ptr("育才中学"), Role: ptr(xinqiao.RoleSupervisor)}, func(s xinqiao.Staff) xinqiao.Staff {
			s.School, s.Role = "育才中学", xinqiao.RoleSupervisor
			return s
		}},
		{"clear school", xinqiao.StaffUpdate{School: ptr("")}, func(s xinqiao.Staff) xinqiao.Staff { s.School = ""; return s }},
		{"disable", xinqiao.StaffUpdate{Disabled: ptr(true)}, func(s xinqiao.Staff) xinqiao.Staff { s.Disabled = true; return s }},
		{"enable", xinqiao.StaffUpdate{Disabled: ptr(false)}, func(s xinqiao.Staff) xinqiao.Staff { s.Disabled = false; return s }},
		{"nothing", xinqiao.StaffUpdate{}, func(s xinqiao.Staff) xinqiao.Staff { return s }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before, err := s.StaffByID(ctx, st.ID)
			if err != nil {
				t.Fatal(err)
			}
			want := tt.want(before)
			got, err := s.UpdateStaff(ctx, st.ID, tt.u)
			if err != nil {
				t.Fatalf("UpdateStaff: %v", err)
			}
			stored, _ := s.StaffByID(ctx, st.ID)
			for _, g := range []xinqiao.Staff{got, stored} {
				if g.DisplayName != want.DisplayName || g.School != want.School || g.Role != want.Role || g.Disabled != want.Disabled ||
					g.Username != "wang" || g.PasswordHash != "h" || !g.CreatedAt.Equal(want.CreatedAt) {
					t.Fatalf("got %+v, want %+v", g, want)
				}
			}
		})
	}
	_, err := s.UpdateStaff(ctx, "missing", xinqiao.StaffUpdate{DisplayName: ptr("x")})
	wantCode(t, err, xinqiao.ENOTFOUND)
	before, _ := s.StaffByID(ctx, st.ID)
	_, err = s.UpdateStaff(ctx, st.ID, xinqiao.StaffUpdate{DisplayName: ptr("改了"), Role: ptr("janitor")})
	wantCode(t, err, xinqiao.EINVALID)
	if after, _ := s.StaffByID(ctx, st.ID); after.DisplayName != before.DisplayName || after.Role != before.Role {
		t.Fatalf("a refused update changed the account: got %+v, want %+v", after, before)
	}
}

func testDisableOffDuty(t *testing.T, s xinqiao.Store) {
	ctx := context.Background()
	st := mustStaff(t, s, "li", xinqiao.RoleCounselor)
	if err := s.SetOnDuty(ctx, st.ID, true); err != nil {
		t.Fatal(err)
	}
	got, err := s.UpdateStaff(ctx, st.ID, xinqiao.StaffUpdate{Disabled: ptr(true)})
	if err != nil || !got.Disabled || got.OnDuty {
		t.Fatalf("got %+v, %v; want disabled and off duty", got, err)
	}
	if stored, _ := s.StaffByID(ctx, st.ID); !stored.Disabled || stored.OnDuty {
		t.Fatalf("stored %+v, want disabled and off duty", stored)
	}
}

func testLastAdmin(t *testing.T, s xinqiao.Store) {
	ctx := context.Background()
	a := mustStaff(t, s, "root", xinqiao.RoleAdmin)
	for _, u := range []xinqiao.StaffUpdate{
		{Disabled: ptr(true)},
		{Role: ptr(xinqiao.RoleSupervisor)},
		{Role: ptr(xinqiao.RoleCounselor), DisplayName: ptr("x")},
	} {
		_, err := s.UpdateStaff(ctx, a.ID, u)
		wantCode(t, err, xinqiao.ECONFLICT)
	}
	if got, _ := s.StaffByID(ctx, a.ID); got.Disabled || got.Role != xinqiao.RoleAdmin || got.DisplayName != "root" {
		t.Fatalf("got %+v, want the last admin unchanged", got)
	}
	if _, err := s.UpdateStaff(ctx, a.ID, xinqiao.StaffUpdate{DisplayName: ptr("管理员"), Role: ptr(xinqiao.RoleAdmin)}); err != nil {
		t.Fatalf("renaming the last admin: %v", err)
	}

	// A disabled admin does not count; a second enabled one does.
	b := mustStaff(t, s, "root2", xinqiao.RoleAdmin)
	if _, err := s.UpdateStaff(ctx, b.ID, xinqiao.StaffUpdate{Disabled: ptr(true)}); err != nil {
		t.Fatalf("disabling one of two admins: %v", err)
	}
	_, err := s.UpdateStaff(ctx, a.ID, xinqiao.StaffUpdate{Disabled: ptr(true)})
	wantCode(t, err, xinqiao.ECONFLICT)
	if _, err := s.UpdateStaff(ctx, b.ID, xinqiao.StaffUpdate{Role: ptr(xinqiao.RoleCurator)}); err != nil {
		t.Fatalf("demoting a disabled admin: %v", err)
	}
	if _, err := s.UpdateStaff(ctx, b.ID, xinqiao.StaffUpdate{Role: ptr(xinqiao.RoleAdmin), Disabled: ptr(false)}); err != nil {
		t.Fatalf("re-enabling as admin: %v", err)
	}
	if _, err := s.UpdateStaff(ctx, a.ID, xinqiao.StaffUpdate{Role: ptr(xinqiao.RoleSupervisor)}); err != nil {
		t.Fatalf("demoting one of two enabled admins: %v", err)
	}
	_, err = s.UpdateStaff(ctx, b.ID, xinqiao.StaffUpdate{Disabled: ptr(true)})
	wantCode(t, err, xinqiao.ECONFLICT)
}

// testLastAdminConcurrent has two admins disable each other at once: one
// change must win and the other be refused, never both.
func testLastAdminConcurrent(t *testing.T, s xinqiao.Store) {
	ctx := context.Background()
	for round := range 5 {
		a := mustStaff(t, s, "a"+string(rune('0'+round)), xinqiao.RoleAdmin)
		b := mustStaff(t, s, "b"+string(rune('0'+round)), xinqiao.RoleAdmin)
		// a and b must be the only enabled admins: retire last round's survivor.
		all, _ := s.ListStaff(ctx)
		for _, st := range all {
			if st.Role == xinqiao.RoleAdmin && !st.Disabled && st.ID != a.ID && st.ID != b.ID {
				if _, err := s.UpdateStaff(ctx, st.ID, xinqiao.StaffUpdate{Disabled: ptr(true)}); err != nil {
					t.Fatalf("round %d: retire %s: %v", round, st.Username, err)
				}
			}
		}
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i, id := range []string{a.ID, b.ID} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = s.UpdateStaff(ctx, id, xinqiao.StaffUpdate{Disabled: ptr(true)})
			}()
		}
		wg.Wait()
		ok := 0
		for _, err := range errs {
			switch xinqiao.ErrorCode(err) {
			case "":
				ok++
			case xinqiao.ECONFLICT:
			default:
				t.Fatalf("round %d: got error %v, want success or %s", round, err, xinqiao.ECONFLICT)
			}
		}
		if ok != 1 {
			t.Fatalf("round %d: got %d successful disables (%v), want exactly 1", round, ok, errs)
		}
		all, _ = s.ListStaff(ctx)
		enabled := 0
		for _, st := range all {
			if st.Role == xinqiao.RoleAdmin && !st.Disabled {
				enabled++
			}
		}
		if enabled != 1 {
			t.Fatalf("round %d: got %d enabled admins, want 1", round, enabled)
		}
	}
}

func testDeleteStaffSessions(t *testing.T, s xinqiao.Store) {
	ctx := context.Background()
	a := mustStaff(t, s, "zhao", xinqiao.RoleCurator)
	b := mustStaff(t, s, "qian", xinqiao.RoleCurator)
	now := time.Now().UTC().Truncate(time.Millisecond)
	for _, ss := range []xinqiao.StaffSession{
		{TokenHash: "a1", StaffID: a.ID, CSRF: "c", CreatedAt: now, ExpiresAt: now.Add(time.Hour)},
		{TokenHash: "a2", StaffID: a.ID, CSRF: "c", CreatedAt: now, ExpiresAt: now.Add(time.Hour)},
		{TokenHash: "b1", StaffID: b.ID, CSRF: "c", CreatedAt: now, ExpiresAt: now.Add(time.Hour)},
	} {
		if err := s.CreateStaffSession(ctx, ss); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.CreateStaffSession(ctx, xinqiao.StaffSession{TokenHash: "a3", StaffID: a.ID, CSRF: "c", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if n, err := s.DeleteStaffSessions(ctx, a.ID, "a3"); err != nil || n != 2 {
		t.Fatalf("all but a3: got %d, %v; want 2 sessions ended", n, err)
	}
	if got, err := s.StaffSession(ctx, "a3"); err != nil || got.StaffID != a.ID {
		t.Fatalf("the kept session: got %+v, %v", got, err)
	}
	n, err := s.DeleteStaffSessions(ctx, a.ID, "")
	if err != nil || n != 1 {
		t.Fatalf("got %d, %v; want 2 sessions ended", n, err)
	}
	for _, h := range []string{"a1", "a2", "a3"} {
		_, err := s.StaffSession(ctx, h)
		wantCode(t, err, xinqiao.ENOTFOUND)
	}
	if got, err := s.StaffSession(ctx, "b1"); err != nil || got.StaffID != b.ID {
		t.Fatalf("another account's session: got %+v, %v; want it kept", got, err)
	}
	if n, err := s.DeleteStaffSessions(ctx, a.ID, ""); err != nil || n != 0 {
		t.Fatalf("again: got %d, %v; want 0, nil", n, err)
	}
	if n, err := s.DeleteStaffSessions(ctx, "missing", ""); err != nil || n != 0 {
		t.Fatalf("missing account: got %d, %v; want 0, nil", n, err)
	}
}
