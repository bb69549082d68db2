package store_test

import (
	"context"
	"slices"
	"strings"
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
			_, err := db.SaveDirectoryUsers(ctx, segmentbot.ChannelTeams, dirTenant, "w3", dirLease, time.Now(), nil)
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
		mustSave(t, db, attr(ann, "jobtitle", "Rep"), attr(ann, "city", "Leeds"), attr(bob, "country", "UK"),
			segmentbot.Attribute{UserID: ann.ID, Name: "region", Value: "North", Source: segmentbot.AttributeImport})
		claim(t, db, "w", time.Now())
		change, err := db.SaveDirectoryUsers(ctx, segmentbot.ChannelTeams, dirTenant, "w", dirLease, time.Now(), []*segmentbot.User{
			{AADObjectID: "AAD-ANN", Active: true, Attributes: map[string]string{"department": " Sales ", "jobtitle": "", "country": "UK"}},
			{AADObjectID: "aad-bob", Active: false}, // removed or disabled
			{AADObjectID: "aad-cy", Active: true},   // enabled again
			{AADObjectID: "aad-dan", Active: false}, // another tenant's id
			{AADObjectID: "aad-nobody", Active: false},
		})
		if err != nil {
			t.Fatal(err)
		}
		if want := (segmentbot.DirectoryChange{Seen: 5, Matched: 3, Left: 1, Attributes: 1}); change != want {
			t.Fatalf("change %+v, want %+v", change, want)
		}
		// Given values are set, an empty one removed, one not given (city)
		// and a custom one left as they were; a removed user keeps theirs.
		want := []string{"city=Leeds (directory)", "country=UK (directory)", "department=Sales (directory)", "region=North (import)"}
		if got := attrsOf(t, db, ann); !slices.Equal(got, want) {
			t.Errorf("ann's attributes %v, want %v", got, want)
		}
		if got := attrsOf(t, db, bob); !slices.Equal(got, []string{"country=UK (directory)"}) {
			t.Errorf("removed bob's attributes %v", got)
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

func TestMarkUnseenLeft(t *testing.T) {
	ctx := context.Background()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		began := time.Date(2026, 12, 3, 9, 0, 0, 123456789, time.UTC)
		ann := mustUser(t, db, segmentbot.User{ExternalID: "29:ann", TenantID: dirTenant, AADObjectID: "aad-ann", Active: true})
		bob := mustUser(t, db, segmentbot.User{ExternalID: "29:bob", TenantID: dirTenant, AADObjectID: "aad-bob", Active: true})    // never reported
		cy := mustUser(t, db, segmentbot.User{ExternalID: "29:cy", TenantID: dirTenant, AADObjectID: "aad-cy", Active: true})       // reported by an earlier sync
		noAAD := mustUser(t, db, segmentbot.User{ExternalID: "29:dee", TenantID: dirTenant, Active: true})                          // not a directory user
		other := mustUser(t, db, segmentbot.User{ExternalID: "29:eve", TenantID: "tenant-b", AADObjectID: "aad-eve", Active: true}) // another tenant
		mustSave(t, db, attr(bob, "department", "Sales"))
		claim(t, db, "w", time.Now())
		if _, err := db.SaveDirectoryUsers(ctx, segmentbot.ChannelTeams, dirTenant, "w", dirLease, began.Add(-24*time.Hour), []*segmentbot.User{{AADObjectID: "aad-cy", Active: true}}); err != nil {
			t.Fatal(err)
		}
		if _, err := db.SaveDirectoryUsers(ctx, segmentbot.ChannelTeams, dirTenant, "w", dirLease, began, []*segmentbot.User{{AADObjectID: "AAD-ANN", Active: true}}); err != nil {
			t.Fatal(err)
		}
		t.Run("the tenant's users the sync did not report are left, not deleted", func(t *testing.T) {
			left, err := db.MarkUnseenLeft(ctx, segmentbot.ChannelTeams, dirTenant, began)
			if err != nil || left != 2 {
				t.Fatalf("left %d, %v; want 2", left, err)
			}
			for _, tt := range []struct {
				u      *segmentbot.User
				active bool
			}{{ann, true}, {bob, false}, {cy, false}, {noAAD, true}, {other, true}} {
				got, err := db.FindUserByID(ctx, tt.u.ID)
				if err != nil || got.Active != tt.active {
					t.Errorf("user %s: %+v, %v; want kept, active %t", tt.u.ExternalID, got, err, tt.active)
				}
			}
			if got := attrsOf(t, db, bob); !slices.Equal(got, []string{"department=Sales (directory)"}) {
				t.Errorf("bob's attributes %v, want them kept", got)
			}
		})
		t.Run("users already left are not counted again", func(t *testing.T) {
			if left, err := db.MarkUnseenLeft(ctx, segmentbot.ChannelTeams, dirTenant, began); err != nil || left != 0 {
				t.Fatalf("left %d, %v; want 0", left, err)
			}
		})
		t.Run("bad input is refused", func(t *testing.T) {
			_, err := db.MarkUnseenLeft(ctx, segmentbot.ChannelTeams, "", began)
			wantCode(t, err, segmentbot.EINVALID)
			_, err = db.MarkUnseenLeft(ctx, segmentbot.ChannelTeams, "tenant-b", time.Time{})
			wantCode(t, err, segmentbot.EINVALID)
			if got, err := db.FindUserByID(ctx, other.ID); err != nil || !got.Active {
				t.Errorf("another tenant's user after refused calls: %+v, %v", got, err)
			}
		})
	})
}

func TestUsersCarryTheirDirectoryAttributes(t *testing.T) {
	ctx := context.Background()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Run("a user upserted with attributes has them, source directory", func(t *testing.T) {
			u := mustUser(t, db, segmentbot.User{ExternalID: "29:wp", Active: true, Attributes: map[string]string{"Title": "Engineer", "locale": "en_GB", "division": ""}})
			if got := attrsOf(t, db, u); !slices.Equal(got, []string{"locale=en_GB (directory)", "title=Engineer (directory)"}) {
				t.Fatalf("attributes %v", got)
			}
		})
		t.Run("a roster with attributes stores them per user", func(t *testing.T) {
			roster := []*segmentbot.User{
				{Channel: segmentbot.ChannelWorkplace, ExternalID: "100", Attributes: map[string]string{"department": "Sales"}},
				{Channel: segmentbot.ChannelWorkplace, ExternalID: "101", Attributes: map[string]string{"department": "Legal"}},
			}
			if err := db.UpsertUsers(ctx, roster); err != nil {
				t.Fatal(err)
			}
			if got := attrsOf(t, db, roster[1]); !slices.Equal(got, []string{"department=Legal (directory)"}) {
				t.Fatalf("attributes %v", got)
			}
		})
		t.Run("a live lookup's users are saved with their attributes", func(t *testing.T) {
			seg := mustSegment(t, db, "Lookups")
			imp := &segmentbot.Import{SegmentID: seg.ID, Channel: segmentbot.ChannelTeams}
			if err := db.CreateImport(ctx, imp); err != nil {
				t.Fatal(err)
			}
			if _, err := db.StageRows(ctx, imp.ID, rows(email(1, "lu@contoso.com"))); err != nil {
				t.Fatal(err)
			}
			found := &segmentbot.User{Channel: segmentbot.ChannelTeams, TenantID: dirTenant, AADObjectID: "aad-lu", Email: "lu@contoso.com", Active: true,
				Attributes: map[string]string{"department": "Sales", "country": "UK", "city": ""}}
			err := db.SaveLookups(ctx, imp.ID, []segmentbot.LookupResult{{Miss: segmentbot.Miss{Kind: segmentbot.KindEmail, Norm: "lu@contoso.com"}, User: found}})
			if err != nil {
				t.Fatal(err)
			}
			users, err := db.FindUsersByEmail(ctx, "lu@contoso.com")
			if err != nil || len(users) != 1 {
				t.Fatalf("users %v, %v", users, err)
			}
			if got := attrsOf(t, db, users[0]); !slices.Equal(got, []string{"country=UK (directory)", "department=Sales (directory)"}) {
				t.Fatalf("attributes %v", got)
			}
		})
		t.Run("a value longer than the store keeps is cut, not refused", func(t *testing.T) {
			long := strings.Repeat("x", segmentbot.MaxAttributeValue+50)
			u := mustUser(t, db, segmentbot.User{ExternalID: "29:long", Attributes: map[string]string{"department": long}})
			attrs, err := db.FindAttributes(ctx, u.ID)
			if err != nil || len(attrs) != 1 || len(attrs[0].Value) != segmentbot.MaxAttributeValue {
				t.Fatalf("attributes %v, %v", attrs, err)
			}
			// 1,000 CJK characters are 3,000 bytes: cut to what PostgreSQL's
			// filter index takes, at a character boundary.
			cjk := mustUser(t, db, segmentbot.User{ExternalID: "29:cjk", Attributes: map[string]string{"department": strings.Repeat("語", 1000)}})
			attrs, err = db.FindAttributes(ctx, cjk.ID)
			if err != nil || len(attrs) != 1 || len(attrs[0].Value) != segmentbot.MaxAttributeBytes {
				t.Fatalf("attributes %v, %v", attrs, err)
			}
		})
	})
}
