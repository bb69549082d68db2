package teams

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/infracloudio/msbotbuilder-go/connector/client"
	"github.com/infracloudio/msbotbuilder-go/schema"
)

// Connector calls the Bot Connector REST API of a serviceUrl. It implements
// msbotbuilder-go's client.Client (so the adapter can use it) and adds the
// calls the library lacks or gets wrong: the created activity id, rosters
// and new conversations. It is safe for concurrent use.
type Connector struct {
	cfg    Config
	tokens *tokenSource
}

var _ client.Client = (*Connector)(nil)

func newConnector(cfg Config, tokens *tokenSource) *Connector {
	return &Connector{cfg: cfg, tokens: tokens}
}

// SendActivity posts a to its conversation and returns the new activity id.
func (c *Connector) SendActivity(ctx context.Context, a schema.Activity) (string, error) {
	return c.postActivity(ctx, a, false)
}

// postActivity posts a, in one attempt when single.
func (c *Connector) postActivity(ctx context.Context, a schema.Activity, single bool) (string, error) {
	return c.post(ctx, a.ServiceURL, a.Conversation.ID, wire(a), single)
}

// post posts body, an activity for conversation (an outActivity, or
// rawJSON already encoded), in one attempt when single.
func (c *Connector) post(ctx context.Context, serviceURL, conversation string, body any, single bool) (string, error) {
	u, err := conversationURL(serviceURL, conversation, "activities")
	if err != nil {
		return "", err
	}
	r := c.request(http.MethodPost, u, body)
	r.single = single
	var res schema.ResourceResponse
	if err := do(ctx, c.cfg.HTTPClient, r, &res); err != nil {
		return "", fmt.Errorf("sending activity to conversation %s: %w", conversation, err)
	}
	return res.ID, nil
}

// UpdateActivity replaces the activity a.ID in its conversation.
func (c *Connector) UpdateActivity(ctx context.Context, a schema.Activity) error {
	if a.ID == "" {
		return fmt.Errorf("updating an activity: no activity id")
	}
	u, err := conversationURL(a.ServiceURL, a.Conversation.ID, "activities", a.ID)
	if err != nil {
		return err
	}
	if err := do(ctx, c.cfg.HTTPClient, c.request(http.MethodPut, u, wire(a)), nil); err != nil {
		return fmt.Errorf("updating activity %s: %w", a.ID, err)
	}
	return nil
}

// CreateConversation opens (or finds) the personal chat of the bot with
// userID in tenant and returns its conversation id.
func (c *Connector) CreateConversation(ctx context.Context, serviceURL, tenant string, bot, user schema.ChannelAccount) (string, error) {
	return c.createConversation(ctx, serviceURL, tenant, bot, user, false)
}

// createConversation opens the personal chat, in one attempt when single.
func (c *Connector) createConversation(ctx context.Context, serviceURL, tenant string, bot, user schema.ChannelAccount, single bool) (string, error) {
	base, err := checkServiceURL(serviceURL)
	if err != nil {
		return "", err
	}
	params := map[string]any{
		"bot":         bot,
		"members":     []schema.ChannelAccount{{ID: user.ID}},
		"isGroup":     false,
		"tenantId":    tenant,
		"channelData": map[string]any{"tenant": map[string]string{"id": tenant}},
	}
	var res struct {
		ID string `json:"id"`
	}
	r := c.request(http.MethodPost, base+"/v3/conversations", params)
	r.single = single
	if err := do(ctx, c.cfg.HTTPClient, r, &res); err != nil {
		return "", fmt.Errorf("creating a conversation with %s: %w", user.ID, err)
	}
	if res.ID == "" {
		return "", fmt.Errorf("creating a conversation with %s: no id in the answer", user.ID)
	}
	return res.ID, nil
}

// Post implements client.Client for the adapter.
func (c *Connector) Post(target url.URL, a schema.Activity) error {
	return c.send(http.MethodPost, target, wire(a))
}

// Put implements client.Client for the adapter.
func (c *Connector) Put(target url.URL, a schema.Activity) error {
	return c.send(http.MethodPut, target, wire(a))
}

// Delete implements client.Client for the adapter.
func (c *Connector) Delete(target url.URL, _ schema.Activity) error {
	return c.send(http.MethodDelete, target, nil)
}

func (c *Connector) send(method string, target url.URL, body any) error {
	if _, err := checkServiceURL(target.Scheme + "://" + target.Host); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*attemptTimeout)
	defer cancel()
	return do(ctx, c.cfg.HTTPClient, c.request(method, target.String(), body), nil)
}

// request builds a connector call; the bearer token goes only to the
// serviceUrl it was checked against, never to another host.
func (c *Connector) request(method, u string, body any) request {
	r := request{method: method, url: u, body: body, retryable: connectorRetryable}
	if c.cfg.AppID != "" {
		r.bearer = func(ctx context.Context) (string, error) {
			return c.tokens.Token(ctx, "", botFrameworkScope)
		}
		r.onUnauth = func() { c.tokens.forget("", botFrameworkScope) }
	}
	return r
}

// conversationURL builds {serviceUrl}/v3/conversations/{id}/{rest...}.
func conversationURL(serviceURL, conversationID string, rest ...string) (string, error) {
	base, err := checkServiceURL(serviceURL)
	if err != nil {
		return "", err
	}
	if conversationID == "" {
		return "", fmt.Errorf("no conversation id")
	}
	var b strings.Builder
	b.WriteString(base + "/v3/conversations/" + url.PathEscape(conversationID))
	for _, p := range rest {
		b.WriteString("/" + url.PathEscape(p))
	}
	return b.String(), nil
}

// checkServiceURL accepts https URLs, and http only on loopback (tests and
// the local playground), and returns it without a trailing slash.
func checkServiceURL(s string) (string, error) {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return "", fmt.Errorf("bad serviceUrl %q", s)
	}
	if u.Scheme != "https" && !(u.Scheme == "http" && isLoopback(u.Hostname())) {
		return "", fmt.Errorf("serviceUrl %q is not https", s)
	}
	return strings.TrimRight(s, "/"), nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// outActivity is the wire form of an outbound activity: only the fields the
// connector needs, with none of the zero-valued structs and times that
// schema.Activity would serialise.
type outActivity struct {
	Type             string                      `json:"type"`
	ID               string                      `json:"id,omitempty"`
	Text             string                      `json:"text,omitempty"`
	TextFormat       string                      `json:"textFormat,omitempty"`
	Summary          string                      `json:"summary,omitempty"`
	AttachmentLayout string                      `json:"attachmentLayout,omitempty"`
	Attachments      []schema.Attachment         `json:"attachments,omitempty"`
	ReplyToID        string                      `json:"replyToId,omitempty"`
	From             *schema.ChannelAccount      `json:"from,omitempty"`
	Recipient        *schema.ChannelAccount      `json:"recipient,omitempty"`
	Conversation     *schema.ConversationAccount `json:"conversation,omitempty"`
	ChannelData      map[string]any              `json:"channelData,omitempty"`
}

func wire(a schema.Activity) outActivity {
	o := outActivity{
		Type:             string(a.Type),
		ID:               a.ID,
		Text:             a.Text,
		TextFormat:       string(a.TextFormat),
		Summary:          a.Summary,
		AttachmentLayout: string(a.AttachmentLayout),
		Attachments:      a.Attachments,
		ReplyToID:        a.ReplyToID,
		ChannelData:      a.ChannelData,
	}
	if o.Type == "" {
		o.Type = string(schema.Message)
	}
	if a.From.ID != "" {
		o.From = &a.From
	}
	if a.Recipient.ID != "" {
		o.Recipient = &a.Recipient
	}
	if a.Conversation.ID != "" {
		o.Conversation = &a.Conversation
	}
	return o
}
