package main

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/segmentbot/segmentbot"
	"github.com/segmentbot/segmentbot/bot/teams"
	"github.com/segmentbot/segmentbot/bot/teams/teamstest"
	"github.com/segmentbot/segmentbot/store/storetest"
)

// audience is a team of n members in the segment Sales, plus Olly, who
// opted out of it, and Bea, who blocked the bot; it returns the members.
func audience(t *testing.T, s *service, n int) (members []teamstest.User, olly, bea teamstest.User) {
	t.Helper()
	var roster []teams.Member
	var emails []string
	for i := range n {
		u := teamstest.NewUser(fmt.Sprintf("Member %02d", i))
		members = append(members, u)
		roster = append(roster, u.Member(fmt.Sprintf("member%02d@contoso.com", i)))
		emails = append(emails, fmt.Sprintf("member%02d@contoso.com", i))
	}
	olly, bea = teamstest.NewUser("Olly Optout"), teamstest.NewUser("Bea Blocked")
	roster = append(roster, olly.Member("olly@contoso.com"), bea.Member("bea@contoso.com"))
	s.kit.SetRoster("19:sales@thread.tacv2", roster, 50)
	if code, _ := s.post(s.kit.InstallTeam("19:sales@thread.tacv2")); code != 200 {
		t.Fatal("team install failed")
	}
	s.kit.FailOpen(bea.ID, teamstest.Blocked)
	s.say(s.admin, "create segment Sales")
	wantIn(t, replyText(s.say(s.admin, "add to Sales\n"+strings.Join(append(emails, "olly@contoso.com", "bea@contoso.com"), "\n"))),
		fmt.Sprintf("Added %d of %d to Sales", n+2, n+2))
	var list struct{ Segments []segmentbot.Segment }
	s.api("GET", "/v1/segments", nil, &list)
	var card map[string]any
	s.api("GET", fmt.Sprintf("/v1/segments/%d/card", list.Segments[0].ID), nil, &card)
	s.expectReply(s.kit.Submit(olly, action(t, card, "Opt out")))
	return members, olly, bea
}

// copies counts the broadcast copies (activities carrying text) posted to
// each conversation.
func copies(s *service, text string) map[string]int {
	got := map[string]int{}
	for _, x := range s.kit.Sent() {
		if x.Method == http.MethodPost && strings.Contains(replyText(x), text) {
			got[x.ConversationID]++
		}
	}
	return got
}

// cardVersions is every version of the admin's card that first said
// first: the POST, then its PUTs, in order.
func cardVersions(s *service, first string) []teamstest.Sent {
	var id string
	var out []teamstest.Sent
	for _, x := range s.kit.Sent() {
		if id == "" && x.Method == http.MethodPost && strings.Contains(replyText(x), first) {
			id = x.ActivityID
		}
		if id != "" && x.ActivityID == id {
			out = append(out, x)
		}
	}
	return out
}

func TestAdminWritesPreviewsAndSendsABroadcastInChat(t *testing.T) {
	storetest.EachDSN(t, func(t *testing.T, dsn string) {
		s := startService(t, dsn, map[string]string{"SEGMENTBOT_SEND_RATE": "20"})
		members, olly, bea := audience(t, s, 60)

		before := len(s.kit.Sent())
		if code, body := s.post(s.kit.Message(s.admin, "broadcast Sales as Monday news\n# Monday news\nHello **all**.\n\nSee you.\nbutton: Read more | https://example.com/post")); code != 200 {
			t.Fatalf("status %d: %s", code, body)
		}
		sent := s.kit.WaitSent(t, before+2)[before:]
		preview, decision := sent[0], sent[1]
		t.Run("the preview is the copy recipients get, then the audience and the choices", func(t *testing.T) {
			wantIn(t, replyText(preview), "Monday news", "Hello **all**.", "See you.", "Read more", "Opt out", "You get this because you joined Sales")
			wantIn(t, replyText(decision), "Preview: Monday news", "Audience", "61 people (members who have not opted out)", "Send now", "Cancel")
			if strings.Contains(replyText(decision), "Schedule") {
				t.Error("a broadcast without a time offers Schedule")
			}
		})
		t.Run("nothing is sent before the admin confirms", func(t *testing.T) {
			time.Sleep(300 * time.Millisecond)
			if got := copies(s, "Hello **all**."); len(got) != 1 {
				t.Fatalf("copies before confirming: %v (only the preview to the admin)", got)
			}
		})

		send := action(t, decision.Card(), "Send now")
		if code, _ := s.post(s.kit.Submit(s.admin, send)); code != 200 {
			t.Fatal(code)
		}
		wantIn(t, replyText(s.waitFor("On its way: Monday news")), "goes to 61 people now")
		t.Run("a second tap does nothing more", func(t *testing.T) {
			if code, _ := s.post(s.kit.Submit(s.admin, send)); code != 200 {
				t.Fatal(code)
			}
			wantIn(t, replyText(s.waitFor("nothing more was done")), "Monday news", "is already")
		})

		report := s.waitForWithin("Monday news: sent with errors", 30*time.Second)
		t.Run("every member got one copy with Opt out; the opted-out and the blocked got none", func(t *testing.T) {
			got := copies(s, "Hello **all**.")
			for _, m := range members {
				if n := got[teamstest.PersonalConversation(m)]; n != 1 {
					t.Errorf("%s got %d copies", m.Name, n)
				}
			}
			if got[teamstest.PersonalConversation(olly)] != 0 || got[teamstest.PersonalConversation(bea)] != 0 {
				t.Errorf("the opted-out or blocked user got a copy: %v", got)
			}
			if len(got) != len(members)+1 { // and the admin's preview
				t.Errorf("%d conversations got it, want %d", len(got), len(members)+1)
			}
			for _, x := range s.kit.SentTo(teamstest.PersonalConversation(members[0])) {
				wantIn(t, replyText(x), "Opt out", "You get this because you joined Sales")
			}
		})
		t.Run("the progress card is updated in place, never twice within a second, and becomes the report", func(t *testing.T) {
			versions := cardVersions(s, "Sending Monday news")
			if len(versions) < 3 {
				t.Fatalf("the progress card has %d versions, want the card, an update and the report", len(versions))
			}
			for i, v := range versions[1:] {
				if v.Method != http.MethodPut {
					t.Fatalf("version %d is a %s, not an update in place", i+1, v.Method)
				}
			}
			for i := 2; i < len(versions)-1; i++ { // the report may follow the last update at once
				if gap := versions[i].At.Sub(versions[i-1].At); gap < 900*time.Millisecond {
					t.Errorf("updates %d and %d are %s apart", i-1, i, gap)
				}
			}
			last := replyText(versions[len(versions)-1])
			wantIn(t, last, "Monday news: sent with errors", "Recipients\n61", "Sent\n60", "Failed\n1", "they blocked the bot: 1", "Download deliveries.csv")
			if report.ActivityID != versions[0].ActivityID {
				t.Error("the report is not the progress card updated")
			}
		})
		t.Run("the report's link downloads every recipient", func(t *testing.T) {
			var link string
			eachAction(report.Card(), func(a map[string]any) {
				if a["title"] == "Download deliveries.csv" {
					link, _ = a["url"].(string)
				}
			})
			code, body := s.get(link)
			if code != 200 {
				t.Fatalf("download: %d %s", code, body)
			}
			lines := strings.Split(strings.TrimSpace(body), "\n")
			if lines[0] != "user_id,name,email,status,reason,sent_at" || len(lines) != 62 {
				t.Fatalf("%d lines, header %q", len(lines), lines[0])
			}
			wantIn(t, body, ",Bea Blocked,bea@contoso.com,failed,blocked,", ",Member 00,member00@contoso.com,sent,,")
		})
		t.Run("a recipient's Opt out works", func(t *testing.T) {
			copy := s.kit.SentTo(teamstest.PersonalConversation(members[1]))[0]
			wantIn(t, replyText(s.expectReply(s.kit.Submit(members[1], action(t, copy.Card(), "Opt out")))), "You're out: Sales")
		})
		t.Run("broadcasts lists it with its counts", func(t *testing.T) {
			wantIn(t, replyText(s.say(s.admin, "broadcasts")), "Monday news", "sent with errors: 60 sent, 1 failed, 0 pending")
		})
	})
}

func TestABroadcastMadeThroughRESTIsDeliveredAndReported(t *testing.T) {
	storetest.EachDSN(t, func(t *testing.T, dsn string) {
		s := startService(t, dsn, map[string]string{"SEGMENTBOT_SEND_RATE": "100"})
		members, _, _ := audience(t, s, 10)
		var list struct{ Segments []segmentbot.Segment }
		s.api("GET", "/v1/segments", nil, &list)
		var b segmentbot.Broadcast
		code := s.api("POST", "/v1/broadcasts", map[string]any{"segment_id": list.Segments[0].ID, "message": map[string]any{
			"title": "Flash", "text": "From **the API**.", "image_url": "https://example.com/a.png",
			"buttons": []map[string]string{{"title": "Open", "url": "https://example.com"}}}}, &b)
		if code != http.StatusCreated || b.ID == 0 {
			t.Fatalf("POST /v1/broadcasts: %d %+v", code, b)
		}
		report := s.waitForWithin("Flash: sent with errors", 20*time.Second)
		t.Run("the admin with a chat gets the report", func(t *testing.T) {
			if report.ConversationID != teamstest.PersonalConversation(s.admin) {
				t.Errorf("the report went to %s", report.ConversationID)
			}
		})
		t.Run("every member got it", func(t *testing.T) {
			got := copies(s, "From **the API**.")
			for _, m := range members {
				if got[teamstest.PersonalConversation(m)] != 1 {
					t.Errorf("%s got %d copies", m.Name, got[teamstest.PersonalConversation(m)])
				}
			}
		})
		t.Run("GET gives the final counts by reason", func(t *testing.T) {
			var got segmentbot.Broadcast
			s.api("GET", fmt.Sprintf("/v1/broadcasts/%d", b.ID), nil, &got)
			if got.Status != segmentbot.BroadcastSentWithErrors || got.Audience != 11 || got.Sent != 10 || got.Failed != 1 || got.Pending != 0 ||
				got.FailedByReason[segmentbot.DeliveryBlocked] != 1 || got.StartedAt == nil || got.FinishedAt == nil || got.Message.Title != "Flash" {
				t.Fatalf("broadcast %+v", got)
			}
		})
		t.Run("deliveries.csv with the key", func(t *testing.T) {
			req, _ := http.NewRequest("GET", fmt.Sprintf("%s/v1/broadcasts/%d/deliveries.csv", s.srv.URL, b.ID), nil)
			req.Header.Set("Authorization", "Bearer "+apiKey)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var sb strings.Builder
			buf := make([]byte, 4096)
			for {
				n, err := resp.Body.Read(buf)
				sb.Write(buf[:n])
				if err != nil {
					break
				}
			}
			if lines := strings.Split(strings.TrimSpace(sb.String()), "\n"); resp.StatusCode != 200 || len(lines) != 12 {
				t.Fatalf("%d, %d lines:\n%s", resp.StatusCode, len(lines), sb.String())
			}
		})
	})
}

// waitForWithin is waitFor with a longer patience, for whole broadcasts.
func (s *service) waitForWithin(text string, d time.Duration) teamstest.Sent {
	s.t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		sent := s.kit.Sent()
		for i := len(sent) - 1; i >= 0; i-- {
			if strings.Contains(replyText(sent[i]), text) {
				return sent[i]
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.t.Fatalf("the bot never sent %q within %s", text, d)
	return teamstest.Sent{}
}

// eachAction calls fn for every action of a card.
func eachAction(card map[string]any, fn func(map[string]any)) {
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if t, _ := x["type"].(string); strings.HasPrefix(t, "Action.") {
				fn(x)
			}
			for _, k := range []string{"body", "actions", "items", "columns"} {
				walk(x[k])
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(card)
}

func TestCancelBroadcastInChatStopsASendingOne(t *testing.T) {
	storetest.EachDSN(t, func(t *testing.T, dsn string) {
		s := startService(t, dsn, map[string]string{"SEGMENTBOT_SEND_RATE": "10"})
		audience(t, s, 40)
		before := len(s.kit.Sent())
		s.post(s.kit.Message(s.admin, "broadcast Sales as Slow news\nSlowly **now**."))
		decision := s.kit.WaitSent(t, before+2)[before+1]
		s.post(s.kit.Submit(s.admin, action(t, decision.Card(), "Send now")))
		s.waitForWithin("Sending Slow news", 10*time.Second)
		for len(copies(s, "Slowly **now**.")) < 5 {
			time.Sleep(20 * time.Millisecond)
		}
		if code, _ := s.post(s.kit.Message(s.admin, "cancel broadcast slow news")); code != 200 {
			t.Fatal(code)
		}
		wantIn(t, replyText(s.waitFor("Cancelled Slow news")), "sending stops now")
		report := replyText(s.waitForWithin("Slow news: cancelled", 10*time.Second))
		got := len(copies(s, "Slowly **now**.")) - 1 // the admin's preview
		wantIn(t, report, "Cancelled while sending", "Not sent (cancelled)", "Download deliveries.csv")
		if got >= 40 {
			t.Fatalf("%d of 40 members got it after the cancel", got)
		}
		time.Sleep(1500 * time.Millisecond)
		if after := len(copies(s, "Slowly **now**.")) - 1; after != got {
			t.Errorf("copies went on after the report: %d, then %d", got, after)
		}
	})
}
