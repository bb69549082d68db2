package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/segmentbot/segmentbot/bot/teams/teamstest"
)

const apiKey = "test-api-key-0123456789"

// service is the whole segmentbot on a real HTTP server, talking only to
// the teamstest fakes; "user X does Y" is one line.
type service struct {
	t     *testing.T
	kit   *teamstest.Kit
	app   *app
	srv   *httptest.Server
	admin teamstest.User
	logs  *logBuffer // every log line, JSON
}

// logBuffer collects log lines safely across goroutines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func startService(t *testing.T, dsn string, env map[string]string) *service {
	t.Helper()
	kit := teamstest.New(t)
	s := &service{t: t, kit: kit, admin: teamstest.NewUser("Ada Admin"), logs: &logBuffer{}}
	s.srv = httptest.NewUnstartedServer(nil)
	vars := map[string]string{
		"SEGMENTBOT_ADMINS":         s.admin.AADObjectID,
		"SEGMENTBOT_API_KEYS":       apiKey,
		"SEGMENTBOT_SIGNING_KEY":    "service-test-signing-key",
		"SEGMENTBOT_DOWNLOAD_ALLOW": "127.0.0.1",
	}
	for k, v := range env {
		vars[k] = v
	}
	cfg, err := loadConfig(kitEnv(kit, dsn, "http://"+s.srv.Listener.Addr().String(), vars))
	if err != nil {
		t.Fatal(err)
	}
	var out io.Writer = s.logs
	if testing.Verbose() {
		out = io.MultiWriter(s.logs, &testWriter{t})
	}
	log := slog.New(slog.NewJSONHandler(out, nil))
	s.app, err = newApp(context.Background(), cfg, log, &http.Client{Timeout: 10 * time.Second}, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	s.app.runner.ProgressEvery = 50 * time.Millisecond
	s.app.runner.Poll = 50 * time.Millisecond
	s.srv.Config.Handler = s.app.handler
	s.srv.Start()
	s.app.start()
	t.Cleanup(func() {
		s.srv.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		s.app.stop(ctx)
	})
	return s
}

type testWriter struct{ t *testing.T }

func (w *testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// post sends a signed activity to /api/messages and returns the status and
// the response body.
func (s *service) post(a teamstest.Activity, opts ...teamstest.SignOption) (int, []byte) {
	s.t.Helper()
	return s.postRaw(a.JSON(), s.kit.Sign(a, opts...))
}

func (s *service) postRaw(body []byte, auth string) (int, []byte) {
	s.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, s.srv.URL+"/api/messages", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}

// say posts a message from u and waits for the reply.
func (s *service) say(u teamstest.User, text string) teamstest.Sent {
	s.t.Helper()
	return s.expectReply(s.kit.Message(u, text))
}

// expectReply posts a, checks 200 and returns the next activity the bot
// sent.
func (s *service) expectReply(a teamstest.Activity) teamstest.Sent {
	s.t.Helper()
	before := len(s.kit.Sent())
	if code, body := s.post(a); code != http.StatusOK {
		s.t.Fatalf("status %d: %s", code, body)
	}
	return s.kit.WaitSent(s.t, before+1)[before]
}

// waitFor waits until the bot has sent something containing text (replies
// and proactive messages race) and returns it.
func (s *service) waitFor(text string) teamstest.Sent {
	s.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		for _, sent := range s.kit.Sent() {
			if strings.Contains(replyText(sent), text) {
				return sent
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.t.Fatalf("the bot never sent %q", text)
	return teamstest.Sent{}
}

// api calls the REST API with the key and decodes the JSON answer.
func (s *service) api(method, path string, body any, out any) int {
	s.t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, s.srv.URL+path, r)
	req.Header.Set("Authorization", "Bearer "+apiKey)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if out != nil && len(data) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			s.t.Fatalf("%s %s: %v in %s", method, path, err, data)
		}
	}
	return resp.StatusCode
}

func (s *service) get(url string) (int, string) {
	s.t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// cardText flattens an Adaptive Card's text and button titles.
func cardText(card map[string]any) string {
	var sb strings.Builder
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for _, k := range []string{"text", "title", "value"} {
				if s, ok := x[k].(string); ok {
					sb.WriteString(s + "\n")
				}
			}
			for _, k := range []string{"body", "actions", "facts", "items", "columns"} {
				walk(x[k])
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(card)
	return sb.String()
}

// replyText is a sent activity's text plus every card's text.
func replyText(s teamstest.Sent) string {
	out := s.Text() + "\n"
	atts, _ := s.Activity["attachments"].([]any)
	for _, a := range atts {
		if m, ok := a.(map[string]any); ok {
			if c, ok := m["content"].(map[string]any); ok {
				out += cardText(c)
			}
		}
	}
	return out
}

// action finds the data of the button titled title in a card.
func action(t *testing.T, card map[string]any, title string) map[string]any {
	t.Helper()
	var found map[string]any
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if x["title"] == title {
				if d, ok := x["data"].(map[string]any); ok && found == nil {
					found = d
				}
			}
			for _, k := range []string{"body", "actions", "items"} {
				walk(x[k])
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(card)
	if found == nil {
		t.Fatalf("no button %q in card %v", title, card)
	}
	return found
}

func wantIn(t *testing.T, got string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(got, w) {
			t.Errorf("%q does not contain %q", got, w)
		}
	}
}
