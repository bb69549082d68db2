package teams

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/segmentbot/segmentbot"
)

// rosterPageSize is the largest page the connector serves.
const rosterPageSize = 500

// Member is one entry of a team roster (a TeamsChannelAccount).
type Member struct {
	ID                string `json:"id,omitempty"`
	Name              string `json:"name,omitempty"`
	ObjectID          string `json:"objectId,omitempty"`
	AADObjectID       string `json:"aadObjectId,omitempty"`
	GivenName         string `json:"givenName,omitempty"`
	Surname           string `json:"surname,omitempty"`
	Email             string `json:"email,omitempty"`
	UserPrincipalName string `json:"userPrincipalName,omitempty"`
	TenantID          string `json:"tenantId,omitempty"`
	UserRole          string `json:"userRole,omitempty"`
}

// TeamMembers loads the whole roster of a team, every page of it.
func (c *Connector) TeamMembers(ctx context.Context, serviceURL, teamID string) ([]Member, error) {
	var all []Member
	token := ""
	for page := 1; ; page++ {
		u, err := conversationURL(serviceURL, teamID, "pagedmembers")
		if err != nil {
			return nil, err
		}
		q := url.Values{"pageSize": {fmt.Sprint(rosterPageSize)}}
		if token != "" {
			q.Set("continuationToken", token)
		}
		var res struct {
			ContinuationToken string   `json:"continuationToken,omitempty"`
			Members           []Member `json:"members,omitempty"`
		}
		if err := do(ctx, c.cfg.HTTPClient, c.request(http.MethodGet, u+"?"+q.Encode(), nil), &res); err != nil {
			return nil, fmt.Errorf("loading page %d of the roster of team %s: %w", page, teamID, err)
		}
		all = append(all, res.Members...)
		if res.ContinuationToken == "" || res.ContinuationToken == token {
			return all, nil
		}
		token = res.ContinuationToken
	}
}

// Member asks the member API (GET /v3/conversations/{id}/members/{user})
// about one member of a conversation: it gives the user's email and UPN
// in the conversation's tenant.
func (c *Connector) Member(ctx context.Context, serviceURL, conversationID, userID string) (Member, error) {
	var m Member
	u, err := conversationURL(serviceURL, conversationID, "members", userID)
	if err != nil {
		return m, err
	}
	if err := do(ctx, c.cfg.HTTPClient, c.request(http.MethodGet, u, nil), &m); err != nil {
		return m, fmt.Errorf("member %s of conversation %s: %w", userID, conversationID, err)
	}
	return m, nil
}

// rosterUsers turns roster members into directory users of tenant. Guests
// and anonymous members without an AAD object id are kept: they can still
// be reached by their Teams id.
func rosterUsers(members []Member, tenant string, ref convRef) []*segmentbot.User {
	users := make([]*segmentbot.User, 0, len(members))
	for _, m := range members {
		if m.ID == "" || strings.HasPrefix(m.ID, "28:") {
			continue // bots
		}
		name := m.Name
		if name == "" {
			name = strings.TrimSpace(m.GivenName + " " + m.Surname)
		}
		oid := m.ObjectID
		if oid == "" {
			oid = m.AADObjectID
		}
		r := ref
		r.UserID, r.UserName, r.ConversationID = m.ID, name, ""
		users = append(users, &segmentbot.User{
			Channel:     segmentbot.ChannelTeams,
			TenantID:    tenant,
			ExternalID:  m.ID,
			AADObjectID: strings.ToLower(oid),
			Email:       strings.ToLower(m.Email),
			UPN:         strings.ToLower(m.UserPrincipalName),
			Name:        name,
			Active:      true,
			InBotGroups: true,
			ConvRef:     r.encode(),
		})
	}
	return users
}
