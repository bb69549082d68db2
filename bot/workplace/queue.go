package workplace

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/segmentbot/segmentbot"
)

// The durable queue of webhook events (issue: a signed batch of 5,000
// events must be answered within Meta's 20 s).
const (
	// inlineBudget is how long a webhook request handles its own events
	// before it answers and leaves the rest to the queue workers.
	inlineBudget = 5 * time.Second
	// queueLease outlasts the entrance's 2-minute stale claim, so a worker
	// that takes over the event of a crashed one finds its activity claim
	// stale too.
	queueLease = 3 * time.Minute
	// queueBatch events are claimed at a time by a worker.
	queueBatch = 50
	// queueAttempts bounds the retries of a failing queued event.
	queueAttempts = 5
	// queuePoll is how often an idle worker looks for work.
	queuePoll = time.Second
	// logCap bounds an error logged for one event.
	logCap = 2048
)

// queue is the channel's durable event queue (the store behind its user
// service), or nil when it keeps none: events are then handled in the
// request only.
func (c *Channel) queue() segmentbot.EventQueue {
	q, _ := c.users.(segmentbot.EventQueue)
	return q
}

// enqueue stores the relevant events of wh in one transaction, handles
// them in order for up to inlineBudget, and leaves the rest to the
// workers. An event handled here that fails in a way a retry may cure is
// dropped from the queue and its error returned, so Meta redelivers the
// webhook as before; events left to the workers are retried by them.
func (c *Channel) enqueue(ctx context.Context, q segmentbot.EventQueue, wh *webhook) error {
	var events []segmentbot.QueuedEvent
	for _, e := range wh.Entry {
		for i := range e.Messaging {
			m := &e.Messaging[i]
			raw, err := json.Marshal(m)
			if !m.relevant() || err != nil {
				continue
			}
			if segmentbot.ContainsNUL(raw) {
				c.log.Warn("workplace: event with a NUL character dropped", "sender", m.Sender.ID)
				continue
			}
			events = append(events, segmentbot.QueuedEvent{Key: m.key(), Body: string(raw)})
		}
	}
	if len(events) == 0 {
		return nil
	}
	stored, err := q.EnqueueEvents(ctx, segmentbot.ChannelWorkplace, events, queueLease)
	if err != nil {
		return fmt.Errorf("workplace: %w", err)
	}
	deadline := time.Now().Add(inlineBudget)
	var errs []error
	for i, e := range stored {
		if time.Now().After(deadline) || ctx.Err() != nil {
			return errors.Join(append(errs, c.handOver(ctx, q, stored[i:]))...)
		}
		if err := c.runQueued(ctx, q, e, true); err != nil {
			errs = append(errs, err)
		}
	}
	return joinCapped(errs)
}

// handOver releases the events this request did not reach to the workers.
func (c *Channel) handOver(ctx context.Context, q segmentbot.EventQueue, rest []segmentbot.QueuedEvent) error {
	ids := make([]int64, len(rest))
	for i, e := range rest {
		ids[i] = e.ID
	}
	c.log.Info("workplace: events left to the queue workers", "events", len(ids))
	if err := q.ReleaseEvents(context.WithoutCancel(ctx), ids, time.Time{}); err != nil {
		// They come back when their lease ends.
		c.log.Warn("workplace: releasing queued events", "events", len(ids), "err", clip(err.Error()))
	}
	return nil
}

// runQueued handles one queued event exactly once (the bot's entrance
// claims it in processed_activities) and settles its queue row: deleted when done;
// when a retry may help, deleted with the error returned (inline: Meta
// redelivers) or released for a later attempt (worker), until
// queueAttempts.
func (c *Channel) runQueued(ctx context.Context, q segmentbot.EventQueue, e segmentbot.QueuedEvent, inline bool) error {
	var m messaging
	err := json.Unmarshal([]byte(e.Body), &m)
	if err == nil {
		err = c.processEvent(ctx, &m)
	} else {
		c.log.Error("workplace: unreadable queued event dropped", "event", e.Key, "err", err)
		err = nil
	}
	bg := context.WithoutCancel(ctx)
	if err != nil && !inline && e.Attempts < queueAttempts {
		c.log.Warn("workplace: queued event failed; retrying", "event", e.Key, "attempt", e.Attempts, "err", clip(err.Error()))
		return q.ReleaseEvents(bg, []int64{e.ID}, time.Now().Add(retryDelay(e.Attempts)))
	}
	if err != nil && !inline {
		c.log.Error("workplace: queued event abandoned", "event", e.Key, "attempts", e.Attempts, "err", clip(err.Error()))
		err = nil
	}
	if derr := q.DeleteEvent(bg, e.ID); derr != nil {
		return errors.Join(err, fmt.Errorf("workplace: %w", derr))
	}
	return err
}

// retryDelay grows with the attempts: 2 s, 4 s, 8 s, ...
func retryDelay(attempt int) time.Duration {
	return time.Duration(1<<min(attempt, 8)) * time.Second
}

// RunQueue runs workers that handle the queued events until ctx ends; a
// crashed replica's events are taken over when their lease ends. Without
// a queue it returns at once.
func (c *Channel) RunQueue(ctx context.Context, workers int) {
	q := c.queue()
	if q == nil {
		return
	}
	var wg sync.WaitGroup
	for range max(workers, 1) {
		wg.Go(func() {
			for ctx.Err() == nil {
				events, err := q.ClaimEvents(ctx, segmentbot.ChannelWorkplace, queueBatch, queueLease)
				if err != nil && ctx.Err() == nil {
					c.log.Warn("workplace: claiming queued events", "err", clip(err.Error()))
				}
				for _, e := range events {
					if err := c.runQueued(ctx, q, e, false); err != nil {
						c.log.Warn("workplace: settling a queued event", "event", e.Key, "err", clip(err.Error()))
					}
				}
				if len(events) == 0 {
					_ = segmentbot.Sleep(ctx, queuePoll)
				}
			}
		})
	}
	wg.Wait()
}

// joinCapped joins errs, naming at most three, so one log line stays short.
func joinCapped(errs []error) error {
	if len(errs) <= 3 {
		return errors.Join(errs...)
	}
	return errors.Join(append(errs[:3:3], fmt.Errorf("and %d more failed events", len(errs)-3))...)
}

// clip cuts a logged text to logCap bytes.
func clip(s string) string {
	if len(s) <= logCap {
		return s
	}
	return s[:logCap] + fmt.Sprintf("… (%d bytes cut)", len(s)-logCap)
}
