package segmentbot

import (
	"context"
	"time"
)

// Sleep waits for d or until ctx ends, and returns ctx's error if it
// ended. A d of zero or less returns at once. The channels' rate limiters
// and the broadcaster's pace share it.
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
