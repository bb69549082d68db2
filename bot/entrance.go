package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/segmentbot/segmentbot"
)

// staleClaim is how long a claimed activity may stay unfinished before a
// redelivery takes it over (the claimant died). The Bot Connector retries
// after about 15 s; Meta waits 20 s for an answer.
const staleClaim = 2 * time.Minute

// Entrance is the one door inbound activities come in by: it claims the
// activity id, stores the sender, hands the event to a Handler, delivers
// the reply and records the activity done, so a redelivered activity
// changes nothing and is answered once. Bot.Receive is an Entrance around
// the Bot; NewEntrance puts one around any other Handler (a channel's
// tests, a host bot's own handler).
type Entrance struct {
	handler    segmentbot.Handler
	users      segmentbot.UserService
	activities segmentbot.ActivityService
	log        *slog.Logger
	now        func() time.Time
	senders    *senderCache
	// recordsOnce says whether the handler changes ev with at most one
	// Join or Leave, which then record the activity in their own commit.
	recordsOnce func(ev segmentbot.Event) bool
	// profile fills a stored sender's missing name or email from the
	// channel (optional).
	profile func(ctx context.Context, u *segmentbot.User) error
}

var _ segmentbot.Receiver = (*Entrance)(nil)

// NewEntrance returns the entrance of h, storing senders in users and
// activity claims in activities.
func NewEntrance(h segmentbot.Handler, users segmentbot.UserService, activities segmentbot.ActivityService) *Entrance {
	return &Entrance{handler: h, users: users, activities: activities, log: slog.Default(), now: time.Now,
		senders: newSenderCache(10*time.Minute, 100_000)}
}

// Receive implements segmentbot.Receiver.
func (e *Entrance) Receive(ctx context.Context, in segmentbot.Inbound) (*segmentbot.Response, error) {
	if in.ID == "" {
		return nil, segmentbot.Errorf(segmentbot.EINVALID, "The %s activity has no id.", in.Kind)
	}
	if len(in.Claims) == 0 && in.Prepare == nil && e.recordsOnce != nil && e.recordsOnce(in.Event) {
		return e.receiveOnce(ctx, in)
	}
	claimed, err := e.claim(ctx, in)
	if err != nil || claimed == nil {
		return nil, err
	}
	resp, err := e.run(ctx, &in)
	if err != nil {
		return nil, errors.Join(err, e.finish(ctx, in.Channel, claimed, false))
	}
	return resp, e.finish(ctx, in.Channel, claimed, true)
}

// receiveOnce runs an activity whose one change records it (see
// segmentbot.Once): claim and change are one commit. A redelivery changes
// nothing and gets no reply. When the handler changed nothing (a tampered
// button, a deleted segment), the activity is recorded here before its
// reply, so a redelivery gets no second one either.
func (e *Entrance) receiveOnce(ctx context.Context, in segmentbot.Inbound) (*segmentbot.Response, error) {
	once := &segmentbot.Once{Channel: in.Channel, ID: in.ID}
	if err := e.storeSender(ctx, &in.Sender); err != nil {
		return nil, err
	}
	resp, err := e.handle(segmentbot.WithOnce(ctx, once), in.Event)
	if errors.Is(err, segmentbot.ErrRepeated) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	if !once.Taken() {
		claimed, err := e.claim(ctx, in)
		if err != nil || claimed == nil {
			return nil, err
		}
		if err := e.finish(ctx, in.Channel, claimed, true); err != nil {
			return nil, err
		}
	}
	if err := e.reply(ctx, in, resp); err != nil {
		// The change is stored and recorded: a retry would find it done.
		e.log.Error("bot: reply to a recorded activity not delivered", "activity", in.ID, "err", err)
	}
	return resp, nil
}

// claim claims the activity and its twins. It returns the ids claimed, or
// nil (and no error) when one was handled already.
func (e *Entrance) claim(ctx context.Context, in segmentbot.Inbound) ([]string, error) {
	var claimed []string
	for _, id := range append([]string{in.ID}, in.Claims...) {
		ok, err := e.activities.BeginActivity(ctx, in.Channel, id, staleClaim)
		if err != nil {
			return nil, errors.Join(fmt.Errorf("bot: claiming activity %s: %w", id, err), e.finish(ctx, in.Channel, claimed, false))
		}
		if !ok {
			// Redelivered, or the twin was first: done already.
			return nil, e.finish(ctx, in.Channel, claimed, true)
		}
		claimed = append(claimed, id)
	}
	return claimed, nil
}

// finish records the claimed ids done (ok) or releases them for a retry.
func (e *Entrance) finish(ctx context.Context, channel string, ids []string, ok bool) error {
	var first error
	for _, id := range ids {
		if err := e.activities.FinishActivity(context.WithoutCancel(ctx), channel, id, ok); err != nil && first == nil {
			first = fmt.Errorf("bot: finishing activity %s: %w", id, err)
		}
	}
	return first
}

// run stores the sender, prepares, handles, replies, and then starts what
// the reply announced.
func (e *Entrance) run(ctx context.Context, in *segmentbot.Inbound) (*segmentbot.Response, error) {
	if err := e.storeSender(ctx, &in.Sender); err != nil {
		return nil, err
	}
	if in.Prepare != nil {
		if err := in.Prepare(ctx); err != nil {
			return nil, err
		}
	}
	var steps afterReply
	resp, err := e.handle(context.WithValue(ctx, afterReplyKey{}, &steps), in.Event)
	if err != nil {
		return nil, err
	}
	if err := e.reply(ctx, *in, resp); err != nil {
		return nil, err
	}
	for _, step := range steps {
		if err := step(ctx); err != nil {
			return nil, err
		}
	}
	return resp, nil
}

func (e *Entrance) handle(ctx context.Context, ev segmentbot.Event) (*segmentbot.Response, error) {
	resp, err := e.handler.HandleEvent(ctx, ev)
	if err != nil {
		return nil, fmt.Errorf("bot: handling %s activity %s: %w", ev.Kind, ev.ID, err)
	}
	return resp, nil
}

func (e *Entrance) reply(ctx context.Context, in segmentbot.Inbound, resp *segmentbot.Response) error {
	if in.Reply == nil || resp == nil {
		return nil
	}
	if err := in.Reply(ctx, resp); err != nil {
		return fmt.Errorf("bot: replying to activity %s: %w", in.ID, err)
	}
	return nil
}

// storeSender stores the sender (or finds it stored, unchanged, a moment
// ago) and fills u with the stored entry, which may know more than the
// activity (an email from a roster, a name from a profile look-up).
func (e *Entrance) storeSender(ctx context.Context, u *segmentbot.User) error {
	now := e.now()
	if e.senders.fill(u, now) {
		return nil
	}
	incoming := *u
	if err := e.users.UpsertUser(ctx, u); err != nil {
		return fmt.Errorf("bot: storing sender %s: %w", u.ExternalID, err)
	}
	if u.Email == "" || u.Name == "" {
		known, err := e.users.FindUserByID(ctx, u.ID)
		if err != nil {
			return fmt.Errorf("bot: reading sender %s: %w", u.ExternalID, err)
		}
		*u = *known
	}
	if (u.Email == "" || u.Name == "") && e.profile != nil {
		if err := e.fillProfile(ctx, u); err != nil {
			// The activity still counts; the member list shows what is known.
			e.log.Warn("bot: sender's profile not found", "user", u.ID, "channel", u.Channel, "err", err)
		}
	}
	e.senders.remember(&incoming, u, now)
	return nil
}

// fillProfile asks the channel for the sender's name and email (and the
// directory attributes it may give) and stores what it said.
func (e *Entrance) fillProfile(ctx context.Context, u *segmentbot.User) error {
	name, email := u.Name, u.Email
	if err := e.profile(ctx, u); err != nil {
		return err
	}
	if u.Name == name && u.Email == email && u.Attributes == nil {
		return nil
	}
	if err := e.users.UpsertUser(ctx, u); err != nil {
		return fmt.Errorf("bot: storing the profile of sender %s: %w", u.ExternalID, err)
	}
	return nil
}

// afterReply is what a handler starts only once its reply is delivered:
// queuing an import whose progress card must follow the "Got it".
type afterReply []func(ctx context.Context) error

type afterReplyKey struct{}

// afterReplied runs step once the reply to the current activity is
// delivered, or at once outside the entrance (a direct HandleEvent).
func afterReplied(ctx context.Context, step func(ctx context.Context) error) error {
	if steps, ok := ctx.Value(afterReplyKey{}).(*afterReply); ok {
		*steps = append(*steps, step)
		return nil
	}
	return step(ctx)
}
