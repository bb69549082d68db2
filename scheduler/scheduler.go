package scheduler

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/segmentbot/segmentbot"
)

// Links builds the links a warning carries. The caller signs them.
type Links interface {
	ReportURL(importID int64) string
}

// Scheduler runs the periodic jobs. Create it with New, add jobs, then
// Start; Stop waits for running jobs.
type Scheduler struct {
	cfg        Config
	store      segmentbot.Store
	messengers map[string]segmentbot.Messenger
	links      Links
	cron       *cron.Cron

	// check holds one token: a warning check runs only while holding it,
	// so overlapping runs in one replica never pile up.
	check chan struct{}

	ctx    context.Context // jobs' context, cancelled by Stop
	cancel context.CancelFunc
}

// New builds a scheduler with the built-in jobs: the warning check on
// WarnSpec, report, activity and draft retention, the stuck-import watch,
// the roster refresh on RosterSpec when cfg.RefreshRosters is set, and the
// directory sync on DirectorySpec when cfg.Directory is set. It returns an
// error for a bad spec or a missing store.
func New(cfg Config, store segmentbot.Store, messengers map[string]segmentbot.Messenger, links Links) (*Scheduler, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if store == nil {
		return nil, errors.New("scheduler: no store")
	}
	if links == nil {
		return nil, errors.New("scheduler: no links")
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Scheduler{
		cfg:        cfg,
		store:      store,
		messengers: messengers,
		links:      links,
		cron:       cron.New(cron.WithParser(parser), cron.WithLocation(time.UTC)),
		check:      make(chan struct{}, 1),
		ctx:        ctx,
		cancel:     cancel,
	}
	jobs := []job{
		{cfg.WarnSpec, "warnings", s.scheduledCheck},
		{"@daily", "retention", s.DeleteOldImports},
		{"@hourly", "activity-retention", s.DeleteOldActivities},
		{"@daily", "draft-retention", s.DeleteOldDrafts},
		{DefaultStuckSpec, "stuck-imports", func(ctx context.Context) error {
			_, err := s.ReportStuckImports(ctx)
			return err
		}},
	}
	if cfg.RefreshRosters != nil {
		jobs = append(jobs, job{cfg.RosterSpec, "rosters", cfg.RefreshRosters})
	}
	if cfg.Directory != nil && cfg.DirectorySpec != DirectoryOff {
		jobs = append(jobs, job{cfg.DirectorySpec, "directory", s.SyncDirectory})
	}
	for _, j := range jobs {
		if err := s.AddJob(j.spec, j.name, j.fn); err != nil {
			cancel()
			return nil, err
		}
	}
	return s, nil
}

// job is a periodic job: its cron spec, the name it logs, what it does.
type job struct {
	spec, name string
	fn         func(context.Context) error
}

// AddJob runs fn on spec under name. Every run logs its outcome; a panic
// is recovered and logged, never taking the process down.
func (s *Scheduler) AddJob(spec string, name string, fn func(context.Context) error) error {
	if err := ParseSpec(spec); err != nil {
		return fmt.Errorf("job %s: %w", name, err)
	}
	if _, err := s.cron.AddFunc(spec, func() { s.run(name, fn) }); err != nil {
		return fmt.Errorf("job %s: %w", name, err)
	}
	return nil
}

// Start starts the clock; jobs run in their own goroutines.
func (s *Scheduler) Start() {
	s.cron.Start()
	s.cfg.Logger.Info("scheduler started", "worker", s.cfg.Worker, "jobs", len(s.cron.Entries()))
}

// Stop stops the clock, cancels running jobs' context and waits for them
// to return or for ctx to end.
func (s *Scheduler) Stop(ctx context.Context) error {
	done := s.cron.Stop()
	s.cancel()
	select {
	case <-done.Done():
		return nil
	case <-ctx.Done():
		return fmt.Errorf("scheduler stop: jobs still running: %w", ctx.Err())
	}
}

// run executes one job run, logging its outcome and recovering a panic.
func (s *Scheduler) run(name string, fn func(context.Context) error) {
	start := time.Now()
	err := s.safely(name, fn)
	log := s.cfg.Logger.With("job", name, "duration", time.Since(start))
	if err != nil {
		log.Error("job failed", "err", err)
		return
	}
	log.Info("job done")
}

// safely calls fn with the jobs' context and turns a panic into an error.
func (s *Scheduler) safely(name string, fn func(context.Context) error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("job %s panicked: %v\n%s", name, r, debug.Stack())
		}
	}()
	return fn(s.ctx)
}
