package store_test

import (
	"context"
	"database/sql"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/segmentbot/segmentbot"
	"github.com/segmentbot/segmentbot/store"
	"github.com/segmentbot/segmentbot/store/storetest"
)

// benchAudience is the segment size of BenchmarkFixAudience: 1,000,000,
// or SEGMENTBOT_BENCH_AUDIENCE.
var benchAudience = func() int {
	if n, err := strconv.Atoi(os.Getenv("SEGMENTBOT_BENCH_AUDIENCE")); err == nil && n > 0 {
		return n
	}
	return 1_000_000
}()

// BenchmarkFixAudience fixes the audience of a segment of benchAudience
// members (and 50,000 opt-outs to leave out): one INSERT ... SELECT of a
// delivery row per member, in its transaction with the broadcast's start.
// In the same run it times the floor: the same SELECT into a table of two
// columns without a key, the least it costs to write the rows at all.
func BenchmarkFixAudience(b *testing.B) {
	ctx := context.Background()
	for _, dialect := range benchDialects() {
		b.Run(dialect, func(b *testing.B) {
			db, seg, raw, q := openSeeded(b, dialect, benchAudience)
			if _, err := raw.Exec(`CREATE TABLE bench_floor (b BIGINT NOT NULL, u BIGINT NOT NULL)`); err != nil {
				b.Fatal(err)
			}
			var took, floor []time.Duration
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				br := &segmentbot.Broadcast{SegmentID: seg.ID, Name: "bench", ScheduledAt: time.Now(),
					Message: &segmentbot.BroadcastMessage{Text: "x"}}
				if err := db.CreateBroadcast(ctx, br); err != nil {
					b.Fatal(err)
				}
				start := time.Now()
				got, err := db.FixAudience(ctx, br.ID)
				if err != nil {
					b.Fatal(err)
				}
				took = append(took, time.Since(start))
				if got.Audience != int64(benchAudience) {
					b.Fatalf("audience %d, want %d", got.Audience, benchAudience)
				}
				start = time.Now()
				if _, err := raw.Exec(q(`INSERT INTO bench_floor SELECT ?, m.user_id FROM memberships m
					WHERE m.segment_id = ? AND NOT EXISTS (
						SELECT 1 FROM opt_outs o WHERE o.segment_id = m.segment_id AND o.user_id = m.user_id)`), br.ID, seg.ID); err != nil {
					b.Fatal(err)
				}
				floor = append(floor, time.Since(start))
			}
			slices.Sort(took)
			slices.Sort(floor)
			b.ReportMetric(took[len(took)/2].Seconds(), "median_s/fix")
			b.ReportMetric(floor[len(floor)/2].Seconds(), "median_s/floor")
			b.ReportMetric(took[len(took)/2].Seconds()/floor[len(floor)/2].Seconds(), "fix/floor")
		})
	}
}

// openSeeded opens a new database of dialect with a segment "Everyone"
// seeded by seedAudience; the store and the plain connection close with
// the benchmark.
func openSeeded(b *testing.B, dialect string, n int) (*store.DB, *segmentbot.Segment, *sql.DB, func(string) string) {
	b.Helper()
	ctx := context.Background()
	dsn := storetest.DSN(b, dialect)
	db, err := store.Open(ctx, dsn)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	seg := &segmentbot.Segment{Name: "Everyone"}
	if err := db.CreateSegment(ctx, seg); err != nil {
		b.Fatal(err)
	}
	raw, q := seedAudience(b, dialect, dsn, seg.ID, n)
	b.Cleanup(func() { raw.Close() })
	return db, seg, raw, q
}

// seedAudience makes users 1..n members of segment with plain SQL, and
// users n+1..n+50,000 opted out of it. It returns the plain connection
// and the function that puts the dialect's placeholders in a query.
func seedAudience(b *testing.B, dialect, dsn string, segment int64, n int) (*sql.DB, func(string) string) {
	b.Helper()
	driver, source := "postgres", dsn
	if dialect == "sqlite" {
		driver, source = "sqlite", strings.TrimPrefix(dsn, "sqlite:")+"?_pragma=busy_timeout(10000)&_time_format=sqlite"
	}
	raw, err := sql.Open(driver, source)
	if err != nil {
		b.Fatal(err)
	}
	q := func(query string) string {
		if dialect == "sqlite" {
			return query
		}
		for i := 1; strings.Contains(query, "?"); i++ {
			query = strings.Replace(query, "?", "$"+strconv.Itoa(i), 1)
		}
		return query
	}
	now := time.Now().UTC()
	for _, s := range []struct {
		query string
		args  []any
	}{
		{`INSERT INTO users (id, channel, external_id, email, name, active, in_bot_groups, last_seen)
			WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < ?)
			SELECT i, 'msteams', '29:' || i, 'user' || i || '@contoso.com', 'User ' || i, TRUE, TRUE, ? FROM g`, []any{n + 50_000, now}},
		{`INSERT INTO memberships (segment_id, user_id, source, joined_at) SELECT ?, id, 'import', ? FROM users WHERE id <= ?`, []any{segment, now, n}},
		{`INSERT INTO opt_outs (segment_id, user_id, source, created_at) SELECT ?, id, 'button', ? FROM users WHERE id > ?`, []any{segment, now, n}},
	} {
		if _, err := raw.Exec(q(s.query), s.args...); err != nil {
			b.Fatalf("seed: %v", err)
		}
	}
	if dialect == "postgres" {
		if _, err := raw.Exec(`ANALYZE`); err != nil {
			b.Fatal(err)
		}
	}
	return raw, q
}
