package scheduler

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/segmentbot/segmentbot"
)

// directoryQueue pages of the directory wait for the store at most: the
// reading of the next pages goes on while a batch is written.
const directoryQueue = 16

// SyncDirectory refreshes every known Teams user from the directory
// (SEGMENTBOT_DIRECTORY_SYNC, DESIGN §8): per tenant, the users that
// changed since the last sync (all of them the first time) give their
// attributes, and those gone from the directory are marked as left: those
// the directory reports removed or disabled, and, after a full read (the
// tenant's first sync, or one whose stored link the directory had
// expired), the known users it did not list. One
// run syncs each tenant once across replicas: a replica takes a tenant
// only with its lease and only if no sync of it finished since this run
// began. Afterwards rule segments follow the directory. One line logs
// what it did; a tenant that fails keeps its link, is reported, and does
// not stop the others.
func (s *Scheduler) SyncDirectory(ctx context.Context) error {
	if s.cfg.Directory == nil {
		return errors.New("directory sync: no directory to read")
	}
	began, t0 := s.cfg.Now(), time.Now()
	tenants, err := s.store.DirectoryTenants(ctx, segmentbot.ChannelTeams)
	if err != nil {
		return fmt.Errorf("directory sync: %w", err)
	}
	var (
		total  segmentbot.DirectoryChange
		synced int
		errs   []error
	)
	for _, tenant := range tenants {
		change, ok, err := s.syncTenant(ctx, tenant, began)
		total.Add(change)
		if ok {
			synced++
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	log := s.cfg.Logger.With("tenants", len(tenants), "synced", synced, "seen", total.Seen, "matched", total.Matched,
		"left", total.Left, "attributes_changed", total.Attributes, "failed", len(errs))
	if synced > 0 {
		rules, err := s.store.SyncRuleSegments(ctx)
		if err != nil {
			errs = append(errs, fmt.Errorf("directory sync: rule segments: %w", err))
		} else {
			log = log.With("rule_joined", rules.Joined, "rule_left", rules.Left)
		}
	}
	log.Info("directory sync", "duration", time.Since(t0).Round(time.Millisecond))
	return errors.Join(errs...)
}

// syncTenant syncs one tenant when this replica may; ok says it did.
func (s *Scheduler) syncTenant(ctx context.Context, tenant string, began time.Time) (segmentbot.DirectoryChange, bool, error) {
	link, ok, err := s.store.ClaimDirectorySync(ctx, segmentbot.ChannelTeams, tenant, s.cfg.Worker, began, s.cfg.DirectoryLease)
	if err != nil || !ok {
		return segmentbot.DirectoryChange{}, false, err
	}
	change, read, err := s.readTenant(ctx, tenant, link, began)
	if segmentbot.ErrorCode(err) == segmentbot.EFORBIDDEN {
		// A tenant whose directory this bot may not read: not a failure.
		s.cfg.Logger.Info("directory sync skips a tenant", "tenant", tenant, "reason", segmentbot.ErrorMessage(err))
		if ferr := s.store.FinishDirectorySync(ctx, segmentbot.ChannelTeams, tenant, s.cfg.Worker, ""); ferr != nil {
			return change, false, fmt.Errorf("directory sync of tenant %s: %w", tenant, ferr)
		}
		return change, false, nil
	}
	if err != nil {
		// The stored link stays: the next run reads these changes again.
		if ferr := s.store.FinishDirectorySync(context.WithoutCancel(ctx), segmentbot.ChannelTeams, tenant, s.cfg.Worker, ""); ferr != nil {
			s.cfg.Logger.Warn("directory sync: release of a failed tenant", "tenant", tenant, "err", ferr)
		}
		return change, true, fmt.Errorf("directory sync of tenant %s: %w", tenant, err)
	}
	if read.Full {
		// A full read lists only the users who exist now: every page is
		// written, so the known users it did not stamp are gone.
		left, err := s.store.MarkUnseenLeft(ctx, segmentbot.ChannelTeams, tenant, began)
		if err != nil {
			// As a failed read: no link is stored, the next run reads
			// every user again.
			if ferr := s.store.FinishDirectorySync(context.WithoutCancel(ctx), segmentbot.ChannelTeams, tenant, s.cfg.Worker, ""); ferr != nil {
				s.cfg.Logger.Warn("directory sync: release of a failed tenant", "tenant", tenant, "err", ferr)
			}
			return change, true, fmt.Errorf("directory sync of tenant %s: %w", tenant, err)
		}
		change.Left += left
		if read.Expired {
			s.cfg.Logger.Warn("directory sync: the stored delta link had expired, so every user was read again",
				"tenant", tenant, "seen", change.Seen, "left", change.Left)
		}
	}
	if err := s.store.FinishDirectorySync(ctx, segmentbot.ChannelTeams, tenant, s.cfg.Worker, read.Link); err != nil {
		return change, true, fmt.Errorf("directory sync of tenant %s: %w", tenant, err)
	}
	return change, true, nil
}

// readTenant reads the tenant's directory from link and writes what it
// reads meanwhile, DirectoryBatch users to a transaction, stamped as seen
// at began, and returns the counts and what was read (the link for the
// next sync, and whether it was a full read).
func (s *Scheduler) readTenant(ctx context.Context, tenant, link string, began time.Time) (segmentbot.DirectoryChange, segmentbot.DirectoryRead, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	pages := make(chan []*segmentbot.User, directoryQueue)
	var change segmentbot.DirectoryChange
	written := make(chan error, 1)
	go func() {
		written <- s.writeDirectory(ctx, cancel, tenant, began, pages, &change)
	}()
	read, readErr := s.cfg.Directory.ReadDirectory(ctx, tenant, link, func(users []*segmentbot.User) error {
		select {
		case pages <- users:
			return nil
		case <-ctx.Done():
			return context.Cause(ctx)
		}
	})
	close(pages)
	if err := <-written; err != nil {
		return change, segmentbot.DirectoryRead{}, err
	}
	return change, read, readErr
}

// writeDirectory saves the pages in batches of DirectoryBatch users,
// DirectoryWriters transactions at a time, until the pages end or a write
// fails; a failed write stops the reading at once. Graph may report a
// user twice in one read, the later one newer: a batch holding a user of
// a batch still being written waits until the writes in flight are done,
// so the newer one is written last.
func (s *Scheduler) writeDirectory(ctx context.Context, stop context.CancelCauseFunc, tenant string, began time.Time, pages <-chan []*segmentbot.User, change *segmentbot.DirectoryChange) error {
	type job struct {
		users []*segmentbot.User
		done  chan struct{}
	}
	jobs := make(chan job)
	var (
		mu       sync.Mutex
		firstErr error
		wg       sync.WaitGroup
	)
	for range s.cfg.DirectoryWriters {
		wg.Go(func() {
			for j := range jobs {
				c, err := s.store.SaveDirectoryUsers(ctx, segmentbot.ChannelTeams, tenant, s.cfg.Worker, s.cfg.DirectoryLease, began, j.users)
				mu.Lock()
				change.Add(c)
				if err != nil && firstErr == nil {
					firstErr = err
					stop(err)
				}
				mu.Unlock()
				close(j.done)
			}
		})
	}
	var (
		batch    = make([]*segmentbot.User, 0, s.cfg.DirectoryBatch)
		inFlight = map[string]bool{} // AAD ids sent since the last wait
		sent     []chan struct{}
	)
	send := func() {
		if len(batch) == 0 || ctx.Err() != nil {
			return
		}
		for _, u := range batch {
			if inFlight[u.AADObjectID] {
				for _, done := range sent {
					<-done
				}
				inFlight, sent = map[string]bool{}, nil
				break
			}
		}
		j := job{users: batch, done: make(chan struct{})}
		select {
		case jobs <- j:
			for _, u := range batch {
				inFlight[u.AADObjectID] = true
			}
			sent = append(sent, j.done)
		case <-ctx.Done():
		}
		batch = make([]*segmentbot.User, 0, s.cfg.DirectoryBatch)
	}
	for users := range pages {
		batch = append(batch, users...)
		if len(batch) >= s.cfg.DirectoryBatch {
			send()
		}
	}
	send()
	close(jobs)
	wg.Wait()
	if firstErr == nil && ctx.Err() != nil {
		// The reading failed or the job was stopped: some pages were
		// never written.
		return context.Cause(ctx)
	}
	return firstErr
}
