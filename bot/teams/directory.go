package teams

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/segmentbot/segmentbot"
)

var _ segmentbot.DirectoryReader = (*Graph)(nil)

// maxDeltaPages bounds one directory read: a link that never ends in a
// deltaLink is a broken directory, not a large one.
const maxDeltaPages = 1_000_000

// deltaPage is one page of GET /users/delta.
type deltaPage struct {
	Value     []deltaUser `json:"value"`
	NextLink  string      `json:"@odata.nextLink"`
	DeltaLink string      `json:"@odata.deltaLink"`
}

// deltaUser is a user of a delta page; @removed marks one gone from the
// directory (deleted, or out of the app's sight).
type deltaUser struct {
	graphUser
	Removed *struct {
		Reason string `json:"reason"`
	} `json:"@removed"`
}

// ReadDirectory implements segmentbot.DirectoryReader with Microsoft
// Graph's users delta: GET /users/delta?$select=... (the same properties
// as every lookup), then each @odata.nextLink until the @odata.deltaLink,
// which it returns. Requests keep to the Graph rate, and a 429's
// Retry-After is waited out (the reading is sequential, so the whole
// tenant's read slows). A stored link Graph no longer keeps (410, or 400
// syncStateNotFound) starts over from every user, a full read like the
// first (Full and Expired are set). Links must lie under
// GRAPH_URL: the token goes with them. A SingleTenant bot reads only its
// home tenant (EFORBIDDEN for another).
func (g *Graph) ReadDirectory(ctx context.Context, tenantID, link string, fn func([]*segmentbot.User) error) (segmentbot.DirectoryRead, error) {
	if g.err != nil {
		return segmentbot.DirectoryRead{}, g.err
	}
	if g.cfg.AppType != AppTypeMultiTenant && !strings.EqualFold(tenantID, g.cfg.TenantID) {
		// Its token reads the home tenant's directory only.
		return segmentbot.DirectoryRead{}, segmentbot.Errorf(segmentbot.EFORBIDDEN, "A %s bot reads the directory of its home tenant %q only, not of %q.", g.cfg.AppType, g.cfg.TenantID, tenantID)
	}
	first := g.cfg.GraphURL + "/users/delta?$select=" + graphSelect
	next, read := first, segmentbot.DirectoryRead{Full: link == ""}
	if link != "" {
		if err := g.underGraph(link); err != nil {
			return segmentbot.DirectoryRead{}, err
		}
		next = link
	}
	for range maxDeltaPages {
		if err := g.limiter.wait(ctx, 1); err != nil {
			return segmentbot.DirectoryRead{}, err
		}
		var page deltaPage
		err := do(ctx, g.cfg.HTTPClient, g.request(http.MethodGet, next, tenantID, nil), &page)
		if err != nil && next == link && syncStateLost(err) {
			// The scheduler says so once, with what the full read found.
			g.cfg.Logger.Debug("teams: the stored users delta link has expired; reading every user again", "tenant", tenantID, "err", err)
			next, link = first, ""
			read.Full, read.Expired = true, true
			continue
		}
		if err != nil {
			return segmentbot.DirectoryRead{}, fmt.Errorf("teams: users delta of tenant %s: %w", tenantID, err)
		}
		users := make([]*segmentbot.User, 0, len(page.Value))
		for _, du := range page.Value {
			if du.ID == "" {
				continue
			}
			u := du.user(tenantID)
			if du.Removed != nil {
				u = &segmentbot.User{Channel: segmentbot.ChannelTeams, TenantID: tenantID, AADObjectID: strings.ToLower(du.ID)}
			}
			users = append(users, u)
		}
		if err := fn(users); err != nil {
			return segmentbot.DirectoryRead{}, err
		}
		switch {
		case page.NextLink != "":
			next = page.NextLink
		case page.DeltaLink != "":
			if err := g.underGraph(page.DeltaLink); err != nil {
				return segmentbot.DirectoryRead{}, err
			}
			read.Link = page.DeltaLink
			return read, nil
		default:
			return segmentbot.DirectoryRead{}, fmt.Errorf("teams: users delta of tenant %s: a page with neither @odata.nextLink nor @odata.deltaLink", tenantID)
		}
		if err := g.underGraph(next); err != nil {
			return segmentbot.DirectoryRead{}, err
		}
	}
	return segmentbot.DirectoryRead{}, fmt.Errorf("teams: users delta of tenant %s: more than %d pages", tenantID, maxDeltaPages)
}

// underGraph refuses a link outside GRAPH_URL, which would get the
// Graph token.
func (g *Graph) underGraph(link string) error {
	if !strings.HasPrefix(link, g.cfg.GraphURL+"/") {
		return fmt.Errorf("teams: users delta link %q is not under GRAPH_URL %s", link, g.cfg.GraphURL)
	}
	return nil
}

// syncStateLost reports whether Graph no longer keeps a delta token's
// state, so the sync must start over.
func syncStateLost(err error) bool {
	var se *StatusError
	if !errors.As(err, &se) {
		return false
	}
	return se.Status == http.StatusGone ||
		se.Status == http.StatusBadRequest && (se.Code == "syncStateNotFound" || se.Code == "syncStateInvalid" || se.Code == "resyncRequired")
}
