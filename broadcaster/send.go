package broadcaster

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/segmentbot/segmentbot"
)

// Send outcomes given to Config.OnSend.
const (
	OutcomeSent    = "sent"
	OutcomeFailed  = "failed"
	OutcomeRetried = "retried"
)

// sendOne sends to one recipient and hands the outcome on: a final one to
// the flusher (which gives the token back once it is recorded), a retry
// to the dispatcher (giving the token back at once: nothing went out).
// A send cut short by the end of ctx records nothing; its row stays
// pending and is sent again after the lease runs out.
func (d *delivery) sendOne(ctx context.Context, r *segmentbot.Recipient) {
	cfg := &d.b.cfg
	u := r.User
	attempts := r.Attempts + 1
	sender := cfg.Senders[u.Channel]
	if sender == nil {
		d.log().Warn("no sender for the recipient's channel", "user", u.ID, "channel", u.Channel)
		d.results <- segmentbot.DeliveryResult{UserID: u.ID, Status: segmentbot.DeliveryFailed,
			Reason: segmentbot.DeliveryNotReachable, Attempts: r.Attempts}
		return
	}
	start := time.Now()
	err := sender.SendBroadcast(ctx, u, d.msg)
	took := time.Since(start)
	if err != nil && ctx.Err() != nil {
		<-d.tokens
		return
	}
	status, reason, again, wait := classify(err)
	outcome := OutcomeSent
	switch {
	case err == nil:
	case again && attempts < cfg.MaxAttempts:
		outcome = OutcomeRetried
	default:
		outcome = OutcomeFailed
	}
	if cfg.OnSend != nil {
		cfg.OnSend(u.Channel, outcome, took)
	}
	if outcome != OutcomeRetried {
		if err != nil {
			d.log().Warn("broadcast not delivered", "user", u.ID, "attempts", attempts, "reason", reason, "err", err)
		}
		d.results <- segmentbot.DeliveryResult{UserID: u.ID, Status: status, Reason: reason, Attempts: attempts}
		return
	}
	if wait <= 0 {
		wait = backoff(cfg.Backoff, attempts)
	}
	at := cfg.Now().Add(wait)
	if throttled(err) {
		// The tenant is over its limit: every replica pauses, not one send.
		if herr := d.b.pace.hold(ctx, tenant(u), at); herr != nil && ctx.Err() == nil {
			d.log().Error("hold sends", "err", herr)
		}
	}
	d.log().Debug("send retried", "user", u.ID, "attempts", attempts, "wait", wait, "err", err)
	<-d.tokens
	select {
	case d.retries <- &retry{r: &segmentbot.Recipient{User: u, Attempts: attempts}, at: at}:
	case <-d.dispatched: // the dispatcher stopped: the row stays pending
	}
}

// classify turns a send error into the row's final status and reason,
// and says whether the send may be tried again and after how long (0:
// the broadcaster's backoff). Errors that are not a DeliveryFailure are
// transient: tried again, then error.
func classify(err error) (status, reason string, again bool, wait time.Duration) {
	if err == nil {
		return segmentbot.DeliverySent, "", false, 0
	}
	var f *segmentbot.DeliveryFailure
	if !errors.As(err, &f) {
		return segmentbot.DeliveryFailed, segmentbot.DeliveryError, true, 0
	}
	reason = f.Reason
	if reason == "" {
		reason = segmentbot.DeliveryError
	}
	status = segmentbot.DeliveryFailed
	if reason == segmentbot.DeliveryOptedOut {
		status = segmentbot.DeliverySkipped
	}
	return status, reason, f.Retry, f.RetryAfter
}

// throttled reports whether err says the tenant sends too fast (a 429).
// Other waits (a 503's Retry-After, an app install settling) concern the
// one send only.
func throttled(err error) bool {
	var f *segmentbot.DeliveryFailure
	return errors.As(err, &f) && f.Reason == segmentbot.DeliveryThrottled
}

// backoff is the delay before try attempts+1: base doubled per try
// already made, at most 32 times base, with ±50 % jitter so that the
// retries of a burst spread out.
func backoff(base time.Duration, attempts int) time.Duration {
	d := base << min(max(attempts-1, 0), 5)
	return d/2 + rand.N(d)
}
