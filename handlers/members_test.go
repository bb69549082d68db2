package handlers

import (
	"encoding/csv"
	"fmt"
	"strings"
	"testing"

	"github.com/segmentbot/segmentbot"
	"github.com/segmentbot/segmentbot/store"
	"github.com/segmentbot/segmentbot/store/storetest"
)

func TestMembers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		seg := f.createSegment("Engineering")
		path := fmt.Sprintf("/v1/segments/%d/members", seg.ID)
		for i := range 5 {
			join(t, db, seg.ID, addUser(t, db, fmt.Sprintf("User %d", i), fmt.Sprintf("u%d@example.com", i)))
		}

		t.Run("pages of JSON members end with no cursor", func(t *testing.T) {
			var all []segmentbot.Member
			next := path + "?limit=2"
			for next != "" {
				var page struct {
					Members    []segmentbot.Member `json:"members"`
					NextCursor string              `json:"next_cursor"`
				}
				if st := f.call("GET", next, "", &page); st != 200 {
					t.Fatalf("status %d", st)
				}
				all = append(all, page.Members...)
				next = ""
				if page.NextCursor != "" {
					next = path + "?limit=2&cursor=" + page.NextCursor
				}
			}
			if len(all) != 5 || all[0].Email != "u0@example.com" || all[0].Source != segmentbot.SourceChat || all[0].JoinedAt.IsZero() {
				t.Fatalf("members %+v", all)
			}
		})
		t.Run("Accept text/csv gives name,email of every member", func(t *testing.T) {
			resp := f.do("GET", path, nil, "Accept", "text/csv")
			rows, err := csv.NewReader(resp.Body).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") {
				t.Fatalf("status %d type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
			}
			if len(rows) != 6 || fmt.Sprint(rows[0]) != "[name email]" || fmt.Sprint(rows[1]) != "[User 0 u0@example.com]" {
				t.Fatalf("rows %v", rows)
			}
		})
		t.Run("members of a missing segment is 404, in JSON and CSV", func(t *testing.T) {
			f.wantError("GET", "/v1/segments/999999/members", "", 404, "not_found")
			resp := f.do("GET", "/v1/segments/999999/members", nil, "Accept", "text/csv")
			if resp.StatusCode != 404 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
				t.Fatalf("status %d type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
			}
		})

		addUser(t, db, "New Person", "new@example.com")
		t.Run("adding emails answers one result per email", func(t *testing.T) {
			var out struct{ Results []emailResult }
			st := f.call("POST", path, `{"emails":["new@example.com","u1@example.com","ghost@example.com"]}`, &out)
			want := "[{new@example.com added  } {u1@example.com already_member  } {ghost@example.com failed not_found }]"
			if st != 200 || fmt.Sprint(out.Results) != want {
				t.Fatalf("got %d %v, want %s", st, out.Results, want)
			}
			if ok, _ := db.IsMember(t.Context(), seg.ID, mustUser(t, db, "new@example.com").ID); !ok {
				t.Error("new@example.com is not a member")
			}
		})
		t.Run("removing emails answers one result per email", func(t *testing.T) {
			var out struct{ Results []emailResult }
			st := f.call("DELETE", path, `{"emails":["new@example.com","new@example.com"]}`, &out)
			if st != 200 || len(out.Results) != 2 || out.Results[0].Outcome != "removed" || out.Results[1].Outcome != "not_member" {
				t.Fatalf("got %d %v", st, out.Results)
			}
		})
		many := `{"emails":[` + strings.TrimSuffix(strings.Repeat(`"a@example.com",`, MaxEmails+1), ",") + `]}`
		bad := []struct{ name, body string }{
			{"no emails", `{"emails":[]}`},
			{"more than 1,000 emails", many},
			{"an empty email", `{"emails":["a@example.com"," "]}`},
			{"emails not a list", `{"emails":"a@example.com"}`},
			{"an unknown field", `{"emails":["a@example.com"],"notify":true}`},
		}
		for _, tt := range bad {
			t.Run("adding with "+tt.name+" is 400", func(t *testing.T) {
				f.wantError("POST", path, tt.body, 400, "invalid")
			})
		}
		t.Run("adding to a missing segment is 404", func(t *testing.T) {
			f.wantError("POST", "/v1/segments/999999/members", `{"emails":["a@example.com"]}`, 404, "not_found")
		})
	})
}

func TestCSVEscapesFormulas(t *testing.T) {
	db := openSQLite(t)
	f := newFixture(t, db)
	seg := f.createSegment("Risky")
	names := []string{"=cmd|' /C calc'!A0", "+1", "-2", "@x", "\tTab", "\rCR", "Plain, Name", "Jo \"Quote\"",
		" =1+1", "\n=1+1", "\u00a0=1+1", "＝1+1", "＋1", "－1", "＠SUM(A1)", "|cmd"}
	for i, n := range names {
		join(t, db, seg.ID, addUser(t, db, n, fmt.Sprintf("r%d@example.com", i)))
	}
	resp := f.do("GET", fmt.Sprintf("/v1/segments/%d/members", seg.ID), nil, "Accept", "text/csv")
	rows, err := csv.NewReader(resp.Body).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"'=cmd|' /C calc'!A0", "'+1", "'-2", "'@x", "'\tTab", "'\rCR", "Plain, Name", "Jo \"Quote\"",
		"' =1+1", "'\n=1+1", "'\u00a0=1+1", "'＝1+1", "'＋1", "'－1", "'＠SUM(A1)", "'|cmd"}
	for i, w := range want {
		t.Run(fmt.Sprintf("name %q is written as %q", names[i], w), func(t *testing.T) {
			if got := rows[i+1][0]; got != w {
				t.Fatalf("got %q", got)
			}
		})
	}
}

func mustUser(t *testing.T, db *store.DB, email string) *segmentbot.User {
	t.Helper()
	users, err := db.FindUsersByEmail(t.Context(), email)
	if err != nil || len(users) == 0 {
		t.Fatalf("find %s: %v", email, err)
	}
	return users[0]
}
