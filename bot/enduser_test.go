package bot_test

import (
	"strings"
	"testing"
	"time"

	"github.com/segmentbot/segmentbot"
	"github.com/segmentbot/segmentbot/store"
	"github.com/segmentbot/segmentbot/store/storetest"
)

func TestOptInAndOutByButton(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		seg := w.segment("New starters")
		anna := w.user("anna", "anna@contoso.com")
		card, err := w.bot.SegmentCard(w.ctx, seg.ID)
		if err != nil {
			t.Fatal(err)
		}
		optIn := card.Buttons[0].Action
		optOut := card.Buttons[1].Action

		t.Run("submit opt-in replies with the confirmation", func(t *testing.T) {
			got := render(w.tap(anna, optIn, false))
			wantContains(t, got, "You're in: New starters", "unsubscribe")
			if !w.member(seg, anna) {
				t.Fatal("anna is not a member after opting in")
			}
		})
		t.Run("execute opt-out answers with the refreshed card", func(t *testing.T) {
			resp := w.tap(anna, optOut, true)
			if resp.Card == nil || len(resp.Messages) != 0 {
				t.Fatalf("want only a refreshed card, got %+v", resp)
			}
			if len(resp.Card.Buttons) != 1 || resp.Card.Buttons[0].Title != "Opt in" || !resp.Card.Execute {
				t.Errorf("refreshed card should offer only Opt in as Execute: %+v", resp.Card)
			}
			if w.member(seg, anna) {
				t.Fatal("anna is still a member after opting out")
			}
		})
		t.Run("execute opt-in shows the subscribed state", func(t *testing.T) {
			resp := w.tap(anna, optIn, true)
			wantContains(t, flatten(*resp.Card), "You're in", "[Opt out]")
		})
		t.Run("repeated taps keep one membership and log every tap", func(t *testing.T) {
			w.tap(anna, optIn, false)
			w.tap(anna, optIn, false)
			members, err := db.FindMembers(w.ctx, seg.ID, segmentbot.Page{})
			if err != nil || len(members) != 1 || members[0].UserID != anna.ID {
				t.Fatalf("members %+v, %v; want anna once", members, err)
			}
			events, err := db.FindEvents(w.ctx, seg.ID, anna.ID)
			if err != nil {
				t.Fatal(err)
			}
			var actions []string
			for _, e := range events {
				actions = append(actions, e.Action)
			}
			want := []string{segmentbot.ActionJoin, segmentbot.ActionLeave, segmentbot.ActionJoin, segmentbot.ActionJoin, segmentbot.ActionJoin}
			if strings.Join(actions, ",") != strings.Join(want, ",") {
				t.Errorf("events %v, want %v (one per tap)", actions, want)
			}
		})
		t.Run("custom reply is used", func(t *testing.T) {
			w.say(w.admin, "set reply New starters: Welcome aboard!")
			wantContains(t, render(w.tap(anna, optIn, false)), "Welcome aboard!")
		})
	})
}

func TestTamperedOrStaleButtonsChangeNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		seg := w.segment("Sales")
		other := w.segment("Secret")
		bob := w.user("bob", "bob@contoso.com")
		card, _ := w.bot.SegmentCard(w.ctx, seg.ID)
		good := *card.Buttons[0].Action

		tampered := good
		tampered.SegmentID = other.ID
		got := render(w.tap(bob, &tampered, false))
		wantContains(t, got, "not valid")
		unsigned := good
		unsigned.Sig = ""
		wantContains(t, render(w.tap(bob, &unsigned, false)), "not valid")
		if w.member(other, bob) || w.member(seg, bob) {
			t.Fatal("a tampered or unsigned action changed membership")
		}

		if _, err := db.DeleteSegment(w.ctx, seg.ID, w.admin.ID); err != nil {
			t.Fatal(err)
		}
		wantContains(t, render(w.tap(bob, &good, false)), "no longer exists")
		if segs, _ := db.SegmentsOfUser(w.ctx, bob.ID); len(segs) != 0 {
			t.Fatalf("deleted segment button added bob to %v", segs)
		}
	})
}

// cafeteria makes the segment Cafeteria and the user eve, and gives the
// Opt in and Opt out of its card.
func cafeteria(w *world) (seg *segmentbot.Segment, eve *segmentbot.User, optIn, optOut *segmentbot.Action) {
	seg = w.segment("Cafeteria")
	eve = w.user("eve", "eve@contoso.com")
	card, err := w.bot.SegmentCard(w.ctx, seg.ID)
	if err != nil {
		w.t.Fatal(err)
	}
	return seg, eve, card.Buttons[0].Action, card.Buttons[1].Action
}

func TestTapsSeeSegmentChanges(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		seg, eve, optIn, optOut := cafeteria(w)
		wantContains(t, render(w.tap(eve, optIn, false)), "You're in: Cafeteria")

		t.Run("a rename through the bot shows on the next tap", func(t *testing.T) {
			w.say(w.admin, "rename segment Cafeteria to Canteen")
			wantContains(t, render(w.tap(eve, optOut, false)), "You're out: Canteen")
		})
		t.Run("a rename elsewhere shows once the cached copy expires", func(t *testing.T) {
			name := "Lunch"
			if _, err := db.UpdateSegment(w.ctx, seg.ID, segmentbot.SegmentUpdate{Name: &name}); err != nil {
				t.Fatal(err)
			}
			w.now = w.now.Add(11 * time.Second)
			wantContains(t, render(w.tap(eve, optIn, false)), "You're in: Lunch")
		})
		t.Run("a segment deleted elsewhere answers no longer exists", func(t *testing.T) {
			if _, err := db.DeleteSegment(w.ctx, seg.ID, w.admin.ID); err != nil {
				t.Fatal(err)
			}
			for _, a := range []*segmentbot.Action{optIn, optOut} {
				wantContains(t, render(w.tap(eve, a, false)), "no longer exists")
			}
			if segs, _ := db.SegmentsOfUser(w.ctx, eve.ID); len(segs) != 0 {
				t.Fatalf("a tap on a deleted segment left eve in %v", segs)
			}
		})
	})
}

func TestKeywordsOptOutOfEverythingAndResubscribeRestoresExactlyThose(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		a, b, c := w.segment("Alpha"), w.segment("Beta"), w.segment("Gamma")
		cara := w.user("cara", "cara@contoso.com")
		for _, s := range []*segmentbot.Segment{a, b} {
			if _, err := db.Join(w.ctx, s.ID, cara.ID, segmentbot.SourceAPI, 0); err != nil {
				t.Fatal(err)
			}
		}

		resp := w.send(segmentbot.Event{Kind: segmentbot.EventMessage, Sender: *cara, Text: " STOP! "})
		wantContains(t, render(resp), "Alpha", "Beta", "[Resubscribe]")
		if w.member(a, cara) || w.member(b, cara) {
			t.Fatal("still a member after stop")
		}
		for _, s := range []*segmentbot.Segment{a, b} {
			if out, _ := db.IsOptedOut(w.ctx, s.ID, cara.ID); !out {
				t.Errorf("no sticky opt-out recorded for %s", s.Name)
			}
		}

		wantContains(t, render(w.tap(cara, button(t, resp, "Resubscribe"), false)), "Welcome back", "Alpha", "Beta")
		if !w.member(a, cara) || !w.member(b, cara) || w.member(c, cara) {
			t.Fatal("resubscribe must restore exactly Alpha and Beta")
		}
	})
}

func TestKeywordVariantsAndNonMatches(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		seg := w.segment("News")
		dan := w.user("dan", "dan@contoso.com")
		join := func() { // dan's own opt-in: an admin may not add him back after unsubscribe
			if _, err := db.Join(w.ctx, seg.ID, dan.ID, segmentbot.SourceButton, dan.ID); err != nil {
				t.Fatal(err)
			}
		}
		for _, text := range []string{"UNSUBSCRIBE", " stop! ", "opt-out", "Opt out.", "optout"} {
			join()
			wantContains(t, w.say(dan, text), "You left: News")
			if w.member(seg, dan) {
				t.Errorf("%q did not opt out", text)
			}
		}
		join()
		for _, text := range []string{"how do I stop the printer", "stop the printer"} {
			got := w.say(dan, text)
			if !w.member(seg, dan) {
				t.Fatalf("%q fired the keyword (reply %q)", text, got)
			}
		}
		t.Run("unsubscribe <segment> leaves only that one", func(t *testing.T) {
			other := w.segment("Other")
			if _, err := db.Join(w.ctx, other.ID, dan.ID, segmentbot.SourceButton, dan.ID); err != nil {
				t.Fatal(err)
			}
			wantContains(t, w.say(dan, `unsubscribe "news"`), "You left: News")
			if w.member(seg, dan) || !w.member(other, dan) {
				t.Fatal("unsubscribe <segment> must leave only that segment")
			}
		})
		t.Run("nothing to leave gets a kind reply", func(t *testing.T) {
			w.say(dan, "unsubscribe")
			wantContains(t, w.say(dan, "unsubscribe"), "not subscribed to anything")
		})
	})
}

func TestOptInClearsTheStickyOptOut(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		seg := w.segment("Events")
		eve := w.user("eve", "eve@contoso.com")
		card, _ := w.bot.SegmentCard(w.ctx, seg.ID)
		w.tap(eve, card.Buttons[1].Action, false)
		if out, _ := db.IsOptedOut(w.ctx, seg.ID, eve.ID); !out {
			t.Fatal("opt-out button must record a sticky opt-out")
		}
		w.tap(eve, card.Buttons[0].Action, false)
		if out, _ := db.IsOptedOut(w.ctx, seg.ID, eve.ID); out {
			t.Fatal("opting in again must clear the opt-out")
		}
	})
}

func TestMySegmentsListsSubscriptionsWithOptOut(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		fay := w.user("fay", "fay@contoso.com")
		wantContains(t, w.say(fay, "my segments"), "not subscribed to anything")
		for _, name := range []string{"One", "Two", "Three"} {
			s := w.segment(name)
			if name != "Three" {
				if _, err := db.Join(w.ctx, s.ID, fay.ID, segmentbot.SourceAPI, 0); err != nil {
					t.Fatal(err)
				}
			}
		}
		resp := w.send(segmentbot.Event{Kind: segmentbot.EventMessage, Sender: *fay, Text: "My Segments"})
		if n := len(resp.Messages[0].Carousel); n != 2 {
			t.Fatalf("want 2 cards, got %d: %s", n, render(resp))
		}
		w.tap(fay, button(t, resp, "Opt out"), false)
		if segs, _ := db.SegmentsOfUser(w.ctx, fay.ID); len(segs) != 1 {
			t.Fatalf("after one opt out want 1 segment, got %d", len(segs))
		}
		for _, name := range []string{"One", "Two", "Three"} {
			w.say(w.admin, "set segment "+name+" open")
		}
		browse := w.send(segmentbot.Event{Kind: segmentbot.EventMessage, Sender: *fay, Text: "segments"})
		if n := len(browse.Messages[0].Carousel); n != 3 {
			t.Fatalf("browse carousel: want 3 cards, got %d", n)
		}
	})
}

// In Agents Playground, an Opt out under a broadcast answered "Tap Opt in
// to come back" with no Opt in anywhere near: the broadcast has none.
func TestOptOutTapBringsItsOptIn(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		seg, eve, optIn, optOut := cafeteria(w)
		w.tap(eve, optIn, false)

		resp := w.tap(eve, optOut, false) // Action.Submit, as under a broadcast
		wantContains(t, render(resp), "You're out: Cafeteria. Tap Opt in to come back.", "[Opt in]")
		back := button(t, resp, "Opt in")
		if back.Verb != segmentbot.VerbOptIn || back.SegmentID != seg.ID || back.Sig == "" {
			t.Fatalf("the Opt in of the reply is %+v", back)
		}
		wantContains(t, render(w.tap(eve, back, false)), "You're in: Cafeteria")
		if !w.member(seg, eve) {
			t.Fatal("the reply's Opt in did not join")
		}

		t.Run("a closed segment's reply offers no Opt in", func(t *testing.T) {
			board := w.segment("Board")
			wantContains(t, w.say(w.admin, "set segment Board closed"), "Board is now closed")
			closed, _ := w.bot.SegmentCard(w.ctx, board.ID)
			for _, invoke := range []bool{false, true} {
				reply := render(w.tap(eve, closed.Buttons[0].Action, invoke))
				wantContains(t, reply, "You're out: Board. Only admins add people to it.")
				if strings.Contains(reply, "[Opt in]") || strings.Contains(reply, "Tap Opt in") {
					t.Errorf("the reply offers an Opt in the segment refuses: %q", reply)
				}
			}
		})
	})
}
