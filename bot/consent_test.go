package bot_test

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/segmentbot/segmentbot"
	"github.com/segmentbot/segmentbot/manifest"
	"github.com/segmentbot/segmentbot/store"
	"github.com/segmentbot/segmentbot/store/storetest"
)

// The rule: an opt-out keyword (SEGMENTBOT_OPTOUT_KEYWORDS) with only
// filler words around it opts out of everything; a keyword followed by a
// segment's name leaves that segment; anything else is no opt-out.
func TestNaturalOptOutPhrasing(t *testing.T) {
	optOut := []string{
		"unsubscribe", "UNSUBSCRIBE", "unsubscribe me", "please unsubscribe", "Please unsubscribe me.",
		"unsubscribe all", "unsubscribe me from everything please", "unsubscribe me from all lists",
		"stop", "STOP!!", "stop all", "Stop it", "stop sending me messages", "please stop", "stop now, thanks",
		"opt out", "opt-out", "Opt me out", "opt me out please", "optout", "opt out of everything",
		"I want to unsubscribe", "i would like to opt out", "can you stop", "could you please stop sending these",
		"unsubscribe!!!", "  stop  ", "pls unsubscribe me asap", "Unsubscribe me, thank you", "stop all messages",
		"stop the messages", "Hi, I'd like to unsubscribe", "hey bot, stop it", "unsubscribe me permanently",
	}
	notOptOut := []string{
		"how do I stop the printer", "stop the printer", "don't stop", "unsubscribe tomorrow maybe?",
		"I never said stop to anything", "what does unsubscribe do", "bus stop", "stopwatch",
		"optimise output", "unsubscribed", "stop the Ghost segment", "please stop by my desk",
	}
	if len(optOut)+len(notOptOut) < 30 {
		t.Fatal("the table must hold at least 30 phrasings")
	}
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		seg := w.segment("News")
		for i, phrase := range append(optOut, notOptOut...) {
			wantOut := i < len(optOut)
			t.Run(phrase, func(t *testing.T) {
				u := w.user(fmt.Sprintf("u%d", i), fmt.Sprintf("u%d@contoso.com", i))
				if _, err := db.Join(w.ctx, seg.ID, u.ID, segmentbot.SourceButton, u.ID); err != nil {
					t.Fatal(err)
				}
				reply := w.say(u, phrase)
				everywhere, err := db.IsUnsubscribed(w.ctx, u.ID)
				if err != nil {
					t.Fatal(err)
				}
				if wantOut {
					if w.member(seg, u) || !everywhere {
						t.Fatalf("%q did not opt out of everything; reply %q", phrase, reply)
					}
					wantContains(t, reply, "You left: News", "No admin can add you", "[Resubscribe]")
					return
				}
				if !w.member(seg, u) || everywhere {
					t.Fatalf("%q opted out; reply %q", phrase, reply)
				}
				wantContains(t, reply, "What you can do here")
			})
		}
	})
}

func TestUnsubscribeFromOneSegment(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		well, news := w.segment("Wellbeing"), w.segment("The News")
		nia := w.user("nia", "nia@contoso.com")
		t.Run("a non-member is told they were not in it", func(t *testing.T) {
			wantContains(t, w.say(nia, "unsubscribe Wellbeing"), "You weren't in Wellbeing", "no admin can add you to Wellbeing")
			if out, _ := db.IsOptedOut(w.ctx, well.ID, nia.ID); !out {
				t.Fatal("the wish to stay out of Wellbeing is not recorded")
			}
			if out, _ := db.IsUnsubscribed(w.ctx, nia.ID); out {
				t.Fatal("unsubscribe <segment> opted out of everything")
			}
		})
		t.Run("filler words before the name are fine", func(t *testing.T) {
			for _, s := range []*segmentbot.Segment{well, news} {
				if _, err := db.Join(w.ctx, s.ID, nia.ID, segmentbot.SourceButton, nia.ID); err != nil {
					t.Fatal(err)
				}
			}
			wantContains(t, w.say(nia, "please unsubscribe me from The News"), "You left: The News")
			if w.member(news, nia) || !w.member(well, nia) {
				t.Fatal("unsubscribe me from The News must leave only The News")
			}
		})
		t.Run("its Resubscribe rejoins and does not lift a global opt-out", func(t *testing.T) {
			resp := w.send(segmentbot.Event{Kind: segmentbot.EventMessage, Sender: *nia, Text: "unsubscribe Wellbeing"})
			w.say(nia, "stop") // now out of everything
			w.tap(nia, button(t, resp, "Resubscribe"), false)
			if !w.member(well, nia) {
				t.Fatal("Resubscribe did not rejoin Wellbeing")
			}
			if out, _ := db.IsUnsubscribed(w.ctx, nia.ID); !out {
				t.Fatal("the Resubscribe of one segment lifted the global opt-out")
			}
		})
	})
}

func TestResubscribeAfterUnsubscribeLiftsTheBlock(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		a, b := w.segment("Alpha"), w.segment("Beta")
		ola := w.user("ola", "ola@contoso.com")
		if _, err := db.Join(w.ctx, a.ID, ola.ID, segmentbot.SourceButton, ola.ID); err != nil {
			t.Fatal(err)
		}
		resp := w.send(segmentbot.Event{Kind: segmentbot.EventMessage, Sender: *ola, Text: "unsubscribe"})
		if _, err := db.Join(w.ctx, b.ID, ola.ID, segmentbot.SourceChat, w.admin.ID); err != segmentbot.ErrOptedOut {
			t.Fatalf("admin join after unsubscribe: %v, want ErrOptedOut", err)
		}
		wantContains(t, render(w.tap(ola, button(t, resp, "Resubscribe"), false)), "Welcome back", "Alpha")
		if !w.member(a, ola) || w.member(b, ola) {
			t.Fatal("Resubscribe must restore exactly Alpha")
		}
		if out, _ := db.IsUnsubscribed(w.ctx, ola.ID); out {
			t.Fatal("Resubscribe did not lift the block")
		}
		if _, err := db.Join(w.ctx, b.ID, ola.ID, segmentbot.SourceChat, w.admin.ID); err != nil {
			t.Fatalf("admin join after Resubscribe: %v", err)
		}
		t.Run("with nothing to leave the block is still set, and its Resubscribe lifts it", func(t *testing.T) {
			pia := w.user("pia", "pia@contoso.com")
			resp := w.send(segmentbot.Event{Kind: segmentbot.EventMessage, Sender: *pia, Text: "stop"})
			wantContains(t, render(resp), "not subscribed to anything", "No admin can add you")
			if out, _ := db.IsUnsubscribed(w.ctx, pia.ID); !out {
				t.Fatal("unsubscribe with no segments set no block")
			}
			wantContains(t, render(w.tap(pia, button(t, resp, "Resubscribe"), false)), "admins can add you to segments again")
			if out, _ := db.IsUnsubscribed(w.ctx, pia.ID); out {
				t.Fatal("Resubscribe did not lift the block")
			}
		})
	})
}

func TestClosedSegmentCardOffersOnlyOptOut(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		seg := w.segment("Board")
		ron := w.user("ron", "ron@contoso.com")
		old, _ := w.bot.SegmentCard(w.ctx, seg.ID) // shared while it was invite
		optIn := old.Buttons[0].Action
		wantContains(t, w.say(w.admin, "set segment Board closed"), "Board is now closed")
		card, err := w.bot.SegmentCard(w.ctx, seg.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(card.Buttons) != 1 || card.Buttons[0].Title != "Opt out" {
			t.Fatalf("closed card buttons %+v, want only Opt out", card.Buttons)
		}
		w.now = w.now.Add(11 * time.Second) // past the tap cache, as another replica would be
		for _, invoke := range []bool{false, true} {
			reply := render(w.tap(ron, optIn, invoke))
			wantContains(t, reply, "Board is closed", "nothing changed")
			if strings.Contains(reply, "[Opt in]") {
				t.Errorf("the refusal offers Opt in again: %q", reply)
			}
			if w.member(seg, ron) {
				t.Fatal("an Opt in tap joined a closed segment")
			}
		}
		if events, _ := db.FindEvents(w.ctx, seg.ID, ron.ID); len(events) != 0 {
			t.Fatalf("a refused tap logged %v", events)
		}
	})
}

func TestSetSegmentVisibilityInChat(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		seg := w.segment("Cafe Crew")
		for _, v := range []string{"open", "closed", "invite"} {
			wantContains(t, w.say(w.admin, "set segment cafe crew "+strings.ToUpper(v)), "Cafe Crew is now "+v)
			got, _ := db.FindSegmentByID(w.ctx, seg.ID)
			if got.Visibility != v {
				t.Fatalf("visibility %q, want %q", got.Visibility, v)
			}
		}
		wantContains(t, w.say(w.admin, "set segment Cafe Crew public"), "open, invite or closed")
		wantContains(t, w.say(w.admin, "set segment Nope open"), "There is no segment named")
		if got, _ := db.FindSegmentByID(w.ctx, seg.ID); got.Visibility != "invite" {
			t.Fatalf("a refused command changed visibility to %q", got.Visibility)
		}
		sam := w.user("sam", "sam@contoso.com")
		wantContains(t, w.say(sam, "set segment Cafe Crew open"), "only admins")
		if got, _ := db.FindSegmentByID(w.ctx, seg.ID); got.Visibility != "invite" {
			t.Fatal("an end user changed visibility")
		}
	})
}

func TestEndUsersSeeOnlyOpenSegmentsPageByPage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		var names []string
		for i := 1; i <= 14; i++ {
			name := fmt.Sprintf("Open %02d", i)
			s := &segmentbot.Segment{Name: name, Visibility: segmentbot.VisibilityOpen}
			if err := db.CreateSegment(w.ctx, s); err != nil {
				t.Fatal(err)
			}
			names = append(names, name)
		}
		w.segment("Invite only")
		w.say(w.admin, "create segment Closed one")
		w.say(w.admin, "set segment Closed one closed")
		una := w.user("una", "una@contoso.com")

		first := w.send(segmentbot.Event{Kind: segmentbot.EventMessage, Sender: *una, Text: "segments"})
		if n := len(first.Messages[0].Carousel); n != 10 {
			t.Fatalf("first page has %d cards, want 10", n)
		}
		wantContains(t, render(first), "10 of 14", "[More]")
		second := w.tap(una, button(t, first, "More"), false)
		if n := len(second.Messages[0].Carousel); n != 4 {
			t.Fatalf("second page has %d cards, want 4", n)
		}
		all := render(first) + render(second)
		for _, name := range names {
			if strings.Count(all, name+"\n") != 1 {
				t.Errorf("%s is shown %d times", name, strings.Count(all, name+"\n"))
			}
		}
		for _, hidden := range []string{"Invite only", "Closed one"} {
			if strings.Contains(all, hidden) {
				t.Errorf("end users' segments lists %s", hidden)
			}
		}
		if strings.Contains(render(second), "[More]") {
			t.Error("the last page offers More")
		}
	})
}

func TestEndUsersGetTheirHelpCard(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		vic := w.user("vic", "vic@contoso.com")
		for _, text := range []string{"help", "hi", "Hello there", "what is this?", "create segment X"} {
			reply := w.say(vic, text)
			wantContains(t, reply, "What you can do here", "my segments", "segments", "unsubscribe", "[My segments]", "[Open segments]")
			if strings.Contains(reply, "I didn't get that") || strings.ContainsAny(reply, "<>") {
				t.Errorf("%q: reply %q", text, reply)
			}
		}
		t.Run("every command of the manifest's menu is an end-user command", func(t *testing.T) {
			for _, c := range manifest.Commands {
				reply := w.say(vic, c.Title)
				if strings.Contains(reply, "only admins") {
					t.Errorf("menu command %q answers %q", c.Title, reply)
				}
			}
		})
		t.Run("admins find theirs in help", func(t *testing.T) {
			wantContains(t, w.say(w.admin, "help"), "set segment", "history")
		})
	})
}

func TestHistoryInChat(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		seg := w.segment("News")
		kai := w.user("kai", "kai@contoso.com")
		if _, err := db.Join(w.ctx, seg.ID, kai.ID, segmentbot.SourceChat, w.admin.ID); err != nil {
			t.Fatal(err)
		}
		w.say(kai, "stop")
		reply := w.say(w.admin, "history KAI@contoso.com")
		wantContains(t, reply, "History of Kai (kai@contoso.com)", "Opted out of everything")
		line := regexp.MustCompile(`(?m)^\d{4}-\d\d-\d\d \d\d:\d\d UTC: (joined News, added or removed in chat \(by admin@contoso.com\)|left News, by typing unsubscribe)$`)
		if got := line.FindAllString(reply, -1); len(got) != 2 || !strings.Contains(got[0], "joined") {
			t.Errorf("history lines %q in %q, want the join by the admin, then the leave", got, reply)
		}
		wantContains(t, w.say(w.admin, "history nobody@contoso.com"), "I know nobody with the email nobody@contoso.com")
		wantContains(t, w.say(kai, "history kai@contoso.com"), "only admins")

		t.Run("a long history pages with More", func(t *testing.T) {
			for i := 0; i < 30; i++ { // 2 events so far, 32 in all
				if _, err := db.Join(w.ctx, seg.ID, kai.ID, segmentbot.SourceButton, kai.ID); err != nil {
					t.Fatal(err)
				}
			}
			first := w.send(segmentbot.Event{Kind: segmentbot.EventMessage, Sender: *w.admin, Text: "history kai@contoso.com"})
			if n := strings.Count(render(first), "UTC: "); n != 20 {
				t.Fatalf("first page shows %d events, want 20", n)
			}
			more := button(t, first, "More")
			wantContains(t, render(w.tap(kai, more, false)), "only admins")
			second := render(w.tap(w.admin, more, false))
			wantContains(t, second, "History of Kai (kai@contoso.com), continued")
			if n := strings.Count(second, "UTC: "); n != 12 || strings.Contains(second, "[More]") {
				t.Fatalf("second page shows %d events (want 12) and no More: %q", n, second)
			}
		})
	})
}
