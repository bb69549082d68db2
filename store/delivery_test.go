package store_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/segmentbot/segmentbot"
	"github.com/segmentbot/segmentbot/store"
	"github.com/segmentbot/segmentbot/store/storetest"
)

// audienceWorld is a segment of five members (one opted out since) and a
// due broadcast with a message.
type audienceWorld struct {
	seg   *segmentbot.Segment
	users []*segmentbot.User // members, by id
	out   *segmentbot.User   // opted out before the audience was fixed
	b     *segmentbot.Broadcast
}

func newAudience(t *testing.T, db *store.DB, clock *fixed) *audienceWorld {
	t.Helper()
	ctx := context.Background()
	w := &audienceWorld{seg: mustSegment(t, db, "News")}
	for i := range 5 {
		u := member(t, db, fmt.Sprintf("29:u%d", i), fmt.Sprintf("u%d@contoso.com", i))
		if _, err := db.Join(ctx, w.seg.ID, u.ID, segmentbot.SourceAPI, 0); err != nil {
			t.Fatal(err)
		}
		w.users = append(w.users, u)
	}
	w.out = member(t, db, "29:out", "out@contoso.com")
	db.Join(ctx, w.seg.ID, w.out.ID, segmentbot.SourceAPI, 0)
	if _, err := db.Leave(ctx, w.seg.ID, w.out.ID, segmentbot.SourceButton, w.out.ID, true); err != nil {
		t.Fatal(err)
	}
	w.b = &segmentbot.Broadcast{SegmentID: w.seg.ID, Name: "Hello", ScheduledAt: clock.t,
		Message: &segmentbot.BroadcastMessage{Title: "Hi", Text: "**News**", Buttons: []segmentbot.LinkButton{{Title: "Read", URL: "https://example.com"}}}}
	if err := db.CreateBroadcast(ctx, w.b); err != nil {
		t.Fatal(err)
	}
	return w
}

func TestFixAudience(t *testing.T) {
	ctx := context.Background()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		clock := useClock(db)
		w := newAudience(t, db, clock)
		got, err := db.FindBroadcastByID(ctx, w.b.ID)
		if err != nil || got.Message == nil || got.Message.Text != "**News**" || got.Message.Buttons[0].URL != "https://example.com" ||
			got.Status != segmentbot.BroadcastScheduled || got.Audience != 0 {
			t.Fatalf("stored broadcast %+v (%+v), %v", got, got.Message, err)
		}
		fixed, err := db.FixAudience(ctx, w.b.ID)
		if err != nil {
			t.Fatal(err)
		}
		if fixed.Status != segmentbot.BroadcastSending || fixed.Audience != 5 || fixed.Pending != 5 || fixed.StartedAt == nil {
			t.Fatalf("fixed %+v", fixed)
		}
		// A member who joins afterwards is not in the audience, and a second
		// call changes nothing.
		late := member(t, db, "29:late", "late@contoso.com")
		db.Join(ctx, w.seg.ID, late.ID, segmentbot.SourceAPI, 0)
		again, err := db.FixAudience(ctx, w.b.ID)
		if err != nil || again.Audience != 5 || !again.StartedAt.Equal(*fixed.StartedAt) {
			t.Fatalf("second fix %+v, %v", again, err)
		}
		var ids []int64
		db.EachDelivery(ctx, w.b.ID, func(d *segmentbot.Delivery) error {
			if d.Status != segmentbot.DeliveryPending || d.Name == "" || d.Email == "" {
				t.Errorf("row %+v", d)
			}
			ids = append(ids, d.UserID)
			return nil
		})
		if len(ids) != 5 || ids[0] != w.users[0].ID || ids[4] != w.users[4].ID {
			t.Fatalf("rows %v, want the five members", ids)
		}

		t.Run("a placeholder is never fixed", func(t *testing.T) {
			p := &segmentbot.Broadcast{SegmentID: w.seg.ID, Name: "placeholder", ScheduledAt: clock.t}
			db.CreateBroadcast(ctx, p)
			_, err := db.FixAudience(ctx, p.ID)
			wantCode(t, err, segmentbot.EINVALID)
		})
		t.Run("an invalid filter is refused, never ignored", func(t *testing.T) {
			f := &segmentbot.Broadcast{SegmentID: w.seg.ID, Name: "filtered", ScheduledAt: clock.t,
				Message: &segmentbot.BroadcastMessage{Text: "x"},
				Filter:  &segmentbot.Filter{All: []segmentbot.Condition{{Attribute: "country", Op: "is", Values: []string{"US"}}}}}
			wantCode(t, db.CreateBroadcast(ctx, f), segmentbot.EINVALID)
			if f.ID != 0 {
				t.Fatalf("a broadcast with an invalid filter was stored: %d", f.ID)
			}
		})
		t.Run("an empty message is refused", func(t *testing.T) {
			e := &segmentbot.Broadcast{SegmentID: w.seg.ID, ScheduledAt: clock.t, Message: &segmentbot.BroadcastMessage{}}
			wantCode(t, db.CreateBroadcast(ctx, e), segmentbot.EINVALID)
		})
	})
}

func TestClaimAndMarkDeliveries(t *testing.T) {
	ctx := context.Background()
	const lease = time.Minute
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		clock := useClock(db)
		w := newAudience(t, db, clock)

		owner, err := db.ClaimBroadcast(ctx, "A", clock.t, lease)
		if err != nil || owner == nil || owner.ID != w.b.ID {
			t.Fatalf("claim %+v, %v", owner, err)
		}
		if other, err := db.ClaimBroadcast(ctx, "B", clock.t, lease); err != nil || other != nil {
			t.Fatalf("a leased broadcast was claimed again: %+v, %v", other, err)
		}
		// Nothing to send before the audience is fixed.
		if got, _ := db.ClaimDeliveries(ctx, w.b.ID, "A", lease, 0, 10); len(got) != 0 {
			t.Fatalf("claimed %d rows of a scheduled broadcast", len(got))
		}
		db.FixAudience(ctx, w.b.ID)

		a, err := db.ClaimDeliveries(ctx, w.b.ID, "A", lease, 0, 2)
		if err != nil || len(a) != 2 || a[0].User.ID != w.users[0].ID || a[0].User.ExternalID != "29:u0" {
			t.Fatalf("A claimed %+v, %v", a, err)
		}
		// u2 opts out after the audience was fixed: B's claim skips it.
		db.Leave(ctx, w.seg.ID, w.users[2].ID, segmentbot.SourceKeyword, w.users[2].ID, true)
		b, err := db.ClaimDeliveries(ctx, w.b.ID, "B", lease, 0, 10)
		if err != nil || len(b) != 2 || b[0].User.ID != w.users[3].ID || b[1].User.ID != w.users[4].ID {
			t.Fatalf("B claimed %v, %v; want u3 and u4 (u0, u1 are A's, u2 opted out)", recipients(b), err)
		}
		if more, _ := db.ClaimDeliveries(ctx, w.b.ID, "C", lease, 0, 10); len(more) != 0 {
			t.Fatalf("C claimed leased rows %v", recipients(more))
		}

		err = db.MarkDeliveries(ctx, w.b.ID, []segmentbot.DeliveryResult{
			{UserID: w.users[0].ID, Status: segmentbot.DeliverySent, Attempts: 1},
			{UserID: w.users[1].ID, Status: segmentbot.DeliveryFailed, Reason: segmentbot.DeliveryBlocked, Attempts: 1},
			{UserID: w.users[3].ID, Status: segmentbot.DeliveryFailed, Reason: segmentbot.DeliveryThrottled, Attempts: 5},
		})
		if err != nil {
			t.Fatal(err)
		}
		// A row is moved once: a late second outcome changes nothing.
		db.MarkDeliveries(ctx, w.b.ID, []segmentbot.DeliveryResult{{UserID: w.users[0].ID, Status: segmentbot.DeliveryFailed, Reason: "error", Attempts: 2}})
		wantCode(t, db.MarkDeliveries(ctx, w.b.ID, []segmentbot.DeliveryResult{{UserID: w.users[4].ID, Status: segmentbot.DeliveryPending}}), segmentbot.EINTERNAL)

		got, _ := db.FindBroadcastByID(ctx, w.b.ID)
		if got.Audience != 5 || got.Sent != 1 || got.Failed != 2 || got.Skipped != 1 || got.Pending != 1 ||
			got.FailedByReason[segmentbot.DeliveryBlocked] != 1 || got.FailedByReason[segmentbot.DeliveryThrottled] != 1 {
			t.Fatalf("counts %+v", got.BroadcastCounts)
		}
		_, err = db.FinishBroadcast(ctx, w.b.ID)
		wantCode(t, err, segmentbot.ECONFLICT)

		// B dies; once its lease is over its last row is claimed again.
		clock.t = clock.t.Add(2 * lease)
		c, err := db.ClaimDeliveries(ctx, w.b.ID, "C", lease, 0, 10)
		if err != nil || len(c) != 1 || c[0].User.ID != w.users[4].ID {
			t.Fatalf("C claimed %v, %v; want u4 whose lease ran out", recipients(c), err)
		}
		db.MarkDeliveries(ctx, w.b.ID, []segmentbot.DeliveryResult{{UserID: w.users[4].ID, Status: segmentbot.DeliverySent, Attempts: 2}})
		done, err := db.FinishBroadcast(ctx, w.b.ID)
		if err != nil || done.Status != segmentbot.BroadcastSentWithErrors || done.FinishedAt == nil || done.Pending != 0 {
			t.Fatalf("finish %+v, %v", done, err)
		}
		rows := map[int64]segmentbot.Delivery{}
		db.EachDelivery(ctx, w.b.ID, func(d *segmentbot.Delivery) error { rows[d.UserID] = *d; return nil })
		if r := rows[w.users[0].ID]; r.Status != segmentbot.DeliverySent || r.SentAt == nil || r.Attempts != 1 {
			t.Errorf("u0 %+v", r)
		}
		if r := rows[w.users[2].ID]; r.Status != segmentbot.DeliverySkipped || r.Reason != segmentbot.DeliveryOptedOut || r.SentAt != nil {
			t.Errorf("u2 %+v", r)
		}
		if r := rows[w.users[3].ID]; r.Reason != segmentbot.DeliveryThrottled || r.Attempts != 5 {
			t.Errorf("u3 %+v", r)
		}

		// The owner's lease ran out too: the finished broadcast is claimed
		// for its report until that is recorded.
		rep, err := db.ClaimBroadcast(ctx, "C", clock.t, lease)
		if err != nil || rep == nil || rep.ID != w.b.ID || rep.Sent != 2 {
			t.Fatalf("claim for the report %+v, %v", rep, err)
		}
		db.MarkBroadcastReported(ctx, w.b.ID)
		clock.t = clock.t.Add(2 * lease)
		if again, err := db.ClaimBroadcast(ctx, "D", clock.t, lease); err != nil || again != nil {
			t.Fatalf("a reported broadcast was claimed: %+v, %v", again, err)
		}
		if _, err := db.RenewBroadcast(ctx, w.b.ID, "D", lease); segmentbot.ErrorCode(err) != segmentbot.ECONFLICT {
			t.Fatalf("renew by a non-owner: %v", err)
		}
		_, err = db.CancelBroadcast(ctx, w.b.ID)
		wantCode(t, err, segmentbot.ECONFLICT)
	})
}

func recipients(list []*segmentbot.Recipient) []int64 {
	var ids []int64
	for _, r := range list {
		ids = append(ids, r.User.ID)
	}
	return ids
}

func TestRenewDeliveriesNamesTheRowsItRenewed(t *testing.T) {
	ctx := context.Background()
	const lease = time.Minute
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		clock := useClock(db)
		w := newAudience(t, db, clock)
		db.FixAudience(ctx, w.b.ID)
		a, err := db.ClaimDeliveries(ctx, w.b.ID, "A", lease, 0, 3)
		if err != nil || len(a) != 3 {
			t.Fatalf("A claimed %v, %v", recipients(a), err)
		}
		// A's renewals were late: its leases ran out and B took u0.
		clock.t = clock.t.Add(2 * lease)
		if b, err := db.ClaimDeliveries(ctx, w.b.ID, "B", lease, 0, 1); err != nil || len(b) != 1 || b[0].User.ID != w.users[0].ID {
			t.Fatalf("B claimed %v, %v; want u0", recipients(b), err)
		}
		ids := []int64{w.users[0].ID, w.users[1].ID, w.users[2].ID}
		got, err := db.RenewDeliveries(ctx, w.b.ID, "A", lease, ids)
		if err != nil {
			t.Fatal(err)
		}
		slices.Sort(got)
		if want := ids[1:]; !slices.Equal(got, want) {
			t.Fatalf("A renewed %v, want %v: u0 is B's now", got, want)
		}
	})
}

func TestFinishStatuses(t *testing.T) {
	ctx := context.Background()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		clock := useClock(db)
		w := newAudience(t, db, clock)
		for _, tt := range []struct {
			name   string
			status string // of every row
			want   string
		}{
			{"all sent", segmentbot.DeliverySent, segmentbot.BroadcastSent},
			{"all failed", segmentbot.DeliveryFailed, segmentbot.BroadcastFailed},
			{"all skipped", segmentbot.DeliverySkipped, segmentbot.BroadcastSent},
		} {
			t.Run(tt.name, func(t *testing.T) {
				b := &segmentbot.Broadcast{SegmentID: w.seg.ID, Name: tt.name, ScheduledAt: clock.t, Message: &segmentbot.BroadcastMessage{Text: "x"}}
				db.CreateBroadcast(ctx, b)
				db.FixAudience(ctx, b.ID)
				var res []segmentbot.DeliveryResult
				for _, u := range w.users {
					res = append(res, segmentbot.DeliveryResult{UserID: u.ID, Status: tt.status, Reason: "error", Attempts: 1})
				}
				db.MarkDeliveries(ctx, b.ID, res)
				got, err := db.FinishBroadcast(ctx, b.ID)
				if err != nil || got.Status != tt.want {
					t.Fatalf("finished %+v, %v; want %s", got, err, tt.want)
				}
			})
		}
		t.Run("cancelled mid-send keeps its pending rows", func(t *testing.T) {
			b := &segmentbot.Broadcast{SegmentID: w.seg.ID, Name: "cancel", ScheduledAt: clock.t, Message: &segmentbot.BroadcastMessage{Text: "x"}}
			db.CreateBroadcast(ctx, b)
			db.FixAudience(ctx, b.ID)
			db.MarkDeliveries(ctx, b.ID, []segmentbot.DeliveryResult{{UserID: w.users[0].ID, Status: segmentbot.DeliverySent, Attempts: 1}})
			c, err := db.CancelBroadcast(ctx, b.ID)
			if err != nil || c.Status != segmentbot.BroadcastCancelled || c.Pending != 4 {
				t.Fatalf("cancel %+v, %v", c, err)
			}
			if again, err := db.CancelBroadcast(ctx, b.ID); err != nil || again.Status != segmentbot.BroadcastCancelled {
				t.Fatalf("second cancel %+v, %v", again, err)
			}
			if rows, _ := db.ClaimDeliveries(ctx, b.ID, "A", time.Minute, 0, 10); len(rows) != 0 {
				t.Fatalf("claimed %d rows of a cancelled broadcast", len(rows))
			}
			done, err := db.FinishBroadcast(ctx, b.ID)
			if err != nil || done.Status != segmentbot.BroadcastCancelled || done.FinishedAt == nil || done.Pending != 4 || done.Sent != 1 {
				t.Fatalf("finish cancelled %+v, %v", done, err)
			}
		})
	})
}

func TestPlaceholdersGoPast(t *testing.T) {
	ctx := context.Background()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		clock := useClock(db)
		seg := mustSegment(t, db, "P")
		gone := &segmentbot.Broadcast{SegmentID: seg.ID, Name: "gone", ScheduledAt: clock.t.Add(-time.Minute)}
		soon := &segmentbot.Broadcast{SegmentID: seg.ID, Name: "soon", ScheduledAt: clock.t.Add(time.Minute)}
		real := &segmentbot.Broadcast{SegmentID: seg.ID, Name: "real", ScheduledAt: clock.t.Add(-time.Minute), Message: &segmentbot.BroadcastMessage{Text: "x"}}
		for _, b := range []*segmentbot.Broadcast{gone, soon, real} {
			db.CreateBroadcast(ctx, b)
		}
		if b, _ := db.ClaimBroadcast(ctx, "A", clock.t, time.Minute); b == nil || b.ID != real.ID {
			t.Fatalf("claimed %+v, want only the due broadcast with a message", b)
		}
		if n, err := db.ExpirePlaceholders(ctx, clock.t); err != nil || n != 1 {
			t.Fatalf("expired %d, %v", n, err)
		}
		for id, want := range map[int64]string{gone.ID: segmentbot.BroadcastPast, soon.ID: segmentbot.BroadcastScheduled, real.ID: segmentbot.BroadcastScheduled} {
			if b, _ := db.FindBroadcastByID(ctx, id); b.Status != want {
				t.Errorf("broadcast %s is %s, want %s", b.Name, b.Status, want)
			}
		}
		_, err := db.CancelBroadcast(ctx, gone.ID)
		wantCode(t, err, segmentbot.ECONFLICT)
	})
}

func TestSendSlots(t *testing.T) {
	ctx := context.Background()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		clock := useClock(db)
		const every = 25 * time.Millisecond
		first, err := db.TakeSendSlots(ctx, "msteams:t1", every, 4)
		if err != nil || !first.Equal(clock.t) {
			t.Fatalf("first chunk at %v, %v; want now", first, err)
		}
		second, _ := db.TakeSendSlots(ctx, "msteams:t1", every, 4)
		if want := clock.t.Add(4 * every); !second.Equal(want) {
			t.Fatalf("second chunk at %v, want %v, right after the first", second, want)
		}
		other, _ := db.TakeSendSlots(ctx, "msteams:t2", every, 4)
		if !other.Equal(clock.t) {
			t.Fatalf("another tenant waits: %v", other)
		}
		// A 429 asks for 3 s: the tenant's next slot is then.
		db.HoldSending(ctx, "msteams:t1", clock.t.Add(3*time.Second))
		db.HoldSending(ctx, "msteams:t1", clock.t.Add(time.Second)) // an earlier hold does not pull it back
		held, _ := db.TakeSendSlots(ctx, "msteams:t1", every, 4)
		if want := clock.t.Add(3 * time.Second); !held.Equal(want) {
			t.Fatalf("after the hold %v, want %v", held, want)
		}
		// Slots gone by are not handed out: an idle tenant starts now.
		clock.t = clock.t.Add(time.Hour)
		if later, _ := db.TakeSendSlots(ctx, "msteams:t1", every, 4); !later.Equal(clock.t) {
			t.Fatalf("after an hour %v, want now %v", later, clock.t)
		}
		_, err = db.TakeSendSlots(ctx, "msteams:t1", every, 0)
		wantCode(t, err, segmentbot.EINVALID)
	})
}
