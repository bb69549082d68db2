package handlers

import (
	"fmt"
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/segmentbot/segmentbot"
	"github.com/segmentbot/segmentbot/cards"
)

// metaMessages is the answer of GET /v1/segments/{id}/card?format=workplace:
// Send API message payloads, in order.
type metaMessages struct {
	Messages []map[string]any `json:"messages"`
}

// segmentCard gives the segment's opt-in / opt-out card for other systems
// to embed in their broadcasts.
func (s *server) segmentCard(c *gin.Context) {
	id, err := idParam(c, "id", "Segment")
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	format := c.DefaultQuery("format", "teams")
	if format != "teams" && format != "workplace" {
		writeError(c, s.log, segmentbot.Errorf(segmentbot.EINVALID, "format must be \"teams\" or \"workplace\", not %q.", format))
		return
	}
	msg, err := s.Cards.SegmentCard(c.Request.Context(), id)
	if err != nil {
		writeError(c, s.log, fmt.Errorf("card of segment %d: %w", id, err))
		return
	}
	if format == "workplace" {
		c.JSON(http.StatusOK, metaMessages{Messages: cards.Meta(msg)})
		return
	}
	c.JSON(http.StatusOK, cards.Adaptive(msg))
}
