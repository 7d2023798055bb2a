package auth

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// LoginGuard throttles password guessing without letting a guesser lock
// the account's owner out:
//
//   - Failures are counted per (address, username). After the free
//     failures, each further try of that pair must wait a delay that doubles
//     with every failure (one second, two, four … up to the maximum); a
//     success clears the pair. The owner at another address is not slowed
//     by what a guesser does elsewhere.
//   - Failures, and only failures, also spend a bucket per address, so one
//     address cannot try many usernames; successful logins spend nothing,
//     so a whole school behind one NAT address logs in freely. When the
//     bucket is empty, a username that has logged in from that address
//     before (within trustFor) may still try: a student guessing from the
//     school's address does not lock the school's counselors out.
//
// State is in memory per node and bounded: idle entries are forgotten.
type LoginGuard struct {
	mu       sync.Mutex
	free     int
	maxDelay time.Duration
	addr     rate.Limit
	burst    int
	pairs    map[string]*pairState
	addrs    map[string]*addrState
	swept    time.Time
}

type pairState struct {
	failures int
	until    time.Time // no try before this
	seen     time.Time
	trusted  bool // the username logged in from the address before
}

// trustFor is how long a username's success from an address keeps the
// address's failure bucket from blocking it.
const trustFor = 30 * 24 * time.Hour

type addrState struct {
	lim  *rate.Limiter
	seen time.Time
}

// NewLoginGuard returns a guard allowing free failures per (address,
// username) before delays start, delays up to maxDelay, and addrFailures
// failures per address per hour (as a bucket of that size refilled over an
// hour).
func NewLoginGuard(free int, maxDelay time.Duration, addrFailures int) *LoginGuard {
	return &LoginGuard{free: free, maxDelay: maxDelay, addr: rate.Limit(float64(addrFailures) / 3600), burst: addrFailures,
		pairs: map[string]*pairState{}, addrs: map[string]*addrState{}}
}

func pairKey(addr, user string) string { return addr + "\x00" + user }

// Check reports how long a login try for user from addr must still wait
// (0: it may go ahead). It spends nothing.
func (g *LoginGuard) Check(addr, user string, now time.Time) time.Duration {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.sweep(now)
	var wait time.Duration
	p, ok := g.pairs[pairKey(addr, user)]
	if ok && now.Before(p.until) {
		wait = p.until.Sub(now)
	}
	if a, found := g.addrs[addr]; found && a.lim.TokensAt(now) < 1 && !(ok && p.trusted) {
		wait = max(wait, time.Duration(float64(time.Second)/float64(g.addr)))
	}
	return wait
}

// Failed records a wrong password (or unknown username) for user from addr.
func (g *LoginGuard) Failed(addr, user string, now time.Time) {
	g.mu.Lock()
	defer g.mu.Unlock()
	k := pairKey(addr, user)
	p, ok := g.pairs[k]
	if !ok {
		p = &pairState{}
		g.pairs[k] = p
	}
	p.failures++
	p.seen = now
	if over := p.failures - g.free; over > 0 {
		d := time.Second << min(over-1, 30)
		p.until = now.Add(min(d, g.maxDelay))
	}
	a, ok := g.addrs[addr]
	if !ok {
		a = &addrState{lim: rate.NewLimiter(g.addr, g.burst)}
		g.addrs[addr] = a
	}
	a.seen = now
	a.lim.AllowN(now, 1)
}

// Succeeded clears the failures of user from addr and trusts the pair.
func (g *LoginGuard) Succeeded(addr, user string, now time.Time) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.pairs[pairKey(addr, user)] = &pairState{seen: now, trusted: true}
}

// sweep forgets entries idle for longer than the longest delay plus an
// hour (trusted pairs: trustFor), at most once a minute.
func (g *LoginGuard) sweep(now time.Time) {
	if now.Sub(g.swept) < time.Minute {
		return
	}
	g.swept = now
	idle := g.maxDelay + time.Hour
	for k, p := range g.pairs {
		keep := idle
		if p.trusted {
			keep = trustFor
		}
		if now.Sub(p.seen) > keep && !now.Before(p.until) {
			delete(g.pairs, k)
		}
	}
	for k, a := range g.addrs {
		if now.Sub(a.seen) > idle {
			delete(g.addrs, k)
		}
	}
}

// Counter caps how many of a thing (open sockets) each key may hold at
// once. Keys at zero are forgotten, so the map is bounded by what is open.
type Counter struct {
	mu sync.Mutex
	n  map[string]int
}

// NewCounter returns an empty counter.
func NewCounter() *Counter { return &Counter{n: map[string]int{}} }

// Acquire takes one for each key if every key is below its limit (a limit
// of 0 or less is no limit) and returns the function that gives them back;
// ok is false, and nothing is taken, when any key is at its limit.
func (c *Counter) Acquire(keys []string, limits []int) (release func(), ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, k := range keys {
		if limits[i] > 0 && c.n[k] >= limits[i] {
			return func() {}, false
		}
	}
	for _, k := range keys {
		c.n[k]++
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			c.mu.Lock()
			defer c.mu.Unlock()
			for _, k := range keys {
				if c.n[k]--; c.n[k] <= 0 {
					delete(c.n, k)
				}
			}
		})
	}, true
}
