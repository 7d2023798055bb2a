package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"xinqiao/internal/loadtest"
)

func init() {
	commands["loadtest"] = loadtestCmd
	extraUsage = append(extraUsage,
		"  xinqiao loadtest [flags]         simulated students (and consoles) against a running deployment on this machine",
		"                                   or the test host named with -allow-host; prints ack/answer/crisis latencies,",
		"                                   errors and the server's memory (-h lists the flags)")
}

// loadtestCmd runs the district's capacity check.
func loadtestCmd(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer, getenv func(string) string) error {
	fs := flag.NewFlagSet("xinqiao loadtest", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg loadtest.Config
	var jsonOut string
	fs.StringVar(&cfg.URL, "url", "http://127.0.0.1:8080", "the deployment's base URL (loopback, or the host of -allow-host)")
	fs.StringVar(&cfg.AllowHost, "allow-host", "", "a non-loopback host that may be targeted: the district's own test host")
	fs.IntVar(&cfg.Students, "students", 100, fmt.Sprintf("student sockets (at most %d)", loadtest.MaxStudents))
	fs.Float64Var(&cfg.Rate, "rate", 0.2, "messages per second per student")
	fs.Float64Var(&cfg.Risky, "risky", 0.01, "share of messages that are risky, each from a fresh conversation, timed to the crisis card")
	fs.DurationVar(&cfg.Duration, "duration", 30*time.Second, fmt.Sprintf("sending time (at most %v)", loadtest.MaxDuration))
	fs.IntVar(&cfg.Consoles, "consoles", 0, "counselor consoles held open (needs -console-user and XINQIAO_LOADTEST_PASSWORD)")
	fs.StringVar(&cfg.User, "console-user", "", "counselor account the consoles log in as")
	fs.IntVar(&cfg.PID, "pid", 0, "the server's process id on this machine, for its memory and CPU (default: /metrics, with XINQIAO_METRICS_TOKEN)")
	fs.StringVar(&cfg.Lang, "lang", "zh", "the students' language")
	fs.StringVar(&jsonOut, "json", "", "also write the report as JSON to this file")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	cfg.Password = getenv("XINQIAO_LOADTEST_PASSWORD")
	cfg.Metrics = getenv("XINQIAO_METRICS_TOKEN")
	rep, err := loadtest.Run(ctx, cfg, stderr)
	if err != nil {
		return err
	}
	fmt.Fprint(stdout, rep.String())
	if jsonOut != "" {
		b, _ := json.MarshalIndent(rep, "", "  ")
		if err := os.WriteFile(jsonOut, append(b, '\n'), 0o644); err != nil {
			return err
		}
	}
	return nil
}
