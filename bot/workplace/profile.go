package workplace

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/segmentbot/segmentbot"
)

var _ segmentbot.Profiler = (*Channel)(nil)

// Profile implements segmentbot.Profiler: webhook events carry only the
// sender's id, so the name and email come from
// GET /{id}?fields=name,email,... with the standard attributes, which
// it gives u when u has none yet.
func (c *Channel) Profile(ctx context.Context, u *segmentbot.User) error {
	if u == nil || u.ExternalID == "" {
		return segmentbot.Errorf(segmentbot.EINVALID, "no Workplace id to look up")
	}
	var mem member
	if err := c.graph.do(ctx, http.MethodGet, c.graph.endpoint("/"+url.PathEscape(u.ExternalID), url.Values{"fields": {"name,email," + attributeFields}}), nil, &mem); err != nil {
		return fmt.Errorf("workplace: profile of %s: %w", u.ExternalID, err)
	}
	if u.Name == "" {
		u.Name = mem.Name
	}
	if u.Email == "" {
		u.Email = strings.ToLower(mem.Email)
	}
	if u.Attributes == nil {
		u.Attributes = mem.attributes()
	}
	return nil
}
