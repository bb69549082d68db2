package teams_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/segmentbot/segmentbot"
	"github.com/segmentbot/segmentbot/bot/teams"
	"github.com/segmentbot/segmentbot/bot/teams/teamstest"
)

// graphAttributeNames are the Graph names of the standard attributes.
var graphAttributeNames = []string{"department", "jobTitle", "officeLocation", "city", "country", "companyName", "employeeType", "preferredLanguage"}

func TestGraphAttributeNamesAreTheDirectoryAttributes(t *testing.T) {
	var lower []string
	for _, n := range graphAttributeNames {
		lower = append(lower, strings.ToLower(n))
	}
	if want := segmentbot.DirectoryAttributes[segmentbot.ChannelTeams]; !slices.Equal(lower, want) {
		t.Fatalf("Graph names %v, attribute names %v", lower, want)
	}
}

// readAll reads the tenant's directory from link and returns the users
// by page and the next link.
func readAll(t *testing.T, g *teams.Graph, link string) ([][]*segmentbot.User, string) {
	t.Helper()
	pages, read := readDirectory(t, g, link)
	return pages, read.Link
}

// readDirectory is readAll that returns all ReadDirectory says of the read.
func readDirectory(t *testing.T, g *teams.Graph, link string) ([][]*segmentbot.User, segmentbot.DirectoryRead) {
	t.Helper()
	var pages [][]*segmentbot.User
	read, err := g.ReadDirectory(context.Background(), teamstest.TenantID, link, func(users []*segmentbot.User) error {
		pages = append(pages, users)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return pages, read
}

func directoryKit(t *testing.T, n int) *teamstest.Kit {
	kit := teamstest.New(t)
	for i := range n {
		kit.AddGraphUser(teamstest.GraphUser{ID: fmt.Sprintf("AAD-%03d", i), UPN: fmt.Sprintf("u%03d@contoso.com", i), Name: fmt.Sprintf("User %d", i),
			Attributes: map[string]string{"department": "Sales", "country": "UK"}})
	}
	return kit
}

func TestReadDirectoryFollowsPagesAndReturnsTheDeltaLink(t *testing.T) {
	kit := directoryKit(t, 250)
	kit.SetDeltaPageSize(100)
	pages, read := readDirectory(t, teams.NewGraph(kit.Config()), "")
	if got := []int{len(pages[0]), len(pages[1]), len(pages[2])}; len(pages) != 3 || !slices.Equal(got, []int{100, 100, 50}) {
		t.Fatalf("%d pages", len(pages))
	}
	if !read.Full || read.Expired {
		t.Errorf("a read without a link: %+v; want a full read, nothing expired", read)
	}
	link := read.Link
	seen := map[string]bool{}
	for _, p := range pages {
		for _, u := range p {
			seen[u.AADObjectID] = true
		}
	}
	if len(seen) != 250 || !seen["aad-000"] || !seen["aad-249"] {
		t.Fatalf("%d distinct users read", len(seen))
	}
	if !strings.Contains(link, "$deltatoken=") {
		t.Fatalf("link %q is no deltaLink", link)
	}
	asks := kit.DeltaRequests()
	if len(asks) != 3 || !strings.Contains(asks[1], "$skiptoken=") || !strings.Contains(asks[2], "$skiptoken=") {
		t.Fatalf("requests %q: the nextLinks were not followed", asks)
	}
}

func TestReadDirectorySelectsTheStandardAttributes(t *testing.T) {
	kit := directoryKit(t, 1)
	kit.AddGraphUser(teamstest.GraphUser{ID: "AAD-X", UPN: "x@contoso.com", Attributes: map[string]string{
		"department": "Sales", "jobTitle": "Rep", "officeLocation": "B1", "city": "Leeds", "country": "UK",
		"companyName": "Contoso", "employeeType": "Employee", "preferredLanguage": "en-GB"}})
	pages, _ := readAll(t, teams.NewGraph(kit.Config()), "")
	asks := kit.DeltaRequests()
	q, err := url.ParseQuery(asks[0])
	if err != nil {
		t.Fatal(err)
	}
	sel := strings.Split(q.Get("$select"), ",")
	for _, name := range append([]string{"id", "accountEnabled"}, graphAttributeNames...) {
		if !slices.Contains(sel, name) {
			t.Errorf("$select %v lacks %s", sel, name)
		}
	}
	var x *segmentbot.User
	for _, u := range pages[0] {
		if u.AADObjectID == "aad-x" {
			x = u
		}
	}
	want := map[string]string{"department": "Sales", "jobtitle": "Rep", "officelocation": "B1", "city": "Leeds", "country": "UK",
		"companyname": "Contoso", "employeetype": "Employee", "preferredlanguage": "en-GB"}
	if x == nil || !maps.Equal(x.Attributes, want) {
		t.Fatalf("user %+v", x)
	}
	// A standard attribute the directory has null for is "" (removed).
	other := pages[0][0]
	if v, ok := other.Attributes["jobtitle"]; !ok || v != "" || other.Attributes["department"] != "Sales" {
		t.Fatalf("attributes of a user without a job title: %v", other.Attributes)
	}
}

func TestReadDirectoryFromTheDeltaLinkGivesTheChanges(t *testing.T) {
	kit := directoryKit(t, 5)
	g := teams.NewGraph(kit.Config())
	_, link := readAll(t, g, "")
	kit.AddGraphUser(teamstest.GraphUser{ID: "AAD-001", UPN: "u001@contoso.com", Attributes: map[string]string{"department": "Marketing"}})
	kit.AddGraphUser(teamstest.GraphUser{ID: "AAD-002", UPN: "u002@contoso.com", Disabled: true})
	kit.RemoveGraphUser("", "AAD-003")
	pages, read := readDirectory(t, g, link)
	if read.Full || read.Expired {
		t.Errorf("a read from the deltaLink: %+v; want changes only", read)
	}
	next := read.Link
	got := map[string]*segmentbot.User{}
	for _, p := range pages {
		for _, u := range p {
			got[u.AADObjectID] = u
		}
	}
	if len(got) != 3 {
		t.Fatalf("%d users changed, want 3: %v", len(got), slices.Collect(maps.Keys(got)))
	}
	if u := got["aad-001"]; !u.Active || u.Attributes["department"] != "Marketing" {
		t.Errorf("changed user %+v", u)
	}
	if u := got["aad-002"]; u.Active {
		t.Errorf("disabled user %+v is active", u)
	}
	if u := got["aad-003"]; u.Active || u.Attributes != nil {
		t.Errorf("removed user %+v", u)
	}
	asks := kit.DeltaRequests()
	if !strings.Contains(asks[len(asks)-1], "$deltatoken=") {
		t.Fatalf("the second read asked %q, not the deltaLink", asks[len(asks)-1])
	}
	if pages, _ := readAll(t, g, next); len(pages) != 1 || len(pages[0]) != 0 {
		t.Fatalf("nothing changed, yet %d pages", len(pages))
	}
}

func TestReadDirectoryWaitsOutA429(t *testing.T) {
	kit := directoryKit(t, 3)
	kit.ThrottleDelta(2, "1")
	pages, link := readAll(t, teams.NewGraph(kit.Config()), "")
	if len(pages) != 1 || len(pages[0]) != 3 || link == "" {
		t.Fatalf("%d pages after throttling", len(pages))
	}
	if asks := kit.DeltaRequests(); len(asks) != 3 {
		t.Fatalf("%d requests, want 2 throttled and 1 answered", len(asks))
	}
}

func TestReadDirectoryStartsOverWhenTheLinkExpired(t *testing.T) {
	kit := directoryKit(t, 4)
	g := teams.NewGraph(kit.Config())
	_, link := readAll(t, g, "")
	kit.ExpireDeltaTokens()
	pages, read := readDirectory(t, g, link)
	if len(pages) != 1 || len(pages[0]) != 4 || read.Link == "" || read.Link == link {
		t.Fatalf("after an expired link: %d pages, link %q", len(pages), read.Link)
	}
	if !read.Full || !read.Expired {
		t.Fatalf("after an expired link: %+v; want a full read that says the link expired", read)
	}
}

func TestReadDirectoryRefusesALinkOutsideGraph(t *testing.T) {
	kit := directoryKit(t, 1)
	_, err := teams.NewGraph(kit.Config()).ReadDirectory(context.Background(), teamstest.TenantID, "https://attacker.example/users/delta?$deltatoken=x",
		func([]*segmentbot.User) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "not under GRAPH_URL") {
		t.Fatalf("err %v", err)
	}
	if n := len(kit.DeltaRequests()); n != 0 {
		t.Fatalf("%d requests", n)
	}
}

func TestReadDirectoryStopsOnTheCallersError(t *testing.T) {
	kit := directoryKit(t, 30)
	kit.SetDeltaPageSize(10)
	stop := errors.New("store down")
	calls := 0
	_, err := teams.NewGraph(kit.Config()).ReadDirectory(context.Background(), teamstest.TenantID, "", func([]*segmentbot.User) error {
		calls++
		return stop
	})
	if !errors.Is(err, stop) || calls != 1 || len(kit.DeltaRequests()) != 1 {
		t.Fatalf("err %v after %d calls", err, calls)
	}
}

func TestGraphLookupGivesTheStandardAttributes(t *testing.T) {
	kit := teamstest.New(t)
	kit.AddGraphUser(teamstest.GraphUser{ID: "AAAA-1", UPN: "ann@contoso.com", Mail: "ann.lee@contoso.com", Name: "Ann Lee",
		Attributes: map[string]string{"department": "Sales", "country": "UK", "jobTitle": " "}})
	misses := []segmentbot.Miss{
		{Kind: segmentbot.KindEmail, Norm: "ann@contoso.com"},     // GET /users/{upn}
		{Kind: segmentbot.KindEmail, Norm: "ann.lee@contoso.com"}, // $filter by mail
		{Kind: segmentbot.KindAADID, Norm: "aaaa-1"},              // GET /users/{id}
	}
	results, err := teams.NewGraph(kit.Config()).Lookup(context.Background(), teamstest.TenantID, misses)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"department": "Sales", "country": "UK", "jobtitle": "", "officelocation": "", "city": "",
		"companyname": "", "employeetype": "", "preferredlanguage": ""}
	for _, r := range results {
		if r.User == nil || !maps.Equal(r.User.Attributes, want) {
			t.Errorf("%v: user %+v", r.Miss, r.User)
		}
	}
	for _, sel := range kit.GraphSelects() {
		for _, name := range graphAttributeNames {
			if !slices.Contains(strings.Split(sel, ","), name) {
				t.Fatalf("a lookup's $select %q lacks %s", sel, name)
			}
		}
	}
}

func TestReadDirectoryOfAnotherTenantIsForbiddenToASingleTenantBot(t *testing.T) {
	kit := directoryKit(t, 1)
	_, err := teams.NewGraph(kit.Config()).ReadDirectory(context.Background(), teamstest.OtherTenantID, "", func([]*segmentbot.User) error { return nil })
	if segmentbot.ErrorCode(err) != segmentbot.EFORBIDDEN || len(kit.DeltaRequests()) != 0 {
		t.Fatalf("err %v after %d requests", err, len(kit.DeltaRequests()))
	}
}
