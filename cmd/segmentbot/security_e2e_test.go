package main

import (
	"strings"
	"testing"

	"github.com/segmentbot/segmentbot"
	"github.com/segmentbot/segmentbot/bot/teams"
	"github.com/segmentbot/segmentbot/bot/teams/teamstest"
	"github.com/segmentbot/segmentbot/store/storetest"
)

// segments lists the segments through the REST API.
func (s *service) segments() []segmentbot.Segment {
	s.t.Helper()
	var list struct{ Segments []segmentbot.Segment }
	s.api("GET", "/v1/segments", nil, &list)
	return list.Segments
}

// Issue 15.1: with SEGMENTBOT_ADMINS=ada@contoso.com, a user of another
// tenant whose Graph mail is ada@contoso.com is no admin. The real Ada of
// the home tenant is, through the member API, without Graph.
func TestAdminFromAnotherTenantWithTheSameMailIsRefused(t *testing.T) {
	storetest.EachDSN(t, func(t *testing.T, dsn string) {
		s := startService(t, dsn, map[string]string{
			"SEGMENTBOT_ADMINS": "ada@contoso.com",
			"MicrosoftAppType":  teams.AppTypeMultiTenant,
		})
		eve := teamstest.NewUser("Eve Elsewhere").InTenant(teamstest.OtherTenantID)
		s.kit.AddGraphUser(teamstest.GraphUser{ID: eve.AADObjectID, UPN: "eve@fabrikam.com", Mail: "ada@contoso.com", Name: eve.Name, Tenant: teamstest.OtherTenantID})
		m := eve.Member("ada@contoso.com")
		m.TenantID = teamstest.OtherTenantID
		s.kit.SetProfile(m)

		wantIn(t, replyText(s.say(eve, "create segment X")), "only admins")
		if segs := s.segments(); len(segs) != 0 {
			t.Fatalf("a user of another tenant created %v", segs)
		}
		wantIn(t, s.logs.String(), `"msg":"admin refused"`, teamstest.OtherTenantID)

		t.Run("the listed admin of the home tenant is recognised by the member API, Graph unasked", func(t *testing.T) {
			ada := teamstest.NewUser("Ada Lovelace")
			s.kit.SetProfile(ada.Member("ada@contoso.com"))
			graph := s.kit.GraphRequests()
			wantIn(t, replyText(s.say(ada, "create segment Y")), "Segment created: Y")
			if n := s.kit.GraphRequests() - graph; n != 0 {
				t.Fatalf("%d Graph requests, want the member API only", n)
			}
		})
		t.Run("a home-tenant user whose Graph mail is the admin's, but whose UPN is not, is refused", func(t *testing.T) {
			mal := teamstest.NewUser("Mal Mail")
			s.kit.AddGraphUser(teamstest.GraphUser{ID: mal.AADObjectID, UPN: "mal@contoso.com", Mail: "ada@contoso.com", Name: mal.Name})
			wantIn(t, replyText(s.say(mal, "create segment Z")), "only admins")
			if len(s.segments()) != 1 {
				t.Fatal("Graph mail granted admin")
			}
		})
	})
}

// Issue 15.1: admin entries may name the tenant of an object id; a bare
// object id means the home tenant.
func TestAdminObjectIDsAreMatchedWithTheirTenant(t *testing.T) {
	storetest.EachDSN(t, func(t *testing.T, dsn string) {
		guest := teamstest.NewUser("Gus Guest").InTenant(teamstest.OtherTenantID)
		twin := teamstest.NewUser("Ada Admin").InTenant(teamstest.OtherTenantID) // same object id, other tenant
		s := startService(t, dsn, map[string]string{
			"MicrosoftAppType":  teams.AppTypeMultiTenant,
			"SEGMENTBOT_ADMINS": teamstest.NewUser("Ada Admin").AADObjectID + "," + teamstest.OtherTenantID + "/" + guest.AADObjectID,
		})
		wantIn(t, replyText(s.say(twin, "create segment Twin")), "only admins")
		wantIn(t, replyText(s.say(guest, "create segment Guest")), "Segment created: Guest")
		wantIn(t, replyText(s.say(s.admin, "create segment Home")), "Segment created: Home")
		var names []string
		for _, seg := range s.segments() {
			names = append(names, seg.Name)
		}
		if strings.Join(names, ",") != "Guest,Home" {
			t.Fatalf("segments %v, want Guest and Home", names)
		}
		wantIn(t, s.logs.String(), "is listed for the home tenant")
	})
}
