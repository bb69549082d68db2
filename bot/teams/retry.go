package teams

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"
)

// Retry policy of outbound calls: bounded attempts, exponential backoff
// with full jitter, Retry-After honoured up to maxRetryAfter.
const (
	maxAttempts    = 5
	baseBackoff    = 250 * time.Millisecond
	maxBackoff     = 8 * time.Second
	maxRetryAfter  = 60 * time.Second
	attemptTimeout = 20 * time.Second
	maxBodyBytes   = 8 << 20
)

// StatusError is a non-success answer of a remote API after retries.
type StatusError struct {
	Method string
	URL    string
	Status int
	Body   string
	// Code is the error code of the answer's {"error":{"code"}} envelope
	// (Bot Connector and Graph both use it), "" when there is none.
	Code string
	// RetryAfter is the wait the answer asked for (0 = not said).
	RetryAfter time.Duration
}

func statusError(r request, status int, header http.Header, body []byte) *StatusError {
	e := &StatusError{Method: r.method, URL: r.url, Status: status, Body: snippet(body)}
	var env struct {
		Error struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &env) == nil {
		e.Code = env.Error.Code
	}
	e.RetryAfter, _ = retryAfter(header)
	return e
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("%s %s: status %d: %s", e.Method, e.URL, e.Status, e.Body)
}

// request is one outbound HTTP call, repeated as the policy allows.
type request struct {
	method    string
	url       string
	body      any                                       // JSON-encoded when not nil, sent as is when rawJSON
	bearer    func(ctx context.Context) (string, error) // nil = no Authorization header
	retryable func(status int) bool
	onUnauth  func() // called once on a 401 before one more try
	// single makes one attempt (a 401 still gets its one fresh token):
	// the broadcaster paces and retries broadcast sends itself.
	single bool
}

// rawJSON is a request body already encoded.
type rawJSON []byte

// connectorRetryable are the statuses the Bot Connector asks to retry.
func connectorRetryable(status int) bool {
	switch status {
	case http.StatusTooManyRequests, http.StatusPreconditionFailed, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// graphRetryable are the statuses Microsoft Graph asks to retry.
func graphRetryable(status int) bool {
	return status == http.StatusTooManyRequests || status >= 500
}

// do sends r until it succeeds, fails for good, or runs out of attempts,
// and decodes a JSON answer into out (when not nil).
func do(ctx context.Context, hc *http.Client, r request, out any) error {
	var payload []byte
	switch body := r.body.(type) {
	case nil:
	case rawJSON:
		payload = body
	default:
		var err error
		if payload, err = json.Marshal(body); err != nil {
			return fmt.Errorf("encoding %s %s: %w", r.method, r.url, err)
		}
	}
	retriedUnauth := false
	for attempt := 1; ; attempt++ {
		status, header, body, err := once(ctx, hc, r, payload)
		switch {
		case err == nil && status >= 200 && status < 300:
			if out == nil || len(bytes.TrimSpace(body)) == 0 {
				return nil
			}
			if err := json.Unmarshal(body, out); err != nil {
				return fmt.Errorf("decoding answer of %s %s: %w", r.method, r.url, err)
			}
			return nil
		case err == nil && status == http.StatusUnauthorized && r.onUnauth != nil && !retriedUnauth:
			retriedUnauth = true
			r.onUnauth()
			continue
		case err == nil && (r.single || !r.retryable(status)):
			return statusError(r, status, header, body)
		case err != nil && (r.single || ctx.Err() != nil):
			return fmt.Errorf("%s %s: %w", r.method, r.url, err)
		}
		if attempt >= maxAttempts {
			if err != nil {
				return fmt.Errorf("%s %s after %d attempts: %w", r.method, r.url, attempt, err)
			}
			return statusError(r, status, header, body)
		}
		wait := backoff(attempt)
		if ra, ok := retryAfter(header); ok {
			wait = ra
		}
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait {
			return fmt.Errorf("%s %s: status %d, retry in %s is past the deadline", r.method, r.url, status, wait)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("%s %s: %w", r.method, r.url, ctx.Err())
		case <-t.C:
		}
	}
}

// once makes one attempt with its own timeout: attemptTimeout, or the
// client's when that is no longer (a broadcast makes thousands of attempts
// a second, and each timer costs).
func once(ctx context.Context, hc *http.Client, r request, payload []byte) (int, http.Header, []byte, error) {
	if hc.Timeout <= 0 || hc.Timeout > attemptTimeout {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, attemptTimeout)
		defer cancel()
	}
	var rd io.Reader
	if payload != nil {
		rd = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, r.url, rd)
	if err != nil {
		return 0, nil, nil, err
	}
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	if r.bearer != nil {
		token, err := r.bearer(ctx)
		if err != nil {
			return 0, nil, nil, err
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
	}
	resp, err := hc.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBodyBytes))
	if err != nil {
		return 0, nil, nil, err
	}
	return resp.StatusCode, resp.Header, body, nil
}

// backoff is the wait before attempt+1: exponential with full jitter.
func backoff(attempt int) time.Duration {
	d := baseBackoff << (attempt - 1)
	if d > maxBackoff || d <= 0 {
		d = maxBackoff
	}
	return d/2 + rand.N(d/2+1)
}

// retryAfter reads a Retry-After header in seconds or as an HTTP date.
func retryAfter(h http.Header) (time.Duration, bool) {
	v := h.Get("Retry-After")
	if v == "" {
		return 0, false
	}
	var d time.Duration
	if secs, err := strconv.ParseFloat(v, 64); err == nil {
		d = time.Duration(secs * float64(time.Second))
	} else if t, err := http.ParseTime(v); err == nil {
		d = time.Until(t)
	} else {
		return 0, false
	}
	return min(max(d, 0), maxRetryAfter), true
}

// isStatus reports whether err is a StatusError with status.
func isStatus(err error, status int) bool {
	var se *StatusError
	return errors.As(err, &se) && se.Status == status
}
