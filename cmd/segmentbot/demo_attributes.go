package main

import (
	"context"
	"fmt"

	"github.com/segmentbot/segmentbot"
)

// The attributes the demo gives the members of New starters, in turn.
var (
	demoDepartments = []string{"Sales", "Engineering", "Marketing", "Finance", "HR"}
	demoCountries   = []string{"UK", "US", "Germany"}
)

// demoFiltered is the filtered broadcast of the attributes chapter.
const demoFiltered = "broadcast " + demoSegment + " where department is Engineering and country is UK as Laptop pickup\n" +
	"Your laptop is ready at the IT desk on the 2nd floor."

// attributes is the last chapter: the members' attributes narrow an
// audience, define a segment that keeps itself up to date, and filter a
// broadcast.
func (s *story) attributes() error {
	s.t.chapter("9. Ada narrows the audience by department and country")
	n, err := s.seedAttributes()
	if err != nil {
		return err
	}
	s.t.note("the directory gives every member a department and a country: %s, written here straight into the store "+
		"as the directory sync would; Priya is in Engineering in the UK", segmentbot.Counted(int64(n), "user"))
	for _, text := range []string{
		"attributes",
		"audience " + demoSegment + " where department is Sales and country is UK",
		"audience " + demoSegment + " where departmnt is Sales",
		"create segment UK Sales where country is UK and department is Sales",
	} {
		if _, err := s.say(s.p.admin, text); err != nil {
			return err
		}
	}
	if err := s.previewAndSend(demoFiltered, "Laptop pickup"); err != nil {
		return err
	}
	_, s.filteredCopies, err = s.followBroadcast("Laptop pickup")
	return err
}

// seedAttributes gives the members of New starters a department and a
// country, in turn, and Priya Engineering in the UK; it returns how many
// users got them.
func (s *story) seedAttributes() (int, error) {
	ctx := context.Background()
	db := s.w.app.store
	seg, err := db.FindSegmentByName(ctx, demoSegment)
	if err != nil {
		return 0, err
	}
	var attrs []segmentbot.Attribute
	add := func(userID int64, department, country string) {
		attrs = append(attrs,
			segmentbot.Attribute{UserID: userID, Name: "department", Value: department, Source: segmentbot.AttributeDirectory},
			segmentbot.Attribute{UserID: userID, Name: "country", Value: country, Source: segmentbot.AttributeDirectory})
	}
	i := 0
	if err := db.EachMember(ctx, seg.ID, func(m *segmentbot.Member) error {
		add(m.UserID, demoDepartments[i%len(demoDepartments)], demoCountries[i/len(demoDepartments)%len(demoCountries)])
		i++
		return nil
	}); err != nil {
		return 0, fmt.Errorf("demo: members of %s: %w", demoSegment, err)
	}
	priya, err := db.FindUserByExternalID(ctx, segmentbot.ChannelTeams, s.p.optedIn.ID)
	if err != nil {
		return 0, fmt.Errorf("demo: Priya: %w", err)
	}
	add(priya.ID, "Engineering", "UK") // the last value of a user's name wins
	n, err := db.SaveAttributes(ctx, attrs)
	return int(n), err
}
