package store_test

import (
	"context"
	"strings"
	"testing"

	"github.com/segmentbot/segmentbot"
	"github.com/segmentbot/segmentbot/store"
	"github.com/segmentbot/segmentbot/store/storetest"
)

func TestSegments(t *testing.T) {
	ctx := context.Background()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Run("create trims the name and fills id and time", func(t *testing.T) {
			seg := &segmentbot.Segment{Name: "  Sales EMEA  ", Description: "d"}
			if err := db.CreateSegment(ctx, seg); err != nil {
				t.Fatal(err)
			}
			if seg.ID == 0 || seg.CreatedAt.IsZero() || seg.Name != "Sales EMEA" {
				t.Fatalf("got %+v", seg)
			}
			got, err := db.FindSegmentByName(ctx, "sales emea")
			if err != nil {
				t.Fatal(err)
			}
			if got.ID != seg.ID || got.Description != "d" || !got.CreatedAt.Equal(seg.CreatedAt) {
				t.Fatalf("found %+v, want %+v", got, seg)
			}
		})
		t.Run("bad names are invalid", func(t *testing.T) {
			for _, name := range []string{"", "   ", strings.Repeat("é", segmentbot.MaxSegmentName+1)} {
				wantCode(t, db.CreateSegment(ctx, &segmentbot.Segment{Name: name}), segmentbot.EINVALID)
			}
			if err := db.CreateSegment(ctx, &segmentbot.Segment{Name: strings.Repeat("é", segmentbot.MaxSegmentName)}); err != nil {
				t.Fatalf("a name of exactly %d characters: %v", segmentbot.MaxSegmentName, err)
			}
		})
		t.Run("a name taken in another case conflicts", func(t *testing.T) {
			mustSegment(t, db, "Newsletter")
			wantCode(t, db.CreateSegment(ctx, &segmentbot.Segment{Name: "NEWSLETTER "}), segmentbot.ECONFLICT)
		})
		t.Run("missing segments are not found", func(t *testing.T) {
			_, err := db.FindSegmentByID(ctx, 9999)
			wantCode(t, err, segmentbot.ENOTFOUND)
			_, err = db.FindSegmentByName(ctx, "nope")
			wantCode(t, err, segmentbot.ENOTFOUND)
			_, err = db.UpdateSegment(ctx, 9999, segmentbot.SegmentUpdate{})
			wantCode(t, err, segmentbot.ENOTFOUND)
			_, err = db.DeleteSegment(ctx, 9999, 0)
			wantCode(t, err, segmentbot.ENOTFOUND)
		})
		t.Run("update renames and keeps names unique", func(t *testing.T) {
			a, b := mustSegment(t, db, "Alpha"), mustSegment(t, db, "Beta")
			name, reply := "Gamma", "Welcome!"
			got, err := db.UpdateSegment(ctx, a.ID, segmentbot.SegmentUpdate{Name: &name, Reply: &reply})
			if err != nil || got.Name != "Gamma" || got.Reply != "Welcome!" {
				t.Fatalf("update: %+v, %v", got, err)
			}
			taken := "beta"
			_, err = db.UpdateSegment(ctx, a.ID, segmentbot.SegmentUpdate{Name: &taken})
			wantCode(t, err, segmentbot.ECONFLICT)
			same := "BETA"
			if _, err := db.UpdateSegment(ctx, b.ID, segmentbot.SegmentUpdate{Name: &same}); err != nil {
				t.Fatalf("changing the case of its own name: %v", err)
			}
			empty := " "
			_, err = db.UpdateSegment(ctx, b.ID, segmentbot.SegmentUpdate{Name: &empty})
			wantCode(t, err, segmentbot.EINVALID)
		})
		t.Run("list pages by id with member counts and last import", func(t *testing.T) {
			seg := mustSegment(t, db, "Counted")
			u1, u2 := member(t, db, "c1", "c1@x.com"), member(t, db, "c2", "c2@x.com")
			for _, u := range []*segmentbot.User{u1, u2} {
				if _, err := db.Join(ctx, seg.ID, u.ID, segmentbot.SourceButton, u.ID); err != nil {
					t.Fatal(err)
				}
			}
			imp := &segmentbot.Import{SegmentID: seg.ID, Channel: segmentbot.ChannelTeams}
			if err := db.CreateImport(ctx, imp); err != nil {
				t.Fatal(err)
			}
			all, err := db.FindSegments(ctx, segmentbot.Page{})
			if err != nil {
				t.Fatal(err)
			}
			var found *segmentbot.Segment
			for i, s := range all {
				if i > 0 && all[i-1].ID >= s.ID {
					t.Fatalf("not ordered by id: %d after %d", s.ID, all[i-1].ID)
				}
				if s.ID == seg.ID {
					found = s
				}
			}
			if found == nil || found.Members != 2 || found.LastImport == nil || found.LastImport.ID != imp.ID || found.LastImport.Status != segmentbot.ImportPending {
				t.Fatalf("listed %+v", found)
			}
			page, err := db.FindSegments(ctx, segmentbot.Page{After: all[0].ID, Limit: 1})
			if err != nil || len(page) != 1 || page[0].ID != all[1].ID {
				t.Fatalf("second page: %+v, %v", page, err)
			}
			mine, err := db.SegmentsOfUser(ctx, u1.ID)
			if err != nil || len(mine) != 1 || mine[0].ID != seg.ID {
				t.Fatalf("segments of user: %+v, %v", mine, err)
			}
		})
		t.Run("delete logs a leave per member, cancels broadcasts and keeps the log", func(t *testing.T) {
			clock := useClock(db)
			defer func() { db.Now = clock.now }()
			seg := mustSegment(t, db, "Doomed")
			u := member(t, db, "d1", "d1@x.com")
			if _, err := db.Join(ctx, seg.ID, u.ID, segmentbot.SourceButton, u.ID); err != nil {
				t.Fatal(err)
			}
			b := &segmentbot.Broadcast{SegmentID: seg.ID, Name: "launch", ScheduledAt: clock.t.Add(48 * 3600e9)}
			if err := db.CreateBroadcast(ctx, b); err != nil {
				t.Fatal(err)
			}
			cancelled, err := db.DeleteSegment(ctx, seg.ID, 42)
			if err != nil {
				t.Fatal(err)
			}
			if len(cancelled) != 1 || cancelled[0].ID != b.ID || cancelled[0].Status != segmentbot.BroadcastCancelled {
				t.Fatalf("cancelled %+v", cancelled)
			}
			events, err := db.FindEvents(ctx, seg.ID, u.ID)
			if err != nil || len(events) != 2 {
				t.Fatalf("events %+v, %v", events, err)
			}
			if last := events[1]; last.Action != segmentbot.ActionLeave || last.Source != segmentbot.SourceSegment || last.ActorID != 42 {
				t.Fatalf("last event %+v", last)
			}
			if _, err := db.FindSegmentByID(ctx, seg.ID); segmentbot.ErrorCode(err) != segmentbot.ENOTFOUND {
				t.Fatalf("segment still there: %v", err)
			}
			if ok, _ := db.IsMember(ctx, seg.ID, u.ID); ok {
				t.Fatal("membership survived the segment")
			}
		})
	})
}
