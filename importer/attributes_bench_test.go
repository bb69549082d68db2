package importer

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"

	"github.com/segmentbot/segmentbot"
	"github.com/segmentbot/segmentbot/store/storetest"
)

// attrBenchRows is the size of the benchmarked file: 100,000 rows, or
// SEGMENTBOT_BENCH_ROWS.
var attrBenchRows = func() int {
	if n, err := strconv.Atoi(os.Getenv("SEGMENTBOT_BENCH_ROWS")); err == nil && n > 0 {
		return n
	}
	return 100_000
}()

// BenchmarkImportAttributes imports the same users from two files, from
// the upload to the finished import (decode, stage, resolve, apply):
// "plain" has the email column alone, "attributes" two more columns,
// department and country, whose values change at every run so that every
// user's attributes are written each time. The directory knows every
// user; each run imports into a new segment. Run it with -count 3 or more
// and compare the medians of the two (DESIGN §8: at most 1.5 times).
func BenchmarkImportAttributes(b *testing.B) {
	ctx := context.Background()
	for _, dialect := range storetest.Dialects(b) {
		b.Run(dialect, func(b *testing.B) {
			db := storetest.Open(b, dialect)
			users := make([]*segmentbot.User, attrBenchRows)
			for i := range users {
				users[i] = &segmentbot.User{Channel: segmentbot.ChannelTeams, TenantID: "tenant-1", ExternalID: fmt.Sprintf("29:%d", i),
					Email: fmt.Sprintf("user%d@example.com", i), Active: true, InBotGroups: true}
			}
			must(b, db.UpsertUsers(ctx, users))
			runner := &Runner{Store: db}
			run := 0
			for _, variant := range []string{"plain", "attributes"} {
				b.Run(variant, func(b *testing.B) {
					for b.Loop() {
						b.StopTimer()
						run++
						file := benchFile(attrBenchRows, variant == "attributes", run)
						seg := &segmentbot.Segment{Name: fmt.Sprintf("bench %d", run)}
						must(b, db.CreateSegment(ctx, seg))
						b.StartTimer()
						imp := &segmentbot.Import{SegmentID: seg.ID, Channel: segmentbot.ChannelTeams, FileName: "bench.csv"}
						staged, err := StartUpload(ctx, db, imp, bytes.NewReader(file))
						must(b, err)
						done, err := runner.Process(ctx, staged)
						must(b, err)
						if done.Added != int64(attrBenchRows) || variant == "attributes" && done.AttributesUpdated != int64(attrBenchRows) {
							b.Fatalf("added %d, attributes updated for %d, of %d rows", done.Added, done.AttributesUpdated, attrBenchRows)
						}
					}
					b.ReportMetric(float64(attrBenchRows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
				})
			}
		})
	}
}

// benchFile is a CSV file of n known users, with department and country
// columns when attrs is set, their values marked with run.
func benchFile(n int, attrs bool, run int) []byte {
	var buf bytes.Buffer
	buf.Grow(n * 48)
	if attrs {
		buf.WriteString("Email,Department,Country\n")
	} else {
		buf.WriteString("Email\n")
	}
	for i := range n {
		if attrs {
			fmt.Fprintf(&buf, "user%d@example.com,Dept %d-%d,Country %d-%d\n", i, i%50, run, i%20, run)
		} else {
			fmt.Fprintf(&buf, "user%d@example.com\n", i)
		}
	}
	return buf.Bytes()
}
