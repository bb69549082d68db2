package workplace

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/segmentbot/segmentbot"
)

// lookupBatch is how many ids one GET /?ids= call asks for.
const lookupBatch = 50

// memberFields are the member fields a lookup reads: who the member is,
// and the standard attributes (attributeFields).
const memberFields = "id,name,email,account_status," + attributeFields

// attributeFields are the member fields that are the standard attributes
// of DESIGN §8, by their attribute names.
const attributeFields = "department,title,division,location,locale"

// member is a Workplace member as the Graph returns it. The Graph leaves
// out a field the member has no value for.
type member struct {
	ID            string `json:"id"`
	Name          string `json:"name"`
	Email         string `json:"email"`
	AccountStatus string `json:"account_status"`

	Department string          `json:"department"`
	Title      string          `json:"title"`
	Division   string          `json:"division"`
	Location   json.RawMessage `json:"location"` // text, or a place {"name"}
	Locale     string          `json:"locale"`
}

// attributes are the member's standard attributes, "" for those the
// member has none of (the stored one is removed).
func (m *member) attributes() map[string]string {
	location := ""
	if err := json.Unmarshal(m.Location, &location); err != nil {
		var place struct {
			Name string `json:"name"`
		}
		if json.Unmarshal(m.Location, &place) == nil {
			location = place.Name
		}
	}
	attrs := map[string]string{"department": m.Department, "title": m.Title, "division": m.Division, "location": location, "locale": m.Locale}
	for name, v := range attrs {
		attrs[name] = strings.TrimSpace(v)
	}
	return attrs
}

// active reports whether the account can still be used.
func (m *member) active() bool {
	switch strings.ToLower(m.AccountStatus) {
	case "deactivated", "inactive", "disabled":
		return false
	}
	return true
}

// Lookup resolves emails and numeric ids the local directory did not know,
// 50 to a call, falling back to one call per value when a batch fails as a
// whole (the Graph fails all of it for one unknown alias). Every miss gets a
// result: a user (Active false when deactivated, InBotGroups only for
// members of the bot's groups or people who chatted with it) or a reason.
// The error is set only when ctx ends.
func (c *Channel) Lookup(ctx context.Context, tenantID string, misses []segmentbot.Miss) ([]segmentbot.LookupResult, error) {
	results := make([]segmentbot.LookupResult, 0, len(misses))
	var ask []segmentbot.Miss
	for _, m := range misses {
		if m.Kind == segmentbot.KindEmail || m.Kind == segmentbot.KindNumeric {
			ask = append(ask, m)
		} else {
			results = append(results, segmentbot.LookupResult{Miss: m, Reason: segmentbot.ReasonNotFound})
		}
	}
	if len(ask) == 0 {
		return results, nil
	}
	groups, groupsErr := c.botGroups(ctx)
	if groupsErr != nil {
		c.log.Warn("bot's groups unknown; found members get lookup_error", "err", groupsErr)
	}
	for start := 0; start < len(ask); start += lookupBatch {
		chunk := ask[start:min(start+lookupBatch, len(ask))]
		found, err := c.lookupChunk(ctx, chunk)
		if err != nil {
			return nil, err
		}
		for _, r := range found {
			if r.User != nil {
				r = c.placeUser(ctx, r, tenantID, groups, groupsErr)
			}
			results = append(results, r)
		}
	}
	return results, nil
}

// placeUser completes a found user: tenant, and whether the bot reaches it.
func (c *Channel) placeUser(ctx context.Context, r segmentbot.LookupResult, tenantID string, groups map[string]bool, groupsErr error) segmentbot.LookupResult {
	u := r.User
	u.TenantID = tenantID
	switch {
	case groups == nil && groupsErr == nil: // no groups configured: the whole community
		u.InBotGroups = true
	case groups[u.ExternalID]:
		u.InBotGroups = true
	default:
		known, err := c.users.FindUserByExternalID(ctx, segmentbot.ChannelWorkplace, u.ExternalID)
		switch {
		case err == nil && known.InBotGroups:
			u.InBotGroups = true
		case groupsErr != nil:
			return segmentbot.LookupResult{Miss: r.Miss, Reason: segmentbot.ReasonLookupError}
		}
	}
	return r
}

// lookupChunk looks up to lookupBatch values up in one call, or one by one
// when that call fails as a whole.
func (c *Channel) lookupChunk(ctx context.Context, chunk []segmentbot.Miss) ([]segmentbot.LookupResult, error) {
	ids := make([]string, len(chunk))
	for i, m := range chunk {
		ids[i] = m.Norm
	}
	q := url.Values{"ids": {strings.Join(ids, ",")}, "fields": {memberFields}}
	var found map[string]*member
	err := c.graph.do(ctx, http.MethodGet, c.graph.endpoint("/", q), nil, &found)
	if ctx.Err() != nil {
		return nil, fmt.Errorf("workplace: look members up: %w", ctx.Err())
	}
	// A batch refused for permission may be refused for one of its ids
	// only: ask one by one rather than fail them all.
	if code := graphCode(err); len(chunk) == 1 && (code == codePermission || code == codeNotAuthorized) {
		return failAll(chunk, segmentbot.ReasonPermissionDenied), nil
	}
	if err != nil {
		var ge *graphError
		if !errors.As(err, &ge) || ge.retryable() {
			// Throttled or unreachable even after retries: asking once per
			// value would only make it worse.
			c.log.Warn("batch lookup failed", "ids", len(chunk), "err", err)
			return failAll(chunk, segmentbot.ReasonLookupError), nil
		}
		c.log.Debug("batch lookup refused; looking up one by one", "ids", len(chunk), "err", err)
		found = nil
	}
	byID := make(map[string]*member, len(found))
	for k, m := range found {
		byID[strings.ToLower(k)] = m
	}
	results := make([]segmentbot.LookupResult, len(chunk))
	for i, m := range chunk {
		if mem := byID[strings.ToLower(m.Norm)]; mem != nil && mem.ID != "" {
			results[i] = foundResult(m, mem)
			continue
		}
		r, err := c.lookupOne(ctx, m)
		if err != nil {
			return nil, err
		}
		results[i] = r
	}
	return results, nil
}

// lookupOne looks one value up with GET /{value}.
func (c *Channel) lookupOne(ctx context.Context, m segmentbot.Miss) (segmentbot.LookupResult, error) {
	var mem member
	err := c.graph.do(ctx, http.MethodGet, c.graph.endpoint("/"+url.PathEscape(m.Norm), url.Values{"fields": {memberFields}}), nil, &mem)
	if ctx.Err() != nil {
		return segmentbot.LookupResult{}, fmt.Errorf("workplace: look member up: %w", ctx.Err())
	}
	if err == nil && mem.ID != "" {
		return foundResult(m, &mem), nil
	}
	reason := lookupReason(err)
	if reason == segmentbot.ReasonLookupError {
		c.log.Warn("member lookup failed", "value", m.Norm, "err", err)
	}
	return segmentbot.LookupResult{Miss: m, Reason: reason}, nil
}

// lookupReason maps a failed member lookup to a failure reason.
func lookupReason(err error) string {
	switch graphCode(err) {
	case codeUnknownAlias, codeInvalidParam:
		return segmentbot.ReasonNotFound
	case codePermission, codeNotAuthorized:
		return segmentbot.ReasonPermissionDenied
	}
	var ge *graphError
	if err == nil || (errors.As(err, &ge) && ge.Status == http.StatusNotFound) {
		return segmentbot.ReasonNotFound
	}
	return segmentbot.ReasonLookupError
}

func foundResult(m segmentbot.Miss, mem *member) segmentbot.LookupResult {
	return segmentbot.LookupResult{Miss: m, User: &segmentbot.User{
		Channel:    segmentbot.ChannelWorkplace,
		ExternalID: mem.ID,
		Email:      strings.ToLower(mem.Email),
		Name:       mem.Name,
		Active:     mem.active(),
		Attributes: mem.attributes(),
	}}
}

// Email returns the email of a Workplace member, lower case. ENOTFOUND when
// Workplace knows no such member or shows no email for them.
func (c *Channel) Email(ctx context.Context, u *segmentbot.User) (string, error) {
	if u == nil || u.ExternalID == "" {
		return "", segmentbot.Errorf(segmentbot.EINVALID, "no Workplace id to look up")
	}
	var mem member
	err := c.graph.do(ctx, http.MethodGet, c.graph.endpoint("/"+url.PathEscape(u.ExternalID), url.Values{"fields": {"email"}}), nil, &mem)
	switch {
	case err != nil && lookupReason(err) == segmentbot.ReasonNotFound:
		return "", fmt.Errorf("workplace: email of %s: %w (%w)", u.ExternalID, segmentbot.Errorf(segmentbot.ENOTFOUND, "Workplace has no member %s", u.ExternalID), err)
	case err != nil:
		return "", fmt.Errorf("workplace: email of %s: %w", u.ExternalID, err)
	case mem.Email == "":
		return "", segmentbot.Errorf(segmentbot.ENOTFOUND, "Workplace shows no email for member %s", u.ExternalID)
	}
	return strings.ToLower(mem.Email), nil
}

// failAll gives every miss of chunk the same failure reason.
func failAll(chunk []segmentbot.Miss, reason string) []segmentbot.LookupResult {
	results := make([]segmentbot.LookupResult, len(chunk))
	for i, m := range chunk {
		results[i] = segmentbot.LookupResult{Miss: m, Reason: reason}
	}
	return results
}
