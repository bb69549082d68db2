package scheduler_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/segmentbot/segmentbot"
	"github.com/segmentbot/segmentbot/scheduler"
	"github.com/segmentbot/segmentbot/store"
	"github.com/segmentbot/segmentbot/store/storetest"
)

// lateWorld is a world with one late upload before one broadcast: two
// warnings (author and uploader) are due.
func lateWorld(t *testing.T, db *store.DB) (*world, []string) {
	w := newWorld(t, db)
	imp := w.upload(largeRows, start.Add(-time.Hour))
	b := w.broadcast("Newsletter", start.Add(5*time.Hour))
	return w, []string{w.key(w.author, b, imp), w.key(w.uploader, b, imp)}
}

func assertDeliveredOnce(t *testing.T, w *world, want []string) {
	t.Helper()
	got := w.teams.counts()
	for _, k := range want {
		if got[k] != 1 {
			t.Errorf("warning %q delivered %d times, want once", k, got[k])
		}
	}
	if w.teams.total() != len(want) {
		t.Errorf("%d sends, want %d: %v", w.teams.total(), len(want), got)
	}
}

func TestTwoReplicasCheckingAtOnceSendEachWarningOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w, want := lateWorld(t, db)
		replicas := []*scheduler.Scheduler{w.scheduler("replica-a"), w.scheduler("replica-b")}
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for round := 0; round < 4; round++ {
			for _, s := range replicas {
				wg.Add(1)
				go func() {
					defer wg.Done()
					errs <- s.CheckNow(context.Background())
				}()
			}
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Errorf("CheckNow: %v", err)
			}
		}
		assertDeliveredOnce(t, w, want)
		if n := len(w.warnings()); n != len(want) {
			t.Errorf("%d warning rows, want %d", n, len(want))
		}
	})
}

func TestRestartBetweenCheckAndSend(t *testing.T) {
	t.Run("warnings written before a crash are sent once by the next replica", func(t *testing.T) {
		storetest.Each(t, func(t *testing.T, db *store.DB) {
			w, want := lateWorld(t, db)
			crashed := w.scheduler("replica-a")
			if n, err := crashed.CreateWarnings(w.ctx); err != nil || n != len(want) {
				t.Fatalf("CreateWarnings = %d, %v; want %d", n, err, len(want))
			}
			// replica-a dies here, before sending anything.
			next := w.scheduler("replica-b")
			for range 2 {
				if err := next.CheckNow(w.ctx); err != nil {
					t.Fatal(err)
				}
			}
			assertDeliveredOnce(t, w, want)
		})
	})
	t.Run("warnings claimed by a crashed replica wait for its lease, then are sent once", func(t *testing.T) {
		storetest.Each(t, func(t *testing.T, db *store.DB) {
			w, want := lateWorld(t, db)
			crashed := w.scheduler("replica-a")
			if _, err := crashed.CreateWarnings(w.ctx); err != nil {
				t.Fatal(err)
			}
			claimed, err := db.ClaimWarnings(w.ctx, "replica-a", time.Minute, 100)
			if err != nil || len(claimed) != len(want) {
				t.Fatalf("claim = %d, %v; want %d", len(claimed), err, len(want))
			}
			// replica-a dies holding the lease.
			next := w.scheduler("replica-b")
			if err := next.CheckNow(w.ctx); err != nil {
				t.Fatal(err)
			}
			if n := w.teams.total(); n != 0 {
				t.Fatalf("%d sends while another replica held the lease, want 0", n)
			}
			w.clock.Set(start.Add(2 * time.Minute))
			for range 2 {
				if err := next.CheckNow(w.ctx); err != nil {
					t.Fatal(err)
				}
			}
			assertDeliveredOnce(t, w, want)
		})
	})
}

func TestFailedSendIsRetriedOnTheNextCheck(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w, want := lateWorld(t, db)
		w.teams.failures = 3 // the first check fails both, the second one of them
		s := w.scheduler("replica-1", func(c *scheduler.Config) { c.MaxAttempts = 5 })

		if err := s.CheckNow(w.ctx); err != nil {
			t.Fatal(err)
		}
		if n := w.teams.total(); n != 0 {
			t.Fatalf("first check delivered %d, want 0 (both sends fail)", n)
		}
		for _, wr := range w.warnings() {
			if wr.Status != segmentbot.WarningPending || wr.Attempts != 1 || !strings.Contains(wr.LastError, "503") {
				t.Errorf("after a failed send: %+v, want pending, 1 attempt, the error kept", wr)
			}
		}
		for range 3 {
			if err := s.CheckNow(w.ctx); err != nil {
				t.Fatal(err)
			}
		}
		assertDeliveredOnce(t, w, want)
		for _, wr := range w.warnings() {
			if wr.Status != segmentbot.WarningSent || wr.SentAt == nil {
				t.Errorf("warning %d is %s, want sent", wr.ID, wr.Status)
			}
		}
	})
}

func TestSendIsGivenUpAfterMaxAttempts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w, _ := lateWorld(t, db)
		w.teams.failures = 1000
		s := w.scheduler("replica-1", func(c *scheduler.Config) { c.MaxAttempts = 2 })
		for range 4 {
			if err := s.CheckNow(w.ctx); err != nil {
				t.Fatal(err)
			}
		}
		for _, wr := range w.warnings() {
			if wr.Status != segmentbot.WarningFailed || wr.Attempts != 2 {
				t.Errorf("warning %d: %s after %d attempts, want failed after 2", wr.ID, wr.Status, wr.Attempts)
			}
		}
		if failures := 1000 - w.teams.failures; failures != 4 {
			t.Errorf("%d send attempts, want 4 (2 warnings × 2)", failures)
		}
	})
}

func TestUndeliverableWarningsFailAtOnceWithAClearError(t *testing.T) {
	tests := []struct {
		name    string
		change  func(w *world)
		wantErr string
	}{
		{"a recipient who never talked to the bot has no conversation", func(w *world) {
			w.uploader = w.user("29:silent", "Sam Silent", "", "")
		}, "no conversation with the bot"},
		{"a recipient on a channel without a messenger", func(w *world) {
			u := &segmentbot.User{Channel: segmentbot.ChannelWorkplace, ExternalID: "1000042", Name: "Wanda Workplace",
				ConvRef: `{"recipient":"1000042"}`, LastSeen: start}
			if err := w.db.UpsertUser(w.ctx, u); err != nil {
				w.t.Fatal(err)
			}
			w.uploader = u
		}, `no messenger for channel "workplace"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, db *store.DB) {
				w := newWorld(t, db)
				tt.change(w)
				imp := w.upload(largeRows, start.Add(-time.Hour))
				b := w.broadcast("Newsletter", start.Add(5*time.Hour))
				s := w.scheduler("replica-1")
				for range 2 {
					if err := s.CheckNow(w.ctx); err != nil {
						t.Fatal(err)
					}
				}
				assertDeliveredOnce(t, w, []string{w.key(w.author, b, imp)})
				for _, wr := range w.warnings() {
					if wr.UserID != w.uploader.ID {
						continue
					}
					if wr.Status != segmentbot.WarningFailed || wr.Attempts != 1 || !strings.Contains(wr.LastError, tt.wantErr) {
						t.Errorf("undeliverable warning = %s after %d attempts (%q), want failed at once with %q",
							wr.Status, wr.Attempts, wr.LastError, tt.wantErr)
					}
				}
			})
		})
	}
}

func TestWarningForACancelledBroadcastIsNotSent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		w.upload(largeRows, start.Add(-time.Hour))
		b := w.broadcast("Newsletter", start.Add(5*time.Hour))
		s := w.scheduler("replica-1")
		if _, err := s.CreateWarnings(w.ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := db.CancelBroadcast(w.ctx, b.ID); err != nil {
			t.Fatal(err)
		}
		if err := s.CheckNow(w.ctx); err != nil {
			t.Fatal(err)
		}
		if n := w.teams.total(); n != 0 {
			t.Errorf("%d warnings sent about a cancelled broadcast, want 0", n)
		}
		for _, wr := range w.warnings() {
			if wr.Status != segmentbot.WarningFailed || !strings.Contains(wr.LastError, "cancelled") {
				t.Errorf("warning %d: %s %q, want failed naming the cancellation", wr.ID, wr.Status, wr.LastError)
			}
		}
	})
}

func TestWarningIsShownInTheRecipientsTimeZone(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w, _ := lateWorld(t, db)
		if err := w.scheduler("replica-1").CheckNow(w.ctx); err != nil {
			t.Fatal(err)
		}
		zones := map[int64]string{}
		for _, s := range w.teams.sent {
			zones[s.UserID] = fact(s.Msg, "Broadcast")
		}
		// start+5h is 15:00 UTC, 16:00 in Berlin.
		if got, want := zones[w.author.ID], "Newsletter — Mon 2 Nov 2026 16:00 CET (Europe/Berlin)"; got != want {
			t.Errorf("author (Berlin) sees %q, want %q", got, want)
		}
		if got, want := zones[w.uploader.ID], "Newsletter — Mon 2 Nov 2026 15:00 UTC"; got != want {
			t.Errorf("uploader (no zone) sees %q, want %q", got, want)
		}
	})
}

func TestOverlappingChecksInOneReplicaDoNotPileUp(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w, want := lateWorld(t, db)
		entered := make(chan struct{})
		release := make(chan struct{})
		var once sync.Once
		w.teams.block = func() {
			once.Do(func() { close(entered) })
			<-release
		}
		s := w.scheduler("replica-1")
		done := make(chan error, 1)
		go func() { done <- s.CheckNow(context.Background()) }()
		<-entered // the first check is sending

		if err := s.ScheduledCheck(w.ctx); err != nil {
			t.Errorf("a clock run during a check should skip quietly, got %v", err)
		}
		if !strings.Contains(w.logs.String(), "skipped") {
			t.Error("the skipped clock run was not logged")
		}
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		defer cancel()
		if err := s.CheckNow(ctx); err == nil {
			t.Error("CheckNow during a running check should wait for it and give up with its context")
		}
		close(release)
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		assertDeliveredOnce(t, w, want)
	})
}
