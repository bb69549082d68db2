package importer

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/segmentbot/segmentbot"
)

// StartUpload creates an import from a file uploaded over REST (or any
// body at hand) and stages it at once, streaming, so a worker carries on
// from the staged phase. imp names the segment, channel ("api"), file name
// and uploader. A file that cannot be read, or holds no users, fails the
// import: the failed import is returned together with the *segmentbot.Error
// saying why.
func StartUpload(ctx context.Context, store segmentbot.Store, imp *segmentbot.Import, body io.Reader) (*segmentbot.Import, error) {
	// Receiving: no worker claims it until StageRows has committed.
	imp.FileURL, imp.Phase = "", segmentbot.PhaseReceiving
	if err := store.CreateImport(ctx, imp); err != nil {
		return nil, fmt.Errorf("create import: %w", err)
	}
	if _, err := stageRows(ctx, store, imp.ID, body, nil); err != nil {
		return failUpload(ctx, store, imp, err)
	}
	return reload(ctx, store, imp.ID)
}

// RunNow imports values (the addresses an admin pasted after "add to
// <segment>") synchronously, through the same phases a worker runs, and
// returns the finished import with its report rows. Blank values are
// skipped; row numbers count the others from 1. imp names the segment,
// channel and uploader; its progress is not shown in chat, since the
// caller answers with the result. A list without a single value fails the
// import with "no users found".
func (r *Runner) RunNow(ctx context.Context, imp *segmentbot.Import, values []string) (*segmentbot.Import, []*segmentbot.ImportRow, error) {
	imp.FileURL, imp.Phase = "", segmentbot.PhaseReceiving
	if err := r.Store.CreateImport(ctx, imp); err != nil {
		return nil, nil, fmt.Errorf("create import: %w", err)
	}
	// The caller runs it: hold the lease so no worker runs it too.
	if _, err := r.Store.ClaimImportByID(ctx, imp.ID, "now-"+workerPrefix(), r.lease()); err != nil {
		return nil, nil, fmt.Errorf("lease import %d: %w", imp.ID, err)
	}
	n, err := r.Store.StageRows(ctx, imp.ID, valueRows(values))
	if err != nil {
		return nil, nil, fmt.Errorf("stage rows: %w", err)
	}
	if n == 0 {
		done, err := failUpload(ctx, r.Store, imp, errNoUsers)
		if done != nil {
			// The caller tells the admin; no worker needs to.
			if merr := r.Store.MarkImportReported(ctx, done.ID); merr != nil {
				return nil, nil, fmt.Errorf("mark import %d reported: %w", done.ID, merr)
			}
		}
		return done, nil, err
	}
	staged, err := reload(ctx, r.Store, imp.ID)
	if err != nil {
		return nil, nil, err
	}
	done, err := r.run(ctx, staged, false)
	if err != nil {
		return nil, nil, err
	}
	var rows []*segmentbot.ImportRow
	err = r.Store.EachImportRow(ctx, done.ID, func(row *segmentbot.ImportRow) error {
		rows = append(rows, row)
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("list import rows: %w", err)
	}
	return done, rows, nil
}

// valueRows yields pasted values as staged rows.
func valueRows(values []string) func() (*segmentbot.StagedRow, error) {
	var row int64
	return func() (*segmentbot.StagedRow, error) {
		for len(values) > 0 {
			v := clean(values[0])
			values = values[1:]
			if v == "" {
				continue
			}
			row++
			norm, kind, note := Normalize(v)
			return &segmentbot.StagedRow{Row: row, Value: v, Norm: norm, Kind: kind, Note: note}, nil
		}
		return nil, io.EOF
	}
}

// failUpload fails imp for a file error and returns it with the error; an
// error that is not the file's fault is returned alone.
func failUpload(ctx context.Context, store segmentbot.Store, imp *segmentbot.Import, cause error) (*segmentbot.Import, error) {
	var e *segmentbot.Error
	if !errors.As(cause, &e) {
		return nil, cause
	}
	if err := store.FailImport(ctx, imp.ID, e.Message); err != nil {
		return nil, fmt.Errorf("fail import: %w", err)
	}
	failed, err := reload(ctx, store, imp.ID)
	if err != nil {
		return nil, err
	}
	return failed, e
}

func reload(ctx context.Context, store segmentbot.Store, id int64) (*segmentbot.Import, error) {
	imp, err := store.FindImportByID(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("reload import: %w", err)
	}
	return imp, nil
}
