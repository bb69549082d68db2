package main

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/segmentbot/segmentbot"
	"github.com/segmentbot/segmentbot/bot/teams"
	"github.com/segmentbot/segmentbot/bot/teams/teamstest"
	"github.com/segmentbot/segmentbot/bot/workplace/workplacetest"
	"github.com/segmentbot/segmentbot/store/storetest"
)

// TestMemberListsHaveNoBlankRows is issue 14.13: a Workplace user who taps
// Opt in (the webhook carries only an id) and a Teams user whose activity
// has no name are listed with the name and email their channel's profile
// gives, and with their channel id, in JSON and in the CSV export.
func TestMemberListsHaveNoBlankRows(t *testing.T) {
	storetest.EachDSN(t, func(t *testing.T, dsn string) {
		graph := workplacetest.NewGraph(t, wpAccessToken)
		graph.Members = []workplacetest.Member{{ID: "100077", Name: "Vic Vance", Email: "Vic@Acme.example"}}
		w := startWorkplace(t, dsn, graph, nil)
		var seg segmentbot.Segment
		if code := w.api("POST", "/v1/segments", map[string]string{"name": "Newsletter"}, &seg); code != http.StatusCreated {
			t.Fatalf("create segment: %d", code)
		}
		var card struct{ Messages []map[string]any }
		w.api("GET", fmt.Sprintf("/v1/segments/%d/card?format=workplace", seg.ID), nil, &card)
		optIn, _ := workplacetest.FindButton(card.Messages[0], "Opt in")["payload"].(string)
		vic := wpPerson{"100077", wpCommunity}
		wantIn(t, wpReply(t, w.do(vic.taps(optIn)), vic.ID), "You're in: Newsletter")

		// A Teams user whose client sent no name: the member API knows her.
		nameless := teamstest.NewUser("Nia")
		nameless.Name = ""
		w.kit.SetProfile(teams.Member{ID: nameless.ID, Name: "Nia Noor", Email: "Nia@Contoso.com", ObjectID: nameless.AADObjectID})
		teamsCard, err := w.app.bot.SegmentCard(t.Context(), seg.ID)
		if err != nil {
			t.Fatal(err)
		}
		if code, body := w.post(w.kit.Submit(nameless, teamsCard.Buttons[0].Action)); code != http.StatusOK {
			t.Fatalf("tap: %d %s", code, body)
		}

		var out struct{ Members []segmentbot.Member }
		w.api("GET", fmt.Sprintf("/v1/segments/%d/members", seg.ID), nil, &out)
		if len(out.Members) != 2 {
			t.Fatalf("members %+v, want Vic and Nia", out.Members)
		}
		want := map[string]segmentbot.Member{
			"100077":    {Name: "Vic Vance", Email: "vic@acme.example", Channel: segmentbot.ChannelWorkplace, ChannelID: "100077"},
			nameless.ID: {Name: "Nia Noor", Email: "nia@contoso.com", Channel: segmentbot.ChannelTeams, ChannelID: nameless.ID},
		}
		for _, m := range out.Members {
			wm := want[m.ChannelID]
			if m.Name != wm.Name || m.Email != wm.Email || m.Channel != wm.Channel {
				t.Errorf("member %+v, want %+v", m, wm)
			}
		}
		code, csv := w.csv(fmt.Sprintf("/v1/segments/%d/members?with=channel_id", seg.ID))
		if code != http.StatusOK {
			t.Fatalf("CSV: %d", code)
		}
		wantIn(t, csv, "name,email,channel_id\n", "Vic Vance,vic@acme.example,100077", "Nia Noor,nia@contoso.com,"+nameless.ID)
		for _, line := range strings.Split(strings.TrimSpace(csv), "\n") {
			if strings.HasPrefix(line, ",") {
				t.Errorf("a member without a name: %q", line)
			}
		}
	})
}

// csv GETs a REST path as text/csv with the API key.
func (s *service) csv(path string) (int, string) {
	s.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, s.srv.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+apiKey)
	req.Header.Set("Accept", "text/csv")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
