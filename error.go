package segmentbot

import (
	"errors"
	"fmt"
)

// Error codes. handlers maps them to HTTP statuses and bot to chat replies,
// each in one place.
const (
	ECONFLICT     = "conflict"
	EINTERNAL     = "internal"
	EINVALID      = "invalid"
	ENOTFOUND     = "not_found"
	EUNAUTHORIZED = "unauthorized"
	EFORBIDDEN    = "forbidden"
	EGONE         = "gone"
	ETOOLARGE     = "too_large"
	EUNAVAILABLE  = "unavailable"
	EUNSUPPORTED  = "unsupported_media_type" // a body of a content type the endpoint does not take
	// ERULESEGMENT refuses a file, pasted emails or an admin's add or
	// removal aimed at a rule segment, whose members only its rule decides.
	ERULESEGMENT = "rule_segment"
)

// ErrOptedOut is the error of an admin's join (chat, import, REST, rule)
// of a user who opted out of the segment or of everything: only the user
// may bring themselves back, and nothing changed.
var ErrOptedOut = &Error{Code: ECONFLICT, Message: "That person opted out, so only they can join again."}

// Error is an error the user may see: a code and a human message.
type Error struct {
	Code    string
	Message string
}

// Error is the message alone, so an error printed on a command line or
// wrapped with context reads as one plain sentence; the code is for
// programs (ErrorCode).
func (e *Error) Error() string { return e.Message }

// Errorf returns an *Error with the code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL for
// any other error, and "" for nil.
func ErrorCode(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the message of the first *Error in err's chain, or
// "Internal error." for any other error: internals are logged, not shown.
func ErrorMessage(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Message
	}
	return "Internal error."
}
