package ws_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"xinqiao/internal/ws"

	"github.com/gorilla/websocket"
)

// serve runs one server-side Conn per request with opts, handing it to got.
func serve(t *testing.T, opts ws.Options, got chan<- *ws.Conn, onFrame func(*ws.Conn, []byte, error)) string {
	up := ws.Upgrader(func(r *http.Request) bool { return r.Header.Get("Origin") == "http://ok.example" })
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := ws.Upgrade(up, w, r, "test", opts)
		if err != nil {
			return
		}
		got <- c
		c.Run(context.Background(), func(b []byte, err error) {
			if onFrame != nil {
				onFrame(c, b, err)
			}
		})
	}))
	t.Cleanup(hs.Close)
	return "ws" + strings.TrimPrefix(hs.URL, "http")
}

func dial(t *testing.T, url string) *websocket.Conn {
	c, _, err := websocket.DefaultDialer.Dial(url, http.Header{"Origin": {"http://ok.example"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestSlowClientIsDropped(t *testing.T) {
	opts := ws.DefaultOptions()
	opts.SendQueue, opts.WriteWait = 4, time.Second
	got := make(chan *ws.Conn, 1)
	url := serve(t, opts, got, nil)
	dial(t, url) // never reads
	c := <-got
	frame := bytes.Repeat([]byte("x"), 64<<10)
	dropped := false
	for i := 0; i < 2000 && !dropped; i++ {
		dropped = !c.SendRaw(frame)
	}
	if !dropped {
		t.Fatal("2000 frames of 64 KiB to a client that never reads were all queued")
	}
	select {
	case <-c.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("the slow client's connection was not ended")
	}
}

func TestSilentClientTimesOut(t *testing.T) {
	opts := ws.DefaultOptions()
	opts.PongWait = 300 * time.Millisecond
	got := make(chan *ws.Conn, 1)
	url := serve(t, opts, got, nil)
	dial(t, url) // never reads, so never answers a ping
	c := <-got
	select {
	case <-c.Done():
	case <-time.After(3 * time.Second):
		t.Fatal("a client that never answers pings was kept")
	}
}

func TestFramesAndClose(t *testing.T) {
	got := make(chan *ws.Conn, 1)
	echoed := make(chan string, 4)
	url := serve(t, ws.DefaultOptions(), got, func(c *ws.Conn, b []byte, err error) {
		if err != nil {
			echoed <- "binary"
			return
		}
		echoed <- string(b)
		c.Send(map[string]string{"echo": string(b)})
	})
	cl := dial(t, url)
	c := <-got
	cl.WriteMessage(websocket.TextMessage, []byte("hello"))
	cl.WriteMessage(websocket.BinaryMessage, []byte{1})
	for _, want := range []string{"hello", "binary"} {
		if got := <-echoed; got != want {
			t.Fatalf("got %q, want %q", got, want)
		}
	}
	var m map[string]string
	if err := cl.ReadJSON(&m); err != nil || m["echo"] != "hello" {
		t.Fatalf("got %v, %v", m, err)
	}
	c.Close(websocket.CloseGoingAway, "bye")
	_, _, err := cl.ReadMessage()
	if !websocket.IsCloseError(err, websocket.CloseGoingAway) {
		t.Fatalf("got %v, want close 1001", err)
	}
	if c.Send(map[string]string{"late": "x"}) {
		t.Fatal("Send after Close reported success")
	}
	_, _, err = websocket.DefaultDialer.Dial(url, http.Header{"Origin": {"http://evil.example"}})
	if err == nil {
		t.Fatal("a foreign Origin was upgraded")
	}
}

// TestIdleConnectionHasOneGoroutine opens idle connections and counts the
// goroutines they add on the server: the reader only (here the handler's
// goroutine); a writer runs only while something is sent.
func TestIdleConnectionHasOneGoroutine(t *testing.T) {
	const n = 40
	got := make(chan *ws.Conn, n)
	url := serve(t, ws.DefaultOptions(), got, nil)
	dial(t, url)
	<-got // the test server's own goroutines are running now
	before := runtime.NumGoroutine()
	conns := make([]*ws.Conn, 0, n)
	for range n {
		dial(t, url) // never reads: no client goroutine either
		conns = append(conns, <-got)
	}
	// Let writers started by anything still settle, then count.
	var after int
	for range 50 {
		if after = runtime.NumGoroutine(); after-before <= n+2 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if after-before > n+2 {
		t.Fatalf("%d idle connections added %d goroutines, want about one each", n, after-before)
	}
	// A frame starts a writer that delivers it and stops.
	cl := dial(t, url)
	c := <-got
	if !c.Send(map[string]string{"hello": "x"}) {
		t.Fatal("Send failed")
	}
	var m map[string]string
	if err := cl.ReadJSON(&m); err != nil || m["hello"] != "x" {
		t.Fatalf("got %v, %v", m, err)
	}
	_ = conns
}

// TestIdleClientThatAnswersPingsIsKept holds a reading (so ponging) but
// otherwise silent client well past the pong wait: pings go out although
// no writer goroutine waits for them.
func TestIdleClientThatAnswersPingsIsKept(t *testing.T) {
	opts := ws.DefaultOptions()
	opts.PongWait = time.Second
	got := make(chan *ws.Conn, 1)
	url := serve(t, opts, got, nil)
	cl := dial(t, url)
	pings := make(chan struct{}, 100)
	cl.SetPingHandler(func(data string) error {
		pings <- struct{}{}
		return cl.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(time.Second))
	})
	go func() {
		for {
			if _, _, err := cl.ReadMessage(); err != nil {
				return
			}
		}
	}()
	c := <-got
	for range 3 { // three pings: nearly three pong waits
		select {
		case <-pings:
		case <-c.Done():
			t.Fatal("a client answering pings was dropped")
		case <-time.After(5 * time.Second):
			t.Fatal("no ping came")
		}
	}
	select {
	case <-c.Done():
		t.Fatal("a client answering pings was dropped")
	default:
	}
}

// TestSlowServerDoesNotDropItsClient keeps the server busy with a frame
// for several pong waits while the client keeps answering pings: the
// server's own slowness never counts against the client.
func TestSlowServerDoesNotDropItsClient(t *testing.T) {
	opts := ws.DefaultOptions()
	opts.PongWait = 300 * time.Millisecond
	got := make(chan *ws.Conn, 1)
	url := serve(t, opts, got, func(c *ws.Conn, b []byte, err error) {
		time.Sleep(4 * opts.PongWait) // the server is slow with this frame
		c.Send(map[string]string{"done": string(b)})
	})
	cl := dial(t, url)
	c := <-got
	frames := make(chan map[string]string, 1)
	go func() {
		for {
			var m map[string]string
			if err := cl.ReadJSON(&m); err != nil {
				close(frames)
				return
			}
			frames <- m
		}
	}()
	for _, f := range []string{"slow", "again"} {
		cl.WriteMessage(websocket.TextMessage, []byte(f))
		m, ok := <-frames
		if !ok || m["done"] != f {
			t.Fatalf("got %v (open %v), want the answer to %q on an open socket", m, ok, f)
		}
	}
	select {
	case <-c.Done():
		t.Fatal("the server closed a client it was slow to answer")
	default:
	}
}
