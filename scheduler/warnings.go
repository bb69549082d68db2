package scheduler

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/segmentbot/segmentbot"
)

// CheckNow applies the lead-time rule once and delivers the warnings that
// are due. It runs on the WarnSpec clock, and the caller runs it at once
// when a large import finishes or a broadcast is scheduled. A call waits
// for a check already running in this replica (or for ctx) rather than
// running beside it.
//
// Every recipient's warning is written before anything is sent, and sent
// only by the replica holding its lease, so each is delivered once across
// replicas and restarts; a failed send is retried on a later check.
func (s *Scheduler) CheckNow(ctx context.Context) error {
	select {
	case s.check <- struct{}{}:
	case <-ctx.Done():
		return fmt.Errorf("warning check: %w", ctx.Err())
	}
	defer func() { <-s.check }()
	return s.checkLocked(ctx)
}

// scheduledCheck is the cron run: it skips when a check is still running
// instead of queueing behind it.
func (s *Scheduler) scheduledCheck(ctx context.Context) error {
	select {
	case s.check <- struct{}{}:
	default:
		s.cfg.Logger.Info("warning check skipped: the previous one is still running")
		return nil
	}
	defer func() { <-s.check }()
	return s.checkLocked(ctx)
}

func (s *Scheduler) checkLocked(ctx context.Context) error {
	created, findErr := s.createWarnings(ctx)
	d, deliverErr := s.deliverWarnings(ctx)
	s.cfg.Logger.Info("warning check",
		"created", created, "sent", d.sent, "retry", d.retry, "failed", d.failed, "worker", s.cfg.Worker)
	return errors.Join(findErr, deliverErr)
}

// createWarnings writes one pending warning per recipient of every late
// upload: the admin who scheduled the broadcast and the one who uploaded
// the import, once each. It returns how many were new.
func (s *Scheduler) createWarnings(ctx context.Context) (int, error) {
	late, err := s.store.FindLateUploads(ctx, s.cfg.Now(), s.cfg.LargeUpload, s.cfg.LeadTime)
	if err != nil {
		return 0, fmt.Errorf("find late uploads: %w", err)
	}
	created := 0
	var errs []error
	for _, lu := range late {
		for _, userID := range recipients(lu.Broadcast.CreatedBy, lu.Import.UploadedBy) {
			w := &segmentbot.Warning{BroadcastID: lu.Broadcast.ID, ImportID: lu.Import.ID, UserID: userID}
			ok, err := s.store.CreateWarning(ctx, w)
			if err != nil {
				errs = append(errs, fmt.Errorf("create warning for broadcast %d, import %d, user %d: %w",
					lu.Broadcast.ID, lu.Import.ID, userID, err))
				continue
			}
			if ok {
				created++
			}
		}
	}
	return created, errors.Join(errs...)
}

// recipients lists the distinct, known user ids among ids (0 is the API).
func recipients(ids ...int64) []int64 {
	var out []int64
	for _, id := range ids {
		if id != 0 && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}
