package storetest

import (
	"context"
	"testing"
	"time"

	"xinqiao/internal/postgres"
	"xinqiao/internal/xinqiao"
)

func init() {
	register("BrokerLate", func(t *testing.T, open func(tb testing.TB) xinqiao.Store) {
		t.Run("ListenAfterSubscribeGaveUpResyncs", func(t *testing.T) { testBrokerLateListen(t, open(t)) })
	})
}

// testBrokerLateListen: Subscribe waits a while for the first LISTEN, not
// for ever; when the database cannot be reached by then, the events
// published before the listener is in place are missed, so once it is,
// the subscribers get a "resync" to read what they may have missed, and
// then the events as usual. (SQLite's broker is in the process: nothing to
// wait for.)
func testBrokerLateListen(t *testing.T, s xinqiao.Store) {
	db, ok := s.(*postgres.DB)
	if !ok {
		t.Skipf("the %s broker has no listener to wait for", s.Engine())
	}
	p := newCutProxy(t, db)
	pdb, err := postgres.Open(context.Background(), p.url, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer pdb.Close()
	p.cut()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	got := make(chan xinqiao.Event, 10)
	pdb.Subscribe(ctx, func(e xinqiao.Event) { got <- e }) // returns after its wait, without a listener
	select {
	case e := <-got:
		t.Fatalf("got %+v with the database away", e)
	default:
	}
	p.restore()
	select {
	case e := <-got:
		if e.Kind != "resync" {
			t.Fatalf("got %+v first, want a resync", e)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("no resync within 15 s of the database coming back")
	}
	want := xinqiao.Event{Kind: "message", ConversationID: "c1", Seq: 7}
	if err := db.Publish(ctx, want); err != nil {
		t.Fatal(err)
	}
	select {
	case e := <-got:
		if e != want {
			t.Fatalf("got %+v, want %+v", e, want)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("no event within 15 s")
	}
}
