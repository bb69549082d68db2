package store_test

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

// attr is an attribute from the directory.
func attr(u *segmentbot.User, name, value string) segmentbot.Attribute {
	return segmentbot.Attribute{UserID: u.ID, Name: name, Value: value, Source: segmentbot.AttributeDirectory}
}

func mustSave(t *testing.T, db *store.DB, attrs ...segmentbot.Attribute) int64 {
	t.Helper()
	n, err := db.SaveAttributes(context.Background(), attrs)
	if err != nil {
		t.Fatalf("save attributes: %v", err)
	}
	return n
}

// attrsOf returns a user's attributes as "name=value (source)".
func attrsOf(t *testing.T, db *store.DB, u *segmentbot.User) []string {
	t.Helper()
	attrs, err := db.FindAttributes(context.Background(), u.ID)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, a := range attrs {
		got = append(got, fmt.Sprintf("%s=%s (%s)", a.Name, a.Value, a.Source))
	}
	return got
}

func TestSaveAttributes(t *testing.T) {
	ctx := context.Background()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ann := member(t, db, "29:ann", "ann@contoso.com")
		bob := member(t, db, "29:bob", "bob@contoso.com")

		n := mustSave(t, db, attr(ann, " Department ", " Sales "), attr(ann, "country", "UK"), attr(bob, "department", "Sales"),
			segmentbot.Attribute{UserID: bob.ID, Name: "Region", Value: "EMEA", Source: segmentbot.AttributeImport})
		if n != 2 {
			t.Fatalf("first save changed %d users, want 2", n)
		}
		if got := attrsOf(t, db, ann); !slices.Equal(got, []string{"country=UK (directory)", "department=Sales (directory)"}) {
			t.Fatalf("ann's attributes %q (names lower-cased and trimmed, values trimmed)", got)
		}
		if got := attrsOf(t, db, bob); !slices.Equal(got, []string{"department=Sales (directory)", "region=EMEA (import)"}) {
			t.Fatalf("bob's attributes %q", got)
		}

		if n := mustSave(t, db, attr(ann, "department", "Sales"), attr(bob, "region", "EMEA")); n != 0 {
			t.Fatalf("saving the same values changed %d users, want 0", n)
		}
		// A new spelling is a change; of two values for one name the last wins.
		if n := mustSave(t, db, attr(ann, "department", "SALES"), attr(bob, "country", "US"), attr(bob, "country", "FR")); n != 2 {
			t.Fatalf("changed %d users, want 2", n)
		}
		if got := attrsOf(t, db, bob); !slices.Contains(got, "country=FR (directory)") {
			t.Fatalf("bob's attributes %q, want country FR (the last given)", got)
		}
		// An empty value removes; removing what is not there changes nothing.
		if n := mustSave(t, db, attr(ann, "country", " "), attr(bob, "title", "")); n != 1 {
			t.Fatalf("removal changed %d users, want 1 (ann)", n)
		}
		if got := attrsOf(t, db, ann); !slices.Equal(got, []string{"department=SALES (directory)"}) {
			t.Fatalf("ann's attributes after removal %q", got)
		}

		t.Run("the directory leaves an imported value alone", func(t *testing.T) {
			carl := member(t, db, "29:carl", "carl@contoso.com")
			imported := func(name, value string) segmentbot.Attribute {
				return segmentbot.Attribute{UserID: carl.ID, Name: name, Value: value, Source: segmentbot.AttributeImport}
			}
			mustSave(t, db, imported("country", "UK"), imported("department", "Sales"))
			// The directory has another country and no department: neither
			// replaces nor removes what the admin's file said.
			if n := mustSave(t, db, attr(carl, "country", "US"), attr(carl, "department", ""), attr(carl, "city", "Leeds")); n != 1 {
				t.Fatalf("the directory changed %d users, want 1 (city added)", n)
			}
			want := []string{"city=Leeds (directory)", "country=UK (import)", "department=Sales (import)"}
			if got := attrsOf(t, db, carl); !slices.Equal(got, want) {
				t.Fatalf("carl's attributes %q, want %q", got, want)
			}
			// A later import does replace and remove.
			mustSave(t, db, imported("country", "FR"), imported("department", ""))
			want = []string{"city=Leeds (directory)", "country=FR (import)"}
			if got := attrsOf(t, db, carl); !slices.Equal(got, want) {
				t.Fatalf("after a second import %q, want %q", got, want)
			}
		})

		t.Run("bad input changes nothing", func(t *testing.T) {
			for _, bad := range []segmentbot.Attribute{
				{UserID: ann.ID, Name: " ", Value: "x", Source: segmentbot.AttributeImport},
				{UserID: ann.ID, Name: "department", Value: "x"},
				{UserID: 0, Name: "department", Value: "x", Source: segmentbot.AttributeImport},
				{UserID: ann.ID, Name: string(make([]byte, segmentbot.MaxAttributeName+1)), Value: "x", Source: segmentbot.AttributeImport},
				// 1,000 characters, but 3,000 bytes: more than PostgreSQL's index takes.
				{UserID: ann.ID, Name: "motto", Value: strings.Repeat("語", segmentbot.MaxAttributeValue), Source: segmentbot.AttributeImport},
			} {
				_, err := db.SaveAttributes(ctx, []segmentbot.Attribute{attr(ann, "department", "Marketing"), bad})
				wantCode(t, err, segmentbot.EINVALID)
			}
			if got := attrsOf(t, db, ann); !slices.Equal(got, []string{"department=SALES (directory)"}) {
				t.Fatalf("a refused save changed %q", got)
			}
		})

		t.Run("many users in batches", func(t *testing.T) {
			var attrs []segmentbot.Attribute
			var users []*segmentbot.User
			for i := range 1200 {
				users = append(users, &segmentbot.User{Channel: segmentbot.ChannelTeams, ExternalID: fmt.Sprintf("29:m%d", i), Active: true})
			}
			if err := db.UpsertUsers(ctx, users); err != nil {
				t.Fatal(err)
			}
			for _, u := range users {
				attrs = append(attrs, attr(u, "city", "Leeds"), attr(u, "country", "UK"))
			}
			if n := mustSave(t, db, attrs...); n != 1200 {
				t.Fatalf("changed %d users, want 1200", n)
			}
			for i := range attrs {
				attrs[i].Value = ""
			}
			if n := mustSave(t, db, attrs...); n != 1200 {
				t.Fatalf("removal changed %d users, want 1200", n)
			}
			if got := attrsOf(t, db, users[1100]); len(got) != 0 {
				t.Fatalf("attributes left %q", got)
			}
		})
	})
}

func TestCountAttributes(t *testing.T) {
	ctx := context.Background()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		var attrs []segmentbot.Attribute
		for i, dept := range []string{"Sales", "sales", "SALES", "Marketing", "Marketing", "IT"} {
			u := member(t, db, fmt.Sprintf("29:u%d", i), fmt.Sprintf("u%d@contoso.com", i))
			attrs = append(attrs, attr(u, "department", dept))
			if i < 2 {
				attrs = append(attrs, attr(u, "country", "UK"))
			}
		}
		mustSave(t, db, attrs...)
		counts, err := db.CountAttributes(ctx, 2)
		if err != nil {
			t.Fatal(err)
		}
		got := fmt.Sprint(counts)
		want := "[{country 2 [{UK 2}]} {department 6 [{Sales 3} {Marketing 2}]}]"
		if got != want {
			t.Fatalf("counts %s, want %s (values folded and shown as the first user spells them, top 2, names in order)", got, want)
		}
		if counts, err := db.CountAttributes(ctx, 0); err != nil || len(counts) != 2 || len(counts[1].Values) != 0 {
			t.Fatalf("without values: %v, %v", counts, err)
		}
	})
}

// filterWorld is a segment of members with attributes.
type filterWorld struct {
	seg   *segmentbot.Segment
	users map[string]*segmentbot.User
}

// newFilterWorld makes News with ann (Sales, UK), bob (sales, US),
// cem (Marketing, no country), dee (ÉQUIPE, DE, region EMEA), eve (no
// attributes), and out (Sales, UK) who opted out of News.
func newFilterWorld(t *testing.T, db *store.DB) *filterWorld {
	t.Helper()
	ctx := context.Background()
	w := &filterWorld{seg: mustSegment(t, db, "News"), users: map[string]*segmentbot.User{}}
	for _, name := range []string{"ann", "bob", "cem", "dee", "eve", "out"} {
		u := member(t, db, "29:"+name, name+"@contoso.com")
		if _, err := db.Join(ctx, w.seg.ID, u.ID, segmentbot.SourceAPI, 0); err != nil {
			t.Fatal(err)
		}
		w.users[name] = u
	}
	u := w.users
	mustSave(t, db, attr(u["ann"], "department", "Sales"), attr(u["ann"], "country", "UK"),
		attr(u["bob"], "department", "sales"), attr(u["bob"], "country", "US"),
		attr(u["cem"], "department", "Marketing"),
		attr(u["dee"], "department", "ÉQUIPE"), attr(u["dee"], "country", "DE"), attr(u["dee"], "region", "EMEA"),
		attr(u["out"], "department", "Sales"), attr(u["out"], "country", "UK"))
	if _, err := db.Leave(ctx, w.seg.ID, u["out"].ID, segmentbot.SourceButton, u["out"].ID, true); err != nil {
		t.Fatal(err)
	}
	return w
}

// names returns the names of users (their external id without "29:").
func names(users []*segmentbot.User) []string {
	var got []string
	for _, u := range users {
		got = append(got, u.ExternalID[3:])
	}
	return got
}

func cond(attribute, op string, values ...string) segmentbot.Condition {
	return segmentbot.Condition{Attribute: attribute, Op: op, Values: values}
}

func TestFindAudience(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name   string
		filter *segmentbot.Filter
		want   []string
	}{
		{"no filter: every member not opted out", nil, []string{"ann", "bob", "cem", "dee", "eve"}},
		{"in, without case", &segmentbot.Filter{All: []segmentbot.Condition{cond("Department", segmentbot.OpIn, "SALES")}},
			[]string{"ann", "bob"}},
		{"in, Unicode without case", &segmentbot.Filter{All: []segmentbot.Condition{cond("department", segmentbot.OpIn, "équipe")}},
			[]string{"dee"}},
		{"in, several values", &segmentbot.Filter{All: []segmentbot.Condition{cond("department", segmentbot.OpIn, "marketing", " Équipe ")}},
			[]string{"cem", "dee"}},
		{"not_in: users without the attribute match", &segmentbot.Filter{All: []segmentbot.Condition{cond("country", segmentbot.OpNotIn, "us", "uk")}},
			[]string{"cem", "dee", "eve"}},
		{"exists", &segmentbot.Filter{All: []segmentbot.Condition{cond("country", segmentbot.OpExists)}},
			[]string{"ann", "bob", "dee"}},
		{"missing", &segmentbot.Filter{All: []segmentbot.Condition{cond("COUNTRY", segmentbot.OpMissing)}},
			[]string{"cem", "eve"}},
		{"every condition holds", &segmentbot.Filter{All: []segmentbot.Condition{
			cond("department", segmentbot.OpIn, "sales", "équipe"), cond("country", segmentbot.OpNotIn, "US")}},
			[]string{"ann", "dee"}},
		{"a name no user has", &segmentbot.Filter{All: []segmentbot.Condition{cond("shoe size", segmentbot.OpIn, "42")}}, nil},
		{"a name no user has, missing", &segmentbot.Filter{All: []segmentbot.Condition{cond("shoe size", segmentbot.OpMissing)}},
			[]string{"ann", "bob", "cem", "dee", "eve"}},
	}
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newFilterWorld(t, db)
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				a, err := db.FindAudience(ctx, w.seg.ID, tt.filter, 10)
				if err != nil {
					t.Fatal(err)
				}
				if got := names(a.Sample); a.Count != int64(len(tt.want)) || !slices.Equal(got, tt.want) {
					t.Fatalf("audience %d %q, want %q", a.Count, got, tt.want)
				}
				// The sample of a large audience walks the members: the
				// same users.
				defer store.WalkSampleFrom(1)()
				if a, err := db.FindAudience(ctx, w.seg.ID, tt.filter, 10); err != nil || !slices.Equal(names(a.Sample), tt.want) {
					t.Fatalf("walked sample %q, %v; want %q", names(a.Sample), err, tt.want)
				}
			})
		}
		t.Run("the sample is capped, the count is not", func(t *testing.T) {
			a, err := db.FindAudience(ctx, w.seg.ID, nil, 2)
			if err != nil || a.Count != 5 || len(a.Sample) != 2 || a.Sample[0].ID >= a.Sample[1].ID ||
				!slices.Contains(tests[0].want, names(a.Sample)[0]) || !slices.Contains(tests[0].want, names(a.Sample)[1]) {
				t.Fatalf("audience %+v (%q), %v; want 2 of the 5, in id order", a, names(a.Sample), err)
			}
		})
		t.Run("a missing segment, a bad filter", func(t *testing.T) {
			_, err := db.FindAudience(ctx, w.seg.ID+100, nil, 2)
			wantCode(t, err, segmentbot.ENOTFOUND)
			_, err = db.FindAudience(ctx, w.seg.ID, &segmentbot.Filter{All: []segmentbot.Condition{cond("x", segmentbot.OpIn)}}, 2)
			wantCode(t, err, segmentbot.EINVALID)
		})
	})
}

// TestFilteredFixAudience checks that a broadcast with a filter fixes
// exactly the users FindAudience counts for that filter.
func TestFilteredFixAudience(t *testing.T) {
	ctx := context.Background()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		clock := useClock(db)
		w := newFilterWorld(t, db)
		f := &segmentbot.Filter{All: []segmentbot.Condition{cond(" Department", "IN ", "SALES", "équipe"), cond("country", segmentbot.OpNotIn, "us")}}
		b := &segmentbot.Broadcast{SegmentID: w.seg.ID, Name: "filtered", ScheduledAt: clock.t,
			Message: &segmentbot.BroadcastMessage{Text: "hi"}, Filter: f}
		if err := db.CreateBroadcast(ctx, b); err != nil {
			t.Fatal(err)
		}
		stored, err := db.FindBroadcastByID(ctx, b.ID)
		if err != nil || stored.Filter == nil || stored.Filter.All[0].Attribute != "department" || stored.Filter.All[0].Op != segmentbot.OpIn {
			t.Fatalf("stored filter %+v, %v; want it normalised", stored.Filter, err)
		}
		want, err := db.FindAudience(ctx, w.seg.ID, f, 10)
		if err != nil {
			t.Fatal(err)
		}
		fixed, err := db.FixAudience(ctx, b.ID)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		db.EachDelivery(ctx, b.ID, func(d *segmentbot.Delivery) error {
			got = append(got, d.Name[3:])
			return nil
		})
		if fixed.Audience != want.Count || !slices.Equal(got, names(want.Sample)) || !slices.Equal(got, []string{"ann", "dee"}) {
			t.Fatalf("fixed %d %q, FindAudience %d %q, want ann and dee", fixed.Audience, got, want.Count, names(want.Sample))
		}
	})
}

// events returns the segment's log as "name action source".
func events(t *testing.T, db *store.DB, seg *segmentbot.Segment, byID map[int64]string) []string {
	t.Helper()
	list, err := db.FindEvents(context.Background(), seg.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range list {
		got = append(got, byID[e.UserID]+" "+e.Action+" "+e.Source)
	}
	return got
}

func TestRuleSegment(t *testing.T) {
	ctx := context.Background()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		byID := map[int64]string{}
		users := map[string]*segmentbot.User{}
		for _, name := range []string{"ann", "bob", "cem", "dee", "gus"} {
			u := member(t, db, "29:"+name, name+"@contoso.com")
			users[name], byID[u.ID] = u, name
		}
		gone := mustUser(t, db, segmentbot.User{ExternalID: "29:gone", Email: "gone@contoso.com", Active: false, InBotGroups: true})
		users["gone"], byID[gone.ID] = gone, "gone"
		for _, name := range []string{"ann", "bob", "cem", "gus", "gone"} {
			mustSave(t, db, attr(users[name], "country", "uk"), attr(users[name], "department", "Sales"))
		}
		mustSave(t, db, attr(users["bob"], "department", "IT"))
		// gus typed unsubscribe: no rule joins him.
		if _, err := db.OptOutAll(ctx, users["gus"].ID, segmentbot.SourceKeyword); err != nil {
			t.Fatal(err)
		}

		seg := &segmentbot.Segment{Name: "UK Sales", Filter: &segmentbot.Filter{All: []segmentbot.Condition{
			cond("Country", segmentbot.OpIn, "UK"), cond("department", segmentbot.OpIn, "sales")}}}
		if err := db.CreateSegment(ctx, seg); err != nil {
			t.Fatal(err)
		}
		if seg.Members != 2 || seg.Filter.All[0].Attribute != "country" {
			t.Fatalf("created %+v; want 2 members (ann, cem) and the filter normalised", seg)
		}
		found, err := db.FindSegmentByID(ctx, seg.ID)
		if err != nil || found.Members != 2 || found.Filter == nil || len(found.Filter.All) != 2 || found.Filter.All[1].Values[0] != "sales" {
			t.Fatalf("found %+v (filter %+v), %v", found, found.Filter, err)
		}
		list, _ := db.FindSegments(ctx, segmentbot.Page{})
		if len(list) != 1 || list[0].Filter == nil {
			t.Fatalf("FindSegments does not show the filter: %+v", list)
		}
		if got := events(t, db, seg, byID); !slices.Equal(got, []string{"ann join rule", "cem join rule"}) {
			t.Fatalf("events %q", got)
		}

		// bob moves to Sales, cem to IT, dee gets UK Sales: after the sync
		// bob and dee are in, cem is out.
		mustSave(t, db, attr(users["bob"], "department", "SALES"), attr(users["cem"], "department", "IT"),
			attr(users["dee"], "country", "UK"), attr(users["dee"], "department", "Sales"))
		change, err := db.SyncRuleSegment(ctx, seg.ID)
		if err != nil || change.Joined != 2 || change.Left != 1 {
			t.Fatalf("sync %+v, %v; want 2 joined, 1 left", change, err)
		}
		if got := memberNames(t, db, seg, byID); !slices.Equal(got, []string{"ann", "bob", "dee"}) {
			t.Fatalf("members %q", got)
		}
		if change, err := db.SyncRuleSegment(ctx, seg.ID); err != nil || *change != (segmentbot.RuleChange{}) {
			t.Fatalf("a second sync changed %+v, %v", change, err)
		}

		// ann taps Opt out: she stays out while she matches; her own Opt in
		// brings her back.
		if _, err := db.Leave(ctx, seg.ID, users["ann"].ID, segmentbot.SourceButton, users["ann"].ID, true); err != nil {
			t.Fatal(err)
		}
		if change, err := db.SyncRuleSegments(ctx); err != nil || change.Joined != 0 || change.Left != 0 {
			t.Fatalf("sync after the opt-out %+v, %v", change, err)
		}
		if got := memberNames(t, db, seg, byID); !slices.Equal(got, []string{"bob", "dee"}) {
			t.Fatalf("members after ann's opt-out %q", got)
		}
		if _, err := db.Join(ctx, seg.ID, users["ann"].ID, segmentbot.SourceButton, users["ann"].ID); err != nil {
			t.Fatal(err)
		}
		// dee loses her country; the directory marks bob as gone.
		mustSave(t, db, attr(users["dee"], "country", ""))
		if err := db.SetUserActive(ctx, users["bob"].ID, false); err != nil {
			t.Fatal(err)
		}
		if change, err := db.SyncRuleSegments(ctx); err != nil || change.Joined != 0 || change.Left != 2 {
			t.Fatalf("sync %+v, %v; want bob and dee out", change, err)
		}
		if got := memberNames(t, db, seg, byID); !slices.Equal(got, []string{"ann"}) {
			t.Fatalf("members %q", got)
		}
		want := []string{"ann join rule", "cem join rule", "cem leave rule", "bob join rule", "dee join rule",
			"ann leave button", "ann join button", "bob leave rule", "dee leave rule"}
		if got := events(t, db, seg, byID); !slices.Equal(got, want) {
			t.Fatalf("events %q, want %q", got, want)
		}

		t.Run("a member who opted out of everything meanwhile leaves at the next sync", func(t *testing.T) {
			if err := db.SlipGlobalOptOut(ctx, users["ann"].ID); err != nil {
				t.Fatal(err)
			}
			if change, err := db.SyncRuleSegment(ctx, seg.ID); err != nil || change.Left != 1 || change.Joined != 0 {
				t.Fatalf("sync %+v, %v; want ann out", change, err)
			}
			if got := memberNames(t, db, seg, byID); len(got) != 0 {
				t.Fatalf("members %q, want none", got)
			}
		})

		t.Run("an ordinary segment has no rule", func(t *testing.T) {
			plain := mustSegment(t, db, "Plain")
			_, err := db.SyncRuleSegment(ctx, plain.ID)
			wantCode(t, err, segmentbot.EINVALID)
			_, err = db.SyncRuleSegment(ctx, plain.ID+100)
			wantCode(t, err, segmentbot.ENOTFOUND)
		})
		t.Run("an invalid rule is refused", func(t *testing.T) {
			bad := &segmentbot.Segment{Name: "Bad", Filter: &segmentbot.Filter{All: []segmentbot.Condition{cond("country", segmentbot.OpExists, "UK")}}}
			wantCode(t, db.CreateSegment(ctx, bad), segmentbot.EINVALID)
			if _, err := db.FindSegmentByName(ctx, "Bad"); segmentbot.ErrorCode(err) != segmentbot.ENOTFOUND {
				t.Fatalf("the refused segment was stored: %v", err)
			}
		})
	})
}

// memberNames lists the segment's members by name.
func memberNames(t *testing.T, db *store.DB, seg *segmentbot.Segment, byID map[int64]string) []string {
	t.Helper()
	members, err := db.FindMembers(context.Background(), seg.ID, segmentbot.Page{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range members {
		got = append(got, byID[m.UserID])
	}
	return got
}

// FitsRule is the check of a user's own Opt in on a rule segment: it
// decides as the rule's sync does.
func TestFitsRule(t *testing.T) {
	ctx := context.Background()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ann := member(t, db, "29:ann", "ann@contoso.com")
		bob := member(t, db, "29:bob", "bob@contoso.com")
		gone := mustUser(t, db, segmentbot.User{ExternalID: "29:gone", Email: "gone@contoso.com", Active: false, InBotGroups: true})
		for _, u := range []*segmentbot.User{ann, gone} {
			mustSave(t, db, attr(u, "country", "UK"))
		}
		mustSave(t, db, attr(bob, "country", "US"))
		rule := &segmentbot.Segment{Name: "UK", Filter: &segmentbot.Filter{All: []segmentbot.Condition{cond("country", segmentbot.OpIn, "uk")}}}
		if err := db.CreateSegment(ctx, rule); err != nil {
			t.Fatal(err)
		}
		manual := mustSegment(t, db, "News")

		for _, c := range []struct {
			name     string
			seg      int64
			user     *segmentbot.User
			fits     bool
			withRule bool
		}{
			{"a user who matches fits", rule.ID, ann, true, true},
			{"a user who does not match does not fit", rule.ID, bob, false, true},
			{"a user gone from the directory does not fit, as the sync would take them out", rule.ID, gone, false, true},
			{"anyone fits a segment without a rule", manual.ID, bob, true, false},
		} {
			t.Run(c.name, func(t *testing.T) {
				f, fits, err := db.FitsRule(ctx, c.seg, c.user.ID)
				if err != nil || fits != c.fits || (f != nil) != c.withRule {
					t.Fatalf("FitsRule: %+v, %t, %v; want fits %t, a rule %t", f, fits, err, c.fits, c.withRule)
				}
				if c.withRule && f.Words() != "country is uk" {
					t.Errorf("the rule in words %q", f.Words())
				}
			})
		}
		t.Run("a missing segment is not found", func(t *testing.T) {
			_, _, err := db.FitsRule(ctx, manual.ID+100, ann.ID)
			wantCode(t, err, segmentbot.ENOTFOUND)
		})
	})
}
