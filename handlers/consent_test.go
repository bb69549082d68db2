package handlers

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/segmentbot/segmentbot"
	"github.com/segmentbot/segmentbot/store"
	"github.com/segmentbot/segmentbot/store/storetest"
)

func TestSegmentVisibilityThroughREST(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		t.Run("a new segment is invite unless told", func(t *testing.T) {
			if seg := f.createSegment("Plain"); seg.Visibility != segmentbot.VisibilityInvite {
				t.Fatalf("visibility %q, want invite", seg.Visibility)
			}
			var seg segmentbot.Segment
			if st := f.call("POST", "/v1/segments", `{"name":"Lobby","visibility":"open"}`, &seg); st != http.StatusCreated || seg.Visibility != "open" {
				t.Fatalf("create open: %d %+v", st, seg)
			}
		})
		t.Run("an unknown visibility is 400 and creates nothing", func(t *testing.T) {
			e := f.wantError("POST", "/v1/segments", `{"name":"Odd","visibility":"public"}`, http.StatusBadRequest, segmentbot.EINVALID)
			if !containsAll(e.Error.Message, "visibility", "open", "invite", "closed") {
				t.Errorf("message %q does not name the field and the values", e.Error.Message)
			}
			if _, err := db.FindSegmentByName(context.Background(), "Odd"); segmentbot.ErrorCode(err) != segmentbot.ENOTFOUND {
				t.Fatalf("a refused create made the segment: %v", err)
			}
		})
		t.Run("PATCH changes it, validated, and GET lists it", func(t *testing.T) {
			seg := f.createSegment("Board")
			path := fmt.Sprintf("/v1/segments/%d", seg.ID)
			f.wantError("PATCH", path, `{"visibility":"CLOSED!"}`, http.StatusBadRequest, segmentbot.EINVALID)
			var got segmentbot.Segment
			if st := f.call("PATCH", path, `{"visibility":"closed"}`, &got); st != http.StatusOK || got.Visibility != "closed" {
				t.Fatalf("PATCH closed: %d %+v", st, got)
			}
			var list struct {
				Segments []map[string]any `json:"segments"`
			}
			f.call("GET", "/v1/segments", "", &list)
			for _, s := range list.Segments {
				if s["name"] == "Board" && s["visibility"] != "closed" {
					t.Fatalf("GET lists %v", s)
				}
				for _, field := range []string{"id", "name", "members", "created_at", "last_import", "visibility"} {
					if _, ok := s[field]; !ok {
						t.Fatalf("segment %v lacks %q", s, field)
					}
				}
			}
		})
	})
}

func TestUserEventsThroughREST(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		admin := &segmentbot.User{Channel: segmentbot.ChannelTeams, ExternalID: "29:ada", Email: "ada@x.com", Name: "Ada", Active: true, InBotGroups: true}
		ivy := &segmentbot.User{Channel: segmentbot.ChannelTeams, ExternalID: "29:ivy", Email: "ivy@x.com", Name: "Ivy", Active: true, InBotGroups: true}
		for _, u := range []*segmentbot.User{admin, ivy} {
			if err := db.UpsertUser(ctx, u); err != nil {
				t.Fatal(err)
			}
		}
		seg := f.createSegment("News")
		if _, err := db.Join(ctx, seg.ID, ivy.ID, segmentbot.SourceChat, admin.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Leave(ctx, seg.ID, ivy.ID, segmentbot.SourceButton, ivy.ID, true); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Join(ctx, seg.ID, ivy.ID, segmentbot.SourceButton, ivy.ID); err != nil {
			t.Fatal(err)
		}
		var events []map[string]any
		path := fmt.Sprintf("/v1/users/%d/events?limit=2", ivy.ID)
		for path != "" {
			var page struct {
				Events     []map[string]any `json:"events"`
				NextCursor string           `json:"next_cursor"`
			}
			if st := f.call("GET", path, "", &page); st != http.StatusOK {
				t.Fatalf("GET %s: %d", path, st)
			}
			events = append(events, page.Events...)
			path = ""
			if page.NextCursor != "" {
				path = fmt.Sprintf("/v1/users/%d/events?limit=2&cursor=%s", ivy.ID, page.NextCursor)
			}
		}
		want := []struct{ action, source, actor string }{
			{"join", "chat", "ada@x.com"}, {"leave", "button", ""}, {"join", "button", ""},
		}
		if len(events) != len(want) {
			t.Fatalf("events %v, want %d", events, len(want))
		}
		for i, w := range want {
			e := events[i]
			email, _ := e["actor_email"].(string)
			if e["action"] != w.action || e["source"] != w.source || email != w.actor || e["segment_name"] != "News" || e["at"] == "" {
				t.Errorf("event %d = %v, want %+v in News", i, e, w)
			}
		}
		f.wantError("GET", "/v1/users/999999/events", "", http.StatusNotFound, segmentbot.ENOTFOUND)
		f.wantError("GET", "/v1/users/abc/events", "", http.StatusBadRequest, segmentbot.EINVALID)
	})
}
