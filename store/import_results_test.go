package store_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/segmentbot/segmentbot"
	"github.com/segmentbot/segmentbot/store"
	"github.com/segmentbot/segmentbot/store/storetest"
)

// TestImportMatching covers how ApplyImport matches rows to users now that
// matching happens where it is needed rather than being stored by
// ResolveImport.
func TestImportMatching(t *testing.T) {
	ctx := context.Background()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		seg := mustSegment(t, db, "Matching")
		wp := mustUser(t, db, segmentbot.User{Channel: segmentbot.ChannelWorkplace, ExternalID: "100", Email: "both@x.com", Active: true, InBotGroups: true})
		teams := member(t, db, "29:both", "both@x.com")
		upn := mustUser(t, db, segmentbot.User{ExternalID: "29:upn", Email: "mail@x.com", UPN: "login@x.com", Active: true, InBotGroups: true})
		aad := mustUser(t, db, segmentbot.User{ExternalID: "29:aad", AADObjectID: "0f8fad5b-d9cb-469f-a165-70867728950e", Active: true, InBotGroups: true})
		_ = wp

		imp := mustImport(t, db, seg.ID)
		if _, err := db.StageRows(ctx, imp.ID, rows(
			email(1, "both@x.com"),
			email(2, "login@x.com"),
			email(3, "mail@x.com"),
			segmentbot.StagedRow{Row: 4, Value: "0F8FAD5B-D9CB-469F-A165-70867728950E", Norm: aad.AADObjectID, Kind: segmentbot.KindAADID},
			email(5, "late@x.com"),
		)); err != nil {
			t.Fatal(err)
		}
		if err := db.ResolveImport(ctx, imp.ID); err != nil {
			t.Fatal(err)
		}
		t.Run("resolving twice is harmless and the report has no outcomes yet", func(t *testing.T) {
			if err := db.ResolveImport(ctx, imp.ID); err != nil {
				t.Fatal(err)
			}
			want := []string{"1 both@x.com   ", "2 login@x.com   ", "3 mail@x.com   ", "4 0F8FAD5B-D9CB-469F-A165-70867728950E   ", "5 late@x.com   "}
			if got := report(t, db, imp.ID); !reflect.DeepEqual(got, want) {
				t.Fatalf("report %q, want %q", got, want)
			}
		})
		t.Run("a user who joins the directory after resolving is no longer a miss", func(t *testing.T) {
			misses, err := db.ImportMisses(ctx, imp.ID)
			if err != nil || len(misses) != 1 || misses[0].Norm != "late@x.com" {
				t.Fatalf("misses %v, %v", misses, err)
			}
			member(t, db, "29:late", "late@x.com")
			if misses, err := db.ImportMisses(ctx, imp.ID); err != nil || len(misses) != 0 {
				t.Fatalf("misses %v, %v", misses, err)
			}
		})
		done, err := db.ApplyImport(ctx, imp.ID)
		if err != nil {
			t.Fatal(err)
		}
		t.Run("a value matches by email, UPN or AAD id, and a user reached twice is a duplicate", func(t *testing.T) {
			want := []string{
				"1 both@x.com added  ",
				"2 login@x.com added  ",
				"3 mail@x.com duplicate  same as row 2",
				"4 0F8FAD5B-D9CB-469F-A165-70867728950E added  ",
				"5 late@x.com added  ",
			}
			if got := report(t, db, imp.ID); !reflect.DeepEqual(got, want) {
				t.Fatalf("report:\n%q\nwant\n%q", got, want)
			}
			if done.Added != 4 || done.Duplicates != 1 {
				t.Fatalf("import %+v", done)
			}
		})
		t.Run("an email two users share goes to the user of the import's channel", func(t *testing.T) {
			for _, c := range []struct {
				user *segmentbot.User
				in   bool
			}{{teams, true}, {wp, false}, {upn, true}, {aad, true}} {
				if in, _ := db.IsMember(ctx, seg.ID, c.user.ID); in != c.in {
					t.Errorf("user %d (%s) member = %v, want %v", c.user.ID, c.user.Channel, in, c.in)
				}
			}
		})
	})
}

// TestImportRetention checks that deleting imports deletes what the
// pipeline wrote for them, since those tables have no foreign keys.
func TestImportRetention(t *testing.T) {
	ctx := context.Background()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		clock := useClock(db)
		member(t, db, "29:ann", "ann@x.com")
		apply := func(segmentID int64) *segmentbot.Import {
			t.Helper()
			imp := mustImport(t, db, segmentID)
			if _, err := db.StageRows(ctx, imp.ID, rows(email(1, "ann@x.com"), email(2, "nobody@x.com"))); err != nil {
				t.Fatal(err)
			}
			if err := db.SaveLookups(ctx, imp.ID, []segmentbot.LookupResult{{Miss: segmentbot.Miss{Kind: "email", Norm: "nobody@x.com"}, Reason: segmentbot.ReasonNotFound}}); err != nil {
				t.Fatal(err)
			}
			if _, err := db.ApplyImport(ctx, imp.ID); err != nil {
				t.Fatal(err)
			}
			return imp
		}
		kept := mustSegment(t, db, "Kept")
		old := apply(kept.ID)
		clock.t = clock.t.Add(time.Hour)
		recent := apply(kept.ID)
		gone := mustSegment(t, db, "Gone")
		orphan := apply(gone.ID)
		if _, err := db.DeleteSegment(ctx, gone.ID, 0); err != nil {
			t.Fatal(err)
		}

		n, err := db.DeleteImportsBefore(ctx, clock.t.Add(-time.Minute))
		if err != nil || n != 1 {
			t.Fatalf("deleted %d, %v", n, err)
		}
		for _, c := range []struct {
			name string
			id   int64
			rows int
		}{
			{"an expired import loses its rows", old.ID, 0},
			{"an import deleted with its segment loses its rows", orphan.ID, 0},
			{"a recent import keeps its report", recent.ID, 2},
		} {
			t.Run(c.name, func(t *testing.T) {
				if got := report(t, db, c.id); len(got) != c.rows {
					t.Fatalf("report %q, want %d rows", got, c.rows)
				}
			})
		}
	})
}
