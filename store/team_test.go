package store_test

import (
	"context"
	"testing"

	"github.com/segmentbot/segmentbot"
	"github.com/segmentbot/segmentbot/store"
	"github.com/segmentbot/segmentbot/store/storetest"
)

func TestTeamsAreKeptForTheRosterRefresh(t *testing.T) {
	ctx := context.Background()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		useClock(db)
		team := &segmentbot.Team{Channel: segmentbot.ChannelTeams, ID: "19:a@thread.tacv2", TenantID: "t1", Name: "Sales", Ref: `{"serviceUrl":"x"}`}
		if err := db.SaveTeam(ctx, team); err != nil {
			t.Fatal(err)
		}
		team.Name = "Sales EMEA"
		if err := db.SaveTeam(ctx, team); err != nil {
			t.Fatal(err)
		}
		if err := db.SaveTeam(ctx, &segmentbot.Team{Channel: segmentbot.ChannelWorkplace, ID: "g1"}); err != nil {
			t.Fatal(err)
		}
		got, err := db.FindTeams(ctx, segmentbot.ChannelTeams)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[0].Name != "Sales EMEA" || got[0].Ref != `{"serviceUrl":"x"}` || got[0].TenantID != "t1" {
			t.Fatalf("teams %+v", got)
		}
	})
}
