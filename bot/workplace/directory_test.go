package workplace

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/segmentbot/segmentbot"
	"github.com/segmentbot/segmentbot/bot/workplace/workplacetest"
)

// community fills the fake Graph: alice and dave are in group g1, carol in
// no group, bob is deactivated.
func community(s *setup) {
	s.graph.Members = []workplacetest.Member{
		{ID: "1001", Name: "Alice", Email: "Alice@Example.com"},
		{ID: "1002", Name: "Bob", Email: "bob@example.com", AccountStatus: "deactivated"},
		{ID: "1003", Name: "Carol", Email: "carol@example.com"},
		{ID: "1004", Name: "Dave", Email: "dave@example.com"},
	}
	s.graph.Groups["g1"] = []string{"1001", "1004"}
	s.graph.Fail["denied@example.com"] = workplacetest.ErrPermission
	s.graph.Fail["denied10@example.com"] = workplacetest.ErrPermission10
	s.graph.Fail["nomatch@example.com"] = workplacetest.ErrNoMatchingUser
	s.graph.Fail["busy@example.com"] = workplacetest.ErrTooManyCalls
}

func email(v string) segmentbot.Miss   { return segmentbot.Miss{Kind: segmentbot.KindEmail, Norm: v} }
func numeric(v string) segmentbot.Miss { return segmentbot.Miss{Kind: segmentbot.KindNumeric, Norm: v} }

func TestLookup(t *testing.T) {
	tests := []struct {
		name       string
		miss       segmentbot.Miss
		wantReason string
		wantUser   *segmentbot.User // compared on ExternalID, Email, Name, Active, InBotGroups
	}{
		{"member of the bot's group by email", email("alice@example.com"), "",
			&segmentbot.User{ExternalID: "1001", Email: "alice@example.com", Name: "Alice", Active: true, InBotGroups: true}},
		{"member of the bot's group by id", numeric("1004"), "",
			&segmentbot.User{ExternalID: "1004", Email: "dave@example.com", Name: "Dave", Active: true, InBotGroups: true}},
		{"member outside the bot's groups", email("carol@example.com"), "",
			&segmentbot.User{ExternalID: "1003", Email: "carol@example.com", Name: "Carol", Active: true}},
		{"deactivated member is inactive", email("bob@example.com"), "",
			&segmentbot.User{ExternalID: "1002", Email: "bob@example.com", Name: "Bob"}},
		{"unknown alias (803) is not found", email("nobody@example.com"), segmentbot.ReasonNotFound, nil},
		{"unknown id (803) is not found", numeric("999"), segmentbot.ReasonNotFound, nil},
		{"invalid parameter (100) is not found", email("nomatch@example.com"), segmentbot.ReasonNotFound, nil},
		{"permission error 200 is permission denied", email("denied@example.com"), segmentbot.ReasonPermissionDenied, nil},
		{"permission error 10 is permission denied", email("denied10@example.com"), segmentbot.ReasonPermissionDenied, nil},
		{"rate limit outliving the retries is a lookup error", email("busy@example.com"), segmentbot.ReasonLookupError, nil},
		{"AAD object id is not a Workplace user", segmentbot.Miss{Kind: segmentbot.KindAADID, Norm: "6f1c1a52-0e45-4bd4-8c9c-6f5a3a2c1a10"}, segmentbot.ReasonNotFound, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSetup(t, "sqlite", "g1")
			community(s)
			got, err := s.ch.Lookup(context.Background(), "community-1", []segmentbot.Miss{tt.miss})
			if err != nil {
				t.Fatalf("Lookup: %v", err)
			}
			if len(got) != 1 || got[0].Miss != tt.miss {
				t.Fatalf("Lookup = %+v; want one result for %v", got, tt.miss)
			}
			r := got[0]
			if r.Reason != tt.wantReason {
				t.Fatalf("reason %q; want %q", r.Reason, tt.wantReason)
			}
			if tt.wantUser == nil {
				if r.User != nil {
					t.Fatalf("user %+v; want none", r.User)
				}
				return
			}
			u := r.User
			if u == nil || u.ExternalID != tt.wantUser.ExternalID || u.Email != tt.wantUser.Email || u.Name != tt.wantUser.Name ||
				u.Active != tt.wantUser.Active || u.InBotGroups != tt.wantUser.InBotGroups ||
				u.Channel != segmentbot.ChannelWorkplace || u.TenantID != "community-1" {
				t.Fatalf("user %+v; want %+v of workplace tenant community-1", u, tt.wantUser)
			}
		})
	}
}

func TestLookupBatches(t *testing.T) {
	t.Run("known emails go 50 to a call", func(t *testing.T) {
		s := newSetup(t, "sqlite")
		var misses []segmentbot.Miss
		for i := range 120 {
			s.graph.Members = append(s.graph.Members, workplacetest.Member{ID: fmt.Sprint(5000 + i), Email: fmt.Sprintf("u%d@example.com", i)})
			misses = append(misses, email(fmt.Sprintf("u%d@example.com", i)))
		}
		got, err := s.ch.Lookup(context.Background(), "c", misses)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range got {
			if r.User == nil || !r.User.InBotGroups {
				t.Fatalf("%v: %+v; want found, in the bot's groups (none configured)", r.Miss, r)
			}
		}
		if calls := s.graph.Requests(); len(calls) != 3 || !strings.Contains(calls[0], "ids=") {
			t.Fatalf("calls %v; want 3 batch calls", calls)
		}
	})
	t.Run("a batch refused for one unknown alias falls back to one call each", func(t *testing.T) {
		s := newSetup(t, "sqlite", "g1")
		community(s)
		got, err := s.ch.Lookup(context.Background(), "c", []segmentbot.Miss{email("alice@example.com"), email("ghost@example.com"), numeric("1003")})
		if err != nil {
			t.Fatal(err)
		}
		want := []string{"1001", segmentbot.ReasonNotFound, "1003"} // a user id or a reason
		for i, r := range got {
			have := r.Reason
			if r.User != nil {
				have = r.User.ExternalID
			}
			if have != want[i] {
				t.Errorf("result %d = %+v; want %s", i, r, want[i])
			}
		}
		if calls := len(s.graph.Requests()); calls != 1+1+3 {
			t.Errorf("made %d calls; want the group page, the batch and 3 single lookups", calls)
		}
	})
	t.Run("a throttled batch is retried", func(t *testing.T) {
		s := newSetup(t, "sqlite")
		community(s)
		s.graph.Throttle = []workplacetest.Error{workplacetest.ErrThrottled, workplacetest.ErrTooManyCalls}
		got, err := s.ch.Lookup(context.Background(), "c", []segmentbot.Miss{email("carol@example.com")})
		if err != nil || got[0].User == nil {
			t.Fatalf("Lookup = %+v, %v; want carol found after the retries", got, err)
		}
	})
	t.Run("someone outside the groups who chatted with the bot is reachable", func(t *testing.T) {
		s := newSetup(t, "sqlite", "g1")
		community(s)
		if err := s.deliver(t, workplacetest.Body(workplacetest.Event{Sender: "1003", Community: "c", Page: "b", MID: "m1", Text: "hi"})); err != nil {
			t.Fatal(err)
		}
		got, err := s.ch.Lookup(context.Background(), "c", []segmentbot.Miss{email("carol@example.com")})
		if err != nil || got[0].User == nil || !got[0].User.InBotGroups {
			t.Fatalf("Lookup = %+v, %v; want carol in the bot's groups", got, err)
		}
	})
	t.Run("a cancelled context is an error, not a lookup error per row", func(t *testing.T) {
		s := newSetup(t, "sqlite")
		community(s)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := s.ch.Lookup(ctx, "c", []segmentbot.Miss{email("carol@example.com")}); err == nil {
			t.Fatal("Lookup succeeded; want the context's error")
		}
	})
}

func TestSyncGroups(t *testing.T) {
	eachStore(t, testSyncGroups)
}

func testSyncGroups(t *testing.T, dialect string) {
	s := newSetup(t, dialect, "g1", "g2")
	community(s)
	s.graph.Groups["g1"] = []string{"1001", "1002", "1003", "1004"}
	s.graph.Groups["g2"] = []string{"1004"}
	s.graph.PageSize = 3
	if err := s.ch.SyncGroups(context.Background()); err != nil {
		t.Fatalf("SyncGroups: %v", err)
	}
	var pages []string
	for _, r := range s.graph.Requests() {
		if strings.Contains(r, "/members") {
			pages = append(pages, r)
		}
	}
	if len(pages) != 3 || !strings.Contains(pages[1], "after=3") {
		t.Fatalf("member pages read: %v; want g1 in two pages (following paging.next) and g2 in one", pages)
	}
	for _, id := range []string{"1001", "1002", "1003", "1004"} {
		if u := s.stored(t, id); u == nil || !u.InBotGroups {
			t.Errorf("user %s = %+v; want a workplace user in the bot's groups", id, u)
		}
	}
	if u := s.stored(t, "1001"); u.Email != "alice@example.com" || u.Name != "Alice" {
		t.Errorf("alice stored as %+v", u)
	}
	calls := len(s.graph.Requests())
	got, err := s.ch.Lookup(context.Background(), "c", []segmentbot.Miss{email("carol@example.com")})
	if err != nil || got[0].User == nil || !got[0].User.InBotGroups {
		t.Fatalf("Lookup after sync = %+v, %v; want carol in the bot's groups", got, err)
	}
	if len(s.graph.Requests()) != calls+1 {
		t.Fatalf("Lookup reloaded the groups; want the synced set reused")
	}
}

func TestSyncGroupsRefusesForeignPagingLink(t *testing.T) {
	s := newSetup(t, "sqlite", "g1")
	s.graph.Members = []workplacetest.Member{{ID: "1", Email: "a@example.com"}, {ID: "2", Email: "b@example.com"}}
	s.graph.Groups["g1"] = []string{"1", "2"}
	s.graph.PageSize = 1
	s.graph.PagingHost = "graph.example.net"
	err := s.ch.SyncGroups(context.Background())
	if err == nil || !strings.Contains(err.Error(), "leaves the Graph host") {
		t.Fatalf("SyncGroups = %v; want a refusal to send the token to another host", err)
	}
}

func TestEmail(t *testing.T) {
	s := newSetup(t, "sqlite")
	community(s)
	got, err := s.ch.Email(context.Background(), &segmentbot.User{ExternalID: "1001"})
	if err != nil || got != "alice@example.com" {
		t.Fatalf("Email = %q, %v; want alice@example.com", got, err)
	}
	if _, err := s.ch.Email(context.Background(), &segmentbot.User{ExternalID: "999"}); segmentbot.ErrorCode(err) != segmentbot.ENOTFOUND {
		t.Fatalf("Email of an unknown id = %v; want ENOTFOUND", err)
	}
}

func TestSenderCarriesWhatTheDirectoryKnows(t *testing.T) {
	s := newSetup(t, "sqlite", "g1")
	community(s)
	if err := s.ch.SyncGroups(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := s.deliver(t, workplacetest.Body(workplacetest.Event{Sender: "1001", Community: "c", Page: "b", MID: "m1", Text: "segments"})); err != nil {
		t.Fatal(err)
	}
	got := s.bot.Events()[0].Sender
	if got.Email != "alice@example.com" || got.Name != "Alice" || got.TenantID != "c" {
		t.Fatalf("sender = %+v; want alice's email and name from the group sync, tenant c", got)
	}
}
