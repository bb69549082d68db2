package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/segmentbot/segmentbot"
	"github.com/segmentbot/segmentbot/store/storetest"
)

const benchRows = 100_000

// BenchmarkImportPipeline stages, resolves and applies an import of
// benchRows emails, all known to the directory, into an empty segment.
func BenchmarkImportPipeline(b *testing.B) {
	ctx := context.Background()
	for _, dialect := range benchDialects() {
		b.Run(dialect, func(b *testing.B) {
			db := storetest.Open(b, dialect)
			users := make([]*segmentbot.User, benchRows)
			for i := range users {
				users[i] = &segmentbot.User{Channel: segmentbot.ChannelTeams, ExternalID: fmt.Sprintf("29:%d", i),
					Email: fmt.Sprintf("user%d@example.com", i), Active: true}
			}
			if err := db.UpsertUsers(ctx, users); err != nil {
				b.Fatal(err)
			}
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
					if row == benchRows {
						return nil, io.EOF
					}
					row++
					e := fmt.Sprintf("user%d@example.com", row-1)
					return &segmentbot.StagedRow{Row: row, Value: e, Norm: e, Kind: segmentbot.KindEmail}, nil
				}
				if _, err := db.StageRows(ctx, imp.ID, next); err != nil {
					b.Fatal(err)
				}
				if err := db.ResolveImport(ctx, imp.ID); err != nil {
					b.Fatal(err)
				}
				done, err := db.ApplyImport(ctx, imp.ID)
				if err != nil {
					b.Fatal(err)
				} else if done.Added != benchRows {
					b.Fatalf("added %d of %d", done.Added, benchRows)
				}
			}
			b.ReportMetric(float64(benchRows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
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
