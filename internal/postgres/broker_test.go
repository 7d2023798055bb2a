package postgres_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"xinqiao/internal/postgres"
	"xinqiao/internal/storetest"
	"xinqiao/internal/xinqiao"
)

// TestEventsStayInTheirSchema: NOTIFY is database-wide, but two deployments
// (or two test packages) in different schemas of one database must never see
// each other's events, while two nodes of one deployment see all of them.
func TestEventsStayInTheirSchema(t *testing.T) {
	ctx := context.Background()
	urlA := storetest.PostgresURL(t)
	urlB := storetest.PostgresURL(t)
	urlC := longSchemaURL(t) // a channel name past 63 bytes
	open := func(u string) *postgres.DB {
		db, err := postgres.Open(ctx, u, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
	a1, a2, b, c := open(urlA), open(urlA), open(urlB), open(urlC)
	listen := func(db *postgres.DB) chan xinqiao.Event {
		ch := make(chan xinqiao.Event, 16)
		sctx, cancel := context.WithCancel(ctx)
		t.Cleanup(cancel)
		db.Subscribe(sctx, func(e xinqiao.Event) { ch <- e })
		return ch
	}
	gotA, gotB, gotC := listen(a2), listen(b), listen(c)
	publish := func(db *postgres.DB, conv string) {
		if err := db.Publish(ctx, xinqiao.Event{Kind: "message", ConversationID: conv, Seq: 1}); err != nil {
			t.Fatal(err)
		}
	}
	// NOTIFY delivers in commit order, so a leaked event would arrive before
	// the listener's own marker, which is published last.
	publish(a1, "a")
	publish(b, "b")
	publish(c, "c")
	publish(a1, "a-end")
	publish(b, "b-end")
	publish(c, "c-end")
	for name, ch := range map[string]chan xinqiao.Event{"a": gotA, "b": gotB, "c": gotC} {
		var seen []string
		for done := false; !done; {
			select {
			case e := <-ch:
				seen = append(seen, e.ConversationID)
				done = e.ConversationID == name+"-end"
			case <-time.After(5 * time.Second):
				t.Fatalf("deployment %s: got %v and then nothing, want its own two events", name, seen)
			}
		}
		if len(seen) != 2 || seen[0] != name {
			t.Fatalf("deployment %s got events %v, want only [%s %s-end]", name, seen, name, name)
		}
	}
}

// longSchemaURL is a fresh schema of a 60-byte name, the longest kind a
// deployment may choose.
func longSchemaURL(t *testing.T) string {
	t.Helper()
	var b [6]byte
	rand.Read(b[:])
	return storetest.PostgresSchemaURL(t, strings.Repeat("z", 48)+hex.EncodeToString(b[:]))
}
