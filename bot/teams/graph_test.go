package teams_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/segmentbot/segmentbot"
	"github.com/segmentbot/segmentbot/bot/teams"
	"github.com/segmentbot/segmentbot/bot/teams/teamstest"
)

func TestGraphLookup(t *testing.T) {
	kit := teamstest.New(t)
	kit.AddGraphUser(teamstest.GraphUser{ID: "AAAA-1", UPN: "ann@contoso.com", Mail: "Ann.Lee@contoso.com", Name: "Ann Lee"})
	kit.AddGraphUser(teamstest.GraphUser{ID: "bbbb-2", UPN: "gone@contoso.com", Name: "Gone", Disabled: true})
	kit.AddGraphUser(teamstest.GraphUser{ID: "cccc-3", UPN: "ck7@contoso.onmicrosoft.com", Mail: "carol.king@contoso.com", Name: "Carol King"})
	kit.AddGraphUser(teamstest.GraphUser{ID: "dddd-4", UPN: "o'neil@contoso.com", Name: "Dan O'Neil"})
	kit.GraphStatus("secret@contoso.com", 403)
	kit.GraphStatus("broken@contoso.com", 503)
	g := teams.NewGraph(kit.Config())

	tests := []struct {
		name   string
		miss   segmentbot.Miss
		reason string
		active bool
	}{
		{"an enabled user is found", segmentbot.Miss{Kind: segmentbot.KindEmail, Norm: "ann@contoso.com"}, "", true},
		{"a user is found by AAD object id", segmentbot.Miss{Kind: segmentbot.KindAADID, Norm: "aaaa-1"}, "", true},
		// Graph's GET /users/{value} knows only ids and UPNs; most people's
		// address is their mail, which only a $filter finds.
		{"a user is found by a mail that is not the UPN", segmentbot.Miss{Kind: segmentbot.KindEmail, Norm: "carol.king@contoso.com"}, "", true},
		{"a quote in an address is escaped in the filter", segmentbot.Miss{Kind: segmentbot.KindEmail, Norm: "o'neil@contoso.com"}, "", true},
		{"a disabled account is an inactive user", segmentbot.Miss{Kind: segmentbot.KindEmail, Norm: "gone@contoso.com"}, "", false},
		{"an address no user has is not_found", segmentbot.Miss{Kind: segmentbot.KindEmail, Norm: "nobody@contoso.com"}, segmentbot.ReasonNotFound, false},
		{"403 is permission_denied", segmentbot.Miss{Kind: segmentbot.KindEmail, Norm: "secret@contoso.com"}, segmentbot.ReasonPermissionDenied, false},
		{"5xx past the retries is lookup_error", segmentbot.Miss{Kind: segmentbot.KindEmail, Norm: "broken@contoso.com"}, segmentbot.ReasonLookupError, false},
		{"a numeric id is not a Teams user", segmentbot.Miss{Kind: segmentbot.KindNumeric, Norm: "1234"}, segmentbot.ReasonNotFound, false},
	}
	misses := make([]segmentbot.Miss, 0, len(tests))
	for _, tt := range tests {
		misses = append(misses, tt.miss)
	}
	results, err := g.Lookup(context.Background(), teamstest.TenantID, misses)
	if err != nil {
		t.Fatal(err)
	}
	byMiss := map[segmentbot.Miss]segmentbot.LookupResult{}
	for _, r := range results {
		byMiss[r.Miss] = r
	}
	if len(byMiss) != len(tests) {
		t.Fatalf("%d results for %d misses", len(byMiss), len(tests))
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := byMiss[tt.miss]
			if r.Reason != tt.reason {
				t.Fatalf("reason %q, want %q", r.Reason, tt.reason)
			}
			if tt.reason != "" {
				if r.User != nil {
					t.Fatalf("failure with a user %+v", r.User)
				}
				return
			}
			u := r.User
			if u == nil || u.Active != tt.active || u.Channel != segmentbot.ChannelTeams || u.InBotGroups || u.AADObjectID == "" {
				t.Fatalf("user %+v", u)
			}
		})
	}
	t.Run("found users carry lower-case mail and UPN", func(t *testing.T) {
		u := byMiss[tests[0].miss].User
		if u.Email != "ann.lee@contoso.com" || u.UPN != "ann@contoso.com" || u.AADObjectID != "aaaa-1" || u.Name != "Ann Lee" {
			t.Fatalf("user %+v", u)
		}
	})
}

// An email is asked as a UPN first (GET /users/{upn-or-id}, DESIGN §4);
// only when that is 404 is it asked again as a mail ($filter), so an
// address that is a UPN costs one request and one that is only a mail two.
func TestGraphLookupAsksByMailOnlyAfterTheUPNMissed(t *testing.T) {
	for _, tt := range []struct {
		name     string
		address  string
		requests int64
	}{
		{"a UPN is found by its path", "ck7@contoso.onmicrosoft.com", 1},
		{"a mail that is no UPN is found by a filter after a 404", "carol.king@contoso.com", 2},
	} {
		t.Run(tt.name, func(t *testing.T) {
			kit := teamstest.New(t)
			kit.AddGraphUser(teamstest.GraphUser{ID: "cccc-3", UPN: "ck7@contoso.onmicrosoft.com", Mail: "carol.king@contoso.com"})
			results, err := teams.NewGraph(kit.Config()).Lookup(context.Background(), teamstest.TenantID,
				[]segmentbot.Miss{{Kind: segmentbot.KindEmail, Norm: tt.address}})
			if err != nil || len(results) != 1 || results[0].User == nil || results[0].User.AADObjectID != "cccc-3" {
				t.Fatalf("results %+v, %v", results, err)
			}
			if n := kit.GraphRequests(); n != tt.requests {
				t.Fatalf("%d Graph requests, want %d", n, tt.requests)
			}
		})
	}
}

func TestGraphLookupBatchesAndRetriesThrottledRequests(t *testing.T) {
	kit := teamstest.New(t)
	var misses []segmentbot.Miss
	for i := range 45 {
		upn := fmt.Sprintf("user%d@contoso.com", i)
		kit.AddGraphUser(teamstest.GraphUser{ID: fmt.Sprintf("id-%d", i), UPN: upn})
		misses = append(misses, segmentbot.Miss{Kind: segmentbot.KindEmail, Norm: upn})
	}
	kit.ThrottleGraph(2)
	results, err := teams.NewGraph(kit.Config()).Lookup(context.Background(), teamstest.TenantID, misses)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range results {
		if r.User == nil {
			t.Fatalf("%s: %s, want found after the throttling passed", r.Miss.Norm, r.Reason)
		}
	}
	// 3 batches of 20+20+5, plus one retry of the 2 throttled requests.
	if n := kit.GraphRequests(); n != 4 {
		t.Fatalf("%d Graph requests, want 4", n)
	}
	asks := kit.TokenAsks()
	if len(asks) != 1 || asks[0].Scope != "https://graph.microsoft.com/.default" {
		t.Fatalf("token requests %+v, want one for the Graph scope", asks)
	}
}

func TestGraphEmail(t *testing.T) {
	kit := teamstest.New(t)
	kit.AddGraphUser(teamstest.GraphUser{ID: "id-1", UPN: "ann@contoso.com", Mail: "Ada@Contoso.com"})
	kit.AddGraphUser(teamstest.GraphUser{ID: "id-2", UPN: "bo@contoso.com"})
	kit.AddGraphUser(teamstest.GraphUser{ID: "id-3", UPN: "eve@fabrikam.com", Mail: "ada@contoso.com", Tenant: teamstest.OtherTenantID})
	cfg := kit.Config()
	cfg.AppType = teams.AppTypeMultiTenant
	g := teams.NewGraph(cfg)
	tests := []struct {
		name, aad, tenant, want, code string
	}{
		{"the UPN, never the unverified mail", "id-1", teamstest.TenantID, "ann@contoso.com", ""},
		{"the UPN when there is no mail", "id-2", teamstest.TenantID, "bo@contoso.com", ""},
		{"an unknown user is ENOTFOUND", "id-9", teamstest.TenantID, "", segmentbot.ENOTFOUND},
		{"a user of another tenant is not vouched for", "id-3", teamstest.OtherTenantID, "", segmentbot.EFORBIDDEN},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := g.Email(context.Background(), &segmentbot.User{AADObjectID: tt.aad, TenantID: tt.tenant})
			if got != tt.want || segmentbot.ErrorCode(err) != tt.code {
				t.Fatalf("Email = %q, %v; want %q, code %q", got, err, tt.want, tt.code)
			}
		})
	}
}
