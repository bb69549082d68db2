package workplace

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/segmentbot/segmentbot"
	"github.com/segmentbot/segmentbot/cards"
)

var _ segmentbot.Sender = (*Channel)(nil)

// SendBroadcast implements segmentbot.Sender: msg goes to the user's chat
// with the bot through the Send API (messaging_type UPDATE), as cards.Meta
// renders it (a button template with the Opt out postback, or the text and
// a generic template when there is an image). Each Send API call is made
// once: the broadcaster paces and retries. A failure is a
// *segmentbot.DeliveryFailure; a message of several parts that fails
// after its first part was delivered says so in its error.
func (c *Channel) SendBroadcast(ctx context.Context, to *segmentbot.User, msg segmentbot.Message) error {
	r, err := recipientOf(to)
	if err != nil {
		return &segmentbot.DeliveryFailure{Reason: segmentbot.DeliveryNotReachable, Err: err}
	}
	parts := cards.Meta(msg)
	if len(parts) == 0 {
		return &segmentbot.DeliveryFailure{Reason: segmentbot.DeliveryError, Err: errors.New("workplace: the broadcast message is empty")}
	}
	for i, part := range parts {
		req := sendRequest{Recipient: r, MessagingType: messagingUpdate, Message: part}
		if err := c.graph.doOnce(ctx, http.MethodPost, c.graph.endpoint("/me/messages", nil), req, nil); err != nil {
			err = fmt.Errorf("workplace: broadcast to %s (part %d of %d): %w", r.name(), i+1, len(parts), err)
			return broadcastFailure(ctx, err)
		}
	}
	return nil
}

// broadcastFailure maps a Send API error to its delivery reason (DESIGN
// §7): 551 (the person is not available) not_reachable; the rate limits
// 4, 17, 32, 613 (and HTTP 429) throttled, to retry; 10 and 200 (no
// permission) and anything else an error, with Meta's message kept.
func broadcastFailure(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return err // the broadcaster is stopping
	}
	var ge *graphError
	if !errors.As(err, &ge) {
		// No answer: the message may or may not have gone out.
		return &segmentbot.DeliveryFailure{Reason: segmentbot.DeliveryError, Retry: true, Err: err}
	}
	f := &segmentbot.DeliveryFailure{Reason: segmentbot.DeliveryError, Err: err}
	switch {
	case ge.Code == codeUnavailable, ge.Code == codeInvalidParam && ge.Subcode == subcodeNoSuchUser:
		f.Reason = segmentbot.DeliveryNotReachable
	case ge.throttled():
		f.Reason, f.Retry, f.RetryAfter = segmentbot.DeliveryThrottled, true, ge.retryAfter
	case ge.Code == codePermission || ge.Code == codeNotAuthorized:
		// an error, never retried: the integration may not send
	case ge.retryable():
		f.Retry, f.RetryAfter = true, ge.retryAfter
	}
	return f
}

// doOnce makes one call, paced by the limiter, with no retry.
func (g *graph) doOnce(ctx context.Context, method string, u *url.URL, body, out any) error {
	payload, err := json.Marshal(body)
	if err != nil {
		return fmt.Errorf("encode %s %s: %w", method, u.Path, err)
	}
	if err := g.limiter.wait(ctx); err != nil {
		return fmt.Errorf("%s %s: %w", method, u.Path, err)
	}
	if _, err := g.once(ctx, method, u, payload, out); err != nil {
		return fmt.Errorf("%s %s: %w", method, u.Path, err)
	}
	return nil
}
