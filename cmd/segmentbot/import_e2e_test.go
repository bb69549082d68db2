package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/segmentbot/segmentbot"
	"github.com/segmentbot/segmentbot/bot/teams"
	"github.com/segmentbot/segmentbot/bot/teams/teamstest"
	"github.com/segmentbot/segmentbot/store/storetest"
)

// fileHost serves CSV files from loopback (allowed by
// SEGMENTBOT_DOWNLOAD_ALLOW=127.0.0.1 in startService).
func fileHost(t *testing.T, files map[string]string) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, ok := files[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/csv")
		fmt.Fprint(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// waitImport polls the REST API until the import is finished.
func (s *service) waitImport(id int64) map[string]any {
	s.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		var imp map[string]any
		if code := s.api("GET", fmt.Sprintf("/v1/imports/%d", id), nil, &imp); code != 200 {
			s.t.Fatalf("GET import: %d", code)
		}
		switch imp["status"] {
		case segmentbot.ImportCompleted, segmentbot.ImportCompletedWithErrors, segmentbot.ImportFailed:
			return imp
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("import %d not finished: %v", id, imp)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestAdminImportsACSVInChatAndGetsTheReport(t *testing.T) {
	storetest.EachDSN(t, func(t *testing.T, dsn string) {
		s := startService(t, dsn, nil)
		// The directory knows two team members from a roster; Graph knows
		// the rest, or says why not.
		ann, bob := teamstest.NewUser("Ann"), teamstest.NewUser("Bob")
		s.kit.SetRoster("19:team@thread.tacv2", []teams.Member{ann.Member("ann@contoso.com"), bob.Member("bob@contoso.com")}, 1)
		if code, body := s.post(s.kit.InstallTeam("19:team@thread.tacv2")); code != 200 {
			t.Fatalf("team install: %d %s", code, body)
		}
		s.kit.AddGraphUser(teamstest.GraphUser{ID: "11111111-0000-4000-8000-000000000001", UPN: "gone@contoso.com", Mail: "gone@contoso.com", Name: "Gone", Disabled: true})
		s.kit.AddGraphUser(teamstest.GraphUser{ID: "11111111-0000-4000-8000-000000000002", UPN: "outsider@contoso.com", Mail: "outsider@contoso.com", Name: "Outsider"})
		s.kit.GraphStatus("secret@contoso.com", http.StatusForbidden)
		files := fileHost(t, map[string]string{"/staff.csv": strings.Join([]string{
			"Email", "ann@contoso.com", "BOB@contoso.com", "ann@contoso.com", "not-an-email@",
			"nobody@contoso.com", "gone@contoso.com", "outsider@contoso.com", "secret@contoso.com",
		}, "\r\n")})

		s.say(s.admin, "create segment Staff")
		before := len(s.kit.Sent())
		ack := s.expectReply(s.kit.File(s.admin, files.URL+"/staff.csv", "staff.csv"))
		// No segment named in the text: the bot asks which one.
		wantIn(t, replyText(ack), "Which segment", "Staff")
		if code, body := s.post(s.kit.Submit(s.admin, action(t, ack.Card(), "Staff"))); code != 200 {
			t.Fatalf("pick segment: %d %s", code, body)
		}
		s.waitFor("importing staff.csv into Staff")

		var imps []struct{ ID int64 }
		var segs struct{ Segments []segmentbot.Segment }
		s.api("GET", "/v1/segments", nil, &segs)
		deadline := time.Now().Add(10 * time.Second)
		for len(imps) == 0 && time.Now().Before(deadline) {
			if list, err := s.app.store.FindImports(t.Context(), segs.Segments[0].ID, 5); err == nil {
				for _, i := range list {
					imps = append(imps, struct{ ID int64 }{i.ID})
				}
			}
		}
		if len(imps) != 1 {
			t.Fatal("no import queued")
		}
		imp := s.waitImport(imps[0].ID)
		if imp["status"] != segmentbot.ImportCompletedWithErrors || imp["total"] != 8.0 || imp["added"] != 2.0 || imp["duplicates"] != 1.0 || imp["failed"] != 5.0 {
			t.Fatalf("import counts: %v", imp)
		}
		reasons, _ := imp["failed_by_reason"].(map[string]any)
		for _, r := range []string{segmentbot.ReasonInvalid, segmentbot.ReasonNotFound, segmentbot.ReasonLeftTenant, segmentbot.ReasonNotInBotGroups, segmentbot.ReasonPermissionDenied} {
			if reasons[r] != 1.0 {
				t.Errorf("failed_by_reason[%s] = %v, want 1 (%v)", r, reasons[r], reasons)
			}
		}

		// The progress card was posted and then updated in place into the
		// report.
		var report *teamstest.Sent
		posted := map[string]bool{}
		for _, sent := range s.kit.Sent()[before:] {
			sent := sent
			switch sent.Method {
			case http.MethodPost:
				posted[sent.ActivityID] = true
			case http.MethodPut:
				report = &sent
			}
		}
		if report == nil || !posted[report.ActivityID] {
			t.Fatalf("want the progress card posted and then updated in place (PUT of the same activity)")
		}
		deadline = time.Now().Add(5 * time.Second)
		for !strings.Contains(replyText(*report), "completed with errors") && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
			for _, sent := range s.kit.Sent() {
				if sent.Method == http.MethodPut {
					sent := sent
					report = &sent
				}
			}
		}
		wantIn(t, replyText(*report), "completed with errors", "typo in the address", "isn't in the groups", "no longer in the tenant", "Download report", "Download list of users")

		code, csv := s.get(reportURL(t, report.Card()))
		if code != 200 {
			t.Fatalf("report download: %d", code)
		}
		wantIn(t, csv, "row,value,outcome,reason", "1,ann@contoso.com,added", "3,ann@contoso.com,duplicate", "4,not-an-email@,failed,invalid",
			"5,nobody@contoso.com,failed,not_found", "6,gone@contoso.com,failed,left_tenant", "7,outsider@contoso.com,failed,not_in_bot_groups",
			"8,secret@contoso.com,failed,permission_denied")
	})
}

// reportURL is the Download report button's link.
func reportURL(t *testing.T, card map[string]any) string {
	t.Helper()
	var url string
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if x["title"] == "Download report" {
				url, _ = x["url"].(string)
			}
			for _, k := range []string{"body", "actions", "items"} {
				walk(x[k])
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(card)
	if url == "" {
		t.Fatalf("no Download report link in %v", card)
	}
	return url
}
