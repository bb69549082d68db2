package handlers

import (
	"encoding/json"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"
)

// requestLogs are the "request" lines of a fixture's log.
func requestLogs(t *testing.T, logs string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(logs), "\n") {
		var entry map[string]any
		if err := json.Unmarshal([]byte(line), &entry); err != nil {
			t.Fatalf("log line is not JSON: %q", line)
		}
		if entry["msg"] == "request" {
			out = append(out, entry)
		}
	}
	return out
}

func TestHealthChecksLogAtDebugAndOtherRequestsAtInfo(t *testing.T) {
	debug := &syncBuffer{}
	g := newFixture(t, openSQLite(t), func(d *Deps) {
		d.Logger = slog.New(slog.NewJSONHandler(debug, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	for _, path := range []string{"/healthz", "/readyz", "/v1/segments"} {
		g.do("GET", path, nil).Body.Close()
	}
	levels := map[string]any{}
	for _, e := range requestLogs(t, debug.String()) {
		levels[e["route"].(string)] = e["level"]
		if _, ok := e["duration_ms"].(float64); !ok {
			t.Errorf("%v: no duration_ms", e)
		}
	}
	want := map[string]any{"/healthz": "DEBUG", "/readyz": "DEBUG", "/v1/segments": "INFO"}
	for route, level := range want {
		if levels[route] != level {
			t.Errorf("%s logged at %v, want %s", route, levels[route], level)
		}
	}
}

func TestUnknownMethodsMakeNoNewSeriesAndAreNotLogged(t *testing.T) {
	f := newFixture(t, openSQLite(t))
	f.do("GET", "/healthz", nil).Body.Close()
	before := requestSeries(t, f)
	const letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	var sent []string
	for range 300 {
		b := make([]byte, 8+rand.IntN(40))
		for i := range b {
			b[i] = letters[rand.IntN(len(letters))]
		}
		sent = append(sent, string(b))
		req, _ := http.NewRequest(string(b), f.srv.URL+"/healthz", nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	after := requestSeries(t, f)
	if len(after) > len(before)+1 {
		t.Errorf("300 random methods made %d new series, want at most one (method=\"other\"): %v", len(after)-len(before), after)
	}
	if !strings.Contains(strings.Join(after, "\n"), `method="other"`) {
		t.Errorf(`no series with method="other": %v`, after)
	}
	logs := f.logs.String()
	for _, m := range sent[:20] {
		if strings.Contains(logs, m) {
			t.Fatalf("the raw method %q reached the log", m)
		}
	}
}

// requestSeries are the request counter's series in the /metrics
// exposition.
func requestSeries(t *testing.T, f *fixture) []string {
	t.Helper()
	resp := f.do("GET", "/metrics", nil)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, line := range strings.Split(string(raw), "\n") {
		if strings.HasPrefix(line, "segmentbot_http_requests_total{") && !strings.Contains(line, `route="/metrics"`) {
			out = append(out, line)
		}
	}
	return out
}

func TestTheRootAnswersSoTheAppsWebsiteLinkWorks(t *testing.T) {
	f := newFixture(t, openSQLite(t))
	resp := f.do("GET", "/", nil)
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "segmentbot") {
		t.Fatalf("GET / = %d %q, want 200 naming segmentbot", resp.StatusCode, body)
	}
}
