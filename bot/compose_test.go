package bot_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/segmentbot/segmentbot"
	"github.com/segmentbot/segmentbot/broadcaster"
	"github.com/segmentbot/segmentbot/store"
	"github.com/segmentbot/segmentbot/store/storetest"
)

// composeWorld is a world with a segment of three members, one of whom
// opted out.
func composeWorld(t *testing.T, db *store.DB) (*world, *segmentbot.Segment) {
	w := newWorld(t, db)
	db.Now = func() time.Time { return w.now } // drafts are dated by the bot's clock
	seg := w.segment("Sales")
	for i, id := range []string{"anna", "bob", "cleo"} {
		u := w.user(id, id+"@contoso.com")
		if _, err := db.Join(w.ctx, seg.ID, u.ID, segmentbot.SourceAPI, 0); err != nil {
			t.Fatal(err)
		}
		if i == 2 {
			if _, err := db.Leave(w.ctx, seg.ID, u.ID, segmentbot.SourceButton, u.ID, true); err != nil {
				t.Fatal(err)
			}
		}
	}
	return w, seg
}

func broadcastsOf(t *testing.T, w *world) []*segmentbot.Broadcast {
	t.Helper()
	list, err := w.db.FindBroadcasts(w.ctx, w.now, false)
	if err != nil {
		t.Fatal(err)
	}
	return list
}

func TestBroadcastPreview(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w, seg := composeWorld(t, db)
		resp := w.send(segmentbot.Event{Kind: segmentbot.EventMessage, Sender: *w.admin,
			Text: "broadcast Sales at 2026-12-01T09:00:00Z as Weekly news\n# Big news\nWe **launched**.\n\nRead on.\nbutton: Post | https://example.com/post"})
		if len(resp.Messages) != 2 {
			t.Fatalf("want the copy and the decision card, got %s", render(resp))
		}
		t.Run("the preview is the copy every recipient gets", func(t *testing.T) {
			want := broadcaster.Copy(&segmentbot.Broadcast{SegmentID: seg.ID, Message: &segmentbot.BroadcastMessage{
				Title: "Big news", Text: "We **launched**.\n\nRead on.", Buttons: []segmentbot.LinkButton{{Title: "Post", URL: "https://example.com/post"}}}}, seg, w.signer)
			if got := resp.Messages[0]; flatten(got) != flatten(want) || got.Note != want.Note || got.Buttons[1].Action.Sig != want.Buttons[1].Action.Sig {
				t.Fatalf("preview %+v\nwant %+v", got, want)
			}
			wantContains(t, resp.Messages[0].Note, "You get this because you joined Sales")
		})
		t.Run("the card says whom it reaches and when, and offers the three choices", func(t *testing.T) {
			card := flatten(resp.Messages[1])
			wantContains(t, card, "Preview: Weekly news", "Nothing is sent or scheduled until you tap Send now or Schedule",
				"Segment: Sales", "Audience: 2 people (members who have not opted out)", "When: Tue 1 Dec 2026 09:00 UTC",
				"[Send now]", "[Schedule]", "[Cancel]")
		})
		t.Run("nothing is scheduled before the admin confirms", func(t *testing.T) {
			if list := broadcastsOf(t, w); len(list) != 0 || len(w.schedule) != 0 {
				t.Fatalf("a preview created %d broadcasts", len(list))
			}
		})
		t.Run("without a time there is no Schedule button", func(t *testing.T) {
			r := w.send(segmentbot.Event{Kind: segmentbot.EventMessage, Sender: *w.admin, Text: "broadcast Sales\nHello"})
			card := flatten(r.Messages[1])
			wantContains(t, card, "Preview: Sales broadcast", "When: now, when you tap Send now", "[Send now]", "[Cancel]")
			if strings.Contains(card, "[Schedule]") {
				t.Errorf("a broadcast without a time offers Schedule: %s", card)
			}
		})
		t.Run("mistakes are explained", func(t *testing.T) {
			wantContains(t, w.say(w.admin, "broadcast Nope\nHi"), "Nope")
			wantContains(t, w.say(w.admin, "broadcast Sales at 2026-11-01T09:00:00Z\nHi"), "in the past")
			wantContains(t, w.say(w.admin, "broadcast Sales"), "Put the message under the first line")
		})
		t.Run("a non-admin cannot write one", func(t *testing.T) {
			wantContains(t, w.say(w.user("eve", "eve@contoso.com"), "broadcast Sales\nHi"), "only admins")
		})
	})
}

func TestBroadcastConfirmation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w, _ := composeWorld(t, db)
		preview := func(text string) *segmentbot.Response {
			return w.send(segmentbot.Event{Kind: segmentbot.EventMessage, Sender: *w.admin, Text: text})
		}
		t.Run("Send now makes one broadcast due now; a second tap does nothing more", func(t *testing.T) {
			r := preview("broadcast Sales as Now\nHello")
			send := button(t, r, "Send now")
			wantContains(t, render(w.tap(w.admin, send, false)), "On its way: Now (#", "goes to 2 people now")
			list := broadcastsOf(t, w)
			if len(list) != 1 || !list[0].ScheduledAt.Equal(w.now) || list[0].CreatedBy != w.admin.ID {
				t.Fatalf("broadcasts %+v", list)
			}
			wantContains(t, render(w.tap(w.admin, send, false)), "is already", "nothing more was done")
			wantContains(t, render(w.tap(w.admin, button(t, r, "Cancel"), false)), "Too late to cancel")
			if n := len(broadcastsOf(t, w)); n != 1 || len(w.schedule) != 1 {
				t.Fatalf("after the second tap: %d broadcasts, %d hook calls", n, len(w.schedule))
			}
		})
		t.Run("taps racing on the same preview make one broadcast", func(t *testing.T) {
			before := len(broadcastsOf(t, w))
			send := button(t, preview("broadcast Sales as Race\nHello"), "Send now")
			var wg sync.WaitGroup
			for range 6 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					w.bot.HandleEvent(w.ctx, segmentbot.Event{Kind: segmentbot.EventAction, Channel: segmentbot.ChannelTeams, Personal: true, Sender: *w.admin, Action: send})
				}()
			}
			wg.Wait()
			if n := len(broadcastsOf(t, w)) - before; n != 1 {
				t.Fatalf("six racing taps made %d broadcasts", n)
			}
		})
		t.Run("Schedule uses the time written", func(t *testing.T) {
			r := preview("broadcast Sales at 2026-12-01T09:00:00Z as Later\nHello")
			wantContains(t, render(w.tap(w.admin, button(t, r, "Schedule"), false)), "Scheduled Later (#", "Tue 1 Dec 2026 09:00 UTC")
			if list := broadcastsOf(t, w); !list[0].ScheduledAt.Equal(time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)) {
				t.Fatalf("scheduled at %s", list[0].ScheduledAt)
			}
			wantContains(t, w.say(w.admin, "broadcasts"), "Later", "scheduled, Tue 1 Dec 2026 09:00 UTC to Sales")
		})
		t.Run("a time that passed while the preview waited is refused", func(t *testing.T) {
			r := preview("broadcast Sales at 2026-11-28T12:30:00Z as Stale\nHello")
			w.now = w.now.Add(time.Hour)
			defer func() { w.now = w.now.Add(-time.Hour) }()
			before := len(broadcastsOf(t, w))
			wantContains(t, render(w.tap(w.admin, button(t, r, "Schedule"), false)), "has passed", "Tap Send now")
			if len(broadcastsOf(t, w)) != before {
				t.Fatal("a stale Schedule made a broadcast")
			}
		})
		t.Run("a preview older than a week is not sent", func(t *testing.T) {
			r := preview("broadcast Sales as Old\nHello")
			w.now = w.now.Add(8 * 24 * time.Hour)
			defer func() { w.now = w.now.Add(-8 * 24 * time.Hour) }()
			before := len(broadcastsOf(t, w))
			wantContains(t, render(w.tap(w.admin, button(t, r, "Send now"), false)), "more than a week old")
			if len(broadcastsOf(t, w)) != before {
				t.Fatal("an old preview made a broadcast")
			}
		})
		t.Run("Cancel sends nothing, and Send now after it neither", func(t *testing.T) {
			before := len(broadcastsOf(t, w))
			r := preview("broadcast Sales as Dropped\nHello")
			wantContains(t, render(w.tap(w.admin, button(t, r, "Cancel"), false)), "Cancelled. Nothing was sent.")
			wantContains(t, render(w.tap(w.admin, button(t, r, "Send now"), false)), "was cancelled, so nothing was sent")
			if len(broadcastsOf(t, w)) != before {
				t.Fatal("a cancelled preview made a broadcast")
			}
		})
		t.Run("only an admin's tap counts", func(t *testing.T) {
			before := len(broadcastsOf(t, w))
			r := preview("broadcast Sales as Sneaky\nHello")
			wantContains(t, render(w.tap(w.user("mallory", "mallory@contoso.com"), button(t, r, "Send now"), false)), "only admins")
			if len(broadcastsOf(t, w)) != before {
				t.Fatal("a non-admin's tap made a broadcast")
			}
		})
		t.Run("a forged preview id is refused", func(t *testing.T) {
			a := *button(t, preview("broadcast Sales\nHello"), "Send now")
			a.Arg = "1"
			wantContains(t, render(w.tap(w.admin, &a, false)), "not valid")
		})
	})
}

func TestBroadcastsMarksPlaceholders(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w, _ := composeWorld(t, db)
		wantContains(t, w.say(w.admin, "schedule Sales at 2026-12-01T09:00:00Z as Board meeting"), "placeholder for a broadcast sent elsewhere: I send nothing")
		r := w.send(segmentbot.Event{Kind: segmentbot.EventMessage, Sender: *w.admin, Text: "broadcast Sales at 2026-12-02T09:00:00Z as Real one\nHello"})
		w.tap(w.admin, button(t, r, "Schedule"), false)
		list := w.say(w.admin, "broadcasts")
		wantContains(t, list, "Board meeting", "placeholder (no message: nothing is sent; made with schedule)", "Real one", "scheduled, Wed 2 Dec 2026 09:00 UTC")
		if strings.Count(list, "placeholder") != 1 {
			t.Errorf("only the placeholder is marked: %s", list)
		}
		w.now = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
		wantContains(t, w.say(w.admin, "broadcasts"), "Board meeting", "past placeholder (no message: nothing was sent)")
	})
}
