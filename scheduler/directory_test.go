package scheduler_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/segmentbot/segmentbot"
	"github.com/segmentbot/segmentbot/bot/teams"
	"github.com/segmentbot/segmentbot/bot/teams/teamstest"
	"github.com/segmentbot/segmentbot/scheduler"
	"github.com/segmentbot/segmentbot/store"
	"github.com/segmentbot/segmentbot/store/storetest"
)

// directoryWorld is a world whose Teams users are in a fake Graph.
type directoryWorld struct {
	*world
	kit   *teamstest.Kit
	graph *teams.Graph
	users map[string]*segmentbot.User // by AAD object id
}

func newDirectoryWorld(t *testing.T, db *store.DB) *directoryWorld {
	w := &directoryWorld{world: newWorld(t, db), kit: teamstest.New(t), users: map[string]*segmentbot.User{}}
	w.graph = teams.NewGraph(w.kit.Config())
	return w
}

// person is a known Teams user, in the bot's groups, whom Graph knows
// with attrs (Graph names).
func (w *directoryWorld) person(aad string, attrs map[string]string) *segmentbot.User {
	w.t.Helper()
	u := &segmentbot.User{Channel: segmentbot.ChannelTeams, TenantID: teamstest.TenantID, ExternalID: "29:" + aad, AADObjectID: aad,
		Name: aad, Active: true, InBotGroups: true, LastSeen: start}
	if err := w.db.UpsertUser(w.ctx, u); err != nil {
		w.t.Fatalf("upsert %s: %v", aad, err)
	}
	w.kit.AddGraphUser(teamstest.GraphUser{ID: aad, UPN: aad + "@contoso.com", Name: aad, Attributes: attrs})
	w.users[aad] = u
	return u
}

// syncer is a replica that syncs the directory in batches of 3 users.
func (w *directoryWorld) syncer(worker string) *scheduler.Scheduler {
	return w.scheduler(worker, func(c *scheduler.Config) {
		c.Directory, c.DirectoryBatch = w.graph, 3
	})
}

func (w *directoryWorld) sync(s *scheduler.Scheduler) {
	w.t.Helper()
	if err := s.SyncDirectory(w.ctx); err != nil {
		w.t.Fatalf("directory sync: %v", err)
	}
}

// attrs returns a user's attributes as name=value.
func (w *directoryWorld) attrs(aad string) []string {
	w.t.Helper()
	attrs, err := w.db.FindAttributes(w.ctx, w.users[aad].ID)
	if err != nil {
		w.t.Fatal(err)
	}
	var out []string
	for _, a := range attrs {
		if a.Source != segmentbot.AttributeDirectory {
			w.t.Errorf("%s's %s has source %s", aad, a.Name, a.Source)
		}
		out = append(out, a.Name+"="+a.Value)
	}
	return out
}

// active says whether a known user is active (not left); a user the
// store no longer has fails the test: none is ever deleted.
func (w *directoryWorld) active(aad string) bool {
	w.t.Helper()
	u, err := w.db.FindUserByID(w.ctx, w.users[aad].ID)
	if err != nil {
		w.t.Fatalf("%s: %v; want kept", aad, err)
	}
	return u.Active
}

// members returns the AAD ids of the segment's members, sorted.
func (w *directoryWorld) members(seg *segmentbot.Segment) []string {
	w.t.Helper()
	ms, err := w.db.FindMembers(w.ctx, seg.ID, segmentbot.Page{Limit: 1000})
	if err != nil {
		w.t.Fatal(err)
	}
	var out []string
	for _, m := range ms {
		for aad, u := range w.users {
			if u.ID == m.UserID {
				out = append(out, aad)
			}
		}
	}
	slices.Sort(out)
	return out
}

func TestDirectorySync(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newDirectoryWorld(t, db)
		sales := map[string]string{"department": "Sales", "country": "UK", "jobTitle": "Rep"}
		w.person("aad-ann", sales)
		w.person("aad-bob", map[string]string{"department": "Marketing", "country": "UK"})
		w.person("aad-cy", sales)
		w.person("aad-dee", sales)
		w.person("aad-eve", map[string]string{"department": "Legal"})
		w.kit.AddGraphUser(teamstest.GraphUser{ID: "aad-stranger", UPN: "stranger@contoso.com"}) // no known user
		w.kit.SetDeltaPageSize(2)
		ukSales := &segmentbot.Segment{Name: "UK Sales", Filter: &segmentbot.Filter{All: []segmentbot.Condition{
			{Attribute: "country", Op: segmentbot.OpIn, Values: []string{"uk"}},
			{Attribute: "department", Op: segmentbot.OpIn, Values: []string{"sales"}},
		}}}
		if err := db.CreateSegment(w.ctx, ukSales); err != nil {
			t.Fatal(err)
		}
		s1, s2 := w.syncer("replica-1"), w.syncer("replica-2")

		w.sync(s1)
		t.Run("the first sync follows every page with $select and stores the attributes", func(t *testing.T) {
			asks := w.kit.DeltaRequests()
			if len(asks) != 3 || !strings.Contains(asks[0], "$select=") || !strings.Contains(asks[1], "$skiptoken=") {
				t.Fatalf("delta requests %q", asks)
			}
			if sel := w.kit.GraphSelects(); len(sel) != 1 || !strings.Contains(sel[0], "department") || !strings.Contains(sel[0], "preferredLanguage") {
				t.Fatalf("$select %q", sel)
			}
			want := []string{"city=", "companyname=", "country=UK", "department=Sales", "employeetype=", "jobtitle=Rep", "officelocation=", "preferredlanguage="}
			want = slices.DeleteFunc(want, func(s string) bool { return strings.HasSuffix(s, "=") }) // nulls are not stored
			if got := w.attrs("aad-ann"); !slices.Equal(got, want) {
				t.Fatalf("ann's attributes %v, want %v", got, want)
			}
		})
		t.Run("rule segments follow the first sync", func(t *testing.T) {
			if got := w.members(ukSales); !slices.Equal(got, []string{"aad-ann", "aad-cy", "aad-dee"}) {
				t.Fatalf("UK Sales %v", got)
			}
			if !strings.Contains(w.logs.String(), "directory sync") || !strings.Contains(w.logs.String(), "matched=5") {
				t.Fatalf("no summary line in %s", w.logs.String())
			}
		})
		t.Run("another replica's run of the same schedule syncs nothing again", func(t *testing.T) {
			before := len(w.kit.DeltaRequests())
			w.sync(s2)
			if n := len(w.kit.DeltaRequests()); n != before {
				t.Fatalf("the second replica asked Graph %d more times", n-before)
			}
		})

		// The directory changes: Bob moves to Sales, Ann to Marketing, Cy
		// leaves the company, Dee's account is disabled.
		w.kit.AddGraphUser(teamstest.GraphUser{ID: "aad-bob", UPN: "aad-bob@contoso.com", Attributes: map[string]string{"department": "Sales", "country": "UK"}})
		w.kit.AddGraphUser(teamstest.GraphUser{ID: "aad-ann", UPN: "aad-ann@contoso.com", Attributes: map[string]string{"department": "Marketing", "country": "UK"}})
		w.kit.RemoveGraphUser("", "aad-cy")
		w.kit.AddGraphUser(teamstest.GraphUser{ID: "aad-dee", UPN: "aad-dee@contoso.com", Disabled: true, Attributes: sales})
		w.kit.ThrottleDelta(1, "1")
		w.clock.Set(start.Add(24 * time.Hour))
		before := len(w.kit.DeltaRequests())
		w.sync(s2)
		t.Run("the next sync reads from the kept deltaLink, after waiting out a 429", func(t *testing.T) {
			asks := w.kit.DeltaRequests()[before:]
			if len(asks) != 3 || !strings.Contains(asks[0], "$deltatoken=") || asks[0] != asks[1] {
				t.Fatalf("delta requests %q, want the throttled deltaLink asked again, then one more page", asks)
			}
		})
		t.Run("changed attributes are stored; a removed or disabled user is left, not deleted", func(t *testing.T) {
			if got := w.attrs("aad-ann"); !slices.Equal(got, []string{"country=UK", "department=Marketing"}) {
				t.Errorf("ann's attributes %v", got)
			}
			for _, aad := range []string{"aad-cy", "aad-dee"} {
				u, err := db.FindUserByID(w.ctx, w.users[aad].ID)
				if err != nil || u.Active {
					t.Errorf("%s: %+v, %v; want kept and inactive", aad, u, err)
				}
			}
			if got := w.attrs("aad-cy"); !slices.Contains(got, "department=Sales") {
				t.Errorf("removed cy's attributes %v, want them kept", got)
			}
		})
		t.Run("rule segments follow the directory", func(t *testing.T) {
			if got := w.members(ukSales); !slices.Equal(got, []string{"aad-bob"}) {
				t.Fatalf("UK Sales after the changes %v, want only bob", got)
			}
			events, err := db.FindEvents(w.ctx, ukSales.ID, 0)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range events {
				if e.Source != segmentbot.SourceRule {
					t.Fatalf("membership event %+v, want source rule", e)
				}
			}
		})
	})
}

func TestDirectorySyncFailureKeepsTheLink(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newDirectoryWorld(t, db)
		w.person("aad-ann", map[string]string{"department": "Sales"})
		s := w.syncer("replica-1")
		w.sync(s)
		w.kit.ThrottleDelta(100, "0")
		w.clock.Set(start.Add(24 * time.Hour))
		if err := s.SyncDirectory(w.ctx); err == nil || !strings.Contains(err.Error(), teamstest.TenantID) {
			t.Fatalf("a sync Graph keeps refusing: %v", err)
		}
		link, ok, err := db.ClaimDirectorySync(w.ctx, segmentbot.ChannelTeams, teamstest.TenantID, "probe", w.clock.Now(), time.Minute)
		if err != nil || !ok || !strings.Contains(link, "$deltatoken=") {
			t.Fatalf("after a failure: link %q, ok %t, %v; want the lease released and the link kept", link, ok, err)
		}
	})
}

func TestDirectorySyncSkipsATenantTheBotMayNotRead(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newDirectoryWorld(t, db)
		w.person("aad-ann", map[string]string{"department": "Sales"})
		guest := &segmentbot.User{Channel: segmentbot.ChannelTeams, TenantID: teamstest.OtherTenantID, ExternalID: "29:guest", AADObjectID: "aad-guest", Active: true}
		if err := db.UpsertUser(w.ctx, guest); err != nil {
			t.Fatal(err)
		}
		w.sync(w.syncer("replica-1"))
		if got := w.attrs("aad-ann"); !slices.Equal(got, []string{"department=Sales"}) {
			t.Fatalf("the home tenant was not synced: %v", got)
		}
		if logs := w.logs.String(); !strings.Contains(logs, "directory sync skips a tenant") || !strings.Contains(logs, "synced=1") || !strings.Contains(logs, "failed=0") {
			t.Fatalf("logs %s", logs)
		}
	})
}

func TestDirectorySyncWritesAUserReportedTwiceAsTheLaterSays(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newDirectoryWorld(t, db)
		for i := range 8 {
			w.person(fmt.Sprintf("aad-%d", i), map[string]string{"department": "Legal"})
		}
		w.person("aad-ann", map[string]string{"department": "Sales"})
		// Ann changed while the read went on: Graph reports her again
		// right after, newer. Every user is a batch of its own, 3 written
		// at once.
		w.kit.AppendToDelta(teamstest.GraphUser{ID: "aad-ann", UPN: "aad-ann@contoso.com", Attributes: map[string]string{"department": "Marketing"}})
		w.kit.SetDeltaPageSize(1)
		s := w.scheduler("replica-1", func(c *scheduler.Config) {
			c.Directory, c.DirectoryBatch, c.DirectoryWriters = w.graph, 1, 3
		})
		w.sync(s)
		if got := w.attrs("aad-ann"); !slices.Equal(got, []string{"department=Marketing"}) {
			t.Fatalf("ann's attributes %v, want the later report's", got)
		}
	})
}

func TestDirectorySyncFullReadMarksTheUnlistedLeft(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newDirectoryWorld(t, db)
		w.person("aad-ann", map[string]string{"department": "Sales"})
		w.person("aad-bob", map[string]string{"department": "Sales"})
		// Gone from the directory before the tenant's first sync: Graph's
		// full read does not list them at all.
		gone := w.person("aad-gone", map[string]string{"department": "Sales"})
		if _, err := db.SaveAttributes(w.ctx, []segmentbot.Attribute{{UserID: gone.ID, Name: "department", Value: "Sales", Source: segmentbot.AttributeDirectory}}); err != nil {
			t.Fatal(err)
		}
		w.kit.RemoveGraphUser("", "aad-gone")
		w.kit.SetDeltaPageSize(1)
		sales := &segmentbot.Segment{Name: "Sales", Filter: &segmentbot.Filter{All: []segmentbot.Condition{
			{Attribute: "department", Op: segmentbot.OpIn, Values: []string{"sales"}},
		}}}
		if err := db.CreateSegment(w.ctx, sales); err != nil {
			t.Fatal(err)
		}
		s := w.syncer("replica-1")
		w.sync(s)
		t.Run("the first, full sync marks a known user it did not list as left, not deleted", func(t *testing.T) {
			if w.active("aad-gone") {
				t.Fatal("gone is still active")
			}
			if !w.active("aad-ann") || !w.active("aad-bob") {
				t.Fatal("a user the directory lists was marked as left")
			}
			if got := w.attrs("aad-gone"); !slices.Equal(got, []string{"department=Sales"}) {
				t.Fatalf("gone's attributes %v, want them kept", got)
			}
			if logs := w.logs.String(); !strings.Contains(logs, "left=1") {
				t.Fatalf("logs %s, want left=1", logs)
			}
		})
		t.Run("rule segments drop them in the same run", func(t *testing.T) {
			if got := w.members(sales); !slices.Equal(got, []string{"aad-ann", "aad-bob"}) {
				t.Fatalf("Sales %v", got)
			}
		})

		// A user the store learns of after the first sync, whom the
		// directory does not report in a delta: only a full read may
		// conclude that a user is gone.
		w.users["aad-late"] = &segmentbot.User{Channel: segmentbot.ChannelTeams, TenantID: teamstest.TenantID, ExternalID: "29:aad-late",
			AADObjectID: "aad-late", Name: "aad-late", Active: true, InBotGroups: true, LastSeen: start}
		if err := db.UpsertUser(w.ctx, w.users["aad-late"]); err != nil {
			t.Fatal(err)
		}
		w.kit.AddGraphUser(teamstest.GraphUser{ID: "aad-ann", UPN: "aad-ann@contoso.com", Attributes: map[string]string{"department": "Legal"}})
		w.clock.Set(start.Add(24 * time.Hour))
		before := len(w.kit.DeltaRequests())
		w.sync(s)
		t.Run("a later delta sync marks nobody left for not being listed", func(t *testing.T) {
			if asks := w.kit.DeltaRequests()[before:]; len(asks) == 0 || !strings.Contains(asks[0], "$deltatoken=") {
				t.Fatalf("delta requests %q, want the kept deltaLink", asks)
			}
			if got := w.attrs("aad-ann"); !slices.Equal(got, []string{"department=Legal"}) {
				t.Fatalf("ann's attributes %v: the delta was not applied", got)
			}
			for _, aad := range []string{"aad-ann", "aad-bob", "aad-late"} {
				if !w.active(aad) {
					t.Errorf("%s was marked as left by a delta sync", aad)
				}
			}
		})
		t.Run("a user the directory reports again is active again", func(t *testing.T) {
			w.kit.AddGraphUser(teamstest.GraphUser{ID: "aad-gone", UPN: "aad-gone@contoso.com", Attributes: map[string]string{"department": "Sales"}})
			w.clock.Set(start.Add(48 * time.Hour))
			w.sync(s)
			if !w.active("aad-gone") {
				t.Fatal("gone is still left after the directory reported them")
			}
		})
	})
}

// Graph keeps a delta link's state for a while only: a sync whose stored
// link expired reads every user again, and that full read concludes, as
// the tenant's first does, that the known users it did not list are gone.
func TestDirectorySyncAfterAnExpiredLinkMarksTheUnlistedLeft(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newDirectoryWorld(t, db)
		w.person("aad-ann", map[string]string{"department": "Sales"})
		w.person("aad-gone", map[string]string{"department": "Sales"})
		s := w.syncer("replica-1")
		w.sync(s)

		// Gone leaves the directory while the stored link expires: the
		// delta that would have reported the removal is lost with it.
		w.kit.RemoveGraphUser("", "aad-gone")
		w.kit.ExpireDeltaTokens()
		w.clock.Set(start.Add(24 * time.Hour))
		before, logged := len(w.kit.DeltaRequests()), len(w.logs.String())
		w.sync(s)

		asks := w.kit.DeltaRequests()[before:]
		if len(asks) < 2 || !strings.Contains(asks[0], "$deltatoken=") || strings.Contains(asks[1], "token=") {
			t.Fatalf("delta requests %q, want the stored link, then a read of every user", asks)
		}
		if w.active("aad-gone") {
			t.Error("gone, whom the full read did not list, is still active")
		}
		if !w.active("aad-ann") {
			t.Error("ann, whom the full read listed, was marked as left")
		}
		if got := w.attrs("aad-gone"); !slices.Equal(got, []string{"department=Sales"}) {
			t.Errorf("gone's attributes %v, want them kept", got)
		}
		logs := w.logs.String()[logged:]
		if !strings.Contains(logs, "the stored delta link had expired, so every user was read again") ||
			!strings.Contains(logs, "tenant="+teamstest.TenantID) || !strings.Contains(logs, "left=1") {
			t.Errorf("logs %s, want the expired link and the full read said, with one user left", logs)
		}

		// The full read stored a new link: the next sync reads changes.
		w.clock.Set(start.Add(48 * time.Hour))
		before = len(w.kit.DeltaRequests())
		w.sync(s)
		if asks := w.kit.DeltaRequests()[before:]; len(asks) != 1 || !strings.Contains(asks[0], "$deltatoken=") {
			t.Fatalf("delta requests of the next sync %q, want one from the new deltaLink", asks)
		}
	})
}
