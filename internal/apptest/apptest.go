// Package apptest boots the whole service on a real store behind an
// httptest server, with real WebSocket and HTTP clients, for end-to-end
// tests of every area.
package apptest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"xinqiao/internal/app"
	"xinqiao/internal/config"
	"xinqiao/internal/web"
	"xinqiao/internal/xinqiao"

	"github.com/gorilla/websocket"
)

// Server is a running service.
type Server struct {
	URL   string
	App   *app.App
	Store xinqiao.Store
	HTTP  *httptest.Server

	stop func()
}

// Start builds the service on store with the default configuration
// (changed by cfgFn when given) and serves it until the test ends.
func Start(tb testing.TB, store xinqiao.Store, opts app.Options, cfgFn ...func(*config.Config)) *Server {
	tb.Helper()
	cfg := config.Default()
	cfg.Addr = "127.0.0.1:0"
	cfg.DataDir = tb.TempDir()
	for _, f := range cfgFn {
		f(&cfg)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(&tbWriter{tb}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	a, err := app.Build(context.Background(), cfg, store, log, io.Discard, opts)
	if err != nil {
		tb.Fatalf("build app: %v", err)
	}
	hs := httptest.NewServer(a.Web)
	s := &Server{URL: hs.URL, App: a, Store: store, HTTP: hs}
	s.stop = sync.OnceFunc(func() {
		a.Web.Shutdown()
		hs.CloseClientConnections()
		hs.Close()
		a.Close()
	})
	tb.Cleanup(s.Stop)
	return s
}

// Stop stops the node before the test ends (its sockets close, its
// background work ends), leaving the store open for another node.
func (s *Server) Stop() { s.stop() }

type tbWriter struct{ tb testing.TB }

func (w *tbWriter) Write(p []byte) (int, error) {
	w.tb.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// Session is a student session.
type Session struct {
	Token          string `json:"token"`
	ConversationID string `json:"conversation_id"`
	Lang           string `json:"lang"`
}

// NewSession creates a student session through the API.
func (s *Server) NewSession(tb testing.TB, body string) Session {
	tb.Helper()
	resp, err := http.Post(s.URL+"/api/student/sessions", "application/json", strings.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		b, _ := io.ReadAll(resp.Body)
		tb.Fatalf("create session: got %d %s, want 201", resp.StatusCode, b)
	}
	var sess Session
	if err := json.NewDecoder(resp.Body).Decode(&sess); err != nil {
		tb.Fatal(err)
	}
	return sess
}

// Frame is one received WebSocket frame.
type Frame struct {
	Type        string           `json:"type"`
	ClientID    string           `json:"client_id"`
	Seq         int64            `json:"seq"`
	Role        string           `json:"role"`
	Text        string           `json:"text"`
	Sources     []xinqiao.Source `json:"sources"`
	AIGenerated bool             `json:"ai_generated"`
	ReplyTo     string           `json:"reply_to"`
	Level       string           `json:"level"`
	Hotlines    []struct {
		Name, Number, Hours string
		Open                bool
	} `json:"hotlines"`
	State     string `json:"state"`
	Kind      string `json:"kind"`
	Counselor string `json:"counselor"`
	OnDuty    *bool  `json:"on_duty"`
	Code      string `json:"code"`
	Message   string `json:"message"`
	For       string `json:"for"`
	Raw       json.RawMessage
}

// Client is a WebSocket client that reads frames in the background.
type Client struct {
	Conn   *websocket.Conn
	frames chan Frame
	closed chan struct{}
	// CloseErr is the error that ended the read loop (a *websocket.CloseError
	// for a close frame); read it after Closed is closed.
	CloseErr error
}

// TryNext returns the next frame, or ok=false when the socket closed or
// timeout passed.
func (c *Client) TryNext(timeout time.Duration) (Frame, bool) {
	select {
	case f := <-c.frames:
		return f, true
	case <-c.closed:
		return Frame{}, false
	case <-time.After(timeout):
		return Frame{}, false
	}
}

// Dial opens a WebSocket to path (e.g. "/ws/student?token=...") with the
// server's own Origin, as a browser on the page would.
func (s *Server) Dial(tb testing.TB, path string, header http.Header) (*Client, *http.Response, error) {
	tb.Helper()
	if header == nil {
		header = http.Header{}
	}
	if header.Get("Origin") == "" {
		header.Set("Origin", s.URL)
	}
	c, resp, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(s.URL, "http")+path, header)
	if err != nil {
		return nil, resp, err
	}
	cl := &Client{Conn: c, frames: make(chan Frame, 1024), closed: make(chan struct{})}
	go func() {
		defer close(cl.closed)
		for {
			_, data, err := c.ReadMessage()
			if err != nil {
				cl.CloseErr = err
				return
			}
			var f Frame
			_ = json.Unmarshal(data, &f)
			f.Raw = data
			cl.frames <- f
		}
	}()
	tb.Cleanup(func() { c.Close() })
	return cl, resp, nil
}

// DialStudent opens a student socket or fails the test.
func (s *Server) DialStudent(tb testing.TB, token string) *Client {
	tb.Helper()
	c, resp, err := s.Dial(tb, "/ws/student?token="+token, nil)
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		tb.Fatalf("dial student socket: %v (HTTP %d)", err, status)
	}
	return c
}

// Ping sends a student socket's ping and returns once its pong has come,
// with the frames that came before it. DialStudent returns as soon as the
// socket is open, before the server has joined it to its conversation on
// that node; the server answers frames only after, so once Ping returns
// every message and state of the conversation announced from then on, on
// any node, reaches the socket.
func (c *Client) Ping(tb testing.TB) []Frame {
	tb.Helper()
	c.Send(tb, map[string]string{"type": "ping"})
	_, before := c.Wait(tb, 5*time.Second, func(f Frame) bool { return f.Type == "pong" })
	return before
}

// Send writes a JSON frame.
func (c *Client) Send(tb testing.TB, v any) {
	tb.Helper()
	if err := c.Conn.WriteJSON(v); err != nil {
		tb.Fatalf("send: %v", err)
	}
}

// Message sends a student message.
func (c *Client) Message(tb testing.TB, clientID, text string) {
	tb.Helper()
	c.Send(tb, map[string]any{"type": "message", "client_id": clientID, "text": text})
}

// Next returns the next frame, failing after timeout.
func (c *Client) Next(tb testing.TB, timeout time.Duration) Frame {
	tb.Helper()
	select {
	case f := <-c.frames:
		return f
	case <-c.closed:
		tb.Fatalf("socket closed while waiting for a frame: %v", c.CloseErr)
	case <-time.After(timeout):
		tb.Fatalf("no frame within %v", timeout)
	}
	return Frame{}
}

// Wait returns the first frame matching pred, collecting the frames it
// skipped; it fails the test after timeout.
func (c *Client) Wait(tb testing.TB, timeout time.Duration, pred func(Frame) bool) (Frame, []Frame) {
	tb.Helper()
	deadline := time.After(timeout)
	var skipped []Frame
	for {
		select {
		case f := <-c.frames:
			if pred(f) {
				return f, skipped
			}
			skipped = append(skipped, f)
		case <-c.closed:
			tb.Fatalf("socket closed while waiting: %v (skipped %d frames)", c.CloseErr, len(skipped))
		case <-deadline:
			tb.Fatalf("no matching frame within %v; skipped %s", timeout, describe(skipped))
		}
	}
}

// WaitType waits for the first frame of a type.
func (c *Client) WaitType(tb testing.TB, timeout time.Duration, typ string) Frame {
	tb.Helper()
	f, _ := c.Wait(tb, timeout, func(f Frame) bool { return f.Type == typ })
	return f
}

// Quiet asserts no frame matching pred arrives within d.
func (c *Client) Quiet(tb testing.TB, d time.Duration, pred func(Frame) bool) {
	tb.Helper()
	deadline := time.After(d)
	for {
		select {
		case f := <-c.frames:
			if pred(f) {
				tb.Fatalf("got unexpected frame %s", f.Raw)
			}
		case <-c.closed:
			return
		case <-deadline:
			return
		}
	}
}

// Closed is closed when the server ends the socket.
func (c *Client) Closed() <-chan struct{} { return c.closed }

func describe(fs []Frame) string {
	var b strings.Builder
	for _, f := range fs {
		b.Write(f.Raw)
		b.WriteByte(' ')
	}
	return b.String()
}

// Staff is a logged-in staff browser: a cookie jar and the CSRF token.
type Staff struct {
	S      *Server
	Client *http.Client
	CSRF   string
	Me     xinqiao.Staff
}

// AddStaff creates an account directly in the store.
func (s *Server) AddStaff(tb testing.TB, username, role, display string) {
	tb.Helper()
	if _, err := web.CreateStaff(context.Background(), s.Store, username, Password, role, display, ""); err != nil {
		tb.Fatalf("add staff %s: %v", username, err)
	}
}

// Password is the password of every account AddStaff creates.
const Password = "test-password-心桥"

// Login logs a staff member in.
func (s *Server) Login(tb testing.TB, username string) *Staff {
	tb.Helper()
	jar, _ := cookiejar.New(nil)
	st := &Staff{S: s, Client: &http.Client{Jar: jar, Timeout: 10 * time.Second}}
	var me struct {
		Staff xinqiao.Staff `json:"staff"`
		CSRF  string        `json:"csrf"`
	}
	if code := st.Do(tb, "POST", "/api/staff/login", map[string]string{"username": username, "password": Password}, &me); code != 200 {
		tb.Fatalf("login %s: got %d", username, code)
	}
	st.CSRF, st.Me = me.CSRF, me.Staff
	return st
}

// Do sends a JSON request and decodes the JSON answer into out (if not nil),
// returning the status code.
func (st *Staff) Do(tb testing.TB, method, path string, body, out any) int {
	tb.Helper()
	return st.DoHeader(tb, method, path, body, out).StatusCode
}

// DoHeader is Do returning the whole response (its body already read and
// closed), for a test that checks headers too.
func (st *Staff) DoHeader(tb testing.TB, method, path string, body, out any) *http.Response {
	tb.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, st.S.URL+path, rd)
	req.Header.Set("Content-Type", "application/json")
	if st.CSRF != "" {
		req.Header.Set(web.CSRFHeader, st.CSRF)
	}
	resp, err := st.Client.Do(req)
	if err != nil {
		tb.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil && len(b) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			tb.Fatalf("%s %s: decode %q: %v", method, path, b, err)
		}
	}
	return resp
}

// DialStaff opens the staff socket with the staff member's cookie and
// returns once its hello frame has come (and is consumed): the server sends
// hello after it has registered the console, so every handoff opened after
// DialStaff returns reaches it as a frame, not only in the first queue.
func (st *Staff) DialStaff(tb testing.TB) *Client {
	tb.Helper()
	h := http.Header{}
	for _, c := range st.Client.Jar.Cookies(mustURL(st.S.URL)) {
		h.Add("Cookie", fmt.Sprintf("%s=%s", c.Name, c.Value))
	}
	c, resp, err := st.S.Dial(tb, "/ws/staff", h)
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		tb.Fatalf("dial staff socket: %v (HTTP %d)", err, status)
	}
	c.WaitType(tb, 5*time.Second, "hello")
	return c
}
