package handlers

import (
	"fmt"
	"testing"
	"time"

	"github.com/segmentbot/segmentbot"
	"github.com/segmentbot/segmentbot/store"
	"github.com/segmentbot/segmentbot/store/storetest"
)

func TestBroadcasts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		seg := f.createSegment("Launch list")
		at := func(d time.Duration) string { return testNow.Add(d).Format(time.RFC3339) }

		var first segmentbot.Broadcast
		t.Run("scheduling answers 201 and runs the hook", func(t *testing.T) {
			body := fmt.Sprintf(`{"segment_id":%d,"name":"Launch","scheduled_at":%q}`, seg.ID, at(72*time.Hour))
			if st := f.call("POST", "/v1/broadcasts", body, &first); st != 201 {
				t.Fatalf("status %d", st)
			}
			if first.ID == 0 || first.Status != segmentbot.BroadcastScheduled || !first.ScheduledAt.Equal(testNow.Add(72*time.Hour)) {
				t.Fatalf("broadcast %+v", first)
			}
			if len(f.hooks.broadcasts) != 1 || f.hooks.broadcasts[0].ID != first.ID {
				t.Errorf("hook saw %v", f.hooks.broadcasts)
			}
		})
		bad := []struct{ name, body string }{
			{"a past time", fmt.Sprintf(`{"segment_id":%d,"name":"Late","scheduled_at":%q}`, seg.ID, at(-time.Minute))},
			{"a time that is not RFC 3339", fmt.Sprintf(`{"segment_id":%d,"name":"Late","scheduled_at":"tomorrow 9am"}`, seg.ID)},
			{"no name", fmt.Sprintf(`{"segment_id":%d,"scheduled_at":%q}`, seg.ID, at(time.Hour))},
			{"no segment", fmt.Sprintf(`{"name":"x","scheduled_at":%q}`, at(time.Hour))},
			{"a segment id as text", fmt.Sprintf(`{"segment_id":"%d","name":"x","scheduled_at":%q}`, seg.ID, at(time.Hour))},
		}
		for _, tt := range bad {
			t.Run("scheduling with "+tt.name+" is 400", func(t *testing.T) {
				f.wantError("POST", "/v1/broadcasts", tt.body, 400, "invalid")
			})
		}
		t.Run("scheduling for a missing segment is 404", func(t *testing.T) {
			f.wantError("POST", "/v1/broadcasts", fmt.Sprintf(`{"segment_id":999999,"name":"x","scheduled_at":%q}`, at(time.Hour)), 404, "not_found")
		})

		var second segmentbot.Broadcast
		f.call("POST", "/v1/broadcasts", fmt.Sprintf(`{"segment_id":%d,"name":"Follow-up","scheduled_at":%q}`, seg.ID, at(24*time.Hour)), &second)
		t.Run("upcoming lists soonest first, pageable", func(t *testing.T) {
			var page struct {
				Broadcasts []segmentbot.Broadcast `json:"broadcasts"`
				NextCursor string                 `json:"next_cursor"`
			}
			f.call("GET", "/v1/broadcasts?upcoming=true&limit=1", "", &page)
			if len(page.Broadcasts) != 1 || page.Broadcasts[0].ID != second.ID || page.NextCursor == "" {
				t.Fatalf("first page %+v", page)
			}
			cursor := page.NextCursor
			page.NextCursor = ""
			f.call("GET", "/v1/broadcasts?upcoming=true&limit=1&cursor="+cursor, "", &page)
			if len(page.Broadcasts) != 1 || page.Broadcasts[0].ID != first.ID || page.NextCursor != "" {
				t.Fatalf("second page %+v", page)
			}
		})
		t.Run("cancelling answers the cancelled broadcast and runs the hook", func(t *testing.T) {
			var b segmentbot.Broadcast
			if st := f.call("DELETE", fmt.Sprintf("/v1/broadcasts/%d", first.ID), "", &b); st != 200 || b.Status != segmentbot.BroadcastCancelled {
				t.Fatalf("got %d %+v", st, b)
			}
			if last := f.hooks.broadcasts[len(f.hooks.broadcasts)-1]; last.ID != first.ID || last.Status != segmentbot.BroadcastCancelled {
				t.Errorf("hook saw %+v", last)
			}
		})
		t.Run("the full list keeps cancelled broadcasts", func(t *testing.T) {
			var page struct {
				Broadcasts []segmentbot.Broadcast `json:"broadcasts"`
			}
			f.call("GET", "/v1/broadcasts", "", &page)
			if len(page.Broadcasts) != 2 {
				t.Fatalf("got %+v", page)
			}
		})
		t.Run("cancelling a missing broadcast is 404", func(t *testing.T) {
			f.wantError("DELETE", "/v1/broadcasts/999999", "", 404, "not_found")
		})
		t.Run("a bad upcoming flag is 400", func(t *testing.T) {
			f.wantError("GET", "/v1/broadcasts?upcoming=maybe", "", 400, "invalid")
		})
	})
}

func TestWarnings(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		seg := f.createSegment("Warned")
		admin := addUser(t, db, "Admin", "admin@example.com")
		imp := runImport(t, db, seg.ID, []string{"admin@example.com"})
		var ids []int64
		for i := range 3 {
			b := &segmentbot.Broadcast{SegmentID: seg.ID, Name: fmt.Sprint("b", i), ScheduledAt: testNow.Add(time.Hour), Status: segmentbot.BroadcastScheduled}
			if err := db.CreateBroadcast(t.Context(), b); err != nil {
				t.Fatal(err)
			}
			w := &segmentbot.Warning{BroadcastID: b.ID, ImportID: imp.ID, UserID: admin.ID}
			if _, err := db.CreateWarning(t.Context(), w); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, w.ID)
		}
		type page struct {
			Warnings   []segmentbot.Warning `json:"warnings"`
			NextCursor string               `json:"next_cursor"`
		}
		t.Run("warnings come newest first", func(t *testing.T) {
			var p page
			if st := f.call("GET", "/v1/warnings", "", &p); st != 200 {
				t.Fatalf("status %d", st)
			}
			if len(p.Warnings) != 3 || p.Warnings[0].ID != ids[2] || p.Warnings[2].ID != ids[0] || p.NextCursor != "" {
				t.Fatalf("got %+v", p)
			}
		})
		t.Run("warnings page with a cursor", func(t *testing.T) {
			var p page
			f.call("GET", "/v1/warnings?limit=2", "", &p)
			if len(p.Warnings) != 2 || p.NextCursor == "" {
				t.Fatalf("first page %+v", p)
			}
			var next page
			f.call("GET", "/v1/warnings?limit=2&cursor="+p.NextCursor, "", &next)
			p = next
			if len(p.Warnings) != 1 || p.Warnings[0].ID != ids[0] || p.NextCursor != "" {
				t.Fatalf("second page %+v", p)
			}
		})
	})
}

func TestSegmentCard(t *testing.T) {
	db := openSQLite(t)
	f := newFixture(t, db)
	seg := f.createSegment("Newsletter")
	t.Run("the default is an Adaptive Card with both actions", func(t *testing.T) {
		var card map[string]any
		if st := f.call("GET", fmt.Sprintf("/v1/segments/%d/card", seg.ID), "", &card); st != 200 {
			t.Fatalf("status %d", st)
		}
		if card["type"] != "AdaptiveCard" {
			t.Fatalf("card %v", card)
		}
		if s := fmt.Sprint(card); !containsAll(s, "Opt in", "Opt out", "sig-in") {
			t.Errorf("card lacks its actions: %s", s)
		}
	})
	t.Run("format workplace gives Meta message payloads", func(t *testing.T) {
		var out struct {
			Messages []map[string]any `json:"messages"`
		}
		if st := f.call("GET", fmt.Sprintf("/v1/segments/%d/card?format=workplace", seg.ID), "", &out); st != 200 {
			t.Fatalf("status %d", st)
		}
		if len(out.Messages) == 0 || !containsAll(fmt.Sprint(out.Messages), "template", "postback", "Opt in") {
			t.Fatalf("messages %v", out.Messages)
		}
	})
	t.Run("an unknown format is 400 and a missing segment 404", func(t *testing.T) {
		f.wantError("GET", fmt.Sprintf("/v1/segments/%d/card?format=slack", seg.ID), "", 400, "invalid")
		f.wantError("GET", "/v1/segments/999999/card", "", 404, "not_found")
	})
}
