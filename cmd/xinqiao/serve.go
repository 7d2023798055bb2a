package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"xinqiao/internal/app"
	"xinqiao/internal/auth"
	"xinqiao/internal/config"
	"xinqiao/internal/postgres"
	"xinqiao/internal/sqlite"
	"xinqiao/internal/web"
	"xinqiao/internal/xinqiao"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// newLogger builds the one logger of the process.
func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// openStore opens PostgreSQL when DATABASE_URL is set, else the embedded
// SQLite file in the data folder. Both apply the migrations.
func openStore(ctx context.Context, cfg config.Config, log *slog.Logger) (xinqiao.Store, error) {
	if cfg.DatabaseURL != "" {
		return postgres.Open(ctx, cfg.DatabaseURL, log)
	}
	return sqlite.Open(ctx, filepath.Join(cfg.DataDir, "xinqiao.db"))
}

func migrate(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer, getenv func(string) string) error {
	cfg, err := config.Load("xinqiao migrate", args, getenv)
	if err != nil {
		return err
	}
	store, err := openStore(ctx, cfg, newLogger(cfg, stderr))
	if err != nil {
		return err
	}
	defer store.Close()
	fmt.Fprintf(stdout, "%s schema is current\n", store.Engine())
	return nil
}

// adminStart says how the first admin account stood at this start, so that
// the banner can tell the operator how to sign in every time.
type adminStart int

const (
	adminExisted    adminStart = iota // staff existed before this start
	adminConfigured                   // created now with XINQIAO_ADMIN_PASSWORD
	adminGenerated                    // created now with a printed one-time password
)

// ensureAdmin creates the first admin account on a store with no staff. The
// password is XINQIAO_ADMIN_PASSWORD, or a random one returned so that it
// is printed once to the console and never logged.
func ensureAdmin(ctx context.Context, store xinqiao.Store, password string) (adminStart, string, error) {
	n, err := store.CountStaff(ctx)
	if err != nil || n > 0 {
		return adminExisted, "", err
	}
	how, generated, create := adminConfigured, "", web.CreateStaff
	if password == "" {
		// Printed to the console: the admin must change it at the first login.
		password = auth.GeneratePassword()
		how, generated, create = adminGenerated, password, web.CreateStaffFirstPassword
	}
	if _, err := create(ctx, store, "admin", password, xinqiao.RoleAdmin, "管理员", ""); err != nil {
		if xinqiao.ErrorCode(err) == xinqiao.ECONFLICT { // another node made it first
			return adminExisted, "", nil
		}
		return adminExisted, "", fmt.Errorf("create the first admin account: %w", err)
	}
	return how, generated, nil
}

// banner is what a start prints to the console: every page, and how to sign
// in as the first admin (its one-time password only when it was made now).
func banner(url string, how adminStart, generated string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "心桥 xinqiao is running.\n")
	for _, p := range [][2]string{
		{"Students:", "/"},
		{"Counselors:", "/counselor"},
		{"Curators:", "/curator"},
		{"Rules:", "/rules"},
		{"Reports:", "/reports"},
		{"Admin:", "/admin"},
	} {
		fmt.Fprintf(&b, "  %-12s%s%s\n", p[0], url, p[1])
	}
	switch how {
	case adminGenerated:
		fmt.Fprintf(&b, "  First admin account: admin / %s  (shown once; the first login asks for a new password)\n", generated)
	case adminConfigured:
		fmt.Fprintf(&b, "  First admin account: admin, with the password in XINQIAO_ADMIN_PASSWORD (change it after logging in)\n")
	default:
		fmt.Fprintf(&b, "  Staff sign in on these pages; the first admin account is admin (its password was set at the first start; another admin can reset it on %s/admin)\n", url)
	}
	return b.String()
}

func serve(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer, getenv func(string) string) error {
	cfg, err := config.Load("xinqiao serve", args, getenv)
	if err != nil {
		return err
	}
	log := newLogger(cfg, stderr)
	start := time.Now()

	// Listen first: a port in use fails before anything is created.
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return fmt.Errorf("XINQIAO_ADDR %s is already in use: stop the other program or choose another address", cfg.Addr)
		}
		return fmt.Errorf("XINQIAO_ADDR %s: %w", cfg.Addr, err)
	}
	defer ln.Close()

	store, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer store.Close()

	a, err := app.Build(ctx, cfg, store, log, progressWriter(stderr), app.Options{})
	if err != nil {
		return err
	}
	how, generated, err := ensureAdmin(ctx, store, cfg.AdminPassword)
	if err != nil {
		return err
	}

	srv := &http.Server{
		Handler:           a.Web,
		ReadHeaderTimeout: cfg.ReadHeaderTimeout, // bodies: web's per-request read deadline, which spares WebSockets
		IdleTimeout:       120 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return a.Context() },
	}
	errc := make(chan error, 2)
	go func() { errc <- srv.Serve(ln) }()
	if cfg.MetricsAddr != "" {
		msrv, err := serveMetrics(cfg, errc)
		if err != nil {
			a.Close()
			return err
		}
		defer msrv.Close()
		log.Info("metrics are served on their own address", "addr", cfg.MetricsAddr, "token", cfg.MetricsToken != "")
	}

	url := "http://" + displayAddr(ln.Addr().String())
	log.Info("xinqiao is serving", "url", url, "store", store.Engine(), "answers", a.AnswerMode,
		"knowledge", strings.TrimSpace(a.Knowledge.String()),
		"startup_ms", time.Since(start).Milliseconds(), "config", cfg.String())
	// Printed to the console, never to the log: it may carry the one-time password.
	fmt.Fprint(stdout, banner(url, how, generated))

	select {
	case err := <-errc:
		a.Close()
		return fmt.Errorf("server stopped: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down", "grace", cfg.ShutdownGrace)
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownGrace)
	defer cancel()
	srv.RegisterOnShutdown(a.Web.Shutdown)
	err = srv.Shutdown(sctx) // stop accepting, finish in-flight requests; sockets get going-away frames
	a.Close()
	if err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	log.Info("stopped")
	return nil
}

// serveMetrics serves /metrics alone on XINQIAO_METRICS_ADDR, behind
// XINQIAO_METRICS_TOKEN when it is set; a failure to serve ends the
// process through errc like the main server's.
func serveMetrics(cfg config.Config, errc chan<- error) (*http.Server, error) {
	ln, err := net.Listen("tcp", cfg.MetricsAddr)
	if err != nil {
		return nil, fmt.Errorf("XINQIAO_METRICS_ADDR %s: %w", cfg.MetricsAddr, err)
	}
	h := promhttp.Handler()
	if cfg.MetricsToken != "" {
		h = web.MetricsHandler(cfg.MetricsToken)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", h)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: cfg.ReadHeaderTimeout}
	go func() {
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			errc <- fmt.Errorf("metrics: %w", err)
		}
	}()
	return srv, nil
}

// progressWriter returns w for progress bars when it is a terminal, and
// io.Discard otherwise, so container logs get the summary line, not a bar.
func progressWriter(w io.Writer) io.Writer {
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			return w
		}
	}
	return io.Discard
}

// displayAddr turns a listen address into one a browser can open.
func displayAddr(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if host == "" || host == "::" || host == "0.0.0.0" || strings.HasPrefix(host, "[::") {
		host = "localhost"
	}
	return net.JoinHostPort(host, port)
}
