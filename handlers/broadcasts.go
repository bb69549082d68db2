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

// broadcastInput is the body of POST /v1/broadcasts. Without a message
// it is a placeholder, which needs a time; with one it is delivered, now
// when no time is given.
type broadcastInput struct {
	SegmentID   int64                        `json:"segment_id"`
	Name        string                       `json:"name"`
	ScheduledAt string                       `json:"scheduled_at"`
	Message     *segmentbot.BroadcastMessage `json:"message"`
	Filter      *segmentbot.Filter           `json:"filter"`
}

func (s *server) createBroadcast(c *gin.Context) {
	var in broadcastInput
	if err := s.decodeJSON(c, &in); err != nil {
		writeError(c, s.log, err)
		return
	}
	ctx := c.Request.Context()
	b, err := s.broadcastOf(in)
	if err == nil && b.Name == "" {
		err = s.defaultName(ctx, b)
	}
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	if err := s.Store.CreateBroadcast(ctx, b); err != nil {
		writeError(c, s.log, fmt.Errorf("create broadcast: %w", err))
		return
	}
	s.broadcastChanged(ctx, b)
	c.Header("Location", "/v1/broadcasts/"+strconv.FormatInt(b.ID, 10))
	c.JSON(http.StatusCreated, b)
}

// broadcastOf checks the input: a segment, a name (or a message to name
// it after), a future RFC 3339 time (optional with a message), a valid
// message and filter.
func (s *server) broadcastOf(in broadcastInput) (*segmentbot.Broadcast, error) {
	name := strings.TrimSpace(in.Name)
	switch {
	case in.SegmentID < 1:
		return nil, segmentbot.Errorf(segmentbot.EINVALID, "Field \"segment_id\" must be a segment id.")
	case name == "" && in.Message == nil:
		return nil, segmentbot.Errorf(segmentbot.EINVALID, "Field \"name\" is required.")
	case in.ScheduledAt == "" && in.Message == nil:
		return nil, segmentbot.Errorf(segmentbot.EINVALID, "Field \"scheduled_at\" is required without a \"message\" (RFC 3339, e.g. 2026-12-01T09:00:00Z).")
	}
	if name != "" {
		var err error
		if name, err = segmentbot.ValidateBroadcastName("name", name); err != nil {
			return nil, segmentbot.Errorf(segmentbot.EINVALID, "Field \"name\": %s", segmentbot.ErrorMessage(err))
		}
	}
	at := s.Now().UTC()
	if in.ScheduledAt != "" {
		t, err := time.Parse(time.RFC3339, in.ScheduledAt)
		if err != nil {
			return nil, segmentbot.Errorf(segmentbot.EINVALID, "Field \"scheduled_at\" must be an RFC 3339 time like 2026-12-01T09:00:00Z, not %q.", in.ScheduledAt)
		}
		if !t.After(s.Now()) {
			return nil, segmentbot.Errorf(segmentbot.EINVALID, "Field \"scheduled_at\" is in the past; schedule broadcasts in the future, or leave it out to send now.")
		}
		at = t.UTC()
	}
	if in.Message != nil {
		if err := in.Message.Validate(); err != nil {
			return nil, segmentbot.Errorf(segmentbot.EINVALID, "Field \"message\": %s", segmentbot.ErrorMessage(err))
		}
	} else if in.Filter != nil {
		return nil, segmentbot.Errorf(segmentbot.EINVALID, "Field \"filter\" needs a \"message\": a placeholder is never sent.")
	}
	if in.Filter != nil {
		if err := checkFilter("filter", in.Filter); err != nil {
			return nil, err
		}
	}
	return &segmentbot.Broadcast{SegmentID: in.SegmentID, Name: name, ScheduledAt: at, Status: segmentbot.BroadcastScheduled,
		Message: in.Message, Filter: in.Filter}, nil
}

// defaultName names a broadcast given without a name after its title, or
// its segment.
func (s *server) defaultName(ctx context.Context, b *segmentbot.Broadcast) error {
	if b.Message != nil && b.Message.Title != "" {
		b.Name = b.Message.Title
		return nil
	}
	seg, err := s.Store.FindSegmentByID(ctx, b.SegmentID)
	if err != nil {
		return fmt.Errorf("find segment %d: %w", b.SegmentID, err)
	}
	b.Name = seg.Name + " broadcast"
	return nil
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
