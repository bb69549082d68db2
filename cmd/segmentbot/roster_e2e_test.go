package main

import (
	"net/http"
	"testing"

	"github.com/segmentbot/segmentbot"
	"github.com/segmentbot/segmentbot/bot/teams"
	"github.com/segmentbot/segmentbot/bot/teams/teamstest"
	"github.com/segmentbot/segmentbot/store/storetest"
)

func TestTheDailyRosterRefreshFindsNewTeamMembers(t *testing.T) {
	storetest.EachDSN(t, func(t *testing.T, dsn string) {
		s := startService(t, dsn, nil)
		ann, bob := teamstest.NewUser("Ann"), teamstest.NewUser("Bob")
		s.kit.SetRoster("19:sales@thread.tacv2", []teams.Member{ann.Member("ann@contoso.com")}, 10)
		if code, body := s.post(s.kit.InstallTeam("19:sales@thread.tacv2")); code != http.StatusOK {
			t.Fatalf("team install: %d %s", code, body)
		}
		if _, err := s.app.store.FindUserByExternalID(t.Context(), segmentbot.ChannelTeams, bob.ID); segmentbot.ErrorCode(err) != segmentbot.ENOTFOUND {
			t.Fatalf("Bob is not in the team yet: %v", err)
		}

		// Bob joins the team; the scheduler's daily job reloads the roster.
		s.kit.SetRoster("19:sales@thread.tacv2", []teams.Member{ann.Member("ann@contoso.com"), bob.Member("bob@contoso.com")}, 10)
		if err := s.app.refreshRosters(t.Context()); err != nil {
			t.Fatal(err)
		}
		u, err := s.app.store.FindUserByExternalID(t.Context(), segmentbot.ChannelTeams, bob.ID)
		if err != nil || !u.InBotGroups || u.Email != "bob@contoso.com" {
			t.Fatalf("after the refresh Bob should be in the bot's groups: %+v, %v", u, err)
		}
	})
}
