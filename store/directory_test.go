package store_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/segmentbot/segmentbot"
	"github.com/segmentbot/segmentbot/store"
	"github.com/segmentbot/segmentbot/store/storetest"
)

const (
	dirTenant = "tenant-a"
	dirLease  = time.Minute
)

// claim claims the tenant's sync for worker and wants it granted.
func claim(t *testing.T, db *store.DB, worker string, since time.Time) string {
	t.Helper()
	link, ok, err := db.ClaimDirectorySync(context.Background(), segmentbot.ChannelTeams, dirTenant, worker, since, dirLease)
	if err != nil || !ok {
		t.Fatalf("claim by %s: ok %t, %v", worker, ok, err)
	}
	return link
}

func TestDirectorySyncLease(t *testing.T) {
	ctx := context.Background()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		clock := useClock(db)
		start := clock.t
		t.Run("a first claim gets no link; a second worker is refused while the lease holds", func(t *testing.T) {
			if link := claim(t, db, "w1", start); link != "" {
				t.Fatalf("first link %q", link)
			}
			if _, ok, err := db.ClaimDirectorySync(ctx, segmentbot.ChannelTeams, dirTenant, "w2", start, dirLease); ok || err != nil {
				t.Fatalf("second claim: ok %t, %v", ok, err)
			}
		})
		t.Run("the finished sync's link is what the next run reads from", func(t *testing.T) {
			clock.t = clock.t.Add(time.Second)
			if err := db.FinishDirectorySync(ctx, segmentbot.ChannelTeams, dirTenant, "w1", "https://graph/users/delta?$deltatoken=1"); err != nil {
				t.Fatal(err)
			}
			// Another replica's run of the same schedule, started before
			// the sync finished, leaves the tenant alone.
			if _, ok, err := db.ClaimDirectorySync(ctx, segmentbot.ChannelTeams, dirTenant, "w2", start, dirLease); ok || err != nil {
				t.Fatalf("claim of the same run: ok %t, %v", ok, err)
			}
			clock.t = clock.t.Add(24 * time.Hour)
			if link := claim(t, db, "w2", clock.t); link != "https://graph/users/delta?$deltatoken=1" {
				t.Fatalf("next run's link %q", link)
			}
		})
		t.Run("a failed sync keeps the link; a worker that lost the lease may not finish", func(t *testing.T) {
			if err := db.FinishDirectorySync(ctx, segmentbot.ChannelTeams, dirTenant, "w1", "https://graph/stale"); segmentbot.ErrorCode(err) != segmentbot.ECONFLICT {
				t.Fatalf("finish by a worker without the lease: %v", err)
			}
			if err := db.FinishDirectorySync(ctx, segmentbot.ChannelTeams, dirTenant, "w2", ""); err != nil {
				t.Fatal(err)
			}
			if link := claim(t, db, "w3", clock.t); link != "https://graph/users/delta?$deltatoken=1" {
				t.Fatalf("link after a failed sync %q", link)
			}
		})
		t.Run("a lease that ran out is taken over", func(t *testing.T) {
			clock.t = clock.t.Add(2 * dirLease)
			claim(t, db, "w4", clock.t)
			_, err := db.SaveDirectoryUsers(ctx, segmentbot.ChannelTeams, dirTenant, "w3", dirLease, nil)
			wantCode(t, err, segmentbot.ECONFLICT)
		})
		t.Run("bad input is refused", func(t *testing.T) {
			_, _, err := db.ClaimDirectorySync(ctx, segmentbot.ChannelTeams, "", "w", start, dirLease)
			wantCode(t, err, segmentbot.EINVALID)
		})
	})
}

func TestSaveDirectoryUsers(t *testing.T) {
	ctx := context.Background()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ann := mustUser(t, db, segmentbot.User{ExternalID: "29:ann", TenantID: dirTenant, AADObjectID: "aad-ann", Active: true})
		bob := mustUser(t, db, segmentbot.User{ExternalID: "29:bob", TenantID: dirTenant, AADObjectID: "aad-bob", Active: true})
		cy := mustUser(t, db, segmentbot.User{TenantID: dirTenant, AADObjectID: "aad-cy", Email: "cy@x.com"}) // inactive
		other := mustUser(t, db, segmentbot.User{ExternalID: "29:other", TenantID: "tenant-b", AADObjectID: "aad-dan", Active: true})
		claim(t, db, "w", time.Now())
		change, err := db.SaveDirectoryUsers(ctx, segmentbot.ChannelTeams, dirTenant, "w", dirLease, []*segmentbot.User{
			{AADObjectID: "AAD-ANN", Active: true},
			{AADObjectID: "aad-bob", Active: false}, // removed or disabled
			{AADObjectID: "aad-cy", Active: true},   // enabled again
			{AADObjectID: "aad-dan", Active: false}, // another tenant's id
			{AADObjectID: "aad-nobody", Active: false},
		})
		if err != nil {
			t.Fatal(err)
		}
		if want := (segmentbot.DirectoryChange{Seen: 5, Matched: 3, Left: 1}); change != want {
			t.Fatalf("change %+v, want %+v", change, want)
		}
		for _, tt := range []struct {
			u      *segmentbot.User
			active bool
		}{{ann, true}, {bob, false}, {cy, true}, {other, true}} {
			got, err := db.FindUserByID(ctx, tt.u.ID)
			if err != nil || got.Active != tt.active {
				t.Errorf("user %s: %+v, %v; want active %t", tt.u.AADObjectID, got, err, tt.active)
			}
		}
		tenants, err := db.DirectoryTenants(ctx, segmentbot.ChannelTeams)
		if err != nil || !slices.Equal(tenants, []string{dirTenant, "tenant-b"}) {
			t.Fatalf("tenants %v, %v", tenants, err)
		}
	})
}
