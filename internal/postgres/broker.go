package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"log/slog"
	"sync"
	"time"

	"xinqiao/internal/xinqiao"

	"github.com/jackc/pgx/v5"
)

// eventChannel names the NOTIFY channel all nodes of one deployment listen
// on. Payloads carry ids only (xinqiao.Event), never message text. NOTIFY is
// database-wide, so a deployment in a schema other than public gets a channel
// of its own: two deployments (or two test runs) sharing one database must
// never see each other's events. Channel names are identifiers of at most 63
// bytes; a longer one is replaced by a hash of the schema.
func eventChannel(schema string) string {
	if schema == "" || schema == "public" {
		return "xinqiao_events"
	}
	c := "xinqiao_events." + schema
	if len(c) > 63 {
		h := fnv.New64a()
		h.Write([]byte(schema))
		c = fmt.Sprintf("xinqiao_events.%016x", h.Sum64())
	}
	return c
}

// Publish implements xinqiao.Broker through NOTIFY: every node listening,
// this one included, receives the event after the publishing transaction
// (here: the statement) commits.
func (db *DB) Publish(ctx context.Context, e xinqiao.Event) error {
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	if _, err := db.pool.Exec(ctx, `SELECT pg_notify($1, $2)`, db.channel, string(b)); err != nil {
		return fmt.Errorf("notify: %w", err)
	}
	return nil
}

// Subscribe implements xinqiao.Broker.
func (db *DB) Subscribe(ctx context.Context, fn func(xinqiao.Event)) {
	db.broker.subscribe(ctx, fn)
}

// broker holds one listening connection per node, started with the first
// subscriber, and fans notifications out to the subscribers. A lost
// connection is redialled with backoff, and subscribers get a "resync" event
// so they can replay from their last delivered seq.
type broker struct {
	cfg     *pgx.ConnConfig
	channel string
	log     *slog.Logger
	mu      sync.Mutex
	subs    map[int]func(xinqiao.Event)
	next    int
	stop    context.CancelFunc
	done    chan struct{}
	// listening is set once the first LISTEN is in place; gaveUp when a
	// subscriber stopped waiting for it, so that subscribers get a
	// "resync" then for the events they may have missed meanwhile.
	listening, gaveUp bool
}

func newBroker(cfg *pgx.ConnConfig, channel string, log *slog.Logger) *broker {
	return &broker{cfg: cfg.Copy(), channel: channel, log: log, subs: map[int]func(xinqiao.Event){}}
}

func (b *broker) subscribe(ctx context.Context, fn func(xinqiao.Event)) {
	b.mu.Lock()
	id := b.next
	b.next++
	b.subs[id] = fn
	if b.stop == nil {
		lctx, cancel := context.WithCancel(context.Background())
		b.stop, b.done = cancel, make(chan struct{})
		ready := make(chan struct{})
		go b.listen(lctx, ready)
		b.mu.Unlock()
		select { // wait for the first LISTEN so no event published after Subscribe returns is missed
		case <-ready:
		case <-time.After(5 * time.Second):
			b.mu.Lock()
			b.gaveUp = !b.listening
			b.mu.Unlock()
		}
	} else {
		b.mu.Unlock()
	}
	go func() {
		<-ctx.Done()
		b.mu.Lock()
		delete(b.subs, id)
		b.mu.Unlock()
	}()
}

func (b *broker) fanout(e xinqiao.Event) {
	b.mu.Lock()
	fns := make([]func(xinqiao.Event), 0, len(b.subs))
	for _, fn := range b.subs {
		fns = append(fns, fn)
	}
	b.mu.Unlock()
	for _, fn := range fns {
		fn(e)
	}
}

func (b *broker) listen(ctx context.Context, ready chan struct{}) {
	defer close(b.done)
	backoff := 100 * time.Millisecond
	first := true
	for ctx.Err() == nil {
		err := b.listenOnce(ctx, func() {
			if first {
				b.mu.Lock()
				b.listening = true
				late := b.gaveUp
				b.mu.Unlock()
				close(ready)
				first = false
				if late {
					b.log.Warn("event listener started after its subscribers stopped waiting; they resync")
					b.fanout(xinqiao.Event{Kind: "resync"})
				}
			} else {
				b.fanout(xinqiao.Event{Kind: "resync"})
			}
			backoff = 100 * time.Millisecond
		})
		if ctx.Err() != nil {
			return
		}
		b.log.Warn("event listener lost its connection; reconnecting", "err", err, "in", backoff)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 5*time.Second)
	}
}

func (b *broker) listenOnce(ctx context.Context, onListening func()) error {
	conn, err := pgx.ConnectConfig(ctx, b.cfg)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{b.channel}.Sanitize()); err != nil {
		return err
	}
	onListening()
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		var e xinqiao.Event
		if err := json.Unmarshal([]byte(n.Payload), &e); err != nil {
			b.log.Warn("ignoring a malformed event", "err", err)
			continue
		}
		b.fanout(e)
	}
}

func (b *broker) close() {
	b.mu.Lock()
	stop, done := b.stop, b.done
	b.mu.Unlock()
	if stop != nil {
		stop()
		<-done
	}
}
