package handlers

import (
	"fmt"
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/segmentbot/segmentbot"
)

// maxWarningsScan bounds how many warnings one listing reads; warnings are
// one per (broadcast, import, admin), so this is far above real numbers.
const maxWarningsScan = 100_000

// warningList is the answer of GET /v1/warnings.
type warningList struct {
	Warnings   []*segmentbot.Warning `json:"warnings"`
	NextCursor string                `json:"next_cursor,omitempty"`
}

// listWarnings lists the late-upload warnings, newest first.
func (s *server) listWarnings(c *gin.Context) {
	p, err := pageOf(c)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	scan := p.Limit + 1
	if p.After != 0 {
		scan = maxWarningsScan
	}
	all, err := s.Store.FindWarnings(c.Request.Context(), scan)
	if err != nil {
		writeError(c, s.log, fmt.Errorf("list warnings: %w", err))
		return
	}
	page, next := pageSlice(all, func(w *segmentbot.Warning) int64 { return w.ID }, p)
	if page == nil {
		page = []*segmentbot.Warning{}
	}
	c.JSON(http.StatusOK, warningList{Warnings: page, NextCursor: next})
}
