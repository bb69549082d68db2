package handlers

import (
	"bufio"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/segmentbot/segmentbot"
)

const (
	webhookSecret = "app-secret"
	verifyToken   = "verify-me"
)

// fakeWorkplace checks Meta's handshake and X-Hub-Signature-256 the way the
// channel does, and counts the webhooks it accepted.
type fakeWorkplace struct{ accepted int }

func (w *fakeWorkplace) Verify(mode, token, challenge string) (string, error) {
	if mode != "subscribe" || token != verifyToken {
		return "", segmentbot.Errorf(segmentbot.EFORBIDDEN, "verify token mismatch")
	}
	return challenge, nil
}

func (w *fakeWorkplace) ProcessWebhook(ctx context.Context, sig256, sig1 string, body []byte) error {
	if !hmac.Equal([]byte(sig256), []byte(metaSignature(body))) {
		return segmentbot.Errorf(segmentbot.EFORBIDDEN, "bad signature")
	}
	w.accepted++
	return nil
}

func metaSignature(body []byte) string {
	m := hmac.New(sha256.New, []byte(webhookSecret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

func TestMessagesEndpoint(t *testing.T) {
	invoke := map[string]any{"statusCode": 200, "type": "application/vnd.microsoft.card.adaptive", "value": map[string]any{"type": "AdaptiveCard"}}
	tests := []struct {
		name     string
		body     string
		resp     any
		err      error
		status   int
		wantBody string
	}{
		{"an activity without invoke answer gets 200 and no body", `{"type":"message"}`, nil, nil, 200, ""},
		{"an invoke gets its response as JSON", `{"type":"invoke"}`, invoke, nil, 200, `{"statusCode":200,"type":"application/vnd.microsoft.card.adaptive","value":{"type":"AdaptiveCard"}}`},
		{"a typed nil response is an empty 200, not null", `{"type":"message"}`, (*struct{})(nil), nil, 200, ""},
		{"a bad token is 401", `{}`, nil, segmentbot.Errorf(segmentbot.EUNAUTHORIZED, "bad token"), 401, ""},
		{"a serviceUrl mismatch is 403", `{}`, nil, segmentbot.Errorf(segmentbot.EFORBIDDEN, "serviceurl"), 403, ""},
		{"an unparsable activity is 400", `{`, nil, segmentbot.Errorf(segmentbot.EINVALID, "bad activity"), 400, ""},
		{"a failure inside is 500 without details", `{}`, nil, errBoom, 500, ""},
		{"a not-found inside is still a 500 so the channel retries", `{}`, nil, segmentbot.Errorf(segmentbot.ENOTFOUND, "x"), 500, ""},
	}
	db := openSQLite(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			teams := &fakeTeams{resp: tt.resp, err: tt.err}
			f := newFixture(t, db, func(d *Deps) { d.Teams = teams })
			resp := f.do("POST", "/api/messages", strings.NewReader(tt.body), "Authorization", "Bearer jwt")
			raw, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d (%s)", resp.StatusCode, tt.status, raw)
			}
			if teams.auth != "Bearer jwt" || string(teams.body) != tt.body {
				t.Errorf("processor got auth %q body %q", teams.auth, teams.body)
			}
			if tt.wantBody != "" && strings.TrimSpace(string(raw)) != tt.wantBody {
				t.Errorf("body %s, want %s", raw, tt.wantBody)
			}
			if tt.status == 200 && tt.wantBody == "" && len(raw) != 0 {
				t.Errorf("body %q, want empty", raw)
			}
			if tt.status == 500 && strings.Contains(string(raw), "boom") {
				t.Errorf("internal detail leaked: %s", raw)
			}
		})
	}

	t.Run("a body over MaxBody is 413 and never reaches the bot", func(t *testing.T) {
		teams := &fakeTeams{}
		f := newFixture(t, db, func(d *Deps) { d.Teams = teams; d.MaxBody = 100 })
		resp := f.do("POST", "/api/messages", strings.NewReader(strings.Repeat("x", 101)))
		if resp.StatusCode != http.StatusRequestEntityTooLarge || teams.calls != 0 {
			t.Fatalf("status %d, calls %d; want 413, 0", resp.StatusCode, teams.calls)
		}
		resp = f.do("POST", "/api/messages", strings.NewReader(strings.Repeat("x", 100)))
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("a body of exactly MaxBody: status %d, want 200", resp.StatusCode)
		}
	})

	t.Run("a body streamed without Content-Length over MaxBody is 413", func(t *testing.T) {
		f := newFixture(t, db, func(d *Deps) { d.MaxBody = 100 })
		resp := f.do("POST", "/api/messages", io.MultiReader(strings.NewReader(strings.Repeat("x", 60)), strings.NewReader(strings.Repeat("y", 60))))
		if resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Fatalf("status %d, want 413", resp.StatusCode)
		}
	})

	t.Run("without Teams the endpoint is 404", func(t *testing.T) {
		f := newFixture(t, db, func(d *Deps) { d.Teams = nil })
		if st := f.do("POST", "/api/messages", strings.NewReader("{}")).StatusCode; st != 404 {
			t.Fatalf("status %d, want 404", st)
		}
	})
}

func TestWorkplaceWebhook(t *testing.T) {
	db := openSQLite(t)
	body, err := os.ReadFile("/work/shared/fixtures/workplace/message_text.json")
	if err != nil {
		body = []byte(`{"object":"page","entry":[{"id":"1","time":1,"messaging":[{"sender":{"id":"2"},"recipient":{"id":"1"},"timestamp":1,"message":{"mid":"m","text":"hi"}}]}]}`)
	}
	wp := &fakeWorkplace{}
	f := newFixture(t, db, func(d *Deps) { d.Workplace = wp })

	verify := []struct {
		name, query string
		status      int
		body        string
	}{
		{"the right token echoes the challenge", "hub.mode=subscribe&hub.verify_token=" + verifyToken + "&hub.challenge=1158201444", 200, "1158201444"},
		{"a wrong token is 403", "hub.mode=subscribe&hub.verify_token=nope&hub.challenge=1158201444", 403, ""},
	}
	for _, tt := range verify {
		t.Run(tt.name, func(t *testing.T) {
			resp := f.do("GET", "/webhooks/workplace?"+tt.query, nil)
			raw, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.status || (tt.body != "" && string(raw) != tt.body) {
				t.Fatalf("got %d %q, want %d %q", resp.StatusCode, raw, tt.status, tt.body)
			}
			if tt.status == 200 && !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
				t.Errorf("content type %q, want text/plain", resp.Header.Get("Content-Type"))
			}
		})
	}

	post := []struct {
		name   string
		sig    string
		status int
	}{
		{"a correctly signed event is received", metaSignature(body), 200},
		{"a wrong signature is 403", "sha256=" + strings.Repeat("0", 64), 403},
		{"a missing signature is 403", "", 403},
	}
	for _, tt := range post {
		t.Run(tt.name, func(t *testing.T) {
			before := wp.accepted
			resp := f.do("POST", "/webhooks/workplace", strings.NewReader(string(body)), "X-Hub-Signature-256", tt.sig)
			raw, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d (%s)", resp.StatusCode, tt.status, raw)
			}
			if tt.status == 200 && (string(raw) != "EVENT_RECEIVED" || wp.accepted != before+1) {
				t.Errorf("body %q accepted %d", raw, wp.accepted-before)
			}
		})
	}

	t.Run("without Workplace both routes are 404", func(t *testing.T) {
		off := newFixture(t, db, func(d *Deps) { d.Workplace = nil })
		for _, m := range []string{"GET", "POST"} {
			if st := off.do(m, "/webhooks/workplace", nil).StatusCode; st != 404 {
				t.Errorf("%s: status %d, want 404", m, st)
			}
		}
	})
}

// Issue 15.8: a channel body trickled slowly (slow loris) is cut off after
// BodyTimeout with 400, never reaching the channel; a body that arrives in
// time is handled.
func TestChannelBodiesMustArriveQuickly(t *testing.T) {
	db := openSQLite(t)
	for _, path := range []string{"/api/messages", "/webhooks/workplace"} {
		t.Run(path, func(t *testing.T) {
			teams, wp := &fakeTeams{}, &fakeWorkplace{}
			f := newFixture(t, db, func(d *Deps) { d.Teams, d.Workplace, d.BodyTimeout = teams, wp, 300*time.Millisecond })
			conn, err := net.Dial("tcp", strings.TrimPrefix(f.srv.URL, "http://"))
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"type\":", path)
			start := time.Now()
			_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
			resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err != nil {
				t.Fatalf("no answer to a trickled body: %v", err)
			}
			if resp.StatusCode != http.StatusBadRequest || time.Since(start) > 3*time.Second {
				t.Fatalf("status %d after %s, want 400 soon after the 300ms budget", resp.StatusCode, time.Since(start))
			}
			if teams.calls != 0 || wp.accepted != 0 {
				t.Fatal("a partial body reached the channel")
			}
		})
	}
}

// Issue 15.6: one failing webhook of thousands of events logs one short
// line, not half a megabyte.
func TestInternalErrorLogLinesAreCapped(t *testing.T) {
	db := openSQLite(t)
	huge := errors.New(strings.Repeat("event failed: database is down; ", 20000))
	f := newFixture(t, db, func(d *Deps) { d.Teams = &fakeTeams{err: huge} })
	resp := f.do("POST", "/api/messages", strings.NewReader(`{"type":"message"}`))
	if resp.StatusCode != http.StatusInternalServerError {
		t.Fatalf("status %d, want 500", resp.StatusCode)
	}
	for _, line := range strings.Split(f.logs.String(), "\n") {
		if len(line) > 8<<10 {
			t.Fatalf("a log line of %d bytes", len(line))
		}
	}
	if !strings.Contains(f.logs.String(), "more bytes)") {
		t.Fatal("the cut is not said")
	}
}
