package importer

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/segmentbot/segmentbot"
	"github.com/segmentbot/segmentbot/store"
	"github.com/segmentbot/segmentbot/store/storetest"
)

// world is a segment, an admin, a few known users and a runner wired to
// fakes of the chat channel and the live directory.
type world struct {
	db     *store.DB
	runner *Runner
	dir    *fakeDirectory
	chat   *fakeMessenger
	files  *fileHost
	seg    *segmentbot.Segment
	admin  *segmentbot.User
}

func newWorld(t *testing.T, db *store.DB) *world {
	t.Helper()
	ctx := context.Background()
	w := &world{db: db, chat: &fakeMessenger{}, files: newFileHost(t)}
	w.seg = &segmentbot.Segment{Name: "Sales"}
	must(t, db.CreateSegment(ctx, w.seg))
	w.admin = teamsUser("admin", true, true)
	must(t, db.UpsertUser(ctx, w.admin))
	known, member, optedOut := teamsUser("known", true, true), teamsUser("member", true, true), teamsUser("optedout", true, true)
	must(t, db.UpsertUsers(ctx, []*segmentbot.User{known, member, optedOut}))
	_, err := db.Join(ctx, w.seg.ID, member.ID, segmentbot.SourceButton, member.ID)
	must(t, err)
	_, err = db.Join(ctx, w.seg.ID, optedOut.ID, segmentbot.SourceButton, optedOut.ID)
	must(t, err)
	_, err = db.Leave(ctx, w.seg.ID, optedOut.ID, segmentbot.SourceButton, optedOut.ID, true)
	must(t, err)
	w.dir = &fakeDirectory{
		users: map[string]*segmentbot.User{
			"new@contoso.com":      teamsUser("new", true, true),
			"outsider@contoso.com": teamsUser("outsider", true, false),
			"gone@contoso.com":     teamsUser("gone", false, true),
		},
		reasons: map[string]string{"secret@contoso.com": segmentbot.ReasonPermissionDenied},
	}
	w.runner = &Runner{
		Store:         db,
		Directories:   map[string]segmentbot.Directory{segmentbot.ChannelTeams: w.dir},
		Messengers:    map[string]segmentbot.Messenger{segmentbot.ChannelTeams: w.chat},
		Fetcher:       &Fetcher{AllowHosts: []string{"127.0.0.1"}, MaxBytes: 1 << 20, Timeout: 10 * time.Second},
		Links:         testLinks{},
		Workers:       2,
		Lease:         3 * time.Second,
		ProgressEvery: 50 * time.Millisecond,
		Poll:          20 * time.Millisecond,
	}
	return w
}

func teamsUser(name string, active, inBotGroups bool) *segmentbot.User {
	return &segmentbot.User{
		Channel: segmentbot.ChannelTeams, TenantID: "tenant-1", ExternalID: "29:" + name,
		Email: name + "@contoso.com", Name: strings.ToUpper(name[:1]) + name[1:],
		Active: active, InBotGroups: inBotGroups, ConvRef: `{"conversation":{"id":"a:` + name + `"}}`,
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// mixedFile has a row for every outcome and failure reason.
var mixedFile = lines(
	"Name;E-mail",
	"Known;Known@Contoso.com",
	"Member;member@contoso.com",
	"Opted out;optedout@contoso.com",
	"Known again;KNOWN@contoso.com",
	"Typo;known@contoso",
	"Ghost;ghost@contoso.com",
	"Secret;secret@contoso.com",
	"Gone;gone@contoso.com",
	"New;new@contoso.com",
	"Outsider;outsider@contoso.com",
)

// mixedRows is the report of mixedFile.
var mixedRows = []string{
	"1 Known@Contoso.com added",
	"2 member@contoso.com already_member",
	"3 optedout@contoso.com skipped_opted_out",
	"4 KNOWN@contoso.com duplicate",
	"5 known@contoso failed invalid",
	"6 ghost@contoso.com failed not_found",
	"7 secret@contoso.com failed permission_denied",
	"8 gone@contoso.com failed left_tenant",
	"9 new@contoso.com added",
	"10 outsider@contoso.com failed not_in_bot_groups",
}

// mixedCounts are its counts: total, added, already, opted out,
// duplicates, failed.
var mixedCounts = [6]int64{10, 2, 1, 1, 1, 5}

func (w *world) upload(t *testing.T, path, content string) *segmentbot.Import {
	t.Helper()
	return w.uploadTo(t, w.seg.ID, path, content)
}

// uploadTo creates an import of content, served at path, into segmentID,
// sent by the admin in Teams.
func (w *world) uploadTo(t *testing.T, segmentID int64, path, content string) *segmentbot.Import {
	t.Helper()
	imp := &segmentbot.Import{
		SegmentID: segmentID, Channel: segmentbot.ChannelTeams, FileName: strings.TrimPrefix(path, "/"),
		FileURL: w.files.put(path, content), UploadedBy: w.admin.ID,
	}
	must(t, w.db.CreateImport(context.Background(), imp))
	return imp
}

func reportRows(t *testing.T, db *store.DB, id int64) []string {
	t.Helper()
	var rows []string
	must(t, db.EachImportRow(context.Background(), id, func(r *segmentbot.ImportRow) error {
		rows = append(rows, strings.TrimSpace(fmt.Sprintf("%d %s %s %s", r.Row, r.Value, r.Outcome, r.Reason)))
		return nil
	}))
	return rows
}

func counts(imp *segmentbot.Import) [6]int64 {
	return [6]int64{imp.Total, imp.Added, imp.AlreadyMember, imp.SkippedOptOut, imp.Duplicates, imp.Failed}
}

func TestProcessImportsAFile(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		var finished []int64
		w.runner.OnFinish = func(ctx context.Context, imp *segmentbot.Import) { finished = append(finished, imp.ID) }
		imp := w.upload(t, "/sales.csv", mixedFile)

		done, err := w.runner.Process(context.Background(), imp)
		must(t, err)

		if done.Status != segmentbot.ImportCompletedWithErrors || counts(done) != mixedCounts {
			t.Errorf("import = %s %v; want %s %v", done.Status, counts(done), segmentbot.ImportCompletedWithErrors, mixedCounts)
		}
		wantReasons := map[string]int64{"invalid": 1, "not_found": 1, "permission_denied": 1, "left_tenant": 1, "not_in_bot_groups": 1}
		if !reflect.DeepEqual(done.FailedByReason, wantReasons) {
			t.Errorf("failed by reason = %v; want %v", done.FailedByReason, wantReasons)
		}
		if got := reportRows(t, db, imp.ID); !reflect.DeepEqual(got, mixedRows) {
			t.Errorf("report rows =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(mixedRows, "\n"))
		}
		if !reflect.DeepEqual(finished, []int64{imp.ID}) {
			t.Errorf("OnFinish ran for %v; want [%d]", finished, imp.ID)
		}
		looked := strings.Join(w.dir.looked, " ")
		for _, v := range []string{"known@contoso.com", "member@contoso.com"} {
			if strings.Contains(looked, v) {
				t.Errorf("%s is in the local directory but was looked up live", v)
			}
		}
		log := w.chat.sent()
		if len(log) < 2 || log[0].update || !strings.HasPrefix(log[0].msg.Title, "Importing into Sales") {
			t.Fatalf("chat = %+v; want a progress card first", log)
		}
		last := log[len(log)-1]
		if !last.update || last.id != log[0].id || !reflect.DeepEqual(last.msg, ReportMessage(done, w.seg, testLinks{})) {
			t.Errorf("last chat message = %+v; want the report replacing the progress card", last)
		}
		if last.to != w.admin.ID {
			t.Errorf("report went to user %d; want the uploader %d", last.to, w.admin.ID)
		}
	})
}

func TestProcessFailsUnreadableFiles(t *testing.T) {
	tests := []struct {
		name, url, content, reason string
	}{
		{"an Excel file", "/list.xlsx", "PK\x03\x04\x14\x00rest", "not a CSV file: this looks like an Excel file; save it as CSV"},
		{"an empty file", "/empty.csv", "", "no users found"},
		{"a header without rows", "/header.csv", "email\r\n", "no users found"},
		{"several columns none of which is email", "/cols.csv", "Name,Phone\nAnn,123\n",
			"no column holds emails or ids: the columns are “Name”, “Phone”. Put email (or id) at the top of the users' column and send the file again"},
		{"an expired link", "", "", "the file link has expired; please send the file again"},
		{"a host that is not allowed", "https://files.example.net/list.csv", "", "I can only download files from Teams/SharePoint/OneDrive or Workplace"},
	}
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				imp := w.upload(t, "/"+strings.ReplaceAll(tt.name, " ", "-"), tt.content)
				switch {
				case tt.url == "":
					imp.FileURL = w.files.URL + "/missing.csv"
				case strings.HasPrefix(tt.url, "https://"):
					imp.FileURL = tt.url
				default:
					imp.FileURL = w.files.put(tt.url, tt.content)
				}
				done, err := w.runner.Process(context.Background(), imp)
				must(t, err)
				if done.Status != segmentbot.ImportFailed || done.Error != tt.reason {
					t.Errorf("import = %s %q; want failed %q", done.Status, done.Error, tt.reason)
				}
				report := ReportMessage(done, w.seg, testLinks{})
				if !strings.Contains(report.Text, "The import failed: "+tt.reason) {
					t.Errorf("report text %q does not say why", report.Text)
				}
			})
		}
	})
}

// TestProcessResumesAfterACrash stops the worker after every step in turn,
// as if it died, and lets a second one finish: the result is always that
// of an uninterrupted run.
func TestProcessResumesAfterACrash(t *testing.T) {
	defer func(n int) { lookupChunk = n }(lookupChunk)
	lookupChunk = 2 // several chunks, so a crash can fall between two
	steps := []string{segmentbot.PhaseQueued, segmentbot.PhaseStaged, "lookup chunk", segmentbot.PhaseResolved, segmentbot.PhaseLookedUp}
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		for _, step := range steps {
			t.Run("after "+step, func(t *testing.T) {
				seg := &segmentbot.Segment{Name: "Resume " + step}
				must(t, db.CreateSegment(context.Background(), seg))
				member, _ := db.FindUserByExternalID(context.Background(), segmentbot.ChannelTeams, "29:member")
				_, err := db.Join(context.Background(), seg.ID, member.ID, segmentbot.SourceButton, member.ID)
				must(t, err)
				optedOut, _ := db.FindUserByExternalID(context.Background(), segmentbot.ChannelTeams, "29:optedout")
				_, err = db.Leave(context.Background(), seg.ID, optedOut.ID, segmentbot.SourceButton, optedOut.ID, true)
				must(t, err)
				imp := w.uploadTo(t, seg.ID, "/resume-"+strings.ReplaceAll(step, " ", "-")+".csv", mixedFile)

				crashed := errors.New("worker died")
				w.runner.afterStep = func(s string) error {
					if s == step {
						return crashed
					}
					return nil
				}
				if _, err := w.runner.Process(context.Background(), imp); !errors.Is(err, crashed) {
					t.Fatalf("first run: err = %v; want the crash", err)
				}
				w.runner.afterStep = nil
				again, err := db.FindImportByID(context.Background(), imp.ID)
				must(t, err)
				done, err := w.runner.Process(context.Background(), again)
				must(t, err)
				if counts(done) != mixedCounts || done.Status != segmentbot.ImportCompletedWithErrors {
					t.Errorf("import = %s %v; want %v", done.Status, counts(done), mixedCounts)
				}
				if got := reportRows(t, db, imp.ID); !reflect.DeepEqual(got, mixedRows) {
					t.Errorf("report rows =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(mixedRows, "\n"))
				}
				if n := w.files.count(strings.TrimPrefix(imp.FileURL, w.files.URL)); n != 1 {
					t.Errorf("file downloaded %d times; want once", n)
				}
			})
		}
	})
}
