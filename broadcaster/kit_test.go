package broadcaster_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/segmentbot/segmentbot"
	"github.com/segmentbot/segmentbot/broadcaster"
	"github.com/segmentbot/segmentbot/store"
)

// fakeSender records every send; fail, when set, decides a send's error
// from the user and how often the user was tried before.
type fakeSender struct {
	mu    sync.Mutex
	sends map[int64]int // successful sends per user
	tries map[int64]int
	times []time.Time // of every call
	fail  func(u *segmentbot.User, try int) error
	delay time.Duration
}

func newFakeSender() *fakeSender {
	return &fakeSender{sends: map[int64]int{}, tries: map[int64]int{}}
}

func (f *fakeSender) SendBroadcast(ctx context.Context, u *segmentbot.User, msg segmentbot.Message) error {
	if msg.Title != "Hello" || msg.Text == "" {
		return fmt.Errorf("fake: unexpected message %+v", msg)
	}
	f.mu.Lock()
	try := f.tries[u.ID]
	f.tries[u.ID]++
	f.times = append(f.times, time.Now())
	fail := f.fail
	f.mu.Unlock()
	if f.delay > 0 {
		select {
		case <-time.After(f.delay):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if fail != nil {
		if err := fail(u, try); err != nil {
			return err
		}
	}
	f.mu.Lock()
	f.sends[u.ID]++
	f.mu.Unlock()
	return nil
}

// once checks that every user of want got exactly one message and nobody
// else got any.
func (f *fakeSender) once(t *testing.T, want []int64) {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, id := range want {
		if n := f.sends[id]; n != 1 {
			t.Errorf("user %d got %d messages, want 1", id, n)
		}
	}
	if len(f.sends) != len(want) {
		t.Errorf("%d users got messages, want %d", len(f.sends), len(want))
	}
}

// busiestSecond is the most calls in any window of one second.
func (f *fakeSender) busiestSecond() int {
	f.mu.Lock()
	times := slices.Clone(f.times)
	f.mu.Unlock()
	slices.SortFunc(times, func(a, b time.Time) int { return a.Compare(b) })
	most, j := 0, 0
	for i := range times {
		for times[i].Sub(times[j]) >= time.Second {
			j++
		}
		most = max(most, i-j+1)
	}
	return most
}

// fakeReporter records the reports.
type fakeReporter struct {
	mu       sync.Mutex
	progress []time.Time
	last     *segmentbot.Broadcast
	finished []*segmentbot.Broadcast
	done     chan struct{}
}

func newFakeReporter() *fakeReporter { return &fakeReporter{done: make(chan struct{}, 10)} }

func (r *fakeReporter) Progress(ctx context.Context, b *segmentbot.Broadcast, left time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.progress = append(r.progress, time.Now())
	r.last = b
}

func (r *fakeReporter) Finished(ctx context.Context, b *segmentbot.Broadcast) error {
	r.mu.Lock()
	r.finished = append(r.finished, b)
	r.mu.Unlock()
	r.done <- struct{}{}
	return nil
}

// wait waits for the Finished report and returns it.
func (r *fakeReporter) wait(t testing.TB, timeout time.Duration) *segmentbot.Broadcast {
	t.Helper()
	select {
	case <-r.done:
	case <-time.After(timeout):
		t.Fatalf("no final report after %v", timeout)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.finished[len(r.finished)-1]
}

// world is a segment of n members and a store.
type world struct {
	db      *store.DB
	seg     *segmentbot.Segment
	members []int64
}

func newWorld(t *testing.T, db *store.DB, n int) *world {
	t.Helper()
	ctx := context.Background()
	w := &world{db: db, seg: &segmentbot.Segment{Name: "News"}}
	if err := db.CreateSegment(ctx, w.seg); err != nil {
		t.Fatal(err)
	}
	users := make([]*segmentbot.User, n)
	for i := range users {
		users[i] = &segmentbot.User{Channel: segmentbot.ChannelTeams, TenantID: "t1", ExternalID: fmt.Sprintf("29:user%d", i),
			Name: fmt.Sprintf("User %d", i), Email: fmt.Sprintf("user%d@contoso.com", i), Active: true}
	}
	if err := db.UpsertUsers(ctx, users); err != nil {
		t.Fatal(err)
	}
	for _, u := range users {
		if _, err := db.Join(ctx, w.seg.ID, u.ID, segmentbot.SourceAPI, 0); err != nil {
			t.Fatal(err)
		}
		w.members = append(w.members, u.ID)
	}
	return w
}

// broadcast creates a broadcast due now.
func (w *world) broadcast(t *testing.T) *segmentbot.Broadcast {
	t.Helper()
	b := &segmentbot.Broadcast{SegmentID: w.seg.ID, Name: "Hello", ScheduledAt: time.Now(),
		Message: &segmentbot.BroadcastMessage{Title: "Hello", Text: "News for **you**"}}
	if err := w.db.CreateBroadcast(context.Background(), b); err != nil {
		t.Fatal(err)
	}
	return b
}

func compose(ctx context.Context, b *segmentbot.Broadcast, seg *segmentbot.Segment) (segmentbot.Message, error) {
	return segmentbot.Message{Title: b.Message.Title, Text: b.Message.Text + "\nYou get this because you joined " + seg.Name}, nil
}

// start runs a broadcaster with test timings until the test ends.
func start(t testing.TB, cfg broadcaster.Config) *broadcaster.Broadcaster {
	t.Helper()
	if cfg.Compose == nil {
		cfg.Compose = compose
	}
	if cfg.Poll == 0 {
		cfg.Poll = 50 * time.Millisecond
	}
	if cfg.Backoff == 0 {
		cfg.Backoff = 20 * time.Millisecond
	}
	if cfg.Lease == 0 {
		cfg.Lease = 3 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(testLog, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	b, err := broadcaster.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		b.Run(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return b
}

// rows returns the broadcast's delivery rows by user.
func rows(t *testing.T, db *store.DB, id int64) map[int64]segmentbot.Delivery {
	t.Helper()
	got := map[int64]segmentbot.Delivery{}
	if err := db.EachDelivery(context.Background(), id, func(d *segmentbot.Delivery) error {
		got[d.UserID] = *d
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return got
}

var testLog io.Writer = io.Discard
