package store_test

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"testing"

	"github.com/segmentbot/segmentbot"
	"github.com/segmentbot/segmentbot/store"
	"github.com/segmentbot/segmentbot/store/storetest"
)

// importValues runs a whole import of emails through the store's pipeline
// (stage, resolve, apply) and returns it with its rows' outcomes by value.
func importValues(t *testing.T, db *store.DB, segmentID int64, source string, emails ...string) (*segmentbot.Import, map[string]string) {
	t.Helper()
	ctx := context.Background()
	imp := &segmentbot.Import{SegmentID: segmentID, Channel: segmentbot.ChannelTeams, Source: source, FileName: "list.csv"}
	if err := db.CreateImport(ctx, imp); err != nil {
		t.Fatal(err)
	}
	var staged []segmentbot.StagedRow
	for i, e := range emails {
		staged = append(staged, email(int64(i+1), e))
	}
	if _, err := db.StageRows(ctx, imp.ID, rows(staged...)); err != nil {
		t.Fatal(err)
	}
	if err := db.ResolveImport(ctx, imp.ID); err != nil {
		t.Fatal(err)
	}
	if err := db.ApplyKnown(ctx, imp.ID); err != nil {
		t.Fatal(err)
	}
	done, err := db.ApplyImport(ctx, imp.ID)
	if err != nil {
		t.Fatal(err)
	}
	outcomes := map[string]string{}
	if err := db.EachImportRow(ctx, imp.ID, func(r *segmentbot.ImportRow) error {
		outcomes[r.Value] = r.Outcome
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return done, outcomes
}

func TestUnsubscribeKeepsAdminsFromAddingTheUserAnywhere(t *testing.T) {
	ctx := context.Background()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		old := mustSegment(t, db, "Team 1")
		sam := member(t, db, "29:sam", "sam@x.com")
		kim := member(t, db, "29:kim", "kim@x.com")
		if _, err := db.Join(ctx, old.ID, sam.ID, segmentbot.SourceImport, 1); err != nil {
			t.Fatal(err)
		}
		if _, err := db.OptOutAll(ctx, sam.ID, segmentbot.SourceKeyword); err != nil {
			t.Fatal(err)
		}
		if out, err := db.IsUnsubscribed(ctx, sam.ID); err != nil || !out {
			t.Fatalf("IsUnsubscribed after OptOutAll = %v, %v", out, err)
		}
		fresh := mustSegment(t, db, "Team 2") // made after the unsubscribe

		t.Run("an admin's join is refused and changes nothing", func(t *testing.T) {
			for _, seg := range []*segmentbot.Segment{old, fresh} {
				for _, source := range []string{segmentbot.SourceChat, segmentbot.SourceAPI, segmentbot.SourceImport} {
					joined, err := db.Join(ctx, seg.ID, sam.ID, source, 1)
					if !errors.Is(err, segmentbot.ErrOptedOut) || joined {
						t.Fatalf("join %s by %s = %v, %v; want ErrOptedOut", seg.Name, source, joined, err)
					}
				}
				if ok, _ := db.IsMember(ctx, seg.ID, sam.ID); ok {
					t.Fatalf("sam is in %s", seg.Name)
				}
			}
			if events, _ := db.FindEvents(ctx, fresh.ID, sam.ID); len(events) != 0 {
				t.Fatalf("a refused join logged %v", events)
			}
		})
		t.Run("imports into a new segment skip the user as skipped_opted_out", func(t *testing.T) {
			for _, source := range []string{segmentbot.SourceImport, segmentbot.SourceChat, segmentbot.SourceAPI} {
				imp, outcomes := importValues(t, db, fresh.ID, source, "sam@x.com", "kim@x.com")
				if outcomes["sam@x.com"] != segmentbot.OutcomeSkippedOptedOut || imp.SkippedOptOut != 1 {
					t.Fatalf("%s: sam's outcome %q, skipped %d; want skipped_opted_out", source, outcomes["sam@x.com"], imp.SkippedOptOut)
				}
				if ok, _ := db.IsMember(ctx, fresh.ID, sam.ID); ok {
					t.Fatalf("%s: an import added sam after unsubscribe", source)
				}
			}
			if ok, _ := db.IsMember(ctx, fresh.ID, kim.ID); !ok {
				t.Fatal("kim, who never opted out, was not added")
			}
		})
		t.Run("the user's own opt-in joins that one segment and the block stays", func(t *testing.T) {
			if joined, err := db.Join(ctx, fresh.ID, sam.ID, segmentbot.SourceButton, sam.ID); err != nil || !joined {
				t.Fatalf("own opt-in = %v, %v", joined, err)
			}
			if _, err := db.Join(ctx, old.ID, sam.ID, segmentbot.SourceChat, 1); !errors.Is(err, segmentbot.ErrOptedOut) {
				t.Fatalf("admin join into another segment after one own opt-in: %v, want ErrOptedOut", err)
			}
			_, outcomes := importValues(t, db, fresh.ID, segmentbot.SourceImport, "sam@x.com")
			if outcomes["sam@x.com"] != segmentbot.OutcomeAlreadyMember {
				t.Fatalf("re-import into the segment sam joined: %q, want already_member", outcomes["sam@x.com"])
			}
			_, outcomes = importValues(t, db, old.ID, segmentbot.SourceImport, "sam@x.com")
			if outcomes["sam@x.com"] != segmentbot.OutcomeSkippedOptedOut {
				t.Fatalf("import into another segment: %q, want skipped_opted_out", outcomes["sam@x.com"])
			}
		})
		t.Run("resubscribe restores what they left and lifts the block", func(t *testing.T) {
			segs, joined, err := db.Resubscribe(ctx, sam.ID, []int64{old.ID, 99999})
			if err != nil || len(segs) != 1 || segs[0].ID != old.ID || joined != 1 {
				t.Fatalf("Resubscribe = %v, %d, %v; want Team 1 rejoined", segs, joined, err)
			}
			if out, _ := db.IsUnsubscribed(ctx, sam.ID); out {
				t.Fatal("the block stays after Resubscribe")
			}
			third := mustSegment(t, db, "Team 3")
			_, outcomes := importValues(t, db, third.ID, segmentbot.SourceImport, "sam@x.com")
			if outcomes["sam@x.com"] != segmentbot.OutcomeAdded {
				t.Fatalf("import after Resubscribe: %q, want added", outcomes["sam@x.com"])
			}
		})
	})
}

func TestAPerSegmentOptOutStopsAdminJoins(t *testing.T) {
	ctx := context.Background()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		seg, other := mustSegment(t, db, "Wellbeing"), mustSegment(t, db, "Other")
		lea := member(t, db, "29:lea", "lea@x.com")
		if _, err := db.Leave(ctx, seg.ID, lea.ID, segmentbot.SourceKeyword, lea.ID, true); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Join(ctx, seg.ID, lea.ID, segmentbot.SourceAPI, 0); !errors.Is(err, segmentbot.ErrOptedOut) {
			t.Fatalf("admin join after a per-segment opt-out: %v, want ErrOptedOut", err)
		}
		if out, _ := db.IsOptedOut(ctx, seg.ID, lea.ID); !out {
			t.Fatal("the refused join cleared the opt-out")
		}
		if _, err := db.Join(ctx, other.ID, lea.ID, segmentbot.SourceAPI, 0); err != nil {
			t.Fatalf("a per-segment opt-out must not block other segments: %v", err)
		}
		if out, _ := db.IsUnsubscribed(ctx, lea.ID); out {
			t.Fatal("unsubscribe <segment> must not opt out of everything")
		}
	})
}

// NotOptedOut is the condition a query that picks users by rule (attrs'
// rule segments) adds: run it on a raw connection to the store's database.
func TestNotOptedOutLeavesOutWhoTypedUnsubscribe(t *testing.T) {
	ctx := context.Background()
	storetest.EachDSN(t, func(t *testing.T, dsn string) {
		db, err := store.Open(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		in, out := member(t, db, "29:in", "in@x.com"), member(t, db, "29:out", "out@x.com")
		if _, err := db.OptOutAll(ctx, out.ID, segmentbot.SourceKeyword); err != nil {
			t.Fatal(err)
		}
		driver, raw := "postgres", dsn
		if db.Dialect() == "sqlite" {
			driver, raw = "sqlite", strings.TrimPrefix(dsn, "sqlite:")
		}
		conn, err := sql.Open(driver, raw)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		rows, err := conn.QueryContext(ctx, "SELECT u.id FROM users u WHERE "+store.NotOptedOut("u.id")+" ORDER BY u.id")
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var ids []int64
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, id)
		}
		if len(ids) != 1 || ids[0] != in.ID {
			t.Fatalf("users not opted out: %v, want only %d", ids, in.ID)
		}
	})
}
