package broadcaster_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/segmentbot/segmentbot"
	"github.com/segmentbot/segmentbot/broadcaster"
	"github.com/segmentbot/segmentbot/store"
	"github.com/segmentbot/segmentbot/store/storetest"
)

func TestEveryMemberGetsItOnceAndOptOutsAreSkipped(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newWorld(t, db, 60)
		// One member opted out before the broadcast: not in the audience.
		db.Leave(ctx, w.seg.ID, w.members[0], segmentbot.SourceButton, w.members[0], true)
		b := w.broadcast(t)
		fake, rep := newFakeSender(), newFakeReporter()
		// The first send opts out a member further on, before their turn.
		late := w.members[59]
		var optedOut atomic.Bool
		fake.fail = func(u *segmentbot.User, try int) error {
			if optedOut.CompareAndSwap(false, true) {
				if _, err := db.Leave(ctx, w.seg.ID, late, segmentbot.SourceKeyword, late, true); err != nil {
					t.Error(err)
				}
			}
			return nil
		}
		start(t, broadcaster.Config{Store: db, Senders: map[string]segmentbot.Sender{segmentbot.ChannelTeams: fake},
			Reporter: rep, Rate: 50, Batch: 10})
		got := rep.wait(t, 20*time.Second)
		fake.once(t, w.members[1:59])
		if got.Status != segmentbot.BroadcastSent || got.Audience != 59 || got.Sent != 58 || got.Skipped != 1 || got.Pending != 0 {
			t.Fatalf("final %s %+v", got.Status, got.BroadcastCounts)
		}
		r := rows(t, db, b.ID)
		if d := r[late]; d.Status != segmentbot.DeliverySkipped || d.Reason != segmentbot.DeliveryOptedOut {
			t.Errorf("late opt-out row %+v", d)
		}
		if _, ok := r[w.members[0]]; ok {
			t.Errorf("the member opted out before has a row")
		}
		if d := r[w.members[1]]; d.Status != segmentbot.DeliverySent || d.SentAt == nil || d.Attempts != 1 {
			t.Errorf("row %+v", d)
		}
		// The report is recorded: a later owner does not report it again.
		time.Sleep(200 * time.Millisecond)
		if n := len(rep.finished); n != 1 {
			t.Errorf("%d final reports, want 1", n)
		}
	})
}

func TestProgressAtMostOnceASecond(t *testing.T) {
	db := storetest.Open(t, "sqlite")
	w := newWorld(t, db, 120)
	w.broadcast(t)
	fake, rep := newFakeSender(), newFakeReporter()
	start(t, broadcaster.Config{Store: db, Senders: map[string]segmentbot.Sender{segmentbot.ChannelTeams: fake},
		Reporter: rep, Rate: 30})
	got := rep.wait(t, 20*time.Second)
	if got.Sent != 120 {
		t.Fatalf("sent %d", got.Sent)
	}
	rep.mu.Lock()
	defer rep.mu.Unlock()
	// 120 at 30/s take 4 s: a report about every second, none closer.
	if len(rep.progress) < 3 {
		t.Errorf("%d progress reports in 4 s of sending, want one about every second", len(rep.progress))
	}
	for i := 1; i < len(rep.progress); i++ {
		if gap := rep.progress[i].Sub(rep.progress[i-1]); gap < 990*time.Millisecond {
			t.Errorf("progress reports %v apart", gap)
		}
	}
	if rep.last == nil || rep.last.Sent == 0 || rep.last.Audience != 120 {
		t.Errorf("last progress %+v", rep.last)
	}
}

func TestPaceNeverPassesTheRate(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		const rate = 50
		w := newWorld(t, db, 200)
		w.broadcast(t)
		fake, rep := newFakeSender(), newFakeReporter()
		began := time.Now()
		start(t, broadcaster.Config{Store: db, Senders: map[string]segmentbot.Sender{segmentbot.ChannelTeams: fake},
			Reporter: rep, Rate: rate})
		rep.wait(t, 30*time.Second)
		took := time.Since(began)
		fake.once(t, w.members)
		if most := fake.busiestSecond(); most > rate*11/10 {
			t.Errorf("%d sends in one second, want at most %d (rate %d + 10 %%)", most, rate*11/10, rate)
		}
		// And it keeps up: 200 at 50/s take 4 s.
		if took > 6*time.Second {
			t.Errorf("200 sends at %d/s took %v", rate, took)
		}
	})
}

// throttled is a 429 as the Teams channel reports it.
func throttled(after time.Duration) error {
	return &segmentbot.DeliveryFailure{Reason: segmentbot.DeliveryThrottled, Retry: true, RetryAfter: after, Err: errors.New("429")}
}

func serverError() error {
	return &segmentbot.DeliveryFailure{Reason: segmentbot.DeliveryError, Retry: true, Err: errors.New("503")}
}

func TestOnceThrough429StormsAnd5xxBursts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db, 80)
		b := w.broadcast(t)
		fake, rep := newFakeSender(), newFakeReporter()
		var calls atomic.Int64
		var stormStart atomic.Int64
		hopeless := w.members[7]
		blocked := w.members[8]
		choked := w.members[9]
		fake.fail = func(u *segmentbot.User, try int) error {
			n := calls.Add(1)
			if n == 10 {
				stormStart.Store(time.Now().UnixNano())
			}
			storm := stormStart.Load() > 0 && time.Since(time.Unix(0, stormStart.Load())) < 700*time.Millisecond
			switch {
			case u.ID == hopeless:
				return serverError()
			case u.ID == blocked:
				return &segmentbot.DeliveryFailure{Reason: segmentbot.DeliveryBlocked, Err: errors.New("403 ConversationBlockedByUser")}
			case u.ID == choked:
				return throttled(10 * time.Millisecond)
			case storm: // a 429 storm of 0.7 s, each answer asking for 300 ms
				return throttled(300 * time.Millisecond)
			case n >= 60 && n < 75: // a burst of 503s
				return serverError()
			}
			return nil
		}
		start(t, broadcaster.Config{Store: db, Senders: map[string]segmentbot.Sender{segmentbot.ChannelTeams: fake},
			Reporter: rep, Rate: 200, MaxAttempts: 5})
		got := rep.wait(t, 30*time.Second)
		var want []int64
		for _, id := range w.members {
			if id != hopeless && id != blocked && id != choked {
				want = append(want, id)
			}
		}
		fake.once(t, want)
		if got.Status != segmentbot.BroadcastSentWithErrors || got.Sent != 77 || got.Failed != 3 ||
			got.FailedByReason[segmentbot.DeliveryError] != 1 || got.FailedByReason[segmentbot.DeliveryBlocked] != 1 ||
			got.FailedByReason[segmentbot.DeliveryThrottled] != 1 {
			t.Fatalf("final %s %+v", got.Status, got.BroadcastCounts)
		}
		r := rows(t, db, b.ID)
		if d := r[hopeless]; d.Attempts != 5 || d.Reason != segmentbot.DeliveryError {
			t.Errorf("hopeless row %+v, want 5 attempts then error", d)
		}
		if d := r[choked]; d.Attempts != 5 || d.Reason != segmentbot.DeliveryThrottled {
			t.Errorf("always throttled row %+v, want 5 attempts then throttled", d)
		}
		if d := r[blocked]; d.Attempts != 1 || d.Reason != segmentbot.DeliveryBlocked {
			t.Errorf("blocked row %+v, want one attempt (not retried)", d)
		}
		fake.mu.Lock()
		defer fake.mu.Unlock()
		if fake.tries[blocked] != 1 || fake.tries[hopeless] != 5 {
			t.Errorf("tries: blocked %d, hopeless %d", fake.tries[blocked], fake.tries[hopeless])
		}
	})
}

func TestA429HoldsTheWholeTenant(t *testing.T) {
	db := storetest.Open(t, "sqlite")
	w := newWorld(t, db, 40)
	w.broadcast(t)
	fake, rep := newFakeSender(), newFakeReporter()
	var first atomic.Bool
	var heldAt time.Time
	fake.fail = func(u *segmentbot.User, try int) error {
		if first.CompareAndSwap(false, true) {
			heldAt = time.Now()
			return throttled(time.Second)
		}
		return nil
	}
	start(t, broadcaster.Config{Store: db, Senders: map[string]segmentbot.Sender{segmentbot.ChannelTeams: fake},
		Reporter: rep, Rate: 100})
	rep.wait(t, 20*time.Second)
	fake.once(t, w.members)
	fake.mu.Lock()
	defer fake.mu.Unlock()
	// Sends already on their way may land; after them nothing for a second.
	var during int
	for _, at := range fake.times {
		if at.After(heldAt.Add(100*time.Millisecond)) && at.Before(heldAt.Add(time.Second)) {
			during++
		}
	}
	if during > 0 {
		t.Errorf("%d sends while the tenant was held by Retry-After", during)
	}
}

func TestCancelStopsTheRestWithinASecond(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newWorld(t, db, 100)
		b := w.broadcast(t)
		fake, rep := newFakeSender(), newFakeReporter()
		start(t, broadcaster.Config{Store: db, Senders: map[string]segmentbot.Sender{segmentbot.ChannelTeams: fake},
			Reporter: rep, Rate: 40})
		for {
			fake.mu.Lock()
			n := len(fake.sends)
			fake.mu.Unlock()
			if n >= 20 {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		if _, err := db.CancelBroadcast(ctx, b.ID); err != nil {
			t.Fatal(err)
		}
		cancelled := time.Now()
		got := rep.wait(t, 10*time.Second)
		fake.mu.Lock()
		var after int
		for _, at := range fake.times {
			if at.After(cancelled.Add(time.Second)) {
				after++
			}
		}
		sent := len(fake.sends)
		fake.mu.Unlock()
		if after > 0 {
			t.Errorf("%d sends more than a second after the cancel", after)
		}
		if got.Status != segmentbot.BroadcastCancelled || got.FinishedAt == nil || got.Sent != int64(sent) ||
			got.Pending != 100-int64(sent) || got.Pending == 0 {
			t.Fatalf("final %s %+v after %d sends", got.Status, got.BroadcastCounts, sent)
		}
		var pending int
		for _, d := range rows(t, db, b.ID) {
			if d.Status == segmentbot.DeliveryPending {
				pending++
			}
		}
		if int64(pending) != got.Pending {
			t.Errorf("%d rows pending, counts say %d", pending, got.Pending)
		}
	})
}

func TestTwoReplicasShareOneBroadcast(t *testing.T) {
	dbs := twoReplicas(t)
	const rate = 100
	w := newWorld(t, dbs[0], 400)
	w.broadcast(t)
	fake, rep := newFakeSender(), newFakeReporter()
	fake.delay = 5 * time.Millisecond
	var perReplica [2]atomic.Int64
	for i := range 2 {
		start(t, broadcaster.Config{Store: dbs[i], Senders: map[string]segmentbot.Sender{segmentbot.ChannelTeams: counting{fake, &perReplica[i]}},
			Reporter: rep, Rate: rate, Batch: 20})
	}
	got := rep.wait(t, 30*time.Second)
	fake.once(t, w.members)
	if got.Sent != 400 {
		t.Fatalf("final %+v", got.BroadcastCounts)
	}
	if perReplica[0].Load() == 0 || perReplica[1].Load() == 0 {
		t.Errorf("sends per replica %d and %d: one did all the work", perReplica[0].Load(), perReplica[1].Load())
	}
	if most := fake.busiestSecond(); most > rate*11/10 {
		t.Errorf("%d sends in one second across both replicas, want at most %d", most, rate*11/10)
	}
	time.Sleep(300 * time.Millisecond)
	if n := len(rep.finished); n != 1 {
		t.Errorf("%d final reports, want 1", n)
	}
}

// counting counts the sends one replica made.
type counting struct {
	*fakeSender
	n *atomic.Int64
}

func (c counting) SendBroadcast(ctx context.Context, u *segmentbot.User, msg segmentbot.Message) error {
	c.n.Add(1)
	return c.fakeSender.SendBroadcast(ctx, u, msg)
}

func TestRowsClaimedAheadKeepTheirLeaseUntilSent(t *testing.T) {
	// Each replica claims its next batch while the current one is still
	// to go; at this pace that takes longer than a lease. The
	// rows claimed ahead are renewed from their claim on, so the other
	// replica never takes them over and nobody gets two copies.
	dbs := twoReplicas(t)
	const rate = 60
	w := newWorld(t, dbs[0], 300)
	w.broadcast(t)
	fake, rep := newFakeSender(), newFakeReporter()
	for i := range 2 {
		start(t, broadcaster.Config{Store: dbs[i], Senders: map[string]segmentbot.Sender{segmentbot.ChannelTeams: fake},
			Reporter: rep, Rate: rate, Batch: 120, Lease: 900 * time.Millisecond})
	}
	got := rep.wait(t, time.Minute)
	fake.once(t, w.members)
	if got.Sent != 300 {
		t.Fatalf("final %+v", got.BroadcastCounts)
	}
}

// twoReplicas opens two stores on one PostgreSQL schema, as two processes
// would have.
func twoReplicas(t *testing.T) [2]*store.DB {
	t.Helper()
	dsn := storetest.DSN(t, "postgres")
	var dbs [2]*store.DB
	for i := range dbs {
		db, err := store.Open(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		dbs[i] = db
	}
	return dbs
}
