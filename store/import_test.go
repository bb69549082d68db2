package store_test

import (
	"context"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/segmentbot/segmentbot"
	"github.com/segmentbot/segmentbot/store"
	"github.com/segmentbot/segmentbot/store/storetest"
)

func mustImport(t *testing.T, db *store.DB, segmentID int64) *segmentbot.Import {
	t.Helper()
	imp := &segmentbot.Import{SegmentID: segmentID, Channel: segmentbot.ChannelTeams, FileName: "list.csv", FileURL: "https://files/x"}
	if err := db.CreateImport(context.Background(), imp); err != nil {
		t.Fatal(err)
	}
	return imp
}

// An import's rows are decided in one apply, or (when some values need a
// live lookup) the directory's rows first while the lookups run and the
// looked-up rest after: both give the same report, counts and members.
func TestImportPipeline(t *testing.T) {
	t.Run("in one apply", func(t *testing.T) { testImportPipeline(t, false) })
	t.Run("the directory's rows while the lookups run", func(t *testing.T) { testImportPipeline(t, true) })
}

func testImportPipeline(t *testing.T, knownFirst bool) {
	ctx := context.Background()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		seg := mustSegment(t, db, "Imported")
		ann := member(t, db, "29:ann", "ann@x.com")
		bob := member(t, db, "29:bob", "bob@x.com")
		cat := member(t, db, "29:cat", "cat@x.com")
		gone := mustUser(t, db, segmentbot.User{ExternalID: "29:gone", Email: "gone@x.com", InBotGroups: true})
		outside := mustUser(t, db, segmentbot.User{ExternalID: "29:out", Email: "out@x.com", Active: true})
		db.Join(ctx, seg.ID, bob.ID, segmentbot.SourceButton, bob.ID)
		db.Join(ctx, seg.ID, cat.ID, segmentbot.SourceButton, cat.ID)
		db.Leave(ctx, seg.ID, cat.ID, segmentbot.SourceButton, cat.ID, true)
		_ = gone
		_ = outside

		imp := mustImport(t, db, seg.ID)
		n, err := db.StageRows(ctx, imp.ID, rows(
			email(1, "ann@x.com"),
			email(2, "bob@x.com"),
			email(3, "cat@x.com"),
			invalid(4, "ann@@x", "two @"),
			email(5, "ann@x.com"),
			email(6, "gone@x.com"),
			email(7, "out@x.com"),
			email(8, "new@x.com"),
			email(9, "nobody@x.com"),
			email(10, "secret@x.com"),
			email(11, "flaky@x.com"),
			segmentbot.StagedRow{Row: 12, Value: "29:ann", Norm: "29:ann", Kind: segmentbot.KindNumeric},
		))
		if err != nil || n != 12 {
			t.Fatalf("stage: %d, %v", n, err)
		}
		if err := db.ResolveImport(ctx, imp.ID); err != nil {
			t.Fatal(err)
		}
		misses, err := db.ImportMisses(ctx, imp.ID)
		if err != nil {
			t.Fatal(err)
		}
		wantMisses := []segmentbot.Miss{{Kind: "email", Norm: "flaky@x.com"}, {Kind: "email", Norm: "new@x.com"}, {Kind: "email", Norm: "nobody@x.com"}, {Kind: "email", Norm: "secret@x.com"}}
		if !reflect.DeepEqual(misses, wantMisses) {
			t.Fatalf("misses %v, want %v", misses, wantMisses)
		}
		if knownFirst {
			// ann (rows 1, 5 and 12), bob, cat, the invalid row, gone and out.
			// SQLite's single writer gains nothing from the overlap:
			// there ApplyKnown leaves the whole import to ApplyImport.
			wantPartial := func(when string) {
				t.Helper()
				got, err := db.FindImportByID(ctx, imp.ID)
				if db.Dialect() == "sqlite" {
					if err != nil || got.Partial || got.Added != 0 {
						t.Fatalf("%s on SQLite: %+v, %v", when, got, err)
					}
					return
				}
				if err != nil || !got.Partial || got.Done() || got.Added != 1 || got.AlreadyMember != 1 || got.SkippedOptOut != 1 ||
					got.Duplicates != 2 || got.Failed != 3 {
					t.Fatalf("%s: %+v, %v", when, got, err)
				}
			}
			if err := db.ApplyKnown(ctx, imp.ID); err != nil {
				t.Fatal(err)
			}
			wantPartial("after ApplyKnown")
			// A worker that dies here asks the same misses again, and its
			// successor's ApplyKnown changes nothing.
			if again, err := db.ImportMisses(ctx, imp.ID); err != nil || !reflect.DeepEqual(again, wantMisses) {
				t.Fatalf("misses after ApplyKnown: %v, %v", again, err)
			}
			if err := db.ApplyKnown(ctx, imp.ID); err != nil {
				t.Fatal(err)
			}
			wantPartial("after a second ApplyKnown")
		}
		results := []segmentbot.LookupResult{
			{Miss: wantMisses[0], Reason: segmentbot.ReasonLookupError},
			{Miss: wantMisses[1], User: &segmentbot.User{AADObjectID: "aad-new", Email: "new@x.com", Active: true, InBotGroups: true}},
			{Miss: wantMisses[2], Reason: segmentbot.ReasonNotFound},
			{Miss: wantMisses[3], Reason: segmentbot.ReasonPermissionDenied},
		}
		for i := 0; i < 2; i++ { // saving twice is harmless
			if err := db.SaveLookups(ctx, imp.ID, results); err != nil {
				t.Fatal(err)
			}
		}
		if misses, _ := db.ImportMisses(ctx, imp.ID); len(misses) != 0 {
			t.Fatalf("misses after lookups: %v", misses)
		}
		done, err := db.ApplyImport(ctx, imp.ID)
		if err != nil {
			t.Fatal(err)
		}

		t.Run("every row gets its outcome and reason", func(t *testing.T) {
			want := []string{
				"1 ann@x.com added  ",
				"2 bob@x.com already_member  ",
				"3 cat@x.com skipped_opted_out  ",
				"4 ann@@x failed invalid two @",
				"5 ann@x.com duplicate  same as row 1",
				"6 gone@x.com failed left_tenant ",
				"7 out@x.com failed not_in_bot_groups ",
				"8 new@x.com added  ",
				"9 nobody@x.com failed not_found ",
				"10 secret@x.com failed permission_denied ",
				"11 flaky@x.com failed lookup_error ",
				"12 29:ann duplicate  same as row 1",
			}
			if got := report(t, db, imp.ID); !reflect.DeepEqual(got, want) {
				t.Fatalf("report:\n%q\nwant\n%q", got, want)
			}
		})
		t.Run("counts and status are stored", func(t *testing.T) {
			got, err := db.FindImportByID(ctx, imp.ID)
			if err != nil {
				t.Fatal(err)
			}
			wantFailed := map[string]int64{"invalid": 1, "left_tenant": 1, "not_in_bot_groups": 1, "not_found": 1, "permission_denied": 1, "lookup_error": 1}
			if got.Status != segmentbot.ImportCompletedWithErrors || got.Phase != segmentbot.PhaseApplied || got.Total != 12 ||
				got.Added != 2 || got.AlreadyMember != 1 || got.SkippedOptOut != 1 || got.Duplicates != 2 || got.Failed != 6 ||
				!reflect.DeepEqual(got.FailedByReason, wantFailed) || got.FinishedAt == nil || got.FileURL != "" {
				t.Fatalf("import %+v", got)
			}
			if done.Added != got.Added || done.Status != got.Status {
				t.Fatalf("ApplyImport returned %+v, stored %+v", done, got)
			}
		})
		t.Run("added users are members with a join event; the opted-out one is not", func(t *testing.T) {
			if in, _ := db.IsMember(ctx, seg.ID, ann.ID); !in {
				t.Fatal("ann not added")
			}
			if in, _ := db.IsMember(ctx, seg.ID, cat.ID); in {
				t.Fatal("opted-out cat added")
			}
			events, _ := db.FindEvents(ctx, seg.ID, ann.ID)
			if len(events) != 1 || events[0].Source != segmentbot.SourceImport {
				t.Fatalf("ann's events %+v", events)
			}
		})
		t.Run("applying again changes nothing", func(t *testing.T) {
			before, _ := db.FindEvents(ctx, seg.ID, 0)
			again, err := db.ApplyImport(ctx, imp.ID)
			if err != nil || again.Added != 2 || again.Status != segmentbot.ImportCompletedWithErrors {
				t.Fatalf("again %+v, %v", again, err)
			}
			after, _ := db.FindEvents(ctx, seg.ID, 0)
			if len(after) != len(before) {
				t.Fatalf("events %d -> %d", len(before), len(after))
			}
		})
		t.Run("an import without failures completes", func(t *testing.T) {
			clean := mustImport(t, db, seg.ID)
			db.StageRows(ctx, clean.ID, rows(email(1, "bob@x.com")))
			db.ResolveImport(ctx, clean.ID)
			got, err := db.ApplyImport(ctx, clean.ID)
			if err != nil || got.Status != segmentbot.ImportCompleted || got.AlreadyMember != 1 {
				t.Fatalf("%+v, %v", got, err)
			}
		})
		t.Run("staging again replaces the rows", func(t *testing.T) {
			again := mustImport(t, db, seg.ID)
			db.StageRows(ctx, again.ID, rows(email(1, "a@x.com"), email(2, "b@x.com")))
			n, err := db.StageRows(ctx, again.ID, rows(email(1, "c@x.com")))
			if err != nil || n != 1 || len(report(t, db, again.ID)) != 1 {
				t.Fatalf("restaged %d, %v", n, err)
			}
		})
		t.Run("missing imports are not found", func(t *testing.T) {
			_, err := db.StageRows(ctx, 9999, rows())
			wantCode(t, err, segmentbot.ENOTFOUND)
			wantCode(t, db.ResolveImport(ctx, 9999), segmentbot.ENOTFOUND)
			_, err = db.ApplyImport(ctx, 9999)
			wantCode(t, err, segmentbot.ENOTFOUND)
			wantCode(t, db.SetImportPhase(ctx, 9999, segmentbot.PhaseStaged, 0), segmentbot.ENOTFOUND)
			wantCode(t, db.FailImport(ctx, 9999, "x"), segmentbot.ENOTFOUND)
			wantCode(t, db.CreateImport(ctx, &segmentbot.Import{SegmentID: 9999}), segmentbot.ENOTFOUND)
		})
	})
}

// A miss set aside for a live lookup that never answered is reported as a
// failed lookup, never as a pending one.
func TestAnUnansweredLookupIsALookupError(t *testing.T) {
	ctx := context.Background()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		seg := mustSegment(t, db, "Unanswered")
		imp := mustImport(t, db, seg.ID)
		if _, err := db.StageRows(ctx, imp.ID, rows(email(1, "asked@x.com"))); err != nil {
			t.Fatal(err)
		}
		if misses, err := db.ImportMisses(ctx, imp.ID); err != nil || len(misses) != 1 {
			t.Fatalf("misses %v, %v", misses, err)
		}
		if _, err := db.ApplyImport(ctx, imp.ID); err != nil {
			t.Fatal(err)
		}
		want := []string{"1 asked@x.com failed lookup_error "}
		if got := report(t, db, imp.ID); !reflect.DeepEqual(got, want) {
			t.Fatalf("report %q, want %q", got, want)
		}
	})
}

func TestImportJobs(t *testing.T) {
	ctx := context.Background()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		clock := useClock(db)
		seg := mustSegment(t, db, "Jobs")

		t.Run("two workers never claim the same import", func(t *testing.T) {
			var ids []int64
			for i := 0; i < 10; i++ {
				ids = append(ids, mustImport(t, db, seg.ID).ID)
			}
			var mu sync.Mutex
			claimed := map[int64]string{}
			var wg sync.WaitGroup
			for _, w := range []string{"w1", "w2"} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						imp, err := db.ClaimImport(ctx, w, time.Minute)
						if err != nil {
							t.Error(err)
							return
						} else if imp == nil {
							return
						}
						mu.Lock()
						if other, dup := claimed[imp.ID]; dup {
							t.Errorf("import %d claimed by %s and %s", imp.ID, other, w)
						}
						claimed[imp.ID] = w
						mu.Unlock()
						if imp.Status != segmentbot.ImportProcessing || imp.StartedAt == nil {
							t.Errorf("claimed %+v", imp)
						}
					}
				}()
			}
			wg.Wait()
			if len(claimed) != len(ids) {
				t.Fatalf("claimed %d of %d", len(claimed), len(ids))
			}
		})
		t.Run("an expired lease is taken over and the old holder loses it", func(t *testing.T) {
			clock.t = clock.t.Add(2 * time.Minute)
			imp, err := db.ClaimImport(ctx, "w3", time.Minute)
			if err != nil || imp == nil {
				t.Fatalf("takeover: %+v, %v", imp, err)
			}
			wantCode(t, db.RenewImport(ctx, imp.ID, "w1", time.Minute), segmentbot.ECONFLICT)
			if err := db.RenewImport(ctx, imp.ID, "w3", time.Minute); err != nil {
				t.Fatal(err)
			}
			wantCode(t, db.RenewImport(ctx, 9999, "w3", time.Minute), segmentbot.ENOTFOUND)
		})
		t.Run("failed imports are claimed once more to deliver their report, then never again", func(t *testing.T) {
			clock.t = clock.t.Add(time.Hour)
			list, _ := db.FindImports(ctx, seg.ID, 100)
			for _, imp := range list {
				if err := db.FailImport(ctx, imp.ID, "file vanished"); err != nil {
					t.Fatal(err)
				}
			}
			got, _ := db.FindImportByID(ctx, list[0].ID)
			if got.Status != segmentbot.ImportFailed || got.Phase != segmentbot.PhaseApplied || got.Error != "file vanished" || got.FinishedAt == nil {
				t.Fatalf("failed import %+v", got)
			}
			for range list {
				imp, err := db.ClaimImport(ctx, "w4", time.Minute)
				if err != nil || imp == nil || imp.Status != segmentbot.ImportFailed {
					t.Fatalf("claimed for its report: %+v, %v", imp, err)
				}
				if err := db.MarkImportReported(ctx, imp.ID); err != nil {
					t.Fatal(err)
				}
			}
			if imp, err := db.ClaimImport(ctx, "w4", time.Minute); imp != nil || err != nil {
				t.Fatalf("claimed %+v, %v", imp, err)
			}
		})
		t.Run("phase, message and listing", func(t *testing.T) {
			imp := mustImport(t, db, seg.ID)
			if err := db.SetImportPhase(ctx, imp.ID, segmentbot.PhaseResolved, 7); err != nil {
				t.Fatal(err)
			}
			if err := db.SetImportMessage(ctx, imp.ID, "msg-1"); err != nil {
				t.Fatal(err)
			}
			list, err := db.FindImports(ctx, 0, 1)
			if err != nil || len(list) != 1 || list[0].ID != imp.ID || list[0].Phase != segmentbot.PhaseResolved ||
				list[0].Progress != 7 || list[0].ProgressMsg != "msg-1" {
				t.Fatalf("newest import %+v, %v", list, err)
			}
		})
		t.Run("retention deletes finished imports only", func(t *testing.T) {
			n, err := db.DeleteImportsBefore(ctx, clock.t.Add(time.Second))
			if err != nil || n != 10 {
				t.Fatalf("deleted %d, %v", n, err)
			}
			left, _ := db.FindImports(ctx, seg.ID, 100)
			if len(left) != 1 || left[0].Done() {
				t.Fatalf("left %+v", left)
			}
		})
	})
}
