package teams_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/segmentbot/segmentbot"
	segbot "github.com/segmentbot/segmentbot/bot"
	"github.com/segmentbot/segmentbot/bot/teams"
	"github.com/segmentbot/segmentbot/bot/teams/teamstest"
	"github.com/segmentbot/segmentbot/store"
	"github.com/segmentbot/segmentbot/store/storetest"
)

// The same channel behaviour against the real store, on every database.
func TestWithTheRealStore(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		bot := echo("Done.")
		kit := teamstest.New(t)
		ch, err := teams.New(kit.Config(), segbot.NewEntrance(bot, db, db), db)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = ch.Close(context.Background()) })

		t.Run("a redelivered activity is handled and answered once", func(t *testing.T) {
			a := kit.Message(teamstest.NewUser("Alice"), "join news")
			mustDeliver(t, kit, ch, a)
			mustDeliver(t, kit, ch, a)
			kit.WaitSent(t, 1)
			time.Sleep(100 * time.Millisecond)
			if len(bot.Events()) != 1 || len(kit.Sent()) != 1 {
				t.Fatalf("%d events, %d replies; want 1 and 1", len(bot.Events()), len(kit.Sent()))
			}
			u, err := db.FindUserByExternalID(context.Background(), segmentbot.ChannelTeams, teamstest.NewUser("Alice").ID)
			if err != nil || u.ConvRef == "" || !u.InBotGroups {
				t.Fatalf("stored sender %+v, %v", u, err)
			}
		})
		t.Run("a team install stores a roster of three pages", func(t *testing.T) {
			var members []teams.Member
			for i := range 7 {
				members = append(members, teamstest.NewUser(fmt.Sprintf("Roster %d", i)).Member(fmt.Sprintf("roster%d@contoso.com", i)))
			}
			kit.SetRoster("19:store-team@thread.tacv2", members, 3)
			mustDeliver(t, kit, ch, kit.InstallTeam("19:store-team@thread.tacv2"))
			for _, m := range members {
				u, err := db.FindUserByExternalID(context.Background(), segmentbot.ChannelTeams, m.ID)
				if err != nil || !u.InBotGroups || u.Email != m.Email {
					t.Fatalf("member %s stored as %+v, %v", m.ID, u, err)
				}
			}
		})
	})
}
