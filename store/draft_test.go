package store_test

import (
	"sync"
	"testing"
	"time"

	"github.com/segmentbot/segmentbot"
	"github.com/segmentbot/segmentbot/store"
	"github.com/segmentbot/segmentbot/store/storetest"
)

func mustDraft(t *testing.T, db *store.DB, segmentID int64, at *time.Time) *segmentbot.BroadcastDraft {
	t.Helper()
	d := &segmentbot.BroadcastDraft{SegmentID: segmentID, Name: "Launch", ScheduledAt: at, CreatedBy: 7,
		Message: segmentbot.BroadcastMessage{Title: "Launch", Text: "It is **out**.",
			Buttons: []segmentbot.LinkButton{{Title: "Read", URL: "https://example.com/post"}}}}
	if err := db.CreateDraft(t.Context(), d); err != nil {
		t.Fatal(err)
	}
	return d
}

func TestDrafts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		clock := useClock(db)
		seg := mustSegment(t, db, "News")
		at := clock.t.Add(3 * time.Hour)

		t.Run("a draft keeps its message and time, and is no broadcast", func(t *testing.T) {
			d := mustDraft(t, db, seg.ID, &at)
			got, err := db.FindDraftByID(t.Context(), d.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.State != segmentbot.DraftOpen || got.Message.Text != "It is **out**." || len(got.Message.Buttons) != 1 ||
				got.ScheduledAt == nil || !got.ScheduledAt.Equal(at) || got.CreatedBy != 7 {
				t.Fatalf("draft %+v", got)
			}
			list, err := db.FindBroadcasts(t.Context(), clock.t, false)
			if err != nil || len(list) != 0 {
				t.Fatalf("broadcasts after a preview: %v %v", list, err)
			}
		})

		t.Run("confirming makes one broadcast; confirming again returns it", func(t *testing.T) {
			d := mustDraft(t, db, seg.ID, nil)
			b, created, err := db.ConfirmDraft(t.Context(), d.ID, clock.t, 9)
			if err != nil || !created {
				t.Fatalf("confirm: %v %v", created, err)
			}
			if b.ID == 0 || b.Status != segmentbot.BroadcastScheduled || b.CreatedBy != 9 || b.SegmentID != seg.ID || !b.ScheduledAt.Equal(clock.t) {
				t.Fatalf("broadcast %+v", b)
			}
			again, created, err := db.ConfirmDraft(t.Context(), d.ID, clock.t.Add(time.Hour), 9)
			if err != nil || created || again == nil || again.ID != b.ID {
				t.Fatalf("second confirm: %+v %v %v", again, created, err)
			}
			if _, discarded, err := db.DiscardDraft(t.Context(), d.ID); err != nil || discarded {
				t.Fatalf("discarding a confirmed draft: %v %v", discarded, err)
			}
		})

		t.Run("taps racing make exactly one broadcast", func(t *testing.T) {
			d := mustDraft(t, db, seg.ID, nil)
			before, _ := db.FindBroadcasts(t.Context(), clock.t, false)
			var wg sync.WaitGroup
			var mu sync.Mutex
			ids, createdN := map[int64]bool{}, 0
			for range 8 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					b, created, err := db.ConfirmDraft(t.Context(), d.ID, clock.t, 9)
					if err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					defer mu.Unlock()
					ids[b.ID] = true
					if created {
						createdN++
					}
				}()
			}
			wg.Wait()
			after, _ := db.FindBroadcasts(t.Context(), clock.t, false)
			if createdN != 1 || len(ids) != 1 || len(after) != len(before)+1 {
				t.Fatalf("created %d times, %d distinct ids, %d new broadcasts", createdN, len(ids), len(after)-len(before))
			}
		})

		t.Run("a discarded draft is never confirmed", func(t *testing.T) {
			d := mustDraft(t, db, seg.ID, nil)
			if _, discarded, err := db.DiscardDraft(t.Context(), d.ID); err != nil || !discarded {
				t.Fatalf("discard: %v %v", discarded, err)
			}
			b, created, err := db.ConfirmDraft(t.Context(), d.ID, clock.t, 9)
			if err != nil || created || b != nil {
				t.Fatalf("confirm after discard: %+v %v %v", b, created, err)
			}
		})

		t.Run("a missing draft is not found", func(t *testing.T) {
			_, _, err := db.ConfirmDraft(t.Context(), 999999, clock.t, 9)
			wantCode(t, err, segmentbot.ENOTFOUND)
		})

		t.Run("a draft whose segment was deleted is refused at confirmation", func(t *testing.T) {
			gone := mustSegment(t, db, "Gone")
			d := mustDraft(t, db, gone.ID, nil)
			if _, err := db.DeleteSegment(t.Context(), gone.ID, 0); err != nil {
				t.Fatal(err)
			}
			_, _, err := db.ConfirmDraft(t.Context(), d.ID, clock.t, 9)
			wantCode(t, err, segmentbot.ENOTFOUND)
			if got, _ := db.FindDraftByID(t.Context(), d.ID); got.State != segmentbot.DraftOpen {
				t.Errorf("the failed confirmation left state %q", got.State)
			}
		})

		t.Run("recipients are the members who have not opted out", func(t *testing.T) {
			s := mustSegment(t, db, "Count")
			for i, id := range []string{"a", "b", "c"} {
				u := member(t, db, "29:"+id, id+"@example.com")
				if _, err := db.Join(t.Context(), s.ID, u.ID, segmentbot.SourceAPI, 0); err != nil {
					t.Fatal(err)
				}
				if i == 0 {
					if _, err := db.Leave(t.Context(), s.ID, u.ID, segmentbot.SourceButton, u.ID, true); err != nil {
						t.Fatal(err)
					}
				}
			}
			if n, err := db.CountRecipients(t.Context(), s.ID); err != nil || n != 2 {
				t.Fatalf("recipients = %d, %v; want 2", n, err)
			}
		})
	})
}

func TestDeleteDraftsBefore(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		clock := useClock(db)
		seg := mustSegment(t, db, "News")
		early := clock.t
		old, discarded := mustDraft(t, db, seg.ID, nil), mustDraft(t, db, seg.ID, nil)
		if _, _, err := db.DiscardDraft(t.Context(), discarded.ID); err != nil {
			t.Fatal(err)
		}
		clock.t = early.Add(time.Hour)
		cutoff := clock.t
		kept := mustDraft(t, db, seg.ID, nil)

		n, err := db.DeleteDraftsBefore(t.Context(), cutoff)
		if err != nil || n != 2 {
			t.Fatalf("DeleteDraftsBefore = %d, %v; want the 2 drafts written before the cutoff", n, err)
		}
		for _, d := range []*segmentbot.BroadcastDraft{old, discarded} {
			if _, err := db.FindDraftByID(t.Context(), d.ID); segmentbot.ErrorCode(err) != segmentbot.ENOTFOUND {
				t.Errorf("draft %d: %v, want deleted", d.ID, err)
			}
		}
		if _, err := db.FindDraftByID(t.Context(), kept.ID); err != nil {
			t.Errorf("a draft written at the cutoff: %v, want kept", err)
		}
		if n, err := db.DeleteDraftsBefore(t.Context(), cutoff); err != nil || n != 0 {
			t.Fatalf("again: %d, %v; want 0", n, err)
		}
	})
}
