package teams

import (
	"encoding/json"

	"github.com/segmentbot/segmentbot"
)

// convRef is what the channel keeps in User.ConvRef to reach a user later.
// An empty ConversationID means the personal chat must be opened first.
type convRef struct {
	ServiceURL     string `json:"serviceUrl"`
	ConversationID string `json:"conversationId,omitempty"`
	TenantID       string `json:"tenantId,omitempty"`
	BotID          string `json:"botId,omitempty"`
	BotName        string `json:"botName,omitempty"`
	UserID         string `json:"userId"`
	UserName       string `json:"userName,omitempty"`
}

func (r convRef) encode() string {
	b, _ := json.Marshal(r) // strings only: cannot fail
	return string(b)
}

// decodeRef reads a stored reference (a team's), which needs a serviceUrl.
func decodeRef(s string) (convRef, error) {
	var r convRef
	if err := json.Unmarshal([]byte(s), &r); err != nil || r.ServiceURL == "" {
		return r, segmentbot.Errorf(segmentbot.EINVALID, "The stored Teams reference is unreadable.")
	}
	return r, nil
}

// parseConvRef reads the reference of u, or EINVALID when it has none.
func parseConvRef(u *segmentbot.User) (convRef, error) {
	var r convRef
	if u == nil || u.ConvRef == "" {
		return r, segmentbot.Errorf(segmentbot.EINVALID, "The user has never talked to the bot on Teams.")
	}
	if err := json.Unmarshal([]byte(u.ConvRef), &r); err != nil || r.ServiceURL == "" || r.UserID == "" {
		return r, segmentbot.Errorf(segmentbot.EINVALID, "The stored Teams conversation of the user is unreadable.")
	}
	return r, nil
}
