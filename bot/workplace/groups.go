package workplace

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/segmentbot/segmentbot"
)

// maxPages bounds the pages read of one group, against a paging loop.
const maxPages = 10000

type memberPage struct {
	Data   []member `json:"data"`
	Paging struct {
		Next string `json:"next"`
	} `json:"paging"`
}

// SyncGroups reads the members of every configured group, page by page,
// stores them in the directory as in the bot's groups, and keeps their ids
// for Lookup. Members of no group are not demoted here.
func (c *Channel) SyncGroups(ctx context.Context) error {
	c.groupsMu.Lock()
	defer c.groupsMu.Unlock()
	return c.syncGroupsLocked(ctx)
}

func (c *Channel) syncGroupsLocked(ctx context.Context) error {
	set := make(map[string]bool)
	var users []*segmentbot.User
	for _, group := range c.cfg.Groups {
		members, err := c.groupMembers(ctx, group)
		if err != nil {
			return fmt.Errorf("workplace: sync group %s: %w", group, err)
		}
		for _, m := range members {
			if set[m.ID] {
				continue
			}
			set[m.ID] = true
			users = append(users, &segmentbot.User{
				Channel:     segmentbot.ChannelWorkplace,
				ExternalID:  m.ID,
				Name:        m.Name,
				Email:       strings.ToLower(m.Email),
				Active:      true,
				InBotGroups: true,
				Attributes:  m.attributes(),
			})
		}
	}
	if len(users) > 0 {
		if err := c.users.UpsertUsers(ctx, users); err != nil {
			return fmt.Errorf("workplace: store group members: %w", err)
		}
	}
	c.groupSet = set
	c.log.Info("groups synced", "groups", len(c.cfg.Groups), "members", len(set))
	return nil
}

// groupMembers reads every page of one group's members.
func (c *Channel) groupMembers(ctx context.Context, group string) ([]member, error) {
	u := c.graph.endpoint("/"+url.PathEscape(group)+"/members", url.Values{"fields": {"id,name,email," + attributeFields}, "limit": {"100"}})
	var all []member
	for range maxPages {
		var page memberPage
		if err := c.graph.do(ctx, http.MethodGet, u, nil, &page); err != nil {
			return nil, err
		}
		for _, m := range page.Data {
			if m.ID != "" {
				all = append(all, m)
			}
		}
		if page.Paging.Next == "" || len(page.Data) == 0 {
			return all, nil
		}
		next, err := c.graph.follow(page.Paging.Next)
		if err != nil {
			return nil, err
		}
		u = next
	}
	return nil, fmt.Errorf("more than %d pages of members", maxPages)
}

// botGroups returns the ids of the bot's group members, loading them the
// first time; nil when no groups are configured.
func (c *Channel) botGroups(ctx context.Context) (map[string]bool, error) {
	if len(c.cfg.Groups) == 0 {
		return nil, nil
	}
	c.groupsMu.Lock()
	defer c.groupsMu.Unlock()
	if c.groupSet == nil {
		if err := c.syncGroupsLocked(ctx); err != nil {
			return nil, err
		}
	}
	return c.groupSet, nil
}
