package workplace

import (
	"context"
	"sync"
	"time"

	"github.com/segmentbot/segmentbot"
)

// limiter spaces Graph calls evenly so a large import's lookups stay under
// the integration's rate limit instead of tripping it and backing off.
type limiter struct {
	mu    sync.Mutex
	every time.Duration
	next  time.Time
}

// newLimiter allows perSecond calls a second; nil (no limit) when perSecond
// is not positive.
func newLimiter(perSecond float64) *limiter {
	if perSecond <= 0 {
		return nil
	}
	return &limiter{every: time.Duration(float64(time.Second) / perSecond)}
}

// wait blocks until the next call may start or ctx ends.
func (l *limiter) wait(ctx context.Context) error {
	if l == nil {
		return ctx.Err()
	}
	l.mu.Lock()
	now := time.Now()
	at := l.next
	if at.Before(now) {
		at = now
	}
	l.next = at.Add(l.every)
	l.mu.Unlock()
	return segmentbot.Sleep(ctx, time.Until(at))
}
