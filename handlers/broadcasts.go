package handlers

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/segmentbot/segmentbot"
)

// broadcastInput is the body of POST /v1/broadcasts.
type broadcastInput struct {
	SegmentID   int64  `json:"segment_id"`
	Name        string `json:"name"`
	ScheduledAt string `json:"scheduled_at"`
}

func (s *server) createBroadcast(c *gin.Context) {
	var in broadcastInput
	if err := s.decodeJSON(c, &in); err != nil {
		writeError(c, s.log, err)
		return
	}
	b, err := s.broadcastOf(in)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	ctx := c.Request.Context()
	if err := s.Store.CreateBroadcast(ctx, b); err != nil {
		writeError(c, s.log, fmt.Errorf("create broadcast: %w", err))
		return
	}
	s.broadcastChanged(ctx, b)
	c.Header("Location", "/v1/broadcasts/"+strconv.FormatInt(b.ID, 10))
	c.JSON(http.StatusCreated, b)
}

// broadcastOf checks the input: a segment, a name, and a future RFC 3339
// time.
func (s *server) broadcastOf(in broadcastInput) (*segmentbot.Broadcast, error) {
	name := strings.TrimSpace(in.Name)
	switch {
	case in.SegmentID < 1:
		return nil, segmentbot.Errorf(segmentbot.EINVALID, "Field \"segment_id\" must be a segment id.")
	case name == "":
		return nil, segmentbot.Errorf(segmentbot.EINVALID, "Field \"name\" is required.")
	case in.ScheduledAt == "":
		return nil, segmentbot.Errorf(segmentbot.EINVALID, "Field \"scheduled_at\" is required (RFC 3339, e.g. 2026-12-01T09:00:00Z).")
	}
	at, err := time.Parse(time.RFC3339, in.ScheduledAt)
	if err != nil {
		return nil, segmentbot.Errorf(segmentbot.EINVALID, "Field \"scheduled_at\" must be an RFC 3339 time like 2026-12-01T09:00:00Z, not %q.", in.ScheduledAt)
	}
	if !at.After(s.Now()) {
		return nil, segmentbot.Errorf(segmentbot.EINVALID, "Field \"scheduled_at\" is in the past; schedule broadcasts in the future.")
	}
	return &segmentbot.Broadcast{SegmentID: in.SegmentID, Name: name, ScheduledAt: at.UTC(), Status: segmentbot.BroadcastScheduled}, nil
}

// broadcastList is the answer of GET /v1/broadcasts.
type broadcastList struct {
	Broadcasts []*segmentbot.Broadcast `json:"broadcasts"`
	NextCursor string                  `json:"next_cursor,omitempty"`
}

// listBroadcasts lists all broadcasts newest first, or with
// ?upcoming=true the scheduled future ones soonest first.
func (s *server) listBroadcasts(c *gin.Context) {
	p, err := pageOf(c)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	upcoming, err := strconv.ParseBool(c.DefaultQuery("upcoming", "false"))
	if err != nil {
		writeError(c, s.log, segmentbot.Errorf(segmentbot.EINVALID, "upcoming must be true or false."))
		return
	}
	all, err := s.Store.FindBroadcasts(c.Request.Context(), s.Now(), upcoming)
	if err != nil {
		writeError(c, s.log, fmt.Errorf("list broadcasts: %w", err))
		return
	}
	page, next := pageSlice(all, func(b *segmentbot.Broadcast) int64 { return b.ID }, p)
	if page == nil {
		page = []*segmentbot.Broadcast{}
	}
	c.JSON(http.StatusOK, broadcastList{Broadcasts: page, NextCursor: next})
}

func (s *server) cancelBroadcast(c *gin.Context) {
	id, err := idParam(c, "id", "Broadcast")
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	ctx := c.Request.Context()
	b, err := s.Store.CancelBroadcast(ctx, id)
	if err != nil {
		writeError(c, s.log, fmt.Errorf("cancel broadcast %d: %w", id, err))
		return
	}
	s.broadcastChanged(ctx, b)
	c.JSON(http.StatusOK, b)
}

// broadcastChanged runs the hook with a context that outlives the request,
// so the hook may finish its work in the background.
func (s *server) broadcastChanged(ctx context.Context, b *segmentbot.Broadcast) {
	if s.Hooks.BroadcastChanged != nil {
		s.Hooks.BroadcastChanged(context.WithoutCancel(ctx), b)
	}
}
