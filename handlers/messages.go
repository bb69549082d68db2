package handlers

import (
	"mime"
	"net/http"
	"reflect"

	"github.com/gin-gonic/gin"
	"github.com/segmentbot/segmentbot"
)

// postMessages is the Bot Framework endpoint: bytes in, the channel
// authenticates and handles them, the invoke response (if any) goes back.
func (s *server) postMessages(c *gin.Context) {
	// A web page can post text/plain across origins without asking; the
	// Bot Connector always sends JSON.
	if mt, _, err := mime.ParseMediaType(c.GetHeader("Content-Type")); err != nil || mt != "application/json" {
		writeError(c, s.log, segmentbot.Errorf(segmentbot.EUNSUPPORTED, "Send the activity as application/json."))
		return
	}
	body, err := s.readChannelBody(c)
	if err != nil {
		s.channelError(c, err)
		return
	}
	resp, err := s.Teams.ProcessActivity(c.Request.Context(), c.GetHeader("Authorization"), body)
	if err != nil {
		s.channelError(c, err)
		return
	}
	if isNil(resp) {
		c.Status(http.StatusOK)
		return
	}
	c.JSON(http.StatusOK, resp)
}

// isNil reports whether v is nil or a nil pointer, map or slice in an
// interface, which would otherwise be answered as "null".
func isNil(v any) bool {
	if v == nil {
		return true
	}
	switch rv := reflect.ValueOf(v); rv.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Interface:
		return rv.IsNil()
	}
	return false
}

// channelError answers a channel endpoint. The channel owns the meaning of
// its errors; only the codes it may return map to a status of their own,
// anything else is a 500 so the sender retries. EUNAVAILABLE (the signing
// keys cannot be loaded) is a 503 with Retry-After, which the Bot
// Connector retries.
func (s *server) channelError(c *gin.Context, err error) {
	switch codeOf(err) {
	case segmentbot.EUNAVAILABLE:
		c.Header("Retry-After", "10")
		writeError(c, s.log, err)
	case segmentbot.EUNAUTHORIZED, segmentbot.EFORBIDDEN, segmentbot.EINVALID, segmentbot.ETOOLARGE, segmentbot.EUNSUPPORTED:
		writeError(c, s.log, err)
	default:
		writeError(c, s.log, internal(err))
	}
}

// internalError hides the code of an error that must not reach the client
// as anything but a 500, while keeping its text for the log.
type internalError struct{ err error }

func (e internalError) Error() string { return e.err.Error() }

// internal wraps err so codeOf sees EINTERNAL.
func internal(err error) error { return internalError{err} }
