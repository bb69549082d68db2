package store_test

import (
	"context"
	"testing"

	"github.com/segmentbot/segmentbot"
	"github.com/segmentbot/segmentbot/store"
	"github.com/segmentbot/segmentbot/store/storetest"
)

func TestUsersAreFoundByEveryIdentity(t *testing.T) {
	ctx := context.Background()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		jorg := mustUser(t, db, segmentbot.User{ExternalID: "29:jorg", AADObjectID: "AAD-J", Email: "Jörg@Bücher.de", UPN: "jorg@contoso.onmicrosoft.com", Active: true})
		t.Run("an internationalised address is stored with its ASCII domain", func(t *testing.T) {
			got, err := db.FindUserByID(ctx, jorg.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Email != "jörg@xn--bcher-kva.de" {
				t.Fatalf("email stored as %q", got.Email)
			}
		})
		for _, id := range []string{"jörg@bücher.de", "JÖRG@xn--bcher-kva.de", "jorg@contoso.onmicrosoft.com", "aad-j", "29:jorg"} {
			t.Run("found by "+id, func(t *testing.T) {
				users, err := db.FindUsersByIdentity(ctx, id)
				if err != nil {
					t.Fatal(err)
				}
				if len(users) != 1 || users[0].ID != jorg.ID {
					t.Fatalf("FindUsersByIdentity(%q) = %+v", id, users)
				}
			})
		}
		t.Run("the Unicode form finds the same user by email", func(t *testing.T) {
			users, err := db.FindUsersByEmail(ctx, "jörg@bücher.de")
			if err != nil || len(users) != 1 || users[0].ID != jorg.ID {
				t.Fatalf("FindUsersByEmail = %+v, %v", users, err)
			}
		})
		t.Run("nothing and nobody else", func(t *testing.T) {
			for _, id := range []string{"", "  ", "someone@else.de"} {
				if users, err := db.FindUsersByIdentity(ctx, id); err != nil || len(users) != 0 {
					t.Fatalf("FindUsersByIdentity(%q) = %+v, %v", id, users, err)
				}
			}
		})
	})
}
