package main

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/segmentbot/segmentbot"
	"github.com/segmentbot/segmentbot/bot/teams/teamstest"
	"github.com/segmentbot/segmentbot/store/storetest"
)

func TestConcurrentOptInAndOutOfOneUserEndConsistentWithTheLog(t *testing.T) {
	storetest.EachDSN(t, func(t *testing.T, dsn string) {
		s := startService(t, dsn, nil)
		s.say(s.admin, "create segment Hot")
		var list struct{ Segments []segmentbot.Segment }
		s.api("GET", "/v1/segments", nil, &list)
		seg := list.Segments[0]
		var card map[string]any
		s.api("GET", fmt.Sprintf("/v1/segments/%d/card", seg.ID), nil, &card)
		optIn, optOut := action(t, card, "Opt in"), action(t, card, "Opt out")
		kim := teamstest.NewUser("Kim")
		s.expectReply(s.kit.Message(kim, "hello")) // Kim is in the directory
		u, err := s.app.store.FindUserByExternalID(t.Context(), segmentbot.ChannelTeams, kim.ID)
		if err != nil {
			t.Fatal(err)
		}

		for round := 0; round < 100; round++ {
			in, out := s.kit.Submit(kim, optIn), s.kit.Submit(kim, optOut)
			inAuth, outAuth := s.kit.Sign(in), s.kit.Sign(out)
			var wg sync.WaitGroup
			for _, req := range []struct {
				body []byte
				auth string
			}{{in.JSON(), inAuth}, {out.JSON(), outAuth}} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if code, body := s.postRaw(req.body, req.auth); code != http.StatusOK {
						t.Errorf("round %d: status %d %s", round, code, body)
					}
				}()
			}
			wg.Wait()
			member, err := s.app.store.IsMember(t.Context(), seg.ID, u.ID)
			if err != nil {
				t.Fatal(err)
			}
			events, err := s.app.store.FindEvents(t.Context(), seg.ID, u.ID)
			if err != nil {
				t.Fatal(err)
			}
			last := events[len(events)-1]
			if member != (last.Action == segmentbot.ActionJoin) {
				t.Fatalf("round %d: member=%v but the newest event is %s", round, member, last.Action)
			}
		}

		_, metrics := s.get(s.srv.URL + "/metrics")
		wantIn(t, metrics, `segmentbot_membership_changes_total{action="join",source="button"}`, `segmentbot_http_requests_total`)
		if !strings.Contains(metrics, `route="/api/messages"`) {
			t.Error("/metrics does not count /api/messages requests by route")
		}
	})
}
