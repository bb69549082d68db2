package bot_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/segmentbot/segmentbot"
	"github.com/segmentbot/segmentbot/bot"
	"github.com/segmentbot/segmentbot/store"
	"github.com/segmentbot/segmentbot/store/storetest"
)

// cardLog is a Messenger that keeps every card sent and every update of
// one in place, by message id.
type cardLog struct {
	mu      sync.Mutex
	next    int
	sent    []string            // message ids in order, "to:id"
	cards   map[string][]string // message id -> its versions, flattened
	noEdit  bool
	updates int
}

func (c *cardLog) Send(_ context.Context, to *segmentbot.User, msg segmentbot.Message) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.next++
	id := fmt.Sprintf("msg-%d", c.next)
	c.sent = append(c.sent, to.ExternalID+":"+id)
	c.cards[id] = append(c.cards[id], flatten(msg))
	return id, nil
}

func (c *cardLog) Update(_ context.Context, _ *segmentbot.User, id string, msg segmentbot.Message) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.noEdit {
		return segmentbot.Errorf(segmentbot.EINVALID, "this channel cannot edit")
	}
	c.updates++
	c.cards[id] = append(c.cards[id], flatten(msg))
	return nil
}

var segmentSeq atomic.Int64

// reportWorld is a bot whose Teams messenger is a cardLog.
func reportWorld(t *testing.T, db *store.DB, admins ...string) (*world, *cardLog, *bot.Reporter) {
	w := newWorld(t, db)
	log := &cardLog{cards: map[string][]string{}}
	w.bot = bot.New(bot.Config{Admins: append([]string{"admin@contoso.com"}, admins...), PublicURL: "https://bot.example.com",
		Now: func() time.Time { return w.now }}, db, w.signer, w.imports, nil, map[string]segmentbot.Messenger{segmentbot.ChannelTeams: log})
	return w, log, w.bot.Reporter()
}

func sendingBroadcast(t *testing.T, w *world, createdBy int64) *segmentbot.Broadcast {
	t.Helper()
	seg := &segmentbot.Segment{Name: fmt.Sprint("News ", segmentSeq.Add(1))}
	if err := w.db.CreateSegment(w.ctx, seg); err != nil {
		t.Fatal(err)
	}
	b := &segmentbot.Broadcast{SegmentID: seg.ID, Name: "Monday news", ScheduledAt: w.now, CreatedBy: createdBy,
		Message: &segmentbot.BroadcastMessage{Text: "Hi"}}
	if err := w.db.CreateBroadcast(w.ctx, b); err != nil {
		t.Fatal(err)
	}
	b.Status, b.Audience, b.Pending = segmentbot.BroadcastSending, 2400, 2400
	return b
}

func TestBroadcastProgressCard(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w, log, rep := reportWorld(t, db)
		b := sendingBroadcast(t, w, w.admin.ID)
		t.Run("the first call sends the card, later ones update it in place", func(t *testing.T) {
			for i := range 5 {
				b.Sent, b.Failed, b.Pending = int64(400*i), int64(i), 2400-int64(401*i)
				rep.Progress(w.ctx, b, time.Duration(5-i)*time.Minute)
				w.now = w.now.Add(time.Second)
			}
			if len(log.sent) != 1 || log.updates != 4 {
				t.Fatalf("sent %v and %d updates; want one card updated 4 times", log.sent, log.updates)
			}
			versions := log.cards["msg-1"]
			wantContains(t, versions[0], "Sending Monday news", "2,400 people", "cancel broadcast", "Sent: 0", "Left: 2,400", "Time left: about 5 minutes")
			wantContains(t, versions[4], "Sent: 1,600", "Failed: 4", "Left: 796", "Time left: about 1 minute")
		})
		t.Run("calls closer than a second apart are not shown", func(t *testing.T) {
			before := log.updates
			for range 10 {
				rep.Progress(w.ctx, b, time.Minute)
				w.now = w.now.Add(100 * time.Millisecond)
			}
			if n := log.updates - before; n != 1 {
				t.Fatalf("%d updates within one second, want 1", n)
			}
		})
		t.Run("the card id is kept, so another replica updates the same card", func(t *testing.T) {
			got, err := db.FindBroadcastByID(w.ctx, b.ID)
			if err != nil || !strings.Contains(got.ProgressMessage, "msg-1") {
				t.Fatalf("stored card ids %q, %v", got.ProgressMessage, err)
			}
			b.ProgressMessage = got.ProgressMessage
			other := w.bot.Reporter()
			w.now = w.now.Add(2 * time.Second)
			other.Progress(w.ctx, b, time.Minute)
			if len(log.sent) != 1 {
				t.Fatalf("the new owner sent a second card: %v", log.sent)
			}
		})
		t.Run("the report replaces the card", func(t *testing.T) {
			finished := w.now.Add(time.Minute)
			started := finished.Add(-62 * time.Second)
			b.Status, b.Sent, b.Failed, b.Skipped, b.Pending = segmentbot.BroadcastSentWithErrors, 2390, 8, 2, 0
			b.FailedByReason = map[string]int64{segmentbot.DeliveryBlocked: 3, segmentbot.DeliveryNotReachable: 4, segmentbot.DeliveryThrottled: 1}
			b.StartedAt, b.FinishedAt = &started, &finished
			if err := rep.Finished(w.ctx, b); err != nil {
				t.Fatal(err)
			}
			if len(log.sent) != 1 {
				t.Fatalf("the report was sent as a new message: %v", log.sent)
			}
			report := log.cards["msg-1"][len(log.cards["msg-1"])-1]
			wantContains(t, report, "Monday news: sent with errors", "Recipients: 2,400", "Sent: 2,390", "Failed: 8", "Skipped (opted out): 2",
				"Took: 1 minute", "Why copies did not go out:",
				"• the bot cannot reach them (not in its teams, or it was removed): 4",
				"• they blocked the bot: 3",
				"• Teams kept refusing (too many requests) after every retry: 1",
				"[Download deliveries.csv]")
			if strings.Index(report, "cannot reach") > strings.Index(report, "blocked the bot") {
				t.Errorf("reasons out of order: %s", report)
			}
		})
	})
}

func TestAFilteredBroadcastsCardsStateTheFilter(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w, log, rep := reportWorld(t, db)
		b := sendingBroadcast(t, w, w.admin.ID)
		b.Filter = &segmentbot.Filter{All: []segmentbot.Condition{{Attribute: "department", Op: segmentbot.OpIn, Values: []string{"Sales", "HR"}}}}
		rep.Progress(w.ctx, b, time.Minute)
		finished := w.now.Add(time.Minute)
		b.Status, b.Sent, b.Pending, b.StartedAt, b.FinishedAt = segmentbot.BroadcastSent, 2400, 0, &w.now, &finished
		if err := rep.Finished(w.ctx, b); err != nil {
			t.Fatal(err)
		}
		versions := log.cards["msg-1"]
		wantContains(t, versions[0], "To News ", " where department is Sales or HR: 2,400 people.")
		wantContains(t, versions[len(versions)-1], "Segment: News ", " where department is Sales or HR\nRecipients: 2,400")
	})
}

func TestBroadcastReportWording(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w, log, rep := reportWorld(t, db)
		last := func() string {
			id := log.sent[len(log.sent)-1]
			id = id[strings.LastIndex(id, ":")+1:]
			return log.cards[id][len(log.cards[id])-1]
		}
		for _, tt := range []struct {
			status string
			counts segmentbot.BroadcastCounts
			says   []string
		}{
			{segmentbot.BroadcastSent, segmentbot.BroadcastCounts{Audience: 3, Sent: 3}, []string{"Monday news: sent", "Every copy went out."}},
			{segmentbot.BroadcastFailed, segmentbot.BroadcastCounts{Audience: 2, Failed: 2, FailedByReason: map[string]int64{segmentbot.DeliveryError: 1, segmentbot.DeliveryLeftTenant: 1}},
				[]string{"Monday news: failed", "No copy went out.", "• no longer in the organisation: 1", "• an error on the channel's side (details in the log): 1"}},
			{segmentbot.BroadcastCancelled, segmentbot.BroadcastCounts{Audience: 10, Sent: 4, Pending: 6},
				[]string{"Monday news: cancelled", "Cancelled while sending: 6 people never got it.", "Not sent (cancelled): 6"}},
		} {
			t.Run(tt.status, func(t *testing.T) {
				b := sendingBroadcast(t, w, w.admin.ID)
				b.Status, b.BroadcastCounts = tt.status, tt.counts
				if err := rep.Finished(w.ctx, b); err != nil {
					t.Fatal(err)
				}
				wantContains(t, last(), tt.says...)
				wantContains(t, last(), "[Download deliveries.csv]")
			})
		}
		t.Run("the link is a signed deliveries download", func(t *testing.T) {
			url := w.bot.DeliveriesURL(42)
			kind, id, err := w.signer.ParseDownloadToken(url[strings.LastIndex(url, "/")+1:], w.now)
			if err != nil || kind != "deliveries" || id != 42 || !strings.HasPrefix(url, "https://bot.example.com/downloads/") {
				t.Fatalf("%s: %s %d %v", url, kind, id, err)
			}
		})
		t.Run("a channel that cannot edit gets the first card and the report, nothing between", func(t *testing.T) {
			log.noEdit = true
			defer func() { log.noEdit = false }()
			before := len(log.sent)
			b := sendingBroadcast(t, w, w.admin.ID)
			for range 3 {
				rep.Progress(w.ctx, b, time.Minute)
				w.now = w.now.Add(2 * time.Second)
			}
			b.Status = segmentbot.BroadcastSent
			if err := rep.Finished(w.ctx, b); err != nil {
				t.Fatal(err)
			}
			if n := len(log.sent) - before; n != 2 {
				t.Fatalf("%d messages, want the card and the report", n)
			}
		})
	})
}

func TestRESTBroadcastReportsToAdminsWithAChat(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w, log, rep := reportWorld(t, db, "aad-second", "nochat@contoso.com")
		second := w.user("second", "second@contoso.com")
		noChat := &segmentbot.User{Channel: segmentbot.ChannelTeams, ExternalID: "29:nochat", Email: "nochat@contoso.com", Name: "No chat"}
		if err := db.UpsertUser(w.ctx, noChat); err != nil {
			t.Fatal(err)
		}
		w.user("someone", "someone@contoso.com") // has a chat, not an admin
		b := sendingBroadcast(t, w, 0)
		rep.Progress(w.ctx, b, time.Minute)
		b.Status, b.Sent, b.Pending = segmentbot.BroadcastSent, 2400, 0
		if err := rep.Finished(w.ctx, b); err != nil {
			t.Fatal(err)
		}
		var to []string
		for _, s := range log.sent {
			to = append(to, s[:strings.LastIndex(s, ":")])
		}
		if fmt.Sprint(to) != fmt.Sprint([]string{w.admin.ExternalID, second.ExternalID}) {
			t.Fatalf("cards went to %v, want the two admins with a chat", to)
		}
		for _, id := range []string{"msg-1", "msg-2"} {
			wantContains(t, log.cards[id][len(log.cards[id])-1], "Monday news: sent")
		}
	})
}
