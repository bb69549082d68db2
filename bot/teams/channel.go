package teams

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/infracloudio/msbotbuilder-go/connector/auth"
	"github.com/infracloudio/msbotbuilder-go/core"
	"github.com/segmentbot/segmentbot"
)

// Channel is the Teams channel: it processes inbound activities and sends
// messages. It implements segmentbot.Messenger.
type Channel struct {
	cfg      Config
	log      *slog.Logger
	receiver segmentbot.Receiver
	users    segmentbot.UserService

	adapter *core.BotFrameworkAdapter
	conn    *Connector
	graph   *Graph // app installs for broadcasts
	keys    *keySource
	tokens  *tokenSource
	sender  *sender
	copies  copies // broadcast copies, rendered once per message
}

var _ segmentbot.Messenger = (*Channel)(nil)

// New builds the channel, which hands every activity to r (the bot's one
// entrance) and stores team rosters in users. It fetches nothing yet: the
// signing keys load on the first authenticated request, tokens on the
// first send.
func New(cfg Config, r segmentbot.Receiver, users segmentbot.UserService) (*Channel, error) {
	if r == nil || users == nil {
		return nil, errors.New("teams: New needs a receiver and a user service")
	}
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	tokens := newTokenSource(cfg)
	conn := newConnector(cfg, tokens)
	keys := &keySource{cfg: cfg}
	c := &Channel{
		cfg: cfg, log: cfg.Logger, receiver: r, users: users,
		conn: conn, keys: keys, tokens: tokens, sender: newSender(conn, cfg.Logger),
		graph: &Graph{cfg: cfg, tokens: tokens, limiter: newLimiter(cfg.GraphRate)},
	}
	// The library's adapter, with its validator and client replaced.
	c.adapter = &core.BotFrameworkAdapter{
		AdapterSetting: core.AdapterSetting{
			AppID:              cfg.AppID,
			AppPassword:        cfg.AppPassword,
			ChannelAuthTenant:  cfg.TenantID,
			OpenIDMetadata:     cfg.OpenIDMetadataURL,
			CredentialProvider: auth.SimpleCredentialProvider{AppID: cfg.AppID, Password: cfg.AppPassword},
		},
		TokenValidator: &validator{appID: cfg.AppID, keys: keys, now: time.Now, verified: newVerifiedTokens(verifiedTokensMax)},
		Client:         conn,
	}
	return c, nil
}

// AuthEnabled reports whether inbound requests are authenticated (an app
// id is configured).
func (c *Channel) AuthEnabled() bool { return c.cfg.AppID != "" }

// Connector returns the channel's Bot Connector client.
func (c *Channel) Connector() *Connector { return c.conn }

// Close stops taking replies, waits for the queued ones to be sent (or ctx
// to end) and stops the key refresh.
func (c *Channel) Close(ctx context.Context) error {
	err := c.sender.close(ctx)
	c.keys.close(ctx)
	if err != nil {
		return fmt.Errorf("teams: draining replies: %w", err)
	}
	return nil
}

// authenticate checks the Authorization header against in; any failure is
// EUNAUTHORIZED.
func (c *Channel) authenticate(ctx context.Context, in *inbound, header string) error {
	if !c.AuthEnabled() {
		return nil
	}
	_, err := c.adapter.TokenValidator.AuthenticateRequest(ctx, in.Activity, header, c.adapter.CredentialProvider, "")
	if errors.Is(err, errKeysUnavailable) {
		c.log.Error("teams: cannot check a request: signing keys unavailable", "activity", in.ID, "err", err)
		return segmentbot.Errorf(segmentbot.EUNAVAILABLE, "The signing keys cannot be loaded just now; retry later.")
	}
	if err != nil {
		c.log.Warn("teams: request refused", "activity", in.ID, "err", err)
		return segmentbot.Errorf(segmentbot.EUNAUTHORIZED, "The request is not authenticated.")
	}
	return nil
}
