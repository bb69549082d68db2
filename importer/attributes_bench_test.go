package importer

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

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

// BenchmarkImportAttributes imports the same users from two files, one
// after the other in every iteration, from the upload to the finished
// import (decode, stage, resolve, apply), and reports the seconds of each
// and their ratio: "plain" has the email column alone, "attrs" two more
// columns, department and country. The directory knows every user; each run
// imports into a new segment. By default each run's columns have names
// no user has yet (department 3, country 3), as a first import of the
// file would: 200,000 rows added. SEGMENTBOT_BENCH_ATTRS=update changes
// the values of the same two attributes of every user at every run (the
// worst case: 200,000 rows rewritten); =same imports the very same file
// every time (after the first run nothing changes). Run it with -count 3 or more and
// compare the medians of the two (DESIGN §8: at most 1.5 times).
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
			importFile := func(attrs bool) time.Duration {
				run++
				file := benchFile(attrBenchRows, attrs, run, os.Getenv("SEGMENTBOT_BENCH_ATTRS"))
				seg := &segmentbot.Segment{Name: fmt.Sprintf("bench %d", run)}
				must(b, db.CreateSegment(ctx, seg))
				start := time.Now()
				imp := &segmentbot.Import{SegmentID: seg.ID, Channel: segmentbot.ChannelTeams, FileName: "bench.csv"}
				staged, err := StartUpload(ctx, db, imp, bytes.NewReader(file))
				must(b, err)
				done, err := runner.Process(ctx, staged)
				must(b, err)
				took := time.Since(start)
				want := int64(attrBenchRows)
				if !attrs || os.Getenv("SEGMENTBOT_BENCH_ATTRS") == "same" && run > 2 {
					want = 0
				}
				if done.Added != int64(attrBenchRows) || done.AttributesUpdated != want {
					b.Fatalf("added %d, attributes updated for %d, of %d rows", done.Added, done.AttributesUpdated, attrBenchRows)
				}
				return took
			}
			var plain, attrs time.Duration
			for b.Loop() {
				plain += importFile(false)
				attrs += importFile(true)
			}
			n := float64(b.N)
			b.ReportMetric(plain.Seconds()/n, "plain-s")
			b.ReportMetric(attrs.Seconds()/n, "attrs-s")
			b.ReportMetric(attrs.Seconds()/plain.Seconds(), "ratio")
		})
	}
}

// benchFile is a CSV file of n known users, with department and country
// columns when attrs is set: their names and values marked with run, or
// only their values (mode update), or neither (mode same).
func benchFile(n int, attrs bool, run int, mode string) []byte {
	var buf bytes.Buffer
	buf.Grow(n * 48)
	if mode == "same" {
		run = 0
	}
	switch {
	case attrs && mode != "":
		buf.WriteString("Email,Department,Country\n")
	case attrs:
		fmt.Fprintf(&buf, "Email,Department %d,Country %d\n", run, run)
	default:
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
