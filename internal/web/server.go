// Package web is the HTTP surface: routes, middleware, JSON handlers and the
// embedded pages. Each area of the service (student chat, knowledge,
// handoff) adds its routes as a Module, so the areas stay in their own files.
package web

import (
	"bufio"
	"context"
	"crypto/subtle"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"xinqiao/internal/auth"
	"xinqiao/internal/config"
	"xinqiao/internal/xinqiao"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

//go:embed static
var staticFS embed.FS

// Module adds an area's routes to the server.
type Module func(s *Server)

// Server is the HTTP surface of one node.
type Server struct {
	Cfg   config.Config
	Store xinqiao.Store
	Log   *slog.Logger
	// Now is the clock used for sessions; tests may replace it.
	Now func() time.Time

	mux        *http.ServeMux
	logins     *auth.Limiters   // password changes per account
	guard      *auth.LoginGuard // login failures per address and username
	sessAddr   *auth.Limiters   // new student sessions per address
	sessTerm   *auth.Limiters   // new student sessions per terminal code
	sockets    *auth.Counter    // open WebSockets per address and per session
	proxies    []netip.Prefix   // trusted reverse proxies (ClientIP)
	onShutdown []func()
	ready      func(ctx context.Context) error
}

var (
	httpRequests = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "xinqiao_http_requests_total", Help: "HTTP requests by route pattern and status code.",
	}, []string{"route", "code"})
	httpDuration = promauto.NewHistogramVec(prometheus.HistogramOpts{
		Name: "xinqiao_http_request_duration_seconds", Help: "HTTP request latency by route pattern.",
		Buckets: prometheus.ExponentialBuckets(0.001, 2.5, 10),
	}, []string{"route"})
)

// New builds the server with its core routes (health, metrics, staff
// accounts, pages) and then each module's routes.
func New(cfg config.Config, store xinqiao.Store, log *slog.Logger, modules ...Module) *Server {
	s := &Server{
		Cfg: cfg, Store: store, Log: log, Now: time.Now,
		mux:      http.NewServeMux(),
		logins:   auth.NewLimiters(5.0/60, 5, 30*time.Minute), // five tries, then one a minute
		guard:    auth.NewLoginGuard(cfg.LoginFreeFailures, cfg.LoginMaxDelay, cfg.LoginAddrFailures),
		sessAddr: auth.NewLimiters(float64(cfg.SessionsPerAddr)/60, cfg.SessionsPerAddr, 10*time.Minute),
		sessTerm: auth.NewLimiters(float64(cfg.SessionsPerTerminal)/60, cfg.SessionsPerTerminal, 10*time.Minute),
		sockets:  auth.NewCounter(),
		proxies:  cfg.TrustedProxyPrefixes(),
	}
	s.ready = store.Ping
	s.Handle("GET /healthz", http.HandlerFunc(s.handleHealth))
	s.Handle("GET /readyz", http.HandlerFunc(s.handleReady))
	if cfg.MetricsAddr == "" { // else served on its own address only (MetricsHandler)
		s.Handle("GET /metrics", MetricsHandler(cfg.MetricsToken))
	}
	s.staffRoutes()
	static, _ := fs.Sub(staticFS, "static")
	files := http.StripPrefix("/static/", http.FileServerFS(static))
	s.Handle("GET /static/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(r.URL.Path, "/static/")
		if fi, err := fs.Stat(static, strings.TrimSuffix(name, "/")); name == "" || err != nil || fi.IsDir() {
			s.Error(w, r, xinqiao.Errorf(xinqiao.ENOTFOUND, "not found")) // no directory listings
			return
		}
		files.ServeHTTP(w, r)
	}))
	for _, m := range modules {
		m(s)
	}
	return s
}

// MetricsHandler serves the Prometheus metrics to a scraper that sends
// "Authorization: Bearer <token>". With no token it refuses everyone: set
// XINQIAO_METRICS_TOKEN, or XINQIAO_METRICS_ADDR to serve them on an
// address only the scraper reaches (the token is then optional).
func MetricsHandler(token string) http.Handler {
	prom := promhttp.Handler()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if token == "" || !ok || subtle.ConstantTimeCompare([]byte(got), []byte(token)) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="metrics"`)
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprintf(w, `{"error":{"code":%q,"message":"metrics need XINQIAO_METRICS_TOKEN as a bearer token, or XINQIAO_METRICS_ADDR"}}`+"\n", xinqiao.EUNAUTHORIZED)
			return
		}
		prom.ServeHTTP(w, r)
	})
}

// Handle registers a handler for a Go 1.22 pattern, wrapped with the
// common middleware.
func (s *Server) Handle(pattern string, h http.Handler) {
	s.mux.Handle(pattern, s.wrap(pattern, maxBody, h))
}

// maxBody bounds a request body unless the route says otherwise
// (HandleLarge).
const maxBody = 1 << 20

// HandleLarge is Handle for a route whose request body may be up to limit
// bytes, such as an uploaded model.
func (s *Server) HandleLarge(pattern string, limit int64, h http.Handler) {
	s.mux.Handle(pattern, s.wrap(pattern, limit, h))
}

// HandleFunc is Handle for a function.
func (s *Server) HandleFunc(pattern string, h func(http.ResponseWriter, *http.Request)) {
	s.Handle(pattern, http.HandlerFunc(h))
}

// OnShutdown registers fn to run when the server stops, e.g. to close
// WebSockets with a going-away frame.
func (s *Server) OnShutdown(fn func()) { s.onShutdown = append(s.onShutdown, fn) }

// Shutdown runs the registered shutdown hooks.
func (s *Server) Shutdown() {
	for _, fn := range s.onShutdown {
		fn()
	}
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// Page serves one embedded page (a file under static/) at a pattern.
func (s *Server) Page(pattern, file string) {
	s.Handle(pattern, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := staticFS.ReadFile("static/" + file)
		if err != nil {
			s.Error(w, r, err)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.Write(b)
	}))
}

type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Hijack lets the WebSocket upgrader take the connection over.
func (w *statusWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, rw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err == nil && w.code == 0 {
		w.code = http.StatusSwitchingProtocols
	}
	return conn, rw, err
}

// Unwrap lets http.ResponseController and the WebSocket upgrader reach the
// underlying writer (Hijack).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (s *Server) wrap(route string, limit int64, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		hdr := sw.Header()
		hdr.Set("X-Content-Type-Options", "nosniff")
		hdr.Set("Referrer-Policy", "no-referrer")
		hdr.Set("X-Frame-Options", "DENY")
		hdr.Set("Content-Security-Policy", "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'")
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.Log.Error("handler panic", "route", route, "panic", v)
				if sw.code == 0 {
					s.Error(sw, r, errors.New("panic"))
				}
			}
			code := sw.code
			if code == 0 {
				code = http.StatusOK
			}
			httpRequests.WithLabelValues(route, strconv.Itoa(code)).Inc()
			httpDuration.WithLabelValues(route).Observe(time.Since(start).Seconds())
			s.Log.Debug("request", "route", route, "code", code, "ms", time.Since(start).Milliseconds())
		}()
		if r.Body != nil {
			if r.ContentLength != 0 && r.Body != http.NoBody && !isUpgrade(r) {
				r.Body = s.bodyDeadline(sw, r.Body)
			}
			r.Body = http.MaxBytesReader(sw, r.Body, limit)
		}
		next.ServeHTTP(sw, r)
	})
}

// isUpgrade reports whether r asks to switch protocols (a WebSocket): its
// connection is hijacked and keeps its own deadlines.
func isUpgrade(r *http.Request) bool {
	return strings.EqualFold(r.Header.Get("Upgrade"), "websocket")
}

// bodyDeadline gives a request's body BodyTimeout to arrive: a client that
// trickles a body is cut off (its read fails, and the handler answers 400
// or the connection closes) instead of holding a connection for as long as
// it likes. The deadline is lifted once the body is read, so a handler that
// works for longer than that is not cut off.
func (s *Server) bodyDeadline(w http.ResponseWriter, body io.ReadCloser) io.ReadCloser {
	rc := http.NewResponseController(w)
	if err := rc.SetReadDeadline(time.Now().Add(s.Cfg.BodyTimeout)); err != nil {
		return body // not a real connection (e.g. a test recorder)
	}
	return &deadlineBody{ReadCloser: body, rc: rc}
}

type deadlineBody struct {
	io.ReadCloser
	rc   *http.ResponseController
	done bool
}

func (b *deadlineBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil && !b.done {
		b.done = true
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return n, errSlowBody
		}
		_ = b.rc.SetReadDeadline(time.Time{})
	}
	return n, err
}

// errSlowBody is the read error of a body that did not arrive in time.
var errSlowBody = xinqiao.Errorf(xinqiao.EINVALID, "the request body arrived too slowly")

func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	s.JSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) handleReady(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.ready(ctx); err != nil {
		s.Log.Warn("not ready", "err", err)
		s.JSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "store": s.Store.Engine()})
		return
	}
	s.JSON(w, http.StatusOK, map[string]string{"status": "ready", "store": s.Store.Engine()})
}

// JSON writes v as a JSON response.
func (s *Server) JSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	if err := json.NewEncoder(w).Encode(v); err != nil {
		s.Log.Debug("write response", "err", err)
	}
}

// errorStatus maps domain error codes to HTTP statuses: the one table.
var errorStatus = map[string]int{
	xinqiao.EINVALID:      http.StatusBadRequest,
	xinqiao.ENOTFOUND:     http.StatusNotFound,
	xinqiao.ECONFLICT:     http.StatusConflict,
	xinqiao.EUNAUTHORIZED: http.StatusUnauthorized,
	xinqiao.EFORBIDDEN:    http.StatusForbidden,
	xinqiao.ERATELIMITED:  http.StatusTooManyRequests,
	xinqiao.EUNAVAILABLE:  http.StatusServiceUnavailable,
	xinqiao.EINTERNAL:     http.StatusInternalServerError,
	xinqiao.ELOWERED:      http.StatusConflict,
}

// ErrorStatus returns the HTTP status for a domain error code.
func ErrorStatus(code string) int {
	if st, ok := errorStatus[code]; ok {
		return st
	}
	return http.StatusInternalServerError
}

// ErrorBody is the JSON shape of every error response.
type ErrorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		Line    int    `json:"line,omitempty"`
	} `json:"error"`
}

// RetryAfter is the Retry-After, in seconds, of an unavailable response: a
// database that refused a connection or is restarting is usually back
// within seconds, and the client should not hammer it before.
const RetryAfter = 5

// Error writes err as {"error": {"code", "message"}} with the status of its
// code. Internal errors are logged and shown only as "internal error".
// Unavailable ones (the store cannot be reached just now) are logged as
// warnings with their cause and carry Retry-After.
func (s *Server) Error(w http.ResponseWriter, r *http.Request, err error) {
	code := xinqiao.ErrorCode(err)
	switch code {
	case xinqiao.EINTERNAL:
		s.Log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	case xinqiao.EUNAVAILABLE:
		s.Log.Warn("request failed: unavailable", "method", r.Method, "path", r.URL.Path, "err", err)
		w.Header().Set("Retry-After", strconv.Itoa(RetryAfter))
	}
	var body ErrorBody
	body.Error.Code, body.Error.Message = code, xinqiao.ErrorMessage(err)
	var de *xinqiao.Error
	if errors.As(err, &de) {
		body.Error.Line = de.Line
	}
	s.JSON(w, ErrorStatus(code), body)
}

// Decode reads a JSON body into v, refusing unknown fields, trailing data
// and bodies over the server's 1 MiB limit with an EINVALID error.
func Decode(r *http.Request, v any) error {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		switch {
		case errors.Is(err, errSlowBody):
			return errSlowBody
		case errors.As(err, &mbe):
			return xinqiao.Errorf(xinqiao.EINVALID, "request body is larger than %d bytes", mbe.Limit)
		case errors.Is(err, io.EOF):
			return xinqiao.Errorf(xinqiao.EINVALID, "request body is empty; want a JSON object")
		}
		return xinqiao.Errorf(xinqiao.EINVALID, "request body is not valid JSON for this endpoint: %v", err)
	}
	if dec.More() {
		return xinqiao.Errorf(xinqiao.EINVALID, "request body has data after the JSON object")
	}
	return nil
}

// SameOrigin reports whether a browser request's Origin is allowed: one of
// the configured origins, or, when none are configured, the request's own
// host. A request without Origin (not from a browser) is refused for
// WebSockets by the caller.
func (s *Server) SameOrigin(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return false
	}
	for _, o := range s.Cfg.AllowedOrigins {
		if strings.EqualFold(o, origin) {
			return true
		}
	}
	u, err := url.Parse(origin)
	if err != nil {
		return false
	}
	return len(s.Cfg.AllowedOrigins) == 0 && strings.EqualFold(u.Host, r.Host)
}
