// Package ws holds the WebSocket connection shape every socket of the
// service uses, after gorilla/websocket's chat example: one reader and one
// writer goroutine per connection, a read limit, ping/pong deadlines, and a
// bounded send queue whose overflow drops the slow client instead of
// waiting on it.
package ws

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// Options bound a connection.
type Options struct {
	ReadLimit int64         // largest frame accepted; a larger one closes with 1009
	PongWait  time.Duration // the peer must answer pings within this
	WriteWait time.Duration // one write may take this long
	SendQueue int           // frames queued for a slow reader before it is dropped
}

// DefaultOptions suit a chat socket.
func DefaultOptions() Options {
	return Options{ReadLimit: 32 << 10, PongWait: 60 * time.Second, WriteWait: 10 * time.Second, SendQueue: 256}
}

var (
	connsOpen = promauto.NewGaugeVec(prometheus.GaugeOpts{
		Name: "xinqiao_ws_connections", Help: "Open WebSocket connections by kind.",
	}, []string{"kind"})
	slowDropped = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "xinqiao_ws_slow_dropped_total", Help: "Connections dropped because their send queue was full.",
	}, []string{"kind"})
)

// Conn is one WebSocket connection.
type Conn struct {
	kind string
	c    *websocket.Conn
	opts Options
	send chan []byte

	mu      sync.Mutex
	closed  bool
	closing []byte // close frame to send, set once
	done    chan struct{}
	// peerClosed is set when the peer ended the connection on purpose with
	// a normal (1000) or going-away (1001) close frame, not a dropped link.
	peerClosed bool
}

// PeerClosed reports, once Run has returned, whether the peer closed the
// connection on purpose (a 1000 or 1001 close frame) rather than the link
// dropping or the server closing it.
func (c *Conn) PeerClosed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.peerClosed
}

// Upgrader returns a gorilla upgrader whose Origin check is the given
// function: every socket of the service checks Origin explicitly.
func Upgrader(checkOrigin func(r *http.Request) bool) *websocket.Upgrader {
	return &websocket.Upgrader{ReadBufferSize: 4096, WriteBufferSize: 4096, CheckOrigin: checkOrigin}
}

// Upgrade turns an HTTP request into a Conn. On failure the upgrader has
// already answered the request.
func Upgrade(u *websocket.Upgrader, w http.ResponseWriter, r *http.Request, kind string, opts Options) (*Conn, error) {
	c, err := u.Upgrade(w, r, nil)
	if err != nil {
		return nil, err
	}
	return newConn(c, kind, opts), nil
}

func newConn(c *websocket.Conn, kind string, opts Options) *Conn {
	c.SetReadLimit(opts.ReadLimit)
	return &Conn{kind: kind, c: c, opts: opts, send: make(chan []byte, opts.SendQueue), done: make(chan struct{})}
}

// Send queues a JSON frame. It never blocks: when the queue is full the
// client is too slow and is dropped (it resumes on reconnect), and Send
// reports false.
func (c *Conn) Send(v any) bool {
	b, err := json.Marshal(v)
	if err != nil {
		return false
	}
	return c.SendRaw(b)
}

// SendRaw queues an already encoded text frame; see Send.
func (c *Conn) SendRaw(b []byte) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return false
	}
	select {
	case c.send <- b:
		return true
	default:
		slowDropped.WithLabelValues(c.kind).Inc()
		c.closeLocked(websocket.ClosePolicyViolation, "too slow")
		return false
	}
}

// Close sends a close frame with code and reason after the queued frames,
// then ends the connection. It is safe to call more than once.
func (c *Conn) Close(code int, reason string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closeLocked(code, reason)
}

func (c *Conn) closeLocked(code int, reason string) {
	if c.closed {
		return
	}
	c.closed = true
	c.closing = websocket.FormatCloseMessage(code, reason)
	close(c.send)
}

// Done is closed when the connection has ended.
func (c *Conn) Done() <-chan struct{} { return c.done }

// ErrBinary is passed to the message handler's error path when the peer
// sends a binary frame, which the protocol does not use.
var ErrBinary = errors.New("binary frames are not accepted")

// Run serves the connection until it ends: the writer in its own goroutine,
// the reader here, calling onFrame for every text frame (or with ErrBinary
// for a binary one). onFrame runs on the reader goroutine, so it must not
// block for long. Run returns when the connection is closed by either side
// or ctx ends (which closes it with 1001 going away).
func (c *Conn) Run(ctx context.Context, onFrame func(data []byte, err error)) {
	connsOpen.WithLabelValues(c.kind).Inc()
	defer connsOpen.WithLabelValues(c.kind).Dec()
	writerDone := make(chan struct{})
	go func() {
		defer close(writerDone)
		c.writePump()
	}()
	stop := context.AfterFunc(ctx, func() { c.Close(websocket.CloseGoingAway, "server shutting down") })
	defer stop()

	c.c.SetReadDeadline(time.Now().Add(c.opts.PongWait))
	c.c.SetPongHandler(func(string) error { return c.c.SetReadDeadline(time.Now().Add(c.opts.PongWait)) })
	for {
		mt, data, err := c.c.ReadMessage()
		if err != nil {
			if errors.Is(err, websocket.ErrReadLimit) {
				c.Close(websocket.CloseMessageTooBig, "frame too large")
			} else {
				if websocket.IsCloseError(err, websocket.CloseNormalClosure, websocket.CloseGoingAway) {
					c.mu.Lock()
					c.peerClosed = !c.closed
					c.mu.Unlock()
				}
				c.Close(websocket.CloseNormalClosure, "")
			}
			break
		}
		if mt == websocket.BinaryMessage {
			onFrame(nil, ErrBinary)
			continue
		}
		onFrame(data, nil)
	}
	<-writerDone
	c.c.Close()
	close(c.done)
}

func (c *Conn) writePump() {
	ping := time.NewTicker(c.opts.PongWait * 9 / 10)
	defer ping.Stop()
	for {
		select {
		case b, ok := <-c.send:
			if !ok {
				c.mu.Lock()
				msg := c.closing
				c.mu.Unlock()
				c.c.SetWriteDeadline(time.Now().Add(c.opts.WriteWait))
				c.c.WriteMessage(websocket.CloseMessage, msg)
				// Give the peer a moment to answer the close, then unblock the reader.
				c.c.SetReadDeadline(time.Now().Add(time.Second))
				return
			}
			c.c.SetWriteDeadline(time.Now().Add(c.opts.WriteWait))
			if err := c.c.WriteMessage(websocket.TextMessage, b); err != nil {
				c.Close(websocket.CloseAbnormalClosure, "")
				c.c.SetReadDeadline(time.Now())
				return
			}
		case <-ping.C:
			c.c.SetWriteDeadline(time.Now().Add(c.opts.WriteWait))
			if err := c.c.WriteMessage(websocket.PingMessage, nil); err != nil {
				c.Close(websocket.CloseAbnormalClosure, "")
				c.c.SetReadDeadline(time.Now())
				return
			}
		}
	}
}
