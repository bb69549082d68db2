package bot_test

import (
	"context"
	"errors"
	"testing"

	"github.com/segmentbot/segmentbot"
	"github.com/segmentbot/segmentbot/store"
	"github.com/segmentbot/segmentbot/store/storetest"
)

// inbox is a channel's side of Receive: it keeps the replies delivered.
type inbox struct {
	replies []*segmentbot.Response
	fail    error // the next delivery fails with it
	before  func()
}

func (i *inbox) deliver(_ context.Context, resp *segmentbot.Response) error {
	if i.before != nil {
		i.before()
	}
	if err := i.fail; err != nil {
		i.fail = nil
		return err
	}
	i.replies = append(i.replies, resp)
	return nil
}

// receive hands ev from u to the bot's one entrance as activity id.
func (w *world) receive(box *inbox, id string, u *segmentbot.User, ev segmentbot.Event) error {
	ev.ID, ev.Channel, ev.Personal = id, segmentbot.ChannelTeams, true
	sender := *u
	sender.ID = 0 // as a channel hands it: not stored yet
	ev.Sender = sender
	_, err := w.bot.Receive(w.ctx, segmentbot.Inbound{Event: ev, Reply: box.deliver})
	return err
}

func TestTheEntranceRunsEachActivityOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		news := w.segment("News")
		ann := w.user("ann", "ann@contoso.com")
		card, err := w.bot.SegmentCard(w.ctx, news.ID)
		if err != nil {
			t.Fatal(err)
		}
		optIn := card.Buttons[0].Action

		t.Run("a redelivered tap joins once and is answered once", func(t *testing.T) {
			box := &inbox{}
			for range 3 {
				if err := w.receive(box, "tap-1", ann, segmentbot.Event{Kind: segmentbot.EventAction, Action: optIn}); err != nil {
					t.Fatal(err)
				}
			}
			events, err := db.FindEvents(w.ctx, news.ID, ann.ID)
			if err != nil {
				t.Fatal(err)
			}
			if len(events) != 1 || len(box.replies) != 1 || !w.member(news, ann) {
				t.Fatalf("%d membership events, %d replies; want 1 and 1", len(events), len(box.replies))
			}
		})
		t.Run("a forged tap that changes nothing is answered once", func(t *testing.T) {
			box := &inbox{}
			forged := *optIn
			forged.Sig = "forged"
			for range 2 {
				if err := w.receive(box, "tap-forged", ann, segmentbot.Event{Kind: segmentbot.EventAction, Action: &forged}); err != nil {
					t.Fatal(err)
				}
			}
			if len(box.replies) != 1 {
				t.Fatalf("%d replies, want 1", len(box.replies))
			}
		})
		t.Run("a redelivered command is answered once", func(t *testing.T) {
			box := &inbox{}
			for range 2 {
				if err := w.receive(box, "cmd-1", w.admin, segmentbot.Event{Kind: segmentbot.EventMessage, Text: "create segment Sports"}); err != nil {
					t.Fatal(err)
				}
			}
			if len(box.replies) != 1 {
				t.Fatalf("%d replies, want 1", len(box.replies))
			}
		})
		t.Run("a reply that fails releases the activity and the retry runs it", func(t *testing.T) {
			box := &inbox{fail: errors.New("connector down")}
			ev := segmentbot.Event{Kind: segmentbot.EventMessage, Text: "my segments"}
			if err := w.receive(box, "cmd-2", ann, ev); err == nil {
				t.Fatal("a failed reply was acknowledged")
			}
			if err := w.receive(box, "cmd-2", ann, ev); err != nil {
				t.Fatal(err)
			}
			if len(box.replies) != 1 {
				t.Fatalf("%d replies after the retry, want 1", len(box.replies))
			}
		})
		t.Run("a file is queued once, and only after its Got it is delivered", func(t *testing.T) {
			queuedBefore := -1
			box := &inbox{}
			box.before = func() {
				imps, err := db.FindImports(w.ctx, news.ID, 10)
				if err != nil {
					t.Fatal(err)
				}
				queuedBefore = len(imps)
			}
			file := segmentbot.Event{Kind: segmentbot.EventFile, Text: "News", File: &segmentbot.File{URL: "https://files.example/p.csv", Name: "p.csv", Type: "csv"}}
			for range 2 {
				if err := w.receive(box, "file-1", w.admin, file); err != nil {
					t.Fatal(err)
				}
			}
			imps, err := db.FindImports(w.ctx, news.ID, 10)
			if err != nil {
				t.Fatal(err)
			}
			if len(imps) != 1 || len(box.replies) != 1 {
				t.Fatalf("%d imports, %d replies; want 1 and 1", len(imps), len(box.replies))
			}
			if queuedBefore != 0 {
				t.Fatalf("%d imports were queued before the Got it was delivered; a worker could post progress first", queuedBefore)
			}
			wantContains(t, render(box.replies[0]), "Got it: importing p.csv into News")
		})
	})
}

// In Agents Playground the progress card of a broadcast sent now came
// before "On its way": the sender was woken before the reply went out.
func TestSendNowWakesTheSenderOnlyAfterOnItsWay(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		w.segment("News")
		box := &inbox{}
		if err := w.receive(box, "compose-1", w.admin, segmentbot.Event{Kind: segmentbot.EventMessage, Text: "broadcast News\nHello"}); err != nil {
			t.Fatal(err)
		}
		send := button(t, box.replies[0], "Send now")
		wokenBefore := -1
		box.before = func() { wokenBefore = len(w.schedule) }
		if err := w.receive(box, "send-1", w.admin, segmentbot.Event{Kind: segmentbot.EventAction, Action: send}); err != nil {
			t.Fatal(err)
		}
		wantContains(t, render(box.replies[1]), "On its way: News broadcast")
		if wokenBefore != 0 || len(w.schedule) != 1 {
			t.Fatalf("the sender was woken %d times before On its way was delivered and %d in all; want 0 and 1", wokenBefore, len(w.schedule))
		}
	})
}
