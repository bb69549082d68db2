package scheduler

import (
	"context"
	"fmt"
	"time"

	"github.com/segmentbot/segmentbot"
)

// stuckScan is how many recent imports the stuck-import watch looks at.
const stuckScan = 1000

// DeleteOldImports removes finished imports and their reports that
// finished more than Retention ago.
func (s *Scheduler) DeleteOldImports(ctx context.Context) error {
	return s.retain(ctx, "report retention", s.cfg.Retention, s.store.DeleteImportsBefore)
}

// DeleteOldActivities forgets the processed activity ids older than
// ActivityRetention: without it the table every activity writes to grows
// for ever.
func (s *Scheduler) DeleteOldActivities(ctx context.Context) error {
	return s.retain(ctx, "activity retention", s.cfg.ActivityRetention, s.store.DeleteActivitiesBefore)
}

// DeleteOldDrafts removes broadcast previews written more than
// DraftRetention ago: each holds a whole message, and nothing else ever
// deletes them.
func (s *Scheduler) DeleteOldDrafts(ctx context.Context) error {
	return s.retain(ctx, "draft retention", s.cfg.DraftRetention, s.store.DeleteDraftsBefore)
}

// retain runs del for what is older than keep and logs how much went.
func (s *Scheduler) retain(ctx context.Context, what string, keep time.Duration, del func(context.Context, time.Time) (int64, error)) error {
	before := s.cfg.Now().Add(-keep)
	n, err := del(ctx, before)
	if err != nil {
		return fmt.Errorf("%s before %s: %w", what, before.Format("2006-01-02T15:04:05Z07:00"), err)
	}
	s.cfg.Logger.Info(what, "deleted", n, "before", before)
	return nil
}

// ReportStuckImports logs imports that have been processing for longer
// than StuckAfter and returns them. Recovery itself needs nothing here:
// a worker that dies stops renewing its lease and another claims the
// import; this watch makes an import that never ends visible.
func (s *Scheduler) ReportStuckImports(ctx context.Context) ([]*segmentbot.Import, error) {
	imports, err := s.store.FindImports(ctx, 0, stuckScan)
	if err != nil {
		return nil, fmt.Errorf("find imports: %w", err)
	}
	cutoff := s.cfg.Now().Add(-s.cfg.StuckAfter)
	var stuck []*segmentbot.Import
	for _, imp := range imports {
		if imp.Status != segmentbot.ImportProcessing {
			continue
		}
		started := imp.CreatedAt
		if imp.StartedAt != nil {
			started = *imp.StartedAt
		}
		if started.Before(cutoff) {
			stuck = append(stuck, imp)
			s.cfg.Logger.Warn("import stuck in processing",
				"import", imp.ID, "segment", imp.SegmentID, "phase", imp.Phase, "started", started)
		}
	}
	return stuck, nil
}
