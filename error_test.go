package segmentbot_test

import (
	"fmt"
	"testing"

	"github.com/segmentbot/segmentbot"
)

// An *Error reads as its message, so a command line or a wrapped error
// shows one plain sentence, never an internal code=... format.
func TestErrorReadsAsItsMessage(t *testing.T) {
	err := fmt.Errorf("manifest: %w", segmentbot.Errorf(segmentbot.EINVALID, "The app id %q is not a GUID.", "x"))
	if got := err.Error(); got != `manifest: The app id "x" is not a GUID.` {
		t.Errorf("Error() = %q", got)
	}
	if segmentbot.ErrorCode(err) != segmentbot.EINVALID {
		t.Errorf("code lost: %q", segmentbot.ErrorCode(err))
	}
}
