package teams

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/lestrrat-go/httprc/v3"
	"github.com/lestrrat-go/jwx/v3/jwk"
)

// Key refresh policy: the JWKS is refreshed in the background at most
// every keyMinInterval and at least every keyMaxInterval; an unknown kid
// forces a refresh no more often than unknownKidEvery.
const (
	keyMinInterval  = time.Hour
	keyMaxInterval  = 24 * time.Hour
	unknownKidEvery = 30 * time.Second
	setupRetryEvery = 10 * time.Second
)

// keySource holds the Bot Framework signing keys. The OpenID metadata is
// read once, the JWKS lives in a jwk.Cache (which keeps the endorsements
// of each key) and nothing is fetched per request.
type keySource struct {
	cfg Config

	mu        sync.Mutex
	cache     *jwk.Cache
	jwksURL   string
	failedAt  time.Time // last failed setup, to rate-limit retries
	refreshed time.Time // last refresh forced by an unknown kid
	stop      context.CancelFunc
}

// errKeysUnavailable marks a failure to load the signing keys: the request
// may be fine, so the sender should retry (503), not give up (401).
var errKeysUnavailable = errors.New("signing keys unavailable")

// unavailable wraps err as errKeysUnavailable.
func unavailable(err error) error { return fmt.Errorf("%w: %w", errKeysUnavailable, err) }

// key returns the signing key kid, refreshing the set once in a while
// when kid is unknown (keys rotate).
func (k *keySource) key(ctx context.Context, kid string) (jwk.Key, error) {
	cache, u, err := k.setup(ctx)
	if err != nil {
		return nil, unavailable(err)
	}
	set, err := cache.Lookup(ctx, u)
	if err != nil {
		return nil, unavailable(err)
	}
	if key, ok := set.LookupKeyID(kid); ok {
		return key, nil
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if time.Since(k.refreshed) < unknownKidEvery {
		return nil, fmt.Errorf("unknown signing key %q", kid)
	}
	k.refreshed = time.Now()
	if set, err = cache.Refresh(ctx, u); err != nil {
		return nil, unavailable(fmt.Errorf("refreshing for kid %q: %w", kid, err))
	}
	if key, ok := set.LookupKeyID(kid); ok {
		return key, nil
	}
	return nil, fmt.Errorf("unknown signing key %q", kid)
}

// setup reads the metadata and starts the key cache on first use.
func (k *keySource) setup(ctx context.Context) (*jwk.Cache, string, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.cache != nil {
		return k.cache, k.jwksURL, nil
	}
	if time.Since(k.failedAt) < setupRetryEvery {
		return nil, "", errors.New("signing keys unavailable; retrying shortly")
	}
	cache, u, err := k.start(ctx)
	if err != nil {
		k.failedAt = time.Now()
		return nil, "", err
	}
	k.cache, k.jwksURL = cache, u
	return cache, u, nil
}

func (k *keySource) start(ctx context.Context) (*jwk.Cache, string, error) {
	u, err := k.jwksURI(ctx)
	if err != nil {
		return nil, "", err
	}
	// One plain GET first: the cache would wait out its whole timeout on
	// a JWKS endpoint that is down, and the connector gives up sooner.
	var probe struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := k.getJSON(ctx, u, &probe); err != nil {
		return nil, "", fmt.Errorf("loading signing keys: %w", err)
	}
	bg, stop := context.WithCancel(context.Background())
	cache, err := jwk.NewCache(bg, httprc.NewClient(httprc.WithHTTPClient(k.cfg.HTTPClient)))
	if err != nil {
		stop()
		return nil, "", fmt.Errorf("starting the key cache: %w", err)
	}
	rctx, cancel := context.WithTimeout(ctx, attemptTimeout)
	defer cancel()
	err = cache.Register(rctx, u,
		jwk.WithHTTPClient(k.cfg.HTTPClient),
		jwk.WithHttprcResourceOption(httprc.WithMinInterval(keyMinInterval)),
		jwk.WithHttprcResourceOption(httprc.WithMaxInterval(keyMaxInterval)))
	if err == nil && !cache.Ready(rctx, u) {
		err = errors.New("not ready")
	}
	if err != nil {
		stop()
		return nil, "", fmt.Errorf("loading signing keys from %s: %w", u, err)
	}
	k.stop = stop
	return cache, u, nil
}

// jwksURI reads jwks_uri from the OpenID metadata document.
func (k *keySource) jwksURI(ctx context.Context) (string, error) {
	var md struct {
		JWKSURI string `json:"jwks_uri"`
	}
	if err := k.getJSON(ctx, k.cfg.OpenIDMetadataURL, &md); err != nil {
		return "", fmt.Errorf("OpenID metadata: %w", err)
	}
	if md.JWKSURI == "" {
		return "", fmt.Errorf("OpenID metadata %s: no jwks_uri", k.cfg.OpenIDMetadataURL)
	}
	return md.JWKSURI, nil
}

// getJSON GETs u and decodes its JSON; any status but 200 is an error.
func (k *keySource) getJSON(ctx context.Context, u string, out any) error {
	ctx, cancel := context.WithTimeout(ctx, attemptTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	resp, err := k.cfg.HTTPClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil || resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: status %d: %v", u, resp.StatusCode, err)
	}
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("%s: %w", u, err)
	}
	return nil
}

// close stops the background refresh.
func (k *keySource) close(ctx context.Context) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.cache != nil {
		_ = k.cache.Shutdown(ctx)
		k.stop()
		k.cache = nil
	}
}

// endorses reports whether key lists channelID among its endorsements.
func endorses(key jwk.Key, channelID string) bool {
	var v any
	if err := key.Get("endorsements", &v); err != nil {
		return false
	}
	list, ok := v.([]any)
	if !ok {
		if ss, ok := v.([]string); ok {
			for _, s := range ss {
				list = append(list, s)
			}
		}
	}
	for _, e := range list {
		if s, ok := e.(string); ok && s == channelID {
			return true
		}
	}
	return false
}
