package workplace

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/segmentbot/segmentbot"
	"github.com/segmentbot/segmentbot/cards"
)

// Send API messaging types: a reply to a user's message, or a message the
// bot starts (a progress report, a warning).
const (
	messagingResponse = "RESPONSE"
	messagingUpdate   = "UPDATE"
)

// recipient is the Send API recipient: a user id, or a thread on Workplace.
type recipient struct {
	ID        string `json:"id,omitempty"`
	ThreadKey string `json:"thread_key,omitempty"`
}

// convRef is what User.ConvRef holds for this channel.
type convRef struct {
	Recipient recipient `json:"recipient"`
}

type sendRequest struct {
	Recipient     recipient      `json:"recipient"`
	MessagingType string         `json:"messaging_type"`
	Message       map[string]any `json:"message"`
}

type sendResponse struct {
	RecipientID string `json:"recipient_id"`
	MessageID   string `json:"message_id"`
}

// Send posts msg to the user's one-to-one chat with the bot and returns the
// id of the last message sent (a long message or a carousel lead-in takes
// several). ENOTFOUND when Workplace knows no such user, EGONE when the
// person cannot receive messages, EFORBIDDEN when the integration may
// not message them.
func (c *Channel) Send(ctx context.Context, to *segmentbot.User, msg segmentbot.Message) (string, error) {
	r, err := recipientOf(to)
	if err != nil {
		return "", err
	}
	return c.send(ctx, r, msg, messagingUpdate)
}

// Update always fails with EINVALID: the Send API cannot edit a sent
// message, so callers send a new one instead.
func (c *Channel) Update(ctx context.Context, to *segmentbot.User, messageID string, msg segmentbot.Message) error {
	return segmentbot.Errorf(segmentbot.EINVALID, "Workplace cannot edit a sent message")
}

// send posts every Send API message object of msg in order.
func (c *Channel) send(ctx context.Context, to recipient, msg segmentbot.Message, messagingType string) (string, error) {
	parts := cards.Meta(msg)
	if len(parts) == 0 {
		return "", segmentbot.Errorf(segmentbot.EINVALID, "message is empty")
	}
	var id string
	for _, part := range parts {
		var out sendResponse
		req := sendRequest{Recipient: to, MessagingType: messagingType, Message: part}
		if err := c.graph.do(ctx, http.MethodPost, c.graph.endpoint("/me/messages", nil), req, &out); err != nil {
			return "", fmt.Errorf("workplace: send to %s: %w", to.name(), sendError(to, err))
		}
		id = out.MessageID
	}
	return id, nil
}

// sendError turns the Send API's errors about the recipient into errors
// with codes; others stay as they are.
func sendError(to recipient, err error) error {
	var ge *graphError
	if !errors.As(err, &ge) {
		return err
	}
	var e *segmentbot.Error
	switch {
	case ge.Code == codeInvalidParam && (ge.Subcode == subcodeNoSuchUser || strings.Contains(ge.Message, "No matching user")):
		e = segmentbot.Errorf(segmentbot.ENOTFOUND, "Workplace has no user %s to message", to.name())
	case ge.Code == codeUnavailable:
		// Meta sends 551 for people who left, were deactivated or block
		// the bot; a retry of the same message does not reach them.
		e = segmentbot.Errorf(segmentbot.EGONE, "Workplace user %s isn't available to receive messages", to.name())
	case ge.Code == codePermission || ge.Code == codeNotAuthorized:
		e = segmentbot.Errorf(segmentbot.EFORBIDDEN, "the Workplace integration may not message %s", to.name())
	case ge.Code == codeInvalidToken:
		e = segmentbot.Errorf(segmentbot.EUNAUTHORIZED, "Workplace rejected the access token")
	default:
		return err
	}
	return fmt.Errorf("%w (%w)", e, err)
}

// recipientOf reads where to reach u: its conversation reference, else its
// Workplace id (a bot may message any member of its community).
func recipientOf(u *segmentbot.User) (recipient, error) {
	if u == nil || (u.Channel != "" && u.Channel != segmentbot.ChannelWorkplace) {
		return recipient{}, segmentbot.Errorf(segmentbot.EINVALID, "not a Workplace user")
	}
	if u.ConvRef != "" {
		var ref convRef
		if err := json.Unmarshal([]byte(u.ConvRef), &ref); err != nil {
			return recipient{}, fmt.Errorf("workplace: conversation reference of user %d: %w", u.ID, err)
		}
		if ref.Recipient.ID != "" || ref.Recipient.ThreadKey != "" {
			return ref.Recipient, nil
		}
	}
	if u.ExternalID == "" {
		return recipient{}, segmentbot.Errorf(segmentbot.EINVALID, "Workplace user %d has no id to message", u.ID)
	}
	return recipient{ID: u.ExternalID}, nil
}

func (r recipient) name() string {
	if r.ID != "" {
		return r.ID
	}
	return r.ThreadKey
}
