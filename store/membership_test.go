package store_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/segmentbot/segmentbot"
	"github.com/segmentbot/segmentbot/store"
	"github.com/segmentbot/segmentbot/store/storetest"
)

func TestMemberships(t *testing.T) {
	ctx := context.Background()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Run("a repeated join reports a new member once and logs every join", func(t *testing.T) {
			seg, u := mustSegment(t, db, "j1"), member(t, db, "j1", "j1@x.com")
			for i, want := range []bool{true, false} {
				joined, err := db.Join(ctx, seg.ID, u.ID, segmentbot.SourceButton, u.ID)
				if err != nil || joined != want {
					t.Fatalf("join %d: %v, %v; want %v", i, joined, err, want)
				}
			}
			events, _ := db.FindEvents(ctx, seg.ID, u.ID)
			if len(events) != 2 || events[0].Action != segmentbot.ActionJoin || events[1].Action != segmentbot.ActionJoin || events[0].ActorID != u.ID {
				t.Fatalf("events %+v", events)
			}
			members, _ := db.FindMembers(ctx, seg.ID, segmentbot.Page{})
			if len(members) != 1 {
				t.Fatalf("%d membership rows, want 1", len(members))
			}
		})
		t.Run("a leave of a non-member changes nothing but is logged", func(t *testing.T) {
			seg, u := mustSegment(t, db, "j3"), member(t, db, "j3", "")
			left, err := db.Leave(ctx, seg.ID, u.ID, segmentbot.SourceButton, u.ID, false)
			if err != nil || left {
				t.Fatalf("leave: %v, %v; want false", left, err)
			}
			events, _ := db.FindEvents(ctx, seg.ID, u.ID)
			if len(events) != 1 || events[0].Action != segmentbot.ActionLeave || events[0].Source != segmentbot.SourceButton {
				t.Fatalf("events %+v", events)
			}
		})
		t.Run("join of a missing segment or user is not found", func(t *testing.T) {
			seg, u := mustSegment(t, db, "j2"), member(t, db, "j2", "")
			_, err := db.Join(ctx, 9999, u.ID, segmentbot.SourceButton, 0)
			wantCode(t, err, segmentbot.ENOTFOUND)
			_, err = db.Join(ctx, seg.ID, 9999, segmentbot.SourceButton, 0)
			wantCode(t, err, segmentbot.ENOTFOUND)
			_, err = db.Leave(ctx, 9999, u.ID, segmentbot.SourceButton, 0, false)
			wantCode(t, err, segmentbot.ENOTFOUND)
			_, err = db.Leave(ctx, seg.ID, 9999, segmentbot.SourceButton, 0, true)
			wantCode(t, err, segmentbot.ENOTFOUND)
			if _, err := db.DeleteSegment(ctx, seg.ID, 0); err != nil {
				t.Fatal(err)
			}
			_, err = db.Join(ctx, seg.ID, u.ID, segmentbot.SourceButton, u.ID)
			wantCode(t, err, segmentbot.ENOTFOUND)
			_, err = db.OptOutAll(ctx, 9999, segmentbot.SourceKeyword)
			wantCode(t, err, segmentbot.ENOTFOUND)
		})
		t.Run("leave with opt-out is sticky until the user joins again", func(t *testing.T) {
			seg, u := mustSegment(t, db, "l1"), member(t, db, "l1", "")
			db.Join(ctx, seg.ID, u.ID, segmentbot.SourceButton, u.ID)
			left, err := db.Leave(ctx, seg.ID, u.ID, segmentbot.SourceButton, u.ID, true)
			if err != nil || !left {
				t.Fatalf("leave: %v, %v", left, err)
			}
			if again, _ := db.Leave(ctx, seg.ID, u.ID, segmentbot.SourceButton, u.ID, true); again {
				t.Fatal("left twice")
			}
			if out, _ := db.IsOptedOut(ctx, seg.ID, u.ID); !out {
				t.Fatal("opt-out not recorded")
			}
			db.Join(ctx, seg.ID, u.ID, segmentbot.SourceResubscribe, u.ID)
			if out, _ := db.IsOptedOut(ctx, seg.ID, u.ID); out {
				t.Fatal("join kept the opt-out")
			}
			if in, _ := db.IsMember(ctx, seg.ID, u.ID); !in {
				t.Fatal("not a member after joining again")
			}
		})
		t.Run("leave without opt-out records none", func(t *testing.T) {
			seg, u := mustSegment(t, db, "l2"), member(t, db, "l2", "")
			db.Join(ctx, seg.ID, u.ID, segmentbot.SourceChat, 0)
			db.Leave(ctx, seg.ID, u.ID, segmentbot.SourceChat, 0, false)
			if out, _ := db.IsOptedOut(ctx, seg.ID, u.ID); out {
				t.Fatal("opt-out recorded")
			}
		})
		t.Run("opt out of all leaves every segment with sticky opt-outs", func(t *testing.T) {
			a, b, c := mustSegment(t, db, "o1"), mustSegment(t, db, "o2"), mustSegment(t, db, "o3")
			u := member(t, db, "o1", "")
			db.Join(ctx, a.ID, u.ID, segmentbot.SourceButton, u.ID)
			db.Join(ctx, b.ID, u.ID, segmentbot.SourceButton, u.ID)
			left, err := db.OptOutAll(ctx, u.ID, segmentbot.SourceKeyword)
			if err != nil || len(left) != 2 || left[0].ID != a.ID || left[1].ID != b.ID || left[0].Members != 0 {
				t.Fatalf("left %+v, %v", left, err)
			}
			for _, seg := range []*segmentbot.Segment{a, b} {
				in, _ := db.IsMember(ctx, seg.ID, u.ID)
				out, _ := db.IsOptedOut(ctx, seg.ID, u.ID)
				events, _ := db.FindEvents(ctx, seg.ID, u.ID)
				if in || !out || len(events) != 2 || events[1].Source != segmentbot.SourceKeyword {
					t.Fatalf("segment %s: member %v, opted out %v, events %+v", seg.Name, in, out, events)
				}
			}
			if out, _ := db.IsOptedOut(ctx, c.ID, u.ID); out {
				t.Fatal("opted out of a segment the user was not in")
			}
		})
		t.Run("members page by user id and stream in full", func(t *testing.T) {
			seg := mustSegment(t, db, "m1")
			var ids []int64
			for _, name := range []string{"m1", "m2", "m3"} {
				u := member(t, db, name, name+"@x.com")
				db.Join(ctx, seg.ID, u.ID, segmentbot.SourceImport, 0)
				ids = append(ids, u.ID)
			}
			page, err := db.FindMembers(ctx, seg.ID, segmentbot.Page{After: ids[0], Limit: 1})
			if err != nil || len(page) != 1 || page[0].UserID != ids[1] || page[0].Email != "m2@x.com" || page[0].Source != segmentbot.SourceImport {
				t.Fatalf("page %+v, %v", page, err)
			}
			var streamed []int64
			err = db.EachMember(ctx, seg.ID, func(m *segmentbot.Member) error {
				// The callback may use the store: no connection is held.
				if _, err := db.IsMember(ctx, seg.ID, m.UserID); err != nil {
					return err
				}
				streamed = append(streamed, m.UserID)
				return nil
			})
			if err != nil || len(streamed) != 3 || streamed[2] != ids[2] {
				t.Fatalf("streamed %v, %v", streamed, err)
			}
			stop := errors.New("stop")
			if err := db.EachMember(ctx, seg.ID, func(*segmentbot.Member) error { return stop }); !errors.Is(err, stop) {
				t.Fatalf("callback error = %v", err)
			}
		})
		t.Run("concurrent joins and leaves of one user end as the newest event says", func(t *testing.T) {
			seg, u := mustSegment(t, db, "race"), member(t, db, "race", "")
			var wg sync.WaitGroup
			errs := make(chan error, 200)
			for i := 0; i < 100; i++ {
				wg.Add(2)
				go func() {
					defer wg.Done()
					_, err := db.Join(ctx, seg.ID, u.ID, segmentbot.SourceButton, u.ID)
					errs <- err
				}()
				go func() {
					defer wg.Done()
					_, err := db.Leave(ctx, seg.ID, u.ID, segmentbot.SourceButton, u.ID, i%2 == 0)
					errs <- err
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Fatal(err)
				}
			}
			// Every call is logged, and the newest event is the state: the
			// membership, and the opt-out a join clears.
			events, _ := db.FindEvents(ctx, seg.ID, u.ID)
			in, _ := db.IsMember(ctx, seg.ID, u.ID)
			out, _ := db.IsOptedOut(ctx, seg.ID, u.ID)
			if len(events) != 200 {
				t.Fatalf("%d events for 200 calls", len(events))
			}
			last := events[len(events)-1]
			if (last.Action == segmentbot.ActionJoin) != in || (in && out) {
				t.Fatalf("newest event %s, member %v, opted out %v", last.Action, in, out)
			}
		})
		t.Run("concurrent joins of one user make one membership", func(t *testing.T) {
			seg, u := mustSegment(t, db, "dup"), member(t, db, "dup", "")
			var wg sync.WaitGroup
			var mu sync.Mutex
			newMember := 0
			for range 20 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					joined, err := db.Join(ctx, seg.ID, u.ID, segmentbot.SourceButton, u.ID)
					if err != nil {
						t.Error(err)
					}
					mu.Lock()
					defer mu.Unlock()
					if joined {
						newMember++
					}
				}()
			}
			wg.Wait()
			members, _ := db.FindMembers(ctx, seg.ID, segmentbot.Page{})
			events, _ := db.FindEvents(ctx, seg.ID, u.ID)
			if newMember != 1 || len(members) != 1 || len(events) != 20 {
				t.Fatalf("%d calls reported a new member, %d membership rows, %d events; want 1, 1, 20", newMember, len(members), len(events))
			}
		})
	})
}

// A tap's activity is recorded in the transaction of its change: the same
// activity delivered again, even at once from several requests, changes
// nothing more, and BeginActivity knows it as processed.
func TestChangesRecordTheirActivityOnce(t *testing.T) {
	ctx := context.Background()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Run("a join under a Once records it; its redeliveries are ErrRepeated", func(t *testing.T) {
			seg, u := mustSegment(t, db, "o1"), member(t, db, "o1", "")
			var wg sync.WaitGroup
			results := make(chan error, 4)
			for range 4 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					once := &segmentbot.Once{Channel: segmentbot.ChannelTeams, ID: "tap-1"}
					_, err := db.Join(segmentbot.WithOnce(ctx, once), seg.ID, u.ID, segmentbot.SourceButton, u.ID)
					if err == nil && !once.Taken() {
						err = errors.New("the change succeeded but its Once is not taken")
					}
					results <- err
				}()
			}
			wg.Wait()
			close(results)
			var ok, repeated int
			for err := range results {
				switch {
				case err == nil:
					ok++
				case errors.Is(err, segmentbot.ErrRepeated):
					repeated++
				default:
					t.Fatal(err)
				}
			}
			if ok != 1 || repeated != 3 {
				t.Fatalf("%d changes and %d repeats of one activity, want 1 and 3", ok, repeated)
			}
			if events, _ := db.FindEvents(ctx, seg.ID, u.ID); len(events) != 1 {
				t.Fatalf("%d events for one activity, want 1", len(events))
			}
			if fresh, err := db.BeginActivity(ctx, segmentbot.ChannelTeams, "tap-1", time.Minute); err != nil || fresh {
				t.Fatalf("BeginActivity after the change: %v, %v; want false", fresh, err)
			}
		})
		t.Run("a leave under a recorded Once changes nothing", func(t *testing.T) {
			seg, u := mustSegment(t, db, "o2"), member(t, db, "o2", "")
			if _, err := db.Join(ctx, seg.ID, u.ID, segmentbot.SourceButton, u.ID); err != nil {
				t.Fatal(err)
			}
			if ok, err := db.BeginActivity(ctx, segmentbot.ChannelTeams, "tap-2", time.Minute); err != nil || !ok {
				t.Fatalf("BeginActivity: %v, %v", ok, err)
			}
			once := &segmentbot.Once{Channel: segmentbot.ChannelTeams, ID: "tap-2"}
			_, err := db.Leave(segmentbot.WithOnce(ctx, once), seg.ID, u.ID, segmentbot.SourceButton, u.ID, true)
			if !errors.Is(err, segmentbot.ErrRepeated) || once.Taken() {
				t.Fatalf("leave under a claimed activity: %v (taken %v), want ErrRepeated", err, once.Taken())
			}
			if members, _ := db.FindMembers(ctx, seg.ID, segmentbot.Page{}); len(members) != 1 {
				t.Fatalf("%d members, want the one still there", len(members))
			}
			if out, _ := db.IsOptedOut(ctx, seg.ID, u.ID); out {
				t.Fatal("a repeated leave recorded an opt-out")
			}
		})
		t.Run("a change that cannot happen leaves its Once untaken", func(t *testing.T) {
			u := member(t, db, "o3", "")
			once := &segmentbot.Once{Channel: segmentbot.ChannelTeams, ID: "tap-3"}
			_, err := db.Join(segmentbot.WithOnce(ctx, once), 999999, u.ID, segmentbot.SourceButton, u.ID)
			if segmentbot.ErrorCode(err) != segmentbot.ENOTFOUND || once.Taken() {
				t.Fatalf("join of a missing segment: %v (taken %v), want ENOTFOUND", err, once.Taken())
			}
			if fresh, err := db.BeginActivity(ctx, segmentbot.ChannelTeams, "tap-3", time.Minute); err != nil || !fresh {
				t.Fatalf("BeginActivity: %v, %v; want the activity still unrecorded", fresh, err)
			}
		})
	})
}
