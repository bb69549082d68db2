package broadcaster

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/segmentbot/segmentbot"
)

// watchEvery is how often a delivery rereads its broadcast: a cancel
// stops the sends within it.
const watchEvery = 200 * time.Millisecond

// delivery is one replica's work on one broadcast: the dispatcher claims
// rows and starts each send at its pace slot, senders run the sends, the
// flusher records their outcomes, and the watcher follows the broadcast
// (cancel, leases, progress).
type delivery struct {
	b     *Broadcaster
	id    int64
	owner atomic.Bool
	stop  atomic.Bool // cancelled: start no more sends
	br    atomic.Pointer[segmentbot.Broadcast]
	msg   segmentbot.Message

	// tokens holds one token per send started and not yet recorded (or
	// given back as a retry): at most Window.
	tokens  chan struct{}
	results chan segmentbot.DeliveryResult
	retries chan *retry
	// dispatched is closed when the dispatcher returned.
	dispatched chan struct{}
	// jobs hands sends to the senders: goroutines started as needed, at
	// most Window, that live as long as the delivery. A send runs deep in
	// the HTTP client, and a goroutine of its own per send would grow a
	// new stack for each one.
	jobs    chan *segmentbot.Recipient
	senders int // started; only the dispatcher reads or changes it
	sends   sync.WaitGroup
	held    heldRows // rows claimed here and not recorded yet
	started time.Time
}

// retry is a recipient to try again at a time.
type retry struct {
	r  *segmentbot.Recipient
	at time.Time
}

func newDelivery(b *Broadcaster, br *segmentbot.Broadcast, owner bool) *delivery {
	d := &delivery{
		b: b, id: br.ID,
		tokens:  make(chan struct{}, b.cfg.Window),
		results: make(chan segmentbot.DeliveryResult, b.cfg.Window),
		retries: make(chan *retry, b.cfg.Window),

		dispatched: make(chan struct{}),
		jobs:       make(chan *segmentbot.Recipient),
		held:       heldRows{until: map[int64]time.Time{}},
	}
	d.owner.Store(owner)
	d.br.Store(br)
	return d
}

// promote makes a helper the owner: this replica took the broadcast's
// lease while helping.
func (d *delivery) promote() { d.owner.Store(true) }

func (d *delivery) log() *slog.Logger {
	return d.b.cfg.Logger.With("broadcast", d.id, "worker", d.b.worker)
}

// run delivers the broadcast as far as this replica can: the owner fixes
// the audience first and finishes and reports it at the end.
func (d *delivery) run(ctx context.Context) {
	store := d.b.cfg.Store
	br := d.br.Load()
	if d.owner.Load() && br.Status == segmentbot.BroadcastScheduled {
		start := time.Now()
		fixed, err := store.FixAudience(ctx, d.id)
		if err != nil {
			d.log().Error("fix audience", "err", err)
			return
		}
		d.log().Info("audience fixed", "audience", fixed.Audience, "duration_ms", time.Since(start).Milliseconds())
		br = fixed
		d.br.Store(br)
	}
	if br.Status == segmentbot.BroadcastSending {
		if err := d.send(ctx); err != nil {
			if ctx.Err() == nil {
				d.log().Error("deliver", "err", err)
			}
			return
		}
	}
	if d.owner.Load() && ctx.Err() == nil {
		d.finish(ctx)
	}
}

// send runs the dispatcher with its flusher and watcher until no row is
// left to send here (or the broadcast stopped), and waits for every send
// started to be recorded.
func (d *delivery) send(ctx context.Context) error {
	br := d.br.Load()
	seg, err := d.b.cfg.Store.FindSegmentByID(ctx, br.SegmentID)
	if err != nil {
		return fmt.Errorf("segment %d of broadcast %d: %w", br.SegmentID, br.ID, err)
	}
	if d.msg, err = d.b.cfg.Compose(ctx, br, seg); err != nil {
		return fmt.Errorf("compose broadcast %d: %w", br.ID, err)
	}
	d.started = time.Now()
	watchCtx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	go d.watch(watchCtx)
	go d.report(watchCtx)
	flushed := make(chan struct{})
	go func() {
		defer close(flushed)
		d.flush()
	}()
	err = d.dispatch(ctx)
	close(d.dispatched)
	close(d.jobs)
	d.sends.Wait()
	close(d.results)
	<-flushed
	return err
}

// dispatch claims rows in batches and starts each send at its slot.
// The next batch is claimed as soon as the current one has started, so
// sending never waits for the database (a claim takes several round
// trips, longer than half a batch lasts at full speed). Retries come back through
// d.retries. A helper stops when nothing is left to claim; the owner goes
// on until no row is pending anywhere.
func (d *delivery) dispatch(ctx context.Context) error {
	cfg := &d.b.cfg
	var queue []*segmentbot.Recipient
	var waiting []*retry
	var after int64
	var fetch chan claimed
	drained := false // the last claim from the start found nothing
	for ctx.Err() == nil && !d.stop.Load() {
		waiting = d.collectRetries(waiting)
		if i := dueRetry(waiting, cfg.Now()); i >= 0 {
			r := waiting[i].r
			waiting = slices.Delete(waiting, i, i+1)
			if err := d.start(ctx, r); err != nil {
				return err
			}
			continue
		}
		if fetch == nil && !drained && len(queue) < cfg.Batch {
			fetch = d.claim(ctx, after)
		}
		if len(queue) > 0 {
			r := queue[0]
			queue = queue[1:]
			if err := d.start(ctx, r); err != nil {
				return err
			}
			continue
		}
		if fetch != nil {
			var got claimed
			select {
			case got = <-fetch:
			case <-ctx.Done():
				return nil
			}
			fetch = nil
			switch {
			case got.err != nil:
				return got.err
			case len(got.batch) > 0:
				queue, after = got.batch, got.batch[len(got.batch)-1].User.ID
			case after > 0:
				after = 0 // rows released behind us: leases of replicas that died
			default:
				drained = true
			}
			continue
		}
		if len(waiting) == 0 && d.idle() {
			if !d.owner.Load() {
				return nil
			}
			if done, err := d.nothingPending(ctx); err != nil || done {
				return err
			}
		}
		if err := segmentbot.Sleep(ctx, d.nextWake(waiting)); err != nil {
			return nil
		}
		drained = false
	}
	return nil
}

// claimed is the outcome of one claim of rows.
type claimed struct {
	batch []*segmentbot.Recipient
	err   error
}

// claim claims the next batch after user id after in a goroutine and
// delivers it on the channel returned.
func (d *delivery) claim(ctx context.Context, after int64) chan claimed {
	cfg := &d.b.cfg
	out := make(chan claimed, 1)
	go func() {
		asked := time.Now()
		batch, err := cfg.Store.ClaimDeliveries(ctx, d.id, d.b.worker, cfg.Lease, after, cfg.Batch)
		if err != nil {
			err = fmt.Errorf("claim deliveries: %w", err)
		}
		// Held from the claim on, not from when the dispatcher gets to
		// the batch: the watcher renews the lease of queued rows too. A
		// row this replica still holds (queued, waiting for a retry or in
		// flight after its lease ran out and it claimed the row again)
		// keeps its one place in the work: only new rows are queued.
		batch = d.held.add(batch, asked.Add(cfg.Lease))
		out <- claimed{batch, err}
	}()
	return out
}

// start waits for a token and the recipient's slot, then hands the send
// to a sender: an idle one, else a new one while there are fewer than
// Window. Each send holds a token until it is recorded, so with Window
// senders one is always free or about to be.
func (d *delivery) start(ctx context.Context, r *segmentbot.Recipient) error {
	select {
	case d.tokens <- struct{}{}:
	case <-ctx.Done():
		return nil
	}
	if err := d.b.pace.wait(ctx, tenant(r.User)); err != nil {
		<-d.tokens
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	if d.stop.Load() {
		<-d.tokens
		return nil
	}
	if !d.held.sendable(r.User.ID, time.Now(), d.b.cfg.Lease/3) {
		// The lease on the row ends too soon (a renewal failed or came
		// late): another replica may claim it. Sending now could make a
		// second copy, so the row is left to whoever claims it next.
		d.log().Warn("lease too short to send", "user", r.User.ID)
		<-d.tokens
		return nil
	}
	d.sends.Add(1)
	select {
	case d.jobs <- r:
		return nil
	default:
	}
	if d.senders < d.b.cfg.Window {
		d.senders++
		go d.sender(ctx, r)
		return nil
	}
	select {
	case d.jobs <- r:
	case <-ctx.Done():
		d.sends.Done()
		<-d.tokens
	}
	return nil
}

// sender sends first, then every recipient handed to it, until the
// dispatcher is done.
func (d *delivery) sender(ctx context.Context, first *segmentbot.Recipient) {
	d.sendOne(ctx, first)
	d.sends.Done()
	for r := range d.jobs {
		d.sendOne(ctx, r)
		d.sends.Done()
	}
}

// idle reports whether no send of this replica is unrecorded.
func (d *delivery) idle() bool { return len(d.tokens) == 0 }

// nothingPending rereads the broadcast and reports whether every row is
// done (or it stopped being sent).
func (d *delivery) nothingPending(ctx context.Context) (bool, error) {
	br, err := d.b.cfg.Store.FindBroadcastByID(ctx, d.id)
	if err != nil {
		return false, fmt.Errorf("reread broadcast: %w", err)
	}
	d.br.Store(br)
	return br.Pending == 0 || br.Status != segmentbot.BroadcastSending, nil
}

// nextWake is how long the dispatcher sleeps with nothing to start: until
// the first retry is due, at most watchEvery.
func (d *delivery) nextWake(waiting []*retry) time.Duration {
	wait := watchEvery
	now := d.b.cfg.Now()
	for _, w := range waiting {
		wait = min(wait, w.at.Sub(now))
	}
	return max(wait, time.Millisecond)
}

func (d *delivery) collectRetries(waiting []*retry) []*retry {
	for {
		select {
		case r := <-d.retries:
			waiting = append(waiting, r)
		default:
			return waiting
		}
	}
}

func dueRetry(waiting []*retry, now time.Time) int {
	best := -1
	for i, w := range waiting {
		if !w.at.After(now) && (best < 0 || w.at.Before(waiting[best].at)) {
			best = i
		}
	}
	return best
}

// flush records outcomes as they come, as many per transaction as have
// arrived, and gives back their tokens once committed. It runs until
// results is closed; a failed write is tried again, since the tokens
// (and so the sends) wait for it.
func (d *delivery) flush() {
	for first := range d.results {
		batch := []segmentbot.DeliveryResult{first}
	drain:
		for len(batch) < 1000 {
			select {
			case r, ok := <-d.results:
				if !ok {
					break drain
				}
				batch = append(batch, r)
			default:
				break drain
			}
		}
		for try := 0; ; try++ {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			err := d.b.cfg.Store.MarkDeliveries(ctx, d.id, batch)
			cancel()
			if err == nil {
				break
			}
			d.log().Error("record deliveries", "rows", len(batch), "try", try+1, "err", err)
			time.Sleep(min(time.Duration(try+1)*100*time.Millisecond, 2*time.Second))
		}
		d.held.remove(batch)
		for range batch {
			<-d.tokens
		}
	}
}

// heldRows is the rows a delivery holds a lease on, with when each lease
// ends as this replica knows it, for renewal and for the check before a
// send.
type heldRows struct {
	mu    sync.Mutex
	until map[int64]time.Time
}

// add holds the rows of batch until until and returns those that were
// not held already (their lease is extended all the same).
func (h *heldRows) add(batch []*segmentbot.Recipient, until time.Time) []*segmentbot.Recipient {
	h.mu.Lock()
	defer h.mu.Unlock()
	fresh := batch[:0:0]
	for _, r := range batch {
		if _, ok := h.until[r.User.ID]; !ok {
			fresh = append(fresh, r)
		}
		h.until[r.User.ID] = until
	}
	return fresh
}

func (h *heldRows) remove(results []segmentbot.DeliveryResult) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, r := range results {
		delete(h.until, r.UserID)
	}
}

// list returns the rows held whose lease is still running at now: only
// those can be renewed without a race with another replica's claim.
func (h *heldRows) list(now time.Time) []int64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	ids := make([]int64, 0, len(h.until))
	for id, until := range h.until {
		if until.After(now) {
			ids = append(ids, id)
		}
	}
	return ids
}

// renewed records that the leases of ids, those the store renewed, now
// run until until.
func (h *heldRows) renewed(ids []int64, until time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, id := range ids {
		if _, ok := h.until[id]; ok {
			h.until[id] = until
		}
	}
}

// sendable reports whether the lease on row id runs at least margin
// after now; a row that is not sendable is no longer held here.
func (h *heldRows) sendable(id int64, now time.Time, margin time.Duration) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	until, ok := h.until[id]
	if ok && until.Sub(now) >= margin {
		return true
	}
	delete(h.until, id)
	return false
}
