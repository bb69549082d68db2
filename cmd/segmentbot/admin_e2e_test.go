package main

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/segmentbot/segmentbot"
	"github.com/segmentbot/segmentbot/bot/teams"
	"github.com/segmentbot/segmentbot/bot/teams/teamstest"
	"github.com/segmentbot/segmentbot/signer"
	"github.com/segmentbot/segmentbot/store/storetest"
)

func TestAdminPastesFiftyEmailsAndEveryFailureIsExplained(t *testing.T) {
	storetest.EachDSN(t, func(t *testing.T, dsn string) {
		s := startService(t, dsn, nil)
		var roster []teams.Member
		var lines []string
		for i := 0; i < 40; i++ {
			u := teamstest.NewUser(fmt.Sprintf("Member %02d", i))
			email := fmt.Sprintf("member%02d@contoso.com", i)
			roster = append(roster, u.Member(email))
			lines = append(lines, email)
		}
		olly := teamstest.NewUser("Olly Optout")
		roster = append(roster, olly.Member("olly@contoso.com"))
		s.kit.SetRoster("19:all@thread.tacv2", roster, 10)
		if code, _ := s.post(s.kit.InstallTeam("19:all@thread.tacv2")); code != 200 {
			t.Fatal("team install failed")
		}
		s.kit.AddGraphUser(teamstest.GraphUser{ID: "22222222-0000-4000-8000-000000000001", UPN: "left@contoso.com", Mail: "left@contoso.com", Name: "Left", Disabled: true})
		s.kit.AddGraphUser(teamstest.GraphUser{ID: "22222222-0000-4000-8000-000000000002", UPN: "stranger@contoso.com", Mail: "stranger@contoso.com", Name: "Stranger"})
		s.kit.GraphStatus("hidden@contoso.com", http.StatusForbidden)
		lines = append(lines, "typo@contoso", "two@@contoso.com", "spa ce@contoso.com", // invalid
			"ghost1@contoso.com", "ghost2@contoso.com", // not found
			"left@contoso.com", "stranger@contoso.com", "hidden@contoso.com",
			"olly@contoso.com", "MEMBER00@contoso.com") // opted out, duplicate
		if len(lines) != 50 {
			t.Fatalf("the paste has %d lines", len(lines))
		}

		s.say(s.admin, "create segment Everyone")
		var seg segmentbot.Segment
		var list struct{ Segments []segmentbot.Segment }
		s.api("GET", "/v1/segments", nil, &list)
		seg = list.Segments[0]
		var card map[string]any
		s.api("GET", fmt.Sprintf("/v1/segments/%d/card", seg.ID), nil, &card)
		s.expectReply(s.kit.Submit(olly, action(t, card, "Opt out")))

		reply := replyText(s.say(s.admin, "add to Everyone\n"+strings.Join(lines, "\n")))
		wantIn(t, reply, "Added 40 of 50 to Everyone",
			"typo@contoso: typo in the address", "two@@contoso.com: typo", "spa ce@contoso.com: typo",
			"ghost1@contoso.com: not a user of the organisation", "ghost2@contoso.com: not a user",
			"left@contoso.com: is no longer in the tenant", "stranger@contoso.com: the user isn't in the groups",
			"hidden@contoso.com: the integration lacks the permission", "olly@contoso.com: opted out", "MEMBER00@contoso.com: listed twice")
		for _, l := range lines[40:] {
			if n := strings.Count(reply, l+":"); n != 1 {
				t.Errorf("%s is reported %d times", l, n)
			}
		}
		var members struct{ Members []segmentbot.Member }
		s.api("GET", fmt.Sprintf("/v1/segments/%d/members?limit=1000", seg.ID), nil, &members)
		if len(members.Members) != 40 {
			t.Fatalf("want 40 members, got %d", len(members.Members))
		}
		for _, m := range members.Members {
			if m.Source != segmentbot.SourceChat {
				t.Fatalf("a member pasted in chat has source %q, want %q", m.Source, segmentbot.SourceChat)
			}
		}

		t.Run("remove from takes people out and says who was not there", func(t *testing.T) {
			wantIn(t, replyText(s.say(s.admin, "remove from Everyone\nmember01@contoso.com\nnobody@contoso.com")),
				"Removed 1 of 2 from Everyone", "nobody@contoso.com: no such user")
		})
		t.Run("a member the REST API adds is recorded as added by the API", func(t *testing.T) {
			path := fmt.Sprintf("/v1/segments/%d/members", seg.ID)
			if code := s.api("POST", path, map[string]any{"emails": []string{"member01@contoso.com"}}, nil); code != 200 {
				t.Fatalf("POST members: %d", code)
			}
			var members struct{ Members []segmentbot.Member }
			s.api("GET", path+"?limit=1000", nil, &members)
			for _, m := range members.Members {
				if want := map[bool]string{true: segmentbot.SourceAPI, false: segmentbot.SourceChat}[m.Email == "member01@contoso.com"]; m.Source != want {
					t.Errorf("%s has source %q, want %q", m.Email, m.Source, want)
				}
			}
		})
	})
}

func TestMemberListDownloadIsSignedExpiringAndSafe(t *testing.T) {
	storetest.EachDSN(t, func(t *testing.T, dsn string) {
		s := startService(t, dsn, nil)
		evil := teamstest.NewUser("=HYPERLINK(\"http://evil\")")
		plus := teamstest.NewUser("+1 555")
		s.kit.SetRoster("19:t@thread.tacv2", []teams.Member{evil.Member("evil@contoso.com"), plus.Member("@plus@contoso.com")}, 10)
		s.post(s.kit.InstallTeam("19:t@thread.tacv2"))
		s.say(s.admin, "create segment Risky")
		s.say(s.admin, "add to Risky\nevil@contoso.com")
		var list struct{ Segments []segmentbot.Segment }
		s.api("GET", "/v1/segments", nil, &list)
		seg := list.Segments[0]
		var card map[string]any
		s.api("GET", fmt.Sprintf("/v1/segments/%d/card", seg.ID), nil, &card)
		s.expectReply(s.kit.Submit(plus, action(t, card, "Opt in")))

		link := s.say(s.admin, "users Risky")
		url := ""
		for _, a := range link.Card()["actions"].([]any) {
			if m := a.(map[string]any); m["title"] == "Download list of users" {
				url = m["url"].(string)
			}
		}
		code, csv := s.get(url)
		if code != 200 {
			t.Fatalf("download: %d %s", code, csv)
		}
		wantIn(t, csv, "name,email", `"'=HYPERLINK(""http://evil"")",evil@contoso.com`, "'+1 555,'@plus@contoso.com")

		token := url[strings.LastIndex(url, "/")+1:]
		tampered := token[:len(token)-2] + "xx"
		if code, _ := s.get(s.srv.URL + "/downloads/" + tampered); code != http.StatusForbidden {
			t.Errorf("tampered link: %d, want 403", code)
		}
		sign := signer.New([]byte("service-test-signing-key"))
		expired := sign.DownloadToken("members", seg.ID, time.Now().Add(-time.Minute))
		if code, _ := s.get(s.srv.URL + "/downloads/" + expired); code != http.StatusGone {
			t.Errorf("expired link: %d, want 410", code)
		}
		other := signer.New([]byte("another-replicas-wrong-key"))
		if code, _ := s.get(s.srv.URL + "/downloads/" + other.DownloadToken("members", seg.ID, time.Now().Add(time.Hour))); code != http.StatusForbidden {
			t.Errorf("link signed with another key: %d, want 403", code)
		}
		shared := sign.DownloadToken("members", seg.ID, time.Now().Add(time.Hour))
		if code, _ := s.get(s.srv.URL + "/downloads/" + shared); code != http.StatusOK {
			t.Errorf("a link from another replica with the shared key: %d, want 200", code)
		}
	})
}
