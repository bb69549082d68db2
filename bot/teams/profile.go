package teams

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/segmentbot/segmentbot"
)

var _ segmentbot.Profiler = (*Channel)(nil)

// ConversationMember returns one member of a conversation:
// GET {serviceUrl}/v3/conversations/{id}/members/{userId}, which gives the
// user's name, email and UPN where the activity gave only the name.
func (c *Connector) ConversationMember(ctx context.Context, serviceURL, conversationID, userID string) (Member, error) {
	var m Member
	u, err := conversationURL(serviceURL, conversationID, "members", userID)
	if err != nil {
		return m, err
	}
	if err := do(ctx, c.cfg.HTTPClient, c.request(http.MethodGet, u, nil), &m); err != nil {
		return m, fmt.Errorf("teams: member %s of conversation %s: %w", userID, conversationID, err)
	}
	return m, nil
}

// Profile implements segmentbot.Profiler: it fills u's empty name, email
// and UPN from the member API of u's conversation with the bot.
func (c *Channel) Profile(ctx context.Context, u *segmentbot.User) error {
	ref, err := parseConvRef(u)
	if err != nil {
		return err
	}
	if ref.ConversationID == "" || ref.UserID == "" {
		return segmentbot.Errorf(segmentbot.EINVALID, "The user has no conversation with the bot to ask about.")
	}
	m, err := c.conn.ConversationMember(ctx, ref.ServiceURL, ref.ConversationID, ref.UserID)
	if err != nil {
		return err
	}
	if u.Name == "" {
		u.Name = m.Name
	}
	if u.Email == "" {
		u.Email = strings.ToLower(m.Email)
	}
	if u.UPN == "" {
		u.UPN = strings.ToLower(m.UserPrincipalName)
	}
	return nil
}
