package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"xinqiao/internal/config"
)

func init() {
	commands["healthcheck"] = healthcheck
	extraUsage = append(extraUsage, "  xinqiao healthcheck [flags]      exit 0 if the server on XINQIAO_ADDR answers /healthz (for container health checks)")
}

// healthcheck asks the local server for /healthz: the distroless image has
// no shell or curl, so the binary checks itself.
func healthcheck(ctx context.Context, args []string, _ io.Reader, stdout, _ io.Writer, getenv func(string) string) error {
	cfg, err := config.Load("xinqiao healthcheck", args, getenv)
	if err != nil {
		return err
	}
	_, port, err := net.SplitHostPort(cfg.Addr)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+net.JoinHostPort("127.0.0.1", port)+"/healthz", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("unhealthy: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("unhealthy: /healthz answered %d", resp.StatusCode)
	}
	fmt.Fprintln(stdout, "ok")
	return nil
}
