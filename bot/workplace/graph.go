package workplace

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/segmentbot/segmentbot"
)

// Graph call limits. A webhook must be answered within 20 s, so one call
// with its retries stays well inside that.
const (
	callTimeout  = 10 * time.Second
	maxAttempts  = 4
	firstBackoff = 500 * time.Millisecond
	maxBackoff   = 8 * time.Second
	maxBody      = 4 << 20
)

// graph calls the Workplace / Messenger Graph API: auth, rate limit,
// timeouts, retries of throttled and transient failures, error envelopes.
type graph struct {
	base    *url.URL
	token   string
	proof   string // appsecret_proof: HMAC-SHA256(app secret, access token)
	client  *http.Client
	limiter *limiter
	backoff time.Duration // first retry delay; tests shorten it
}

func newGraph(base *url.URL, token, appSecret string, client *http.Client, l *limiter) *graph {
	mac := hmac.New(sha256.New, []byte(appSecret))
	mac.Write([]byte(token))
	return &graph{base: base, token: token, proof: hex.EncodeToString(mac.Sum(nil)), client: client, limiter: l, backoff: firstBackoff}
}

// graphError is the Graph error envelope {"error":{...}} with the HTTP
// status it came with.
type graphError struct {
	Status    int    `json:"-"`
	Message   string `json:"message"`
	Type      string `json:"type"`
	Code      int    `json:"code"`
	Subcode   int    `json:"error_subcode"`
	Transient bool   `json:"is_transient"`
	TraceID   string `json:"fbtrace_id"`
	// retryAfter is the wait a Retry-After header asked for (0 = none).
	retryAfter time.Duration
}

func (e *graphError) Error() string {
	msg := fmt.Sprintf("graph error %d (HTTP %d", e.Code, e.Status)
	if e.Subcode != 0 {
		msg += fmt.Sprintf(", subcode %d", e.Subcode)
	}
	return msg + "): " + e.Message
}

// Graph error codes the channel acts on.
const (
	codeUnknown       = 1
	codeService       = 2
	codeTooManyCalls  = 4   // application request limit
	codeInvalidParam  = 100 // also "No matching user found"
	codeUserRateLimit = 17
	codePageRateLimit = 32
	codePermission    = 10
	codeNotAuthorized = 200
	codeInvalidToken  = 190
	codeUnavailable   = 551 // "This person isn't available right now."
	codeCallsExceeded = 613
	codeUnknownAlias  = 803
	subcodeNoSuchUser = 2018001
)

// throttled reports whether the call hit a rate limit.
func (e *graphError) throttled() bool {
	switch e.Code {
	case codeTooManyCalls, codeUserRateLimit, codePageRateLimit, codeCallsExceeded:
		return true
	}
	return e.Status == http.StatusTooManyRequests
}

// retryable reports whether trying again later may succeed.
func (e *graphError) retryable() bool {
	return e.throttled() || e.Transient || e.Code == codeUnknown || e.Code == codeService || e.Status >= 500
}

// graphCode returns the Graph error code in err's chain, or 0.
func graphCode(err error) int {
	var ge *graphError
	if errors.As(err, &ge) {
		return ge.Code
	}
	return 0
}

// endpoint returns the URL of path on the Graph base with query.
func (g *graph) endpoint(path string, query url.Values) *url.URL {
	u := *g.base
	u.Path = strings.TrimRight(u.Path, "/") + path
	u.RawPath = ""
	u.RawQuery = query.Encode()
	return &u
}

// follow checks a paging URL the Graph returned before the token is sent to
// it: it must be on the Graph host.
func (g *graph) follow(next string) (*url.URL, error) {
	u, err := url.Parse(next)
	if err != nil {
		return nil, fmt.Errorf("paging link %q: %w", next, err)
	}
	if u.Scheme != g.base.Scheme || u.Host != g.base.Host {
		return nil, fmt.Errorf("paging link %q leaves the Graph host %s", next, g.base.Host)
	}
	return u, nil
}

// do sends one call, retrying throttled and transient failures with
// exponential backoff and jitter, and decodes a 2xx body into out.
func (g *graph) do(ctx context.Context, method string, u *url.URL, body, out any) error {
	var payload []byte
	if body != nil {
		var err error
		if payload, err = json.Marshal(body); err != nil {
			return fmt.Errorf("encode %s %s: %w", method, u.Path, err)
		}
	}
	delay := g.backoff
	for attempt := 1; ; attempt++ {
		if err := g.limiter.wait(ctx); err != nil {
			return fmt.Errorf("%s %s: %w", method, u.Path, err)
		}
		wait, err := g.once(ctx, method, u, payload, out)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil || wait < 0 || attempt == maxAttempts {
			return fmt.Errorf("%s %s (attempt %d): %w", method, u.Path, attempt, err)
		}
		if wait == 0 {
			wait = delay/2 + rand.N(delay/2+1)
		}
		if err := segmentbot.Sleep(ctx, wait); err != nil {
			return fmt.Errorf("%s %s: %w", method, u.Path, err)
		}
		delay = min(2*delay, maxBackoff)
	}
}

// once makes a single attempt. On failure it says how long to wait before
// retrying: 0 for the default backoff, a Retry-After delay, or -1 when a
// retry cannot help.
func (g *graph) once(ctx context.Context, method string, u *url.URL, payload []byte, out any) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, g.sign(u).String(), bytes.NewReader(payload))
	if err != nil {
		return -1, err
	}
	req.Header.Set("Authorization", "Bearer "+g.token)
	req.Header.Set("Accept", "application/json")
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := g.client.Do(req)
	if err != nil {
		if method != http.MethodGet {
			return -1, err // the message may have gone out; resending could post it twice
		}
		return 0, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return 0, fmt.Errorf("read response: %w", err)
	}
	if resp.StatusCode/100 == 2 {
		if out == nil {
			return 0, nil
		}
		if err := json.Unmarshal(data, out); err != nil {
			return -1, fmt.Errorf("decode response: %w", err)
		}
		return 0, nil
	}
	ge := decodeError(resp.StatusCode, data)
	ge.retryAfter = retryAfter(resp.Header.Get("Retry-After"))
	if !ge.retryable() {
		return -1, ge
	}
	return ge.retryAfter, ge
}

// sign adds the appsecret_proof that integrations requiring it expect.
func (g *graph) sign(u *url.URL) *url.URL {
	s := *u
	q := s.Query()
	q.Set("appsecret_proof", g.proof)
	s.RawQuery = q.Encode()
	return &s
}

// decodeError reads the error envelope; a body without one still yields an
// error carrying the status.
func decodeError(status int, data []byte) *graphError {
	var env struct {
		Error *graphError `json:"error"`
	}
	if json.Unmarshal(data, &env) != nil || env.Error == nil {
		return &graphError{Status: status, Message: strings.TrimSpace(string(data[:min(len(data), 200)]))}
	}
	env.Error.Status = status
	return env.Error
}

// retryAfter parses a Retry-After header in seconds, capped; 0 if absent.
func retryAfter(h string) time.Duration {
	secs, err := strconv.Atoi(strings.TrimSpace(h))
	if err != nil || secs <= 0 {
		return 0
	}
	return min(time.Duration(secs)*time.Second, maxBackoff)
}
