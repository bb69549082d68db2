package main

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"

	"github.com/segmentbot/segmentbot/bot/teams"
	"github.com/segmentbot/segmentbot/bot/teams/faketeams"
)

// The demo's organisation: everyone has a stable name, so the transcript
// and the files read the same on every run.
const (
	demoTeamID   = "19:contoso-staff@thread.tacv2"
	demoDomain   = "contoso.com"
	demoRows     = 2500
	demoSegment  = "New starters"
	demoFileName = "new-starters.csv"
)

// The failures the demo file carries, by kind (DESIGN §3 reasons).
const (
	demoTypos       = 30 // invalid: broken addresses
	demoUnknown     = 20 // not_found: nobody in the tenant
	demoOutsiders   = 15 // not_in_bot_groups: in the tenant, in no team of the bot
	demoDisabled    = 5  // left_tenant: account disabled
	demoForbidden   = 3  // permission_denied: Graph answers 403
	demoDuplicates  = 25 // the same person listed twice
	demoRosterUsers = demoRows - demoTypos - demoUnknown - demoOutsiders - demoDisabled - demoForbidden - demoDuplicates
)

var (
	firstNames = strings.Fields(`Aaliyah Aarav Abel Ada Adele Ahmed Aiko Alba Alex Alice Amara Amir Ana Anders Anja Ann
		Arjun Astrid Aya Beatriz Bela Boris Bruno Carla Carmen Chen Chiara Chloe Clara Dara Dev Diego Dmitri Elena Elif
		Emil Emma Eva Farah Felix Fiona Freya Gabriel Hana Hugo Ida Igor Ines Ivan Jade Jonas Kai Kenji Lara Leo Lina Luca
		Maya Mei Nadia Noah Nora Olga Omar Pablo Rosa Sami Sara Tomas Yara Zoe`)
	lastNames = strings.Fields(`Abe Adams Alves Bauer Berg Costa Cruz Dahl Diaz Eriksen Fischer Garcia Hansen Ito Jensen
		Kaur Khan Kim Klein Kowalski Larsen Lopez Meyer Moreau Murphy Nagy Novak Ortiz Park Rossi Sato Schmidt Silva
		Singh Tanaka Torres Vogel Wagner Weber Wong`)
)

// demoPeople is who is who in the story.
type demoPeople struct {
	admin, optedIn, optedOut, newcomer faketeams.User
	roster                             []teams.Member
	csv                                string // the file the admin sends
}

// newDemoPeople builds the team roster, teaches the fake Graph about the
// people outside it, and writes the 2,500-row file with its realistic mix.
func newDemoPeople(kit *faketeams.Kit) *demoPeople {
	p := &demoPeople{
		admin:    faketeams.NewUser("Ada Admin"),
		optedIn:  faketeams.NewUser("Priya Patel"),
		optedOut: faketeams.NewUser("Oscar Olsen"),
		newcomer: faketeams.NewUser("Ben Brown"),
	}
	names := demoNames(demoRosterUsers + demoOutsiders + demoDisabled + demoForbidden + demoUnknown + demoTypos)
	take := func(n int) []string { out := names[:n]; names = names[n:]; return out }

	var rows []string
	// Two of the roster are people who already answered the segment card.
	for _, u := range []faketeams.User{p.optedIn, p.optedOut} {
		p.roster = append(p.roster, u.Member(demoEmail(u.Name)))
		rows = append(rows, demoEmail(u.Name))
	}
	for _, name := range take(demoRosterUsers - 2) {
		u := faketeams.NewUser(name)
		p.roster = append(p.roster, u.Member(demoEmail(name)))
		rows = append(rows, demoEmail(name))
	}
	for i := range demoDuplicates {
		rows = append(rows, strings.ToUpper(rows[10+i*37])) // case differs, same person
	}
	for i, name := range take(demoOutsiders) {
		kit.AddGraphUser(faketeams.GraphUser{ID: demoGUID(1, i), UPN: demoEmail(name), Mail: demoEmail(name), Name: name})
		rows = append(rows, demoEmail(name))
	}
	for i, name := range take(demoDisabled) {
		kit.AddGraphUser(faketeams.GraphUser{ID: demoGUID(2, i), UPN: demoEmail(name), Mail: demoEmail(name), Name: name, Disabled: true})
		rows = append(rows, demoEmail(name))
	}
	for _, name := range take(demoForbidden) {
		kit.GraphStatus(demoEmail(name), http.StatusForbidden)
		rows = append(rows, demoEmail(name))
	}
	for _, name := range take(demoUnknown) {
		rows = append(rows, demoEmail(name))
	}
	for i, name := range take(demoTypos) {
		rows = append(rows, demoTypo(i, name))
	}
	// A fixed seed: shuffled like a real export, the same on every run.
	r := rand.New(rand.NewPCG(2026, 11))
	r.Shuffle(len(rows), func(i, j int) { rows[i], rows[j] = rows[j], rows[i] })
	p.csv = "Email\r\n" + strings.Join(rows, "\r\n") + "\r\n"
	return p
}

// demoNames returns n distinct "First Last" names, none of them a name the
// story's actors use.
func demoNames(n int) []string {
	taken := map[string]bool{"Ada Admin": true, "Priya Patel": true, "Oscar Olsen": true, "Ben Brown": true}
	out := make([]string, 0, n)
	for i := 0; len(out) < n; i++ {
		// Every (first, last) pair once, mixed so neighbours differ.
		f := i % len(firstNames)
		name := firstNames[f] + " " + lastNames[(i/len(firstNames)+f)%len(lastNames)]
		if !taken[name] {
			taken[name] = true
			out = append(out, name)
		}
	}
	return out
}

func demoEmail(name string) string {
	return strings.ToLower(strings.ReplaceAll(name, " ", ".")) + "@" + demoDomain
}

func demoGUID(group, i int) string {
	return fmt.Sprintf("d0000000-0000-4000-8000-%04d%08d", group, i)
}

// demoTypo breaks an address the ways people do.
func demoTypo(i int, name string) string {
	local := strings.ToLower(strings.ReplaceAll(name, " ", "."))
	switch i % 5 {
	case 0:
		return local + "@" // lost the domain (without an @ it would be an employee id, not_found)
	case 1:
		return local + "@@" + demoDomain
	case 2:
		return strings.ReplaceAll(local, ".", " ") + "@" + demoDomain
	case 3:
		return local + "@contoso"
	default:
		return strings.ReplaceAll(local, ".", "..") + "@" + demoDomain
	}
}
