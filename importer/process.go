package importer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/segmentbot/segmentbot"
)

// finishTimeout bounds sending the report of a finished import.
const finishTimeout = 30 * time.Second

// Process takes imp from its recorded phase to the end: download and stage
// the file (queued), resolve against the directory (staged), look up the
// misses live (resolved), apply (looked_up), then report. Every step is
// idempotent in the store, so Process may be killed between any two steps
// and run again. Files that cannot be read fail the import with a message
// for the admin; other errors are returned and the import is retried.
func (r *Runner) Process(ctx context.Context, imp *segmentbot.Import) (*segmentbot.Import, error) {
	return r.run(ctx, imp, true)
}

// finished reports whether the import needs no more work but its report.
func finished(imp *segmentbot.Import) bool {
	return imp.Phase == segmentbot.PhaseApplied || imp.Phase == segmentbot.PhaseDone
}

// run is Process; chat shows its progress and report when visible is set.
func (r *Runner) run(ctx context.Context, imp *segmentbot.Import, visible bool) (*segmentbot.Import, error) {
	if imp.Phase == segmentbot.PhaseDone {
		return imp, nil
	}
	began := r.now()
	prog := r.startProgress(ctx, imp, visible)
	defer prog.stop()
	lookedUp := false // every miss was looked up in this run
	for !finished(imp) {
		var err error
		var applied *segmentbot.Import
		stepBegan := r.now()
		switch imp.Phase {
		case segmentbot.PhaseQueued, segmentbot.PhaseReceiving:
			// A receiving import reaches a worker only when its upload
			// was abandoned: stage fails it for want of a file.
			err = r.stage(ctx, imp, prog)
		case segmentbot.PhaseStaged:
			prog.set(segmentbot.PhaseStaged, 0, imp.Total)
			err = r.Store.ResolveImport(ctx, imp.ID)
		case segmentbot.PhaseResolved:
			err = r.lookUp(ctx, imp, prog)
			lookedUp = err == nil
		default: // looked_up, or applied by a worker that died before the report
			applied, err = r.apply(ctx, imp, prog, lookedUp)
		}
		if err == nil {
			r.logger().Debug("import step done", "import", imp.ID, "phase", imp.Phase, "duration_ms", milliseconds(r.now().Sub(stepBegan)))
			err = r.stepDone(imp.Phase)
		}
		if err != nil {
			return imp, fmt.Errorf("import %d, phase %s: %w", imp.ID, imp.Phase, err)
		}
		if applied != nil && finished(applied) {
			imp = applied // no reload: the report must not hang on a stopping worker
		} else if imp, err = r.Store.FindImportByID(ctx, imp.ID); err != nil {
			return nil, fmt.Errorf("reload import: %w", err)
		}
	}
	if err := r.syncRules(ctx, imp); err != nil {
		return imp, err
	}
	// The import is finished for good: report it even if the worker is
	// being stopped. If the report cannot be delivered now, the phase
	// stays applied and a worker tries again when the lease runs out.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), finishTimeout)
	defer cancel()
	if err := prog.finish(ctx, imp); err != nil {
		return imp, err
	}
	if err := r.Store.MarkImportReported(ctx, imp.ID); err != nil {
		return imp, fmt.Errorf("mark import %d reported: %w", imp.ID, err)
	}
	imp.Phase = segmentbot.PhaseDone
	r.logger().Info("import finished", "import", imp.ID, "status", imp.Status, "rows", imp.Total,
		"added", imp.Added, "failed", imp.Failed, "duration_ms", milliseconds(r.now().Sub(began)))
	if r.OnFinish != nil {
		r.OnFinish(ctx, imp)
	}
	return imp, nil
}

// syncRules brings every rule segment in line with its rule after imp
// changed users' attributes, so their members follow the file (DESIGN
// §8). It runs again when a worker takes over an applied import whose
// report was not delivered: syncing twice changes nothing.
func (r *Runner) syncRules(ctx context.Context, imp *segmentbot.Import) error {
	rules, ok := r.Store.(segmentbot.AttributeService)
	if imp.AttributesUpdated == 0 || imp.Status == segmentbot.ImportFailed || !ok {
		return nil
	}
	change, err := rules.SyncRuleSegments(ctx)
	if err != nil {
		return fmt.Errorf("import %d: sync rule segments: %w", imp.ID, err)
	}
	r.logger().Info("rule segments synced after an import", "import", imp.ID,
		"attributes_updated", imp.AttributesUpdated, "joined", change.Joined, "left", change.Left)
	return nil
}

// apply looks up any misses left (a worker may have died between two
// chunks of lookups after the store recorded the phase), unless this run
// looked them all up, and applies.
func (r *Runner) apply(ctx context.Context, imp *segmentbot.Import, prog *progress, lookedUp bool) (*segmentbot.Import, error) {
	if !lookedUp {
		if err := r.lookUp(ctx, imp, prog); err != nil {
			return nil, err
		}
	}
	prog.set(segmentbot.PhaseLookedUp, imp.Total, imp.Total)
	return r.Store.ApplyImport(ctx, imp.ID)
}

// stage downloads and decodes the file into the staging table. A file that
// cannot be read fails the import.
func (r *Runner) stage(ctx context.Context, imp *segmentbot.Import, prog *progress) error {
	if imp.FileURL == "" {
		return r.Store.FailImport(ctx, imp.ID, "the upload did not finish; please send the file again")
	}
	if r.Fetcher == nil {
		return errors.New("no Fetcher to download files with")
	}
	body, err := r.Fetcher.Open(ctx, imp.FileURL)
	if err != nil {
		return r.failOnFileError(ctx, imp, err)
	}
	defer body.Close()
	_, err = stageRows(ctx, r.Store, imp.ID, body, func(rows int64) {
		prog.set(segmentbot.PhaseQueued, rows, 0)
	})
	return r.failOnFileError(ctx, imp, err)
}

// failOnFileError fails the import when err is the file's fault (a
// *segmentbot.Error) and returns any other error for a retry.
func (r *Runner) failOnFileError(ctx context.Context, imp *segmentbot.Import, err error) error {
	var e *segmentbot.Error
	if err == nil || !errors.As(err, &e) || ctx.Err() != nil {
		return err
	}
	return r.Store.FailImport(ctx, imp.ID, e.Message)
}

// errNoUsers fails an import whose file holds no data rows.
var errNoUsers = segmentbot.Errorf(segmentbot.EINVALID, "no users found")

// stageRows decodes body into the import's staging rows, calling onRow
// with the count so far. A file with no data rows returns errNoUsers.
func stageRows(ctx context.Context, store segmentbot.ImportService, id int64, body io.Reader, onRow func(int64)) (_ int64, err error) {
	rd, err := NewReader(body)
	if err != nil {
		return 0, err
	}
	next, stop := readAhead(ctx, rd)
	defer func() {
		// The decoder may be blocked reading: when the store gave up
		// early, closing the body frees it.
		if c, ok := body.(io.Closer); ok && err != nil {
			c.Close()
		}
		stop()
	}()
	var rows int64
	var readErr error // kept apart, since the store may not wrap it
	n, err := store.StageRows(ctx, id, func() (*segmentbot.StagedRow, error) {
		row, err := next()
		if err == nil {
			rows++
			if onRow != nil {
				onRow(rows)
			}
		} else if !isEOF(err) {
			readErr = err
		}
		return row, err
	})
	if readErr != nil {
		return 0, readErr
	}
	if err != nil {
		return n, fmt.Errorf("stage rows: %w", err)
	}
	if n == 0 {
		return 0, errNoUsers
	}
	return n, nil
}
