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
// the import, once each; when both came through REST, every configured
// admin the bot can reach (DESIGN §6). It returns how many were new.
func (s *Scheduler) createWarnings(ctx context.Context) (int, error) {
	late, err := s.store.FindLateUploads(ctx, s.cfg.Now(), s.cfg.LargeUpload, s.cfg.LeadTime)
	if err != nil {
		return 0, fmt.Errorf("find late uploads: %w", err)
	}
	created := 0
	var errs []error
	var admins []int64 // looked up once, when a late upload needs them
	for _, lu := range late {
		to := recipients(lu.Broadcast.CreatedBy, lu.Import.UploadedBy)
		if len(to) == 0 {
			if admins == nil {
				if admins, err = s.reachableAdmins(ctx); err != nil {
					errs = append(errs, err)
					continue
				}
			}
			to = admins
		}
		for _, userID := range to {
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

// reachableAdmins lists the ids of the configured admins the bot can
// reach, never nil (an empty list when there are none).
func (s *Scheduler) reachableAdmins(ctx context.Context) ([]int64, error) {
	ids := []int64{}
	if s.cfg.Admins == nil {
		return ids, nil
	}
	users, err := s.cfg.Admins(ctx)
	if err != nil {
		return nil, fmt.Errorf("find the admins to warn: %w", err)
	}
	for _, u := range users {
		ids = append(ids, u.ID)
	}
	if len(ids) == 0 {
		s.cfg.Logger.Warn("a late upload made through REST warns nobody: no configured admin has talked to the bot yet")
	}
	return append([]int64{}, recipients(ids...)...), nil
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
