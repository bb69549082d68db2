package main

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/segmentbot/segmentbot"
	"github.com/segmentbot/segmentbot/bot/teams/teamstest"
	"github.com/segmentbot/segmentbot/broadcaster"
	"github.com/segmentbot/segmentbot/store/storetest"
)

// benchInt reads a benchmark size from the environment.
func benchInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}

// BenchmarkBroadcastPace sends a broadcast of SEGMENTBOT_BENCH_PACE_N
// recipients (3,000) at SEGMENTBOT_BENCH_PACE_RATE (the default, 40/s)
// with the real binary on PostgreSQL against a counting connector, and
// reports the rate held from the broadcast's start to its final status
// as a fraction of the configured rate.
func BenchmarkBroadcastPace(b *testing.B) {
	n := benchInt("SEGMENTBOT_BENCH_PACE_N", 3000)
	rate := benchInt("SEGMENTBOT_BENCH_PACE_RATE", broadcaster.DefaultRate)
	d := startDeliveryBench(b, n, rate)
	var held []float64
	for i := 0; i < b.N; i++ {
		took := d.run(b)
		held = append(held, float64(n)/took.Seconds()/float64(rate))
	}
	b.ReportMetric(medianFloat(held), "of_rate")
	b.ReportMetric(float64(rate), "rate")
}

// BenchmarkBroadcastCapacity sends SEGMENTBOT_BENCH_SENDS recipients
// (100,000) with the pace out of the way, statuses committed, and in the
// same run a bare loop of as many concurrent POSTs (the broadcaster's
// window) to the same connector; it reports both rates, their ratio and
// the service's peak resident set.
func BenchmarkBroadcastCapacity(b *testing.B) {
	n := benchInt("SEGMENTBOT_BENCH_SENDS", 100_000)
	d := startDeliveryBench(b, n, 1_000_000)
	var rates, bare []float64
	for i := 0; i < b.N; i++ {
		took := d.run(b)
		rates = append(rates, float64(n)/took.Seconds())
		bare = append(bare, d.bareLoop(b, min(n, 50_000), broadcaster.DefaultWindow))
	}
	r, base := medianFloat(rates), medianFloat(bare)
	b.ReportMetric(r, "sends/s")
	b.ReportMetric(base, "bare_posts/s")
	b.ReportMetric(r/base, "ratio")
	b.ReportMetric(float64(peakRSS(b, d.p))/1024, "peak_rss_MB")
}

// deliveryBench is the real binary on PostgreSQL with n recipients.
type deliveryBench struct {
	dsn       string
	db        *testDB
	p         *process
	connector *countingConnector
	segment   int64
	n         int
}

func startDeliveryBench(b *testing.B, n, rate int) *deliveryBench {
	b.Helper()
	bin := buildService(b)
	kit := teamstest.New(b)
	d := &deliveryBench{dsn: storetest.DSN(b, "postgres"), connector: newCountingConnector(b), n: n}
	d.p = startProcess(b, bin, deliveryEnv(kit, d.dsn, rate))
	d.db = openSQL(b, d.dsn)
	d.segment = d.p.createSegment("Everyone")
	seedRecipients(b, d.db, d.connector.serviceURL(), d.segment, n)
	d.db.exec(b, `ANALYZE`)
	b.ResetTimer()
	return d
}

// run sends one broadcast to everyone and returns the time from its
// start (its audience fixed) to its final status, as the broadcast
// records them.
func (d *deliveryBench) run(b *testing.B) time.Duration {
	before := d.connector.replies.Load()
	id := createDelivered(b, d.dsn, d.segment)
	if status := waitBroadcast(b, d.db, id, 30*time.Minute); status != segmentbot.BroadcastSent {
		b.Fatalf("status %s", status)
	}
	var started, finished time.Time
	if err := d.db.QueryRow(d.db.q(`SELECT started_at, finished_at FROM broadcasts WHERE id = ?`), id).Scan(&started, &finished); err != nil {
		b.Fatal(err)
	}
	took := finished.Sub(started)
	if got := d.connector.replies.Load() - before; got != int64(d.n) {
		b.Fatalf("the connector got %d posts, want %d", got, d.n)
	}
	if sent := d.db.count(b, `SELECT count(*) FROM deliveries WHERE broadcast_id = ? AND status = ?`, id, segmentbot.DeliverySent); sent != int64(d.n) {
		b.Fatalf("%d rows sent, want %d", sent, d.n)
	}
	return took
}

// bareLoop POSTs count activities to the connector from workers
// goroutines and returns the posts per second: what the machine allows
// without any bookkeeping.
func (d *deliveryBench) bareLoop(b *testing.B, count, workers int) float64 {
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: workers, MaxIdleConns: workers}}
	body := []byte(`{"type":"message","attachments":[{"contentType":"application/vnd.microsoft.card.adaptive","content":{"type":"AdaptiveCard","version":"1.5","body":[{"type":"TextBlock","text":"Crash news","weight":"Bolder"},{"type":"TextBlock","text":"Sent **once**.","wrap":true},{"type":"TextBlock","text":"You get this because you joined Everyone.","isSubtle":true}],"actions":[{"type":"Action.Submit","title":"Opt out","data":{"verb":"opt_out","segment_id":1,"sig":"0123456789abcdef"}}]}}]}`)
	var next atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range workers {
		wg.Go(func() {
			for i := next.Add(1); i <= int64(count); i = next.Add(1) {
				url := fmt.Sprintf("%sv3/conversations/a:conv-%d/activities", d.connector.serviceURL(), i)
				req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
				req.Header.Set("Authorization", "Bearer bare-loop")
				req.Header.Set("Content-Type", "application/json")
				resp, err := client.Do(req)
				if err != nil {
					b.Error(err)
					return
				}
				var buf [256]byte
				for {
					if _, err := resp.Body.Read(buf[:]); err != nil {
						break
					}
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusCreated {
					b.Errorf("bare POST: %d", resp.StatusCode)
					return
				}
			}
		})
	}
	wg.Wait()
	return float64(count) / time.Since(start).Seconds()
}

func medianFloat(v []float64) float64 {
	s := append([]float64(nil), v...)
	for i := range s {
		for j := i + 1; j < len(s); j++ {
			if s[j] < s[i] {
				s[i], s[j] = s[j], s[i]
			}
		}
	}
	return s[len(s)/2]
}
