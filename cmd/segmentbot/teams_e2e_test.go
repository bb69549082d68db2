package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/segmentbot/segmentbot"
	"github.com/segmentbot/segmentbot/bot/teams/teamstest"
	"github.com/segmentbot/segmentbot/store/storetest"
)

func TestUnauthenticatedOrBadRequestsLeaveNoTrace(t *testing.T) {
	storetest.EachDSN(t, func(t *testing.T, dsn string) {
		s := startService(t, dsn, nil)
		mallory := teamstest.NewUser("Mallory")
		a := s.kit.Message(mallory, "unsubscribe")
		tests := []struct {
			name string
			opts []teamstest.SignOption
		}{
			{"bad signature", []teamstest.SignOption{teamstest.BadSignature()}},
			{"expired", []teamstest.SignOption{teamstest.Expired()}},
			{"not yet valid", []teamstest.SignOption{teamstest.NotYetValid()}},
			{"wrong audience", []teamstest.SignOption{teamstest.Audience("someone-else")}},
			{"wrong issuer", []teamstest.SignOption{teamstest.Issuer("https://evil.example")}},
			{"alg none", []teamstest.SignOption{teamstest.AlgNone()}},
			{"HS256", []teamstest.SignOption{teamstest.HS256()}},
			{"unknown kid", []teamstest.SignOption{teamstest.UnknownKid()}},
			{"serviceurl mismatch", []teamstest.SignOption{teamstest.ServiceURL("https://evil.example/")}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if code, _ := s.post(a, tt.opts...); code != http.StatusUnauthorized {
					t.Fatalf("status %d, want 401", code)
				}
			})
		}
		for name, auth := range map[string]string{"no header": "", "garbage": "Bearer garbage"} {
			if code, _ := s.postRaw(a.JSON(), auth); code != http.StatusUnauthorized {
				t.Errorf("%s: status %d, want 401", name, code)
			}
		}
		if code, _ := s.postRaw([]byte(`{"type":`), s.kit.Sign(a)); code != http.StatusBadRequest {
			t.Errorf("malformed JSON: status %d, want 400", code)
		}
		big := append([]byte(`{"type":"message","text":"`), []byte(strings.Repeat("x", 1<<20))...)
		if code, _ := s.postRaw(append(big, `"}`...), s.kit.Sign(a)); code != http.StatusRequestEntityTooLarge {
			t.Errorf("oversized: status %d, want 413", code)
		}
		if _, err := s.app.store.FindUserByExternalID(t.Context(), segmentbot.ChannelTeams, mallory.ID); segmentbot.ErrorCode(err) != segmentbot.ENOTFOUND {
			t.Fatalf("a refused request stored its sender: %v", err)
		}
		if n := len(s.kit.Sent()); n != 0 {
			t.Fatalf("a refused request caused %d replies", n)
		}
		if code, _ := s.post(a); code != http.StatusOK {
			t.Fatalf("valid token: status %d", code)
		}
	})
}

func TestEndUserJourneyThroughTeams(t *testing.T) {
	storetest.EachDSN(t, func(t *testing.T, dsn string) {
		s := startService(t, dsn, nil)
		wantIn(t, replyText(s.say(s.admin, "create segment New starters")), "Segment created: New starters")

		var seg segmentbot.Segment
		var list struct{ Segments []segmentbot.Segment }
		if code := s.api("GET", "/v1/segments", nil, &list); code != 200 || len(list.Segments) != 1 {
			t.Fatalf("GET /v1/segments: %d %+v", code, list)
		}
		seg = list.Segments[0]
		var card map[string]any
		if code := s.api("GET", fmt.Sprintf("/v1/segments/%d/card", seg.ID), nil, &card); code != 200 {
			t.Fatalf("card: %d", code)
		}
		optIn, optOut := action(t, card, "Opt in"), action(t, card, "Opt out")

		ben := teamstest.NewUser("Ben")
		t.Run("the REST card's Opt in (Submit) joins and confirms", func(t *testing.T) {
			wantIn(t, replyText(s.expectReply(s.kit.Submit(ben, optIn))), "You're in: New starters")
			var members struct{ Members []segmentbot.Member }
			s.api("GET", fmt.Sprintf("/v1/segments/%d/members", seg.ID), nil, &members)
			if len(members.Members) != 1 || members.Members[0].Name != "Ben" || members.Members[0].Source != segmentbot.SourceButton {
				t.Fatalf("members: %+v", members)
			}
		})
		t.Run("Opt out by Execute answers with the refreshed card in the response", func(t *testing.T) {
			code, body := s.post(s.kit.Invoke(ben, optOut))
			if code != 200 {
				t.Fatalf("invoke: %d %s", code, body)
			}
			var resp struct {
				StatusCode int            `json:"statusCode"`
				Type       string         `json:"type"`
				Value      map[string]any `json:"value"`
			}
			if err := json.Unmarshal(body, &resp); err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != 200 || resp.Type != "application/vnd.microsoft.card.adaptive" {
				t.Fatalf("invoke response %s", body)
			}
			wantIn(t, cardText(resp.Value), "You're out: New starters", "Opt in")
		})
		t.Run("unsubscribe and Resubscribe", func(t *testing.T) {
			s.expectReply(s.kit.Submit(ben, optIn))
			reply := s.say(ben, "Unsubscribe")
			wantIn(t, replyText(reply), "You left: New starters")
			back := action(t, reply.Card(), "Resubscribe")
			wantIn(t, replyText(s.expectReply(s.kit.Submit(ben, back))), "Welcome back")
		})
		t.Run("a tampered action changes nothing", func(t *testing.T) {
			evil := map[string]any{}
			for k, v := range optOut {
				evil[k] = v
			}
			evil["segment_id"] = float64(seg.ID + 1)
			wantIn(t, replyText(s.expectReply(s.kit.Submit(ben, evil))), "not valid")
		})
		t.Run("an Execute tap delivered three times at once is one change and one answer", func(t *testing.T) {
			dan := teamstest.NewUser("Dan")
			a := s.kit.Invoke(dan, optIn)
			var wg sync.WaitGroup
			bodies := make(chan string, 3)
			for range 3 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					code, body := s.post(a)
					if code != 200 {
						t.Errorf("status %d", code)
					}
					bodies <- string(body)
				}()
			}
			wg.Wait()
			close(bodies)
			cards := 0
			for b := range bodies {
				if strings.Contains(b, "You're in: New starters") {
					cards++
				}
			}
			if cards != 1 {
				t.Fatalf("%d refreshed cards for one activity, want 1", cards)
			}
			u, err := s.app.store.FindUserByExternalID(t.Context(), segmentbot.ChannelTeams, dan.ID)
			if err != nil {
				t.Fatal(err)
			}
			if events, _ := s.app.store.FindEvents(t.Context(), seg.ID, u.ID); len(events) != 1 {
				t.Fatalf("%d events for one activity, want 1", len(events))
			}
		})
		t.Run("a redelivered activity is one change and one reply", func(t *testing.T) {
			cara := teamstest.NewUser("Cara")
			a := s.kit.Submit(cara, optIn)
			// A tap that changes nothing (a forged button) is answered once too.
			forged := map[string]any{}
			for k, v := range optIn {
				forged[k] = v
			}
			forged["sig"] = "forged"
			f := s.kit.Submit(teamstest.NewUser("Eve"), forged)
			before := len(s.kit.Sent())
			for i := 0; i < 3; i++ {
				for _, act := range []teamstest.Activity{a, f} {
					if code, _ := s.post(act); code != 200 {
						t.Fatalf("status %d", code)
					}
				}
			}
			s.kit.WaitSent(t, before+2)
			s.app.teams.Close(t.Context()) // drain the reply queue
			if n := len(s.kit.Sent()) - before; n != 2 {
				t.Fatalf("%d replies for two redelivered activities, want 2", n)
			}
			u, err := s.app.store.FindUserByExternalID(t.Context(), segmentbot.ChannelTeams, cara.ID)
			if err != nil {
				t.Fatal(err)
			}
			events, _ := s.app.store.FindEvents(t.Context(), seg.ID, u.ID)
			if len(events) != 1 {
				t.Fatalf("%d events for one redelivered activity", len(events))
			}
		})
	})
}
