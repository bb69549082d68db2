package broadcaster_test

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/segmentbot/segmentbot"
	"github.com/segmentbot/segmentbot/broadcaster"
	"github.com/segmentbot/segmentbot/store/storetest"
)

// BenchmarkEngine measures the broadcaster alone on PostgreSQL: a
// sender that returns at once, the pace out of the way, statuses
// committed. SEGMENTBOT_BENCH_SENDS sets the audience (20,000).
func BenchmarkEngine(b *testing.B) {
	n := 20_000
	if v, err := strconv.Atoi(os.Getenv("SEGMENTBOT_BENCH_SENDS")); err == nil && v > 0 {
		n = v
	}
	db := storetest.Open(b, "postgres")
	ctx := context.Background()
	seg := &segmentbot.Segment{Name: "Everyone"}
	db.CreateSegment(ctx, seg)
	users := make([]*segmentbot.User, n)
	for i := range users {
		users[i] = &segmentbot.User{Channel: segmentbot.ChannelTeams, TenantID: "t1", ExternalID: "29:" + strconv.Itoa(i), Active: true}
	}
	if err := db.UpsertUsers(ctx, users); err != nil {
		b.Fatal(err)
	}
	for _, u := range users {
		db.Join(ctx, seg.ID, u.ID, segmentbot.SourceAPI, 0)
	}
	fake, rep := newFakeSender(), newFakeReporter()
	start(b, broadcaster.Config{Store: db, Senders: map[string]segmentbot.Sender{segmentbot.ChannelTeams: fake},
		Reporter: rep, Rate: 1_000_000})
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		br := &segmentbot.Broadcast{SegmentID: seg.ID, Name: "Hello", ScheduledAt: time.Now(),
			Message: &segmentbot.BroadcastMessage{Title: "Hello", Text: "x"}}
		began := time.Now()
		db.CreateBroadcast(ctx, br)
		got := rep.wait(b, 10*time.Minute)
		if got.Sent != int64(n) {
			b.Fatalf("sent %d", got.Sent)
		}
		b.ReportMetric(float64(n)/time.Since(began).Seconds(), "sends/s")
	}
}
