package scheduler_test

import (
	"testing"
	"time"

	"github.com/segmentbot/segmentbot"
	"github.com/segmentbot/segmentbot/store"
	"github.com/segmentbot/segmentbot/store/storetest"
)

// TestLeadTimeRule checks every edge of DESIGN §6 end to end: imports and
// broadcasts in a real store, a check, and the warnings delivered.
func TestLeadTimeRule(t *testing.T) {
	const lead = 24 * time.Hour
	finished := start.Add(-time.Hour) // the upload finished an hour ago
	tests := []struct {
		name string
		// setup creates the broadcasts and imports and returns the keys
		// of the warnings that must be delivered (see sent.key).
		setup func(w *world) []string
	}{
		{"finished exactly at the lead time is not late", func(w *world) []string {
			w.upload(largeRows, finished)
			w.broadcast("Newsletter", finished.Add(lead))
			return nil
		}},
		{"finished one second inside the lead time is late, for author and uploader", func(w *world) []string {
			imp := w.upload(largeRows, finished)
			b := w.broadcast("Newsletter", finished.Add(lead-time.Second))
			return []string{w.key(w.author, b, imp), w.key(w.uploader, b, imp)}
		}},
		{"an upload still running is late however far the broadcast is", func(w *world) []string {
			imp := w.upload(largeRows, time.Time{})
			b := w.broadcast("Newsletter", start.Add(30*24*time.Hour))
			return []string{w.key(w.author, b, imp), w.key(w.uploader, b, imp)}
		}},
		{"a small upload is never late", func(w *world) []string {
			w.upload(largeRows-1, finished)
			w.upload(largeRows-1, time.Time{})
			w.broadcast("Newsletter", start.Add(time.Hour))
			return nil
		}},
		{"a cancelled broadcast is not warned about", func(w *world) []string {
			w.upload(largeRows, finished)
			b := w.broadcast("Newsletter", start.Add(time.Hour))
			if _, err := w.db.CancelBroadcast(w.ctx, b.ID); err != nil {
				w.t.Fatal(err)
			}
			return nil
		}},
		{"a broadcast in the past is not warned about", func(w *world) []string {
			w.upload(largeRows, start.Add(-3*time.Hour))
			w.broadcast("Yesterday's news", start.Add(-time.Hour))
			return nil
		}},
		{"a broadcast to another segment is not warned about", func(w *world) []string {
			other := &segmentbot.Segment{Name: "Sales APAC"}
			if err := w.db.CreateSegment(w.ctx, other); err != nil {
				w.t.Fatal(err)
			}
			w.upload(largeRows, finished)
			b := &segmentbot.Broadcast{SegmentID: other.ID, Name: "APAC news", ScheduledAt: start.Add(time.Hour), CreatedBy: w.author.ID}
			if err := w.db.CreateBroadcast(w.ctx, b); err != nil {
				w.t.Fatal(err)
			}
			return nil
		}},
		{"two broadcasts and one import warn about each broadcast", func(w *world) []string {
			imp := w.upload(largeRows, finished)
			b1 := w.broadcast("Morning", start.Add(2*time.Hour))
			b2 := w.broadcast("Evening", start.Add(8*time.Hour))
			return []string{
				w.key(w.author, b1, imp), w.key(w.uploader, b1, imp),
				w.key(w.author, b2, imp), w.key(w.uploader, b2, imp),
			}
		}},
		{"two imports and one broadcast warn about each import", func(w *world) []string {
			imp1 := w.upload(largeRows, finished)
			imp2 := w.upload(largeRows*3, time.Time{})
			b := w.broadcast("Newsletter", start.Add(5*time.Hour))
			return []string{
				w.key(w.author, b, imp1), w.key(w.uploader, b, imp1),
				w.key(w.author, b, imp2), w.key(w.uploader, b, imp2),
			}
		}},
		{"an admin who scheduled and uploaded is warned once", func(w *world) []string {
			w.uploader = w.author
			imp := w.upload(largeRows, finished)
			b := w.broadcast("Newsletter", start.Add(5*time.Hour))
			return []string{w.key(w.author, b, imp)}
		}},
		{"an upload through the API warns only the author", func(w *world) []string {
			w.uploader = &segmentbot.User{} // id 0: the REST API
			imp := w.upload(largeRows, finished)
			b := w.broadcast("Newsletter", start.Add(5*time.Hour))
			return []string{w.key(w.author, b, imp)}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel() // each case has its own database
			storetest.Each(t, func(t *testing.T, db *store.DB) {
				w := newWorld(t, db)
				want := tt.setup(w)
				s := w.scheduler("replica-1")
				if err := s.CheckNow(w.ctx); err != nil {
					t.Fatalf("CheckNow: %v", err)
				}
				// A second check finds the same late uploads and sends nothing new.
				if err := s.CheckNow(w.ctx); err != nil {
					t.Fatalf("second CheckNow: %v", err)
				}
				assertDeliveredOnce(t, w, want)
				for _, wr := range w.warnings() {
					if wr.Status != segmentbot.WarningSent {
						t.Errorf("warning %d is %s (%s), want sent", wr.ID, wr.Status, wr.LastError)
					}
				}
			})
		})
	}
}
