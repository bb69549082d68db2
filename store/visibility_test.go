package store_test

import (
	"context"
	"testing"

	"github.com/segmentbot/segmentbot"
	"github.com/segmentbot/segmentbot/store"
	"github.com/segmentbot/segmentbot/store/storetest"
)

func TestSegmentVisibility(t *testing.T) {
	ctx := context.Background()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		seg := mustSegment(t, db, "Quiet")
		if seg.Visibility != segmentbot.VisibilityInvite {
			t.Fatalf("a new segment is %q, want invite by default", seg.Visibility)
		}
		t.Run("an unknown visibility is refused and changes nothing", func(t *testing.T) {
			bad := "public"
			_, err := db.UpdateSegment(ctx, seg.ID, segmentbot.SegmentUpdate{Visibility: &bad})
			wantCode(t, err, segmentbot.EINVALID)
			wantCode(t, db.CreateSegment(ctx, &segmentbot.Segment{Name: "Loud", Visibility: bad}), segmentbot.EINVALID)
			got, _ := db.FindSegmentByID(ctx, seg.ID)
			if got.Visibility != segmentbot.VisibilityInvite {
				t.Fatalf("visibility is %q after a refused change", got.Visibility)
			}
		})
		t.Run("open segments are listed page by page with their total", func(t *testing.T) {
			open := segmentbot.VisibilityOpen
			var want []int64
			for i := 0; i < 14; i++ {
				s := &segmentbot.Segment{Name: "Open " + string(rune('A'+i)), Visibility: segmentbot.VisibilityOpen}
				if i == 13 { // made invite, then opened
					s.Visibility = ""
				}
				if err := db.CreateSegment(ctx, s); err != nil {
					t.Fatal(err)
				}
				if i == 13 {
					if _, err := db.UpdateSegment(ctx, s.ID, segmentbot.SegmentUpdate{Visibility: &open}); err != nil {
						t.Fatal(err)
					}
				}
				want = append(want, s.ID)
			}
			mustSegment(t, db, "Hidden")
			closed := &segmentbot.Segment{Name: "Closed", Visibility: segmentbot.VisibilityClosed}
			if err := db.CreateSegment(ctx, closed); err != nil {
				t.Fatal(err)
			}
			first, total, err := db.FindOpenSegments(ctx, segmentbot.Page{Limit: 10})
			if err != nil || len(first) != 10 || total != 14 {
				t.Fatalf("first page: %d segments of %d, %v; want 10 of 14", len(first), total, err)
			}
			rest, _, err := db.FindOpenSegments(ctx, segmentbot.Page{After: first[9].ID, Limit: 10})
			if err != nil || len(rest) != 4 {
				t.Fatalf("second page: %d, %v; want 4", len(rest), err)
			}
			for i, s := range append(first, rest...) {
				if s.ID != want[i] || s.Visibility != segmentbot.VisibilityOpen {
					t.Fatalf("open segment %d is %+v, want id %d, open", i, s, want[i])
				}
			}
		})
	})
}

func TestAPersonsHistory(t *testing.T) {
	ctx := context.Background()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		admin := member(t, db, "29:ada", "ada@x.com")
		ivy := member(t, db, "29:ivy", "ivy@x.com")
		seg, gone := mustSegment(t, db, "News"), mustSegment(t, db, "Gone")
		imp, _ := importValues(t, db, seg.ID, segmentbot.SourceImport, "ivy@x.com")
		if _, err := db.Leave(ctx, seg.ID, ivy.ID, segmentbot.SourceButton, ivy.ID, true); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Join(ctx, gone.ID, ivy.ID, segmentbot.SourceChat, admin.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := db.DeleteSegment(ctx, gone.ID, admin.ID); err != nil {
			t.Fatal(err)
		}
		type line struct {
			seg, action, source, actor string
			imp                        int64
		}
		want := []line{
			{"News", segmentbot.ActionJoin, segmentbot.SourceImport, "", imp.ID},
			{"News", segmentbot.ActionLeave, segmentbot.SourceButton, "", 0},
			{"", segmentbot.ActionJoin, segmentbot.SourceChat, "ada@x.com", 0},
			{"", segmentbot.ActionLeave, segmentbot.SourceSegment, "ada@x.com", 0},
		}
		var got []line
		p := segmentbot.Page{Limit: 3}
		for {
			events, err := db.FindUserEvents(ctx, ivy.ID, p)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range events {
				if e.At.IsZero() || e.UserID != ivy.ID {
					t.Fatalf("event %+v", e)
				}
				got = append(got, line{e.SegmentName, e.Action, e.Source, e.ActorEmail, e.ImportID})
			}
			if len(events) < p.Limit {
				break
			}
			p.After = events[len(events)-1].ID
		}
		if len(got) != len(want) {
			t.Fatalf("history %+v, want %+v", got, want)
		}
		for i := range want {
			if got[i] != want[i] {
				t.Errorf("event %d = %+v, want %+v", i, got[i], want[i])
			}
		}
	})
}
