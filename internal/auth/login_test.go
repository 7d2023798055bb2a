package auth_test

import (
	"fmt"
	"testing"
	"time"

	"xinqiao/internal/auth"
)

// TestLoginGuard: wrong passwords delay only their own address and
// username, doubling; right ones clear the delay and spend nothing; an
// address out of failures still lets usernames that logged in from it try.
func TestLoginGuard(t *testing.T) {
	g := auth.NewLoginGuard(5, time.Minute, 20)
	now := time.Unix(1_000_000, 0)
	for i := range 5 {
		if w := g.Check("10.0.0.1", "wang", now); w != 0 {
			t.Fatalf("try %d: got a wait of %v within the free failures", i+1, w)
		}
		g.Failed("10.0.0.1", "wang", now)
	}
	g.Failed("10.0.0.1", "wang", now) // the sixth failure: a one-second delay
	if w := g.Check("10.0.0.1", "wang", now); w != time.Second {
		t.Fatalf("after six failures: got a wait of %v, want 1s", w)
	}
	if w := g.Check("10.0.0.2", "wang", now); w != 0 {
		t.Fatalf("the owner at another address: got a wait of %v, want none", w)
	}
	if w := g.Check("10.0.0.1", "li", now); w != 0 {
		t.Fatalf("another username at the guessing address: got a wait of %v, want none", w)
	}
	var waits []time.Duration
	for range 8 {
		now = now.Add(g.Check("10.0.0.1", "wang", now))
		g.Failed("10.0.0.1", "wang", now)
		waits = append(waits, g.Check("10.0.0.1", "wang", now))
	}
	want := []time.Duration{2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second, 32 * time.Second, time.Minute, time.Minute, time.Minute}
	if fmt.Sprint(waits) != fmt.Sprint(want) {
		t.Fatalf("got waits %v, want %v (doubling up to the maximum)", waits, want)
	}
	now = now.Add(time.Minute)
	g.Succeeded("10.0.0.1", "wang", now)
	if w := g.Check("10.0.0.1", "wang", now); w != 0 {
		t.Fatalf("after a success: got a wait of %v, want none", w)
	}

	// 500 successful logins from one address spend nothing.
	nat := auth.NewLoginGuard(5, time.Minute, 20)
	for i := range 500 {
		u := fmt.Sprintf("teacher%d", i)
		if w := nat.Check("10.9.9.9", u, now); w != 0 {
			t.Fatalf("login %d from one address: got a wait of %v", i+1, w)
		}
		nat.Succeeded("10.9.9.9", u, now)
	}
	// Twenty failures over many usernames empty the address's bucket: new
	// usernames wait, those that logged in from it before do not.
	for i := range 20 {
		nat.Failed("10.9.9.9", fmt.Sprintf("guess%d", i), now)
	}
	if w := nat.Check("10.9.9.9", "guess-new", now); w == 0 {
		t.Fatal("a fresh username from an address out of failures: got no wait")
	}
	if w := nat.Check("10.9.9.9", "teacher7", now); w != 0 {
		t.Fatalf("a username that logged in from the address before: got a wait of %v, want none", w)
	}
}

func TestCounter(t *testing.T) {
	c := auth.NewCounter()
	keys, limits := []string{"addr", "tok"}, []int{3, 2}
	r1, ok1 := c.Acquire(keys, limits)
	_, ok2 := c.Acquire(keys, limits)
	if _, ok := c.Acquire(keys, limits); !ok1 || !ok2 || ok {
		t.Fatalf("got %v %v %v, want two taken and the third refused at the token's limit", ok1, ok2, ok)
	}
	if _, ok := c.Acquire([]string{"addr", "tok2"}, limits); !ok {
		t.Fatal("another token under the address limit was refused")
	}
	if _, ok := c.Acquire([]string{"addr", "tok3"}, limits); ok {
		t.Fatal("got a fourth on an address limited to three")
	}
	r1()
	r1() // a second release gives nothing back twice
	if _, ok := c.Acquire([]string{"addr", "tok3"}, limits); !ok {
		t.Fatal("a released slot was not given back")
	}
	if _, ok := c.Acquire([]string{"addr", "tok4"}, limits); ok {
		t.Fatal("a double release gave back two slots")
	}
}
