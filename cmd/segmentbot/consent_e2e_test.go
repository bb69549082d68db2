package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/segmentbot/segmentbot"
	"github.com/segmentbot/segmentbot/bot/teams"
	"github.com/segmentbot/segmentbot/bot/teams/teamstest"
	"github.com/segmentbot/segmentbot/store/storetest"
)

// segmentByName finds a segment through GET /v1/segments.
func (s *service) segmentByName(name string) segmentbot.Segment {
	s.t.Helper()
	var list struct{ Segments []segmentbot.Segment }
	s.api("GET", "/v1/segments?limit=1000", nil, &list)
	for _, seg := range list.Segments {
		if seg.Name == name {
			return seg
		}
	}
	s.t.Fatalf("no segment %q in %+v", name, list.Segments)
	return segmentbot.Segment{}
}

// card is the segment's card from GET /v1/segments/{id}/card.
func (s *service) card(id int64) map[string]any {
	s.t.Helper()
	var card map[string]any
	if code := s.api("GET", fmt.Sprintf("/v1/segments/%d/card", id), nil, &card); code != 200 {
		s.t.Fatalf("card of segment %d: %d", id, code)
	}
	return card
}

// postCSV starts an import through POST /v1/segments/{id}/imports and
// waits for it to finish.
func (s *service) postCSV(id int64, csv string) map[string]any {
	s.t.Helper()
	code, body := s.rawCSV(fmt.Sprintf("/v1/segments/%d/imports", id), csv)
	if code != http.StatusAccepted {
		s.t.Fatalf("POST import: %d %s", code, body)
	}
	var started struct{ ID int64 }
	if err := json.Unmarshal([]byte(body), &started); err != nil {
		s.t.Fatal(err)
	}
	return s.waitImport(started.ID)
}

// report is the import's report.csv.
func (s *service) report(id any) string {
	s.t.Helper()
	req, _ := http.NewRequest("GET", fmt.Sprintf("%s/v1/imports/%v/report.csv", s.srv.URL, id), nil)
	req.Header.Set("Authorization", "Bearer "+apiKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// The scenario of issue 14: after STOP, a paste or CSV into a new segment
// used to add the user again ("Added 2 of 5 to Team 2").
func TestUnsubscribeIsGlobalAndStickyThroughTheService(t *testing.T) {
	storetest.EachDSN(t, func(t *testing.T, dsn string) {
		s := startService(t, dsn, nil)
		var roster []teams.Member
		var emails []string
		var people []teamstest.User
		for i := 0; i < 5; i++ {
			u := teamstest.NewUser(fmt.Sprintf("Person %d", i))
			email := fmt.Sprintf("person%d@contoso.com", i)
			roster, emails, people = append(roster, u.Member(email)), append(emails, email), append(people, u)
		}
		stan := people[0]
		s.kit.SetRoster("19:all@thread.tacv2", roster, 10)
		if code, _ := s.post(s.kit.InstallTeam("19:all@thread.tacv2")); code != 200 {
			t.Fatal("team install failed")
		}
		s.say(s.admin, "create segment Team 1")
		wantIn(t, replyText(s.say(s.admin, "add to Team 1\n"+strings.Join(emails, "\n"))), "Added 5 of 5 to Team 1")

		stop := s.say(stan, "STOP!!")
		wantIn(t, replyText(stop), "You left: Team 1", "No admin can add you")

		t.Run("a paste into a new segment skips them as opted out", func(t *testing.T) {
			s.say(s.admin, "create segment Team 2")
			wantIn(t, replyText(s.say(s.admin, "add to Team 2\n"+strings.Join(emails, "\n"))),
				"Added 4 of 5 to Team 2", "person0@contoso.com: opted out")
		})
		t.Run("a paste back into the segment they left skips them too", func(t *testing.T) {
			wantIn(t, replyText(s.say(s.admin, "add to Team 1\nperson0@contoso.com")), "Added 0 of 1 to Team 1", "opted out")
		})
		s.say(s.admin, "create segment Team 3")
		team3 := s.segmentByName("Team 3")
		t.Run("REST members add reports skipped_opted_out", func(t *testing.T) {
			var out struct {
				Results []struct{ Email, Outcome string }
			}
			if code := s.api("POST", fmt.Sprintf("/v1/segments/%d/members", team3.ID), map[string]any{"emails": emails[:2]}, &out); code != 200 {
				t.Fatalf("POST members: %d", code)
			}
			if len(out.Results) != 2 || out.Results[0].Outcome != segmentbot.OutcomeSkippedOptedOut || out.Results[1].Outcome != segmentbot.OutcomeAdded {
				t.Fatalf("results %+v, want person0 skipped_opted_out, person1 added", out.Results)
			}
		})
		t.Run("a CSV import reports skipped_opted_out", func(t *testing.T) {
			s.say(s.admin, "create segment Team 4")
			imp := s.postCSV(s.segmentByName("Team 4").ID, "email\n"+strings.Join(emails, "\n")+"\n")
			if imp["skipped_opted_out"] != float64(1) || imp["added"] != float64(4) {
				t.Fatalf("import %v, want 4 added, 1 skipped_opted_out", imp)
			}
			wantIn(t, s.report(imp["id"]), "person0@contoso.com,skipped_opted_out")
		})

		t.Run("their own Opt in joins that one segment only", func(t *testing.T) {
			wantIn(t, replyText(s.expectReply(s.kit.Submit(stan, action(t, s.card(team3.ID), "Opt in")))), "You're in: Team 3")
			var members struct{ Members []segmentbot.Member }
			s.api("GET", fmt.Sprintf("/v1/segments/%d/members", team3.ID), nil, &members)
			if len(members.Members) != 2 {
				t.Fatalf("Team 3 has %d members, want person1 and stan", len(members.Members))
			}
			wantIn(t, replyText(s.say(s.admin, "add to Team 2\nperson0@contoso.com")), "Added 0 of 1 to Team 2", "opted out")
		})

		t.Run("Resubscribe restores what they left and lifts the block", func(t *testing.T) {
			wantIn(t, replyText(s.expectReply(s.kit.Submit(stan, action(t, stop.Card(), "Resubscribe")))), "Welcome back", "Team 1")
			wantIn(t, replyText(s.say(s.admin, "add to Team 2\nperson0@contoso.com")), "Added 1 of 1 to Team 2")
		})

		t.Run("history shows each step with who was behind it", func(t *testing.T) {
			var members struct{ Members []segmentbot.Member }
			s.api("GET", fmt.Sprintf("/v1/segments/%d/members", team3.ID), nil, &members)
			var stanID int64
			for _, m := range members.Members {
				if m.Email == "person0@contoso.com" {
					stanID = m.UserID
				}
			}
			var page struct {
				Events []segmentbot.UserEvent
			}
			if code := s.api("GET", fmt.Sprintf("/v1/users/%d/events", stanID), nil, &page); code != 200 {
				t.Fatalf("GET events: %d", code)
			}
			var got []string
			for _, e := range page.Events {
				got = append(got, fmt.Sprintf("%s %s %s", e.Action, e.SegmentName, e.Source))
			}
			want := []string{"join Team 1 chat", "leave Team 1 keyword", "join Team 3 button", "join Team 1 resubscribe", "join Team 2 chat"}
			if strings.Join(got, "; ") != strings.Join(want, "; ") {
				t.Fatalf("history %q, want %q", got, want)
			}
			if page.Events[0].ImportID == 0 || page.Events[0].ActorID == 0 {
				t.Errorf("the admin's paste does not name its import and admin: %+v", page.Events[0])
			}
			wantIn(t, replyText(s.say(s.admin, "history person0@contoso.com")), "History of Person 0", "joined Team 1, added or removed in chat",
				"left Team 1, by typing unsubscribe", "joined Team 3, by their own tap", "joined Team 1, by their own Resubscribe")
		})
	})
}

func TestVisibilityAndEndUserHelpThroughTheService(t *testing.T) {
	storetest.EachDSN(t, func(t *testing.T, dsn string) {
		s := startService(t, dsn, nil)
		eli := teamstest.NewUser("Eli")
		for _, text := range []string{"hi", "help", "what?"} {
			reply := replyText(s.say(eli, text))
			wantIn(t, reply, "What you can do here", "my segments", "unsubscribe", "My segments", "Open segments")
			if strings.Contains(reply, "I didn't get that") || strings.ContainsAny(reply, "<>") {
				t.Errorf("%q: %q", text, reply)
			}
		}
		for i := 1; i <= 14; i++ {
			var seg segmentbot.Segment
			if code := s.api("POST", "/v1/segments", map[string]any{"name": fmt.Sprintf("Club %02d", i), "visibility": "open"}, &seg); code != 201 {
				t.Fatalf("create open segment: %d", code)
			}
		}
		s.say(s.admin, "create segment Staff")
		oldCard := s.card(s.segmentByName("Staff").ID) // shared while Staff was invite
		wantIn(t, replyText(s.say(s.admin, "set segment Staff closed")), "Staff is now closed")
		staff := s.segmentByName("Staff")
		if staff.Visibility != segmentbot.VisibilityClosed {
			t.Fatalf("GET /v1/segments shows Staff as %q", staff.Visibility)
		}
		if code := s.api("PATCH", fmt.Sprintf("/v1/segments/%d", staff.ID), map[string]any{"visibility": "secret"}, nil); code != 400 {
			t.Fatalf("PATCH an unknown visibility: %d, want 400", code)
		}

		t.Run("segments pages past the 10-card carousel", func(t *testing.T) {
			before := len(s.kit.Sent())
			if code, _ := s.post(s.kit.Message(eli, "segments")); code != 200 {
				t.Fatal(code)
			}
			sent := s.kit.WaitSent(t, before+2)
			carousel, more := sent[before], sent[before+1]
			if n := len(carousel.Activity["attachments"].([]any)); n != 10 {
				t.Fatalf("first page: %d cards, want 10", n)
			}
			wantIn(t, replyText(more), "10 of 14", "More")
			before = len(s.kit.Sent())
			if code, _ := s.post(s.kit.Submit(eli, action(t, more.Card(), "More"))); code != 200 {
				t.Fatal(code)
			}
			sent = s.kit.WaitSent(t, before+2) // the last page and "That's all"
			next := sent[before]
			if n := len(next.Activity["attachments"].([]any)); n != 4 {
				t.Fatalf("second page: %d cards, want 4", n)
			}
			wantIn(t, replyText(sent[before+1]), "That's all 14 segments")
			if strings.Contains(replyText(carousel)+replyText(next), "Staff") {
				t.Error("a closed segment is listed to end users")
			}
		})
		t.Run("a closed segment's card offers only Opt out and an old Opt in is refused", func(t *testing.T) {
			card := s.card(staff.ID)
			if text := cardText(card); !strings.Contains(text, "Opt out") || strings.Contains(text, "Opt in") {
				t.Fatalf("closed card: %q", text)
			}
			reply := replyText(s.expectReply(s.kit.Submit(eli, action(t, oldCard, "Opt in"))))
			wantIn(t, reply, "Staff is closed", "nothing changed")
			var members struct{ Members []segmentbot.Member }
			s.api("GET", fmt.Sprintf("/v1/segments/%d/members", staff.ID), nil, &members)
			if len(members.Members) != 0 {
				t.Fatalf("an Opt in tap joined a closed segment: %+v", members.Members)
			}
		})
	})
}
