package store_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/segmentbot/segmentbot"
	"github.com/segmentbot/segmentbot/store"
	"github.com/segmentbot/segmentbot/store/storetest"
)

func TestImportLifecycle(t *testing.T) {
	ctx := context.Background()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		clock := useClock(db)
		seg := mustSegment(t, db, "Lifecycle")
		member(t, db, "29:ann", "ann@x.com")

		receiving := &segmentbot.Import{SegmentID: seg.ID, Channel: "api", Phase: segmentbot.PhaseReceiving}
		if err := db.CreateImport(ctx, receiving); err != nil {
			t.Fatal(err)
		}
		t.Run("an import created as receiving keeps that phase; others are queued", func(t *testing.T) {
			got, _ := db.FindImportByID(ctx, receiving.ID)
			if got.Phase != segmentbot.PhaseReceiving || got.Status != segmentbot.ImportPending {
				t.Fatalf("receiving import %+v", got)
			}
			other := &segmentbot.Import{SegmentID: seg.ID, Phase: segmentbot.PhaseApplied}
			if err := db.CreateImport(ctx, other); err != nil || other.Phase != segmentbot.PhaseQueued {
				t.Fatalf("created %+v, %v", other, err)
			}
			db.FailImport(ctx, other.ID, "not needed")
			db.MarkImportReported(ctx, other.ID)
		})
		t.Run("workers leave a receiving import alone", func(t *testing.T) {
			if imp, err := db.ClaimImport(ctx, "w1", time.Minute); imp != nil || err != nil {
				t.Fatalf("claimed %+v, %v", imp, err)
			}
		})
		t.Run("the caller claims it by id and it becomes processing", func(t *testing.T) {
			imp, err := db.ClaimImportByID(ctx, receiving.ID, "api", time.Minute)
			if err != nil || imp.Status != segmentbot.ImportProcessing || imp.Phase != segmentbot.PhaseReceiving || imp.StartedAt == nil {
				t.Fatalf("claimed %+v, %v", imp, err)
			}
			if _, err := db.ClaimImportByID(ctx, receiving.ID, "api", time.Minute); err != nil {
				t.Fatalf("the holder claims again: %v", err)
			}
		})
		t.Run("claiming by id conflicts while another worker holds a live lease", func(t *testing.T) {
			_, err := db.ClaimImportByID(ctx, receiving.ID, "w1", time.Minute)
			wantCode(t, err, segmentbot.ECONFLICT)
			_, err = db.ClaimImportByID(ctx, 9999, "w1", time.Minute)
			wantCode(t, err, segmentbot.ENOTFOUND)
		})
		t.Run("an applied import stays leased to its worker until reported", func(t *testing.T) {
			db.StageRows(ctx, receiving.ID, rows(email(1, "ann@x.com")))
			db.ResolveImport(ctx, receiving.ID)
			applied, err := db.ApplyImport(ctx, receiving.ID)
			if err != nil || applied.Phase != segmentbot.PhaseApplied || applied.Status != segmentbot.ImportCompleted || applied.Added != 1 {
				t.Fatalf("applied %+v, %v", applied, err)
			}
			if err := db.RenewImport(ctx, receiving.ID, "api", time.Minute); err != nil {
				t.Fatalf("renew after apply: %v", err)
			}
			if imp, err := db.ClaimImport(ctx, "w1", time.Minute); imp != nil || err != nil {
				t.Fatalf("claimed a leased import %+v, %v", imp, err)
			}
		})
		t.Run("an unreported import is claimed once its lease lapses, keeping its status", func(t *testing.T) {
			clock.t = clock.t.Add(2 * time.Minute)
			imp, err := db.ClaimImport(ctx, "w1", time.Minute)
			if err != nil || imp == nil || imp.ID != receiving.ID || imp.Status != segmentbot.ImportCompleted || imp.Phase != segmentbot.PhaseApplied {
				t.Fatalf("claimed %+v, %v", imp, err)
			}
		})
		t.Run("a reported import is done, released and never claimed again", func(t *testing.T) {
			if err := db.MarkImportReported(ctx, receiving.ID); err != nil {
				t.Fatal(err)
			}
			got, _ := db.FindImportByID(ctx, receiving.ID)
			if got.Phase != segmentbot.PhaseDone || got.Status != segmentbot.ImportCompleted {
				t.Fatalf("reported import %+v", got)
			}
			if imp, err := db.ClaimImport(ctx, "w2", time.Minute); imp != nil || err != nil {
				t.Fatalf("claimed %+v, %v", imp, err)
			}
			wantCode(t, db.RenewImport(ctx, receiving.ID, "w1", time.Minute), segmentbot.ECONFLICT)
		})
		t.Run("applying a reported import returns it unchanged", func(t *testing.T) {
			again, err := db.ApplyImport(ctx, receiving.ID)
			if err != nil || again.Phase != segmentbot.PhaseDone || again.Added != 1 {
				t.Fatalf("again %+v, %v", again, err)
			}
		})
		t.Run("only a finished import can be reported", func(t *testing.T) {
			open := mustImport(t, db, seg.ID)
			wantCode(t, db.MarkImportReported(ctx, open.ID), segmentbot.ECONFLICT)
			wantCode(t, db.MarkImportReported(ctx, 9999), segmentbot.ENOTFOUND)
		})
		t.Run("failing a finished import changes nothing", func(t *testing.T) {
			if err := db.FailImport(ctx, receiving.ID, "late"); err != nil {
				t.Fatal(err)
			}
			got, _ := db.FindImportByID(ctx, receiving.ID)
			if got.Status != segmentbot.ImportCompleted || got.Phase != segmentbot.PhaseDone || got.Error != "" {
				t.Fatalf("import %+v", got)
			}
		})
	})
}

func TestConcurrentImportsIntoOneSegment(t *testing.T) {
	ctx := context.Background()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		seg := mustSegment(t, db, "Shared")
		// Enough rows that unserialised applies would overlap.
		var users []*segmentbot.User
		var staged []segmentbot.StagedRow
		for i := range 2000 {
			addr := fmt.Sprintf("u%d@x.com", i)
			users = append(users, &segmentbot.User{Channel: segmentbot.ChannelTeams, ExternalID: "29:" + addr, Email: addr, Active: true})
			staged = append(staged, email(int64(i+1), addr))
		}
		if err := db.UpsertUsers(ctx, users); err != nil {
			t.Fatal(err)
		}
		const imports = 4
		ids := make([]int64, imports)
		for i := range ids {
			imp := mustImport(t, db, seg.ID)
			ids[i] = imp.ID
			if _, err := db.StageRows(ctx, imp.ID, rows(staged...)); err != nil {
				t.Fatal(err)
			}
			if err := db.ResolveImport(ctx, imp.ID); err != nil {
				t.Fatal(err)
			}
		}
		var wg sync.WaitGroup
		results := make([]*segmentbot.Import, imports)
		for i, id := range ids {
			wg.Add(1)
			go func() {
				defer wg.Done()
				imp, err := db.ApplyImport(ctx, id)
				if err != nil {
					t.Error(err)
				}
				results[i] = imp
			}()
		}
		wg.Wait()
		if t.Failed() {
			return
		}
		var added, already int64
		for _, imp := range results {
			added += imp.Added
			already += imp.AlreadyMember
		}
		t.Run("each user is counted as added by exactly one import", func(t *testing.T) {
			if added != int64(len(staged)) || already != int64((imports-1)*len(staged)) {
				t.Fatalf("added %d, already member %d", added, already)
			}
		})
		t.Run("each user has exactly one join event", func(t *testing.T) {
			events, err := db.FindEvents(ctx, seg.ID, 0)
			if err != nil || len(events) != len(staged) {
				t.Fatalf("%d events, %v", len(events), err)
			}
		})
	})
}

func TestAnAbandonedUploadIsClaimedToBeFailed(t *testing.T) {
	ctx := context.Background()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		clock := useClock(db)
		seg := mustSegment(t, db, "Abandoned")
		imp := &segmentbot.Import{SegmentID: seg.ID, Channel: "api", Phase: segmentbot.PhaseReceiving}
		if err := db.CreateImport(ctx, imp); err != nil {
			t.Fatal(err)
		}
		clock.t = clock.t.Add(29 * time.Minute)
		if got, err := db.ClaimImport(ctx, "w1", time.Minute); got != nil || err != nil {
			t.Fatalf("an upload still within its time was claimed: %+v, %v", got, err)
		}
		clock.t = clock.t.Add(2 * time.Minute)
		got, err := db.ClaimImport(ctx, "w1", time.Minute)
		if err != nil || got == nil || got.ID != imp.ID || got.Phase != segmentbot.PhaseReceiving {
			t.Fatalf("the abandoned upload was not claimed: %+v, %v", got, err)
		}
	})
}
