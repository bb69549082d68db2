package handlers

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/segmentbot/segmentbot"
)

// segmentList is the answer of GET /v1/segments.
type segmentList struct {
	Segments   []*segmentbot.Segment `json:"segments"`
	NextCursor string                `json:"next_cursor,omitempty"`
}

func (s *server) listSegments(c *gin.Context) {
	p, err := pageOf(c)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	limit := p.Limit
	p.Limit++ // one more tells whether another page follows
	segs, err := s.Store.FindSegments(c.Request.Context(), p)
	if err != nil {
		writeError(c, s.log, fmt.Errorf("list segments: %w", err))
		return
	}
	segs, next := trimPage(segs, limit, func(s *segmentbot.Segment) int64 { return s.ID })
	c.JSON(http.StatusOK, segmentList{Segments: segs, NextCursor: next})
}

// segmentInput is the body of POST and PATCH /v1/segments.
type segmentInput struct {
	Name        *string `json:"name"`
	Description *string `json:"description"`
	Reply       *string `json:"reply"`
	Visibility  *string `json:"visibility"`
	// Filter makes a rule segment: its members are the users who match.
	// A PATCH may change a rule segment's rule, but neither give a rule to
	// a segment without one nor take one away (null).
	Filter *segmentbot.Filter `json:"filter"`
}

// nullFilter reports whether body sends "filter" as null: a request to
// take a rule segment's rule away.
func nullFilter(body []byte) bool {
	var probe struct {
		Filter json.RawMessage `json:"filter"`
	}
	return json.Unmarshal(body, &probe) == nil && string(probe.Filter) == "null"
}

// checkVisibility refuses a visibility that is not open, invite or closed.
func (in segmentInput) checkVisibility() error {
	if in.Visibility != nil && !segmentbot.ValidVisibility(*in.Visibility) {
		return segmentbot.Errorf(segmentbot.EINVALID, "Field \"visibility\" must be one of \"open\", \"invite\", \"closed\"; got %q.", *in.Visibility)
	}
	return nil
}

func (s *server) createSegment(c *gin.Context) {
	var in segmentInput
	if err := s.decodeJSON(c, &in); err != nil {
		writeError(c, s.log, err)
		return
	}
	if in.Name == nil || strings.TrimSpace(*in.Name) == "" {
		writeError(c, s.log, segmentbot.Errorf(segmentbot.EINVALID, "Field \"name\" is required."))
		return
	}
	if err := in.checkVisibility(); err != nil {
		writeError(c, s.log, err)
		return
	}
	if err := checkFilter("filter", in.Filter); err != nil {
		writeError(c, s.log, err)
		return
	}
	seg := &segmentbot.Segment{Name: strings.TrimSpace(*in.Name), Filter: in.Filter}
	if in.Visibility != nil {
		seg.Visibility = *in.Visibility
	}
	if in.Description != nil {
		seg.Description = *in.Description
	}
	if in.Reply != nil {
		seg.Reply = *in.Reply
	}
	if err := s.Store.CreateSegment(c.Request.Context(), seg); err != nil {
		writeError(c, s.log, fmt.Errorf("create segment: %w", err))
		return
	}
	c.JSON(http.StatusCreated, seg)
}

func (s *server) updateSegment(c *gin.Context) {
	id, err := idParam(c, "id", "Segment")
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	var in segmentInput
	body, err := s.decodeJSONBody(c, &in)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	if in.Filter == nil && nullFilter(body) {
		writeError(c, s.log, segmentbot.Errorf(segmentbot.EINVALID, "Field \"filter\" cannot be null: a rule segment keeps a rule, which a PATCH may change; make a new segment to fill by hand."))
		return
	}
	if in.Name == nil && in.Description == nil && in.Reply == nil && in.Visibility == nil && in.Filter == nil {
		writeError(c, s.log, segmentbot.Errorf(segmentbot.EINVALID, "Send at least one of \"name\", \"description\", \"reply\", \"visibility\", \"filter\"."))
		return
	}
	if err := in.checkVisibility(); err != nil {
		writeError(c, s.log, err)
		return
	}
	if err := checkFilter("filter", in.Filter); err != nil {
		writeError(c, s.log, err)
		return
	}
	if in.Name != nil {
		name := strings.TrimSpace(*in.Name)
		if name == "" {
			writeError(c, s.log, segmentbot.Errorf(segmentbot.EINVALID, "Field \"name\" must not be empty."))
			return
		}
		in.Name = &name
	}
	seg, err := s.Store.UpdateSegment(c.Request.Context(), id, segmentbot.SegmentUpdate{Name: in.Name, Description: in.Description, Reply: in.Reply, Visibility: in.Visibility,
		Filter: in.Filter})
	if err != nil {
		writeError(c, s.log, fmt.Errorf("update segment %d: %w", id, err))
		return
	}
	c.JSON(http.StatusOK, seg)
}

// segmentDeleted is the answer of DELETE /v1/segments/{id}.
type segmentDeleted struct {
	Segment             *segmentbot.Segment     `json:"segment"`
	CancelledBroadcasts []*segmentbot.Broadcast `json:"cancelled_broadcasts"`
}

func (s *server) deleteSegment(c *gin.Context) {
	seg, ok := s.segmentParam(c)
	if !ok {
		return
	}
	id, ctx := seg.ID, c.Request.Context()
	cancelled, err := s.Store.DeleteSegment(ctx, id, 0)
	if err != nil {
		writeError(c, s.log, fmt.Errorf("delete segment %d: %w", id, err))
		return
	}
	if cancelled == nil {
		cancelled = []*segmentbot.Broadcast{}
	}
	if s.Hooks.SegmentDeleted != nil {
		s.Hooks.SegmentDeleted(context.WithoutCancel(ctx), seg, cancelled)
	}
	c.JSON(http.StatusOK, segmentDeleted{Segment: seg, CancelledBroadcasts: cancelled})
}
