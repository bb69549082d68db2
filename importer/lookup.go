package importer

import (
	"context"
	"fmt"
	"time"

	"github.com/segmentbot/segmentbot"
)

// lookupChunk is how many misses go to the directory at a time; the
// results of each chunk are saved before the next, so a restart repeats at
// most one chunk.
var lookupChunk = 1000

// lookupAttempts and lookupBackoff bound retries of a failing directory
// before its misses are recorded as lookup_error.
var (
	lookupAttempts = 3
	lookupBackoff  = time.Second
)

// lookUp sends the misses of the resolved import to the channel's
// directory and records what it said. Without a directory every miss is
// not_found. Meanwhile the rows the directory knew are applied
// (ApplyKnown), unless that was done already: the lookups wait on the
// directory's rate limit, the apply on the database.
func (r *Runner) lookUp(ctx context.Context, imp *segmentbot.Import, prog *progress) error {
	misses, err := r.Store.ImportMisses(ctx, imp.ID)
	if err != nil {
		return fmt.Errorf("list misses: %w", err)
	}
	if len(misses) == 0 || imp.Partial {
		return r.lookUpMisses(ctx, imp, prog, misses)
	}
	applied := make(chan error, 1)
	go func() { applied <- r.Store.ApplyKnown(ctx, imp.ID) }()
	err = r.lookUpMisses(ctx, imp, prog, misses)
	if aerr := <-applied; aerr != nil && err == nil {
		err = fmt.Errorf("apply the directory's rows: %w", aerr)
	}
	return err
}

// lookUpMisses asks the directory about misses, a chunk at a time.
func (r *Runner) lookUpMisses(ctx context.Context, imp *segmentbot.Import, prog *progress, misses []segmentbot.Miss) error {
	tenant, err := r.tenantOf(ctx, imp)
	if err != nil {
		return err
	}
	dir := r.Directories[imp.Channel]
	for done := 0; done < len(misses); done += lookupChunk {
		prog.set(segmentbot.PhaseResolved, int64(done), int64(len(misses)))
		chunk := misses[done:min(done+lookupChunk, len(misses))]
		results := notFound(chunk)
		if dir != nil {
			results = lookupWithRetry(ctx, dir, tenant, chunk)
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := r.Store.SaveLookups(ctx, imp.ID, results); err != nil {
			return fmt.Errorf("save lookups: %w", err)
		}
		if err := r.stepDone("lookup chunk"); err != nil {
			return err
		}
	}
	return r.Store.SetImportPhase(ctx, imp.ID, segmentbot.PhaseLookedUp, int64(len(misses)))
}

// tenantOf is the tenant the uploader belongs to; "" for API imports.
func (r *Runner) tenantOf(ctx context.Context, imp *segmentbot.Import) (string, error) {
	if imp.UploadedBy == 0 {
		return "", nil
	}
	u, err := r.Store.FindUserByID(ctx, imp.UploadedBy)
	if err != nil {
		return "", fmt.Errorf("find uploader: %w", err)
	}
	return u.TenantID, nil
}

// lookupWithRetry asks dir about chunk, retrying failures; misses the
// directory never answered for become lookup_error.
func lookupWithRetry(ctx context.Context, dir segmentbot.Directory, tenant string, chunk []segmentbot.Miss) []segmentbot.LookupResult {
	for attempt := 1; ; attempt++ {
		results, err := dir.Lookup(ctx, tenant, chunk)
		if err == nil {
			return complete(chunk, results)
		}
		if attempt >= lookupAttempts || ctx.Err() != nil {
			return withReason(chunk, segmentbot.ReasonLookupError)
		}
		select {
		case <-ctx.Done():
		case <-time.After(lookupBackoff * time.Duration(attempt)):
		}
	}
}

// complete gives a lookup_error result to every miss the directory left
// out, so no row stays undecided.
func complete(chunk []segmentbot.Miss, results []segmentbot.LookupResult) []segmentbot.LookupResult {
	answered := make(map[segmentbot.Miss]bool, len(results))
	for _, res := range results {
		answered[res.Miss] = true
	}
	for _, m := range chunk {
		if !answered[m] {
			results = append(results, segmentbot.LookupResult{Miss: m, Reason: segmentbot.ReasonLookupError})
		}
	}
	return results
}

func notFound(chunk []segmentbot.Miss) []segmentbot.LookupResult {
	return withReason(chunk, segmentbot.ReasonNotFound)
}

func withReason(chunk []segmentbot.Miss, reason string) []segmentbot.LookupResult {
	results := make([]segmentbot.LookupResult, len(chunk))
	for i, m := range chunk {
		results[i] = segmentbot.LookupResult{Miss: m, Reason: reason}
	}
	return results
}
