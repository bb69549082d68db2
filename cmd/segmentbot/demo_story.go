package main

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/segmentbot/segmentbot"
	"github.com/segmentbot/segmentbot/bot/teams/faketeams"
)

// story plays the demo's chapters against the world, one turn at a time.
type story struct {
	w   *demoWorld
	p   *demoPeople
	t   *transcript
	dir string

	segmentCard map[string]any // the opt-in card the admin shares
	reportCard  map[string]any // the finished import's report
	importID    int64

	reportRows, memberRows int // data rows of the downloaded files

	benCopy      map[string]any // the broadcast as Ben got it
	bcastReport  map[string]any // the broadcast's report card
	bcastID      int64
	bcastCopies  int // copies to members outside the story's cast
	deliveryRows int // data rows of deliveries.csv

	filteredCopies int // copies of the filtered broadcast outside the cast
}

func (s *story) tell() error {
	for _, chapter := range []func() error{s.install, s.createSegment, s.upload, s.schedule, s.endUser, s.downloads, s.hrNumbers, s.sendBroadcast, s.attributes} {
		if err := chapter(); err != nil {
			return err
		}
	}
	return nil
}

func (s *story) install() error {
	s.t.chapter("1. Ada installs Segment Bot")
	s.t.user(s.p.admin, "(adds Segment Bot to her personal chat)")
	if _, err := s.w.act(s.w.kit.InstallPersonal(s.p.admin), atLeast(1)); err != nil {
		return err
	}
	s.w.kit.SetRoster(demoTeamID, s.p.roster, 500)
	if err := s.w.post(s.w.kit.InstallTeam(demoTeamID)); err != nil {
		return err
	}
	s.t.note("%s adds Segment Bot to the team Contoso Staff; segmentbot loads its roster: %s members", faketeams.Installer.Name, segmentbot.Count(int64(len(s.p.roster))))
	return nil
}

func (s *story) createSegment() error {
	s.t.chapter("2. Ada creates a segment and shares its card")
	if _, err := s.say(s.p.admin, "create segment "+demoSegment); err != nil {
		return err
	}
	sent, err := s.sayUntil(s.p.admin, "card "+demoSegment, saying("[Opt in] [Opt out]"))
	if err != nil {
		return err
	}
	s.segmentCard = cardWith(sent, "Opt in")
	s.t.note("Ada posts the card in the news channel; two colleagues answer it before any upload")
	if err := s.tap(s.p.optedIn, s.segmentCard, "Opt in"); err != nil {
		return err
	}
	return s.tap(s.p.optedOut, s.segmentCard, "Opt out")
}

func (s *story) upload() error {
	s.t.chapter("3. Ada uploads the HR export: " + segmentbot.Count(int64(demoRows)) + " rows")
	if err := os.WriteFile(filepath.Join(s.dir, demoFileName), []byte(s.p.csv), 0o644); err != nil {
		return fmt.Errorf("%w", err)
	}
	s.t.note("the file mixes %d typos, %d unknown addresses, %d people outside the bot's teams, %d disabled accounts, "+
		"%d addresses Graph refuses to show (403), %d duplicates, and Oscar, who opted out",
		demoTypos, demoUnknown, demoOutsiders, demoDisabled, demoForbidden, demoDuplicates)
	s.t.user(s.p.admin, "(sends %s)", demoFileName)
	sent, err := s.w.act(s.w.kit.File(s.p.admin, s.w.files.URL+"/"+demoFileName, demoFileName), atLeast(1))
	if err != nil {
		return err
	}
	if err := s.tap(s.p.admin, firstCard(sent), demoSegment); err != nil {
		return err
	}
	if err := s.waitImport(); err != nil {
		return err
	}
	sent, err = s.w.waitSent("the import report", "", saying("Import into "+demoSegment, segmentbot.StatusText(segmentbot.ImportCompletedWithErrors)))
	if err != nil {
		return err
	}
	for _, x := range sent {
		if x.Method == http.MethodPut && strings.Contains(strings.Join(sentLines(x), "\n"), "Import into") {
			s.reportCard = x.Card()
		}
	}
	return s.showImport()
}

// waitImport polls the REST API until the import is finished: the demo
// never sleeps in the hope that something is done.
func (s *story) waitImport() error {
	var segs struct{ Segments []segmentbot.Segment }
	deadline := time.Now().Add(demoWait)
	for s.importID == 0 {
		if err := s.w.api(http.MethodGet, "/v1/segments", &segs); err != nil {
			return err
		}
		for _, seg := range segs.Segments {
			if seg.Name == demoSegment && seg.LastImport != nil {
				s.importID = seg.LastImport.ID
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no import was queued")
		}
		time.Sleep(20 * time.Millisecond)
	}
	for {
		var imp segmentbot.Import
		if err := s.w.api(http.MethodGet, fmt.Sprintf("/v1/imports/%d", s.importID), &imp); err != nil {
			return err
		}
		if imp.Done() {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("import %d still %s after %s", s.importID, imp.Status, demoWait)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// showImport shows what another system sees through the REST API.
func (s *story) showImport() error {
	var imp segmentbot.Import
	if err := s.w.api(http.MethodGet, fmt.Sprintf("/v1/imports/%d", s.importID), &imp); err != nil {
		return err
	}
	s.t.note("REST GET /v1/imports/%d: %s; total %d, added %d, already_member %d, skipped_opted_out %d, duplicates %d, failed %d",
		imp.ID, imp.Status, imp.Total, imp.Added, imp.AlreadyMember, imp.SkippedOptOut, imp.Duplicates, imp.Failed)
	var reasons []string
	for _, r := range segmentbot.Reasons {
		if n := imp.FailedByReason[r]; n > 0 {
			reasons = append(reasons, fmt.Sprintf("%s %d (%s)", r, n, segmentbot.ReasonText(r)))
		}
	}
	s.t.note("failed_by_reason: %s", strings.Join(reasons, "; "))
	return nil
}

func (s *story) schedule() error {
	s.t.chapter("4. Ada schedules a broadcast 3 hours later")
	if _, err := s.sayUntil(s.p.admin, "schedule "+demoSegment+" at in 3 hours as Monday news",
		all(saying("Broadcast scheduled"), saying("Large upload close to a broadcast"))); err != nil {
		return err
	}
	var list struct{ Warnings []segmentbot.Warning }
	if err := s.w.api(http.MethodGet, "/v1/warnings", &list); err != nil {
		return err
	}
	s.t.note("REST GET /v1/warnings: %s sent, once per broadcast, import and admin", segmentbot.Counted(int64(len(list.Warnings)), "warning"))
	return nil
}

func (s *story) endUser() error {
	s.t.chapter("5. Ben, a new starter, opts in, unsubscribes and comes back")
	if _, err := s.say(s.p.newcomer, "hi"); err != nil {
		return err
	}
	if err := s.tap(s.p.newcomer, s.segmentCard, "Opt in"); err != nil {
		return err
	}
	sent, err := s.say(s.p.newcomer, "please unsubscribe me")
	if err != nil {
		return err
	}
	if err := s.tap(s.p.newcomer, firstCard(sent), "Resubscribe"); err != nil {
		return err
	}
	_, err = s.sayUntil(s.p.admin, "history "+demoEmail(s.p.optedIn.Name), saying("History of"))
	return err
}

// firstCard is the first Adaptive Card among sent, or nil.
// cardWith is the first card of sent with a button titled title (the
// hint sent before a card may be a card too).
func cardWith(sent []faketeams.Sent, title string) map[string]any {
	for _, x := range sent {
		if c := x.Card(); c != nil {
			if data, url := button(c, title); data != nil || url != "" {
				return c
			}
		}
	}
	return nil
}

func firstCard(sent []faketeams.Sent) map[string]any {
	for _, x := range sent {
		if c := x.Card(); c != nil {
			return c
		}
	}
	return nil
}

func (s *story) downloads() error {
	s.t.chapter("6. The files behind the report's buttons")
	for _, f := range []struct{ button, name string }{
		{"Download report", "report.csv"}, {"Download list of users", "members.csv"},
	} {
		_, link := button(s.reportCard, f.button)
		if link == "" {
			return fmt.Errorf("the report has no %s button", f.button)
		}
		lines, err := s.w.download(link, s.dir, f.name)
		if err != nil {
			return err
		}
		if f.name == "report.csv" {
			s.reportRows = lines - 1
		} else {
			s.memberRows = lines - 1
		}
		s.t.note("%s (signed /downloads link) -> %s: %s rows", f.button, f.name, segmentbot.Count(int64(lines-1)))
	}
	return nil
}

// demoHRFileName is the file of chapter 7.
const demoHRFileName = "managers-hr-numbers.csv"

// hrNumbers is chapter 7: a file of HR numbers, not addresses, for a
// segment that does not exist yet. The bot offers to create it; the
// numbers are found as Graph's employeeId.
func (s *story) hrNumbers() error {
	s.t.chapter("7. Ada imports HR numbers into a segment that does not exist yet")
	var rows []string
	for i, m := range s.p.roster[2:5] {
		id := fmt.Sprintf("HR-%04d", i+1)
		s.w.kit.AddGraphUser(faketeams.GraphUser{ID: m.ObjectID, UPN: m.UserPrincipalName, Mail: m.Email, Name: m.Name, Employee: id})
		rows = append(rows, id)
	}
	rows = append(rows, "HR-9999")
	s.w.hrCSV = strings.Join(rows, "\r\n") + "\r\n"
	s.t.note("the HR system exports employee numbers, not addresses: %s (the last one is nobody's)", strings.Join(rows, ", "))
	s.t.user(s.p.admin, "(sends %s) import into Managers", demoHRFileName)
	file := s.w.kit.File(s.p.admin, s.w.files.URL+"/"+demoHRFileName, demoHRFileName)
	file["text"] = "import into Managers"
	sent, err := s.w.act(file, atLeast(1))
	if err != nil {
		return err
	}
	// Four rows are imported at once: the report may come with the answer
	// to the tap, so the tap waits for it.
	return s.tapUntil(s.p.admin, firstCard(sent), "Create it and import",
		saying("Import into Managers", segmentbot.StatusText(segmentbot.ImportCompletedWithErrors)))
}

// say is a typed message and the bot's answer.
func (s *story) say(u faketeams.User, text string) ([]faketeams.Sent, error) {
	return s.sayUntil(u, text, atLeast(1))
}

func (s *story) sayUntil(u faketeams.User, text string, done func([]faketeams.Sent) bool) ([]faketeams.Sent, error) {
	s.t.user(u, "%s", text)
	return s.w.act(s.w.kit.Message(u, text), done)
}

// tap presses a card button (Action.Submit) and waits for the answer.
func (s *story) tap(u faketeams.User, card map[string]any, title string) error {
	return s.tapUntil(u, card, title, atLeast(1))
}

// tapUntil presses a card button and waits until done holds for what the
// bot sent since.
func (s *story) tapUntil(u faketeams.User, card map[string]any, title string, done func([]faketeams.Sent) bool) error {
	data, _ := button(card, title)
	if data == nil {
		return fmt.Errorf("no button %q on the card %v", title, cardLines(card))
	}
	s.t.user(u, "(taps [%s])", title)
	_, err := s.w.act(s.w.kit.Submit(u, data), done)
	return err
}

// all is a waitSent condition that needs every one of conds.
func all(conds ...func([]faketeams.Sent) bool) func([]faketeams.Sent) bool {
	return func(sent []faketeams.Sent) bool {
		return !slices.ContainsFunc(conds, func(c func([]faketeams.Sent) bool) bool { return !c(sent) })
	}
}
