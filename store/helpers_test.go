package store_test

import (
	"context"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/segmentbot/segmentbot"
	"github.com/segmentbot/segmentbot/store"
)

// fixed is the clock of tests that move time by hand.
type fixed struct{ t time.Time }

func (c *fixed) now() time.Time { return c.t }

func useClock(db *store.DB) *fixed {
	c := &fixed{t: time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)}
	db.Now = c.now
	return c
}

func mustSegment(t *testing.T, db *store.DB, name string) *segmentbot.Segment {
	t.Helper()
	seg := &segmentbot.Segment{Name: name}
	if err := db.CreateSegment(context.Background(), seg); err != nil {
		t.Fatalf("create segment %q: %v", name, err)
	}
	return seg
}

func mustUser(t *testing.T, db *store.DB, u segmentbot.User) *segmentbot.User {
	t.Helper()
	if u.Channel == "" {
		u.Channel = segmentbot.ChannelTeams
	}
	if err := db.UpsertUser(context.Background(), &u); err != nil {
		t.Fatalf("upsert user %+v: %v", u, err)
	}
	return &u
}

// member is a user the bot can reach: active, in its groups.
func member(t *testing.T, db *store.DB, externalID, email string) *segmentbot.User {
	return mustUser(t, db, segmentbot.User{ExternalID: externalID, Email: email, Name: externalID, Active: true, InBotGroups: true})
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := segmentbot.ErrorCode(err); got != code {
		t.Fatalf("error code = %q (%v), want %q", got, err, code)
	}
}

// rows yields staged rows one by one, as the importer does.
func rows(staged ...segmentbot.StagedRow) func() (*segmentbot.StagedRow, error) {
	i := 0
	return func() (*segmentbot.StagedRow, error) {
		if i == len(staged) {
			return nil, io.EOF
		}
		i++
		return &staged[i-1], nil
	}
}

func email(row int64, addr string) segmentbot.StagedRow {
	return segmentbot.StagedRow{Row: row, Value: addr, Norm: addr, Kind: segmentbot.KindEmail}
}

func invalid(row int64, value, note string) segmentbot.StagedRow {
	return segmentbot.StagedRow{Row: row, Value: value, Kind: segmentbot.KindInvalid, Note: note}
}

// report returns the import's rows as "row value outcome reason detail".
func report(t *testing.T, db *store.DB, id int64) []string {
	t.Helper()
	var lines []string
	err := db.EachImportRow(context.Background(), id, func(r *segmentbot.ImportRow) error {
		lines = append(lines, fmt.Sprintf("%d %s %s %s %s", r.Row, r.Value, r.Outcome, r.Reason, r.Detail))
		return nil
	})
	if err != nil {
		t.Fatalf("report: %v", err)
	}
	return lines
}
