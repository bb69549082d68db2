package importer

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	_ "github.com/lib/pq" // the test fills the directory with plain SQL

	"github.com/segmentbot/segmentbot"
	"github.com/segmentbot/segmentbot/store"
	"github.com/segmentbot/segmentbot/store/storetest"
)

// EnvMillion turns on the end-to-end import of a million rows on
// PostgreSQL, which takes a minute to set up.
const EnvMillion = "SEGMENTBOT_TEST_MILLION"

// TestImportOfAMillionRows downloads, decodes, stages, resolves and applies
// a million-row file against a directory of a million users within 10 s,
// with the process's peak resident memory under 150 MB.
func TestImportOfAMillionRows(t *testing.T) {
	if os.Getenv(EnvMillion) == "" {
		t.Skipf("%s is empty: the million-row import is skipped", EnvMillion)
	}
	n := 1_000_000
	if v, err := strconv.Atoi(os.Getenv(EnvMillion)); err == nil && v > 1 {
		n = v // a smaller run, to see where the time goes
	}
	db, raw := millionSchema(t)
	ctx := context.Background()
	start := time.Now()
	_, err := raw.ExecContext(ctx, `
		INSERT INTO users (channel, tenant_id, external_id, email, name, active, in_bot_groups, last_seen)
		SELECT 'msteams', 'tenant-1', '29:u' || g, 'user' || g || '@contoso.com', 'User ' || g, TRUE, TRUE, now()
		FROM generate_series(1, $1) AS g`, n)
	must(t, err)
	_, err = raw.ExecContext(ctx, `ANALYZE users`)
	must(t, err)
	t.Logf("directory of %d users made in %v", n, time.Since(start))

	seg := &segmentbot.Segment{Name: "Everyone"}
	must(t, db.CreateSegment(ctx, seg))
	admin := teamsUser("admin", true, true)
	must(t, db.UpsertUser(ctx, admin))
	files := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(w, &rowsFile{n: n, email: func(i int) string { return "User" + strconv.Itoa(i) + "@Contoso.com" }})
	}))
	defer files.Close()
	chat := &fakeMessenger{}
	runner := &Runner{
		Store:      db,
		Messengers: map[string]segmentbot.Messenger{segmentbot.ChannelTeams: chat},
		Fetcher:    &Fetcher{AllowHosts: []string{"127.0.0.1"}, MaxBytes: 50 << 20, Timeout: time.Minute},
		Links:      testLinks{},
		Logger:     slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	imp := &segmentbot.Import{SegmentID: seg.ID, Channel: segmentbot.ChannelTeams, FileURL: files.URL + "/big.csv", FileName: "big.csv", UploadedBy: admin.ID}
	must(t, db.CreateImport(ctx, imp))

	// A bound, so a slow store fails the test instead of hanging it.
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	start = time.Now()
	done, err := runner.Process(ctx, imp)
	must(t, err)
	elapsed := time.Since(start)

	if done.Total != int64(n) || done.Added != int64(n) || done.Status != segmentbot.ImportCompleted {
		t.Errorf("import = %s, %d rows, %d added; want completed, %d added", done.Status, done.Total, done.Added, n)
	}
	if elapsed > 10*time.Second {
		t.Errorf("import took %v; want at most 10 s", elapsed)
	}
	if peak := peakRSS(t); peak > 150<<20 {
		t.Errorf("peak resident memory %d MB; want at most 150 MB", peak>>20)
	}
	t.Logf("%d rows imported in %v; peak RSS %d MB; %d chat messages", n, elapsed, peakRSS(t)>>20, len(chat.sent()))
}

// millionSchema opens a store in a fresh PostgreSQL schema and a plain
// connection to the same schema for bulk setup.
func millionSchema(t *testing.T) (*store.DB, *sql.DB) {
	base := os.Getenv(storetest.EnvPostgres)
	if base == "" {
		t.Skipf("%s is empty: PostgreSQL tests skipped", storetest.EnvPostgres)
	}
	admin, err := sql.Open("postgres", base)
	must(t, err)
	t.Cleanup(func() { admin.Close() })
	suffix := make([]byte, 6)
	rand.Read(suffix)
	schema := "importer_" + hex.EncodeToString(suffix)
	_, err = admin.Exec("CREATE SCHEMA " + schema)
	must(t, err)
	t.Cleanup(func() { admin.Exec("DROP SCHEMA " + schema + " CASCADE") })
	u, err := url.Parse(base)
	must(t, err)
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	db, err := store.Open(context.Background(), u.String())
	must(t, err)
	t.Cleanup(func() { db.Close() })
	raw, err := sql.Open("postgres", u.String())
	must(t, err)
	t.Cleanup(func() { raw.Close() })
	return db, raw
}

// peakRSS reads the process's peak resident set size (VmHWM).
func peakRSS(t *testing.T) int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Skipf("no /proc/self/status: %v", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			var kb int64
			fmt.Sscanf(strings.TrimSpace(rest), "%d kB", &kb)
			return kb << 10
		}
	}
	t.Skip("no VmHWM in /proc/self/status")
	return 0
}

// testWriter sends log lines to the test log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}
