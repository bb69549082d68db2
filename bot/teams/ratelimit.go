package teams

import (
	"context"
	"sync"
	"time"
)

// limiter spaces requests to at most rate per second, with a burst of one
// second's worth.
type limiter struct {
	mu    sync.Mutex
	rate  float64
	burst float64
	avail float64
	last  time.Time
}

func newLimiter(rate float64) *limiter {
	return &limiter{rate: rate, burst: max(rate, 1), avail: max(rate, 1), last: time.Now()}
}

// wait blocks until n requests may go, or ctx ends.
func (l *limiter) wait(ctx context.Context, n int) error {
	l.mu.Lock()
	now := time.Now()
	l.avail = min(l.burst, l.avail+now.Sub(l.last).Seconds()*l.rate)
	l.last = now
	l.avail -= float64(n)
	var delay time.Duration
	if l.avail < 0 {
		delay = time.Duration(-l.avail / l.rate * float64(time.Second))
	}
	l.mu.Unlock()
	if delay == 0 {
		return nil
	}
	return sleep(ctx, delay)
}
