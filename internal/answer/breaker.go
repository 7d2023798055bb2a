package answer

import (
	"sync"
	"time"
)

// Breaker states, as reported by BreakerState and the xinqiao_llm_breaker_state gauge.
const (
	BreakerClosed   = "closed"
	BreakerOpen     = "open"
	BreakerHalfOpen = "half_open"
)

// breaker is a consecutive-failure circuit breaker: closed until threshold
// failures in a row, then open for cooldown, then half-open, where exactly one
// probe request goes through; its success closes the breaker, its failure opens
// it again for another cooldown.
type breaker struct {
	mu        sync.Mutex
	state     string
	failures  int
	openedAt  time.Time
	probing   bool
	threshold int
	cooldown  time.Duration
	now       func() time.Time
	onChange  func(state string)
}

func (b *breaker) set(state string) {
	if b.state != state {
		b.state = state
		if b.onChange != nil {
			b.onChange(state)
		}
	}
}

// allow reports whether a request may go to the endpoint.
func (b *breaker) allow() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch b.state {
	case BreakerOpen:
		if b.now().Sub(b.openedAt) < b.cooldown {
			return false
		}
		b.set(BreakerHalfOpen)
		b.probing = true
		return true
	case BreakerHalfOpen:
		if b.probing {
			return false // one probe at a time
		}
		b.probing = true
		return true
	}
	return true
}

// done records the outcome of a request allow let through. ok=false counts a
// failure; a request that ended for reasons of its own (the caller went away)
// is released with release instead.
func (b *breaker) done(ok bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.probing = false
	if ok {
		b.failures = 0
		b.set(BreakerClosed)
		return
	}
	b.failures++
	if b.state == BreakerHalfOpen || b.failures >= b.threshold {
		b.openedAt = b.now()
		b.set(BreakerOpen)
	}
}

// release ends a request without a verdict on the endpoint.
func (b *breaker) release() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.probing = false
}

func (b *breaker) current() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.state == BreakerOpen && b.now().Sub(b.openedAt) >= b.cooldown {
		return BreakerHalfOpen
	}
	return b.state
}
