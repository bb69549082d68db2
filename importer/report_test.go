package importer

import (
	"fmt"
	"reflect"
	"testing"

	"github.com/segmentbot/segmentbot"
)

// testLinks builds recognisable download links.
type testLinks struct{}

func (testLinks) ReportURL(id int64) string {
	return fmt.Sprintf("https://bot.test/imports/%d/report.csv?sig=x", id)
}
func (testLinks) MembersURL(id int64) string {
	return fmt.Sprintf("https://bot.test/segments/%d/members.csv?sig=x", id)
}

func TestReportMessage(t *testing.T) {
	seg := &segmentbot.Segment{ID: 7, Name: "Sales EMEA"}
	tests := []struct {
		name string
		imp  segmentbot.Import
		seg  *segmentbot.Segment
		want segmentbot.Message
	}{
		{
			name: "completed with errors lists counts and the top reasons",
			imp: segmentbot.Import{
				ID: 3, Status: segmentbot.ImportCompletedWithErrors, FileName: "emea.csv",
				Total: 12034, Added: 11000, AlreadyMember: 500, SkippedOptOut: 20, Duplicates: 14, Failed: 500,
				FailedByReason: map[string]int64{
					segmentbot.ReasonInvalid: 100, segmentbot.ReasonNotFound: 300, segmentbot.ReasonLeftTenant: 50,
					segmentbot.ReasonNotInBotGroups: 50,
				},
			},
			seg: seg,
			want: segmentbot.Message{
				Title: "Import into Sales EMEA: completed with errors",
				Text:  "File: emea.csv",
				Facts: facts("Total rows", "12,034", "Added", "11,000", "Already members", "500", "Skipped (opted out)", "20", "Duplicates", "14", "Failed", "500",
					"• not a user of the organisation", "300", "• typo in the address", "100",
					"• the user isn't in the groups attached to the bot", "50", "• and 1 more reason", "see the report"),
				Buttons: []segmentbot.Button{
					{Title: "Download report", URL: "https://bot.test/imports/3/report.csv?sig=x"},
					{Title: "Download list of users", URL: "https://bot.test/segments/7/members.csv?sig=x"},
				},
			},
		},
		{
			name: "a file with attribute columns says for how many people they changed",
			imp: segmentbot.Import{ID: 8, Status: segmentbot.ImportCompleted, FileName: "hr.csv",
				Total: 2000, Added: 766, AlreadyMember: 1234, AttributesUpdated: 1234},
			seg: seg,
			want: segmentbot.Message{
				Title: "Import into Sales EMEA: completed",
				Text:  "File: hr.csv\nAttributes updated for 1,234 people.",
				Facts: facts("Total rows", "2,000", "Added", "766", "Already members", "1,234", "Skipped (opted out)", "0", "Duplicates", "0", "Failed", "0"),
				Buttons: []segmentbot.Button{
					{Title: "Download report", URL: "https://bot.test/imports/8/report.csv?sig=x"},
					{Title: "Download list of users", URL: "https://bot.test/segments/7/members.csv?sig=x"},
				},
			},
		},
		{
			name: "one person is one person",
			imp:  segmentbot.Import{ID: 9, Status: segmentbot.ImportCompleted, Total: 1, AlreadyMember: 1, AttributesUpdated: 1},
			want: segmentbot.Message{
				Title:   "Import into the segment: completed",
				Text:    "Attributes updated for 1 person.",
				Facts:   facts("Total rows", "1", "Added", "0", "Already members", "1", "Skipped (opted out)", "0", "Duplicates", "0", "Failed", "0"),
				Buttons: []segmentbot.Button{{Title: "Download report", URL: "https://bot.test/imports/9/report.csv?sig=x"}},
			},
		},
		{
			name: "a file that added nobody asks whether it is the right one",
			imp: segmentbot.Import{ID: 6, Status: segmentbot.ImportCompletedWithErrors, FileName: "names.csv", Total: 3, Failed: 3,
				FailedByReason: map[string]int64{segmentbot.ReasonInvalid: 3}},
			seg: seg,
			want: segmentbot.Message{
				Title: "Import into Sales EMEA: nothing was added — is this the right file?",
				Text:  "File: names.csv",
				Facts: facts("Total rows", "3", "Added", "0", "Already members", "0", "Skipped (opted out)", "0", "Duplicates", "0", "Failed", "3",
					"• typo in the address", "3"),
				Buttons: []segmentbot.Button{
					{Title: "Download report", URL: "https://bot.test/imports/6/report.csv?sig=x"},
					{Title: "Download list of users", URL: "https://bot.test/segments/7/members.csv?sig=x"},
				},
			},
		},
		{
			name: "completed shows no reasons",
			imp:  segmentbot.Import{ID: 4, Status: segmentbot.ImportCompleted, Total: 2, Added: 2},
			seg:  seg,
			want: segmentbot.Message{
				Title: "Import into Sales EMEA: completed",
				Facts: facts("Total rows", "2", "Added", "2", "Already members", "0", "Skipped (opted out)", "0", "Duplicates", "0", "Failed", "0"),
				Buttons: []segmentbot.Button{
					{Title: "Download report", URL: "https://bot.test/imports/4/report.csv?sig=x"},
					{Title: "Download list of users", URL: "https://bot.test/segments/7/members.csv?sig=x"},
				},
			},
		},
		{
			name: "failed says why and offers no report of rows it never read",
			imp:  segmentbot.Import{ID: 5, Status: segmentbot.ImportFailed, FileName: "list.xlsx", Error: "not a CSV file: this looks like an Excel file; save it as CSV"},
			seg:  seg,
			want: segmentbot.Message{
				Title: "Import into Sales EMEA: failed",
				Text:  "File: list.xlsx\nThe import failed: not a CSV file: this looks like an Excel file; save it as CSV",
				Buttons: []segmentbot.Button{
					{Title: "Download list of users", URL: "https://bot.test/segments/7/members.csv?sig=x"},
				},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ReportMessage(&tt.imp, tt.seg, testLinks{})
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ReportMessage =\n%#v\nwant\n%#v", got, tt.want)
			}
		})
	}
	t.Run("without links there are no buttons", func(t *testing.T) {
		got := ReportMessage(&segmentbot.Import{Status: segmentbot.ImportCompleted, Total: 1, Added: 1}, nil, nil)
		if len(got.Buttons) != 0 || got.Title != "Import into the segment: completed" {
			t.Errorf("got %#v", got)
		}
	})
}

func TestProgressMessage(t *testing.T) {
	imp := &segmentbot.Import{FileName: "a.csv"}
	seg := &segmentbot.Segment{Name: "Ops"}
	tests := []struct {
		name  string
		state progressState
		text  string
		facts []segmentbot.Fact
	}{
		{"reading counts rows", progressState{segmentbot.PhaseQueued, 1500, 0}, "Reading the file…",
			facts("File", "a.csv", "Rows read", "1,500", "Progress", "0 %")},
		{"matching", progressState{segmentbot.PhaseStaged, 0, 2000}, "Matching the rows with known users…",
			facts("File", "a.csv", "Rows", "2,000", "Progress", "40 %")},
		{"looking up counts misses", progressState{segmentbot.PhaseResolved, 500, 1000}, "Looking up users the bot has not met yet…",
			facts("File", "a.csv", "Looked up", "500 / 1,000", "Progress", "65 %")},
		{"applying", progressState{segmentbot.PhaseLookedUp, 2000, 2000}, "Adding the users to the segment…",
			facts("File", "a.csv", "Rows", "2,000", "Progress", "90 %")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := progressMessage(imp, seg, tt.state)
			if got.Title != "Importing into Ops" || got.Text != tt.text || !reflect.DeepEqual(got.Facts, tt.facts) {
				t.Errorf("progressMessage = %#v", got)
			}
		})
	}
}

// facts builds card facts from name, value pairs.
func facts(pairs ...string) []segmentbot.Fact {
	var fs []segmentbot.Fact
	for i := 0; i+1 < len(pairs); i += 2 {
		fs = append(fs, segmentbot.Fact{Name: pairs[i], Value: pairs[i+1]})
	}
	return fs
}
