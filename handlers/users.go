package handlers

import (
	"fmt"
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/segmentbot/segmentbot"
)

// userEvents is the answer of GET /v1/users/{id}/events.
type userEvents struct {
	Events     []*segmentbot.UserEvent `json:"events"`
	NextCursor string                  `json:"next_cursor,omitempty"`
}

// listUserEvents pages a person's history, oldest first: every join and
// leave with its source, segment, time, and the admin or import behind it.
func (s *server) listUserEvents(c *gin.Context) {
	id, err := idParam(c, "id", "User")
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	ctx := c.Request.Context()
	if _, err := s.Store.FindUserByID(ctx, id); err != nil {
		writeError(c, s.log, fmt.Errorf("find user %d: %w", id, err))
		return
	}
	events, next, err := findPage(c, func(p segmentbot.Page) ([]*segmentbot.UserEvent, error) {
		return s.Store.FindUserEvents(ctx, id, p)
	}, func(e *segmentbot.UserEvent) int64 { return e.ID })
	if err != nil {
		writeError(c, s.log, fmt.Errorf("list events of user %d: %w", id, err))
		return
	}
	c.JSON(http.StatusOK, userEvents{Events: events, NextCursor: next})
}
