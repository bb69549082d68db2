package main

// BenchmarkImportEndToEnd times a REST import through the real service
// binary, from the upload to the finished report, and compares it with a
// raw bulk load of the same memberships into a bare table.

import (
	"bytes"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/segmentbot/segmentbot"
	"github.com/segmentbot/segmentbot/bot/teams/teamstest"
	"github.com/segmentbot/segmentbot/store/storetest"
)

// BenchmarkImportEndToEnd: the directory holds every user of the file;
// 2 % of the rows name users only the (fake) Graph knows and 0.5 % are
// typos. Targets on PostgreSQL: 100k rows <= 2 s, 1M <= 10 s, the
// service's peak RSS <= 150 MB, and at least a quarter of the raw load's
// rate (ratio >= 0.25).
//
//	SEGMENTBOT_TEST_POSTGRES=postgres://postgres@127.0.0.1:5432/test?sslmode=disable \
//	  go test -run '^$' -bench ImportEndToEnd -benchtime 1x ./cmd/segmentbot/
func BenchmarkImportEndToEnd(b *testing.B) {
	bin := buildService(b)
	for _, dialect := range []string{"postgres", "sqlite"} {
		for _, rows := range []int{100_000, 1_000_000} {
			b.Run(fmt.Sprintf("%s/%dk", dialect, rows/1000), func(b *testing.B) {
				if dialect == "postgres" && os.Getenv(storetest.EnvPostgres) == "" {
					b.Skipf("%s is empty", storetest.EnvPostgres)
				}
				benchImport(b, bin, dialect, rows)
			})
		}
	}
}

func benchImport(b *testing.B, bin, dialect string, rows int) {
	dsn := storetest.DSN(b, dialect)
	kit := teamstest.New(b)
	kc := kit.Config()
	env := serviceEnv(dsn, 2)
	for k, v := range map[string]string{
		"MicrosoftAppId": kc.AppID, "MicrosoftAppPassword": kc.AppPassword, "MicrosoftAppTenantId": kc.TenantID,
		"BOT_OPENID_METADATA_URL": kc.OpenIDMetadataURL, "BOT_TOKEN_URL": kc.TokenURL, "GRAPH_URL": kc.GraphURL,
	} {
		env[k] = v
	}
	p := startProcess(b, bin, env)
	db := openSQL(b, dsn)
	seedDirectory(b, db, rows)
	csv, want, pairs := benchFile(rows)
	for i := 1; i <= rows; i++ {
		if v, ok := graphOnly(i); ok {
			kit.AddGraphUser(teamstest.GraphUser{ID: fmt.Sprintf("00000000-0000-4000-8000-%012d", i), UPN: v, Mail: v, Name: "Graph " + strconv.Itoa(i)})
		}
	}

	b.ResetTimer()
	var took []time.Duration
	for i := range b.N {
		b.StopTimer()
		seg := p.createSegment(fmt.Sprintf("Bench %d", i))
		b.StartTimer()
		began := time.Now()
		id := p.upload(seg, csv)
		uploaded := time.Since(began)
		phases := watchPhases(b, db, id, began)
		got := p.waitFinished(id, 30*time.Minute)
		took = append(took, time.Since(began))
		b.StopTimer()
		b.Logf("import %d: upload and staging took %v; phases first seen at %s", id, uploaded.Round(time.Millisecond), phases())
		if got.Status != segmentbot.ImportCompletedWithErrors || got.Total != want.Total || got.Added != int64(len(pairs)) || got.Failed != want.Failed {
			b.Fatalf("import counts %+v, want total %d, added %d, failed %d", got, want.Total, len(pairs), want.Failed)
		}
		b.StartTimer()
	}
	b.StopTimer()

	secs := median(took).Seconds()
	base := baselineLoad(b, db, pairs).Seconds()
	ratio := (float64(rows) / secs) / (float64(len(pairs)) / base)
	b.ReportMetric(secs, "s/import")
	b.ReportMetric(float64(rows)/secs, "rows/s")
	b.ReportMetric(float64(peakRSS(b, p))/1024, "peak-RSS-MB")
	b.ReportMetric(float64(len(pairs))/base, "baseline-rows/s")
	b.ReportMetric(ratio, "ratio")
	b.ReportMetric(float64(kit.GraphRequests()), "graph-requests")
	b.Logf("%s %d rows: import %.2f s (%.0f rows/s), baseline %.3f s for %d pairs, ratio %.3f",
		dialect, rows, secs, float64(rows)/secs, base, len(pairs), ratio)
}

// watchPhases polls the import's phase until the returned function is
// called, which tells when each phase was first seen after began.
func watchPhases(b *testing.B, db *testDB, id int64, began time.Time) func() string {
	stop, done := make(chan struct{}), make(chan string)
	go func() {
		var seen []string
		last := ""
		for {
			var phase string
			if err := db.QueryRow(db.q(`SELECT phase FROM imports WHERE id = ?`), id).Scan(&phase); err == nil && phase != last {
				seen = append(seen, fmt.Sprintf("%s %v", phase, time.Since(began).Round(time.Millisecond)))
				last = phase
			}
			select {
			case <-stop:
				done <- strings.Join(seen, ", ")
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	return func() string {
		close(stop)
		return <-done
	}
}

// graphOnly: every 50th row (+1) names a user the directory lacks and
// only Graph knows.
func graphOnly(i int) (string, bool) {
	if i%50 == 1 {
		return fmt.Sprintf("graph%d@contoso.com", i), true
	}
	return "", false
}

// benchFile is the file of n rows, what importing it must report, and the (segment, user) pairs it adds for the baseline (segment
// 0 stands for the import's segment).
func benchFile(n int) ([]byte, importView, [][2]int64) {
	var csv bytes.Buffer
	csv.Grow(n * 28)
	csv.WriteString("email\n")
	want := importView{Total: int64(n)}
	var pairs [][2]int64
	for i := 1; i <= n; i++ {
		v, ok := graphOnly(i)
		switch {
		case ok: // not in the bot's groups, or not found if Graph is not asked
			want.Failed++
		case i%200 == 0:
			v = "typo-" + strconv.Itoa(i) + "-at-contoso.com"
			want.Failed++
		default:
			v = fmt.Sprintf("user%d@contoso.com", i)
			if m := i % 1000; m == userLeft || m == userOutOfGroup {
				want.Failed++
			} else {
				pairs = append(pairs, [2]int64{1, int64(i)})
			}
		}
		csv.WriteString(v)
		csv.WriteByte('\n')
	}
	return csv.Bytes(), want, pairs
}

// baselineLoad loads pairs into a bare table in one transaction, the
// fastest way the database offers (COPY on PostgreSQL, multi-row INSERT
// on SQLite), and returns how long it took.
func baselineLoad(b *testing.B, db *testDB, pairs [][2]int64) time.Duration {
	db.exec(b, `CREATE TABLE baseline_pairs (segment_id BIGINT NOT NULL, user_id BIGINT NOT NULL)`)
	began := time.Now()
	tx, err := db.Begin()
	if err != nil {
		b.Fatal(err)
	}
	defer tx.Rollback()
	if db.postgres {
		stmt, err := tx.Prepare(`COPY baseline_pairs (segment_id, user_id) FROM STDIN`)
		if err != nil {
			b.Fatal(err)
		}
		for _, p := range pairs {
			if _, err := stmt.Exec(p[0], p[1]); err != nil {
				b.Fatal(err)
			}
		}
		if _, err := stmt.Exec(); err != nil {
			b.Fatal(err)
		}
		stmt.Close()
	} else {
		for chunk := range slices.Chunk(pairs, 500) {
			args := make([]any, 0, 2*len(chunk))
			for _, p := range chunk {
				args = append(args, p[0], p[1])
			}
			q := `INSERT INTO baseline_pairs (segment_id, user_id) VALUES ` + strings.TrimSuffix(strings.Repeat("(?, ?),", len(chunk)), ",")
			if _, err := tx.Exec(q, args...); err != nil {
				b.Fatal(err)
			}
		}
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	return time.Since(began)
}

// peakRSS is the service process's peak resident set (VmHWM) in KiB.
func peakRSS(b *testing.B, p *process) int64 {
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		b.Fatalf("read the service's memory: %v", err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err != nil {
				b.Fatalf("VmHWM %q: %v", v, err)
			}
			return kb
		}
	}
	b.Fatal("no VmHWM in /proc status")
	return 0
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}
