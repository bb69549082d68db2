package teams

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
)

// tokenSource gets client-credentials tokens and caches them per (endpoint,
// scope) until shortly before they expire. Concurrent callers that miss the
// cache share one request.
type tokenSource struct {
	cfg   Config
	now   func() time.Time
	group singleflight.Group

	mu     sync.Mutex
	tokens map[string]cachedToken
}

type cachedToken struct {
	value   string
	refresh time.Time // when to fetch a new one
}

func newTokenSource(cfg Config) *tokenSource {
	return &tokenSource{cfg: cfg, now: time.Now, tokens: map[string]cachedToken{}}
}

// Token returns a bearer token for scope from the endpoint of tenant ("" =
// the bot's own).
func (s *tokenSource) Token(ctx context.Context, tenant, scope string) (string, error) {
	endpoint := s.cfg.tokenURL(tenant)
	key := endpoint + " " + scope
	if t, ok := s.cached(key); ok {
		return t, nil
	}
	// The shared fetch must not die with the first caller's context.
	ch := s.group.DoChan(key, func() (any, error) {
		// A fetch that ended between the check above and this flight
		// has cached the token already.
		if t, ok := s.cached(key); ok {
			return t, nil
		}
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		return s.fetch(fctx, key, endpoint, scope)
	})
	select {
	case r := <-ch:
		if r.Err != nil {
			return "", r.Err
		}
		return r.Val.(string), nil
	case <-ctx.Done():
		return "", fmt.Errorf("waiting for a token from %s: %w", endpoint, ctx.Err())
	}
}

// cached returns the token cached for key while it needs no renewal.
func (s *tokenSource) cached(key string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.tokens[key]
	if !ok || !s.now().Before(t.refresh) {
		return "", false
	}
	return t.value, true
}

// forget drops a token the connector refused, so the next call fetches anew.
func (s *tokenSource) forget(tenant, scope string) {
	s.mu.Lock()
	delete(s.tokens, s.cfg.tokenURL(tenant)+" "+scope)
	s.mu.Unlock()
}

func (s *tokenSource) fetch(ctx context.Context, key, endpoint, scope string) (string, error) {
	form := url.Values{
		"grant_type":    {"client_credentials"},
		"client_id":     {s.cfg.AppID},
		"client_secret": {s.cfg.AppPassword},
		"scope":         {scope},
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return "", fmt.Errorf("token request to %s: %w", endpoint, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := s.cfg.HTTPClient.Do(req)
	if err != nil {
		return "", fmt.Errorf("token request to %s: %w", endpoint, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return "", fmt.Errorf("reading token from %s: %w", endpoint, err)
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("token request to %s: status %d: %s", endpoint, resp.StatusCode, snippet(body))
	}
	var tr struct {
		AccessToken string          `json:"access_token"`
		ExpiresIn   json.RawMessage `json:"expires_in"`
	}
	if err := json.Unmarshal(body, &tr); err != nil || tr.AccessToken == "" {
		return "", fmt.Errorf("token from %s: no access_token in answer: %s", endpoint, snippet(body))
	}
	lifetime := time.Duration(parseSeconds(tr.ExpiresIn)) * time.Second
	if lifetime <= 0 {
		lifetime = time.Hour
	}
	// Renew five minutes early, or halfway through a short-lived token.
	margin := min(5*time.Minute, lifetime/2)
	s.mu.Lock()
	s.tokens[key] = cachedToken{value: tr.AccessToken, refresh: s.now().Add(lifetime - margin)}
	s.mu.Unlock()
	return tr.AccessToken, nil
}

// parseSeconds reads a number that Azure AD sends either as a JSON number
// or as a string.
func parseSeconds(raw json.RawMessage) int64 {
	var n json.Number
	s := strings.Trim(string(raw), `"`)
	n = json.Number(s)
	v, err := n.Int64()
	if err != nil {
		return 0
	}
	return v
}

// snippet shortens a response body for an error message.
func snippet(b []byte) string {
	const max = 200
	if len(b) > max {
		return string(b[:max]) + "..."
	}
	return string(b)
}
