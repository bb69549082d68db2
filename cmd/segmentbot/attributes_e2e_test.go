package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/segmentbot/segmentbot"
	"github.com/segmentbot/segmentbot/bot/teams/teamstest"
	"github.com/segmentbot/segmentbot/store/storetest"
)

// attributeTeam puts six users who talked to the bot into the segment
// News with attributes saved by the store: three in Sales (spelt in any
// case), two in Marketing, one with none. It returns them in that order.
func attributeTeam(t *testing.T, s *service) []teamstest.User {
	t.Helper()
	ctx := context.Background()
	db := s.app.store
	wantIn(t, replyText(s.say(s.admin, "create segment News")), "Segment created: News")
	seg, err := db.FindSegmentByName(ctx, "News")
	if err != nil {
		t.Fatal(err)
	}
	departments := []string{"Sales", "Marketing", "sales", "Marketing", "SALES", ""}
	var users []teamstest.User
	var attrs []segmentbot.Attribute
	for i, dept := range departments {
		u := teamstest.NewUser(fmt.Sprintf("Person %d", i))
		users = append(users, u)
		s.say(u, "hello")
		du, err := db.FindUserByExternalID(ctx, segmentbot.ChannelTeams, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Join(ctx, seg.ID, du.ID, segmentbot.SourceAPI, 0); err != nil {
			t.Fatal(err)
		}
		if dept != "" {
			attrs = append(attrs,
				segmentbot.Attribute{UserID: du.ID, Name: "department", Value: dept, Source: segmentbot.AttributeDirectory},
				segmentbot.Attribute{UserID: du.ID, Name: "country", Value: []string{"UK", "US"}[i%2], Source: segmentbot.AttributeDirectory})
		}
	}
	if _, err := db.SaveAttributes(ctx, attrs); err != nil {
		t.Fatal(err)
	}
	return users
}

// gotText reports which users' personal chats got a message containing
// text.
func gotText(s *service, users []teamstest.User, text string) []bool {
	got := make([]bool, len(users))
	for i, u := range users {
		for _, m := range s.kit.SentTo(teamstest.PersonalConversation(u)) {
			if strings.Contains(cardText(m.Card())+m.Text(), text) {
				got[i] = true
			}
		}
	}
	return got
}

// broadcastNamed finds a broadcast by name.
func broadcastNamed(t *testing.T, s *service, name string) *segmentbot.Broadcast {
	t.Helper()
	list, err := s.app.store.FindBroadcasts(context.Background(), time.Now(), false)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range list {
		if b.Name == name {
			return b
		}
	}
	t.Fatalf("no broadcast %q", name)
	return nil
}

var sales = []bool{true, false, true, false, true, false}

func TestAFilteredBroadcastInChatReachesExactlyTheMatchingMembers(t *testing.T) {
	storetest.EachDSN(t, func(t *testing.T, dsn string) {
		s := startService(t, dsn, map[string]string{"SEGMENTBOT_SEND_RATE": "50"})
		users := attributeTeam(t, s)

		if code, body := s.post(s.kit.Message(s.admin, "broadcast News where department is Sales as Sales update\nThe Sales figures are in.")); code != 200 {
			t.Fatalf("status %d: %s", code, body)
		}
		decision := s.waitFor("Preview: Sales update")
		wantIn(t, replyText(decision), "Preview: Sales update", "Filter", "department is Sales",
			"3 people (members who have not opted out and match the filter)", "Send now")
		s.expectReply(s.kit.Submit(s.admin, action(t, decision.Card(), "Send now")))
		wantIn(t, replyText(s.waitFor("On its way: Sales update")), "goes to 3 people now")

		final := waitFinal(t, s, broadcastNamed(t, s, "Sales update").ID)
		if final.Status != segmentbot.BroadcastSent || final.Audience != 3 || final.Sent != 3 || final.Filter.Words() != "department is Sales" {
			t.Fatalf("broadcast %s %+v, filter %q", final.Status, final.BroadcastCounts, final.Filter.Words())
		}
		if got := gotText(s, users, "The Sales figures are in."); fmt.Sprint(got) != fmt.Sprint(sales) {
			t.Fatalf("who got it: %v, want %v (exactly the Sales people)", got, sales)
		}
	})
}

func TestAFilteredBroadcastThroughRESTReachesExactlyTheMatchingMembers(t *testing.T) {
	storetest.EachDSN(t, func(t *testing.T, dsn string) {
		s := startService(t, dsn, map[string]string{"SEGMENTBOT_SEND_RATE": "50"})
		users := attributeTeam(t, s)
		seg, err := s.app.store.FindSegmentByName(context.Background(), "News")
		if err != nil {
			t.Fatal(err)
		}
		var b segmentbot.Broadcast
		if code := s.api("POST", "/v1/broadcasts", map[string]any{"segment_id": seg.ID, "message": map[string]any{"text": "Not for Sales."},
			"filter": map[string]any{"all": []map[string]any{{"attribute": "Department", "op": "not_in", "values": []string{"SALES"}}}}}, &b); code != http.StatusCreated {
			t.Fatalf("POST /v1/broadcasts: %d", code)
		}
		final := waitFinal(t, s, b.ID)
		if final.Audience != 3 || final.Sent != 3 {
			t.Fatalf("broadcast %s %+v", final.Status, final.BroadcastCounts)
		}
		want := []bool{false, true, false, true, false, true} // Marketing, and who has no department
		if got := gotText(s, users, "Not for Sales."); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("who got it: %v, want %v", got, want)
		}
		t.Run("a bad filter is 400 and sends nothing", func(t *testing.T) {
			var e struct {
				Error struct{ Code, Message string }
			}
			code := s.api("POST", "/v1/broadcasts", map[string]any{"segment_id": seg.ID, "message": map[string]any{"text": "Never."},
				"filter": map[string]any{"all": []map[string]any{{"attribute": "department", "op": "is", "values": []string{"Sales"}}}}}, &e)
			if code != http.StatusBadRequest || !strings.Contains(e.Error.Message, `unknown op "is" for department`) {
				t.Fatalf("%d %+v", code, e)
			}
		})
	})
}

func TestAudienceAttributesAndRuleSegmentsInChatAndREST(t *testing.T) {
	storetest.EachDSN(t, func(t *testing.T, dsn string) {
		s := startService(t, dsn, nil)
		attributeTeam(t, s)
		seg, err := s.app.store.FindSegmentByName(context.Background(), "News")
		if err != nil {
			t.Fatal(err)
		}
		t.Run("attributes in chat and REST", func(t *testing.T) {
			// Of the spellings of a value, one users have is shown (which
			// one follows the database's collation).
			wantIn(t, strings.ToLower(replyText(s.say(s.admin, "attributes"))), "department", "5 users: sales (3), marketing (2)", "country", "5 users: uk (3), us (2)")
			var got struct {
				Attributes []segmentbot.AttributeCount `json:"attributes"`
			}
			if code := s.api("GET", "/v1/attributes", nil, &got); code != 200 || len(got.Attributes) != 2 ||
				got.Attributes[1].Name != "department" || got.Attributes[1].Users != 5 || !strings.EqualFold(got.Attributes[1].Values[0].Value, "sales") || got.Attributes[1].Values[0].Users != 3 {
				t.Fatalf("%d %+v", code, got)
			}
		})
		t.Run("audience in chat and REST", func(t *testing.T) {
			wantIn(t, replyText(s.say(s.admin, "audience News where department is sales and country is UK")),
				"Audience: News", "department is sales, and country is UK", "3 people (members who have not opted out and match the filter)",
				"For example Person 0, Person 2 and Person 4.")
			// The names are in italics: the answer is Markdown.
			wantIn(t, replyText(s.say(s.admin, "audience News where departmnt is Sales")), "0 people", "No user has _departmnt_ yet", "Did you mean _department_?")
			wantIn(t, replyText(s.say(s.admin, "audience News where department equals Sales")),
				`After "department" I expected "is", "is not", "exists" or "missing", not "equals".`)
			var got struct {
				Count  int64
				Sample []struct {
					UserID int64 `json:"user_id"`
					Name   string
				}
			}
			if code := s.api("POST", "/v1/audience", map[string]any{"segment_id": seg.ID,
				"filter": map[string]any{"all": []map[string]any{{"attribute": "department", "op": "missing"}}}}, &got); code != 200 ||
				got.Count != 1 || len(got.Sample) != 1 || got.Sample[0].Name != "Person 5" {
				t.Fatalf("%d %+v", code, got)
			}
		})
		t.Run("a rule segment in chat", func(t *testing.T) {
			wantIn(t, replyText(s.say(s.admin, "create segment UK Sales where country is UK and department is Sales")),
				"Segment created: UK Sales", "country is UK, and department is Sales", "It has 3 members now")
		})
		t.Run("a rule segment through REST, shown by GET", func(t *testing.T) {
			var created segmentbot.Segment
			if code := s.api("POST", "/v1/segments", map[string]any{"name": "Marketing",
				"filter": map[string]any{"all": []map[string]any{{"attribute": "department", "op": "in", "values": []string{"marketing"}}}}}, &created); code != http.StatusCreated || created.Members != 2 {
				t.Fatalf("%d %+v", code, created)
			}
			var list struct{ Segments []segmentbot.Segment }
			s.api("GET", "/v1/segments", nil, &list)
			var rules []string
			for _, sg := range list.Segments {
				if sg.Filter != nil {
					rules = append(rules, fmt.Sprintf("%s (%d): %s", sg.Name, sg.Members, sg.Filter.Words()))
				}
			}
			if strings.Join(rules, "; ") != "UK Sales (3): country is UK, and department is Sales; Marketing (2): department is marketing" {
				t.Fatalf("rule segments %q", rules)
			}
		})
	})
}

// A rule segment's card has an Opt in like any other, but the tap lets in
// only who the rule would: someone else would be in until the next sync.
func TestAnOptInTapOnARuleSegmentChecksTheRule(t *testing.T) {
	storetest.EachDSN(t, func(t *testing.T, dsn string) {
		s := startService(t, dsn, nil)
		people := attributeTeam(t, s)
		salesUK, marketing := people[0], people[1]
		seg := ukSales(t, s)
		card := s.card(seg.ID)
		member := func(u teamstest.User) bool {
			t.Helper()
			du, err := s.app.store.FindUserByExternalID(context.Background(), segmentbot.ChannelTeams, u.ID)
			if err != nil {
				t.Fatal(err)
			}
			in, err := s.app.store.IsMember(context.Background(), seg.ID, du.ID)
			if err != nil {
				t.Fatal(err)
			}
			return in
		}

		t.Run("someone the rule does not match is told whom it is for and not added", func(t *testing.T) {
			reply := replyText(s.expectReply(s.kit.Submit(marketing, action(t, card, "Opt in"))))
			wantIn(t, reply, "UK Sales is for people who match country is UK, and department is sales. You don't, so nothing changed.")
			if strings.Contains(reply, "You're in") || strings.Contains(strings.ToLower(reply), "error") {
				t.Errorf("reply %q", reply)
			}
			if member(marketing) {
				t.Fatal("the tap added someone the rule does not match")
			}
		})
		t.Run("someone it matches comes back by their own tap", func(t *testing.T) {
			wantIn(t, replyText(s.expectReply(s.kit.Submit(salesUK, action(t, card, "Opt out")))), "You're out: UK Sales")
			if member(salesUK) {
				t.Fatal("still a member after opting out")
			}
			if _, err := s.app.store.SyncRuleSegments(context.Background()); err != nil {
				t.Fatal(err)
			}
			if member(salesUK) {
				t.Fatal("the sync brought back a member who opted out")
			}
			wantIn(t, replyText(s.expectReply(s.kit.Submit(salesUK, action(t, card, "Opt in")))), "You're in: UK Sales")
			if !member(salesUK) {
				t.Fatal("the tap of a matching user did not join")
			}
		})
	})
}

// Resubscribe after a typed unsubscribe brings a user back into the rule
// segments they left only while the rule still matches them, as their own
// Opt in tap does; the other segments they left take them back as ever.
func TestResubscribeChecksTheRuleOfARuleSegment(t *testing.T) {
	storetest.EachDSN(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		s := startService(t, dsn, nil)
		people := attributeTeam(t, s) // Person 0: Sales, UK; Person 2: sales, UK
		moved, stayed := people[0], people[2]
		seg := ukSales(t, s)
		userOf := func(u teamstest.User) *segmentbot.User {
			t.Helper()
			du, err := s.app.store.FindUserByExternalID(ctx, segmentbot.ChannelTeams, u.ID)
			if err != nil {
				t.Fatal(err)
			}
			return du
		}
		member := func(u teamstest.User, segment int64) bool {
			t.Helper()
			in, err := s.app.store.IsMember(ctx, segment, userOf(u).ID)
			if err != nil {
				t.Fatal(err)
			}
			return in
		}
		news := s.segmentByName("News").ID
		stops := map[string]teamstest.Sent{}
		for _, u := range []teamstest.User{moved, stayed} {
			if !member(u, seg.ID) || !member(u, news) {
				t.Fatalf("%s should start in UK Sales and News", u.Name)
			}
			stops[u.ID] = s.say(u, "unsubscribe")
			if member(u, seg.ID) || member(u, news) {
				t.Fatalf("%s is still a member after unsubscribe", u.Name)
			}
		}
		if _, err := s.app.store.SaveAttributes(ctx, []segmentbot.Attribute{
			{UserID: userOf(moved).ID, Name: "department", Value: "Marketing", Source: segmentbot.AttributeDirectory}}); err != nil {
			t.Fatal(err)
		}

		reply := replyText(s.expectReply(s.kit.Submit(moved, action(t, stops[moved.ID].Card(), "Resubscribe"))))
		wantIn(t, reply, "Welcome back! You're subscribed again to: News.",
			"UK Sales is for people who match country is UK, and department is sales. You don't any more, so you're not back in it.")
		if member(moved, seg.ID) || !member(moved, news) {
			t.Errorf("after Resubscribe, %s in UK Sales %v (want false), in News %v (want true)", moved.Name, member(moved, seg.ID), member(moved, news))
		}

		reply = replyText(s.expectReply(s.kit.Submit(stayed, action(t, stops[stayed.ID].Card(), "Resubscribe"))))
		wantIn(t, reply, "Welcome back", "UK Sales", "News")
		if strings.Contains(reply, "is for people who match") || !member(stayed, seg.ID) || !member(stayed, news) {
			t.Errorf("reply %q; %s should be back in both", reply, stayed.Name)
		}
	})
}

// ukSales creates the open rule segment "UK Sales" (country is UK and
// department is sales) through REST.
func ukSales(t *testing.T, s *service) segmentbot.Segment {
	t.Helper()
	var seg segmentbot.Segment
	if code := s.api("POST", "/v1/segments", map[string]any{"name": "UK Sales", "visibility": "open",
		"filter": map[string]any{"all": []map[string]any{
			{"attribute": "country", "op": "in", "values": []string{"UK"}},
			{"attribute": "department", "op": "in", "values": []string{"sales"}}}}}, &seg); code != http.StatusCreated {
		t.Fatalf("create the rule segment: %d", code)
	}
	return seg
}
