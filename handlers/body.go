package handlers

import (
	"fmt"
	"io"

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
