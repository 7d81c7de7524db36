package auth

import (
	"sync"
	"time"
)

// Limiter counts failures per key (a login, an IP address) in a sliding window and refuses a
// key that reached its limit until its oldest failure leaves the window. It lives in memory:
// each replica limits on its own, which bounds guessing to limit × replicas per window. It
// is safe for concurrent use.
type Limiter struct {
	mu     sync.Mutex
	limit  int
	window time.Duration
	fails  map[string][]time.Time
	sweep  time.Time
}

// NewLimiter allows limit failures per key within window.
func NewLimiter(limit int, window time.Duration) *Limiter {
	return &Limiter{limit: limit, window: window, fails: map[string][]time.Time{}}
}

// Allow tells whether key may try now, and if not, when it may try again.
func (l *Limiter) Allow(key string, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	f := l.recent(key, now)
	if len(f) < l.limit {
		return true, 0
	}
	return false, f[0].Add(l.window).Sub(now)
}

// Fail records a failure of key.
func (l *Limiter) Fail(key string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	f := append(l.recent(key, now), now)
	if len(f) > l.limit {
		f = f[len(f)-l.limit:]
	}
	l.fails[key] = f
	if now.Sub(l.sweep) > l.window {
		l.sweep = now
		for k := range l.fails {
			l.recent(k, now)
		}
	}
}

// Reset forgets the failures of key (after a success).
func (l *Limiter) Reset(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.fails, key)
}

// recent drops the failures of key older than the window and returns the others.
func (l *Limiter) recent(key string, now time.Time) []time.Time {
	f := l.fails[key]
	i := 0
	for i < len(f) && now.Sub(f[i]) >= l.window {
		i++
	}
	f = f[i:]
	if len(f) == 0 {
		delete(l.fails, key)
		return nil
	}
	l.fails[key] = f
	return f
}
