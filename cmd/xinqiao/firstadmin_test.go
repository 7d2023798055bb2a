package main

import (
	"context"
	"strings"
	"testing"

	"xinqiao/internal/storetest"
)

// TestFirstAdminPrintedPasswordMustChange: the first admin made with a
// printed password must change it at the first login; one made with
// XINQIAO_ADMIN_PASSWORD, which the operator chose, need not; a second
// start makes nothing.
func TestFirstAdminPrintedPasswordMustChange(t *testing.T) {
	ctx := context.Background()
	printed := storetest.MustOpenSQLite(t)
	how, pw, err := ensureAdmin(ctx, printed, "")
	if err != nil || how != adminGenerated || pw == "" {
		t.Fatalf("first start: got %v %q %v", how, pw, err)
	}
	if st, err := printed.StaffByUsername(ctx, "admin"); err != nil || !st.MustChangePassword {
		t.Fatalf("printed password: got %+v, %v; want it to be changed at the first login", st, err)
	}
	if b := banner("http://127.0.0.1:8080", how, pw); !strings.Contains(b, pw) || !strings.Contains(b, "new password") {
		t.Errorf("banner: got %q, want the password and that the first login asks for a new one", b)
	}
	if how, _, err := ensureAdmin(ctx, printed, ""); err != nil || how != adminExisted {
		t.Fatalf("second start: got %v, %v", how, err)
	}

	chosen := storetest.MustOpenSQLite(t)
	if how, _, err := ensureAdmin(ctx, chosen, "chosen-by-operator-9"); err != nil || how != adminConfigured {
		t.Fatalf("configured: got %v, %v", how, err)
	}
	if st, err := chosen.StaffByUsername(ctx, "admin"); err != nil || st.MustChangePassword {
		t.Fatalf("configured password: got %+v, %v; want no forced change", st, err)
	}
}
