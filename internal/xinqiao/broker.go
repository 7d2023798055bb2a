package xinqiao

import (
	"context"
	"sync"
)

// LocalBroker is a Broker for one process: the embedded store's, and a
// building block for tests. Events are delivered synchronously to every
// subscriber, in publish order.
type LocalBroker struct {
	mu   sync.Mutex
	subs map[int]func(Event)
	next int
}

// Publish implements Broker.
func (b *LocalBroker) Publish(_ context.Context, e Event) error {
	b.mu.Lock()
	fns := make([]func(Event), 0, len(b.subs))
	for _, fn := range b.subs {
		fns = append(fns, fn)
	}
	b.mu.Unlock()
	for _, fn := range fns {
		fn(e)
	}
	return nil
}

// Subscribe implements Broker.
func (b *LocalBroker) Subscribe(ctx context.Context, fn func(Event)) {
	b.mu.Lock()
	if b.subs == nil {
		b.subs = map[int]func(Event){}
	}
	id := b.next
	b.next++
	b.subs[id] = fn
	b.mu.Unlock()
	go func() {
		<-ctx.Done()
		b.mu.Lock()
		delete(b.subs, id)
		b.mu.Unlock()
	}()
}
