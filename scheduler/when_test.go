package scheduler_test

import (
	"testing"
	"time"

	"github.com/segmentbot/segmentbot"
	"github.com/segmentbot/segmentbot/scheduler"
)

func mustLoad(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatalf("load time zone %s: %v", name, err)
	}
	return loc
}

func TestParseWhen(t *testing.T) {
	berlin := mustLoad(t, "Europe/Berlin")
	newYork := mustLoad(t, "America/New_York")
	// Saturday 2026-03-28 10:15 in Berlin (CET, UTC+1): the clocks go
	// forward the next night.
	beforeSpring := time.Date(2026, 3, 28, 9, 15, 0, 0, time.UTC)
	// Saturday 2026-10-24 10:15 in Berlin (CEST, UTC+2): the clocks go
	// back the next night.
	beforeAutumn := time.Date(2026, 10, 24, 8, 15, 0, 0, time.UTC)

	tests := []struct {
		name string
		in   string
		now  time.Time
		loc  *time.Location
		want time.Time
	}{
		{"RFC 3339 with offset keeps its instant", "2026-12-01T09:00:00+01:00", beforeSpring, newYork, time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)},
		{"RFC 3339 in UTC, lower case", "2026-12-01t09:00:00z", beforeSpring, berlin, time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)},
		{"local date and time is read in the recipient's zone", "2026-12-01 09:00", beforeSpring, berlin, time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)},
		{"local date and time in summer time", "2026-07-01 09:00", beforeSpring, berlin, time.Date(2026, 7, 1, 7, 0, 0, 0, time.UTC)},
		{"local date and time with one-digit hour", "2026-12-01 9:05", beforeSpring, nil, time.Date(2026, 12, 1, 9, 5, 0, 0, time.UTC)},
		{"no zone means UTC", "2026-12-01 09:00", beforeSpring, nil, time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)},
		{"tomorrow across the spring change is summer time", "tomorrow 9:00", beforeSpring, berlin, time.Date(2026, 3, 29, 7, 0, 0, 0, time.UTC)},
		{"tomorrow 9am across the spring change", "Tomorrow 9am", beforeSpring, berlin, time.Date(2026, 3, 29, 7, 0, 0, 0, time.UTC)},
		{"tomorrow across the autumn change is winter time", "tomorrow 9:00", beforeAutumn, berlin, time.Date(2026, 10, 25, 8, 0, 0, 0, time.UTC)},
		{"tomorrow with pm and a space", "tomorrow 9:30 pm", beforeAutumn, berlin, time.Date(2026, 10, 25, 20, 30, 0, 0, time.UTC)},
		{"12am is midnight", "tomorrow 12am", beforeSpring, nil, time.Date(2026, 3, 29, 0, 0, 0, 0, time.UTC)},
		{"12pm is noon", "today 12pm", beforeSpring, nil, time.Date(2026, 3, 28, 12, 0, 0, 0, time.UTC)},
		{"today 17:30 in the recipient's zone", "today 17:30", beforeSpring, berlin, time.Date(2026, 3, 28, 16, 30, 0, 0, time.UTC)},
		{"today is the recipient's today, not UTC's", "today 17:30", time.Date(2026, 3, 28, 3, 0, 0, 0, time.UTC), newYork, time.Date(2026, 3, 27, 21, 30, 0, 0, time.UTC)},
		{"today at 5pm", "today at 5pm", beforeSpring, nil, time.Date(2026, 3, 28, 17, 0, 0, 0, time.UTC)},
		{"in 3 hours is elapsed time across the spring change", "in 3 hours", time.Date(2026, 3, 29, 0, 30, 0, 0, time.UTC), berlin, time.Date(2026, 3, 29, 3, 30, 0, 0, time.UTC)},
		{"in 90 minutes", "in 90 minutes", beforeSpring, berlin, beforeSpring.Add(90 * time.Minute)},
		{"in 1 hour, singular", "in 1 hour", beforeSpring, nil, beforeSpring.Add(time.Hour)},
		{"in 2 days keeps the wall-clock time across the spring change", "in 2 days", beforeSpring, berlin, time.Date(2026, 3, 30, 8, 15, 0, 0, time.UTC)},
		{"in 1 day keeps the wall-clock time across the autumn change", "in 1 day", beforeAutumn, berlin, time.Date(2026, 10, 25, 9, 15, 0, 0, time.UTC)},
		{"in 1 week", "in 1 week", beforeSpring, nil, beforeSpring.AddDate(0, 0, 7)},
		{"extra spaces are ignored", "  in   3   hours ", beforeSpring, nil, beforeSpring.Add(3 * time.Hour)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := scheduler.ParseWhen(tt.in, tt.now, tt.loc)
			if err != nil {
				t.Fatalf("ParseWhen(%q) error: %v", tt.in, err)
			}
			if !got.Equal(tt.want) {
				t.Errorf("ParseWhen(%q) = %s, want %s", tt.in, got.UTC(), tt.want.UTC())
			}
		})
	}
}

func TestParseWhenLocalFormsKeepTheZone(t *testing.T) {
	berlin := mustLoad(t, "Europe/Berlin")
	got, err := scheduler.ParseWhen("2026-12-01 09:00", time.Now(), berlin)
	if err != nil {
		t.Fatal(err)
	}
	if name, _ := got.Zone(); name != "CET" || got.Hour() != 9 {
		t.Errorf("got %s, want 09:00 CET", got)
	}
}

func TestParseWhenRejects(t *testing.T) {
	now := time.Date(2026, 3, 28, 9, 15, 0, 0, time.UTC)
	for _, in := range []string{
		"",
		"soon",
		"next friday",
		"tomorrow",
		"tomorrow 9",     // no minutes, no am/pm: ambiguous
		"tomorrow 25:00", // no such hour
		"today 13pm",
		"today 0am",
		"today 9:60",
		"2026-02-30 09:00", // no such day
		"2026-13-01 09:00",
		"2026-12-01 24:00",
		"2026-12-01",
		"in 0 minutes",
		"in three hours",
		"in 3 fortnights",
		"2026-12-01T09:00:00", // RFC 3339 needs an offset
	} {
		t.Run(in, func(t *testing.T) {
			got, err := scheduler.ParseWhen(in, now, time.UTC)
			if err == nil {
				t.Fatalf("ParseWhen(%q) = %s, want an error", in, got)
			}
			if code := segmentbot.ErrorCode(err); code != segmentbot.EINVALID {
				t.Errorf("code = %q, want %q (%v)", code, segmentbot.EINVALID, err)
			}
			if segmentbot.ErrorMessage(err) == "Internal error." {
				t.Errorf("message is not for the admin: %v", err)
			}
		})
	}
}
