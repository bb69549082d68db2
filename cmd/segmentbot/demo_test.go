package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestDemoTellsTheWholeStory(t *testing.T) {
	dir := t.TempDir()
	var out bytes.Buffer
	start := time.Now()
	res, err := runDemo(context.Background(), dir, &out)
	if err != nil {
		t.Fatalf("demo: %v\n%s", err, out.String())
	}
	if took := time.Since(start); took > 30*time.Second && !raceDetector {
		t.Errorf("the demo took %s, want under 30 s", took)
	}
	transcript := out.String()

	t.Run("the transcript tells every event of the story", func(t *testing.T) {
		for _, tt := range []struct{ event, text string }{
			{"the admin is welcomed", "Hi, I'm segmentbot"},
			{"the segment is created", "Segment created: New starters"},
			{"the upload is acknowledged", "Got it: importing new-starters.csv into New starters"},
			{"the progress card is posted", "** Importing into New starters **"},
			{"the progress card is updated in place", "Segment Bot → Ada Admin (card updated):"},
			{"the report says how it ended", "** Import into New starters: completed with errors **"},
			{"the report counts the rows", "Total rows: 2,500"},
			{"the report counts the added", "Added: 2,400"},
			{"the report counts the early opt-in", "Already members: 1"},
			{"the report counts the opt-out", "Skipped (opted out): 1"},
			{"the report counts duplicates", "Duplicates: 25"},
			{"the report counts failures", "Failed: 73"},
			{"typos are the commonest failure", "typo in the address: 30"},
			{"unknown users are explained", "not a user of the organisation: 20"},
			{"outsiders are explained", "the user isn't in the groups attached to the bot: 15"},
			{"the REST API gives every reason", "not_in_bot_groups 15"},
			{"disabled accounts are counted", "left_tenant 5"},
			{"Graph's 403 is counted", "permission_denied 3"},
			{"the broadcast is scheduled", "Broadcast scheduled: Monday news"},
			{"counts read with thousands separators", "Segment: New starters (2,401 members)"},
			{"the admin is warned in chat", "Large upload close to a broadcast"},
			{"the warning names the rule", "finished 3 hours before the broadcast"},
			{"the opt-in is confirmed", "Segment Bot → Ben Brown: You're in: New starters"},
			{"an end user's hello gets their help card", "What you can do here"},
			{"unsubscribe is confirmed", "You're unsubscribed"},
			{"unsubscribe keeps admins out until the user acts", "No admin can add you to any segment until you opt in yourself"},
			{"an admin reads a person's history", "joined New starters, by their own tap"},
			{"resubscribe is confirmed", "Welcome back! You're subscribed again to: New starters."},
			{"the report is downloaded", "report.csv: 2,500 rows"},
			{"the member list is downloaded", "members.csv: 2,402 rows"},
			{"a file for a new segment offers to create it", "[Create it and import]"},
			{"HR numbers are found as employee ids", "** Import into Managers: completed with errors **\n    File: managers-hr-numbers.csv\n    Total rows: 4\n    Added: 3"},
			{"the broadcast is previewed as members will get it", "You get this because you joined New starters."},
			{"the preview says whom it reaches", "Audience: 2,402 people (members who have not opted out)"},
			{"the preview offers to send it", "[Send now] [Cancel]"},
			{"the confirmation says it is on its way", "On its way: Welcome week"},
			{"the progress card is posted", "** Sending Welcome week **"},
			{"Ben gets the broadcast with its Opt out", "Segment Bot → Ben Brown:\n    ** Welcome to Contoso **"},
			{"the progress card is updated in place", "Segment Bot → Ada Admin (card updated):\n    ** Sending Welcome week **"},
			{"the report replaces the progress card", "Segment Bot → Ada Admin (card updated):\n    ** Welcome week: sent with errors **"},
			{"the report says why in words", "• they blocked the bot: 1"},
			{"the report counts the sent", "Sent: 2,401"},
			{"the REST API gives the counts", "sent_with_errors; audience 2402, sent 2401, failed 1"},
			{"the deliveries are downloaded", "deliveries.csv: 2,402 rows"},
			{"Ben's Opt out under the broadcast works", "Segment Bot → Ben Brown:\n    You're out: New starters. Tap Opt in to come back.\n    [Opt in]"},
			{"broadcasts marks the placeholder", "#1 Monday news: placeholder (no message: nothing is sent; made with schedule)"},
			{"broadcasts counts the sent one", "Welcome week: sent with errors: 2,401 sent, 1 failed, 0 pending"},
			{"the directory sync brought the attributes", "department: 2,402 users: Engineering (482), Finance (480)"},
			{"audience states the filter", "Filter: department is Sales, and country is UK"},
			{"audience names a few", "Reaches: 160 people (members who have not opted out and match the filter)"},
			{"a name no user has is said, with the closest", "No user has _departmnt_ yet, so this condition matches nobody. Did you mean _department_?"},
			{"a rule segment says its rule and size", "Its rule: country is UK, and department is Sales. It has 160 members now"},
			{"the filtered preview states the filter", "Filter: department is Engineering, and country is UK\n    Audience: 161 people"},
			{"Priya, in Engineering in the UK, gets the filtered broadcast", "Segment Bot → Priya Patel:\n    Your laptop is ready"},
			{"the filtered broadcast reports", "** Laptop pickup: sent **"},
		} {
			t.Run(tt.event, func(t *testing.T) {
				if !strings.Contains(transcript, tt.text) {
					t.Errorf("the transcript lacks %q:\n%s", tt.text, transcript)
				}
			})
		}
	})

	t.Run("logs stay out of the transcript", func(t *testing.T) {
		for _, noise := range []string{"level=", `"level"`, "time="} {
			if strings.Contains(transcript, noise) {
				t.Errorf("the transcript contains log output %q", noise)
			}
		}
		if info, err := os.Stat(filepath.Join(dir, "segmentbot.log")); err != nil || info.Size() == 0 {
			t.Errorf("the log file is missing or empty: %v", err)
		}
	})

	t.Run("the files are in the folder with their rows", func(t *testing.T) {
		if res.Dir != dir {
			t.Fatalf("files went to %s, want %s", res.Dir, dir)
		}
		for _, tt := range []struct {
			file   string
			header []string
			rows   int
		}{
			{"new-starters.csv", []string{"Email"}, demoRows},
			{"report.csv", []string{"row", "value", "outcome", "reason"}, demoRows},
			// The added, Priya who opted in before the upload, and Ben.
			{"members.csv", []string{"name", "email"}, demoRosterUsers - 2 + 1 + 1},
			// Every member when the broadcast went out, one row each.
			{"deliveries.csv", []string{"user_id", "name", "email", "status", "reason", "sent_at"}, demoRosterUsers - 2 + 1 + 1},
		} {
			t.Run(tt.file, func(t *testing.T) {
				records := readCSV(t, filepath.Join(dir, tt.file))
				if strings.Join(records[0], ",") != strings.Join(tt.header, ",") {
					t.Errorf("header %v, want %v", records[0], tt.header)
				}
				if got := len(records) - 1; got != tt.rows {
					t.Errorf("%d data rows, want %d", got, tt.rows)
				}
			})
		}
	})

	t.Run("the broadcast reached every member once, the blocked one failed", func(t *testing.T) {
		got := map[string]int{}
		for _, r := range readCSV(t, filepath.Join(dir, "deliveries.csv"))[1:] {
			got[r[3]+" "+r[4]]++
		}
		if want := map[string]int{"sent ": demoRosterUsers - 1, "failed blocked": 1}; fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("deliveries %v, want %v", got, want)
		}
		// The story's cast got theirs in the transcript; everyone else is counted.
		if res.OtherCopies != demoRosterUsers-1-2 {
			t.Errorf("%d copies to the other members, want %d", res.OtherCopies, demoRosterUsers-1-2)
		}
	})

	t.Run("the filtered broadcast reached only the matching members", func(t *testing.T) {
		chapter := transcript[strings.Index(transcript, "== 9."):]
		if want := fmt.Sprintf("Recipients: %d\n", res.FilteredCopies+1); res.FilteredCopies == 0 || !strings.Contains(chapter, want) {
			t.Errorf("%d copies outside the cast, and the report lacks %q", res.FilteredCopies, want)
		}
		for _, other := range []string{"Ben Brown", "Oscar Olsen"} {
			if strings.Contains(chapter, "Segment Bot → "+other) {
				t.Errorf("%s, outside the filter, got the filtered broadcast", other)
			}
		}
	})

	t.Run("the report's outcomes add up to the file", func(t *testing.T) {
		got := map[string]int{}
		for _, r := range readCSV(t, filepath.Join(dir, "report.csv"))[1:] {
			got[r[2]+" "+r[3]]++
		}
		want := map[string]int{
			"added ": demoRosterUsers - 2, "already_member ": 1, "skipped_opted_out ": 1, "duplicate ": demoDuplicates,
			"failed invalid": demoTypos, "failed not_found": demoUnknown, "failed not_in_bot_groups": demoOutsiders,
			"failed left_tenant": demoDisabled, "failed permission_denied": demoForbidden,
		}
		for k, n := range want {
			if got[k] != n {
				t.Errorf("%q rows: %d, want %d (all: %v)", k, got[k], n, got)
			}
		}
	})
}

// raceDetector is true under -race (race_on_test.go).
var raceDetector = false

func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	records, err := r.ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if len(records) == 0 {
		t.Fatalf("%s is empty", path)
	}
	return records
}
