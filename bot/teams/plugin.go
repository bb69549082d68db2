package teams

import (
	"context"
	"encoding/json"
	"time"

	"github.com/infracloudio/msbotbuilder-go/schema"
	"github.com/segmentbot/segmentbot"
)

// This file is the plugin side of the channel: helpers for a bot that
// already runs on msbotbuilder-go (its own adapter, its own HTTP handler)
// and hands some of its activities to segmentbot's bot package. They use
// the same mapping and rendering as the Channel, without its HTTP layer,
// its activity claims or its reply queue.

// Sender is the directory entry of the user who sent a. Store it
// (segmentbot.UserService.UpsertUser fills its ID) before handing the event
// to the bot: the bot acts only for users it knows.
func Sender(a schema.Activity) segmentbot.User {
	in, err := inboundFrom(a)
	if err != nil {
		return segmentbot.User{Channel: segmentbot.ChannelTeams, ExternalID: a.From.ID, Name: a.From.Name}
	}
	u := in.sender()
	u.LastSeen = a.Timestamp
	if u.LastSeen.IsZero() {
		u.LastSeen = time.Now().UTC()
	}
	return *u
}

// EventFrom turns an activity the host bot received into a segmentbot
// event from sender, exactly as the Channel does. It reports false for
// activities that are no event (typing, reactions, an empty message, a
// malformed card action), which the host keeps.
//
// schema.Activity drops the details of entities, so a mention of the bot
// is removed only in its <at>Name</at> form and the time zone comes from
// localTimezone.
func EventFrom(a schema.Activity, sender segmentbot.User) (segmentbot.Event, bool) {
	in, err := inboundFrom(a)
	if err != nil {
		return segmentbot.Event{}, false
	}
	kind, err := classify(in)
	if err != nil || kind == "" || in.validate() != nil {
		return segmentbot.Event{}, false
	}
	ev, err := in.event(kind, sender)
	if err != nil {
		return segmentbot.Event{}, false
	}
	return ev, true
}

// Reply renders msg as a message activity (plain text, or Adaptive Card
// attachments) with no address: apply the conversation reference of the
// activity it answers (activity.ApplyConversationReference) before sending.
func Reply(msg segmentbot.Message) schema.Activity {
	return messageActivity(convRef{}, msg)
}

// InvokeReply is the HTTP answer to an adaptiveCard/action invoke
// (Action.Execute) that segmentbot handled. msbotbuilder-go posts invoke
// results to the conversation instead, so the host writes this body
// itself.
func InvokeReply(resp *segmentbot.Response) InvokeResponse {
	return invokeResponse(resp)
}

// NewConnector returns a Bot Connector client for cfg: use it as the
// Client of a core.BotFrameworkAdapter in place of the library's (which
// has no timeout, no retry and a fixed token tenant).
func NewConnector(cfg Config) (*Connector, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	return newConnector(cfg, newTokenSource(cfg)), nil
}

// Validator checks the tokens the Bot Connector sends; use it as the
// TokenValidator of a core.BotFrameworkAdapter in place of the library's
// (which fetches the OpenID metadata per request and can panic on odd
// claims). Close stops its background key refresh.
type Validator struct {
	validator
}

// NewValidator returns a Validator for the bot cfg.AppID. EINVALID when
// there is no app id: a plugin host always authenticates.
func NewValidator(cfg Config) (*Validator, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if cfg.AppID == "" {
		return nil, segmentbot.Errorf(segmentbot.EINVALID, "teams: a validator needs the bot's app id")
	}
	return &Validator{validator{appID: cfg.AppID, keys: &keySource{cfg: cfg}, now: time.Now, verified: newVerifiedTokens(verifiedTokensMax)}}, nil
}

// Close stops the background refresh of the signing keys.
func (v *Validator) Close(ctx context.Context) { v.keys.close(ctx) }

// inboundFrom reads a decoded activity as the Channel reads a request body,
// so both share one mapping.
func inboundFrom(a schema.Activity) (*inbound, error) {
	body, err := json.Marshal(a)
	if err != nil {
		return nil, segmentbot.Errorf(segmentbot.EINVALID, "The activity cannot be encoded: %v", err)
	}
	return parseActivity(body)
}
