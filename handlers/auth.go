package handlers

import (
	"crypto/sha256"
	"crypto/subtle"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/segmentbot/segmentbot"
)

var errNoKey = segmentbot.Errorf(segmentbot.EUNAUTHORIZED, "Send a valid API key as \"Authorization: Bearer <key>\".")

// requireKey lets a /v1 request through only with one of the API keys.
func (s *server) requireKey(c *gin.Context) {
	key, ok := bearer(c.GetHeader("Authorization"))
	if !ok || !keyIn(key, s.APIKeys) {
		c.Header("WWW-Authenticate", `Bearer realm="segmentbot"`)
		writeError(c, s.log, errNoKey)
		return
	}
	c.Next()
}

// bearer takes the token out of an Authorization header.
func bearer(header string) (string, bool) {
	scheme, token, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}

// requireMetricsKey guards /metrics with SEGMENTBOT_METRICS_KEY as a
// bearer key; without one configured /metrics stays open.
func (s *server) requireMetricsKey(c *gin.Context) {
	if s.MetricsKey == "" {
		c.Next()
		return
	}
	key, ok := bearer(c.GetHeader("Authorization"))
	if !ok || !keyIn(key, []string{s.MetricsKey}) {
		c.Header("WWW-Authenticate", `Bearer realm="segmentbot-metrics"`)
		writeError(c, s.log, segmentbot.Errorf(segmentbot.EUNAUTHORIZED, "Send the metrics key as \"Authorization: Bearer <key>\"."))
		return
	}
	c.Next()
}

// keyIn compares key against every one of keys in constant time; hashing
// first makes the comparison independent of the keys' lengths too.
func keyIn(key string, keys []string) bool {
	got := sha256.Sum256([]byte(key))
	found := 0
	for _, k := range keys {
		want := sha256.Sum256([]byte(k))
		found |= subtle.ConstantTimeCompare(got[:], want[:])
	}
	return found == 1
}
