package main

import (
	"context"
	"fmt"

	"github.com/segmentbot/segmentbot/bot/teams/faketeams"
)

// The attributes the demo gives the members of New starters, in turn.
var (
	demoDepartments = []string{"Sales", "Engineering", "Marketing", "Finance", "HR"}
	demoCountries   = []string{"UK", "US", "Germany"}
)

// demoFiltered is the filtered broadcast of the attributes chapter.
const demoFiltered = "broadcast " + demoSegment + " where department is Engineering and country is UK as Laptop pickup\n" +
	"Your laptop is ready at the IT desk on the 2nd floor."

// attributes is the last chapter: the directory sync brings the members'
// departments and countries, which narrow an audience, define a segment
// that keeps itself up to date (and takes a new rule), and filter a
// broadcast.
func (s *story) attributes() error {
	s.t.chapter("9. Ada narrows the audience by department and country")
	if err := s.syncDirectory(); err != nil {
		return err
	}
	for _, text := range []string{
		"attributes",
		"audience " + demoSegment + " where department is Sales and country is UK",
		"audience " + demoSegment + " where departmnt is Sales",
		"create segment UK Sales where country is UK and department is Sales",
		"change segment UK Sales where country is UK and department is Sales or Engineering",
	} {
		if _, err := s.say(s.p.admin, text); err != nil {
			return err
		}
	}
	if err := s.previewAndSend(demoFiltered, "Laptop pickup"); err != nil {
		return err
	}
	var err error
	_, s.filteredCopies, err = s.followBroadcast("Laptop pickup")
	return err
}

// syncDirectory gives everyone of the team a department and a country in
// the fake Graph, in turn, and Priya Engineering in the UK, and runs the
// directory sync (SEGMENTBOT_DIRECTORY_SYNC) at once.
func (s *story) syncDirectory() error {
	for i, m := range s.p.roster {
		s.w.kit.AddGraphUser(faketeams.GraphUser{ID: m.ObjectID, UPN: m.UserPrincipalName, Mail: m.Email, Name: m.Name,
			Attributes: map[string]string{
				"department": demoDepartments[i%len(demoDepartments)],
				"country":    demoCountries[i/len(demoDepartments)%len(demoCountries)],
			}})
	}
	priya := s.p.optedIn
	s.w.kit.AddGraphUser(faketeams.GraphUser{ID: priya.AADObjectID, UPN: demoEmail(priya.Name), Mail: demoEmail(priya.Name), Name: priya.Name,
		Attributes: map[string]string{"department": "Engineering", "country": "UK"}})
	s.t.note("Contoso's directory gives everyone a department and a country; the nightly directory sync (SEGMENTBOT_DIRECTORY_SYNC) runs now")
	if err := s.w.app.sched.SyncDirectory(context.Background()); err != nil {
		return fmt.Errorf("demo: directory sync: %w", err)
	}
	return nil
}
