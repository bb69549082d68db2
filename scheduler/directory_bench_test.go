package scheduler_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/segmentbot/segmentbot"
	"github.com/segmentbot/segmentbot/bot/teams"
	"github.com/segmentbot/segmentbot/bot/teams/teamstest"
	"github.com/segmentbot/segmentbot/scheduler"
	"github.com/segmentbot/segmentbot/store"
	"github.com/segmentbot/segmentbot/store/storetest"
)

// directoryUsers is the size of the benchmark's directory, every one of
// them a known user; directoryBudget what a first sync of it may take.
const (
	directoryUsers  = 100_000
	directoryBudget = 60 * time.Second
)

// BenchmarkDirectorySync times a first directory sync of 100,000 known
// users with 8 attributes each, on each database, against the fake Graph
// on loopback at the default Graph rate (50 requests/s) and page size
// (100 users), with one rule segment to bring up to date. Every run
// starts from a fresh database (seeding is not timed). The read-only
// baseline reads the same directory at the same rate and writes nothing.
// Run: go test ./scheduler/ -run '^$' -bench DirectorySync -benchtime 1x -count 3
func BenchmarkDirectorySync(b *testing.B) {
	kit := teamstest.New(b)
	values := map[string][]string{
		"department":     {"Sales", "Marketing", "Engineering", "Legal", "Finance", "HR", "Support", "Operations", "Research", "IT"},
		"jobTitle":       {"Rep", "Manager", "Engineer", "Analyst", "Director", "Lead", "Assistant", "Counsel"},
		"officeLocation": {"B1", "B2", "B3", "B4", "HQ", "Remote"}, "city": {"Leeds", "London", "Paris", "Berlin", "Madrid", "Rome", "Oslo"},
		"country": {"UK", "FR", "DE", "ES", "IT", "NO", "US"}, "companyName": {"Contoso", "Fabrikam"},
		"employeeType": {"Employee", "Contractor"}, "preferredLanguage": {"en-GB", "fr-FR", "de-DE", "es-ES"},
	}
	for i := range directoryUsers {
		attrs := map[string]string{}
		for name, vs := range values {
			attrs[name] = vs[(i*7+len(name))%len(vs)]
		}
		kit.AddGraphUser(teamstest.GraphUser{ID: benchAAD(i), UPN: fmt.Sprintf("u%d@contoso.com", i), Name: fmt.Sprintf("User %d", i), Attributes: attrs})
	}
	cfg := kit.Config()
	cfg.GraphRate = 0 // the default
	cfg.Logger = slog.New(slog.DiscardHandler)
	// The baseline: reading the directory alone, no writes, at the same
	// rate; a sync cannot be faster.
	b.Run("read-only", func(b *testing.B) {
		var total time.Duration
		for b.Loop() {
			began := time.Now()
			n := 0
			_, err := teams.NewGraph(cfg).ReadDirectory(context.Background(), teamstest.TenantID, "", func(users []*segmentbot.User) error {
				n += len(users)
				return nil
			})
			if err != nil || n != directoryUsers {
				b.Fatalf("read %d users: %v", n, err)
			}
			total += time.Since(began)
		}
		b.ReportMetric((total / time.Duration(b.N)).Seconds(), "s/sync")
	})
	for _, dialect := range storetest.Dialects(b) {
		b.Run(dialect, func(b *testing.B) {
			var total time.Duration
			for b.Loop() {
				b.StopTimer()
				db := benchDirectoryDB(b, dialect)
				s, err := scheduler.New(scheduler.Config{
					Directory: teams.NewGraph(cfg), Worker: "bench",
					Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
				}, db, map[string]segmentbot.Messenger{}, links{})
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				began := time.Now()
				if err := s.SyncDirectory(context.Background()); err != nil {
					b.Fatal(err)
				}
				took := time.Since(began)
				b.StopTimer()
				total += took
				checkDirectorySynced(b, db, took)
				db.Close()
				b.StartTimer()
			}
			b.ReportMetric((total / time.Duration(b.N)).Seconds(), "s/sync")
		})
	}
}

func benchAAD(i int) string { return fmt.Sprintf("00000000-0000-0000-0000-%012d", i) }

// benchDirectoryDB is a fresh database (a file for SQLite, as in
// production) holding the directory's users and a rule segment.
func benchDirectoryDB(b *testing.B, dialect string) *store.DB {
	b.Helper()
	var db *store.DB
	if dialect == "sqlite" {
		db = storetest.OpenFile(b)
	} else {
		db = storetest.Open(b, dialect)
	}
	ctx := context.Background()
	users := make([]*segmentbot.User, 0, 10_000)
	for i := range directoryUsers {
		users = append(users, &segmentbot.User{Channel: segmentbot.ChannelTeams, TenantID: teamstest.TenantID,
			ExternalID: fmt.Sprintf("29:u%d", i), AADObjectID: benchAAD(i), Name: fmt.Sprintf("User %d", i), Active: true})
		if len(users) == cap(users) || i == directoryUsers-1 {
			if err := db.UpsertUsers(ctx, users); err != nil {
				b.Fatal(err)
			}
			users = users[:0]
		}
	}
	seg := &segmentbot.Segment{Name: "UK Sales", Filter: &segmentbot.Filter{All: []segmentbot.Condition{
		{Attribute: "country", Op: segmentbot.OpIn, Values: []string{"UK"}},
		{Attribute: "department", Op: segmentbot.OpIn, Values: []string{"Sales"}},
	}}}
	if err := db.CreateSegment(ctx, seg); err != nil {
		b.Fatal(err)
	}
	return db
}

// checkDirectorySynced fails unless the sync stored every user's
// attributes.
func checkDirectorySynced(b *testing.B, db *store.DB, took time.Duration) {
	b.Helper()
	counts, err := db.CountAttributes(context.Background(), 1)
	if err != nil {
		b.Fatal(err)
	}
	if len(counts) != 8 {
		b.Fatalf("%d attribute names after the sync, want 8", len(counts))
	}
	for _, c := range counts {
		if c.Users != directoryUsers {
			b.Fatalf("%s: %d users, want %d", c.Name, c.Users, directoryUsers)
		}
	}
	if took > directoryBudget {
		b.Logf("a first sync of %d users took %s, budget %s", directoryUsers, took, directoryBudget)
	}
}
