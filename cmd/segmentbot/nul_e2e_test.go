package main

import (
	"net/http"
	"strings"
	"testing"

	"github.com/segmentbot/segmentbot/bot/teams/teamstest"
	"github.com/segmentbot/segmentbot/bot/workplace/workplacetest"
	"github.com/segmentbot/segmentbot/store/storetest"
)

// Issue 15.4: a NUL in from.name, from.id or typed text gave 500 on
// PostgreSQL and the connector redelivered it forever. The activity is
// now handled (200, dropped), a redelivery too, and nothing with a NUL is
// stored.
func TestTeamsActivitiesWithNULAreHandledAndStoreNothing(t *testing.T) {
	storetest.EachDSN(t, func(t *testing.T, dsn string) {
		s := startService(t, dsn, nil)
		db := openSQL(t, dsn)
		named := teamstest.NewUser("Nul Name")
		named.Name = "Ann\u0000Nul"
		ided := teamstest.NewUser("Nul Id")
		ided.ID = "29:kit-nul\u0000id"
		for _, a := range []teamstest.Activity{
			s.kit.Message(named, "my segments"),
			s.kit.Message(ided, "my segments"),
			s.kit.Message(s.admin, "create segment Nul\u0000Name"),
			s.kit.Message(s.admin, "hello\u0000"),
		} {
			for try := range 2 { // a redelivery is handled the same
				if code, body := s.post(a); code != http.StatusOK {
					t.Fatalf("%s try %d: status %d (%s), want 200", a.JSON(), try, code, body)
				}
			}
		}
		if n := db.count(t, "SELECT count(*) FROM users"); n != 0 {
			t.Fatalf("%d users stored from activities with NUL", n)
		}
		if segs := s.segments(); len(segs) != 0 {
			t.Fatalf("segments %v created", segs)
		}
		wantIn(t, s.logs.String(), "activity with a NUL character dropped")
		wantIn(t, replyText(s.say(s.admin, "create segment Clean")), "Segment created")
	})
}

// The same on the Meta webhook: the event with a NUL is dropped, the
// others of the batch are handled, and the answer is 200.
func TestWorkplaceEventsWithNULAreDropped(t *testing.T) {
	storetest.EachDSN(t, func(t *testing.T, dsn string) {
		graph := workplacetest.NewGraph(t, wpAccessToken)
		w := startWorkplace(t, dsn, graph, nil)
		db := openSQL(t, dsn)
		body := workplacetest.Body(
			workplacetest.Event{Sender: "9\u00001", Page: wpPage, Text: "my segments", MID: "m.nul-sender", Timestamp: 1700000001000},
			workplacetest.Event{Sender: "200002", Page: wpPage, Text: "my segments\u0000", MID: "m.nul-text", Timestamp: 1700000002000},
			workplacetest.Event{Sender: "200003", Page: wpPage, Text: "my segments", MID: "m.fine", Timestamp: 1700000003000},
		)
		for range 2 {
			w.deliver(body)
		}
		if n := db.count(t, "SELECT count(*) FROM users WHERE channel = 'workplace'"); n != 1 {
			t.Fatalf("%d Workplace users stored, want only the sender without NUL", n)
		}
		if got := len(graph.Sent()); got != 1 {
			t.Fatalf("%d replies, want one to the event without NUL", got)
		}
		var out struct {
			Error struct{ Code, Message string }
		}
		if code := w.api("POST", "/v1/broadcasts", map[string]any{"segment_id": 1, "name": "N\u0000", "scheduled_at": "2030-01-01T00:00:00Z"}, &out); code != http.StatusBadRequest || !strings.Contains(out.Error.Message, "NUL") {
			t.Fatalf("a REST body with NUL: %d %+v, want 400 naming the NUL", code, out)
		}
	})
}
