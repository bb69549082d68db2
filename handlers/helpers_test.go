package handlers

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/segmentbot/segmentbot"
	"github.com/segmentbot/segmentbot/metrics"
	"github.com/segmentbot/segmentbot/signer"
	"github.com/segmentbot/segmentbot/store"
)

const testKey = "test-key-1"

// testNow is the clock of every test server: broadcasts after it are in
// the future.
var testNow = time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)

// fixture is a running handler over a real store with fakes for the
// channels and the bot.
type fixture struct {
	t       testing.TB
	db      *store.DB
	srv     *httptest.Server
	deps    Deps
	logs    *syncBuffer
	uploads *storeUploader
	hooks   *hookLog
}

// newFixture serves New(deps) on a loopback httptest server; opts change
// deps before it starts.
func newFixture(t testing.TB, db *store.DB, opts ...func(*Deps)) *fixture {
	t.Helper()
	f := &fixture{t: t, db: db, logs: &syncBuffer{}, hooks: &hookLog{}}
	f.uploads = &storeUploader{db: db}
	f.deps = Deps{
		Store:     db,
		Teams:     &fakeTeams{},
		Workplace: &fakeWorkplace{},
		APIKeys:   []string{"other-key", testKey},
		Signer:    signer.New([]byte("0123456789abcdef0123456789abcdef")),
		Cards:     fakeCards{db: db},
		Members:   storeMembers{db: db},
		Uploads:   f.uploads,
		Hooks:     Hooks{BroadcastChanged: f.hooks.broadcastChanged, SegmentDeleted: f.hooks.segmentDeleted},
		Logger:    slog.New(slog.NewJSONHandler(f.logs, nil)),
		Now:       func() time.Time { return testNow },
		Metrics:   metrics.New(),
	}
	for _, o := range opts {
		o(&f.deps)
	}
	f.srv = httptest.NewServer(New(f.deps))
	t.Cleanup(f.srv.Close)
	return f
}

// do sends a request with the API key unless a header "Authorization" is
// given; headers are name, value pairs.
func (f *fixture) do(method, path string, body io.Reader, headers ...string) *http.Response {
	f.t.Helper()
	req, err := http.NewRequest(method, f.srv.URL+path, body)
	if err != nil {
		f.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+testKey)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := f.srv.Client().Do(req)
	if err != nil {
		f.t.Fatalf("%s %s: %v", method, path, err)
	}
	f.t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// call sends JSON (body "" = none) and decodes the JSON answer into out
// (nil = ignore); it returns the status.
func (f *fixture) call(method, path, body string, out any) int {
	f.t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	resp := f.do(method, path, r)
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		f.t.Fatalf("%s %s: read: %v", method, path, err)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			f.t.Fatalf("%s %s: %d %q is not JSON: %v", method, path, resp.StatusCode, raw, err)
		}
	}
	return resp.StatusCode
}

// apiError is the JSON error body.
type apiError struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// wantError checks an error answer's status and code.
func (f *fixture) wantError(method, path, body string, status int, code string) apiError {
	f.t.Helper()
	var e apiError
	got := f.call(method, path, body, &e)
	if got != status || e.Error.Code != code || e.Error.Message == "" {
		f.t.Fatalf("%s %s %s: got %d %+v, want %d code %q with a message", method, path, body, got, e, status, code)
	}
	return e
}

// createSegment makes a segment through the API.
func (f *fixture) createSegment(name string) *segmentbot.Segment {
	f.t.Helper()
	var seg segmentbot.Segment
	if st := f.call("POST", "/v1/segments", fmt.Sprintf(`{"name":%q}`, name), &seg); st != http.StatusCreated {
		f.t.Fatalf("create segment %q: status %d", name, st)
	}
	return &seg
}

// syncBuffer collects log output from concurrent handlers.
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

// decodeBody decodes a JSON answer.
func decodeBody(t testing.TB, resp *http.Response, out any) {
	t.Helper()
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		t.Fatalf("decode %s answer: %v", resp.Request.URL.Path, err)
	}
}

// wantErrorReq sends body with headers and checks the error answer.
func (f *fixture) wantErrorReq(method, path string, body io.Reader, status int, code string, headers ...string) {
	f.t.Helper()
	resp := f.do(method, path, body, headers...)
	var e apiError
	decodeBody(f.t, resp, &e)
	if resp.StatusCode != status || e.Error.Code != code {
		f.t.Fatalf("%s %s: got %d %+v, want %d %s", method, path, resp.StatusCode, e, status, code)
	}
}

func containsAll(s string, parts ...string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}
