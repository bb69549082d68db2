package main

import (
	"bytes"
	"fmt"
	"net/http"
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

// Issue 15.7: while the signing keys cannot be fetched, an activity gets
// 503 (the connector retries it), not 401 (which drops it), and changes
// nothing.
func TestActivitiesGet503WhileTheSigningKeysCannotBeLoaded(t *testing.T) {
	storetest.EachDSN(t, func(t *testing.T, dsn string) {
		s := startService(t, dsn, nil)
		s.kit.KeysDown(true)
		code, body := s.post(s.kit.Message(s.admin, "create segment Lost"))
		if code != http.StatusServiceUnavailable {
			t.Fatalf("status %d (%s), want 503 while the JWKS endpoint is down", code, body)
		}
		wantIn(t, string(body), `"code":"unavailable"`)
		if segs := s.segments(); len(segs) != 0 {
			t.Fatalf("segments %v were created without authentication", segs)
		}
		t.Run("a bad token is still 401", func(t *testing.T) {
			if code, _ := s.postRaw(s.kit.Message(s.admin, "x").JSON(), "Bearer not-a-jwt"); code != http.StatusUnauthorized {
				t.Fatalf("status %d, want 401", code)
			}
		})
	})
}

// Issue 15.8: /api/messages takes only JSON, so a web page cannot drive a
// local instance with a text/plain form post.
func TestMessagesRequireJSON(t *testing.T) {
	storetest.EachDSN(t, func(t *testing.T, dsn string) {
		s := startService(t, dsn, nil)
		a := s.kit.Message(s.admin, "create segment Forged")
		for _, ct := range []string{"text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", ""} {
			req, _ := http.NewRequest(http.MethodPost, s.srv.URL+"/api/messages", bytes.NewReader(a.JSON()))
			if ct != "" {
				req.Header.Set("Content-Type", ct)
			}
			req.Header.Set("Authorization", s.kit.Sign(a))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusUnsupportedMediaType {
				t.Errorf("Content-Type %q: status %d, want 415", ct, resp.StatusCode)
			}
		}
		if len(s.segments()) != 0 {
			t.Fatal("a non-JSON post created a segment")
		}
		wantIn(t, replyText(s.say(s.admin, "create segment Real")), "Segment created")
	})
}

// Issue 15.3: names, descriptions and replies from REST and chat are
// checked alike; look-alike names are refused with a reason; names are
// shown as typed, never as Markdown, on the card and in "You're in".
func TestHostileNamesAreRefusedOrShownAsTyped(t *testing.T) {
	storetest.EachDSN(t, func(t *testing.T, dsn string) {
		s := startService(t, dsn, nil)
		for _, body := range []map[string]any{
			{"name": "Sales\u0000"},
			{"name": "Sales\u202etxt.exe"},
			{"name": "Sa\u200bles"},
			{"name": "Sales\nTeam"},
			{"name": "[Click to verify](https://evil.example/login)"},
			{"name": "Fine", "reply": strings.Repeat("x", 501)},
			{"name": "Fine", "description": "\u001b[2J"},
			{"name": strings.Repeat("n", 101)},
		} {
			var out struct {
				Error struct{ Code, Message string }
			}
			if code := s.api("POST", "/v1/segments", body, &out); code != http.StatusBadRequest || out.Error.Code != "invalid" {
				t.Errorf("POST %q: %d %+v, want 400 invalid", body, code, out)
			}
		}
		if segs := s.segments(); len(segs) != 0 {
			t.Fatalf("hostile names were stored: %v", segs)
		}
		var sales segmentbot.Segment
		if code := s.api("POST", "/v1/segments", map[string]any{"name": "Sales", "reply": strings.Repeat("x", 500)}, &sales); code != http.StatusCreated {
			t.Fatalf("a reply of 500 characters: %d", code)
		}
		var out struct {
			Error struct{ Code, Message string }
		}
		if code := s.api("POST", "/v1/segments", map[string]any{"name": "\u0405ales"}, &out); code != http.StatusConflict || !strings.Contains(out.Error.Message, "looks too much like") {
			t.Fatalf("the look-alike of Sales: %d %+v, want 409 naming the reason", code, out)
		}
		wantIn(t, replyText(s.say(s.admin, "create segment \u0405ales")), "looks too much like", `"Sales"`)
		wantIn(t, replyText(s.say(s.admin, "set reply Sales: "+strings.Repeat("y", 501))), "at most 500 characters")
		if len(s.segments()) != 1 {
			t.Fatal("a look-alike was created through chat")
		}

		// A name with Markdown in it shows as typed on the card and in
		// the opt-in reply.
		name := "*Top* [team]"
		wantIn(t, replyText(s.say(s.admin, "create segment "+name)), `Segment created: \*Top\* \[team\]`)
		var top segmentbot.Segment
		for _, seg := range s.segments() {
			if seg.Name == name {
				top = seg
			}
		}
		var card map[string]any
		s.api("GET", fmt.Sprintf("/v1/segments/%d/card", top.ID), nil, &card)
		text := cardText(card)
		wantIn(t, text, `\*Top\* \[team\]`)
		if strings.Contains(strings.ReplaceAll(text, `\*Top\* \[team\]`, ""), "*Top*") {
			t.Fatalf("the card shows the name as Markdown: %s", text)
		}
		user := teamstest.NewUser("Una User")
		// The reply is a text activity marked plain (no Markdown at all),
		// or, as a card, escaped like the card above.
		sent := s.expectReply(s.kit.Submit(user, action(t, card, "Opt in")))
		if c := sent.Card(); c != nil {
			wantIn(t, cardText(c), `You're in: \*Top\* \[team\]`)
		} else if sent.Activity["textFormat"] != "plain" || !strings.Contains(sent.Text(), "You're in: "+name) {
			t.Fatalf("the opt-in reply is %q as %v, want the name as typed in plain text", sent.Text(), sent.Activity["textFormat"])
		}
	})
}

// Issue 15.8: /metrics can be put behind SEGMENTBOT_METRICS_KEY; without
// it, it stays open.
func TestMetricsKey(t *testing.T) {
	storetest.EachDSN(t, func(t *testing.T, dsn string) {
		get := func(s *service, auth string) int {
			req, _ := http.NewRequest(http.MethodGet, s.srv.URL+"/metrics", nil)
			if auth != "" {
				req.Header.Set("Authorization", auth)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			return resp.StatusCode
		}
		locked := startService(t, dsn, map[string]string{"SEGMENTBOT_METRICS_KEY": "metrics-key-0123456789"})
		for auth, want := range map[string]int{
			"": http.StatusUnauthorized, "Bearer wrong": http.StatusUnauthorized, "Bearer " + apiKey: http.StatusUnauthorized,
			"Bearer metrics-key-0123456789": http.StatusOK,
		} {
			if got := get(locked, auth); got != want {
				t.Errorf("/metrics with %q: %d, want %d", auth, got, want)
			}
		}
		open := startService(t, dsn, nil)
		if got := get(open, ""); got != http.StatusOK {
			t.Fatalf("/metrics without a configured key: %d, want 200", got)
		}
	})
}
