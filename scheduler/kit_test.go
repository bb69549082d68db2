package scheduler_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/segmentbot/segmentbot"
	"github.com/segmentbot/segmentbot/scheduler"
	"github.com/segmentbot/segmentbot/store"
)

// clock is the injected time of the scheduler and the store.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// start is the test world's "now" unless a test moves the clock.
var start = time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)

// largeRows is what makes an upload large in these tests; small numbers
// keep the staging quick, the rule is the same.
const largeRows = 10

// world is one database with a segment and two admins who have talked to
// the bot: an author of broadcasts and an uploader of files.
type world struct {
	t        *testing.T
	ctx      context.Context
	db       *store.DB
	clock    *clock
	seg      *segmentbot.Segment
	author   *segmentbot.User
	uploader *segmentbot.User
	teams    *fakeMessenger
	logs     *syncBuffer
}

func newWorld(t *testing.T, db *store.DB) *world {
	t.Helper()
	w := &world{t: t, ctx: context.Background(), db: db, clock: &clock{t: start}, teams: &fakeMessenger{}, logs: &syncBuffer{}}
	db.Now = w.clock.Now
	w.seg = &segmentbot.Segment{Name: "Sales EMEA"}
	if err := db.CreateSegment(w.ctx, w.seg); err != nil {
		t.Fatalf("create segment: %v", err)
	}
	w.author = w.user("29:author", "Ada Author", "Europe/Berlin", `{"conversation":{"id":"a:author"}}`)
	w.uploader = w.user("29:uploader", "Uli Uploader", "", `{"conversation":{"id":"a:uploader"}}`)
	return w
}

func (w *world) user(externalID, name, tz, convRef string) *segmentbot.User {
	w.t.Helper()
	u := &segmentbot.User{Channel: segmentbot.ChannelTeams, TenantID: "tenant-1", ExternalID: externalID,
		Name: name, Active: true, InBotGroups: true, ConvRef: convRef, TimeZone: tz, LastSeen: start}
	if err := w.db.UpsertUser(w.ctx, u); err != nil {
		w.t.Fatalf("upsert user %s: %v", name, err)
	}
	return u
}

// scheduler builds a replica named worker on the world's database.
func (w *world) scheduler(worker string, change ...func(*scheduler.Config)) *scheduler.Scheduler {
	w.t.Helper()
	cfg := scheduler.Config{
		LargeUpload: largeRows,
		LeadTime:    24 * time.Hour,
		MaxAttempts: 3,
		Lease:       time.Minute,
		Worker:      worker,
		Now:         w.clock.Now,
		Logger:      slog.New(slog.NewTextHandler(io.MultiWriter(w.logs, testWriter{w.t}), nil)),
	}
	for _, f := range change {
		f(&cfg)
	}
	s, err := scheduler.New(cfg, w.db, map[string]segmentbot.Messenger{segmentbot.ChannelTeams: w.teams}, links{})
	if err != nil {
		w.t.Fatalf("new scheduler: %v", err)
	}
	return s
}

// broadcast schedules a broadcast to the world's segment by the author.
func (w *world) broadcast(name string, at time.Time) *segmentbot.Broadcast {
	w.t.Helper()
	b := &segmentbot.Broadcast{SegmentID: w.seg.ID, Name: name, ScheduledAt: at, CreatedBy: w.author.ID}
	if err := w.db.CreateBroadcast(w.ctx, b); err != nil {
		w.t.Fatalf("create broadcast %s: %v", name, err)
	}
	return b
}

// upload runs an import of rows rows by the uploader. It finishes at
// finishedAt, or stays processing when finishedAt is zero. The clock is
// left where it was.
func (w *world) upload(rows int, finishedAt time.Time) *segmentbot.Import {
	w.t.Helper()
	ctx, now := w.ctx, w.clock.Now()
	defer w.clock.Set(now)
	if !finishedAt.IsZero() {
		w.clock.Set(finishedAt.Add(-time.Minute))
	}
	imp := &segmentbot.Import{SegmentID: w.seg.ID, Channel: segmentbot.ChannelTeams, FileName: "list.csv", UploadedBy: w.uploader.ID}
	if err := w.db.CreateImport(ctx, imp); err != nil {
		w.t.Fatalf("create import: %v", err)
	}
	claimed, err := w.db.ClaimImport(ctx, "importer", 1000*time.Hour)
	if err != nil || claimed == nil || claimed.ID != imp.ID {
		w.t.Fatalf("claim import %d: got %+v, %v", imp.ID, claimed, err)
	}
	row := 0
	_, err = w.db.StageRows(ctx, imp.ID, func() (*segmentbot.StagedRow, error) {
		if row == rows {
			return nil, io.EOF
		}
		row++
		return &segmentbot.StagedRow{Row: int64(row), Value: fmt.Sprintf("nobody%d", row), Kind: segmentbot.KindInvalid, Note: "not an email"}, nil
	})
	if err != nil {
		w.t.Fatalf("stage rows: %v", err)
	}
	if finishedAt.IsZero() {
		return w.find(imp.ID)
	}
	w.clock.Set(finishedAt)
	if err := w.db.ResolveImport(ctx, imp.ID); err != nil {
		w.t.Fatalf("resolve import: %v", err)
	}
	if _, err := w.db.ApplyImport(ctx, imp.ID); err != nil {
		w.t.Fatalf("apply import: %v", err)
	}
	return w.find(imp.ID)
}

func (w *world) find(id int64) *segmentbot.Import {
	w.t.Helper()
	imp, err := w.db.FindImportByID(w.ctx, id)
	if err != nil {
		w.t.Fatalf("find import %d: %v", id, err)
	}
	return imp
}

// warnings returns every warning, oldest first.
func (w *world) warnings() []*segmentbot.Warning {
	w.t.Helper()
	ws, err := w.db.FindWarnings(w.ctx, 1000)
	if err != nil {
		w.t.Fatalf("find warnings: %v", err)
	}
	for i, j := 0, len(ws)-1; i < j; i, j = i+1, j-1 {
		ws[i], ws[j] = ws[j], ws[i]
	}
	return ws
}

// links signs nothing; it names the import in the URL so tests can tell
// which import a message is about.
type links struct{}

func (links) ReportURL(importID int64) string {
	return fmt.Sprintf("https://bot.test/v1/imports/%d/report.csv?sig=test", importID)
}

// sent is one message the fake messenger delivered.
type sent struct {
	UserID int64
	Msg    segmentbot.Message
}

// key names what a warning is about: recipient, broadcast name and the
// import's report link.
func (s sent) key() string {
	report := ""
	for _, b := range s.Msg.Buttons {
		if b.URL != "" {
			report = b.URL
		}
	}
	broadcast, _, _ := strings.Cut(fact(s.Msg, "Broadcast"), " — ")
	return fmt.Sprintf("user %d | %s | %s", s.UserID, broadcast, report)
}

// fakeMessenger records sends. It fails the first failures sends, and
// calls block, when set, before each send.
type fakeMessenger struct {
	mu       sync.Mutex
	sent     []sent
	failures int
	block    func()
}

func (m *fakeMessenger) Send(ctx context.Context, to *segmentbot.User, msg segmentbot.Message) (string, error) {
	if m.block != nil {
		m.block()
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if to.ConvRef == "" {
		return "", errors.New("fake messenger: no conversation reference")
	}
	if m.failures > 0 {
		m.failures--
		return "", errors.New("connector answered 503 Service Unavailable")
	}
	m.sent = append(m.sent, sent{UserID: to.ID, Msg: msg})
	return fmt.Sprintf("msg-%d", len(m.sent)), nil
}

func (m *fakeMessenger) Update(ctx context.Context, to *segmentbot.User, id string, msg segmentbot.Message) error {
	return segmentbot.Errorf(segmentbot.EINVALID, "fake messenger does not update")
}

// counts says how often each warning was delivered.
func (m *fakeMessenger) counts() map[string]int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := map[string]int{}
	for _, s := range m.sent {
		n[s.key()]++
	}
	return n
}

func (m *fakeMessenger) total() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.sent)
}

// testWriter sends log lines to the test log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// key is the sent.key of the warning about (b, imp) to u.
func (w *world) key(u *segmentbot.User, b *segmentbot.Broadcast, imp *segmentbot.Import) string {
	return fmt.Sprintf("user %d | %s | %s", u.ID, b.Name, links{}.ReportURL(imp.ID))
}

// syncBuffer is a log buffer that several scheduler instances may write
// at once.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
