package handlers

import (
	"context"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
)

const readyTimeout = 2 * time.Second

// homePage answers the service's root, the website of the Teams app
// package (manifest), so that link does not lead to a 404.
const homePage = `segmentbot

This is a segmentbot service: a chat bot that keeps the audience segments
of broadcasts in Microsoft Teams and Workplace. People use it in chat;
there is nothing to do here.
`

func home(c *gin.Context) {
	c.String(http.StatusOK, homePage)
}

// healthz says the process is alive.
func (s *server) healthz(c *gin.Context) {
	c.String(http.StatusOK, "ok")
}

// readyz says whether the database answers; it checks on every call, so it
// recovers as soon as the database does.
func (s *server) readyz(c *gin.Context) {
	if s.Store == nil {
		c.JSON(http.StatusOK, gin.H{"status": "ready"})
		return
	}
	ctx, cancel := context.WithTimeout(c.Request.Context(), readyTimeout)
	defer cancel()
	if err := s.Store.Ping(ctx); err != nil {
		s.log.WarnContext(ctx, "not ready", "error", err.Error(), "request_id", c.GetString(requestIDKey))
		c.JSON(http.StatusServiceUnavailable, gin.H{"status": "unavailable", "reason": "database unreachable"})
		return
	}
	c.JSON(http.StatusOK, gin.H{"status": "ready"})
}
