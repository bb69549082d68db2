package store_test

import (
	"context"
	"testing"

	"github.com/segmentbot/segmentbot"
	"github.com/segmentbot/segmentbot/store"
	"github.com/segmentbot/segmentbot/store/storetest"
)

func TestUsers(t *testing.T) {
	ctx := context.Background()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Run("upsert by channel and external id keeps stored fields that come empty", func(t *testing.T) {
			u := mustUser(t, db, segmentbot.User{ExternalID: "29:a", AADObjectID: "AAD-1", Email: "Ann@X.com", Name: "Ann", ConvRef: "{}", Active: true})
			again := mustUser(t, db, segmentbot.User{ExternalID: "29:a", TimeZone: "Europe/Paris"})
			if again.ID != u.ID {
				t.Fatalf("second upsert made user %d, want %d", again.ID, u.ID)
			}
			got, err := db.FindUserByExternalID(ctx, segmentbot.ChannelTeams, "29:a")
			if err != nil {
				t.Fatal(err)
			}
			if got.Email != "ann@x.com" || got.AADObjectID != "aad-1" || got.Name != "Ann" || got.ConvRef != "{}" ||
				got.TimeZone != "Europe/Paris" || !got.Active {
				t.Fatalf("stored %+v", got)
			}
		})
		t.Run("the same external id on another channel is another user", func(t *testing.T) {
			a := mustUser(t, db, segmentbot.User{ExternalID: "100"})
			b := mustUser(t, db, segmentbot.User{ExternalID: "100", Channel: segmentbot.ChannelWorkplace})
			if a.ID == b.ID {
				t.Fatal("channels share a user")
			}
		})
		t.Run("a roster marks users in bot groups", func(t *testing.T) {
			roster := []*segmentbot.User{{Channel: segmentbot.ChannelTeams, ExternalID: "29:r1"}, {Channel: segmentbot.ChannelTeams, ExternalID: "29:r2"}}
			if err := db.UpsertUsers(ctx, roster); err != nil {
				t.Fatal(err)
			}
			got, err := db.FindUserByID(ctx, roster[1].ID)
			if err != nil || !got.InBotGroups || got.ExternalID != "29:r2" {
				t.Fatalf("roster user %+v, %v", got, err)
			}
		})
		t.Run("find by email matches email or upn case-insensitively", func(t *testing.T) {
			a := mustUser(t, db, segmentbot.User{ExternalID: "29:e1", Email: "bob@x.com"})
			b := mustUser(t, db, segmentbot.User{ExternalID: "29:e2", UPN: "BOB@x.com"})
			got, err := db.FindUsersByEmail(ctx, " Bob@X.com")
			if err != nil || len(got) != 2 || got[0].ID != a.ID || got[1].ID != b.ID {
				t.Fatalf("found %+v, %v", got, err)
			}
		})
		t.Run("a looked-up user without channel id is matched by AAD id and adopted later", func(t *testing.T) {
			looked := mustUser(t, db, segmentbot.User{AADObjectID: "aad-9", Email: "cy@x.com", Active: true})
			again := mustUser(t, db, segmentbot.User{AADObjectID: "AAD-9", Name: "Cy"})
			if again.ID != looked.ID {
				t.Fatalf("lookup twice made users %d and %d", looked.ID, again.ID)
			}
			talked := mustUser(t, db, segmentbot.User{ExternalID: "29:cy", AADObjectID: "aad-9"})
			if talked.ID != looked.ID {
				t.Fatalf("talking made user %d, want the looked-up %d", talked.ID, looked.ID)
			}
			got, _ := db.FindUserByID(ctx, looked.ID)
			if got.Name != "Cy" || got.Email != "cy@x.com" || got.ExternalID != "29:cy" {
				t.Fatalf("merged %+v", got)
			}
		})
		t.Run("missing users are not found and users need a channel", func(t *testing.T) {
			_, err := db.FindUserByID(ctx, 9999)
			wantCode(t, err, segmentbot.ENOTFOUND)
			_, err = db.FindUserByExternalID(ctx, segmentbot.ChannelTeams, "nobody")
			wantCode(t, err, segmentbot.ENOTFOUND)
			wantCode(t, db.UpsertUser(ctx, &segmentbot.User{ExternalID: "x"}), segmentbot.EINVALID)
		})
	})
}
