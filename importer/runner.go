package importer

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/segmentbot/segmentbot"
)

// Links builds the signed download links a report offers.
type Links interface {
	ReportURL(importID int64) string
	MembersURL(segmentID int64) string
}

// Runner works through imports: Workers goroutines claim them from the
// store with a lease, so several replicas share the work and an import
// whose worker died is taken over once its lease runs out.
type Runner struct {
	Store       segmentbot.Store
	Directories map[string]segmentbot.Directory // by channel; a channel without one finds nobody live
	Messengers  map[string]segmentbot.Messenger // by channel, for progress and reports
	Fetcher     *Fetcher
	Links       Links
	Workers     int           // default 1
	Lease       time.Duration // default 1 minute; renewed at a third of it
	// ProgressEvery is the shortest gap between two progress updates
	// (default 2 s).
	ProgressEvery time.Duration
	Poll          time.Duration // how often idle workers look for work (default 5 s)
	// OnFinish, if set, runs after an import finished (the scheduler's
	// lead-time check).
	OnFinish func(ctx context.Context, imp *segmentbot.Import)
	Logger   *slog.Logger
	Now      func() time.Time

	once sync.Once
	wake chan struct{}
	// afterStep, set by tests, runs after each committed step; an error
	// stops Process there, as if the worker died.
	afterStep func(step string) error
}

func (r *Runner) init() {
	r.once.Do(func() { r.wake = make(chan struct{}, 1) })
}

// Wake makes an idle worker look for work at once; call it after creating
// an import.
func (r *Runner) Wake() {
	r.init()
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// Run works until ctx ends and returns nil then.
func (r *Runner) Run(ctx context.Context) error {
	r.init()
	prefix := workerPrefix()
	var wg sync.WaitGroup
	for i := range max(r.Workers, 1) {
		wg.Go(func() { r.work(ctx, fmt.Sprintf("%s-%d", prefix, i)) })
	}
	wg.Wait()
	return nil
}

// work claims and processes imports, one at a time, until ctx ends.
func (r *Runner) work(ctx context.Context, worker string) {
	for ctx.Err() == nil {
		imp, err := r.Store.ClaimImport(ctx, worker, r.lease())
		if err != nil && ctx.Err() == nil {
			r.logger().Error("claim import", "worker", worker, "err", err)
		}
		if err != nil || imp == nil {
			r.idle(ctx)
			continue
		}
		r.processLeased(ctx, worker, imp)
	}
}

// idle waits for Wake, the poll interval or the end.
func (r *Runner) idle(ctx context.Context) {
	t := time.NewTimer(r.poll())
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-r.wake:
	case <-t.C:
	}
}

// processLeased runs Process while renewing the lease; losing the lease
// stops the work, since another worker owns the import then.
func (r *Runner) processLeased(ctx context.Context, worker string, imp *segmentbot.Import) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		t := time.NewTicker(r.lease() / 3)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if err := r.Store.RenewImport(ctx, imp.ID, worker, r.lease()); err != nil && ctx.Err() == nil {
					r.logger().Warn("import lease lost", "import", imp.ID, "worker", worker, "err", err)
					cancel()
					return
				}
			}
		}
	}()
	if _, err := r.Process(ctx, imp); err != nil && ctx.Err() == nil {
		r.logger().Error("process import", "import", imp.ID, "worker", worker, "err", err)
	}
}

func workerPrefix() string {
	host, _ := os.Hostname()
	b := make([]byte, 4)
	rand.Read(b)
	return fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b))
}

func (r *Runner) lease() time.Duration {
	if r.Lease <= 0 {
		return time.Minute
	}
	return r.Lease
}

func (r *Runner) poll() time.Duration {
	if r.Poll <= 0 {
		return 5 * time.Second
	}
	return r.Poll
}

func (r *Runner) progressEvery() time.Duration {
	if r.ProgressEvery <= 0 {
		return 2 * time.Second
	}
	return r.ProgressEvery
}

func (r *Runner) logger() *slog.Logger {
	if r.Logger == nil {
		return slog.Default()
	}
	return r.Logger
}

func (r *Runner) stepDone(step string) error {
	if r.afterStep == nil {
		return nil
	}
	return r.afterStep(step)
}

// now is the runner's clock: Now, or the wall clock. Durations in its
// log lines are measured with it.
func (r *Runner) now() time.Time {
	if r.Now == nil {
		return time.Now()
	}
	return r.Now()
}

// milliseconds is d for a log's duration_ms, to the microsecond.
func milliseconds(d time.Duration) float64 {
	return float64(d.Microseconds()) / 1000
}
