package workplace

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/segmentbot/segmentbot"
	"github.com/segmentbot/segmentbot/bot/workplace/workplacetest"
)

// attributed is a community whose members have standard attributes.
func attributed(s *setup) {
	s.graph.Members = []workplacetest.Member{
		{ID: "2001", Name: "Ana", Email: "ana@example.com", Attributes: map[string]string{
			"department": "Sales", "title": "Rep", "division": "EMEA", "location": "Leeds", "locale": "en_GB"}},
		{ID: "2002", Name: "Ben", Email: "ben@example.com", Attributes: map[string]string{"department": "Legal"}},
	}
	s.graph.Groups["g1"] = []string{"2001", "2002"}
}

// storedAttrs returns the stored attributes of a Workplace id as
// name=value (source).
func (s *setup) storedAttrs(t *testing.T, externalID string) []string {
	t.Helper()
	u := s.stored(t, externalID)
	if u == nil {
		t.Fatalf("user %s not stored", externalID)
	}
	attrs, err := s.users.FindAttributes(context.Background(), u.ID)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, a := range attrs {
		out = append(out, fmt.Sprintf("%s=%s (%s)", a.Name, a.Value, a.Source))
	}
	return out
}

// askedForAttributes fails unless every request matching path asked for
// the standard attribute fields.
func (s *setup) askedForAttributes(t *testing.T, path string) {
	t.Helper()
	n := 0
	for _, r := range s.graph.Requests() {
		if !strings.Contains(r, path) {
			continue
		}
		n++
		for _, f := range segmentbot.DirectoryAttributes[segmentbot.ChannelWorkplace] {
			if !strings.Contains(r, f) {
				t.Errorf("request %s does not ask for %s", r, f)
			}
		}
	}
	if n == 0 {
		t.Fatalf("no request for %s in %v", path, s.graph.Requests())
	}
}

func TestGroupMembersBringTheirAttributes(t *testing.T) {
	eachStore(t, func(t *testing.T, dialect string) {
		s := newSetup(t, dialect, "g1")
		attributed(s)
		if err := s.ch.SyncGroups(context.Background()); err != nil {
			t.Fatal(err)
		}
		s.askedForAttributes(t, "/members")
		want := []string{"department=Sales (directory)", "division=EMEA (directory)", "locale=en_GB (directory)", "location=Leeds (directory)", "title=Rep (directory)"}
		if got := s.storedAttrs(t, "2001"); !slices.Equal(got, want) {
			t.Fatalf("ana's attributes %v, want %v", got, want)
		}
		// Ben moves to Sales and gets a title; Ana's other fields are cleared.
		s.graph.Members[1].Attributes = map[string]string{"department": "Sales", "title": "Counsel"}
		s.graph.Members[0].Attributes = map[string]string{"department": "Sales"}
		if err := s.ch.SyncGroups(context.Background()); err != nil {
			t.Fatal(err)
		}
		if got := s.storedAttrs(t, "2002"); !slices.Equal(got, []string{"department=Sales (directory)", "title=Counsel (directory)"}) {
			t.Fatalf("ben's attributes %v", got)
		}
		// A field the Graph no longer gives is gone from the directory.
		if got := s.storedAttrs(t, "2001"); !slices.Equal(got, []string{"department=Sales (directory)"}) {
			t.Fatalf("ana's attributes after her fields were cleared %v", got)
		}
	})
}

func TestLookedUpMembersBringTheirAttributes(t *testing.T) {
	s := newSetup(t, "sqlite")
	attributed(s)
	got, err := s.ch.Lookup(context.Background(), "c", []segmentbot.Miss{email("ana@example.com"), numeric("2002")})
	if err != nil || len(got) != 2 {
		t.Fatalf("Lookup = %+v, %v", got, err)
	}
	s.askedForAttributes(t, "ids=")
	want := map[string]string{"department": "Legal", "title": "", "division": "", "location": "", "locale": ""}
	for _, r := range got {
		if r.User != nil && r.User.ExternalID == "2002" && !maps.Equal(r.User.Attributes, want) {
			t.Fatalf("ben's attributes %v, want %v", r.User.Attributes, want)
		}
	}
}

func TestASendersProfileBringsTheirAttributes(t *testing.T) {
	eachStore(t, func(t *testing.T, dialect string) {
		s := newSetup(t, dialect)
		attributed(s)
		u := &segmentbot.User{Channel: segmentbot.ChannelWorkplace, ExternalID: "2002"}
		if err := s.ch.Profile(context.Background(), u); err != nil {
			t.Fatal(err)
		}
		s.askedForAttributes(t, "/2002?")
		if err := s.users.UpsertUser(context.Background(), u); err != nil {
			t.Fatal(err)
		}
		if got := s.storedAttrs(t, "2002"); !slices.Equal(got, []string{"department=Legal (directory)"}) {
			t.Fatalf("sender's attributes %v", got)
		}
	})
}

func TestALocationMayBeAPlace(t *testing.T) {
	var m member
	if err := json.Unmarshal([]byte(`{"id":"1","location":{"id":"108","name":"London, United Kingdom"}}`), &m); err != nil {
		t.Fatal(err)
	}
	if got := m.attributes()["location"]; got != "London, United Kingdom" {
		t.Fatalf("location %q", got)
	}
}
