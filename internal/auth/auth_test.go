package auth_test

import (
	"strings"
	"testing"
	"time"

	"xinqiao/internal/auth"
)

func TestPasswordRoundTrip(t *testing.T) {
	h, err := auth.HashPassword("正确的马电池订书钉")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$") || strings.Contains(h, "正确") {
		t.Fatalf("got hash %q", h)
	}
	if err := auth.VerifyPassword(h, "正确的马电池订书钉"); err != nil {
		t.Fatalf("got %v for the right password", err)
	}
	if err := auth.VerifyPassword(h, "正确的马电池订书针"); err != auth.ErrMismatch {
		t.Fatalf("got %v for a wrong password, want ErrMismatch", err)
	}
	h2, _ := auth.HashPassword("正确的马电池订书钉")
	if h2 == h {
		t.Fatal("two hashes of one password are equal: the salt is not random")
	}
	for _, bad := range []string{"", "plain", "$argon2id$v=19$m=x$a$b", "$bcrypt$x$y$z$w"} {
		if err := auth.VerifyPassword(bad, "x"); err == nil {
			t.Fatalf("got no error for hash %q", bad)
		}
	}
}

func TestPasswordPolicy(t *testing.T) {
	weak := []string{
		"short", "aaaaaaaaaa", "1234567890", "0987654321", "abcdefghij", "qwertyuiop", "QWERTYUIOP",
		"1qaz2wsx3edc", "zxcvbnm123", "心桥心桥心桥心桥心桥", "abcabcabcabc", "12121212121212",
		"13812345678", "password123", "Password123!", "p@ssw0rd2024", "woaini1314520", "2024zhangwei",
		"iloveyou!!!", "admin888888", "xinqiao2026", "abc1234567", "aaaaabbbbb", "!!!!!!!!!!!!",
	}
	for _, pw := range weak {
		if msg := auth.CheckPasswordPolicy(pw); msg == "" {
			t.Errorf("%q: got no complaint, want it refused", pw)
		}
	}
	strong := []string{
		"心桥陪伴每一位同学成长", "long-enough-pw", "test-password-心桥", "a-new-long-password",
		"correct horse battery staple", "Tiger-lily 7 mornings", "zhaolaoshi-kaixin-8",
	}
	for _, pw := range strong {
		if msg := auth.CheckPasswordPolicy(pw); msg != "" {
			t.Errorf("%q: got %q, want it accepted", pw, msg)
		}
	}
}

func TestLimiters(t *testing.T) {
	l := auth.NewLimiters(1, 3, time.Minute)
	now := time.Unix(1000, 0)
	for i := range 3 {
		if !l.AllowAt("a", now) {
			t.Fatalf("token %d refused within the burst", i)
		}
	}
	if l.AllowAt("a", now) {
		t.Fatal("got a fourth token at once, want the bucket empty")
	}
	if !l.AllowAt("b", now) {
		t.Fatal("another key shares the bucket")
	}
	if !l.AllowAt("a", now.Add(1100*time.Millisecond)) {
		t.Fatal("no token after a refill second")
	}
}
