package handlers

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/segmentbot/segmentbot"
)

// readBody reads the whole request body, at most limit bytes: one byte more
// is read to tell a body of exactly limit bytes from a larger one.
func readBody(c *gin.Context, limit int64) ([]byte, error) {
	if c.Request.ContentLength > limit {
		return nil, segmentbot.Errorf(segmentbot.ETOOLARGE, "The request body is larger than %d bytes.", limit)
	}
	body, err := io.ReadAll(io.LimitReader(c.Request.Body, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read request body: %w", err)
	}
	if int64(len(body)) > limit {
		return nil, segmentbot.Errorf(segmentbot.ETOOLARGE, "The request body is larger than %d bytes.", limit)
	}
	return body, nil
}

// readChannelBody reads the body of a channel request (/api/messages,
// /webhooks/workplace), which is small: it must arrive within
// BodyTimeout, so a client that trickles it (slow loris) cannot hold a
// connection for the server's whole read timeout, which is long for CSV
// uploads. EINVALID when it comes too slowly.
func (s *server) readChannelBody(c *gin.Context) ([]byte, error) {
	rc := http.NewResponseController(c.Writer)
	if err := rc.SetReadDeadline(time.Now().Add(s.BodyTimeout)); err != nil && !errors.Is(err, http.ErrNotSupported) {
		return nil, fmt.Errorf("set the body read deadline: %w", err)
	}
	body, err := readBody(c, s.MaxBody)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return nil, segmentbot.Errorf(segmentbot.EINVALID, "The request body did not arrive within %s.", s.BodyTimeout)
	}
	// The rest of the request may take its time (handling, the reply).
	_ = rc.SetReadDeadline(time.Time{})
	return body, err
}
