package teams_test

import (
	"context"
	"strings"
	"testing"

	"github.com/segmentbot/segmentbot"
	segbot "github.com/segmentbot/segmentbot/bot"
	"github.com/segmentbot/segmentbot/bot/teams"
	"github.com/segmentbot/segmentbot/bot/teams/teamstest"
	"github.com/segmentbot/segmentbot/store"
	"github.com/segmentbot/segmentbot/store/storetest"
)

// Every chat a broadcast opens is kept in the store and used by the next
// broadcast, on every database; a roster refresh does not lose it.
func TestSendBroadcastKeepsTheChatItOpens(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		kit := teamstest.New(t)
		cfg := kit.Config()
		cfg.CatalogAppID = teamstest.CatalogAppID
		cfg.ServiceURL = "https://connector.invalid/" // the team's serviceUrl must win
		ch, err := teams.New(cfg, segbot.NewEntrance(&fakeBot{}, db, db), db)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = ch.Close(context.Background()) })
		const team = "19:broadcast-team@thread.tacv2"
		member := teamstest.NewUser("Rosa Roster")
		kit.SetRoster(team, []teams.Member{member.Member("rosa@contoso.com")}, 0)
		mustDeliver(t, kit, ch, kit.InstallTeam(team))
		load := func(find func() (*segmentbot.User, error)) *segmentbot.User {
			t.Helper()
			u, err := find()
			if err != nil {
				t.Fatal(err)
			}
			return u
		}
		rosa := func() (*segmentbot.User, error) {
			return db.FindUserByExternalID(ctx, segmentbot.ChannelTeams, member.ID)
		}

		t.Run("a roster member's opened chat is reused", func(t *testing.T) {
			for i := range 2 {
				if err := ch.SendBroadcast(ctx, load(rosa), news()); err != nil {
					t.Fatalf("send %d: %v", i+1, err)
				}
			}
			conv := teamstest.PersonalConversation(member)
			if len(kit.Opened()) != 1 || len(kit.SentTo(conv)) != 2 {
				t.Fatalf("%d chats opened, %d sent to %s; want 1 and 2", len(kit.Opened()), len(kit.SentTo(conv)), conv)
			}
			if u := load(rosa); !strings.Contains(u.ConvRef, conv) {
				t.Fatalf("stored ref %s; want the opened chat", u.ConvRef)
			}
		})
		t.Run("a roster refresh keeps the chat", func(t *testing.T) {
			if err := ch.RefreshRosters(ctx); err != nil {
				t.Fatal(err)
			}
			if err := ch.SendBroadcast(ctx, load(rosa), news()); err != nil {
				t.Fatal(err)
			}
			if len(kit.Opened()) != 1 {
				t.Fatalf("%d chats opened after a roster refresh, want still 1", len(kit.Opened()))
			}
		})
		t.Run("a Graph user's installed chat is reused", func(t *testing.T) {
			g := teamstest.NewUser("Gus Graph")
			kit.AddGraphUser(teamstest.GraphUser{ID: g.AADObjectID, UPN: "gus@contoso.com", Mail: "gus@contoso.com", Name: "Gus Graph"})
			u := &segmentbot.User{Channel: segmentbot.ChannelTeams, TenantID: teamstest.TenantID, AADObjectID: g.AADObjectID, Email: "gus@contoso.com", Name: "Gus Graph", Active: true}
			if err := db.UpsertUser(ctx, u); err != nil {
				t.Fatal(err)
			}
			gus := func() (*segmentbot.User, error) { return db.FindUserByID(ctx, u.ID) }
			for i := range 2 {
				if err := ch.SendBroadcast(ctx, load(gus), news()); err != nil {
					t.Fatalf("send %d: %v", i+1, err)
				}
			}
			chat := teamstest.InstalledChat(g.AADObjectID)
			if kit.Installs() != 1 || len(kit.SentTo(chat)) != 2 {
				t.Fatalf("%d installs, %d sent to %s; want 1 and 2", kit.Installs(), len(kit.SentTo(chat)), chat)
			}
			if stored := load(gus); !strings.Contains(stored.ConvRef, chat) || !stored.InBotGroups {
				t.Fatalf("stored %+v; want the chat kept and the user in the bot's groups", stored)
			}
		})
	})
}
