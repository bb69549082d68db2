// Package broadcaster delivers broadcasts (DESIGN §7), the twin of
// importer for the outbound direction: it fixes a due broadcast's
// audience as delivery rows, paces the sends per tenant across every
// replica, asks each recipient's channel (a segmentbot.Sender) to send,
// records every row's status, and reports progress and the end through a
// Reporter.
//
// Work lives in the database. The replica that leases a broadcast (its
// owner) fixes the audience, reports and finishes it; every replica helps
// send its rows, which it claims in batches with a lease of their own. A
// row is pending before its send and moves to sent, failed or skipped
// once; at most Window sends are started and not yet recorded at any
// time, which bounds what a crash can repeat (docs/decisions.md).
//
// It must not know HTTP, chat formats or SQL: channels, cards and the
// store do that behind the root package's interfaces.
package broadcaster

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/segmentbot/segmentbot"
)

// Reporter tells the admin how a broadcast goes. The broadcaster calls it
// from one goroutine per broadcast, in the owner replica only.
type Reporter interface {
	// Progress is called while b is sent, at most once a second and at
	// least every 5 seconds: b carries its counts; left estimates the time
	// until the last send.
	Progress(ctx context.Context, b *segmentbot.Broadcast, left time.Duration)
	// Finished is called once b ended (sent, sent_with_errors, failed, or
	// cancelled after it started), with its final counts. An error makes
	// the owner try again later; nil records the report as delivered.
	Finished(ctx context.Context, b *segmentbot.Broadcast) error
}

// Compose turns a broadcast into the message every recipient gets (the
// Opt out button and the line saying why included).
type Compose func(ctx context.Context, b *segmentbot.Broadcast, seg *segmentbot.Segment) (segmentbot.Message, error)

// Defaults of Config.
const (
	DefaultRate          = 40
	DefaultWindow        = 256
	DefaultBatch         = 500
	DefaultLease         = 30 * time.Second
	DefaultPoll          = time.Second
	DefaultMaxAttempts   = 5
	DefaultBackoff       = time.Second
	DefaultProgressEvery = time.Second
)

// Config is what a Broadcaster needs. Store, Senders and Compose are
// required; zero values of the rest take the defaults above.
type Config struct {
	Store    segmentbot.Store
	Senders  map[string]segmentbot.Sender // by channel; a channel without one makes its rows not_reachable
	Compose  Compose
	Reporter Reporter // nil: no reports

	// Rate is the most sends per second per tenant, across all replicas.
	Rate float64
	// Window is the most sends started whose status is not recorded yet:
	// the bound on what a crash can repeat. It also caps sends in flight.
	Window int
	// Batch is how many rows a replica claims at once.
	Batch int
	// Lease is how long a claim on a broadcast or on rows lasts without
	// renewal (renewed at a third of it): the wait before another replica
	// takes over the work of one that died.
	Lease time.Duration
	// Poll is how often an idle broadcaster looks for due broadcasts.
	Poll time.Duration
	// MaxAttempts is how many times one recipient is tried (429, 412, 5xx
	// and unclassified errors are retried).
	MaxAttempts int
	// Backoff is the first retry's delay; each next one doubles, with
	// jitter, up to 32 times it.
	Backoff time.Duration
	// ProgressEvery is the gap between two progress reports (at least 1 s).
	ProgressEvery time.Duration
	// OnSend, if set, observes every send attempt: the channel, its
	// outcome (sent, failed, retried) and how long it took.
	OnSend func(channel, outcome string, took time.Duration)
	Logger *slog.Logger
	Now    func() time.Time
}

// Broadcaster runs deliveries until its context ends.
type Broadcaster struct {
	cfg    Config
	worker string
	pace   *pacer
	wake   chan struct{}

	mu     sync.Mutex
	active map[int64]*delivery // broadcasts this replica is sending
	wg     sync.WaitGroup
}

// New checks cfg and fills its defaults.
func New(cfg Config) (*Broadcaster, error) {
	if cfg.Store == nil {
		return nil, errors.New("broadcaster: no store")
	} else if cfg.Compose == nil {
		return nil, errors.New("broadcaster: no Compose")
	} else if cfg.Rate < 0 {
		return nil, fmt.Errorf("broadcaster: rate %v is negative", cfg.Rate)
	}
	if cfg.Rate == 0 {
		cfg.Rate = DefaultRate
	}
	cfg.Window = orDefault(cfg.Window, DefaultWindow)
	cfg.Batch = orDefault(cfg.Batch, DefaultBatch)
	cfg.Lease = orDefault(cfg.Lease, DefaultLease)
	cfg.Poll = orDefault(cfg.Poll, DefaultPoll)
	cfg.MaxAttempts = orDefault(cfg.MaxAttempts, DefaultMaxAttempts)
	cfg.Backoff = orDefault(cfg.Backoff, DefaultBackoff)
	cfg.ProgressEvery = max(orDefault(cfg.ProgressEvery, DefaultProgressEvery), time.Second)
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Senders == nil {
		cfg.Senders = map[string]segmentbot.Sender{}
	}
	b := &Broadcaster{
		cfg:    cfg,
		worker: workerName(),
		wake:   make(chan struct{}, 1),
		active: map[int64]*delivery{},
	}
	b.pace = newPacer(cfg.Store, cfg.Rate)
	return b, nil
}

func orDefault[T int | time.Duration](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}

// Worker names this replica in leases.
func (b *Broadcaster) Worker() string { return b.worker }

// Wake makes the broadcaster look for due broadcasts at once: call it
// after creating one that is due now.
func (b *Broadcaster) Wake() {
	select {
	case b.wake <- struct{}{}:
	default:
	}
}

// Run claims and delivers broadcasts until ctx ends, then waits for the
// deliveries it started to stop, and returns nil.
func (b *Broadcaster) Run(ctx context.Context) error {
	defer b.wg.Wait()
	for ctx.Err() == nil {
		b.tick(ctx)
		t := time.NewTimer(b.cfg.Poll)
		select {
		case <-ctx.Done():
		case <-b.wake:
		case <-t.C:
		}
		t.Stop()
	}
	return nil
}

// tick does one round: placeholders whose time went become past, due or
// orphaned broadcasts get an owner, and sending ones this replica is not
// working on get its help.
func (b *Broadcaster) tick(ctx context.Context) {
	log := b.cfg.Logger
	if n, err := b.cfg.Store.ExpirePlaceholders(ctx, b.cfg.Now()); err != nil && ctx.Err() == nil {
		log.Error("expire broadcast placeholders", "err", err)
	} else if n > 0 {
		log.Info("broadcast placeholders past their time", "count", n)
	}
	for ctx.Err() == nil {
		br, err := b.cfg.Store.ClaimBroadcast(ctx, b.worker, b.cfg.Now(), b.cfg.Lease)
		if err != nil {
			if ctx.Err() == nil {
				log.Error("claim broadcast", "worker", b.worker, "err", err)
			}
			break
		} else if br == nil {
			break
		}
		b.start(ctx, br, true)
	}
	sending, err := b.cfg.Store.FindSendingBroadcasts(ctx)
	if err != nil {
		if ctx.Err() == nil {
			log.Error("find sending broadcasts", "err", err)
		}
		return
	}
	for _, br := range sending {
		b.start(ctx, br, false)
	}
}

// start runs the delivery of br in its own goroutine, as owner or helper,
// unless this replica works on it already. An owner lease taken while a
// helper runs is handed to that helper.
func (b *Broadcaster) start(ctx context.Context, br *segmentbot.Broadcast, owner bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if d := b.active[br.ID]; d != nil {
		if owner {
			d.promote()
		}
		return
	}
	d := newDelivery(b, br, owner)
	b.active[br.ID] = d
	b.wg.Go(func() {
		defer func() {
			b.mu.Lock()
			delete(b.active, br.ID)
			b.mu.Unlock()
		}()
		d.run(ctx)
	})
}

func workerName() string {
	host, _ := os.Hostname()
	buf := make([]byte, 4)
	rand.Read(buf)
	return fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(buf))
}
