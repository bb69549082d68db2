package scheduler_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/segmentbot/segmentbot"
	"github.com/segmentbot/segmentbot/scheduler"
	"github.com/segmentbot/segmentbot/store"
	"github.com/segmentbot/segmentbot/store/storetest"
)

func TestParseSpec(t *testing.T) {
	tests := []struct {
		spec string
		ok   bool
	}{
		{"@every 5m", true},
		{"@daily", true},
		{"@hourly", true},
		{"*/10 * * * *", true},
		{"0 3 * * MON-FRI", true},
		{"", false},
		{"every 5 minutes", false},
		{"@every five", false},
		{"* * * *", false},
		{"61 * * * *", false},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			err := scheduler.ParseSpec(tt.spec)
			if (err == nil) != tt.ok {
				t.Errorf("ParseSpec(%q) = %v, want ok %v", tt.spec, err, tt.ok)
			}
			if err != nil && !strings.Contains(err.Error(), tt.spec) {
				t.Errorf("error %q does not name the spec", err)
			}
		})
	}
}

func TestNewRejectsBadConfiguration(t *testing.T) {
	db := storetest.Open(t, "sqlite")
	tests := []struct {
		name string
		cfg  scheduler.Config
	}{
		{"bad warning spec", scheduler.Config{WarnSpec: "every 5 minutes"}},
		{"bad roster spec", scheduler.Config{RosterSpec: "@sometimes"}},
		{"bad directory spec", scheduler.Config{DirectorySpec: "nightly"}},
		{"negative directory batch", scheduler.Config{DirectoryBatch: -1}},
		{"negative lead time", scheduler.Config{LeadTime: -time.Hour}},
		{"negative large upload", scheduler.Config{LargeUpload: -1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := scheduler.New(tt.cfg, db, nil, links{}); err == nil {
				t.Error("New accepted a bad configuration")
			}
		})
	}
}

func TestRetentionDeletesOldImports(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		old := w.upload(3, start.Add(-31*24*time.Hour))
		recent := w.upload(3, start.Add(-29*24*time.Hour))
		running := w.upload(3, time.Time{})
		s := w.scheduler("replica-1", func(c *scheduler.Config) { c.Retention = 30 * 24 * time.Hour })
		if err := s.DeleteOldImports(w.ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := db.FindImportByID(w.ctx, old.ID); segmentbot.ErrorCode(err) != segmentbot.ENOTFOUND {
			t.Errorf("import finished 31 days ago: %v, want deleted", err)
		}
		for _, imp := range []*segmentbot.Import{recent, running} {
			if _, err := db.FindImportByID(w.ctx, imp.ID); err != nil {
				t.Errorf("import %d (%s) should be kept: %v", imp.ID, imp.Status, err)
			}
		}
	})
}

// Processed activity ids are remembered against redelivery for a week,
// then forgotten, so the table every activity writes to stays small.
func TestRetentionForgetsOldActivities(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		claim := func(id string, at time.Time) {
			t.Helper()
			w.clock.Set(at)
			if ok, err := db.BeginActivity(w.ctx, segmentbot.ChannelTeams, id, time.Minute); err != nil || !ok {
				t.Fatalf("claim %s: %v, %v", id, ok, err)
			}
			if err := db.FinishActivity(w.ctx, segmentbot.ChannelTeams, id, true); err != nil {
				t.Fatal(err)
			}
		}
		claim("old", start.Add(-8*24*time.Hour))
		claim("recent", start.Add(-6*24*time.Hour))
		w.clock.Set(start)
		if err := w.scheduler("replica-1").DeleteOldActivities(w.ctx); err != nil {
			t.Fatal(err)
		}
		if ok, err := db.BeginActivity(w.ctx, segmentbot.ChannelTeams, "recent", time.Minute); err != nil || ok {
			t.Errorf("an activity processed 6 days ago was claimed again: %v, %v", ok, err)
		}
		if ok, err := db.BeginActivity(w.ctx, segmentbot.ChannelTeams, "old", time.Minute); err != nil || !ok {
			t.Errorf("an activity processed 8 days ago is still remembered: %v, %v", ok, err)
		}
	})
}

// Broadcast previews are deleted a month after they were written,
// whatever became of them; the broadcast a preview turned into stays.
func TestRetentionDeletesOldDrafts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		draft := func(at time.Time) *segmentbot.BroadcastDraft {
			t.Helper()
			w.clock.Set(at)
			d := &segmentbot.BroadcastDraft{SegmentID: w.seg.ID, Name: "News", CreatedBy: 1, Message: segmentbot.BroadcastMessage{Text: "Hello"}}
			if err := db.CreateDraft(w.ctx, d); err != nil {
				t.Fatal(err)
			}
			return d
		}
		old, confirmed := draft(start.Add(-31*24*time.Hour)), draft(start.Add(-31*24*time.Hour))
		b, _, err := db.ConfirmDraft(w.ctx, confirmed.ID, start.Add(-30*24*time.Hour), 1)
		if err != nil {
			t.Fatal(err)
		}
		recent := draft(start.Add(-29 * 24 * time.Hour))
		w.clock.Set(start)
		if err := w.scheduler("replica-1").DeleteOldDrafts(w.ctx); err != nil {
			t.Fatal(err)
		}
		for _, d := range []*segmentbot.BroadcastDraft{old, confirmed} {
			if _, err := db.FindDraftByID(w.ctx, d.ID); segmentbot.ErrorCode(err) != segmentbot.ENOTFOUND {
				t.Errorf("draft %d written 31 days ago: %v, want deleted", d.ID, err)
			}
		}
		if _, err := db.FindDraftByID(w.ctx, recent.ID); err != nil {
			t.Errorf("draft written 29 days ago: %v, want kept", err)
		}
		if got, err := db.FindBroadcastByID(w.ctx, b.ID); err != nil || got.Message == nil || got.Message.Text != "Hello" {
			t.Errorf("the broadcast of a deleted draft: %+v, %v", got, err)
		}
	})
}

func TestStuckImportsAreReported(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		w.clock.Set(start.Add(-2 * time.Hour))
		stuck := w.upload(3, time.Time{})
		w.clock.Set(start.Add(-10 * time.Minute))
		w.upload(3, time.Time{}) // running for ten minutes: fine
		w.clock.Set(start)
		w.upload(3, start.Add(-3*time.Hour)) // finished long ago: fine

		s := w.scheduler("replica-1", func(c *scheduler.Config) { c.StuckAfter = time.Hour })
		got, err := s.ReportStuckImports(w.ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[0].ID != stuck.ID {
			t.Fatalf("stuck imports = %+v, want only import %d", got, stuck.ID)
		}
		if !strings.Contains(w.logs.String(), "import stuck in processing") {
			t.Error("the stuck import was not logged")
		}
	})
}

func TestJobRunsLogTheirOutcomeAndSurvivePanics(t *testing.T) {
	tests := []struct {
		name string
		fn   func(context.Context) error
		want string
	}{
		{"success", func(context.Context) error { return nil }, "job done"},
		{"error", func(context.Context) error { return errors.New("graph said 503") }, "graph said 503"},
		{"panic", func(context.Context) error { panic("nil map") }, "panicked: nil map"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t, storetest.Open(t, "sqlite"))
			s := w.scheduler("replica-1")
			s.RunJob("rosters", tt.fn) // must return, not crash the test binary
			logs := w.logs.String()
			if !strings.Contains(logs, "job=rosters") || !strings.Contains(logs, tt.want) {
				t.Errorf("log %q does not report %q for job rosters", logs, tt.want)
			}
		})
	}
}

func TestAddJobRejectsABadSpec(t *testing.T) {
	w := newWorld(t, storetest.Open(t, "sqlite"))
	s := w.scheduler("replica-1")
	if err := s.AddJob("@fortnightly", "report", func(context.Context) error { return nil }); err == nil {
		t.Error("AddJob accepted @fortnightly")
	}
	if err := s.AddJob("@every 1h", "report", func(context.Context) error { return nil }); err != nil {
		t.Errorf("AddJob(@every 1h): %v", err)
	}
}

func TestStartRunsJobsAndStopWaitsForThem(t *testing.T) {
	w := newWorld(t, storetest.Open(t, "sqlite"))
	ran := make(chan struct{})
	stopped := make(chan struct{})
	s := w.scheduler("replica-1", func(c *scheduler.Config) {
		c.RosterSpec = "@every 1s"
		c.RefreshRosters = func(ctx context.Context) error {
			select {
			case ran <- struct{}{}:
				<-ctx.Done() // a job sees Stop through its context
				close(stopped)
			default:
			}
			return nil
		}
	})
	s.Start()
	select {
	case <-ran:
	case <-time.After(5 * time.Second):
		t.Fatal("the roster job did not run within 5s of its 1s schedule")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case <-stopped:
	default:
		t.Error("Stop returned before the running job saw its context end")
	}
}
