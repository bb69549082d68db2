package teams

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/infracloudio/msbotbuilder-go/schema"
	"github.com/segmentbot/segmentbot"
)

var _ segmentbot.Sender = (*Channel)(nil)

// notInstalledWait is how long to wait before looking again for an app
// installation Graph accepted but does not show yet.
const notInstalledWait = 2 * time.Second

// SendBroadcast implements segmentbot.Sender: one attempt to post msg in
// to's personal chat with the bot. The broadcaster paces and retries, so
// no call here is repeated; a failure is a *segmentbot.DeliveryFailure.
//
// The chat is, in order: the conversation of to's reference; one opened
// with POST {serviceUrl}/v3/conversations for a user with a Teams id (a
// roster's 29: id); with Config.CatalogAppID set and an AAD object id,
// the chat Graph gives after installing the app for the user. A chat
// opened either way is kept as to.ConvRef through the user service before
// the post, so the next broadcast uses it. None of them: not_reachable.
//
// The serviceUrl comes from to's reference (the team the roster was read
// from, or the user's last activity); a user without one, known only
// through Graph, gets the serviceUrl of the most recently updated team of
// their tenant (the connector serves a tenant from one region), else
// Config.ServiceURL; with neither, the user is not_reachable.
func (c *Channel) SendBroadcast(ctx context.Context, to *segmentbot.User, msg segmentbot.Message) error {
	rendered := c.copies.rendered(msg)
	if rendered.err != nil {
		return &segmentbot.DeliveryFailure{Reason: segmentbot.DeliveryError, Err: rendered.err}
	}
	ref, err := c.broadcastRef(ctx, to)
	if err != nil {
		return err
	}
	if ref.ConversationID == "" {
		if ref, err = c.openChat(ctx, to, ref); err != nil {
			return err
		}
	}
	payload, err := rendered.body(ref.ConversationID)
	if err != nil {
		return &segmentbot.DeliveryFailure{Reason: segmentbot.DeliveryError, Err: err}
	}
	if _, err := c.conn.post(ctx, ref.ServiceURL, ref.ConversationID, rawJSON(payload), true); err != nil {
		return connectorFailure(ctx, fmt.Errorf("teams: broadcast to user %d: %w", to.ID, err))
	}
	return nil
}

// broadcastRef is to's stored reference, or a new one for a user the bot
// never talked to (no conversation yet).
func (c *Channel) broadcastRef(ctx context.Context, to *segmentbot.User) (convRef, error) {
	if to == nil || to.Channel != segmentbot.ChannelTeams {
		return convRef{}, &segmentbot.DeliveryFailure{Reason: segmentbot.DeliveryNotReachable, Err: errors.New("teams: not a Teams user")}
	}
	ref, err := parseConvRef(to)
	if err != nil {
		ref = convRef{UserID: to.ExternalID, UserName: to.Name}
		if ref.UserID == "" {
			ref.UserID = to.AADObjectID
		}
		if ref.ServiceURL, err = c.tenantServiceURL(ctx, to.TenantID); err != nil {
			return ref, &segmentbot.DeliveryFailure{Reason: segmentbot.DeliveryError, Retry: true, Err: err}
		}
		if ref.ServiceURL == "" {
			return ref, &segmentbot.DeliveryFailure{Reason: segmentbot.DeliveryNotReachable,
				Err: fmt.Errorf("teams: no serviceUrl for user %d: the bot is in no team of tenant %q", to.ID, to.TenantID)}
		}
	}
	if ref.TenantID == "" {
		ref.TenantID = to.TenantID
	}
	if c.cfg.AppID != "" {
		ref.BotID = "28:" + c.cfg.AppID
	}
	return ref, nil
}

// tenantServiceURL is the serviceUrl of the most recently seen team of
// tenant, else the configured default.
func (c *Channel) tenantServiceURL(ctx context.Context, tenant string) (string, error) {
	store, ok := c.users.(segmentbot.TeamService)
	if !ok {
		return c.cfg.ServiceURL, nil
	}
	teams, err := store.FindTeams(ctx, segmentbot.ChannelTeams)
	if err != nil {
		return "", fmt.Errorf("teams: finding a serviceUrl for tenant %s: %w", tenant, err)
	}
	var best *segmentbot.Team
	for _, t := range teams {
		if t.TenantID == tenant && (best == nil || t.UpdatedAt.After(best.UpdatedAt)) {
			if _, err := decodeRef(t.Ref); err == nil {
				best = t
			}
		}
	}
	if best == nil {
		return c.cfg.ServiceURL, nil
	}
	ref, _ := decodeRef(best.Ref)
	return ref.ServiceURL, nil
}

// openChat opens to's personal chat, by the connector or else by
// installing the app through Graph, and keeps it.
func (c *Channel) openChat(ctx context.Context, to *segmentbot.User, ref convRef) (convRef, error) {
	var err error
	if strings.HasPrefix(ref.UserID, "29:") {
		ref.ConversationID, err = c.conn.createConversation(ctx, ref.ServiceURL, ref.TenantID,
			schema.ChannelAccount{ID: ref.BotID, Name: ref.BotName}, schema.ChannelAccount{ID: ref.UserID}, true)
		if err != nil {
			err = connectorFailure(ctx, fmt.Errorf("teams: opening a chat with user %d: %w", to.ID, err))
			if !isReason(err, segmentbot.DeliveryNotReachable) {
				return ref, err
			}
		}
	}
	if ref.ConversationID == "" && c.cfg.CatalogAppID != "" && to.AADObjectID != "" {
		ref.ConversationID, err = c.graph.installedChat(ctx, ref.TenantID, to.AADObjectID, c.cfg.CatalogAppID)
		if err != nil {
			return ref, graphFailure(ctx, fmt.Errorf("teams: installing the app for user %d: %w", to.ID, err))
		}
	}
	if ref.ConversationID == "" {
		if err != nil {
			return ref, err // the connector's not_reachable
		}
		return ref, &segmentbot.DeliveryFailure{Reason: segmentbot.DeliveryNotReachable,
			Err: fmt.Errorf("teams: user %d has no Teams id to open a chat with, and no app catalog id and AAD object id to install the app with", to.ID)}
	}
	c.keep(ctx, to, ref)
	return ref, nil
}

// keep stores the chat opened for to as its reference. A failure to store
// it costs only a new opening next time, so the send goes on.
func (c *Channel) keep(ctx context.Context, to *segmentbot.User, ref convRef) {
	u := *to
	u.ConvRef, u.InBotGroups = ref.encode(), true
	if err := c.users.UpsertUser(ctx, &u); err != nil {
		c.log.Warn("teams: keeping an opened chat failed", "user", to.ID, "err", err)
		return
	}
	to.ConvRef, to.InBotGroups = u.ConvRef, true
}

// connectorFailure maps a Bot Connector error to its delivery reason
// (DESIGN §3, §7). A 403 or 404 that is not a block means, on a post,
// that the bot is gone from the chat, and on opening one, that the user
// is not someone the bot may open a chat with (in none of its teams):
// not_reachable either way.
func connectorFailure(ctx context.Context, err error) error {
	return failure(ctx, err, func(se *StatusError) string {
		switch {
		case se.Status == http.StatusForbidden && se.Code == "ConversationBlockedByUser":
			return segmentbot.DeliveryBlocked
		case se.Status == http.StatusForbidden || se.Status == http.StatusNotFound:
			return segmentbot.DeliveryNotReachable
		}
		return segmentbot.DeliveryError
	})
}

// graphFailure maps an error of the app installation to its delivery
// reason: a user Graph does not know any more, or whose account is
// disabled, left the tenant; an installation Graph accepted but does not
// show yet is tried again a little later; any other refusal (a wrong app
// catalog id, a missing permission) is an error.
func graphFailure(ctx context.Context, err error) error {
	switch {
	case ctx.Err() != nil:
		return err
	case errors.Is(err, errLeftTenant):
		return &segmentbot.DeliveryFailure{Reason: segmentbot.DeliveryLeftTenant, Err: err}
	case errors.Is(err, errNotInstalledYet):
		return &segmentbot.DeliveryFailure{Reason: segmentbot.DeliveryNotReachable, Retry: true, RetryAfter: notInstalledWait, Err: err}
	}
	return failure(ctx, err, func(*StatusError) string { return segmentbot.DeliveryError })
}

// failure maps err to a DeliveryFailure: 429, 412, 502, 503 and 504 may
// be retried after the Retry-After asked for (throttled for a 429), no
// answer at all may be retried, and any other status gets the reason
// given by reason. When ctx ended, err stays as it is: the broadcaster is
// stopping, and nothing is said about the user.
func failure(ctx context.Context, err error, reason func(*StatusError) string) error {
	if ctx.Err() != nil {
		return err
	}
	var se *StatusError
	if !errors.As(err, &se) {
		// No answer (a time-out, a reset): a post may or may not have
		// gone out; the broadcaster decides whether to try again.
		return &segmentbot.DeliveryFailure{Reason: segmentbot.DeliveryError, Retry: true, Err: err}
	}
	f := &segmentbot.DeliveryFailure{Reason: reason(se), Err: err}
	if connectorRetryable(se.Status) {
		f.Reason, f.Retry, f.RetryAfter = segmentbot.DeliveryError, true, se.RetryAfter
		if se.Status == http.StatusTooManyRequests {
			f.Reason = segmentbot.DeliveryThrottled
		}
	}
	return f
}

// isReason reports whether err is a DeliveryFailure with reason.
func isReason(err error, reason string) bool {
	var f *segmentbot.DeliveryFailure
	return errors.As(err, &f) && f.Reason == reason
}
