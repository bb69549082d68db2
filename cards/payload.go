package cards

import (
	"encoding/json"
	"fmt"

	"github.com/segmentbot/segmentbot"
)

// sayPayload is the postback payload of a Button.Say on Meta channels: the
// text to handle as if the user had typed it.
type sayPayload struct {
	Say string `json:"say"`
}

// DecodeMetaPayload reads a postback payload made by Meta: either the
// segmentbot.Action of an action button (still to be verified by the
// signer), or the text of a say button. A payload of neither shape, such as
// a Messenger "Get Started" payload, returns an EINVALID *segmentbot.Error.
func DecodeMetaPayload(payload string) (*segmentbot.Action, string, error) {
	var probe struct {
		Say  *string `json:"say"`
		Verb *string `json:"verb"`
	}
	if err := json.Unmarshal([]byte(payload), &probe); err != nil {
		return nil, "", unknownPayload(payload)
	}
	switch {
	case probe.Say != nil && probe.Verb == nil:
		return nil, *probe.Say, nil
	case probe.Verb != nil && probe.Say == nil:
		var a segmentbot.Action
		if err := json.Unmarshal([]byte(payload), &a); err != nil {
			return nil, "", fmt.Errorf("decode action payload: %w", unknownPayload(payload))
		}
		return &a, "", nil
	}
	return nil, "", unknownPayload(payload)
}

func unknownPayload(payload string) error {
	return segmentbot.Errorf(segmentbot.EINVALID, "unknown button payload %.40q", payload)
}
