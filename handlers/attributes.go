package handlers

import (
	"fmt"
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/segmentbot/segmentbot"
)

// Sizes of the attribute answers (DESIGN §3).
const (
	audienceSample = 10 // users POST /v1/audience shows
	attributeTop   = 20 // commonest values GET /v1/attributes shows
)

// audienceInput is the body of POST /v1/audience.
type audienceInput struct {
	SegmentID int64              `json:"segment_id"`
	Filter    *segmentbot.Filter `json:"filter"`
}

// audienceUser is one user of an audience's sample.
type audienceUser struct {
	UserID int64  `json:"user_id"`
	Name   string `json:"name"`
	Email  string `json:"email"`
}

// audienceAnswer is the answer of POST /v1/audience.
type audienceAnswer struct {
	Count  int64          `json:"count"`
	Sample []audienceUser `json:"sample"`
}

// audience says whom a broadcast to a segment with a filter would reach
// now: how many, and a few of them.
func (s *server) audience(c *gin.Context) {
	var in audienceInput
	if err := s.decodeJSON(c, &in); err != nil {
		writeError(c, s.log, err)
		return
	}
	if in.SegmentID < 1 {
		writeError(c, s.log, segmentbot.Errorf(segmentbot.EINVALID, "Field \"segment_id\" must be a segment id."))
		return
	}
	if err := checkFilter("filter", in.Filter); err != nil {
		writeError(c, s.log, err)
		return
	}
	aud, err := s.Store.FindAudience(c.Request.Context(), in.SegmentID, in.Filter, audienceSample)
	if err != nil {
		writeError(c, s.log, fmt.Errorf("audience of segment %d: %w", in.SegmentID, err))
		return
	}
	out := audienceAnswer{Count: aud.Count, Sample: make([]audienceUser, 0, len(aud.Sample))}
	for _, u := range aud.Sample {
		out.Sample = append(out.Sample, audienceUser{UserID: u.ID, Name: u.Name, Email: u.Email})
	}
	c.JSON(http.StatusOK, out)
}

// attributeList is the answer of GET /v1/attributes.
type attributeList struct {
	Attributes []segmentbot.AttributeCount `json:"attributes"`
}

// listAttributes lists every attribute name with its user count and its
// commonest values.
func (s *server) listAttributes(c *gin.Context) {
	counts, err := s.Store.CountAttributes(c.Request.Context(), attributeTop)
	if err != nil {
		writeError(c, s.log, fmt.Errorf("count attributes: %w", err))
		return
	}
	if counts == nil {
		counts = []segmentbot.AttributeCount{}
	}
	c.JSON(http.StatusOK, attributeList{Attributes: counts})
}
