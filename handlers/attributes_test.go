package handlers

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/segmentbot/segmentbot"
	"github.com/segmentbot/segmentbot/store"
	"github.com/segmentbot/segmentbot/store/storetest"
)

// attributeData puts 12 members into a segment Staff: 8 in Sales (4 of
// them in the UK), 3 in Marketing, 1 without attributes; one Sales member
// in the UK opted out. Every member has a team of their own.
func attributeData(t *testing.T, f *fixture) *segmentbot.Segment {
	t.Helper()
	seg := f.createSegment("Staff")
	var attrs []segmentbot.Attribute
	for i := range 12 {
		u := addUser(t, f.db, fmt.Sprintf("User %02d", i), fmt.Sprintf("user%02d@contoso.com", i))
		join(t, f.db, seg.ID, u)
		dir := func(name, value string) segmentbot.Attribute {
			return segmentbot.Attribute{UserID: u.ID, Name: name, Value: value, Source: segmentbot.AttributeDirectory}
		}
		switch {
		case i < 8:
			country := "US"
			if i%2 == 0 {
				country = "uk"
			}
			attrs = append(attrs, dir("department", "Sales"), dir("country", country))
		case i < 11:
			attrs = append(attrs, dir("department", "Marketing"), dir("country", "US"))
		}
		attrs = append(attrs, segmentbot.Attribute{UserID: u.ID, Name: "team", Value: fmt.Sprintf("Team %02d", i), Source: segmentbot.AttributeImport})
		if i == 0 {
			if _, err := f.db.Leave(context.Background(), seg.ID, u.ID, segmentbot.SourceButton, u.ID, true); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := f.db.SaveAttributes(context.Background(), attrs); err != nil {
		t.Fatal(err)
	}
	return seg
}

// audienceReply is the answer of POST /v1/audience.
type audienceReply struct {
	Count  int64 `json:"count"`
	Sample []struct {
		UserID int64  `json:"user_id"`
		Name   string `json:"name"`
		Email  string `json:"email"`
	} `json:"sample"`
}

func TestAudienceThroughREST(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		seg := attributeData(t, f)
		audience := func(filter string) audienceReply {
			t.Helper()
			var out audienceReply
			body := fmt.Sprintf(`{"segment_id":%d}`, seg.ID)
			if filter != "" {
				body = fmt.Sprintf(`{"segment_id":%d,"filter":%s}`, seg.ID, filter)
			}
			if st := f.call("POST", "/v1/audience", body, &out); st != 200 {
				t.Fatalf("status %d for %s", st, body)
			}
			return out
		}
		t.Run("without a filter: every member who has not opted out, ten of them shown", func(t *testing.T) {
			got := audience("")
			if got.Count != 11 || len(got.Sample) != 10 {
				t.Fatalf("count %d, sample of %d", got.Count, len(got.Sample))
			}
		})
		t.Run("two conditions, values without case", func(t *testing.T) {
			got := audience(`{"all":[{"attribute":"Department","op":"in","values":["SALES"]},{"attribute":"country","op":"in","values":["UK"]}]}`)
			if got.Count != 3 || len(got.Sample) != 3 {
				t.Fatalf("got %+v, want users 2, 4 and 6", got)
			}
			for _, u := range got.Sample {
				if u.UserID == 0 || !strings.HasPrefix(u.Name, "User 0") || !strings.HasSuffix(u.Email, "@contoso.com") || u.Name == "User 00" {
					t.Fatalf("sample user %+v", u)
				}
			}
		})
		t.Run("not_in, exists and missing", func(t *testing.T) {
			for filter, want := range map[string]int64{
				`{"all":[{"attribute":"department","op":"not_in","values":["Sales"]}]}`: 4, // 3 in Marketing, 1 without
				`{"all":[{"attribute":"department","op":"exists"}]}`:                    10,
				`{"all":[{"attribute":"department","op":"missing"}]}`:                   1,
				`{"all":[{"attribute":"region","op":"exists"}]}`:                        0,
			} {
				if got := audience(filter); got.Count != want {
					t.Errorf("%s: count %d, want %d", filter, got.Count, want)
				}
			}
		})
		bad := []struct{ name, body, code, says string }{
			{"no segment", `{"filter":{"all":[{"attribute":"a","op":"exists"}]}}`, "invalid", `Field "segment_id" must be a segment id.`},
			{"an unknown op", fmt.Sprintf(`{"segment_id":%d,"filter":{"all":[{"attribute":"a","op":"equals","values":["x"]}]}}`, seg.ID), "invalid",
				`Field "filter": Condition 1 of the filter: unknown op "equals" for a: use in, not_in, exists or missing.`},
			{"an empty filter", fmt.Sprintf(`{"segment_id":%d,"filter":{"all":[]}}`, seg.ID), "invalid", `Field "filter": The filter has no condition`},
			{"an unknown field", fmt.Sprintf(`{"segment_id":%d,"where":"x"}`, seg.ID), "invalid", `Unknown field "where"`},
		}
		for _, tt := range bad {
			t.Run(tt.name+" is 400 and says why", func(t *testing.T) {
				if e := f.wantError("POST", "/v1/audience", tt.body, 400, tt.code); !strings.Contains(e.Error.Message, tt.says) {
					t.Errorf("message %q does not say %q", e.Error.Message, tt.says)
				}
			})
		}
		t.Run("an unknown segment is 404", func(t *testing.T) {
			f.wantError("POST", "/v1/audience", `{"segment_id":999}`, 404, "not_found")
		})
	})
}

func TestAttributesThroughREST(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		var empty struct {
			Attributes []segmentbot.AttributeCount `json:"attributes"`
		}
		if st := f.call("GET", "/v1/attributes", "", &empty); st != 200 || empty.Attributes == nil || len(empty.Attributes) != 0 {
			t.Fatalf("before any attribute: %d %+v, want an empty list", st, empty)
		}
		attributeData(t, f)
		for i := 12; i < 30; i++ { // 30 teams in all: only the 20 commonest are listed
			u := addUser(t, db, fmt.Sprintf("User %02d", i), fmt.Sprintf("user%02d@contoso.com", i))
			if _, err := db.SaveAttributes(context.Background(), []segmentbot.Attribute{{UserID: u.ID, Name: "team", Value: fmt.Sprintf("Team %02d", i), Source: segmentbot.AttributeImport}}); err != nil {
				t.Fatal(err)
			}
		}
		var got struct {
			Attributes []segmentbot.AttributeCount `json:"attributes"`
		}
		if st := f.call("GET", "/v1/attributes", "", &got); st != 200 {
			t.Fatalf("status %d", st)
		}
		var names []string
		for _, a := range got.Attributes {
			names = append(names, fmt.Sprintf("%s:%d", a.Name, a.Users))
		}
		if strings.Join(names, " ") != "country:11 department:11 team:30" {
			t.Fatalf("attributes %v", names)
		}
		country := got.Attributes[0].Values
		if len(country) != 2 || country[0] != (segmentbot.ValueCount{Value: "US", Users: 7}) || country[1] != (segmentbot.ValueCount{Value: "uk", Users: 4}) {
			t.Fatalf("country values %+v", country)
		}
		if n := len(got.Attributes[2].Values); n != 20 {
			t.Fatalf("team has %d values listed, want the 20 commonest", n)
		}
	})
}

func TestRuleSegmentsThroughREST(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		attributeData(t, f)
		var seg segmentbot.Segment
		st := f.call("POST", "/v1/segments", `{"name":"UK Sales","filter":{"all":[{"attribute":"country","op":"in","values":["UK"]},{"attribute":"department","op":"in","values":["sales"]}]}}`, &seg)
		if st != 201 || seg.Filter == nil || seg.Members != 4 {
			t.Fatalf("got %d %+v: want a rule segment of users 0, 2, 4 and 6", st, seg)
		}
		t.Run("GET /v1/segments shows the rule", func(t *testing.T) {
			var list struct {
				Segments []segmentbot.Segment `json:"segments"`
			}
			f.call("GET", "/v1/segments", "", &list)
			if len(list.Segments) != 2 || list.Segments[0].Filter != nil || list.Segments[1].Filter.Words() != "country is UK, and department is sales" || list.Segments[1].Members != 4 {
				t.Fatalf("segments %+v", list.Segments)
			}
		})
		t.Run("its members joined by rule", func(t *testing.T) {
			events, err := db.FindEvents(context.Background(), seg.ID, 0)
			if err != nil || len(events) != 4 {
				t.Fatalf("events %+v, %v", events, err)
			}
			for _, e := range events {
				if e.Source != segmentbot.SourceRule || e.Action != segmentbot.ActionJoin {
					t.Fatalf("event %+v", e)
				}
			}
		})
		t.Run("a bad rule is 400 and makes nothing", func(t *testing.T) {
			e := f.wantError("POST", "/v1/segments", `{"name":"Bad","filter":{"all":[{"attribute":"country","op":"in"}]}}`, 400, "invalid")
			if e.Error.Message != `Field "filter": Condition 1 of the filter: country in needs at least one value.` {
				t.Fatalf("message %q", e.Error.Message)
			}
			if _, err := db.FindSegmentByName(context.Background(), "Bad"); segmentbot.ErrorCode(err) != segmentbot.ENOTFOUND {
				t.Fatalf("segment Bad: %v", err)
			}
		})
	})
}

// PATCH /v1/segments/{id} with a filter changes a rule segment's rule and
// brings its members in line at once; a segment keeps being either a
// rule segment or one filled by hand.
func TestChangingARuleThroughREST(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		staff := attributeData(t, f)
		var seg segmentbot.Segment
		if st := f.call("POST", "/v1/segments", `{"name":"UK Sales","filter":{"all":[{"attribute":"country","op":"in","values":["UK"]},{"attribute":"department","op":"in","values":["sales"]}]}}`, &seg); st != 201 {
			t.Fatalf("create the rule segment: %d", st)
		}
		path := fmt.Sprintf("/v1/segments/%d", seg.ID)
		members := func(id int64) []string {
			t.Helper()
			var got struct {
				Members []segmentbot.Member `json:"members"`
			}
			if st := f.call("GET", fmt.Sprintf("/v1/segments/%d/members", id), "", &got); st != 200 {
				t.Fatalf("members of %d: %d", id, st)
			}
			var names []string
			for _, m := range got.Members {
				names = append(names, strings.TrimPrefix(m.Name, "User "))
			}
			return names
		}
		if got := members(seg.ID); strings.Join(got, " ") != "00 02 04 06" {
			t.Fatalf("UK Sales %v", got)
		}
		// User 03 taps Opt out: no rule brings them back.
		u3, err := db.FindUsersByEmail(context.Background(), "user03@contoso.com")
		if err != nil || len(u3) != 1 {
			t.Fatalf("user 03: %v, %v", u3, err)
		}
		if _, err := db.Leave(context.Background(), seg.ID, u3[0].ID, segmentbot.SourceButton, u3[0].ID, true); err != nil {
			t.Fatal(err)
		}

		t.Run("a new rule is stored and the members follow it at once", func(t *testing.T) {
			var changed segmentbot.Segment
			st := f.call("PATCH", path, `{"name":"US Sales","filter":{"all":[{"attribute":"Department","op":"in","values":["sales"]},{"attribute":"country","op":"in","values":["US"]}]}}`, &changed)
			if st != 200 || changed.Name != "US Sales" || changed.Filter.Words() != "department is sales, and country is US" || changed.Members != 3 {
				t.Fatalf("got %d %+v (rule %q); want US Sales, the rule normalised, 3 members", st, changed, changed.Filter.Words())
			}
			if changed.RuleChange == nil || *changed.RuleChange != (segmentbot.RuleChange{Joined: 3, Left: 4}) {
				t.Fatalf("rule_change %+v; want 3 joined (01 05 07) and 4 left (the UK staff)", changed.RuleChange)
			}
			if got := members(seg.ID); strings.Join(got, " ") != "01 05 07" {
				t.Fatalf("members %v; want the US sales staff but 03, who opted out", got)
			}
			found, err := db.FindSegmentByID(context.Background(), seg.ID)
			if err != nil || found.Filter.Words() != changed.Filter.Words() || found.Members != 3 {
				t.Fatalf("stored %+v, %v", found, err)
			}
		})
		t.Run("a PATCH that leaves the rule says nothing of members", func(t *testing.T) {
			var raw map[string]any
			if st := f.call("PATCH", path, `{"description":"Sales staff in the US"}`, &raw); st != 200 {
				t.Fatalf("PATCH description: %d", st)
			}
			if _, ok := raw["rule_change"]; ok || raw["description"] != "Sales staff in the US" {
				t.Fatalf("answer %v; want the description and no rule_change", raw)
			}
		})
		t.Run("the joins and leaves are logged with source rule", func(t *testing.T) {
			events, err := db.FindEvents(context.Background(), seg.ID, 0)
			if err != nil {
				t.Fatal(err)
			}
			var joins, leaves int
			for _, e := range events {
				switch {
				case e.Source == segmentbot.SourceRule && e.Action == segmentbot.ActionJoin:
					joins++
				case e.Source == segmentbot.SourceRule && e.Action == segmentbot.ActionLeave:
					leaves++
				case e.Source != segmentbot.SourceButton:
					t.Errorf("event %+v", e)
				}
			}
			// 4 joined when it was made, 3 with the new rule; the 4 UK
			// members left.
			if joins != 7 || leaves != 4 {
				t.Fatalf("%d rule joins, %d rule leaves; want 7 and 4", joins, leaves)
			}
		})
		t.Run("a bad rule is 400 and changes nothing", func(t *testing.T) {
			e := f.wantError("PATCH", path, `{"filter":{"all":[{"attribute":"country","op":"in"}]}}`, 400, "invalid")
			if e.Error.Message != `Field "filter": Condition 1 of the filter: country in needs at least one value.` {
				t.Fatalf("message %q", e.Error.Message)
			}
			if got := members(seg.ID); strings.Join(got, " ") != "01 05 07" {
				t.Fatalf("members %v", got)
			}
		})
		t.Run("a segment filled by hand cannot take a rule", func(t *testing.T) {
			before := members(staff.ID)
			e := f.wantError("PATCH", fmt.Sprintf("/v1/segments/%d", staff.ID), `{"filter":{"all":[{"attribute":"country","op":"exists"}]}}`, 400, "invalid")
			if !strings.Contains(e.Error.Message, "Staff has no rule") || !strings.Contains(e.Error.Message, "Make a new segment") {
				t.Fatalf("message %q", e.Error.Message)
			}
			if got, err := db.FindSegmentByID(context.Background(), staff.ID); err != nil || got.Filter != nil || !slices.Equal(members(staff.ID), before) {
				t.Fatalf("Staff changed: %+v, %v", got, err)
			}
		})
		t.Run("a rule segment cannot lose its rule", func(t *testing.T) {
			e := f.wantError("PATCH", path, `{"filter":null}`, 400, "invalid")
			if !strings.Contains(e.Error.Message, `Field "filter" cannot be null`) {
				t.Fatalf("message %q", e.Error.Message)
			}
			if got, err := db.FindSegmentByID(context.Background(), seg.ID); err != nil || got.Filter == nil {
				t.Fatalf("the rule was taken away: %+v, %v", got, err)
			}
		})
	})
}
