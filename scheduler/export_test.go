package scheduler

import "context"

// Hooks into the steps of a check, so tests can stop a replica between
// them as a crash would.

// CreateWarnings writes the pending warnings of the current late uploads
// and sends nothing.
func (s *Scheduler) CreateWarnings(ctx context.Context) (int, error) { return s.createWarnings(ctx) }

// ScheduledCheck is the run the cron clock makes.
func (s *Scheduler) ScheduledCheck(ctx context.Context) error { return s.scheduledCheck(ctx) }

// RunJob runs fn as the clock would run a job named name.
func (s *Scheduler) RunJob(name string, fn func(context.Context) error) { s.run(name, fn) }
