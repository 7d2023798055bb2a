// Package ws holds the WebSocket connection shape every socket of the
// service uses: a read limit, ping/pong deadlines, and a bounded send queue
// whose overflow drops the slow client instead of waiting on it. An idle
// connection costs one goroutine (the reader) and small buffers: a writer
// goroutine runs only while there is something to send (frames, a ping, the
// close), the send queue is allocated on first use, and the write buffer is
// borrowed from a pool for each frame.
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
	ping *time.Timer

	mu      sync.Mutex
	idle    sync.Cond // signalled when the writer stops; L is &mu
	queue   [][]byte  // frames to send, oldest first; nil while empty
	pingDue bool
	writing bool   // a writer goroutine is running
	closed  bool   // no more frames are accepted
	closing []byte // close frame to send, set once
	sentEnd bool   // the close frame went out, or the link failed
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

// writeBuffers lends every connection a write buffer for the time of one
// frame, so an idle connection holds none.
var writeBuffers sync.Pool

// Upgrader returns a gorilla upgrader whose Origin check is the given
// function: every socket of the service checks Origin explicitly. Its read
// buffer is small (larger frames are read through it in pieces) and its
// write buffers come from a shared pool.
func Upgrader(checkOrigin func(r *http.Request) bool) *websocket.Upgrader {
	return &websocket.Upgrader{ReadBufferSize: 512, WriteBufferSize: 4096, WriteBufferPool: &writeBuffers, CheckOrigin: checkOrigin}
}

// Upgrade turns an HTTP request into a Conn. On failure the upgrader has
// already answered the request. The upgrader does not keep net/http's
// buffered reader and writer; they are freed once the handler returns, so
// a handler that runs the Conn in a goroutine of its own (see Serve) holds
// none of net/http's per-request memory while the socket is open.
func Upgrade(u *websocket.Upgrader, w http.ResponseWriter, r *http.Request, kind string, opts Options) (*Conn, error) {
	c, err := u.Upgrade(w, r, nil)
	if err != nil {
		return nil, err
	}
	return newConn(c, kind, opts), nil
}

func newConn(c *websocket.Conn, kind string, opts Options) *Conn {
	c.SetReadLimit(opts.ReadLimit)
	conn := &Conn{kind: kind, c: c, opts: opts, done: make(chan struct{})}
	conn.idle.L = &conn.mu
	return conn
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
	if len(c.queue) >= c.opts.SendQueue {
		slowDropped.WithLabelValues(c.kind).Inc()
		c.closeLocked(websocket.ClosePolicyViolation, "too slow")
		return false
	}
	c.queue = append(c.queue, b)
	c.startWriterLocked()
	return true
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
	c.startWriterLocked()
}

// startWriterLocked starts the writer goroutine unless it is running.
func (c *Conn) startWriterLocked() {
	if !c.writing && !c.sentEnd {
		c.writing = true
		go c.write()
	}
}

// Done is closed when the connection has ended.
func (c *Conn) Done() <-chan struct{} { return c.done }

// ErrBinary is passed to the message handler's error path when the peer
// sends a binary frame, which the protocol does not use.
var ErrBinary = errors.New("binary frames are not accepted")

// Run serves the connection until it ends, reading here and calling
// onFrame for every text frame (or with ErrBinary for a binary one);
// frames are written by a goroutine that runs only while there is
// something to send. onFrame runs on the reader, so it must not block for
// long. Run returns when the connection is closed by either side or ctx
// ends (which closes it with 1001 going away).
//
// The peer must answer pings: the read deadline is PongWait from the start
// of each read and from each pong, so time the server spends in onFrame
// never counts against the peer.
func (c *Conn) Run(ctx context.Context, onFrame func(data []byte, err error)) {
	connsOpen.WithLabelValues(c.kind).Inc()
	defer connsOpen.WithLabelValues(c.kind).Dec()
	stop := context.AfterFunc(ctx, func() { c.Close(websocket.CloseGoingAway, "server shutting down") })
	defer stop()
	every := c.opts.PongWait * 9 / 10
	c.mu.Lock()
	c.ping = time.AfterFunc(every, func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.closed {
			return
		}
		c.pingDue = true
		c.startWriterLocked()
		c.ping.Reset(every)
	})
	ping := c.ping
	c.mu.Unlock()
	defer ping.Stop()

	c.c.SetPongHandler(func(string) error { return c.c.SetReadDeadline(time.Now().Add(c.opts.PongWait)) })
	for {
		c.c.SetReadDeadline(time.Now().Add(c.opts.PongWait))
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
	c.mu.Lock()
	for c.writing {
		c.idle.Wait()
	}
	c.mu.Unlock()
	c.c.Close()
	close(c.done)
}

// write sends what is due (a ping first, then the queued frames in order,
// then the close frame once closed) and returns when nothing is left.
func (c *Conn) write() {
	c.mu.Lock()
	defer func() {
		c.writing = false
		c.idle.Broadcast()
		c.mu.Unlock()
	}()
	for !c.sentEnd {
		var err error
		switch {
		case c.pingDue:
			c.pingDue = false
			c.mu.Unlock()
			c.c.SetWriteDeadline(time.Now().Add(c.opts.WriteWait))
			err = c.c.WriteMessage(websocket.PingMessage, nil)
			c.mu.Lock()
		case len(c.queue) > 0:
			b := c.queue[0]
			c.queue[0] = nil
			if c.queue = c.queue[1:]; len(c.queue) == 0 {
				c.queue = nil // the next frame allocates a fresh, small queue
			}
			c.mu.Unlock()
			c.c.SetWriteDeadline(time.Now().Add(c.opts.WriteWait))
			err = c.c.WriteMessage(websocket.TextMessage, b)
			c.mu.Lock()
		case c.closed:
			msg := c.closing
			c.sentEnd, c.queue = true, nil
			c.mu.Unlock()
			c.c.SetWriteDeadline(time.Now().Add(c.opts.WriteWait))
			c.c.WriteMessage(websocket.CloseMessage, msg)
			// Give the peer a moment to answer the close, then unblock the reader.
			c.c.SetReadDeadline(time.Now().Add(time.Second))
			c.mu.Lock()
			return
		default:
			return
		}
		if err != nil {
			c.closed, c.sentEnd, c.queue = true, true, nil
			c.c.SetReadDeadline(time.Now()) // unblock the reader
			return
		}
	}
}
