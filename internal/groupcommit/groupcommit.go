// Package groupcommit gathers concurrent writes into shared transactions.
// While a batch commits, the calls that arrive wait together, and the next
// batch takes them all at once (up to a bound): one commit, one WAL flush, for
// many callers, with no timer added when the store is quiet (a lone call goes
// at once). Each caller still gets its own result, and a nil error still
// means its write is durable.
//
// A batch is all or nothing: when the batch transaction fails (one row broke
// a constraint, the conversation was not found, the database went away), it
// is rolled back and every call of that batch runs again in a transaction of
// its own, so one bad row fails only its own caller.
package groupcommit

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
)

// ErrClosed is returned by Do once the committer is closed.
var ErrClosed = errors.New("store is closed")

// Funcs are what a committer runs. Batch writes every request in one
// transaction and returns one result per request, in order, or an error
// having committed nothing. Single writes one request in its own
// transaction. Both get a context that ends once no caller waits any more.
type Funcs[Req, Res any] struct {
	Batch  func(ctx context.Context, reqs []Req) ([]Res, error)
	Single func(ctx context.Context, req Req) (Res, error)
}

// Committer runs batches of calls on a fixed number of workers.
type Committer[Req, Res any] struct {
	fn      Funcs[Req, Res]
	max     int
	calls   chan *call[Req, Res]
	quit    chan struct{}
	wg      sync.WaitGroup
	closing sync.Once
	batches atomic.Int64
	rows    atomic.Int64
	pending atomic.Int64
}

// Stats counts a committer's work since it started.
type Stats struct {
	Batches int64 // batches written or tried (a lone call counts as one)
	Rows    int64 // calls those batches held
	Pending int64 // calls in Do now: waiting for a batch or in one
}

type call[Req, Res any] struct {
	ctx  context.Context
	req  Req
	res  Res
	err  error
	done chan struct{} // closed when res and err are set
}

// New starts workers goroutines that each take up to max calls per batch.
// One worker suits a store with one writer (SQLite); more let one batch
// gather while another waits on its commit.
func New[Req, Res any](workers, max int, fn Funcs[Req, Res]) *Committer[Req, Res] {
	c := &Committer[Req, Res]{fn: fn, max: max, calls: make(chan *call[Req, Res]), quit: make(chan struct{})}
	for range workers {
		c.wg.Add(1)
		go c.work()
	}
	return c
}

// Do writes req in the next batch and returns its own result. When ctx ends
// first, Do returns ctx's error at once; the write may still commit (a resend
// with the same client id finds it), it is never reported as done.
func (c *Committer[Req, Res]) Do(ctx context.Context, req Req) (Res, error) {
	var zero Res
	c.pending.Add(1)
	defer c.pending.Add(-1)
	cl := &call[Req, Res]{ctx: ctx, req: req, done: make(chan struct{})}
	select {
	case c.calls <- cl:
	case <-ctx.Done():
		return zero, ctx.Err()
	case <-c.quit:
		return zero, ErrClosed
	}
	select {
	case <-cl.done:
		return cl.res, cl.err
	case <-ctx.Done():
		return zero, ctx.Err()
	}
}

// Stats returns the committer's counts, for metrics, tests and benchmarks.
func (c *Committer[Req, Res]) Stats() Stats {
	return Stats{Batches: c.batches.Load(), Rows: c.rows.Load(), Pending: c.pending.Load()}
}

// Close stops the workers once their current batches are done; later calls
// get ErrClosed.
func (c *Committer[Req, Res]) Close() {
	c.closing.Do(func() { close(c.quit) })
	c.wg.Wait()
}

func (c *Committer[Req, Res]) work() {
	defer c.wg.Done()
	batch := make([]*call[Req, Res], 0, c.max)
	for {
		batch = batch[:0]
		select {
		case cl := <-c.calls:
			batch = append(batch, cl)
		case <-c.quit:
			return
		}
		// Whoever queued up while the last batch committed joins this one.
	gather:
		for len(batch) < c.max {
			select {
			case cl := <-c.calls:
				batch = append(batch, cl)
			default:
				break gather
			}
		}
		c.run(batch)
	}
}

// run commits one batch and hands every caller its result.
func (c *Committer[Req, Res]) run(batch []*call[Req, Res]) {
	live := batch[:0:0]
	for _, cl := range batch {
		if err := cl.ctx.Err(); err != nil {
			// Its caller is gone: nothing is written for it.
			cl.err = err
			close(cl.done)
			continue
		}
		live = append(live, cl)
	}
	if len(live) == 0 {
		return
	}
	c.batches.Add(1)
	c.rows.Add(int64(len(live)))
	if len(live) == 1 {
		cl := live[0]
		cl.res, cl.err = c.fn.Single(cl.ctx, cl.req)
		close(cl.done)
		return
	}
	ctx, stop := whileAnyWaits(live)
	reqs := make([]Req, len(live))
	for i, cl := range live {
		reqs[i] = cl.req
	}
	res, err := c.fn.Batch(ctx, reqs)
	stop()
	if err == nil && len(res) == len(live) {
		for i, cl := range live {
			cl.res = res[i]
			close(cl.done)
		}
		return
	}
	// Rolled back: each call on its own, so a bad row fails only its caller
	// (and an outage fails every one of them).
	for _, cl := range live {
		cl.res, cl.err = c.fn.Single(cl.ctx, cl.req)
		close(cl.done)
	}
}

// whileAnyWaits returns a context that ends once every call's own context
// has ended: one caller giving up does not cancel its batch-mates' write.
func whileAnyWaits[Req, Res any](calls []*call[Req, Res]) (context.Context, func()) {
	ctx, cancel := context.WithCancel(context.Background())
	left := atomic.Int64{}
	left.Store(int64(len(calls)))
	stops := make([]func() bool, len(calls))
	for i, cl := range calls {
		stops[i] = context.AfterFunc(cl.ctx, func() {
			if left.Add(-1) == 0 {
				cancel()
			}
		})
	}
	return ctx, func() {
		for _, s := range stops {
			s()
		}
		cancel()
	}
}
