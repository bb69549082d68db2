package main

import (
	"strings"
	"testing"
	"time"

	"github.com/segmentbot/segmentbot/bot/workplace/workplacetest"
	"github.com/segmentbot/segmentbot/store/storetest"
)

func TestWorkplaceAdminComposesPreviewsAndSendsABroadcast(t *testing.T) {
	storetest.EachDSN(t, func(t *testing.T, dsn string) {
		graph := workplacetest.NewGraph(t, wpAccessToken)
		graph.Members = []workplacetest.Member{
			{ID: wpAdminID, Name: "Ada Admin", Email: "ada@acme.example"},
			{ID: "100011", Name: "Ann", Email: "ann@acme.example"},
			{ID: "100012", Name: "Bob", Email: "bob@acme.example"},
		}
		graph.Groups[wpGroup] = []string{wpAdminID, "100011", "100012"}
		w := startWorkplace(t, dsn, graph, nil)
		ada := wpPerson{wpAdminID, wpCommunity}
		wpReply(t, w.do(ada.says("create segment Staff")), ada.ID)
		wantIn(t, wpReply(t, w.do(ada.says("add to Staff\nann@acme.example\nbob@acme.example")), ada.ID), "Added 2 of 2 to Staff")

		preview := w.do(ada.says("broadcast Staff as Hello\n# Hello team\nMeet us at **noon**.\nbutton: Agenda | https://acme.example/agenda"))
		text := wpReply(t, preview, ada.ID)
		wantIn(t, text, "Hello team", "Meet us at", "You get this because you joined Staff", "Preview: Hello", "2 people")
		send, _ := wpButton(t, preview, "Send now")["payload"].(string)
		wpButton(t, preview, "Opt out")
		if n := len(graph.SentTo("100011")); n != 0 {
			t.Fatalf("a member got %d messages before the admin confirmed", n)
		}
		wantIn(t, wpReply(t, wpOfType(w.do(ada.taps(send)), "RESPONSE"), ada.ID), "On its way: Hello")
		deadline := time.Now().Add(15 * time.Second)
		for !strings.Contains(allText(graph.SentTo(ada.ID)), "Hello: sent") {
			if time.Now().After(deadline) {
				t.Fatalf("no report; the admin got: %s", allText(graph.SentTo(ada.ID)))
			}
			time.Sleep(50 * time.Millisecond)
		}
		for _, id := range []string{"100011", "100012"} {
			got := graph.SentTo(id)
			if len(got) == 0 {
				t.Fatalf("%s got nothing", id)
			}
			for _, s := range got {
				wpCheckSent(t, s, id, "UPDATE")
			}
			wantIn(t, allText(got), "Meet us at", "You get this because you joined Staff")
			wpButton(t, got, "Opt out")
		}
		t.Run("a second tap does nothing more", func(t *testing.T) {
			before := len(graph.SentTo("100011"))
			wantIn(t, wpReply(t, wpOfType(w.do(ada.taps(send)), "RESPONSE"), ada.ID), "nothing more was done")
			time.Sleep(300 * time.Millisecond)
			if after := len(graph.SentTo("100011")); after != before {
				t.Errorf("a member got %d more messages after the second tap", after-before)
			}
		})
	})
}

func allText(sent []workplacetest.Sent) string {
	var b strings.Builder
	for _, s := range sent {
		b.WriteString(s.Text() + "\n")
	}
	return b.String()
}
