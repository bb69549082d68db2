package scheduler_test

import (
	"strings"
	"testing"
	"time"

	"github.com/segmentbot/segmentbot"
	"github.com/segmentbot/segmentbot/scheduler"
)

func fact(msg segmentbot.Message, name string) string {
	for _, f := range msg.Facts {
		if f.Name == name {
			return f.Value
		}
	}
	return "<missing " + name + ">"
}

func TestWarningMessage(t *testing.T) {
	berlin := mustLoad(t, "Europe/Berlin")
	broadcastAt := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC) // 09:00 CET
	finished := broadcastAt.Add(-5*time.Hour - 30*time.Minute)
	started := broadcastAt.Add(-2 * time.Hour)
	b := &segmentbot.Broadcast{ID: 7, SegmentID: 3, Name: "December newsletter", ScheduledAt: broadcastAt}
	seg := &segmentbot.Segment{ID: 3, Name: "Sales EMEA"}
	done := &segmentbot.Import{ID: 11, SegmentID: 3, Status: segmentbot.ImportCompleted, Total: 12345, FinishedAt: &finished}
	running := &segmentbot.Import{ID: 12, SegmentID: 3, Status: segmentbot.ImportProcessing, Total: 2500, StartedAt: &started}

	tests := []struct {
		name      string
		seg       *segmentbot.Segment
		imp       *segmentbot.Import
		loc       *time.Location
		reportURL string
		facts     map[string]string
		text      []string
		buttons   []segmentbot.Button
	}{
		{
			name: "finished upload in the recipient's zone",
			seg:  seg, imp: done, loc: berlin, reportURL: "https://bot.example.com/r/11?sig=x",
			facts: map[string]string{
				"Segment":         "Sales EMEA",
				"Rows uploaded":   "12,345",
				"Upload finished": "Tue 1 Dec 2026 03:30 CET (Europe/Berlin)",
				"Broadcast":       "December newsletter — Tue 1 Dec 2026 09:00 CET (Europe/Berlin)",
				"Hours between":   "5.5 hours",
			},
			text: []string{"12,345 rows", `"Sales EMEA"`, "finished 5.5 hours before", scheduler.Advice},
			buttons: []segmentbot.Button{
				{Title: "Open import report", URL: "https://bot.example.com/r/11?sig=x"},
				{Title: "List broadcasts", Say: "broadcasts"},
			},
		},
		{
			name: "no time zone means UTC, named once",
			seg:  seg, imp: done, loc: nil, reportURL: "https://bot.example.com/r/11",
			facts: map[string]string{
				"Upload finished": "Tue 1 Dec 2026 02:30 UTC",
				"Broadcast":       "December newsletter — Tue 1 Dec 2026 08:00 UTC",
			},
			text: []string{"on Tue 1 Dec 2026 08:00 UTC."},
		},
		{
			name: "still running says so and when it started",
			seg:  seg, imp: running, loc: berlin, reportURL: "https://bot.example.com/r/12",
			facts: map[string]string{
				"Rows uploaded":   "2,500",
				"Upload finished": "still running",
				"Hours between":   "still running; started 2 hours before",
			},
			text: []string{"is still running", scheduler.Advice},
		},
		{
			name: "without a report link only the broadcasts button is shown",
			seg:  seg, imp: done, loc: berlin,
			buttons: []segmentbot.Button{{Title: "List broadcasts", Say: "broadcasts"}},
		},
		{
			name: "a missing segment is named by id",
			seg:  nil, imp: done, loc: berlin,
			facts: map[string]string{"Segment": "segment #3"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg := scheduler.WarningMessage(b, tt.seg, tt.imp, tt.loc, tt.reportURL)
			if msg.Title == "" {
				t.Error("no title")
			}
			for name, want := range tt.facts {
				if got := fact(msg, name); got != want {
					t.Errorf("fact %q = %q, want %q", name, got, want)
				}
			}
			for _, want := range tt.text {
				if !strings.Contains(msg.Text, want) {
					t.Errorf("text %q does not contain %q", msg.Text, want)
				}
			}
			if tt.buttons != nil {
				if len(msg.Buttons) != len(tt.buttons) {
					t.Fatalf("buttons = %+v, want %+v", msg.Buttons, tt.buttons)
				}
				for i, want := range tt.buttons {
					got := msg.Buttons[i]
					if got.Title != want.Title || got.URL != want.URL || got.Say != want.Say || got.Action != nil {
						t.Errorf("button %d = %+v, want %+v", i, got, want)
					}
				}
			}
		})
	}
}
