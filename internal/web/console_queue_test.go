package web_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"xinqiao/internal/app"
	"xinqiao/internal/apptest"
	"xinqiao/internal/storetest"
	"xinqiao/internal/xinqiao"
)

// slowQueueStore takes a while to read the console's queue and records how
// many such reads ran at once.
type slowQueueStore struct {
	xinqiao.Store
	mu            sync.Mutex
	now, max, all int
}

func (q *slowQueueStore) Handoffs(ctx context.Context, f xinqiao.HandoffFilter) ([]xinqiao.Handoff, error) {
	if f.Limit != 500 || len(f.States) != 2 { // not the console's queue
		return q.Store.Handoffs(ctx, f)
	}
	q.mu.Lock()
	q.now++
	q.all++
	q.max = max(q.max, q.now)
	q.mu.Unlock()
	defer func() {
		q.mu.Lock()
		q.now--
		q.mu.Unlock()
	}()
	time.Sleep(100 * time.Millisecond)
	return q.Store.Handoffs(ctx, f)
}

// TestConsoleQueueRequestsAreReadOneAtATime: a console that asks for its
// queue fifty times in a row gets it, from one read at a time (each read
// touches up to 500 handoffs and their flagged messages), not fifty reads
// at once.
func TestConsoleQueueRequestsAreReadOneAtATime(t *testing.T) {
	q := &slowQueueStore{Store: storetest.MustOpenSQLite(t)}
	s := apptest.Start(t, q, app.Options{})
	s.AddStaff(t, "wang", xinqiao.RoleCounselor, "王老师")
	console := s.Login(t, "wang").DialStaff(t)
	console.WaitType(t, 10*time.Second, "queue")
	for range 50 {
		console.Send(t, map[string]string{"type": "queue"})
	}
	console.WaitType(t, 10*time.Second, "queue")
	console.Quiet(t, 300*time.Millisecond, func(f apptest.Frame) bool { return false })
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.max != 1 || q.all > 10 {
		t.Fatalf("fifty queue requests: %d reads, up to %d at once; want one at a time, and far fewer reads than requests", q.all, q.max)
	}
}
