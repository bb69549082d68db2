package teams

import (
	"context"
	"fmt"

	"github.com/infracloudio/msbotbuilder-go/schema"
	"github.com/segmentbot/segmentbot"
)

// Send posts msg to the user's conversation (opening the personal chat
// when only the user is known) and returns the new activity id. It first
// waits for the replies queued to that conversation, so it never
// overtakes them. EINVALID when the user has no Teams conversation
// reference.
func (c *Channel) Send(ctx context.Context, to *segmentbot.User, msg segmentbot.Message) (string, error) {
	ref, err := c.conversation(ctx, to)
	if err != nil {
		return "", err
	}
	if err := c.sender.waitReplies(ctx, ref.ConversationID); err != nil {
		return "", fmt.Errorf("teams: waiting for the replies to user %d: %w", to.ID, err)
	}
	id, err := c.conn.SendActivity(ctx, messageActivity(ref, msg))
	if err != nil {
		return "", fmt.Errorf("teams: sending to user %d: %w", to.ID, err)
	}
	return id, nil
}

// Update replaces the message messageID in the user's conversation.
func (c *Channel) Update(ctx context.Context, to *segmentbot.User, messageID string, msg segmentbot.Message) error {
	if messageID == "" {
		return segmentbot.Errorf(segmentbot.EINVALID, "No message to update.")
	}
	ref, err := c.conversation(ctx, to)
	if err != nil {
		return err
	}
	a := messageActivity(ref, msg)
	a.ID = messageID
	if err := c.conn.UpdateActivity(ctx, a); err != nil {
		return fmt.Errorf("teams: updating message %s of user %d: %w", messageID, to.ID, err)
	}
	return nil
}

// conversation returns the user's reference with a conversation id,
// opening the personal chat when the reference has none.
func (c *Channel) conversation(ctx context.Context, to *segmentbot.User) (convRef, error) {
	ref, err := parseConvRef(to)
	if err != nil || ref.ConversationID != "" {
		return ref, err
	}
	id, err := c.conn.CreateConversation(ctx, ref.ServiceURL, ref.TenantID,
		schema.ChannelAccount{ID: ref.BotID, Name: ref.BotName}, schema.ChannelAccount{ID: ref.UserID})
	if err != nil {
		return ref, fmt.Errorf("teams: %w", err)
	}
	ref.ConversationID = id
	return ref, nil
}
