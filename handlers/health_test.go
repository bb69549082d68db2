package handlers

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/segmentbot/segmentbot/store"
	"github.com/segmentbot/segmentbot/store/storetest"
)

// openSQLite is a fresh in-memory store for tests that need no second
// database.
func openSQLite(t *testing.T) *store.DB {
	t.Helper()
	return storetest.Open(t, "sqlite")
}

func TestHealth(t *testing.T) {
	t.Run("healthz is ok", func(t *testing.T) {
		f := newFixture(t, openSQLite(t))
		resp := f.do("GET", "/healthz", nil)
		raw, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 || string(raw) != "ok" {
			t.Fatalf("got %d %q", resp.StatusCode, raw)
		}
	})

	t.Run("readyz is 200 while the database answers and 503 once it is closed", func(t *testing.T) {
		db := openSQLite(t)
		f := newFixture(t, db)
		if st := f.do("GET", "/readyz", nil).StatusCode; st != 200 {
			t.Fatalf("open store: status %d, want 200", st)
		}
		db.Close()
		resp := f.do("GET", "/readyz", nil)
		var body map[string]string
		if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != http.StatusServiceUnavailable || body["reason"] == "" {
			t.Fatalf("closed store: got %d %v, want 503 with a reason", resp.StatusCode, body)
		}
	})

	t.Run("metrics count requests by route template, not raw path", func(t *testing.T) {
		f := newFixture(t, openSQLite(t))
		f.call("GET", "/v1/segments/12345/members", "", nil)
		resp := f.do("GET", "/metrics", nil)
		raw, _ := io.ReadAll(resp.Body)
		text := string(raw)
		want := `segmentbot_http_requests_total{method="GET",route="/v1/segments/:id/members",status="404"} 1`
		if !strings.Contains(text, want) {
			t.Fatalf("metrics lack %s", want)
		}
		if strings.Contains(text, "12345") {
			t.Error("metrics carry a raw id")
		}
		if !strings.Contains(text, `segmentbot_http_request_duration_seconds_count{route="/v1/segments/:id/members"} 1`) {
			t.Error("no latency observation for the route")
		}
	})
}

func TestMiddleware(t *testing.T) {
	f := newFixture(t, openSQLite(t))
	t.Run("a request id is made when absent and echoed", func(t *testing.T) {
		resp := f.do("GET", "/healthz", nil)
		if id := resp.Header.Get("X-Request-Id"); len(id) != 32 {
			t.Fatalf("request id %q, want 32 hex characters", id)
		}
	})
	t.Run("a caller's request id is kept and logged", func(t *testing.T) {
		resp := f.do("GET", "/v1/segments", nil, "X-Request-Id", "abc-123")
		if id := resp.Header.Get("X-Request-Id"); id != "abc-123" {
			t.Fatalf("request id %q, want abc-123", id)
		}
		var found bool
		for _, line := range strings.Split(f.logs.String(), "\n") {
			var entry map[string]any
			if json.Unmarshal([]byte(line), &entry) == nil && entry["request_id"] == "abc-123" {
				found = entry["route"] == "/v1/segments" && entry["method"] == "GET" && entry["status"] == float64(200) && entry["duration_ms"] != nil
			}
		}
		if !found {
			t.Fatalf("no JSON log line with method, route, status, duration for the request:\n%s", f.logs.String())
		}
	})
	t.Run("a request id with control characters is replaced", func(t *testing.T) {
		resp := f.do("GET", "/healthz", nil, "X-Request-Id", "a\tb")
		if id := resp.Header.Get("X-Request-Id"); id == "a\tb" || id == "" {
			t.Fatalf("request id %q", id)
		}
	})
	t.Run("a panic becomes a 500 JSON error", func(t *testing.T) {
		p := newFixture(t, openSQLite(t), func(d *Deps) { d.Teams = panicTeams{} })
		var e apiError
		resp := p.do("POST", "/api/messages", strings.NewReader("{}"))
		if err := json.NewDecoder(resp.Body).Decode(&e); err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != 500 || e.Error.Code != "internal" || e.Error.Message != "Internal error." {
			t.Fatalf("got %d %+v", resp.StatusCode, e)
		}
		if !strings.Contains(p.logs.String(), "kaboom") {
			t.Error("the panic is not logged")
		}
	})
}
