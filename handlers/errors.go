package handlers

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
	"github.com/segmentbot/segmentbot"
)

var errNoRoute = segmentbot.Errorf(segmentbot.ENOTFOUND, "No such route.")

// statusOf maps an error code to its HTTP status. It is the only place
// that does.
func statusOf(code string) int {
	switch code {
	case segmentbot.ENOTFOUND:
		return http.StatusNotFound
	case segmentbot.ECONFLICT, segmentbot.ERULESEGMENT:
		return http.StatusConflict
	case segmentbot.EINVALID:
		return http.StatusBadRequest
	case segmentbot.EUNAUTHORIZED:
		return http.StatusUnauthorized
	case segmentbot.EFORBIDDEN:
		return http.StatusForbidden
	case segmentbot.EGONE:
		return http.StatusGone
	case segmentbot.ETOOLARGE:
		return http.StatusRequestEntityTooLarge
	case segmentbot.EUNAVAILABLE:
		return http.StatusServiceUnavailable
	case segmentbot.EUNSUPPORTED:
		return http.StatusUnsupportedMediaType
	}
	return http.StatusInternalServerError
}

// errorBody is the JSON of every error answer.
type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// codeOf is segmentbot.ErrorCode that also recognises a body cut off by
// http.MaxBytesReader, wherever it was wrapped.
func codeOf(err error) string {
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return segmentbot.ETOOLARGE
	}
	return segmentbot.ErrorCode(err)
}

// messageOf is the message shown for err; internal details stay in the log.
func messageOf(err error) string {
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) && segmentbot.ErrorCode(err) == segmentbot.EINTERNAL {
		return "The request body is too large."
	}
	return segmentbot.ErrorMessage(err)
}

// writeError answers with the JSON error for err and logs internal ones.
func writeError(c *gin.Context, log *slog.Logger, err error) {
	code := codeOf(err)
	status := statusOf(code)
	if status == http.StatusInternalServerError {
		code = segmentbot.EINTERNAL
		logInternal(c, log, err)
	}
	c.AbortWithStatusJSON(status, errorBody{Error: errorDetail{Code: code, Message: messageOf(err)}})
}

// logInternal records the detail of an error the client sees as
// "Internal error.".
func logInternal(c *gin.Context, log *slog.Logger, err error) {
	log.ErrorContext(c.Request.Context(), "internal error",
		"request_id", c.GetString(requestIDKey),
		"route", c.FullPath(),
		"error", clipLog(err.Error()))
}

// maxLoggedError bounds the error text of one log line: a failure that
// joins thousands of others must not write a line of half a megabyte.
const maxLoggedError = 4096

// clipLog cuts s to maxLoggedError bytes, at a rune boundary, saying how
// much was cut.
func clipLog(s string) string {
	if len(s) <= maxLoggedError {
		return s
	}
	cut := maxLoggedError
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return fmt.Sprintf("%s… (%d more bytes)", s[:cut], len(s)-cut)
}
