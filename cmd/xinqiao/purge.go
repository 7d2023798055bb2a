package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"xinqiao/internal/config"
	"xinqiao/internal/retention"
	"xinqiao/internal/xinqiao"
)

func init() {
	commands["purge"] = purgeCmd
	extraUsage = append(extraUsage,
		"  xinqiao purge [--dry-run]        delete conversations older than XINQIAO_RETENTION_DAYS that reached no counselor,",
		"                                   and expired sessions, now; print the counts (--dry-run: count only)")
}

// purgeCmd runs the retention purge once, as the server does daily.
func purgeCmd(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer, getenv func(string) string) error {
	dryRun := false
	rest := make([]string, 0, len(args))
	for _, a := range args {
		if a == "--dry-run" || a == "-dry-run" {
			dryRun = true
			continue
		}
		rest = append(rest, a)
	}
	cfg, err := config.Load("xinqiao purge", rest, getenv)
	if err != nil {
		return err
	}
	store, err := openStore(ctx, cfg, newLogger(cfg, stderr))
	if err != nil {
		return err
	}
	defer store.Close()
	now := time.Now()
	var rep xinqiao.PurgeReport
	verb := "deleted"
	if dryRun {
		verb = "would delete"
		rep, err = store.PurgePreview(ctx, retention.Cutoff(now, cfg.RetentionDays), now)
	} else {
		rep, err = retention.Once(ctx, store, cfg.RetentionDays, now)
	}
	if err != nil {
		return fmt.Errorf("purge: %w", err)
	}
	if cfg.RetentionDays == 0 {
		fmt.Fprintln(stdout, "retention: conversations are kept forever (XINQIAO_RETENTION_DAYS=0); expired sessions only")
	} else {
		fmt.Fprintf(stdout, "retention: %d days (conversations last active before %s that reached no counselor)\n",
			cfg.RetentionDays, retention.Cutoff(now, cfg.RetentionDays).UTC().Format(time.RFC3339))
	}
	fmt.Fprintf(stdout, "%s:\n", verb)
	for _, k := range retention.Kinds {
		fmt.Fprintf(stdout, "  %-17s %d\n", k, rep.Purged()[k])
	}
	fmt.Fprintf(stdout, "kept:\n  %-17s %d  (reached a counselor or named by a case)\n", "conversations", rep.KeptForCases)
	fmt.Fprintf(stdout, "  %-17s %d  (naming the purged conversations; they hold ids, not text)\n", "audit_events", rep.AuditKept)
	return nil
}
