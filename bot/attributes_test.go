package bot_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/segmentbot/segmentbot"
	"github.com/segmentbot/segmentbot/store"
	"github.com/segmentbot/segmentbot/store/storetest"
)

// attributeWorld is a world with a segment Sales of four members with
// attributes: anna (Sales, UK), bob (Marketing, US), cleo (sales, US;
// opted out of Sales), dan (none).
func attributeWorld(t *testing.T, db *store.DB) (*world, *segmentbot.Segment, map[string]*segmentbot.User) {
	w := newWorld(t, db)
	db.Now = func() time.Time { return w.now }
	seg := w.segment("Sales")
	users := map[string]*segmentbot.User{}
	var attrs []segmentbot.Attribute
	for _, p := range []struct{ id, department, country string }{
		{"anna", "Sales", "UK"}, {"bob", "Marketing", "US"}, {"cleo", "sales", "US"}, {"dan", "", ""},
	} {
		u := w.user(p.id, p.id+"@contoso.com")
		users[p.id] = u
		if _, err := db.Join(w.ctx, seg.ID, u.ID, segmentbot.SourceAPI, 0); err != nil {
			t.Fatal(err)
		}
		if p.department != "" {
			attrs = append(attrs,
				segmentbot.Attribute{UserID: u.ID, Name: "department", Value: p.department, Source: segmentbot.AttributeDirectory},
				segmentbot.Attribute{UserID: u.ID, Name: "country", Value: p.country, Source: segmentbot.AttributeDirectory})
		}
	}
	if _, err := db.SaveAttributes(w.ctx, attrs); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Leave(w.ctx, seg.ID, users["cleo"].ID, segmentbot.SourceButton, users["cleo"].ID, true); err != nil {
		t.Fatal(err)
	}
	return w, seg, users
}

func TestAudienceInChat(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w, _, _ := attributeWorld(t, db)
		tests := []struct {
			name, text string
			says       []string
		}{
			{"the whole segment", "audience Sales",
				[]string{"Audience: Sales", "Segment: Sales (3 members)", "Reaches: 3 people (members who have not opted out)",
					"For example Anna, Bob and Dan.", "write it under a first line reading broadcast Sales"}},
			{"values compare without case", "audience sales where DEPARTMENT is SALES",
				[]string{"Filter: department is SALES", "Reaches: 1 person (members who have not opted out and match the filter)",
					"For example Anna.", "write it under a first line reading broadcast Sales where department is SALES"}},
			{"or, and, is not", "audience Sales where department is Sales or Marketing and country is not US",
				[]string{"Filter: department is Sales or Marketing, and country is not US", "Reaches: 1 person", "For example Anna."}},
			{"a missing attribute", "audience Sales where has no department", []string{"Reaches: 1 person", "For example Dan."}},
			{"nobody", "audience Sales where country is FR", []string{"Reaches: 0 people"}},
			{"a name no user has, with the closest known", "audience Sales where departmnet is Sales",
				[]string{"Reaches: 0 people", "No user has _departmnet_ yet, so this condition matches nobody. Did you mean _department_?"}},
			{"a name no user has, nothing close", "audience Sales where region is not EMEA",
				[]string{"Reaches: 3 people", "No user has _region_ yet, so this condition matches everybody."}},
			{"a filter that does not parse", "audience Sales where department equals Sales",
				[]string{`After "department" I expected "is", "is not", "exists" or "missing", not "equals".`, "Write the filter as where _attribute_ is _value_"}},
			{"no segment", "audience", []string{"Say it as audience _segment_"}},
			{"an unknown segment", "audience Nope where region exists", []string{`There is no segment named "Nope".`}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				wantContains(t, w.say(w.admin, tt.text), tt.says...)
			})
		}
		t.Run("nobody to write to, no hint to write", func(t *testing.T) {
			if got := w.say(w.admin, "audience Sales where country is FR"); strings.Contains(got, "To send them a message") {
				t.Fatalf("a hint to write to nobody: %s", got)
			}
		})
		t.Run("a non-admin may not ask", func(t *testing.T) {
			wantContains(t, w.say(w.user("eve", "eve@contoso.com"), "audience Sales"), "only admins")
		})
	})
}

func TestAttributesInChat(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		wantContains(t, w.say(w.admin, "attributes"), "No user has attributes yet")
		w, _, _ = attributeWorld(t, db)
		got := w.say(w.admin, "attributes")
		wantContains(t, got, "Attributes", "country: 3 users: US (2), UK (1)", "department: 3 users: Sales (2), Marketing (1)",
			"audience _segment_ where department is Sales")
		t.Run("many names and long values are cut to fit a card", func(t *testing.T) {
			var attrs []segmentbot.Attribute
			for i := range 45 {
				attrs = append(attrs, segmentbot.Attribute{UserID: w.admin.ID, Name: fmt.Sprintf("column %02d", i),
					Value: strings.Repeat("long value ", 20), Source: segmentbot.AttributeImport})
			}
			if _, err := db.SaveAttributes(w.ctx, attrs); err != nil {
				t.Fatal(err)
			}
			r := w.send(segmentbot.Event{Kind: segmentbot.EventMessage, Sender: *w.admin, Text: "attributes"})
			msg := r.Messages[0]
			wantContains(t, msg.Text, "These are the first 40 names of 47; GET /v1/attributes lists them all.")
			if len(msg.Facts) != 40 || msg.Facts[0].Name != "column 00" ||
				msg.Facts[0].Value != "1 user: "+strings.Repeat("long value ", 4)[:39]+"… (1)" {
				t.Fatalf("%d facts, the first %+v", len(msg.Facts), msg.Facts[0])
			}
		})
	})
}

func TestFilteredBroadcastInChat(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w, seg, _ := attributeWorld(t, db)
		r := w.send(segmentbot.Event{Kind: segmentbot.EventMessage, Sender: *w.admin,
			Text: "broadcast Sales where department is sales or marketing and country is not US as Sales news\nHello"})
		if len(r.Messages) != 2 {
			t.Fatalf("want the copy and the decision card, got %s", render(r))
		}
		wantContains(t, flatten(r.Messages[1]), "Preview: Sales news", "Filter: department is sales or marketing, and country is not US",
			"Audience: 1 person (members who have not opted out and match the filter)")
		wantContains(t, render(w.tap(w.admin, button(t, r, "Send now"), false)), "goes to 1 person now")
		list := broadcastsOf(t, w)
		if len(list) != 1 || list[0].SegmentID != seg.ID || list[0].Filter.Words() != "department is sales or marketing, and country is not US" {
			t.Fatalf("broadcasts %+v", list)
		}
		t.Run("the preview says when no user has a name", func(t *testing.T) {
			r := w.send(segmentbot.Event{Kind: segmentbot.EventMessage, Sender: *w.admin, Text: "broadcast Sales where contry is UK\nHello"})
			wantContains(t, flatten(r.Messages[1]), "Filter: contry is UK", "Audience: 0 people",
				"No user has _contry_ yet, so this condition matches nobody. Did you mean _country_?")
		})
		t.Run("a filter that does not parse makes no preview", func(t *testing.T) {
			got := w.say(w.admin, "broadcast Sales where department is\nHello")
			wantContains(t, got, `After "is" I expected a value, not the end.`)
			if strings.Contains(got, "Preview") {
				t.Fatalf("a preview for a bad filter: %s", got)
			}
		})
	})
}

func TestCreateRuleSegmentInChat(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w, _, users := attributeWorld(t, db)
		got := w.say(w.admin, "create segment UK Sales where country is uk and department is Sales")
		wantContains(t, got, "Segment created: UK Sales", "Its rule: country is uk, and department is Sales. It has 1 member now",
			"Rule: country is uk, and department is Sales", "Members: 1", "whenever the directory sync or an import changes people's attributes")
		seg, err := db.FindSegmentByName(w.ctx, "UK Sales")
		if err != nil {
			t.Fatal(err)
		}
		if seg.Filter.Words() != "country is uk, and department is Sales" || !w.member(seg, users["anna"]) || w.member(seg, users["bob"]) {
			t.Fatalf("rule segment %+v: anna in %v, bob in %v", seg, w.member(seg, users["anna"]), w.member(seg, users["bob"]))
		}
		events, err := db.FindEvents(w.ctx, seg.ID, users["anna"].ID)
		if err != nil || len(events) != 1 || events[0].Source != segmentbot.SourceRule {
			t.Fatalf("anna's events %+v, %v: want one join with source rule", events, err)
		}
		t.Run("who unsubscribed from everything is not joined by a rule", func(t *testing.T) {
			if _, err := db.OptOutAll(w.ctx, users["cleo"].ID, segmentbot.SourceKeyword); err != nil {
				t.Fatal(err)
			}
			wantContains(t, w.say(w.admin, "create segment US Sales where department is Sales and country is US"), "It has 0 members now")
		})
		t.Run("a name no user has is kept, and said", func(t *testing.T) {
			wantContains(t, w.say(w.admin, "create segment EMEA where region is EMEA"), "Segment created: EMEA", "No user has _region_ yet")
		})
		t.Run("a bad filter makes no segment", func(t *testing.T) {
			wantContains(t, w.say(w.admin, "create segment Bad where department"),
				`After "department" I expected "is", "is not", "exists" or "missing", not the end.`)
			if _, err := db.FindSegmentByName(w.ctx, "Bad"); segmentbot.ErrorCode(err) != segmentbot.ENOTFOUND {
				t.Fatalf("a segment Bad was made: %v", err)
			}
		})
		t.Run("a plain segment still is one", func(t *testing.T) {
			wantContains(t, w.say(w.admin, "create segment Plain"), "Segment created: Plain", "import into Plain")
		})
	})
}

// "change segment <name> where ..." gives a rule segment a new rule: its
// members follow at once, the reply says who joined and left, and a
// member who tapped Opt out stays out.
func TestChangeARuleInChat(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w, _, users := attributeWorld(t, db)
		wantContains(t, w.say(w.admin, "create segment UK Sales where country is UK"), "It has 1 member now")
		seg, err := db.FindSegmentByName(w.ctx, "UK Sales")
		if err != nil {
			t.Fatal(err)
		}
		// bob would match the new rule, but taps Opt out first.
		if _, err := db.Leave(w.ctx, seg.ID, users["bob"].ID, segmentbot.SourceButton, users["bob"].ID, true); err != nil {
			t.Fatal(err)
		}
		got := w.say(w.admin, "change segment uk sales where country is US")
		wantContains(t, got, "Rule changed: UK Sales", "Its rule now: country is US. 1 person joined and 1 left, so it has 1 member.",
			"Anyone who opted out stays out", "Rule: country is US", "Joined: 1", "Left: 1", "Members: 1")
		if w.member(seg, users["anna"]) || w.member(seg, users["bob"]) || !w.member(seg, users["cleo"]) {
			t.Fatalf("members: anna %v, bob %v, cleo %v; want cleo alone", w.member(seg, users["anna"]), w.member(seg, users["bob"]), w.member(seg, users["cleo"]))
		}
		for _, who := range []string{"anna", "cleo"} {
			events, err := db.FindEvents(w.ctx, seg.ID, users[who].ID)
			if err != nil || len(events) == 0 || events[len(events)-1].Source != segmentbot.SourceRule {
				t.Fatalf("%s's events %+v, %v: want the last with source rule", who, events, err)
			}
		}
		for _, c := range []struct{ name, text, says string }{
			{"no where", "change segment UK Sales", "Say it as change segment _name_ where _filter_"},
			{"a bad filter", "change segment UK Sales where department", `After "department" I expected "is", "is not", "exists" or "missing", not the end.`},
			{"a segment without a rule", "change segment Sales where country is UK", "Sales has no rule"},
			{"no such segment", "change segment Nope where country is UK", "Nope"},
		} {
			t.Run(c.name+" changes nothing", func(t *testing.T) {
				wantContains(t, w.say(w.admin, c.text), c.says)
				found, err := db.FindSegmentByName(w.ctx, "UK Sales")
				if err != nil || found.Filter.Words() != "country is US" || found.Members != 1 {
					t.Fatalf("UK Sales after %q: %+v, %v", c.text, found, err)
				}
			})
		}
	})
}

func TestFilterAnswersAreMarkdownWithGivenTextEscaped(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		seg := w.segment("News_letter")
		u := w.user("star", "star@contoso.com")
		if err := db.UpsertUser(w.ctx, &segmentbot.User{Channel: u.Channel, ExternalID: u.ExternalID, Name: "*Star*"}); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Join(w.ctx, seg.ID, u.ID, segmentbot.SourceAPI, 0); err != nil {
			t.Fatal(err)
		}
		if _, err := db.SaveAttributes(w.ctx, []segmentbot.Attribute{{UserID: u.ID, Name: "team_name", Value: "A", Source: segmentbot.AttributeImport}}); err != nil {
			t.Fatal(err)
		}
		r := w.send(segmentbot.Event{Kind: segmentbot.EventMessage, Sender: *w.admin, Text: "audience News_letter where team_nam is *A*"})
		m := r.Messages[0]
		if !m.Markdown {
			t.Fatalf("the audience answer is not Markdown: %+v", m)
		}
		wantContains(t, m.Text, `No user has _team\_nam_ yet`, `Did you mean _team\_name_?`)
		r = w.send(segmentbot.Event{Kind: segmentbot.EventMessage, Sender: *w.admin, Text: "audience News_letter where team_name is A or *B*"})
		wantContains(t, r.Messages[0].Text, `For example \*Star\*.`, `reading broadcast News\_letter where team\_name is A or \*B\*`)
		r = w.send(segmentbot.Event{Kind: segmentbot.EventMessage, Sender: *w.admin, Text: "audience News_letter where team_name *is* A"})
		if m := r.Messages[0]; !m.Markdown || !strings.HasPrefix(m.Text, `After "team\_name" I expected "is", "is not", "exists" or "missing", not "\*is\*".`) ||
			!strings.Contains(m.Text, "where _attribute_ is _value_") {
			t.Fatalf("the parse error %+v", m)
		}
	})
}

func TestKnownNamesAreListedAtMostOnceAMinute(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w, _, users := attributeWorld(t, db)
		ask := func() string { return w.say(w.admin, "audience Sales where region exists") }
		wantContains(t, ask(), "No user has _region_ yet")
		if _, err := db.SaveAttributes(w.ctx, []segmentbot.Attribute{{UserID: users["anna"].ID, Name: "region", Value: "EMEA", Source: segmentbot.AttributeImport}}); err != nil {
			t.Fatal(err)
		}
		wantContains(t, ask(), "Reaches: 1 person", "No user has _region_ yet") // the count is live, the names a minute old at most
		w.now = w.now.Add(time.Minute)
		if got := ask(); !strings.Contains(got, "Reaches: 1 person") || strings.Contains(got, "No user has") {
			t.Fatalf("after a minute: %s", got)
		}
	})
}
