package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// served is `segmentbot serve` running in-process.
type served struct {
	t      *testing.T
	port   int
	logs   *lockedBuffer
	cancel context.CancelFunc
	done   chan error
}

// startServe runs the real serve path with environ (plus a SQLite file
// and a free PORT) until the test stops it.
func startServe(t *testing.T, environ []string, opts serveOptions) *served {
	t.Helper()
	s := &served{t: t, port: freePort(t), logs: &lockedBuffer{}, done: make(chan error, 1)}
	environ = append([]string{
		"DATABASE_URL=sqlite:" + filepath.Join(t.TempDir(), "segmentbot.db"),
		"PORT=" + strconv.Itoa(s.port),
		"SEGMENTBOT_SIGNING_KEY=serve-test-signing-key",
	}, environ...)
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	go func() { s.done <- serve(ctx, newEnv(&lockedBuffer{}, s.logs, environ), opts) }()
	t.Cleanup(func() { s.stop() })
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(s.logs.String(), `"msg":"segmentbot listening"`) {
		select {
		case err := <-s.done:
			t.Fatalf("serve returned %v at start:\n%s", err, s.logs.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("not listening after 20 s:\n%s", s.logs.String())
		}
	}
	return s
}

// stop cancels serve and returns its error (once).
func (s *served) stop() error {
	s.cancel()
	select {
	case err, ok := <-s.done:
		if ok {
			close(s.done)
		}
		return err
	case <-time.After(40 * time.Second):
		s.t.Fatal("serve did not return 40 s after it was stopped")
		return nil
	}
}

// lines are the JSON log lines, decoded.
func (s *served) lines() []map[string]any {
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(s.logs.String()), "\n") {
		var e map[string]any
		if err := json.Unmarshal([]byte(l), &e); err != nil {
			s.t.Fatalf("log line is not JSON: %q", l)
		}
		out = append(out, e)
	}
	return out
}

func (s *served) find(msg string) map[string]any {
	for _, e := range s.lines() {
		if e["msg"] == msg {
			return e
		}
	}
	s.t.Fatalf("no log line %q in:\n%s", msg, s.logs.String())
	return nil
}

func healthy(host string, port int) error {
	c := &http.Client{Timeout: 2 * time.Second}
	resp, err := c.Get("http://" + net.JoinHostPort(host, strconv.Itoa(port)) + "/healthz")
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	return nil
}

// hostIP is an IPv4 address of this host beyond loopback, or "".
func hostIP(t *testing.T) string {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && !n.IP.IsLoopback() && n.IP.To4() != nil {
			return n.IP.String()
		}
	}
	t.Log("no address beyond loopback on this host: reachability from it not checked")
	return ""
}

func TestWithoutAnAppIDServeListensOnLoopbackOnlyAndSaysSo(t *testing.T) {
	s := startServe(t, nil, defaultServeOptions)
	listening := s.find("segmentbot listening")
	for _, a := range listening["addrs"].([]any) {
		host, _, _ := net.SplitHostPort(a.(string))
		if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
			t.Errorf("listens on %s, want loopback only", a)
		}
	}
	if listening["loopback_only"] != true || listening["teams_auth"] != false {
		t.Errorf("listening line %v", listening)
	}
	if err := healthy("127.0.0.1", s.port); err != nil {
		t.Errorf("127.0.0.1 (what Agents Playground calls): %v", err)
	}
	if len(listening["addrs"].([]any)) == 2 {
		if err := healthy("::1", s.port); err != nil {
			t.Errorf("::1: %v", err)
		}
	}
	if ip := hostIP(t); ip != "" {
		if err := healthy(ip, s.port); err == nil {
			t.Errorf("reached through %s without an app id", ip)
		}
	}
	var said bool
	for _, e := range s.lines() {
		msg, _ := e["msg"].(string)
		said = said || e["level"] == "WARN" && strings.Contains(msg, "MicrosoftAppId is empty") && strings.Contains(msg, "loopback only")
	}
	if !said {
		t.Errorf("no warning that the service listens on loopback only:\n%s", s.logs.String())
	}
}

func TestAuthOffListensEverywhereAndLogsAnErrorAtStartAndThenEveryPeriod(t *testing.T) {
	s := startServe(t, []string{"SEGMENTBOT_AUTH=off"}, serveOptions{grace: 5 * time.Second, authOffRepeat: 100 * time.Millisecond})
	listening := s.find("segmentbot listening")
	addrs := listening["addrs"].([]any)
	if host, _, _ := net.SplitHostPort(addrs[0].(string)); len(addrs) != 1 || !net.ParseIP(host).IsUnspecified() {
		t.Errorf("listens on %v, want every interface", addrs)
	}
	if ip := hostIP(t); ip != "" {
		if err := healthy(ip, s.port); err != nil {
			t.Errorf("not reachable through %s: %v", ip, err)
		}
	}
	time.Sleep(350 * time.Millisecond)
	var errs []time.Time
	for _, e := range s.lines() {
		if e["level"] == "ERROR" && strings.HasPrefix(e["msg"].(string), "SEGMENTBOT_AUTH=off: Teams authentication is OFF") {
			at, _ := time.Parse(time.RFC3339Nano, e["time"].(string))
			errs = append(errs, at)
		}
	}
	if len(errs) < 3 {
		t.Fatalf("%d errors about SEGMENTBOT_AUTH=off, want one at start and one per period:\n%s", len(errs), s.logs.String())
	}
	if errs[0].After(parseTime(t, listening["time"])) {
		t.Error("the first error comes after the service listens; it must come at start")
	}
}

func parseTime(t *testing.T, v any) time.Time {
	at, err := time.Parse(time.RFC3339Nano, v.(string))
	if err != nil {
		t.Fatal(err)
	}
	return at
}

func TestAVariableMisspelledInCaseStopsStartUpWithTheRightName(t *testing.T) {
	for _, tt := range []struct{ given, want string }{
		{"MicrosoftAppID", "MicrosoftAppId"},
		{"database_url", "DATABASE_URL"},
	} {
		file := filepath.Join(t.TempDir(), "x.db")
		environ := []string{"DATABASE_URL=sqlite:" + file, tt.given + "=something", "PORT=" + strconv.Itoa(freePort(t))}
		code, _, stderr := cli(context.Background(), environ, "serve")
		want := "segmentbot: serve: config: " + tt.given + ": is not a name segmentbot reads; did you mean " + tt.want + "? (names are case-sensitive)\n"
		if code != exitError || stderr != want {
			t.Errorf("exit %d, stderr %q; want 1, %q", code, stderr, want)
		}
		if _, err := os.Stat(file); !os.IsNotExist(err) {
			t.Error("the database was opened before the configuration was checked")
		}
	}
}

func TestServeStopsGracefullyAndSaysStoppedLast(t *testing.T) {
	s := startServe(t, nil, defaultServeOptions)
	if err := healthy("127.0.0.1", s.port); err != nil {
		t.Fatal(err)
	}
	if err := s.stop(); err != nil {
		t.Fatalf("serve: %v", err)
	}
	lines := s.lines()
	last := lines[len(lines)-1]
	if last["msg"] != "stopped" || last["level"] != "INFO" {
		t.Errorf("last log line %v, want stopped", last)
	}
	if _, ok := last["uptime_ms"].(float64); !ok {
		t.Errorf("stopped line without uptime_ms: %v", last)
	}
	s.find("shutting down: draining requests")
	if err := healthy("127.0.0.1", s.port); err == nil {
		t.Error("still answering after stop")
	}
}
