package main

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/segmentbot/segmentbot/bot/teams"
	"github.com/segmentbot/segmentbot/bot/teams/teamstest"
	"github.com/segmentbot/segmentbot/store/storetest"
)

// TestImportFindsEmployeeIDsAndInternationalAddresses is issue 14.12: a
// value without @ that is no GUID and no platform id is an external id,
// found as the directory's employeeId (a quote in it escaped as OData
// wants) or else not_found, never "typo in the address"; an
// internationalised address is found whether the directory holds its
// Unicode or its ASCII form.
func TestImportFindsEmployeeIDsAndInternationalAddresses(t *testing.T) {
	storetest.EachDSN(t, func(t *testing.T, dsn string) {
		s := startService(t, dsn, nil)
		eve, obi, anna, jorg := teamstest.NewUser("Eve"), teamstest.NewUser("Obi"), teamstest.NewUser("Anna"), teamstest.NewUser("Jörg")
		s.kit.SetRoster("19:staff@thread.tacv2", []teams.Member{
			eve.Member(""), obi.Member(""), anna.Member(""),
			jorg.Member("jörg@bücher.de"), // the roster holds the Unicode form
		}, 0)
		if code, body := s.post(s.kit.InstallTeam("19:staff@thread.tacv2")); code != http.StatusOK {
			t.Fatalf("team install: %d %s", code, body)
		}
		s.kit.AddGraphUser(teamstest.GraphUser{ID: eve.AADObjectID, UPN: "eve@contoso.com", Name: "Eve", Employee: "E-1001"})
		s.kit.AddGraphUser(teamstest.GraphUser{ID: obi.AADObjectID, UPN: "obi@contoso.com", Name: "Obi", Employee: "O'Brien-7"})
		// Graph holds Anna's address with its Unicode domain only.
		s.kit.AddGraphUser(teamstest.GraphUser{ID: anna.AADObjectID, UPN: "anna@contoso.onmicrosoft.com", Mail: "anna@müller.de", Name: "Anna"})
		files := fileHost(t, map[string]string{"/hr.csv": strings.Join([]string{
			"E-1001", "O'Brien-7", "E-404", "anna@xn--mller-kva.de", "jörg@bücher.de",
		}, "\r\n")})

		s.say(s.admin, "create segment Staff")
		file := s.kit.File(s.admin, files.URL+"/hr.csv", "hr.csv")
		file["text"] = "import into Staff"
		if code, body := s.post(file); code != http.StatusOK {
			t.Fatalf("file: %d %s", code, body)
		}
		var id int64
		for deadline := time.Now().Add(10 * time.Second); id == 0 && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			if imps, err := s.app.store.FindImports(t.Context(), 0, 1); err == nil && len(imps) == 1 {
				id = imps[0].ID
			}
		}
		if id == 0 {
			t.Fatal("no import queued")
		}
		imp := s.waitImport(id)
		if imp["added"] != 4.0 || imp["failed"] != 1.0 {
			t.Fatalf("import counts: %v", imp)
		}
		report := s.waitFor("Download report")
		code, csv := s.get(reportURL(t, report.Card()))
		if code != http.StatusOK {
			t.Fatalf("report: %d", code)
		}
		wantIn(t, csv, "1,E-1001,added", "2,O'Brien-7,added", "3,E-404,failed,not_found",
			"4,anna@xn--mller-kva.de,added", "5,jörg@bücher.de,added")
		if strings.Contains(replyText(report), "typo") {
			t.Errorf("the report calls an employee id a typo: %s", replyText(report))
		}
	})
}

// TestImportIntoANewSegmentOffersToCreateIt is issue 14.12: a file sent
// with "import into <name>" for a segment that does not exist offers
// Create it and import; the tap creates the segment and imports the file.
// The button is signed: a changed name is refused.
func TestImportIntoANewSegmentOffersToCreateIt(t *testing.T) {
	storetest.EachDSN(t, func(t *testing.T, dsn string) {
		s := startService(t, dsn, nil)
		ann := teamstest.NewUser("Ann")
		s.kit.SetRoster("19:staff@thread.tacv2", []teams.Member{ann.Member("ann@contoso.com")}, 0)
		if code, body := s.post(s.kit.InstallTeam("19:staff@thread.tacv2")); code != http.StatusOK {
			t.Fatalf("team install: %d %s", code, body)
		}
		files := fileHost(t, map[string]string{"/new.csv": "ann@contoso.com\r\n"})
		file := s.kit.File(s.admin, files.URL+"/new.csv", "new.csv")
		file["text"] = "import into Newcomers"
		offer := s.expectReply(file)
		wantIn(t, replyText(offer), "There is no segment Newcomers yet", "Create it and import")

		create := action(t, offer.Card(), "Create it and import")
		forged := map[string]any{}
		for k, v := range create {
			forged[k] = v
		}
		forged["arg"] = strings.Replace(forged["arg"].(string), "Newcomers", "Hijacked", 1)
		wantIn(t, replyText(s.expectReply(s.kit.Submit(s.admin, forged))), "not valid")

		got := s.expectReply(s.kit.Submit(s.admin, create))
		wantIn(t, replyText(got), "Got it: importing new.csv into Newcomers")
		var segs struct {
			Segments []struct {
				ID   int64
				Name string
			}
		}
		s.api("GET", "/v1/segments", nil, &segs)
		if len(segs.Segments) != 1 || segs.Segments[0].Name != "Newcomers" {
			t.Fatalf("segments %+v, want Newcomers only", segs.Segments)
		}
		var id int64
		for deadline := time.Now().Add(10 * time.Second); id == 0 && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			if imps, err := s.app.store.FindImports(t.Context(), segs.Segments[0].ID, 1); err == nil && len(imps) == 1 {
				id = imps[0].ID
			}
		}
		if imp := s.waitImport(id); imp["added"] != 1.0 {
			t.Fatalf("import %v, want Ann added", imp)
		}
	})
}
