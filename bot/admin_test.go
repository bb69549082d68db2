package bot_test

import (
	"strings"
	"testing"
	"time"

	"github.com/segmentbot/segmentbot"
	"github.com/segmentbot/segmentbot/store"
	"github.com/segmentbot/segmentbot/store/storetest"
)

func TestAdminManagesSegmentsInChat(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		tests := []struct {
			name, say string
			want      []string
		}{
			{"create", "create segment  New starters ", []string{"Segment created: New starters"}},
			{"create with quotes", `create segment "Sales team"`, []string{"Segment created: Sales team"}},
			{"duplicate name is refused case-insensitively", "create segment NEW STARTERS", []string{"already"}},
			{"empty name is refused", "create segment", []string{"name"}},
			{"too long a name is refused", "create segment " + strings.Repeat("x", 101), []string{"100"}},
			{"list shows size and actions", "Segments", []string{"New starters", "0 members", "no imports yet", "[Download list of users]", "[Opt-in card]"}},
			{"rename", "rename segment new starters to Joiners", []string{"Renamed New starters to Joiners"}},
			{"rename needs the to", "rename segment Joiners", []string{"rename segment _old name_ to _new name_"}},
			{"rename into a taken name", "rename segment Joiners to sales team", []string{"already"}},
			{"unknown segment", "users Nope", []string{"Nope"}},
			{"users gives a signed link", "users joiners", []string{"[Download list of users]"}},
			{"card shows the opt-in card", "card Joiners", []string{"[Opt in]", "[Opt out]", "set reply"}},
			{"set reply", "set reply Joiners: Hello there", []string{"Hello there"}},
			{"help", "help", []string{"create segment _name_", "[Segments]"}},
			{"unknown text from an admin shows help", "what can you do", []string{"What I can do"}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				wantContains(t, w.say(w.admin, tt.say), tt.want...)
			})
		}
		if _, err := db.FindSegmentByName(w.ctx, "joiners"); err != nil {
			t.Fatalf("renamed segment not found: %v", err)
		}
	})
}

func TestDeleteAsksFirstAndKeepsTheLog(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		seg := w.segment("Old")
		gus := w.user("gus", "gus@contoso.com")
		if _, err := db.Join(w.ctx, seg.ID, gus.ID, segmentbot.SourceAPI, 0); err != nil {
			t.Fatal(err)
		}
		br := &segmentbot.Broadcast{SegmentID: seg.ID, Name: "Monthly", ScheduledAt: w.now.Add(48 * time.Hour), CreatedBy: w.admin.ID}
		if err := db.CreateBroadcast(w.ctx, br); err != nil {
			t.Fatal(err)
		}
		ask := w.send(segmentbot.Event{Kind: segmentbot.EventMessage, Sender: *w.admin, Text: "delete segment old"})
		wantContains(t, render(ask), "Delete Old?", "1 member and")
		if _, err := db.FindSegmentByID(w.ctx, seg.ID); err != nil {
			t.Fatal("asking must not delete")
		}
		confirm := button(t, ask, "Delete Old")

		t.Run("a non-admin cannot press the confirmation", func(t *testing.T) {
			wantContains(t, render(w.tap(gus, confirm, false)), "only admins")
			if _, err := db.FindSegmentByID(w.ctx, seg.ID); err != nil {
				t.Fatal("a non-admin deleted the segment")
			}
		})
		wantContains(t, render(w.tap(w.admin, confirm, false)), "Deleted Old", "1 scheduled broadcast cancelled")
		if _, err := db.FindSegmentByID(w.ctx, seg.ID); segmentbot.ErrorCode(err) != segmentbot.ENOTFOUND {
			t.Fatalf("segment still there: %v", err)
		}
		events, _ := db.FindEvents(w.ctx, seg.ID, gus.ID)
		if len(events) < 2 {
			t.Errorf("event log lost: %+v", events)
		}
		if len(w.sent.msgs) != 1 || !strings.Contains(flatten(w.sent.msgs[0]), "Monthly") {
			t.Errorf("the broadcast author must be told: %+v", w.sent.msgs)
		}
		wantContains(t, render(w.tap(w.admin, confirm, false)), "already gone")
	})
}

func TestNonAdminsArePolitelyRefused(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		hal := w.user("hal", "hal@contoso.com")
		for _, text := range []string{"create segment X", "delete segment X", "add to X\na@b.com", "users X", "schedule X at 2026-12-01T09:00:00Z"} {
			wantContains(t, w.say(hal, text), "only admins")
		}
		if segs, _ := db.FindSegments(w.ctx, segmentbot.Page{}); len(segs) != 0 {
			t.Fatalf("a non-admin created %d segments", len(segs))
		}
		resp := w.send(segmentbot.Event{Kind: segmentbot.EventFile, Sender: *hal, File: &segmentbot.File{URL: "https://x.sharepoint.com/f.csv", Name: "f.csv", Type: "csv"}})
		wantContains(t, render(resp), "only admins")
		if imps, _ := db.FindImports(w.ctx, 0, 10); len(imps) != 0 {
			t.Fatal("a non-admin's file was queued")
		}
	})
}

func TestAdminIsRecognisedByObjectIDToo(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		w.bot = newBotWithAdmins(w, []string{"AAD-IVY"})
		ivy := w.user("ivy", "")
		wantContains(t, w.say(ivy, "create segment By id"), "Segment created")
	})
}

func TestAFileStartsAnImportOrAsksForTheSegment(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		seg := w.segment("Sales")
		file := &segmentbot.File{URL: "https://contoso.sharepoint.com/f.csv", Name: "f.csv", Type: "csv"}
		sendFile := func(text string) *segmentbot.Response {
			return w.send(segmentbot.Event{Kind: segmentbot.EventFile, Sender: *w.admin, Text: text, File: file})
		}
		wantContains(t, render(sendFile("import into sales")), "importing f.csv into Sales")
		imps, _ := db.FindImports(w.ctx, seg.ID, 10)
		if len(imps) != 1 || imps[0].FileURL != file.URL || imps[0].UploadedBy != w.admin.ID || imps[0].Status != segmentbot.ImportPending {
			t.Fatalf("queued import: %+v", imps)
		}
		if w.imports.woken != 1 {
			t.Error("the workers were not woken")
		}

		ask := sendFile("")
		wantContains(t, render(ask), "Which segment", "[Sales]")
		wantContains(t, render(w.tap(w.admin, button(t, ask, "Sales"), false)), "importing f.csv into Sales")

		sendFile("")
		wantContains(t, w.say(w.admin, "import into Brand new"), "importing f.csv into Brand new")
		if _, err := db.FindSegmentByName(w.ctx, "brand new"); err != nil {
			t.Fatalf("typed new segment was not created: %v", err)
		}
		wantContains(t, render(w.send(segmentbot.Event{Kind: segmentbot.EventFile, Sender: *w.admin, Text: "Sales",
			File: &segmentbot.File{URL: file.URL, Name: "photo.png", Type: "png"}})), "not a CSV file")
		if imps, _ := db.FindImports(w.ctx, 0, 10); len(imps) != 3 {
			t.Fatalf("want 3 imports, got %d", len(imps))
		}
	})
}

func TestAdminSchedulesListsAndCancelsBroadcasts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		w.segment("Sales")
		wantContains(t, w.say(w.admin, "schedule Sales at 2026-12-01T09:00:00Z as Weekly news"),
			"Broadcast scheduled: Weekly news", "Tue 1 Dec 2026 09:00 UTC")
		if len(w.schedule) != 1 {
			t.Fatal("the lead-time check did not run when the broadcast was scheduled")
		}
		wantContains(t, w.say(w.admin, "schedule Sales at 2026-11-01T09:00:00Z"), "in the past")
		wantContains(t, w.say(w.admin, "schedule Nope at 2026-12-01T09:00:00Z"), "Nope")
		wantContains(t, w.say(w.admin, "schedule Sales at 2026-12-01T09:00:00Z as Pay\u202Egnp.exe"), "The name contains an invisible or control character (U+202E)")
		if len(w.schedule) != 1 {
			t.Fatal("a refused name made a broadcast")
		}
		wantContains(t, w.say(w.admin, "broadcasts"), "Weekly news", "Sales (0 members)")
		wantContains(t, w.say(w.admin, "cancel broadcast weekly news"), "Cancelled Weekly news")
		wantContains(t, w.say(w.admin, "broadcasts"), "No broadcasts scheduled")
	})
}
