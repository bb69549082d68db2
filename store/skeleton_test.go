package store_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/segmentbot/segmentbot"
	"github.com/segmentbot/segmentbot/store"
	"github.com/segmentbot/segmentbot/store/storetest"
)

// Issue 15.3: a name confusable with an existing one is refused with a
// reason naming the existing segment, on create and on rename.
func TestLookAlikeNamesAreRefused(t *testing.T) {
	ctx := context.Background()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		sales := &segmentbot.Segment{Name: "Sales"}
		if err := db.CreateSegment(ctx, sales); err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"\u0405ales", "Sa\u0406es", "SALES", "\u0405\u0430l\u0435\u0455", "Sa1es"} {
			err := db.CreateSegment(ctx, &segmentbot.Segment{Name: name})
			wantCode(t, err, segmentbot.ECONFLICT)
			if msg := segmentbot.ErrorMessage(err); !strings.Contains(msg, `"Sales"`) {
				t.Errorf("%q: the reason %q does not name the existing segment", name, msg)
			}
		}
		if msg := segmentbot.ErrorMessage(db.CreateSegment(ctx, &segmentbot.Segment{Name: "\u0405ales"})); !strings.Contains(msg, "looks too much like") {
			t.Errorf("a look-alike is explained as %q", msg)
		}
		other := &segmentbot.Segment{Name: "Marketing"}
		if err := db.CreateSegment(ctx, other); err != nil {
			t.Fatal(err)
		}
		cyr := "\u0405ales"
		_, err := db.UpdateSegment(ctx, other.ID, segmentbot.SegmentUpdate{Name: &cyr})
		wantCode(t, err, segmentbot.ECONFLICT)
		same := "sales"
		if _, err := db.UpdateSegment(ctx, sales.ID, segmentbot.SegmentUpdate{Name: &same}); err != nil {
			t.Fatalf("renaming a segment to its own name in another case: %v", err)
		}
		segs, err := db.FindSegments(ctx, segmentbot.Page{Limit: 10})
		if err != nil || len(segs) != 2 {
			t.Fatalf("segments %v, %v; want Sales and Marketing only", segs, err)
		}
	})
}

// The unique index, not a read before the write, keeps look-alikes out:
// of many concurrent creates of look-alike names exactly one wins.
func TestConcurrentLookAlikesCreateOne(t *testing.T) {
	ctx := context.Background()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		names := []string{"Team", "\u0422eam", "T\u0435am", "Te\u0430m", "T\u0435\u0430m", "\u0422\u0435\u0430m"}
		var wg sync.WaitGroup
		errs := make([]error, len(names))
		for i, n := range names {
			wg.Go(func() { errs[i] = db.CreateSegment(ctx, &segmentbot.Segment{Name: n}) })
		}
		wg.Wait()
		won := 0
		for i, err := range errs {
			switch segmentbot.ErrorCode(err) {
			case "":
				won++
			case segmentbot.ECONFLICT:
			default:
				t.Errorf("%q: %v", names[i], err)
			}
		}
		if won != 1 {
			t.Fatalf("%d of the look-alike names were created, want 1", won)
		}
	})
}

// Descriptions and replies are checked like names, with their own caps.
func TestSegmentTextsAreCleaned(t *testing.T) {
	ctx := context.Background()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		for _, seg := range []segmentbot.Segment{
			{Name: "NUL\x00"},
			{Name: "A", Description: "line\nbreak"},
			{Name: "B", Reply: strings.Repeat("x", segmentbot.MaxReply+1)},
			{Name: "C", Reply: "Welcome\u202e!"},
			{Name: "D", Description: strings.Repeat("x", segmentbot.MaxDescription+1)},
		} {
			wantCode(t, db.CreateSegment(ctx, &seg), segmentbot.EINVALID)
		}
		seg := &segmentbot.Segment{Name: "Cafe\u0301", Reply: " Welcome! "}
		if err := db.CreateSegment(ctx, seg); err != nil {
			t.Fatal(err)
		}
		got, err := db.FindSegmentByName(ctx, "Café")
		if err != nil || got.Reply != "Welcome!" {
			t.Fatalf("found %+v, %v; want the NFC name and the trimmed reply", got, err)
		}
	})
}

// Migration 00046 gives the segments made before 00045 their skeletons,
// so a look-alike of an old name is refused too.
func TestOldSegmentsGetTheirSkeletons(t *testing.T) {
	ctx := context.Background()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		for _, n := range []string{"Sales", "Ops", "0ps"} {
			if err := db.CreateSegment(ctx, &segmentbot.Segment{Name: n}); err != nil && n != "0ps" {
				t.Fatal(err)
			}
		}
		if err := db.ClearSkeletons(ctx); err != nil {
			t.Fatal(err)
		}
		if err := db.BackfillSkeletons(ctx); err != nil {
			t.Fatal(err)
		}
		wantCode(t, db.CreateSegment(ctx, &segmentbot.Segment{Name: "\u0405ales"}), segmentbot.ECONFLICT)
		wantCode(t, db.CreateSegment(ctx, &segmentbot.Segment{Name: "\u041eps"}), segmentbot.ECONFLICT)
	})
}
