package importer

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/segmentbot/segmentbot"
	"github.com/segmentbot/segmentbot/store"
	"github.com/segmentbot/segmentbot/store/storetest"
)

// slowFile has n addresses nobody knows, so each goes to the live lookup.
func slowFile(n int) string {
	rows := []string{"email"}
	for i := range n {
		rows = append(rows, fmt.Sprintf("stranger%d@contoso.com", i))
	}
	return lines(rows...)
}

func TestProgressIsThrottled(t *testing.T) {
	defer func(n int) { lookupChunk = n }(lookupChunk)
	lookupChunk = 1
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		w.dir.delay = 10 * time.Millisecond // 30 lookups: about 300 ms
		imp := w.upload(t, "/slow.csv", slowFile(30))

		start := time.Now()
		_, err := w.runner.Process(context.Background(), imp)
		must(t, err)
		elapsed := time.Since(start)

		log := w.chat.sent()
		var updates []sent
		for _, s := range log[1 : len(log)-1] {
			if !s.update || s.id != log[0].id {
				t.Fatalf("unexpected message %+v between the card and the report", s)
			}
			updates = append(updates, s)
		}
		if max := int(elapsed/w.runner.ProgressEvery) + 1; len(updates) > max {
			t.Errorf("%d progress updates in %v; want at most %d", len(updates), elapsed, max)
		}
		if len(updates) == 0 {
			t.Errorf("no progress update in %v", elapsed)
		}
		for i := 1; i < len(updates); i++ {
			if gap := updates[i].at.Sub(updates[i-1].at); gap < w.runner.ProgressEvery {
				t.Errorf("updates %d and %d came %v apart; want at least %v", i-1, i, gap, w.runner.ProgressEvery)
			}
		}
		saved, err := db.FindImportByID(context.Background(), imp.ID)
		must(t, err)
		if saved.ProgressMsg != log[0].id {
			t.Errorf("progress card id saved as %q; want %q", saved.ProgressMsg, log[0].id)
		}
	})
}

func TestChannelsThatCannotEditGetMilestones(t *testing.T) {
	defer func(n int) { lookupChunk = n }(lookupChunk)
	lookupChunk = 1
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		w.chat.cannotEdit = true
		w.dir.delay = 10 * time.Millisecond
		imp := w.upload(t, "/milestones.csv", slowFile(30))

		done, err := w.runner.Process(context.Background(), imp)
		must(t, err)

		var titles []string
		for _, s := range w.chat.sent() {
			if s.update {
				t.Errorf("message %s was updated on a channel that cannot edit", s.id)
			}
			titles = append(titles, s.msg.Title)
		}
		want := []string{"Importing into Sales", "Importing into Sales", "Import into Sales: nothing was added — is this the right file?"}
		if strings.Join(titles, "|") != strings.Join(want, "|") {
			t.Errorf("messages = %q; want start, halfway and the report %q", titles, want)
		}
		if log := w.chat.sent(); len(log) == 3 {
			var pct int
			if _, err := fmt.Sscanf(factValue(log[1].msg, "Progress"), "%d %%", &pct); err != nil || pct < 50 {
				t.Errorf("milestone says %d %% (%v); want at least 50 %%", pct, err)
			}
			if got := log[2].msg; got.Title != ReportMessage(done, w.seg, testLinks{}).Title {
				t.Errorf("report = %+v", got)
			}
		}
	})
}

func factValue(msg segmentbot.Message, name string) string {
	for _, f := range msg.Facts {
		if f.Name == name {
			return f.Value
		}
	}
	return ""
}

func TestAPIImportsAreNotShownInChat(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		imp := &segmentbot.Import{SegmentID: w.seg.ID, Channel: segmentbot.ChannelTeams, FileURL: w.files.put("/api.csv", mixedFile)}
		must(t, db.CreateImport(context.Background(), imp))
		_, err := w.runner.Process(context.Background(), imp)
		must(t, err)
		if log := w.chat.sent(); len(log) != 0 {
			t.Errorf("chat = %+v; want nothing for an API import", log)
		}
	})
}

func TestLookupFailuresAreRetriedThenReported(t *testing.T) {
	defer func(d time.Duration) { lookupBackoff = d }(lookupBackoff)
	lookupBackoff = time.Millisecond
	tests := []struct {
		name   string
		fail   int
		reason string
	}{
		{"a failure that passes is retried", lookupAttempts - 1, segmentbot.ReasonNotFound},
		{"a failure that outlives the retries is a lookup error", lookupAttempts, segmentbot.ReasonLookupError},
	}
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				w.dir.calls, w.dir.fail = 0, tt.fail
				imp := w.upload(t, "/"+strings.ReplaceAll(tt.name, " ", "-"), lines("ghost@contoso.com"))
				done, err := w.runner.Process(context.Background(), imp)
				must(t, err)
				if done.FailedByReason[tt.reason] != 1 {
					t.Errorf("failed by reason = %v; want one %s", done.FailedByReason, tt.reason)
				}
			})
		}
	})
}

func TestChannelWithoutDirectoryFindsNobodyLive(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		w.runner.Directories = nil
		imp := w.upload(t, "/nodir.csv", lines("known@contoso.com", "new@contoso.com"))
		done, err := w.runner.Process(context.Background(), imp)
		must(t, err)
		want := []string{"1 known@contoso.com added", "2 new@contoso.com failed not_found"}
		if got := reportRows(t, db, done.ID); strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("rows = %q; want %q", got, want)
		}
	})
}
