package handlers

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

// verifyWebhook answers Meta's subscription handshake with the challenge.
func (s *server) verifyWebhook(c *gin.Context) {
	challenge, err := s.Workplace.Verify(c.Query("hub.mode"), c.Query("hub.verify_token"), c.Query("hub.challenge"))
	if err != nil {
		c.String(http.StatusForbidden, "Forbidden")
		return
	}
	c.String(http.StatusOK, "%s", challenge)
}

// postWebhook hands the raw body and its signatures to the channel, which
// verifies them before parsing anything.
func (s *server) postWebhook(c *gin.Context) {
	body, err := s.readChannelBody(c)
	if err != nil {
		s.channelError(c, err)
		return
	}
	err = s.Workplace.ProcessWebhook(c.Request.Context(), c.GetHeader("X-Hub-Signature-256"), c.GetHeader("X-Hub-Signature"), body)
	if err != nil {
		s.channelError(c, err)
		return
	}
	c.String(http.StatusOK, "EVENT_RECEIVED")
}
