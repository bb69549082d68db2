package main

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/segmentbot/segmentbot"
	"github.com/segmentbot/segmentbot/bot/teams"
	"github.com/segmentbot/segmentbot/bot/teams/teamstest"
	"github.com/segmentbot/segmentbot/store/storetest"
)

// attributesOf lists the attributes of the user with email as
// "name=value", through the store.
func (s *service) attributesOf(email string) []string {
	s.t.Helper()
	users, err := s.app.store.FindUsersByEmail(s.t.Context(), email)
	if err != nil || len(users) != 1 {
		s.t.Fatalf("user %s: %v, %v", email, users, err)
	}
	attrs, err := s.app.store.FindAttributes(s.t.Context(), users[0].ID)
	if err != nil {
		s.t.Fatal(err)
	}
	out := []string{}
	for _, a := range attrs {
		out = append(out, a.Name+"="+a.Value)
	}
	return out
}

// rawCSV posts csv to POST /v1/segments/{id}/imports and returns the
// status and body as they come.
func (s *service) rawCSV(path, csv string) (int, string) {
	s.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, s.srv.URL+path, strings.NewReader(csv))
	req.Header.Set("Authorization", "Bearer "+apiKey)
	req.Header.Set("Content-Type", "text/csv")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// sendFile sends a CSV file in chat with text ("import into X").
func (s *service) sendFile(url, name, text string) {
	s.t.Helper()
	file := s.kit.File(s.admin, url, name)
	file["text"] = text
	if code, body := s.post(file); code != http.StatusOK {
		s.t.Fatalf("file: %d %s", code, body)
	}
}

// waitForAll waits until the bot has sent something containing every
// part and returns its text.
func (s *service) waitForAll(parts ...string) string {
	s.t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		for _, sent := range s.kit.Sent() {
			if text := replyText(sent); containsEvery(text, parts) {
				return text
			}
		}
	}
	s.t.Fatalf("the bot never sent one message with %q", parts)
	return ""
}

func containsEvery(s string, parts []string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}

// newestImport waits for an import newer than after and returns its id.
func (s *service) newestImport(after int64) int64 {
	s.t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if imps, err := s.app.store.FindImports(s.t.Context(), 0, 1); err == nil && len(imps) == 1 && imps[0].ID > after {
			return imps[0].ID
		}
	}
	s.t.Fatal("no import queued")
	return 0
}

// A file with a header and more columns than the key: through REST and
// through chat, the other columns become attributes of the matched users,
// GET /v1/imports/{id} and the report card say for how many people, and
// a file without a key column fails naming the columns it has.
func TestImportedColumnsBecomeAttributes(t *testing.T) {
	storetest.EachDSN(t, func(t *testing.T, dsn string) {
		s := startService(t, dsn, nil)
		ann, bob := teamstest.NewUser("Ann"), teamstest.NewUser("Bob")
		s.kit.SetRoster("19:team@thread.tacv2", []teams.Member{ann.Member("ann@contoso.com"), bob.Member("bob@contoso.com")}, 1)
		if code, body := s.post(s.kit.InstallTeam("19:team@thread.tacv2")); code != 200 {
			t.Fatalf("team install: %d %s", code, body)
		}
		var seg segmentbot.Segment
		if code := s.api("POST", "/v1/segments", map[string]string{"name": "Staff"}, &seg); code != http.StatusCreated {
			t.Fatalf("create segment: %d", code)
		}
		uk := &segmentbot.Segment{Name: "UK", Filter: &segmentbot.Filter{All: []segmentbot.Condition{
			{Attribute: "country", Op: segmentbot.OpIn, Values: []string{"uk"}}}}}
		if err := s.app.store.CreateSegment(t.Context(), uk); err != nil {
			t.Fatal(err)
		}

		// REST: a BOM, quoted headers with spaces and capitals, an empty cell.
		imp := s.postCSV(seg.ID, "\uFEFF\"E-mail\",\" Department \",COUNTRY\r\nann@contoso.com,Sales,UK\r\nBOB@contoso.com,,SE\r\nnobody@contoso.com,Ops,FR\r\n")
		if imp["attributes_updated"] != 2.0 || imp["added"] != 2.0 || imp["failed"] != 1.0 {
			t.Fatalf("import: %v; want 2 added, 1 failed, attributes updated for 2", imp)
		}
		if got := strings.Join(s.attributesOf("ann@contoso.com"), " "); got != "country=UK department=Sales" {
			t.Errorf("ann: %s", got)
		}
		if got := strings.Join(s.attributesOf("bob@contoso.com"), " "); got != "country=SE" {
			t.Errorf("bob: %s", got)
		}
		// The rule segment followed the file: Ann now matches it. (The
		// import is completed when applied; the sync follows, before the
		// report.)
		var members struct{ Members []segmentbot.Member }
		for deadline := time.Now().Add(5 * time.Second); len(members.Members) == 0 && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			s.api("GET", fmt.Sprintf("/v1/segments/%d/members", uk.ID), nil, &members)
		}
		if len(members.Members) != 1 || members.Members[0].Email != "ann@contoso.com" || members.Members[0].Source != segmentbot.SourceRule {
			t.Errorf("members of the rule segment UK after the import: %+v; want Ann, source rule", members.Members)
		}

		// Chat: Ann moves to Ops; Bob's empty department leaves it unset.
		files := fileHost(t, map[string]string{
			"/moves.csv": "Name;Email;Department\r\nAnn;ann@contoso.com;Ops\r\nBob;bob@contoso.com;\r\n",
			"/names.csv": "Name,Department\r\nAnn,Sales\r\nBob,Ops\r\n",
		})
		s.sendFile(files.URL+"/moves.csv", "moves.csv", "import into Staff")
		moved := s.waitImport(s.newestImport(int64(imp["id"].(float64))))
		if moved["attributes_updated"] != 2.0 { // Ann's department, and both names
			t.Errorf("chat import: %v; want attributes updated for 2", moved)
		}
		wantIn(t, s.waitForAll("File: moves.csv", "Attributes updated for 2 people."), "Import into Staff", "Already members")
		if got := strings.Join(s.attributesOf("ann@contoso.com"), " "); got != "country=UK department=Ops name=Ann" {
			t.Errorf("ann after the chat import: %s", got)
		}
		if got := strings.Join(s.attributesOf("bob@contoso.com"), " "); got != "country=SE name=Bob" {
			t.Errorf("bob after the chat import: %s", got)
		}

		// No key column: chat and REST both say which columns they saw.
		const why = "no column holds emails or ids: the columns are “Name”, “Department”."
		s.sendFile(files.URL+"/names.csv", "names.csv", "import into Staff")
		failed := s.waitImport(s.newestImport(int64(moved["id"].(float64))))
		if failed["status"] != segmentbot.ImportFailed || !strings.Contains(fmt.Sprint(failed["error"]), why) {
			t.Errorf("chat import of names.csv: %v", failed)
		}
		wantIn(t, replyText(s.waitFor("The import failed: no column")), why)
		code, body := s.rawCSV(fmt.Sprintf("/v1/segments/%d/imports", seg.ID), "Name,Department\nAnn,Sales\n")
		if code != http.StatusBadRequest || !strings.Contains(body, `"code":"invalid"`) || !strings.Contains(body, why) {
			t.Errorf("REST import of names: %d %s", code, body)
		}
		if got := strings.Join(s.attributesOf("ann@contoso.com"), " "); got != "country=UK department=Ops name=Ann" {
			t.Errorf("a failed file changed ann: %s", got)
		}
	})
}

// A rule segment's members are the users its rule matches: every way of
// adding or removing people by hand or by file is refused with a reason,
// in chat and through REST (409 rule_segment), and changes nothing.
func TestRuleSegmentsRefuseImportsAndPastes(t *testing.T) {
	storetest.EachDSN(t, func(t *testing.T, dsn string) {
		s := startService(t, dsn, nil)
		ann := teamstest.NewUser("Ann")
		s.kit.SetRoster("19:team@thread.tacv2", []teams.Member{ann.Member("ann@contoso.com")}, 1)
		if code, body := s.post(s.kit.InstallTeam("19:team@thread.tacv2")); code != 200 {
			t.Fatalf("team install: %d %s", code, body)
		}
		rule := &segmentbot.Segment{Name: "UK Staff", Filter: &segmentbot.Filter{All: []segmentbot.Condition{
			{Attribute: "country", Op: segmentbot.OpIn, Values: []string{"UK"}}}}}
		if err := s.app.store.CreateSegment(t.Context(), rule); err != nil {
			t.Fatal(err)
		}
		s.say(s.admin, "create segment Staff")
		const why = "UK Staff is a rule segment: its members are the people its rule matches"
		files := fileHost(t, map[string]string{"/uk.csv": "email\r\nann@contoso.com\r\n"})

		t.Run("chat: pasting emails", func(t *testing.T) {
			wantIn(t, replyText(s.say(s.admin, "add to UK Staff\nann@contoso.com")), why)
			wantIn(t, replyText(s.say(s.admin, "remove from UK Staff\nann@contoso.com")), why)
		})
		t.Run("chat: a file for it", func(t *testing.T) {
			file := s.kit.File(s.admin, files.URL+"/uk.csv", "uk.csv")
			file["text"] = "import into UK Staff"
			wantIn(t, replyText(s.expectReply(file)), why)
		})
		t.Run("chat: a file without a segment is not offered the rule segment", func(t *testing.T) {
			ask := s.expectReply(s.kit.File(s.admin, files.URL+"/uk.csv", "uk.csv"))
			wantIn(t, replyText(ask), "Which segment", "Staff")
			if strings.Contains(replyText(ask), "UK Staff") {
				t.Errorf("the rule segment is offered for the file: %s", replyText(ask))
			}
		})
		t.Run("REST: imports, adds and removals are 409 rule_segment", func(t *testing.T) {
			code, body := s.rawCSV(fmt.Sprintf("/v1/segments/%d/imports", rule.ID), "email\nann@contoso.com\n")
			if code != http.StatusConflict || !strings.Contains(body, `"code":"rule_segment"`) || !strings.Contains(body, why) {
				t.Errorf("import: %d %s", code, body)
			}
			for _, method := range []string{"POST", "DELETE"} {
				var out struct {
					Error struct{ Code, Message string }
				}
				code := s.api(method, fmt.Sprintf("/v1/segments/%d/members", rule.ID), map[string][]string{"emails": {"ann@contoso.com"}}, &out)
				if code != http.StatusConflict || out.Error.Code != segmentbot.ERULESEGMENT || !strings.Contains(out.Error.Message, why) {
					t.Errorf("%s members: %d %+v", method, code, out)
				}
			}
		})
		t.Run("nothing changed", func(t *testing.T) {
			if imps, err := s.app.store.FindImports(t.Context(), rule.ID, 10); err != nil || len(imps) != 0 {
				t.Errorf("imports into the rule segment: %d, %v", len(imps), err)
			}
			if events, err := s.app.store.FindEvents(t.Context(), rule.ID, 0); err != nil || len(events) != 0 {
				t.Errorf("membership events of the rule segment: %+v, %v", events, err)
			}
		})
	})
}
