// Package retention deletes what the service no longer needs to keep: the
// conversations of students that never reached a counselor, some days after
// their last activity (XINQIAO_RETENTION_DAYS), and expired sessions. The
// conversations that reached a counselor belong to a case record (一人一案)
// and are kept under the school's own policy.
package retention

import (
	"context"
	"log/slog"
	"time"

	"xinqiao/internal/xinqiao"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// Kinds are the label values of xinqiao_retention_purged_total.
var Kinds = []string{"conversations", "messages", "student_sessions", "staff_sessions"}

var purged = promauto.NewCounterVec(prometheus.CounterOpts{
	Name: "xinqiao_retention_purged_total",
	Help: "Rows deleted by the retention purge, by kind.",
}, []string{"kind"})

func init() {
	for _, k := range Kinds { // every kind shows on /metrics from the start
		purged.WithLabelValues(k)
	}
}

// Cutoff returns the time before which a conversation's last activity makes
// it purgeable: days before now, or the zero time (nothing) when days is 0.
func Cutoff(now time.Time, days int) time.Time {
	if days <= 0 {
		return time.Time{}
	}
	return now.AddDate(0, 0, -days)
}

// Once runs one purge with the retention of days at now and adds what it
// deleted to the metrics.
func Once(ctx context.Context, store xinqiao.RetentionStore, days int, now time.Time) (xinqiao.PurgeReport, error) {
	rep, err := store.Purge(ctx, Cutoff(now, days), now)
	for k, n := range rep.Purged() { // a failed batch may follow committed ones
		purged.WithLabelValues(k).Add(float64(n))
	}
	return rep, err
}

// Options configure Run; zero fields take the defaults.
type Options struct {
	Days  int              // XINQIAO_RETENTION_DAYS (0: keep conversations forever; sessions are still purged)
	Delay time.Duration    // before the first purge (default 1m: after the start, not during it)
	Every time.Duration    // between purges (default 24h)
	Now   func() time.Time // default time.Now
	Log   *slog.Logger
}

// Run purges once after Delay and then every Every until ctx ends. On
// PostgreSQL every node runs it and the store lets one purge at a time:
// a node that finds a purge running skips its turn.
func Run(ctx context.Context, store xinqiao.RetentionStore, o Options) {
	if o.Delay <= 0 {
		o.Delay = time.Minute
	}
	if o.Every <= 0 {
		o.Every = 24 * time.Hour
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	t := time.NewTimer(o.Delay)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		start := time.Now()
		rep, err := Once(ctx, store, o.Days, o.Now())
		switch {
		case xinqiao.ErrorCode(err) == xinqiao.ECONFLICT:
			o.Log.Info("retention purge skipped: another node is purging")
		case err != nil && ctx.Err() == nil:
			o.Log.Warn("retention purge failed", "err", err, "conversations", rep.Conversations, "messages", rep.Messages)
		case err == nil:
			// Numbers only: never ids or text.
			o.Log.Info("retention purge", "retention_days", o.Days, "conversations", rep.Conversations,
				"messages", rep.Messages, "student_sessions", rep.StudentSessions, "staff_sessions", rep.StaffSessions,
				"audit_kept", rep.AuditKept, "kept_for_cases", rep.KeptForCases, "batches", rep.Batches,
				"ms", time.Since(start).Milliseconds())
		}
		t.Reset(o.Every)
	}
}
