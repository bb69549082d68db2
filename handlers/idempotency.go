package handlers

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/segmentbot/segmentbot"
)

const (
	idempotencyHeader = "Idempotency-Key"
	maxIdempotencyKey = 255
)

// replayFunc answers a retry whose first request made resource id but
// never delivered its answer (a 500 after the change was saved).
type replayFunc func(c *gin.Context, id int64)

// idempotent makes a create route safe to retry with an Idempotency-Key:
// the same key and body get the first answer again (Idempotent-Replayed:
// true) and change nothing; the same key with another body is 409; a key
// whose request is still running is 409 too. A request that failed with
// a 5xx may be retried: when its create was saved after all, replay
// answers with what it made, else the request runs again. Without the
// header, or without a store that keeps keys, the route runs as is.
func (s *server) idempotent(replay replayFunc) gin.HandlerFunc {
	return func(c *gin.Context) {
		key := c.GetHeader(idempotencyHeader)
		keys, ok := s.Store.(segmentbot.IdempotencyService)
		if key == "" || !ok {
			c.Next()
			return
		}
		if len(key) > maxIdempotencyKey || !validRequestID(key) {
			writeError(c, s.log, segmentbot.Errorf(segmentbot.EINVALID, "The Idempotency-Key must be 1 to %d printable ASCII characters.", maxIdempotencyKey))
			return
		}
		body, err := readBody(c, s.MaxBody)
		if err != nil {
			writeError(c, s.log, err)
			return
		}
		c.Request.Body = io.NopCloser(bytes.NewReader(body))
		sum := sha256.Sum256(body)
		k := &segmentbot.IdempotencyKey{Scope: c.Request.Method + " " + c.FullPath(), Key: key, BodyHash: hex.EncodeToString(sum[:])}
		ctx := c.Request.Context()
		if done := s.settleKnownKey(c, keys, k, replay); done {
			return
		}
		c.Request = c.Request.WithContext(segmentbot.WithIdempotencyKey(ctx, k))
		w := &recordingWriter{ResponseWriter: c.Writer}
		c.Writer = w
		c.Next()
		status, response := w.Status(), w.body.String()
		if status >= http.StatusInternalServerError {
			status, response = -1, ""
		}
		if err := keys.FinishIdempotencyKey(ctx, k.Scope, k.Key, status, response); err != nil {
			logInternal(c, s.log, fmt.Errorf("idempotency key %q: %w", key, err))
		}
	}
}

// settleKnownKey claims k; when it is known it answers from what is
// stored and returns true, unless the earlier request failed without
// saving anything, which runs again.
func (s *server) settleKnownKey(c *gin.Context, keys segmentbot.IdempotencyService, k *segmentbot.IdempotencyKey, replay replayFunc) bool {
	ctx := c.Request.Context()
	stored, err := keys.ClaimIdempotencyKey(ctx, k)
	switch {
	case err != nil:
		writeError(c, s.log, err)
		return true
	case stored == nil:
		return false
	case stored.BodyHash != k.BodyHash:
		writeError(c, s.log, segmentbot.Errorf(segmentbot.ECONFLICT, "This Idempotency-Key was used with another request body; use a new key for a new request."))
		return true
	case stored.Status > 0:
		c.Header("Idempotent-Replayed", "true")
		c.Data(stored.Status, "application/json; charset=utf-8", []byte(stored.Response))
		c.Abort()
		return true
	case stored.ResourceID != 0 && replay != nil:
		c.Header("Idempotent-Replayed", "true")
		replay(c, stored.ResourceID)
		c.Abort()
		return true
	}
	taken, err := keys.RetakeIdempotencyKey(ctx, k.Scope, k.Key)
	if err != nil {
		writeError(c, s.log, err)
		return true
	}
	if !taken {
		writeError(c, s.log, segmentbot.Errorf(segmentbot.ECONFLICT, "A request with this Idempotency-Key is still being handled; retry in a moment."))
		return true
	}
	return false
}

// recordingWriter keeps a copy of the answer's body.
type recordingWriter struct {
	gin.ResponseWriter
	body bytes.Buffer
}

func (w *recordingWriter) Write(b []byte) (int, error) {
	w.body.Write(b)
	return w.ResponseWriter.Write(b)
}

func (w *recordingWriter) WriteString(s string) (int, error) {
	w.body.WriteString(s)
	return w.ResponseWriter.WriteString(s)
}

// replaySegment answers 201 with the segment a retried create made.
func (s *server) replaySegment(c *gin.Context, id int64) {
	seg, err := s.Store.FindSegmentByID(c.Request.Context(), id)
	if err != nil {
		writeError(c, s.log, fmt.Errorf("replay segment %d: %w", id, err))
		return
	}
	c.JSON(http.StatusCreated, seg)
}
