package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/segmentbot/segmentbot"
	"github.com/segmentbot/segmentbot/store"
	"github.com/segmentbot/segmentbot/store/storetest"
)

func TestBroadcasts(t *testing.T) {
	ctx := context.Background()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		clock := useClock(db)
		seg := mustSegment(t, db, "News")
		soon := &segmentbot.Broadcast{SegmentID: seg.ID, Name: "soon", ScheduledAt: clock.t.Add(time.Hour)}
		later := &segmentbot.Broadcast{SegmentID: seg.ID, Name: "later", ScheduledAt: clock.t.Add(48 * time.Hour)}
		past := &segmentbot.Broadcast{SegmentID: seg.ID, Name: "past", ScheduledAt: clock.t.Add(-time.Hour)}
		for _, b := range []*segmentbot.Broadcast{later, soon, past} {
			if err := db.CreateBroadcast(ctx, b); err != nil {
				t.Fatal(err)
			}
		}
		t.Run("create refuses a missing or absent segment and a missing time", func(t *testing.T) {
			wantCode(t, db.CreateBroadcast(ctx, &segmentbot.Broadcast{SegmentID: 9999, ScheduledAt: clock.t}), segmentbot.ENOTFOUND)
			wantCode(t, db.CreateBroadcast(ctx, &segmentbot.Broadcast{ScheduledAt: clock.t}), segmentbot.EINVALID)
			wantCode(t, db.CreateBroadcast(ctx, &segmentbot.Broadcast{SegmentID: seg.ID}), segmentbot.EINVALID)
		})
		t.Run("upcoming lists future scheduled ones soonest first", func(t *testing.T) {
			got, err := db.FindBroadcasts(ctx, clock.t, true)
			if err != nil || len(got) != 2 || got[0].ID != soon.ID || got[1].ID != later.ID {
				t.Fatalf("upcoming %+v, %v", got, err)
			}
			all, _ := db.FindBroadcasts(ctx, clock.t, false)
			if len(all) != 3 || all[0].ID != past.ID {
				t.Fatalf("all %+v", all)
			}
		})
		t.Run("cancel marks it and drops it from upcoming", func(t *testing.T) {
			got, err := db.CancelBroadcast(ctx, soon.ID)
			if err != nil || got.Status != segmentbot.BroadcastCancelled {
				t.Fatalf("cancel %+v, %v", got, err)
			}
			if up, _ := db.FindBroadcasts(ctx, clock.t, true); len(up) != 1 {
				t.Fatalf("upcoming %+v", up)
			}
			_, err = db.CancelBroadcast(ctx, 9999)
			wantCode(t, err, segmentbot.ENOTFOUND)
			_, err = db.FindBroadcastByID(ctx, 9999)
			wantCode(t, err, segmentbot.ENOTFOUND)
			found, err := db.FindBroadcastByID(ctx, later.ID)
			if err != nil || !found.ScheduledAt.Equal(later.ScheduledAt) {
				t.Fatalf("found %+v, %v", found, err)
			}
		})
	})
}

func TestLateUploads(t *testing.T) {
	ctx := context.Background()
	const large, lead = 2000, 24 * time.Hour
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		clock := useClock(db)
		now := clock.t
		seg := mustSegment(t, db, "Late")
		const author, uploader = 1, 2
		b := &segmentbot.Broadcast{SegmentID: seg.ID, Name: "b", ScheduledAt: now.Add(30 * time.Hour), CreatedBy: author}
		db.CreateBroadcast(ctx, b)

		// finished makes a finished import of total rows ending at end.
		finished := func(total int64, end time.Time) *segmentbot.Import {
			imp := mustImport(t, db, seg.ID)
			var staged []segmentbot.StagedRow
			for i := int64(1); i <= total; i++ {
				staged = append(staged, invalid(i, "x", ""))
			}
			db.StageRows(ctx, imp.ID, rows(staged...))
			clock.t = end
			db.ApplyImport(ctx, imp.ID)
			clock.t = now
			return imp
		}
		atLead := finished(large, b.ScheduledAt.Add(-lead))
		lateOne := finished(large, b.ScheduledAt.Add(-lead+time.Millisecond))
		small := finished(large-1, b.ScheduledAt.Add(-time.Hour))
		running := mustImport(t, db, seg.ID)
		db.StageRows(ctx, running.ID, rows(make1(large)...))

		otherSeg := mustSegment(t, db, "Other")
		cancelled := &segmentbot.Broadcast{SegmentID: otherSeg.ID, ScheduledAt: now.Add(time.Hour), CreatedBy: author}
		gone := &segmentbot.Broadcast{SegmentID: otherSeg.ID, ScheduledAt: now.Add(-time.Hour), CreatedBy: author}
		db.CreateBroadcast(ctx, cancelled)
		db.CancelBroadcast(ctx, cancelled.ID)
		db.CreateBroadcast(ctx, gone)
		other := mustImport(t, db, otherSeg.ID)
		db.StageRows(ctx, other.ID, rows(make1(large)...))

		late, err := db.FindLateUploads(ctx, now, large, lead)
		if err != nil {
			t.Fatal(err)
		}
		got := map[int64]bool{}
		for _, l := range late {
			if l.Broadcast.ID != b.ID {
				t.Errorf("broadcast %d (%s) reported", l.Broadcast.ID, l.Broadcast.Status)
			}
			got[l.Import.ID] = true
		}
		for _, tt := range []struct {
			name string
			imp  *segmentbot.Import
			want bool
		}{
			{"finishing exactly at lead time is in time", atLead, false},
			{"finishing a millisecond later is late", lateOne, true},
			{"a small import is never late", small, false},
			{"a running large import is late", running, true},
			{"imports of cancelled or past broadcasts are ignored", other, false},
		} {
			t.Run(tt.name, func(t *testing.T) {
				if got[tt.imp.ID] != tt.want {
					t.Fatalf("import %d late = %v, want %v", tt.imp.ID, got[tt.imp.ID], tt.want)
				}
			})
		}
		t.Run("a warned pair is not reported again", func(t *testing.T) {
			w := &segmentbot.Warning{BroadcastID: b.ID, ImportID: running.ID, UserID: author}
			if ok, err := db.CreateWarning(ctx, w); err != nil || !ok {
				t.Fatalf("create warning %v, %v", ok, err)
			}
			if ok, _ := db.CreateWarning(ctx, &segmentbot.Warning{BroadcastID: b.ID, ImportID: running.ID, UserID: author}); ok {
				t.Fatal("created the same warning twice")
			}
			again, _ := db.FindLateUploads(ctx, now, large, lead)
			if len(again) != 1 || again[0].Import.ID != lateOne.ID {
				t.Fatalf("late after warning: %+v", again)
			}
		})
		t.Run("a pair stays reported until the uploader is warned too", func(t *testing.T) {
			uploaded := &segmentbot.Import{SegmentID: seg.ID, UploadedBy: uploader}
			if err := db.CreateImport(ctx, uploaded); err != nil {
				t.Fatal(err)
			}
			db.StageRows(ctx, uploaded.ID, rows(make1(large)...))
			db.CreateWarning(ctx, &segmentbot.Warning{BroadcastID: b.ID, ImportID: uploaded.ID, UserID: author})
			reported := func() bool {
				late, _ := db.FindLateUploads(ctx, now, large, lead)
				for _, l := range late {
					if l.Import.ID == uploaded.ID {
						return true
					}
				}
				return false
			}
			if !reported() {
				t.Fatal("the uploader was never warned, but the pair is not reported")
			}
			db.CreateWarning(ctx, &segmentbot.Warning{BroadcastID: b.ID, ImportID: uploaded.ID, UserID: uploader})
			if reported() {
				t.Fatal("both were warned, but the pair is still reported")
			}
		})
	})
}

func make1(n int) []segmentbot.StagedRow {
	staged := make([]segmentbot.StagedRow, n)
	for i := range staged {
		staged[i] = invalid(int64(i+1), "x", "")
	}
	return staged
}

func TestWarnings(t *testing.T) {
	ctx := context.Background()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		clock := useClock(db)
		var ids []int64
		for user := int64(1); user <= 3; user++ {
			w := &segmentbot.Warning{BroadcastID: 1, ImportID: 1, UserID: user}
			db.CreateWarning(ctx, w)
			ids = append(ids, w.ID)
		}
		t.Run("a claimed warning is not claimed by another worker", func(t *testing.T) {
			first, err := db.ClaimWarnings(ctx, "w1", time.Minute, 2)
			if err != nil || len(first) != 2 || first[0].ID != ids[0] {
				t.Fatalf("w1 claimed %+v, %v", first, err)
			}
			second, _ := db.ClaimWarnings(ctx, "w2", time.Minute, 10)
			if len(second) != 1 || second[0].ID != ids[2] {
				t.Fatalf("w2 claimed %+v", second)
			}
		})
		t.Run("sent warnings are done; failures retry until the limit", func(t *testing.T) {
			if err := db.MarkWarning(ctx, ids[0], "w1", "", 3); err != nil {
				t.Fatal(err)
			}
			wantCode(t, db.MarkWarning(ctx, ids[1], "w2", "", 3), segmentbot.ECONFLICT)
			wantCode(t, db.MarkWarning(ctx, 9999, "w1", "", 3), segmentbot.ENOTFOUND)
			for attempt := 1; attempt <= 2; attempt++ {
				if err := db.MarkWarning(ctx, ids[1], "w1", "503", 2); err != nil {
					t.Fatal(err)
				}
				if attempt == 1 {
					retry, _ := db.ClaimWarnings(ctx, "w1", time.Minute, 10)
					if len(retry) != 1 || retry[0].ID != ids[1] || retry[0].Attempts != 1 {
						t.Fatalf("retry %+v", retry)
					}
				}
			}
			list, err := db.FindWarnings(ctx, 10)
			if err != nil || len(list) != 3 || list[0].ID != ids[2] {
				t.Fatalf("warnings %+v, %v", list, err)
			}
			byID := map[int64]*segmentbot.Warning{}
			for _, w := range list {
				byID[w.ID] = w
			}
			if w := byID[ids[0]]; w.Status != segmentbot.WarningSent || w.SentAt == nil {
				t.Fatalf("sent %+v", w)
			}
			if w := byID[ids[1]]; w.Status != segmentbot.WarningFailed || w.Attempts != 2 || w.LastError != "503" {
				t.Fatalf("failed %+v", w)
			}
		})
		t.Run("an expired lease is claimed again", func(t *testing.T) {
			clock.t = clock.t.Add(2 * time.Minute)
			got, _ := db.ClaimWarnings(ctx, "w3", time.Minute, 10)
			if len(got) != 1 || got[0].ID != ids[2] {
				t.Fatalf("claimed %+v", got)
			}
		})
	})
}
