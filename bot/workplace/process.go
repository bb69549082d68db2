package workplace

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/segmentbot/segmentbot"
)

// webhookBudget bounds the handling of one webhook: Meta gives up after
// 20 s, and an answer after that would only count as a failure.
const webhookBudget = 18 * time.Second

// ProcessWebhook verifies and handles one webhook POST: the signature over
// the raw body first (EFORBIDDEN when missing or wrong), then the JSON
// (EINVALID when malformed), then every event in it, each exactly once
// across redeliveries. With a durable queue (the store's EventQueue) the
// events are stored first and handled for up to inlineBudget, the rest by
// the queue workers (RunQueue), so even 5,000 events are answered in time;
// without one, it returns when every event is handled and answered. An
// error means Meta should deliver the webhook again.
func (c *Channel) ProcessWebhook(ctx context.Context, sig256, sig1 string, body []byte) error {
	if err := c.checkSignature(sig256, sig1, body); err != nil {
		return err
	}
	var wh webhook
	if err := json.Unmarshal(body, &wh); err != nil {
		return segmentbot.Errorf(segmentbot.EINVALID, "Workplace webhook body is not valid JSON: %v", err)
	}
	ctx, cancel := context.WithTimeout(ctx, webhookBudget)
	defer cancel()
	if q := c.queue(); q != nil {
		return c.enqueue(ctx, q, &wh)
	}
	var errs []error
	for _, e := range wh.Entry {
		for i := range e.Messaging {
			if err := c.processEvent(ctx, &e.Messaging[i]); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return joinCapped(errs)
}

// processEvent hands the event to the bot's entrance, which runs it
// exactly once across redeliveries and sends the replies to the sender
// before recording it done. A failure that a retry cannot mend (the
// sender cannot be messaged) is logged and dropped; any other asks Meta
// to deliver the webhook again.
func (c *Channel) processEvent(ctx context.Context, m *messaging) error {
	if !m.relevant() {
		return nil
	}
	if raw, _ := json.Marshal(m); segmentbot.ContainsNUL(raw) {
		// PostgreSQL stores no NUL, and an error would make Meta redeliver
		// the batch: the event is dropped, with a log line.
		c.log.Warn("workplace: event with a NUL character dropped", "sender", m.Sender.ID)
		return nil
	}
	key := m.key()
	ev := c.event(m, key, senderUser(m))
	to := recipient{ID: m.Sender.ID}
	_, err := c.receiver.Receive(ctx, segmentbot.Inbound{Event: ev, Reply: func(ctx context.Context, resp *segmentbot.Response) error {
		// Card is the refreshed card of a Teams invoke; Meta has no invokes.
		for _, msg := range resp.Messages {
			if _, err := c.send(ctx, to, msg, messagingResponse); err != nil {
				if !retryHelps(err) {
					c.log.Warn("reply dropped", "event", key, "sender", m.Sender.ID, "err", err)
					return nil
				}
				return err
			}
		}
		return nil
	}})
	if err != nil && !retryHelps(err) {
		c.log.Warn("event dropped", "event", key, "sender", m.Sender.ID, "err", err)
		return nil
	}
	if err != nil {
		return fmt.Errorf("workplace: event %s: %w", key, err)
	}
	return nil
}

// retryHelps reports whether Meta redelivering the webhook could succeed
// where this attempt failed: not when the recipient cannot be messaged or
// the integration lacks a permission.
func retryHelps(err error) bool {
	switch segmentbot.ErrorCode(err) {
	case segmentbot.ENOTFOUND, segmentbot.EGONE, segmentbot.EFORBIDDEN, segmentbot.EINVALID:
		return false
	}
	return true
}

// senderUser is the directory entry of the event's sender: whoever writes to
// the bot has a one-to-one chat with it, so counts as in its groups.
func senderUser(m *messaging) *segmentbot.User {
	ref, _ := json.Marshal(convRef{Recipient: recipient{ID: m.Sender.ID}})
	seen := time.Now().UTC()
	if m.Timestamp > 0 {
		seen = time.UnixMilli(m.Timestamp).UTC()
	}
	return &segmentbot.User{
		Channel:     segmentbot.ChannelWorkplace,
		TenantID:    m.tenant(),
		ExternalID:  m.Sender.ID,
		Active:      true,
		InBotGroups: true,
		ConvRef:     string(ref),
		LastSeen:    seen,
	}
}
