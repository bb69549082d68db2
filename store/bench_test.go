package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/segmentbot/segmentbot"
	"github.com/segmentbot/segmentbot/store/storetest"
)

// benchRows is the size of the benchmarked import: 100,000 rows, or
// SEGMENTBOT_BENCH_ROWS.
var benchRows = func() int {
	if n, err := strconv.Atoi(os.Getenv("SEGMENTBOT_BENCH_ROWS")); err == nil && n > 0 {
		return n
	}
	return 100_000
}()

// BenchmarkImportPipeline runs an import of benchRows rows from upload to
// report ready against a preloaded directory: 0.5 % of the rows are
// invalid, 2 % are unknown to the directory and answered by a live lookup,
// the rest are known users. It reports the seconds of each stage.
func BenchmarkImportPipeline(b *testing.B) {
	ctx := context.Background()
	invalidEvery, missEvery := 200, 50
	for _, dialect := range benchDialects() {
		b.Run(dialect, func(b *testing.B) {
			db := storetest.Open(b, dialect)
			var users []*segmentbot.User
			for i := 0; i < benchRows; i++ {
				if i%invalidEvery != 0 && i%missEvery != 1 {
					users = append(users, &segmentbot.User{Channel: segmentbot.ChannelTeams, ExternalID: fmt.Sprintf("29:%d", i),
						Email: fmt.Sprintf("user%d@example.com", i), Active: true})
				}
			}
			if err := db.UpsertUsers(ctx, users); err != nil {
				b.Fatal(err)
			}
			var stage, resolve, lookup, apply time.Duration
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				seg := &segmentbot.Segment{Name: fmt.Sprintf("bench %d", i)}
				imp := &segmentbot.Import{Channel: segmentbot.ChannelTeams}
				if err := db.CreateSegment(ctx, seg); err != nil {
					b.Fatal(err)
				}
				imp.SegmentID = seg.ID
				if err := db.CreateImport(ctx, imp); err != nil {
					b.Fatal(err)
				}
				row := int64(0)
				next := func() (*segmentbot.StagedRow, error) {
					if row == int64(benchRows) {
						return nil, io.EOF
					}
					row++
					if (row-1)%int64(invalidEvery) == 0 {
						return &segmentbot.StagedRow{Row: row, Value: "user@@example", Kind: segmentbot.KindInvalid, Note: "two @"}, nil
					}
					e := fmt.Sprintf("user%d@example.com", row-1)
					return &segmentbot.StagedRow{Row: row, Value: e, Norm: e, Kind: segmentbot.KindEmail}, nil
				}
				t0 := time.Now()
				if _, err := db.StageRows(ctx, imp.ID, next); err != nil {
					b.Fatal(err)
				}
				t1 := time.Now()
				if err := db.ResolveImport(ctx, imp.ID); err != nil {
					b.Fatal(err)
				}
				t2 := time.Now()
				misses, err := db.ImportMisses(ctx, imp.ID)
				if err != nil {
					b.Fatal(err)
				}
				results := make([]segmentbot.LookupResult, len(misses))
				for j, m := range misses {
					results[j] = segmentbot.LookupResult{Miss: m, User: &segmentbot.User{AADObjectID: "aad-" + m.Norm, Email: m.Norm, Active: true, InBotGroups: true}}
				}
				if err := db.SaveLookups(ctx, imp.ID, results); err != nil {
					b.Fatal(err)
				}
				t3 := time.Now()
				done, err := db.ApplyImport(ctx, imp.ID)
				if err != nil {
					b.Fatal(err)
				}
				t4 := time.Now()
				stage, resolve, lookup, apply = stage+t1.Sub(t0), resolve+t2.Sub(t1), lookup+t3.Sub(t2), apply+t4.Sub(t3)
				wantFailed := int64(benchRows+invalidEvery-1) / int64(invalidEvery)
				// Later iterations find the first one's looked-up users in
				// the directory: only the first has misses.
				if done.Added+done.Failed != int64(benchRows) || done.Failed != wantFailed || (i == 0 && len(misses) == 0) {
					b.Fatalf("added %d, failed %d (want %d) of %d; %d misses", done.Added, done.Failed, wantFailed, benchRows, len(misses))
				}
			}
			n := float64(b.N)
			b.ReportMetric(float64(benchRows)*n/b.Elapsed().Seconds(), "rows/s")
			b.ReportMetric(stage.Seconds()/n, "stage-s")
			b.ReportMetric(resolve.Seconds()/n, "resolve-s")
			b.ReportMetric(lookup.Seconds()/n, "lookup-s")
			b.ReportMetric(apply.Seconds()/n, "apply-s")
		})
	}
}

// BenchmarkCopyBaseline loads the same number of (segment, user) pairs into
// a bare table the fastest plain way: COPY on PostgreSQL, multi-row
// INSERTs on SQLite. It is the floor the pipeline is measured against.
func BenchmarkCopyBaseline(b *testing.B) {
	ctx := context.Background()
	for _, dialect := range benchDialects() {
		b.Run(dialect, func(b *testing.B) {
			raw := rawDB(b, dialect)
			if _, err := raw.ExecContext(ctx, `CREATE TEMPORARY TABLE pairs (segment_id BIGINT NOT NULL, user_id BIGINT NOT NULL, PRIMARY KEY (segment_id, user_id))`); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				tx, err := raw.BeginTx(ctx, nil)
				if err != nil {
					b.Fatal(err)
				}
				if dialect == "postgres" {
					stmt, err := tx.PrepareContext(ctx, "COPY pairs (segment_id, user_id) FROM STDIN")
					if err != nil {
						b.Fatal(err)
					}
					for u := 0; u < benchRows; u++ {
						if _, err := stmt.ExecContext(ctx, i, u); err != nil {
							b.Fatal(err)
						}
					}
					if _, err := stmt.ExecContext(ctx); err != nil {
						b.Fatal(err)
					}
					stmt.Close()
				} else {
					const batch = 500
					q := "INSERT INTO pairs VALUES " + strings.TrimSuffix(strings.Repeat("(?, ?),", batch), ",")
					args := make([]any, 0, 2*batch)
					for u := 0; u < benchRows; u++ {
						args = append(args, i, u)
						if len(args) == cap(args) {
							if _, err := tx.ExecContext(ctx, q, args...); err != nil {
								b.Fatal(err)
							}
							args = args[:0]
						}
					}
				}
				if err := tx.Commit(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(benchRows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

func benchDialects() []string {
	if os.Getenv(storetest.EnvPostgres) != "" {
		return []string{"sqlite", "postgres"}
	}
	return []string{"sqlite"}
}

// rawDB is a plain database/sql pool of one connection (temporary tables
// live on it) on the dialect's test database.
func rawDB(b *testing.B, dialect string) *sql.DB {
	driver, dsn := "sqlite", ":memory:"
	if dialect == "postgres" {
		driver, dsn = "postgres", os.Getenv(storetest.EnvPostgres)
	}
	raw, err := sql.Open(driver, dsn)
	if err != nil {
		b.Fatal(err)
	}
	raw.SetMaxOpenConns(1)
	b.Cleanup(func() { raw.Close() })
	return raw
}
