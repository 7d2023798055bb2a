package auth

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Limiters hands out one token bucket per key (a session, a socket, an IP,
// a username) and forgets keys idle for longer than the idle time, so the
// map stays bounded by the active keys.
type Limiters struct {
	mu    sync.Mutex
	every rate.Limit
	burst int
	idle  time.Duration
	m     map[string]*entry
	last  time.Time
}

type entry struct {
	lim  *rate.Limiter
	seen time.Time
}

// NewLimiters returns buckets refilled at r per second holding burst tokens.
func NewLimiters(r float64, burst int, idle time.Duration) *Limiters {
	return &Limiters{every: rate.Limit(r), burst: burst, idle: idle, m: map[string]*entry{}}
}

// Allow takes a token from key's bucket, reporting whether one was there.
func (l *Limiters) Allow(key string) bool {
	return l.AllowAt(key, time.Now())
}

// AllowAt is Allow at a given time, for tests.
func (l *Limiters) AllowAt(key string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.last) > l.idle {
		for k, e := range l.m {
			if now.Sub(e.seen) > l.idle {
				delete(l.m, k)
			}
		}
		l.last = now
	}
	e, ok := l.m[key]
	if !ok {
		e = &entry{lim: rate.NewLimiter(l.every, l.burst)}
		l.m[key] = e
	}
	e.seen = now
	return e.lim.AllowN(now, 1)
}
