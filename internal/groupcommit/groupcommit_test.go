package groupcommit

import (
	"context"
	"errors"
	"sync"
	"testing"
	"testing/synctest"
)

// TestBatchFailureRetriesEachCall: a failed batch reaches every caller only
// through its own retry; the one bad call fails alone.
//
// It runs in a synctest bubble so that "every call is queued" is a fact the
// test waits for (each caller parked on its send), not a count taken before
// the callers reach the channel.
func TestBatchFailureRetriesEachCall(t *testing.T) {
	synctest.Test(t, batchFailureRetriesEachCall)
}

func batchFailureRetriesEachCall(t *testing.T) {
	release := make(chan struct{})
	var mu sync.Mutex
	var sizes []int
	c := New(1, 8, Funcs[int, int]{
		Batch: func(ctx context.Context, reqs []int) ([]int, error) {
			mu.Lock()
			sizes = append(sizes, len(reqs))
			mu.Unlock()
			for _, r := range reqs {
				if r < 0 {
					return nil, errors.New("bad row")
				}
			}
			out := make([]int, len(reqs))
			for i, r := range reqs {
				out[i] = r * 10
			}
			return out, nil
		},
		Single: func(ctx context.Context, r int) (int, error) {
			if r == 0 {
				<-release // holds the worker while the others gather
			}
			if r < 0 {
				return 0, errors.New("bad row")
			}
			return r * 10, nil
		},
	})
	defer c.Close()
	ctx := context.Background()
	first := make(chan error)
	go func() { _, err := c.Do(ctx, 0); first <- err }()
	synctest.Wait() // the worker holds call 0
	reqs := []int{1, 2, -3, 4}
	got := make([]int, len(reqs))
	errs := make([]error, len(reqs))
	var wg sync.WaitGroup
	for i, r := range reqs {
		wg.Go(func() { got[i], errs[i] = c.Do(ctx, r) })
	}
	synctest.Wait() // all four wait to be taken, together, by the next batch
	close(release)
	wg.Wait()
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	for i, r := range reqs {
		if r < 0 {
			if errs[i] == nil {
				t.Fatalf("bad call %d succeeded", r)
			}
			continue
		}
		if errs[i] != nil || got[i] != r*10 {
			t.Fatalf("call %d: %d, %v", r, got[i], errs[i])
		}
	}
	if len(sizes) != 1 || sizes[0] != len(reqs) {
		t.Fatalf("batches of %v, want one of %d", sizes, len(reqs))
	}
	c.Close()
	if _, err := c.Do(ctx, 5); !errors.Is(err, ErrClosed) {
		t.Fatalf("Do after Close: %v", err)
	}
}
