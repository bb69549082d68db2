package broadcaster

import (
	"context"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/segmentbot/segmentbot"
)

// late is how far behind its time a send slot may still be used. A slot
// later than that is dropped: sends taken late must not bunch up, so any
// second holds at most rate*(1+late/1s)+1 sends (43 at 40/s).
const late = 50 * time.Millisecond

// chunkTime is how much of a tenant's pace a replica reserves at once: a
// tenth of a second, so a replica's unused reservation never holds more.
const chunkTime = 100 * time.Millisecond

// pacer hands out send slots of each tenant, every 1/rate apart, reserved
// in the store in chunks so that every replica shares one pace. Slots are
// wall-clock times (the store's clock and the replicas' must agree, as
// for every lease).
type pacer struct {
	store segmentbot.DeliveryService
	every time.Duration
	chunk int
	now   func() time.Time

	mu    sync.Mutex
	keys  map[string]*slots
	sleep func(ctx context.Context, d time.Duration) error
}

// slots is a reservation: n slots from first, every apart; next is the
// index of the first one not handed out.
type slots struct {
	mu    sync.Mutex
	first time.Time
	n     int
	next  int
}

func newPacer(store segmentbot.DeliveryService, rate float64) *pacer {
	every := time.Duration(math.Ceil(float64(time.Second) / rate))
	every = (every + time.Microsecond - 1).Truncate(time.Microsecond) // the store keeps microseconds
	chunk := max(1, int(chunkTime/every))
	return &pacer{store: store, every: every, chunk: chunk, now: time.Now, keys: map[string]*slots{}, sleep: segmentbot.Sleep}
}

// wait blocks until the next send slot of key and returns then.
func (p *pacer) wait(ctx context.Context, key string) error {
	s := p.of(key)
	s.mu.Lock()
	var at time.Time
	for {
		now := p.now()
		if s.next < s.n {
			// Skip the slots gone by more than late.
			if behind := now.Sub(s.first.Add(time.Duration(s.next) * p.every)); behind > late {
				s.next += int((behind - late + p.every - 1) / p.every)
			}
		}
		if s.next < s.n {
			at = s.first.Add(time.Duration(s.next) * p.every)
			s.next++
			break
		}
		first, err := p.store.TakeSendSlots(ctx, key, p.every, p.chunk)
		if err != nil {
			s.mu.Unlock()
			return fmt.Errorf("send slots of %s: %w", key, err)
		}
		s.first, s.n, s.next = first, p.chunk, 0
	}
	s.mu.Unlock()
	return p.sleep(ctx, at.Sub(p.now()))
}

// hold stops the sends of key until until, in every replica: the slots
// this replica holds are dropped and the shared pace moves.
func (p *pacer) hold(ctx context.Context, key string, until time.Time) error {
	s := p.of(key)
	s.mu.Lock()
	s.n, s.next = 0, 0
	err := p.store.HoldSending(ctx, key, until)
	s.mu.Unlock()
	if err != nil {
		return fmt.Errorf("hold sends of %s: %w", key, err)
	}
	return nil
}

func (p *pacer) of(key string) *slots {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.keys[key]
	if s == nil {
		s = &slots{}
		p.keys[key] = s
	}
	return s
}

// tenant is the pace key of a recipient: Teams allows so many requests
// per app per tenant.
func tenant(u *segmentbot.User) string { return u.Channel + ":" + u.TenantID }
