package bot_test

import (
	"testing"

	"github.com/segmentbot/segmentbot"
	"github.com/segmentbot/segmentbot/store"
	"github.com/segmentbot/segmentbot/store/storetest"
)

func TestWantsOnlyWhatSegmentbotHandles(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		w.segment("New starters")
		anna := w.user("anna", "anna@contoso.com")
		// A sender as a host bot first sees it: not stored, no id.
		newcomer := segmentbot.User{Channel: segmentbot.ChannelTeams, ExternalID: "29:newcomer", Name: "Newcomer"}
		adminByEmail := segmentbot.User{Channel: segmentbot.ChannelTeams, ExternalID: "29:other-admin", Email: "ADMIN@contoso.com"}
		adminByRecord := segmentbot.User{Channel: segmentbot.ChannelTeams, ExternalID: w.admin.ExternalID}

		action := func(verb string) segmentbot.Event {
			return segmentbot.Event{Kind: segmentbot.EventAction, Sender: *anna, Action: &segmentbot.Action{Verb: verb, SegmentID: 1}}
		}
		file := func(name, typ string) segmentbot.Event {
			return segmentbot.Event{Kind: segmentbot.EventFile, Sender: *w.admin, File: &segmentbot.File{URL: "https://x.example/f", Name: name, Type: typ}}
		}
		says := func(u segmentbot.User, text string) segmentbot.Event {
			return segmentbot.Event{Kind: segmentbot.EventMessage, Sender: u, Text: text, Personal: true}
		}
		tests := []struct {
			name string
			ev   segmentbot.Event
			want bool
		}{
			{"an opt-in button", action(segmentbot.VerbOptIn), true},
			{"an opt-out button", action(segmentbot.VerbOptOut), true},
			{"the resubscribe button", action(segmentbot.VerbResubscribe), true},
			{"the delete confirmation", action(segmentbot.VerbConfirmDelete), true},
			{"the segment picker of a file", action(segmentbot.VerbPickSegment), true},
			{"the host's own card button", action("order_lunch"), false},
			{"an action without data", segmentbot.Event{Kind: segmentbot.EventAction, Sender: *anna}, false},
			{"a CSV file", file("staff.csv", "csv"), true},
			{"a text file", file("staff.txt", "txt"), true},
			{"a CSV file whose type is unknown", file("staff.csv", ""), true},
			{"a picture", file("cat.png", "png"), false},
			{"a spreadsheet", file("staff.xlsx", "xlsx"), false},
			{"the unsubscribe keyword", says(*anna, "unsubscribe"), true},
			{"a keyword in another case with punctuation", says(*anna, " STOP! "), true},
			{"a keyword before a segment's name", says(*anna, "stop New starters"), true},
			{"a keyword in a sentence about something else", says(*anna, "stop the printer"), false},
			{"my segments from anyone", says(newcomer, "my segments"), true},
			{"segments from anyone", says(*anna, "segments"), true},
			{"small talk", says(*anna, "hello"), false},
			{"help stays with the host", says(*w.admin, "help"), false},
			{"an admin command from an admin", says(*w.admin, "create segment Sales"), true},
			{"an admin command from a user", says(*anna, "create segment Sales"), false},
			{"a command word from a user", says(*anna, "schedule a meeting with Bob"), false},
			{"an admin command from an unknown user", says(newcomer, "create segment Sales"), false},
			{"an admin not yet stored, by listed email", says(adminByEmail, "schedule Sales at in 3 hours"), true},
			{"an admin not yet stored, by the directory's record", says(adminByRecord, "segments"), true},
			{"an admin's command found through the record", says(adminByRecord, "card New starters"), true},
			{"admin small talk", says(*w.admin, "good morning"), false},
			{"an install greeting", segmentbot.Event{Kind: segmentbot.EventInstalled, Sender: *anna}, false},
			{"a team install", segmentbot.Event{Kind: segmentbot.EventTeam, Sender: *anna}, false},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if got := w.bot.Wants(tt.ev); got != tt.want {
					t.Fatalf("Wants(%s %q) = %v, want %v", tt.ev.Kind, tt.ev.Text, got, tt.want)
				}
			})
		}
	})
}
