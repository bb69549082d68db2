package handlers

import (
	"context"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/segmentbot/segmentbot"
	"github.com/segmentbot/segmentbot/store"
)

// addUser puts a user into the directory.
func addUser(t testing.TB, db *store.DB, name, email string) *segmentbot.User {
	t.Helper()
	u := &segmentbot.User{Channel: segmentbot.ChannelTeams, TenantID: "tenant", ExternalID: "29:" + email,
		Email: strings.ToLower(email), Name: name, Active: true, InBotGroups: true, LastSeen: testNow}
	if err := db.UpsertUser(context.Background(), u); err != nil {
		t.Fatalf("upsert user %s: %v", email, err)
	}
	return u
}

// join makes a user a member of a segment.
func join(t testing.TB, db *store.DB, segmentID int64, u *segmentbot.User) {
	t.Helper()
	if _, err := db.Join(context.Background(), segmentID, u.ID, segmentbot.SourceChat, 0); err != nil {
		t.Fatalf("join: %v", err)
	}
}

// runImport puts values through the store's import pipeline into the
// segment, as the importer does, and returns the finished import.
func runImport(t testing.TB, db *store.DB, segmentID int64, values []string) *segmentbot.Import {
	t.Helper()
	ctx := context.Background()
	imp := &segmentbot.Import{SegmentID: segmentID, Channel: "api", FileName: "test.csv"}
	if err := db.CreateImport(ctx, imp); err != nil {
		t.Fatalf("create import: %v", err)
	}
	i := 0
	_, err := db.StageRows(ctx, imp.ID, func() (*segmentbot.StagedRow, error) {
		if i == len(values) {
			return nil, io.EOF
		}
		v := values[i]
		i++
		row := &segmentbot.StagedRow{Row: int64(i), Value: v, Kind: segmentbot.KindInvalid, Note: "not an email"}
		if strings.Contains(v, "@") && !strings.ContainsAny(v, " =+") {
			row.Norm, row.Kind, row.Note = strings.ToLower(v), segmentbot.KindEmail, ""
		}
		return row, nil
	})
	if err != nil {
		t.Fatalf("stage rows: %v", err)
	}
	if err := db.ResolveImport(ctx, imp.ID); err != nil {
		t.Fatalf("resolve: %v", err)
	}
	if err := db.SaveLookups(ctx, imp.ID, notFound(t, db, imp.ID)); err != nil {
		t.Fatalf("save lookups: %v", err)
	}
	done, err := db.ApplyImport(ctx, imp.ID)
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	return done
}

// notFound answers every miss of an import with not_found, as a live
// directory that knows nobody more would.
func notFound(t testing.TB, db *store.DB, importID int64) []segmentbot.LookupResult {
	t.Helper()
	misses, err := db.ImportMisses(context.Background(), importID)
	if err != nil {
		t.Fatalf("misses: %v", err)
	}
	results := make([]segmentbot.LookupResult, len(misses))
	for i, m := range misses {
		results[i] = segmentbot.LookupResult{Miss: m, Reason: segmentbot.ReasonNotFound}
	}
	return results
}

// addMembers puts n users named by name(i) with emails user<i>@example.com
// into the directory and the segment, in bulk.
func addMembers(t testing.TB, db *store.DB, segmentID int64, n int, name func(i int) string) {
	t.Helper()
	const chunk = 10_000
	emails := make([]string, 0, n)
	for start := 0; start < n; start += chunk {
		users := make([]*segmentbot.User, 0, chunk)
		for i := start; i < min(n, start+chunk); i++ {
			email := fmt.Sprintf("user%d@example.com", i)
			users = append(users, &segmentbot.User{Channel: segmentbot.ChannelTeams, TenantID: "tenant",
				ExternalID: "29:" + email, Email: email, Name: name(i), Active: true, LastSeen: testNow})
			emails = append(emails, email)
		}
		if err := db.UpsertUsers(context.Background(), users); err != nil {
			t.Fatalf("upsert users: %v", err)
		}
	}
	if imp := runImport(t, db, segmentID, emails); imp.Added != int64(n) {
		t.Fatalf("import added %d of %d", imp.Added, n)
	}
}
