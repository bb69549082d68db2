package handlers

import (
	"fmt"

	"github.com/gin-gonic/gin"
	"github.com/segmentbot/segmentbot"
)

// What a download token may point at.
const (
	downloadMembers = "members" // id is a segment id
	downloadReport  = "report"  // id is an import id
	// downloadDeliveries is a broadcast's deliveries.csv; id is a
	// broadcast id.
	downloadDeliveries = "deliveries"
)

// download serves a signed link from a chat message: a segment's members,
// an import's report or a broadcast's deliveries, as a CSV attachment. People open these in a browser,
// so failures are plain sentences.
func (s *server) download(c *gin.Context) {
	what, id, err := s.Signer.ParseDownloadToken(c.Param("token"), s.Now())
	if err != nil {
		s.downloadError(c, err)
		return
	}
	ctx := c.Request.Context()
	switch what {
	case downloadMembers:
		seg, err := s.Store.FindSegmentByID(ctx, id)
		if err != nil {
			s.downloadError(c, fmt.Errorf("download members of segment %d: %w", id, err))
			return
		}
		s.membersCSV(c, seg, true, c.Query("with") == "channel_id")
	case downloadReport:
		imp, err := s.Store.FindImportByID(ctx, id)
		if err != nil {
			s.downloadError(c, fmt.Errorf("download report of import %d: %w", id, err))
			return
		}
		s.reportCSV(c, imp, true)
	case downloadDeliveries:
		b, err := s.Store.FindBroadcastByID(ctx, id)
		if err != nil {
			s.downloadError(c, fmt.Errorf("download deliveries of broadcast %d: %w", id, err))
			return
		}
		s.deliveriesCSV(c, b, true)
	default:
		s.downloadError(c, segmentbot.Errorf(segmentbot.ENOTFOUND, "unknown download kind %q", what))
	}
}

// downloadError answers a failed download with a sentence for a person.
func (s *server) downloadError(c *gin.Context, err error) {
	code := codeOf(err)
	var text string
	switch code {
	case segmentbot.EGONE:
		text = "This download link has expired. Ask the bot for a new one."
	case segmentbot.EFORBIDDEN, segmentbot.EUNAUTHORIZED, segmentbot.EINVALID:
		code = segmentbot.EFORBIDDEN
		text = "This download link is not valid. Ask the bot for a new one."
	case segmentbot.ENOTFOUND:
		text = "What this link points to no longer exists."
	default:
		logInternal(c, s.log, err)
		text = "Something went wrong on our side. Try again in a moment."
	}
	c.Header("Cache-Control", "no-store")
	c.String(statusOf(code), "%s\n", text)
	c.Abort()
}
