package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/segmentbot/segmentbot"
	"github.com/segmentbot/segmentbot/bot/teams/teamstest"
	"github.com/segmentbot/segmentbot/store/storetest"
)

// broadcastTo waits until every user's personal chat got a message
// containing text and returns each one's first.
func (s *service) broadcastTo(users []teamstest.User, text string) map[string]teamstest.Sent {
	s.t.Helper()
	got := map[string]teamstest.Sent{}
	deadline := time.Now().Add(20 * time.Second)
	for len(got) < len(users) {
		for _, u := range users {
			for _, m := range s.kit.SentTo(teamstest.PersonalConversation(u)) {
				if _, ok := got[u.ID]; !ok && strings.Contains(cardText(m.Card())+m.Text(), text) {
					got[u.ID] = m
				}
			}
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("%d of %d users got %q", len(got), len(users), text)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return got
}

// TestMembersGetTheBroadcastAndItsOptOutWorks runs delivery through the
// whole service: members who talked to the bot get the broadcast in their
// personal chat with the signed Opt out button; tapping it (a real signed
// activity through /api/messages) takes the user out, and the next
// broadcast leaves them out.
func TestMembersGetTheBroadcastAndItsOptOutWorks(t *testing.T) {
	storetest.EachDSN(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		s := startService(t, dsn, map[string]string{"SEGMENTBOT_SEND_RATE": "50"})
		db := s.app.store
		s.say(s.admin, "create segment News")
		seg, err := db.FindSegmentByName(ctx, "News")
		if err != nil {
			t.Fatal(err)
		}
		users := []teamstest.User{teamstest.NewUser("Ann Member"), teamstest.NewUser("Bob Member"), teamstest.NewUser("Cy Member")}
		for _, u := range users {
			s.say(u, "hello")
			du, err := db.FindUserByExternalID(ctx, segmentbot.ChannelTeams, u.ID)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := db.Join(ctx, seg.ID, du.ID, segmentbot.SourceAPI, 0); err != nil {
				t.Fatal(err)
			}
		}

		send := func(text string) *segmentbot.Broadcast {
			b := &segmentbot.Broadcast{SegmentID: seg.ID, Name: text, ScheduledAt: time.Now(),
				Message: &segmentbot.BroadcastMessage{Title: "Weekly news", Text: text}}
			if err := db.CreateBroadcast(ctx, b); err != nil {
				t.Fatal(err)
			}
			s.app.broadcastChanged(ctx, b)
			return b
		}
		first := send("First edition")
		got := s.broadcastTo(users, "First edition")
		for _, m := range got {
			wantIn(t, cardText(m.Card()), "Weekly news", "You get this because you joined News")
		}
		final := waitFinal(t, s, first.ID)
		if final.Status != segmentbot.BroadcastSent || final.Sent != 3 || final.Audience != 3 {
			t.Fatalf("first broadcast %s %+v", final.Status, final.BroadcastCounts)
		}

		// Ann taps Opt out on the copy she got.
		ann := users[0]
		reply := s.expectReply(s.kit.Submit(ann, action(t, got[ann.ID].Card(), "Opt out")))
		wantIn(t, replyText(reply), "News")
		annID, _ := db.FindUserByExternalID(ctx, segmentbot.ChannelTeams, ann.ID)
		if out, _ := db.IsOptedOut(ctx, seg.ID, annID.ID); !out {
			t.Fatal("the Opt out button of the broadcast did not opt Ann out")
		}

		second := send("Second edition")
		s.broadcastTo(users[1:], "Second edition")
		final = waitFinal(t, s, second.ID)
		if final.Audience != 2 || final.Sent != 2 {
			t.Fatalf("second broadcast %+v, want Ann left out", final.BroadcastCounts)
		}
		for _, m := range s.kit.SentTo(teamstest.PersonalConversation(ann)) {
			if strings.Contains(cardText(m.Card()), "Second edition") {
				t.Fatal("Ann got the broadcast after opting out")
			}
		}
	})
}

// waitFinal waits until the broadcast has a final status.
func waitFinal(t *testing.T, s *service, id int64) *segmentbot.Broadcast {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		b, err := s.app.store.FindBroadcastByID(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if b.FinishedAt != nil {
			return b
		}
		if time.Now().After(deadline) {
			t.Fatalf("broadcast %d still %s", id, b.Status)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
