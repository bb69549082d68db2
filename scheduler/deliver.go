package scheduler

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/segmentbot/segmentbot"
)

// delivery counts what one check did with the warnings it claimed.
type delivery struct {
	sent, retry, failed int
}

// deliverWarnings claims pending warnings in batches and sends each. A
// warning that comes back in the same check (its retry was released) is
// left for the next check, so one check never retries in a loop.
func (s *Scheduler) deliverWarnings(ctx context.Context) (delivery, error) {
	var d delivery
	var errs []error
	seen := map[int64]bool{}
	for ctx.Err() == nil {
		batch, err := s.store.ClaimWarnings(ctx, s.cfg.Worker, s.cfg.Lease, s.cfg.Batch)
		if err != nil {
			return d, errors.Join(append(errs, fmt.Errorf("claim warnings: %w", err))...)
		}
		fresh := 0
		for _, w := range batch {
			if seen[w.ID] {
				continue
			}
			seen[w.ID] = true
			fresh++
			if err := s.deliver(ctx, w, &d); err != nil {
				errs = append(errs, err)
			}
		}
		if fresh == 0 || len(batch) < s.cfg.Batch {
			break
		}
	}
	return d, errors.Join(errs...)
}

// deliver sends one claimed warning and records the attempt. Problems that
// a retry cannot fix (the user has no conversation, the broadcast is gone)
// give the warning up at once.
func (s *Scheduler) deliver(ctx context.Context, w *segmentbot.Warning, d *delivery) error {
	attempts := s.cfg.MaxAttempts
	sendErr := s.send(ctx, w)
	var giveUp *permanentError
	if errors.As(sendErr, &giveUp) {
		attempts = 1
	}
	errText := ""
	switch {
	case sendErr == nil:
		d.sent++
		if s.cfg.OnSent != nil {
			s.cfg.OnSent(w)
		}
	case attempts == 1 || w.Attempts+1 >= attempts:
		d.failed++
		errText = sendErr.Error()
	default:
		d.retry++
		errText = sendErr.Error()
	}
	if sendErr != nil {
		s.cfg.Logger.Warn("warning not delivered", "warning", w.ID, "user", w.UserID, "attempt", w.Attempts+1, "err", sendErr)
	}
	if err := s.store.MarkWarning(ctx, w.ID, s.cfg.Worker, errText, attempts); err != nil {
		return fmt.Errorf("mark warning %d: %w", w.ID, err)
	}
	return nil
}

// send builds the warning's message for its recipient and sends it. The
// send gets at most half the lease, so it never outlives our claim.
func (s *Scheduler) send(ctx context.Context, w *segmentbot.Warning) error {
	user, msg, err := s.compose(ctx, w)
	if err != nil {
		return err
	}
	m := s.messengers[user.Channel]
	if m == nil {
		return permanent("no messenger for channel %q of user %d", user.Channel, user.ID)
	}
	sendCtx, cancel := context.WithTimeout(ctx, s.cfg.Lease/2)
	defer cancel()
	if _, err := m.Send(sendCtx, user, msg); err != nil {
		switch segmentbot.ErrorCode(err) {
		case segmentbot.EFORBIDDEN, segmentbot.EGONE, segmentbot.ENOTFOUND, segmentbot.EINVALID:
			return &permanentError{fmt.Errorf("send to user %d: %w", user.ID, err)}
		}
		return fmt.Errorf("send to user %d: %w", user.ID, err)
	}
	return nil
}

// compose loads what the warning is about and renders it in the
// recipient's time zone.
func (s *Scheduler) compose(ctx context.Context, w *segmentbot.Warning) (*segmentbot.User, segmentbot.Message, error) {
	var none segmentbot.Message
	b, err := s.store.FindBroadcastByID(ctx, w.BroadcastID)
	if err != nil {
		return nil, none, gone(err, "broadcast %d", w.BroadcastID)
	}
	if b.Status != segmentbot.BroadcastScheduled {
		return nil, none, permanent("broadcast %d is %s", b.ID, b.Status)
	}
	if !b.ScheduledAt.After(s.cfg.Now()) {
		return nil, none, permanent("broadcast %d already took place at %s", b.ID, b.ScheduledAt.UTC().Format(time.RFC3339))
	}
	imp, err := s.store.FindImportByID(ctx, w.ImportID)
	if err != nil {
		return nil, none, gone(err, "import %d", w.ImportID)
	}
	seg, err := s.store.FindSegmentByID(ctx, b.SegmentID)
	if err != nil && segmentbot.ErrorCode(err) != segmentbot.ENOTFOUND {
		return nil, none, fmt.Errorf("find segment %d: %w", b.SegmentID, err)
	}
	user, err := s.store.FindUserByID(ctx, w.UserID)
	if err != nil {
		return nil, none, gone(err, "user %d", w.UserID)
	}
	if user.ConvRef == "" {
		return nil, none, permanent("user %d (%s) has no conversation with the bot to send a warning to; they must message the bot once", user.ID, user.Name)
	}
	loc := time.UTC
	if user.TimeZone != "" {
		if l, err := time.LoadLocation(user.TimeZone); err == nil {
			loc = l
		}
	}
	return user, WarningMessage(b, seg, imp, loc, s.links.ReportURL(imp.ID)), nil
}

// permanentError is a delivery problem a retry cannot fix.
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

func permanent(format string, args ...any) error {
	return &permanentError{fmt.Errorf(format, args...)}
}

// gone wraps a lookup error: a missing row is permanent, anything else
// (the database is down) is worth a retry.
func gone(err error, format string, args ...any) error {
	what := fmt.Sprintf(format, args...)
	if segmentbot.ErrorCode(err) == segmentbot.ENOTFOUND {
		return &permanentError{fmt.Errorf("%s no longer exists: %w", what, err)}
	}
	return fmt.Errorf("find %s: %w", what, err)
}
