package handlers

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
)

const (
	requestIDHeader = "X-Request-Id"
	requestIDKey    = "request_id"
	maxRequestID    = 128
)

// requestID takes the caller's X-Request-Id when it is sane, otherwise
// makes one, and echoes it in the response.
func (s *server) requestID(c *gin.Context) {
	id := c.GetHeader(requestIDHeader)
	if !validRequestID(id) {
		id = newRequestID()
	}
	c.Set(requestIDKey, id)
	c.Header(requestIDHeader, id)
	c.Next()
}

// validRequestID accepts short printable ASCII ids, so a client cannot
// inject log lines or huge headers.
func validRequestID(id string) bool {
	if id == "" || len(id) > maxRequestID {
		return false
	}
	for i := 0; i < len(id); i++ {
		if id[i] < 0x21 || id[i] > 0x7e {
			return false
		}
	}
	return true
}

func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	return hex.EncodeToString(b[:])
}

// routeOf is the route template of the request, or "unmatched", so metric
// labels and logs never carry raw paths (tokens, ids).
func routeOf(c *gin.Context) string {
	if r := c.FullPath(); r != "" {
		return r
	}
	return "unmatched"
}

// methodOf is the request's method when it is a standard one, or
// "other": a client cannot choose a metric series or a log field.
func methodOf(c *gin.Context) string {
	switch m := c.Request.Method; m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return m
	}
	return "other"
}

// quietRoutes are probed every few seconds by orchestrators: their
// requests are logged at DEBUG.
var quietRoutes = map[string]bool{"/healthz": true, "/readyz": true}

// logRequests writes one log line per request.
func (s *server) logRequests(c *gin.Context) {
	start := time.Now()
	defer func() { // deferred so a stream cut off by a panic is logged too
		route, level := routeOf(c), slog.LevelInfo
		if quietRoutes[route] {
			level = slog.LevelDebug
		}
		s.log.Log(c.Request.Context(), level, "request",
			"method", methodOf(c),
			"route", route,
			"status", c.Writer.Status(),
			"duration_ms", float64(time.Since(start).Microseconds())/1000,
			"bytes", c.Writer.Size(),
			"request_id", c.GetString(requestIDKey))
	}()
	c.Next()
}

// countRequests feeds the request counter and the latency histogram.
func (s *server) countRequests(c *gin.Context) {
	if s.Metrics == nil {
		c.Next()
		return
	}
	start := time.Now()
	defer func() {
		route := routeOf(c)
		s.Metrics.Requests.WithLabelValues(route, methodOf(c), strconv.Itoa(c.Writer.Status())).Inc()
		s.Metrics.Latency.WithLabelValues(route).Observe(time.Since(start).Seconds())
	}()
	c.Next()
}

// recoverPanics turns a panic into a 500 and a log line. http.ErrAbortHandler
// passes through: it is how a half-written stream is cut off on purpose.
func (s *server) recoverPanics(c *gin.Context) {
	defer func() {
		v := recover()
		if v == nil {
			return
		}
		if err, ok := v.(error); ok && errors.Is(err, http.ErrAbortHandler) {
			panic(v)
		}
		err := fmt.Errorf("panic: %v", v)
		if c.Writer.Written() {
			logInternal(c, s.log, err)
			panic(http.ErrAbortHandler)
		}
		writeError(c, s.log, err)
	}()
	c.Next()
}
