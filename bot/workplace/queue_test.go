package workplace

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/segmentbot/segmentbot/bot"
	"github.com/segmentbot/segmentbot/bot/workplace/workplacetest"
	"github.com/segmentbot/segmentbot/handlers"
)

// Issue 15.6: a signed batch of 5,000 events is answered 200 within
// Meta's 20 s through the real endpoint; every event is then handled
// exactly once (by the request for a few seconds, then by queue workers,
// here of a second replica after the first one stopped); a redelivery
// changes nothing.
func TestAFiveThousandEventBatchIsAnsweredInTimeAndHandledOnce(t *testing.T) {
	const n = 5000
	eachStore(t, func(t *testing.T, dialect string) {
		s := newSetup(t, dialect)
		srv := httptest.NewServer(handlers.New(handlers.Deps{Workplace: s.ch}))
		defer srv.Close()
		events := make([]workplacetest.Event, n)
		for i := range events {
			events[i] = workplacetest.Event{Sender: fmt.Sprint(300000 + i), Community: "c", Page: "bot",
				MID: fmt.Sprintf("m.big-%d", i), Text: "my segments", Timestamp: 1700000000000 + int64(i)}
		}
		body := workplacetest.Body(events...)
		post := func() (int, time.Duration) {
			start := time.Now()
			req, _ := http.NewRequest(http.MethodPost, srv.URL+"/webhooks/workplace", bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("X-Hub-Signature-256", workplacetest.Sign(testSecret, body))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			return resp.StatusCode, time.Since(start)
		}
		// The contract is Meta's: an answer within 20 s, or the batch
		// counts as failed and comes again.
		if code, took := post(); code != http.StatusOK || took > 20*time.Second {
			t.Fatalf("status %d after %s; want 200 within Meta's 20 s", code, took)
		}
		handledInline := len(s.bot.Events())
		t.Logf("%d of %d events handled within the request", handledInline, n)

		// The replica that took the request stops; another one's workers
		// finish the queue.
		ctx, stop := context.WithCancel(context.Background())
		defer stop()
		go newReplica(t, s).RunQueue(ctx, 2)
		deadline := time.Now().Add(3 * time.Minute)
		for len(s.bot.Events()) < n && time.Now().Before(deadline) {
			time.Sleep(100 * time.Millisecond)
		}
		if code, _ := post(); code != http.StatusOK { // a redelivery
			t.Fatalf("redelivery: status %d", code)
		}
		time.Sleep(2 * queuePoll)
		seen := map[string]int{}
		for _, ev := range s.bot.Events() {
			seen[ev.ID]++
		}
		for i := range n {
			if c := seen[fmt.Sprintf("m.big-%d", i)]; c != 1 {
				t.Fatalf("event %d handled %d times, want once (%d events in all)", i, c, len(s.bot.Events()))
			}
		}
		if got := len(s.graph.Sent()); got != n {
			t.Fatalf("%d replies, want %d", got, n)
		}
		if left, err := s.ch.queue().ClaimEvents(context.Background(), "workplace", 10, time.Second); err != nil || len(left) != 0 {
			t.Fatalf("%d events still queued (%v)", len(left), err)
		}
	})
}

// newReplica is a second channel on s's database, Graph and bot.
func newReplica(t *testing.T, s *setup) *Channel {
	t.Helper()
	ch, err := New(s.ch.cfg, bot.NewEntrance(s.bot, s.users, s.users), s.users)
	if err != nil {
		t.Fatal(err)
	}
	ch.graph.backoff = time.Millisecond
	return ch
}
