package scheduler_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"io"
	"log/slog"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/segmentbot/segmentbot"
	"github.com/segmentbot/segmentbot/scheduler"
	"github.com/segmentbot/segmentbot/store"
	"github.com/segmentbot/segmentbot/store/storetest"
)

// checkBudget is the most one warning check may take on the benchmark's
// database.
const checkBudget = 50 * time.Millisecond

// BenchmarkCheck times one CheckNow with nothing to warn about on
// PostgreSQL holding 10,000 segments, 1,000 upcoming broadcasts and
// 100,000 imports, and fails when a check takes longer than 50 ms.
func BenchmarkCheck(b *testing.B) {
	dsn := benchSchema(b)
	ctx := context.Background()
	db, err := store.Open(ctx, dsn)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	seedLargeDatabase(b, dsn)
	now := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	s, err := scheduler.New(scheduler.Config{
		Now:    func() time.Time { return now },
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Worker: "bench",
	}, db, map[string]segmentbot.Messenger{}, links{})
	if err != nil {
		b.Fatal(err)
	}
	if err := s.CheckNow(ctx); err != nil { // warm the caches and plans
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if err := s.CheckNow(ctx); err != nil {
			b.Fatal(err)
		}
	}
	per := b.Elapsed() / time.Duration(b.N)
	b.ReportMetric(float64(per.Microseconds())/1000, "ms/check")
	if per > checkBudget {
		b.Fatalf("one check took %s, budget %s", per, checkBudget)
	}
}

// seedLargeDatabase fills the schema with set-based SQL: every import is
// either small or finished long before every broadcast, so nothing is late.
func seedLargeDatabase(b *testing.B, dsn string) {
	b.Helper()
	raw, err := sql.Open("postgres", dsn)
	if err != nil {
		b.Fatal(err)
	}
	defer raw.Close()
	for _, q := range []string{
		`INSERT INTO segments (name, name_key, created_at)
		 SELECT 'Segment ' || g, 'segment ' || g, TIMESTAMPTZ '2026-01-01 00:00Z'
		 FROM generate_series(1, 10000) g`,
		// 1,000 upcoming broadcasts, 1 to 30 days ahead, and 1,000 past or cancelled ones.
		`INSERT INTO broadcasts (segment_id, name, scheduled_at, created_by, status, created_at)
		 SELECT s.id, 'Broadcast ' || s.id, TIMESTAMPTZ '2026-11-03 10:00Z' + (s.id % 30) * INTERVAL '1 day', 0, 'scheduled', TIMESTAMPTZ '2026-10-01 00:00Z'
		 FROM segments s WHERE s.id % 10 = 0`,
		`INSERT INTO broadcasts (segment_id, name, scheduled_at, created_by, status, created_at)
		 SELECT s.id, 'Old ' || s.id, TIMESTAMPTZ '2026-10-01 10:00Z', 0, CASE WHEN s.id % 2 = 0 THEN 'past' ELSE 'cancelled' END, TIMESTAMPTZ '2026-09-01 00:00Z'
		 FROM segments s WHERE s.id % 10 = 5`,
		// 100,000 imports, ten per segment: nine small, one large but
		// finished 40 days before now.
		`INSERT INTO imports (segment_id, status, phase, total, added, created_at, started_at, finished_at)
		 SELECT s.id,
		        'completed', 'done',
		        CASE WHEN k = 0 THEN 50000 ELSE 100 + k END,
		        CASE WHEN k = 0 THEN 50000 ELSE 100 + k END,
		        TIMESTAMPTZ '2026-09-20 00:00Z', TIMESTAMPTZ '2026-09-20 00:00Z', TIMESTAMPTZ '2026-09-23 10:00Z'
		 FROM segments s, generate_series(0, 9) k`,
		`ANALYZE`,
	} {
		if _, err := raw.Exec(q); err != nil {
			b.Fatalf("seed: %v\n%s", err, q)
		}
	}
}

// benchSchema makes a private schema in the PostgreSQL test database and
// returns a DSN that uses it; the schema is dropped at the end.
func benchSchema(b *testing.B) string {
	b.Helper()
	base := os.Getenv(storetest.EnvPostgres)
	if base == "" {
		b.Skipf("%s is empty: BenchmarkCheck needs PostgreSQL", storetest.EnvPostgres)
	}
	admin, err := sql.Open("postgres", base)
	if err != nil {
		b.Fatal(err)
	}
	suffix := make([]byte, 6)
	rand.Read(suffix)
	schema := "bench_" + hex.EncodeToString(suffix)
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		admin.Exec("DROP SCHEMA " + schema + " CASCADE")
		admin.Close()
	})
	u, err := url.Parse(base)
	if err != nil {
		b.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
