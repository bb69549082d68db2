package main

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/segmentbot/segmentbot"
	"github.com/segmentbot/segmentbot/bot/teams"
	"github.com/segmentbot/segmentbot/bot/teams/teamstest"
	"github.com/segmentbot/segmentbot/store/storetest"
)

// TestDirectoryAttributesFromLookupAndSync is issue 13.2 through the
// service: an import's Graph lookup stores the user's attributes, and the
// scheduled directory sync (as main wires it) refreshes them.
func TestDirectoryAttributesFromLookupAndSync(t *testing.T) {
	storetest.EachDSN(t, func(t *testing.T, dsn string) {
		s := startService(t, dsn, nil)
		eve := teamstest.NewUser("Eve")
		s.kit.SetRoster("19:staff@thread.tacv2", []teams.Member{eve.Member("")}, 0)
		if code, body := s.post(s.kit.InstallTeam("19:staff@thread.tacv2")); code != http.StatusOK {
			t.Fatalf("team install: %d %s", code, body)
		}
		s.kit.AddGraphUser(teamstest.GraphUser{ID: eve.AADObjectID, UPN: "eve@contoso.com", Name: "Eve",
			Attributes: map[string]string{"department": "Sales", "country": "UK"}})
		files := fileHost(t, map[string]string{"/staff.csv": "eve@contoso.com\r\n"})
		s.say(s.admin, "create segment Staff")
		file := s.kit.File(s.admin, files.URL+"/staff.csv", "staff.csv")
		file["text"] = "import into Staff"
		if code, body := s.post(file); code != http.StatusOK {
			t.Fatalf("file: %d %s", code, body)
		}
		s.waitFor("Download report")

		stored := func() []string {
			t.Helper()
			users, err := s.app.store.FindUsersByIdentity(t.Context(), eve.AADObjectID)
			if err != nil || len(users) != 1 {
				t.Fatalf("eve: %v, %v", users, err)
			}
			attrs, err := s.app.store.FindAttributes(t.Context(), users[0].ID)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, a := range attrs {
				if a.Source != segmentbot.AttributeDirectory {
					t.Errorf("%s has source %s", a.Name, a.Source)
				}
				out = append(out, a.Name+"="+a.Value)
			}
			return out
		}
		if got := stored(); !slices.Equal(got, []string{"country=UK", "department=Sales"}) {
			t.Fatalf("after the lookup: %v", got)
		}

		s.kit.AddGraphUser(teamstest.GraphUser{ID: eve.AADObjectID, UPN: "eve@contoso.com", Name: "Eve",
			Attributes: map[string]string{"department": "Marketing", "country": "UK", "city": "Leeds"}})
		if err := s.app.sched.SyncDirectory(t.Context()); err != nil {
			t.Fatal(err)
		}
		if got := stored(); !slices.Equal(got, []string{"city=Leeds", "country=UK", "department=Marketing"}) {
			t.Fatalf("after the sync: %v", got)
		}
		if !strings.Contains(s.logs.String(), `"msg":"directory sync"`) {
			t.Fatal("no directory sync line in the log")
		}
	})
}
