package workplace

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/segmentbot/segmentbot"
)

// claimStale is how long a claimed event may stay unfinished before a
// redelivery takes it over (the claimant died). Meta waits 20 s for an answer.
const claimStale = 2 * time.Minute

// webhookBudget bounds the handling of one webhook: Meta gives up after
// 20 s, and an answer after that would only count as a failure.
const webhookBudget = 18 * time.Second

// ProcessWebhook verifies and handles one webhook POST: the signature over
// the raw body first (EFORBIDDEN when missing or wrong), then the JSON
// (EINVALID when malformed), then every event in it, each exactly once
// across redeliveries. It returns only when every event is handled and
// answered; any other error means Meta should deliver the webhook again.
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
	var errs []error
	for _, e := range wh.Entry {
		for i := range e.Messaging {
			if err := c.processEvent(ctx, &e.Messaging[i]); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// processEvent claims the event, handles it, and records the outcome: done
// when handled (or when retrying cannot help), released for Meta's retry
// otherwise.
func (c *Channel) processEvent(ctx context.Context, m *messaging) error {
	if !m.relevant() {
		return nil
	}
	key := m.key()
	claimed, err := c.activities.BeginActivity(ctx, segmentbot.ChannelWorkplace, key, claimStale)
	if err != nil {
		return fmt.Errorf("workplace: claim event %s: %w", key, err)
	}
	if !claimed {
		c.log.Debug("event already handled", "event", key)
		return nil
	}
	err = c.handle(ctx, m, key)
	if err != nil && !retryHelps(err) {
		c.log.Warn("event dropped", "event", key, "sender", m.Sender.ID, "err", err)
		err = nil
	}
	if ferr := c.activities.FinishActivity(context.WithoutCancel(ctx), segmentbot.ChannelWorkplace, key, err == nil); ferr != nil {
		return errors.Join(err, fmt.Errorf("workplace: finish event %s: %w", key, ferr))
	}
	if err != nil {
		return fmt.Errorf("workplace: event %s: %w", key, err)
	}
	return nil
}

// handle records the sender, hands the event to the bot and sends its
// replies to the sender.
func (c *Channel) handle(ctx context.Context, m *messaging, key string) error {
	sender := senderUser(m)
	if err := c.users.UpsertUser(ctx, sender); err != nil {
		return fmt.Errorf("record sender %s: %w", m.Sender.ID, err)
	}
	// The stored entry may know more (email and name from a group sync),
	// which the bot needs to recognise admins.
	known, err := c.users.FindUserByID(ctx, sender.ID)
	if err != nil {
		return fmt.Errorf("read sender %s: %w", m.Sender.ID, err)
	}
	ev := c.event(m, key, known)
	resp, err := c.handler.HandleEvent(ctx, ev)
	if err != nil {
		return fmt.Errorf("handle %s event: %w", ev.Kind, err)
	}
	if resp == nil {
		return nil
	}
	// Card is the refreshed card of a Teams invoke; Meta has no invokes.
	to := recipient{ID: m.Sender.ID}
	for _, msg := range resp.Messages {
		if _, err := c.send(ctx, to, msg, messagingResponse); err != nil {
			return fmt.Errorf("reply: %w", err)
		}
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
