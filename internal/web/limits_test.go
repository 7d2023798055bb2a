package web_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"xinqiao/internal/app"
	"xinqiao/internal/apptest"
	"xinqiao/internal/config"
	"xinqiao/internal/storetest"
	"xinqiao/internal/web"
	"xinqiao/internal/xinqiao"
)

// from returns a client whose connections come from another loopback
// address, as a browser elsewhere on the network would.
func from(ip string) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 5 * time.Second}
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DialContext: d.DialContext}}
}

func login(t *testing.T, c *http.Client, url, user, pw string) int {
	t.Helper()
	resp, err := c.Post(url+"/api/staff/login", "application/json", strings.NewReader(fmt.Sprintf(`{"username":%q,"password":%q}`, user, pw)))
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// TestLoginThrottleSparesTheOwner: wrong passwords from one address delay
// that address for that username only — the owner logs in from another
// address — and fifty teachers logging in within a minute from one school
// address all get in.
func TestLoginThrottleSparesTheOwner(t *testing.T) {
	s := apptest.Start(t, storetest.MustOpenSQLite(t), app.Options{}, func(c *config.Config) { c.LoginAddrFailures = 12 })
	s.AddStaff(t, "zhao", xinqiao.RoleCounselor, "赵老师")
	attacker, owner := from("127.0.0.2"), from("127.0.0.3")
	var codes []int
	for range 7 {
		codes = append(codes, login(t, attacker, s.URL, "zhao", "guess-guess"))
	}
	if fmt.Sprint(codes) != "[401 401 401 401 401 401 429]" {
		t.Fatalf("wrong passwords from one address: got %v, want five free failures, one more, then a delay", codes)
	}
	if code := login(t, attacker, s.URL, "zhao", apptest.Password); code != 429 {
		t.Fatalf("the right password from the guessing address during its delay: got %d, want 429", code)
	}
	if code := login(t, owner, s.URL, "zhao", apptest.Password); code != 200 {
		t.Fatalf("the owner from another address: got %d, want 200", code)
	}

	school := from("127.0.0.4")
	ctx := context.Background()
	for i := range 50 {
		if _, err := web.CreateStaff(ctx, s.Store, fmt.Sprintf("t%02d", i), apptest.Password, xinqiao.RoleCounselor, "", ""); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 50 {
		if code := login(t, school, s.URL, fmt.Sprintf("t%02d", i), apptest.Password); code != 200 {
			t.Fatalf("teacher %d of 50 behind one address: got %d, want 200", i+1, code)
		}
	}
	// A student at the school's address spraying usernames runs out of
	// failures; the teachers who logged in from there before still get in.
	for i := range 12 {
		login(t, school, s.URL, fmt.Sprintf("nobody%d", i), "guess-guess")
	}
	if code := login(t, school, s.URL, "nobody-new", "guess-guess"); code != 429 {
		t.Fatalf("a fresh username from an address out of failures: got %d, want 429", code)
	}
	if code := login(t, school, s.URL, "t07", apptest.Password); code != 200 {
		t.Fatalf("a teacher who logged in from the school before: got %d, want 200", code)
	}
}

// TestLoginTakesJSONOnly: a login body of another type (what a cross-site
// form can send) is refused with 415 before anything is checked.
func TestLoginTakesJSONOnly(t *testing.T) {
	s := apptest.Start(t, storetest.MustOpenSQLite(t), app.Options{})
	s.AddStaff(t, "zhao", xinqiao.RoleCounselor, "赵老师")
	body := fmt.Sprintf(`{"username":"zhao","password":%q}`, apptest.Password)
	for _, ct := range []string{"text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", ""} {
		req, _ := http.NewRequest("POST", s.URL+"/api/staff/login", strings.NewReader(body))
		if ct != "" {
			req.Header.Set("Content-Type", ct)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnsupportedMediaType || len(resp.Cookies()) != 0 {
			t.Fatalf("Content-Type %q: got %d with %d cookies, want 415 and no session", ct, resp.StatusCode, len(resp.Cookies()))
		}
	}
	resp, err := http.Post(s.URL+"/api/staff/login", "application/json; charset=utf-8", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("JSON with a charset: got %d, want 200", resp.StatusCode)
	}
}

// TestSlowBodyIsCutOff: a client that trickles a request body is answered
// and cut off once the body timeout passes, long before it finishes; a
// WebSocket open for longer than that keeps working.
func TestSlowBodyIsCutOff(t *testing.T) {
	s := apptest.Start(t, storetest.MustOpenSQLite(t), app.Options{}, func(c *config.Config) { c.BodyTimeout = time.Second })
	conn, err := net.Dial("tcp", strings.TrimPrefix(s.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	const size = 100 // at one byte per 200ms: 20 seconds to send
	fmt.Fprintf(conn, "POST /api/student/sessions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n{", size)
	sent := make(chan int, 1)
	go func() {
		n := 1
		for ; n < size; n++ {
			time.Sleep(200 * time.Millisecond)
			if _, err := conn.Write([]byte(" ")); err != nil {
				break
			}
		}
		sent <- n
	}()
	conn.SetReadDeadline(time.Now().Add(15 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer to a trickled body: %v", err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 400 || !strings.Contains(string(b), "too slowly") {
		t.Fatalf("got %d %s, want 400 saying the body came too slowly", resp.StatusCode, b)
	}
	select {
	case n := <-sent:
		if n >= size {
			t.Fatalf("the client sent its whole body (%d bytes) before being cut off", n)
		}
	default: // still trickling into a connection the server has answered
	}
	conn.Close()

	sess := s.NewSession(t, `{}`)
	c := s.DialStudent(t, sess.Token)
	time.Sleep(2 * time.Second) // twice the body timeout
	c.Message(t, "m1", "你好")
	c.WaitType(t, 10*time.Second, "ack")
}

// TestSessionAndSocketCaps: new student sessions per address and per
// terminal per minute, and open sockets per session and per address, are
// capped; over a cap the answer is 429 rate_limited.
func TestSessionAndSocketCaps(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			s := apptest.Start(t, e.Open(t), app.Options{}, func(c *config.Config) {
				c.SessionsPerAddr, c.SessionsPerTerminal, c.SocketsPerToken, c.SocketsPerAddr = 6, 3, 2, 3
			})
			ctx := context.Background()
			if err := s.Store.UpsertTerminal(ctx, xinqiao.Terminal{Code: "T-1", School: "一中", Place: "走廊"}); err != nil {
				t.Fatal(err)
			}
			post := func(body string) (int, string) {
				resp, err := http.Post(s.URL+"/api/student/sessions", "application/json", strings.NewReader(body))
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				b, _ := io.ReadAll(resp.Body)
				return resp.StatusCode, string(b)
			}
			var codes []int
			for range 4 {
				c, _ := post(`{"terminal":"T-1"}`)
				codes = append(codes, c)
			}
			if fmt.Sprint(codes) != "[201 201 201 429]" {
				t.Fatalf("sessions on one terminal: got %v, want three, then 429", codes)
			}
			codes = nil
			for range 4 {
				c, _ := post(`{}`)
				codes = append(codes, c)
			}
			if fmt.Sprint(codes) != "[201 201 201 429]" {
				t.Fatalf("sessions from one address: got %v, want six in all, then 429", codes)
			}
			if _, body := post(`{}`); !strings.Contains(body, xinqiao.ERATELIMITED) {
				t.Fatalf("got %s, want a rate_limited error", body)
			}

			// Sockets: two per session, three per address.
			fresh := apptest.Start(t, e.Open(t), app.Options{}, func(c *config.Config) { c.SocketsPerToken, c.SocketsPerAddr = 2, 3 })
			a, b := fresh.NewSession(t, `{}`), fresh.NewSession(t, `{}`)
			a1 := fresh.DialStudent(t, a.Token) // a dial that returns has been counted
			fresh.DialStudent(t, a.Token)
			refused := func(token string) bool {
				_, resp, err := fresh.Dial(t, "/ws/student?token="+token, nil)
				return err != nil && resp != nil && resp.StatusCode == http.StatusTooManyRequests
			}
			if !refused(a.Token) {
				t.Fatal("a third socket on one session was not refused with 429")
			}
			fresh.DialStudent(t, b.Token)
			if !refused(b.Token) {
				t.Fatal("a fourth socket from one address was not refused with 429")
			}
			a1.Conn.Close()
			deadline := time.Now().Add(10 * time.Second)
			for refused(b.Token) {
				if time.Now().After(deadline) {
					t.Fatal("a closed socket's place was never given back")
				}
				time.Sleep(50 * time.Millisecond)
			}
		})
	}
}

// TestNoDirectoryListing: /static/ serves files, never a listing of them.
func TestNoDirectoryListing(t *testing.T) {
	s := apptest.Start(t, storetest.MustOpenSQLite(t), app.Options{})
	for path, want := range map[string]int{"/static/": 404, "/static/./": 404, "/static/admin.js": 200, "/static/nope.js": 404} {
		resp, err := http.Get(s.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != want || strings.Contains(string(b), `<a href="admin.js">`) {
			t.Errorf("GET %s: got %d %.80s, want %d and no listing", path, resp.StatusCode, b, want)
		}
	}
}

// TestTrustedProxies: behind a trusted reverse proxy the per-address caps
// count the client address the proxy appended to X-Forwarded-For, so one
// school's flood does not use up the others'; a client's own
// X-Forwarded-For is never believed.
func TestTrustedProxies(t *testing.T) {
	for _, tt := range []struct {
		name    string
		proxies []string
		want    string // status codes of the five requests below
	}{
		{"behind a trusted proxy", []string{"127.0.0.0/8"}, "[201 201 429 201 429]"},
		{"no trusted proxy", nil, "[201 201 429 429 429]"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := apptest.Start(t, storetest.MustOpenSQLite(t), app.Options{}, func(c *config.Config) {
				c.SessionsPerAddr, c.TrustedProxies = 2, tt.proxies
			})
			var codes []int
			for _, xff := range []string{"203.0.113.5", "203.0.113.5", "203.0.113.5", "203.0.113.6", "198.51.100.1, 203.0.113.5"} {
				req, _ := http.NewRequest("POST", s.URL+"/api/student/sessions", strings.NewReader(`{}`))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("X-Forwarded-For", xff)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				codes = append(codes, resp.StatusCode)
			}
			if got := fmt.Sprint(codes); got != tt.want {
				t.Fatalf("got %s, want %s", got, tt.want)
			}
		})
	}
}
