package handoff_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"xinqiao/internal/apptest"
	"xinqiao/internal/handoff"
	"xinqiao/internal/storetest"
	"xinqiao/internal/xinqiao"
)

// TestAcrossNodes runs three nodes (three services, each with its own
// PostgreSQL pool and listener) on one database: 50 claims spread over the
// nodes have one winner, every node ticks at once and each due timer fires
// exactly once, and an event published on one node reaches the others.
func TestAcrossNodes(t *testing.T) {
	stores := storetest.PostgresNodes(t, 3)
	ctx := context.Background()
	clk := apptest.NewClock(t0)
	var svcs []*handoff.Service
	for _, db := range stores {
		svcs = append(svcs, handoff.New(db, handoff.Config{}, nil, clk.Now))
	}
	got := make(chan xinqiao.Event, 100)
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stores[2].Subscribe(sctx, func(e xinqiao.Event) {
		if e.Kind == "handoff" {
			got <- e
		}
	})

	var hs []xinqiao.Handoff
	for range 10 {
		c, _ := storetest.NewConversation(t, stores[0], "")
		r, err := svcs[0].Open(ctx, handoff.OpenRequest{ConversationID: c.ID, Level: xinqiao.LevelImminent, Rules: []string{"r"}})
		if err != nil {
			t.Fatal(err)
		}
		hs = append(hs, r.Handoff)
	}
	select {
	case e := <-got:
		if e.HandoffID != hs[0].ID {
			t.Fatalf("got %+v on node 3, want the first handoff's event", e)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("node 3 heard no event from node 1")
	}

	// Every node ticks at 60 s at once: ten first steps, each fired once.
	clk.Add(60 * time.Second)
	var wg sync.WaitGroup
	counts := make([]int, len(svcs))
	for i, s := range svcs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n, err := s.Tick(ctx)
			if err != nil {
				t.Error(err)
			}
			counts[i] = n
		}()
	}
	wg.Wait()
	if total := counts[0] + counts[1] + counts[2]; total != len(hs) {
		t.Fatalf("got %v timers fired per node (total %d), want %d in all", counts, total, len(hs))
	}

	// Fifty counselors claim one handoff through three nodes.
	var staff []xinqiao.Staff
	for i := range 50 {
		staff = append(staff, storetest.NewStaff(t, stores[0], fmt.Sprint("n", i), xinqiao.RoleCounselor))
	}
	var mu sync.Mutex
	codes := map[string]int{}
	start := make(chan struct{})
	for i := range staff {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, err := svcs[i%3].Claim(ctx, staff[i], hs[0].ID)
			mu.Lock()
			codes[xinqiao.ErrorCode(err)]++
			mu.Unlock()
		}()
	}
	close(start)
	wg.Wait()
	if codes[""] != 1 || codes[xinqiao.ECONFLICT] != 49 {
		t.Fatalf("got %v, want one winner and 49 conflicts across nodes", codes)
	}
}
