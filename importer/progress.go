package importer

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/segmentbot/segmentbot"
)

// progress keeps the uploader informed: a card sent at the start, updated
// in place at most every ProgressEvery, and turned into the report at the
// end. Channels that cannot edit messages get milestones instead (start,
// halfway, report). An import without an uploader in chat gets none.
type progress struct {
	r       *Runner
	imp     *segmentbot.Import
	segment *segmentbot.Segment
	to      *segmentbot.User
	m       segmentbot.Messenger
	msgID   string

	mu         sync.Mutex
	state      progressState
	changed    bool
	milestones bool // the channel cannot edit: send milestones instead
	halfway    bool // the halfway milestone was sent

	stopOnce sync.Once
	stopped  chan struct{}
	done     chan struct{}
}

// progressState is where an import stands within its current phase.
type progressState struct {
	phase       string
	done, total int64
}

// startProgress sends the progress card (or adopts the one a previous
// worker sent) and starts the updates.
func (r *Runner) startProgress(ctx context.Context, imp *segmentbot.Import, visible bool) *progress {
	p := &progress{r: r, imp: imp, state: progressState{phase: imp.Phase, total: imp.Total}, stopped: make(chan struct{}), done: make(chan struct{})}
	p.segment, _ = r.Store.FindSegmentByID(ctx, imp.SegmentID)
	p.m = r.Messengers[imp.Channel]
	if !visible || imp.UploadedBy == 0 || p.m == nil {
		close(p.done)
		return p
	}
	to, err := r.Store.FindUserByID(ctx, imp.UploadedBy)
	if err != nil {
		r.logger().Warn("import progress: find uploader", "import", imp.ID, "err", err)
		close(p.done)
		return p
	}
	p.to, p.msgID = to, imp.ProgressMsg
	if p.msgID == "" {
		id, err := p.m.Send(ctx, to, progressMessage(imp, p.segment, p.state))
		if err != nil {
			r.logger().Warn("import progress: send card", "import", imp.ID, "err", err)
		} else if err := r.Store.SetImportMessage(ctx, imp.ID, id); err != nil {
			r.logger().Warn("import progress: save card id", "import", imp.ID, "err", err)
		}
		p.msgID = id
	}
	go p.loop(ctx)
	return p
}

// set records where the import stands; cheap enough to call for every row.
func (p *progress) set(phase string, done, total int64) {
	p.mu.Lock()
	p.state, p.changed = progressState{phase, done, total}, true
	p.mu.Unlock()
}

// loop shows the latest state, if it changed, a full ProgressEvery after
// the previous update ended: never two within ProgressEvery.
func (p *progress) loop(ctx context.Context) {
	defer close(p.done)
	t := time.NewTimer(p.r.progressEvery())
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-p.stopped:
			return
		case <-t.C:
			p.show(ctx)
			t.Reset(p.r.progressEvery())
		}
	}
}

// show updates the card, or sends the halfway milestone on channels that
// cannot edit.
func (p *progress) show(ctx context.Context) {
	p.mu.Lock()
	st, changed, milestones := p.state, p.changed, p.milestones
	p.changed = false
	p.mu.Unlock()
	if !changed {
		return
	}
	msg := progressMessage(p.imp, p.segment, st)
	if !milestones && p.msgID != "" {
		err := p.m.Update(ctx, p.to, p.msgID, msg)
		if err == nil {
			return
		}
		if segmentbot.ErrorCode(err) != segmentbot.EINVALID {
			p.r.logger().Warn("import progress: update card", "import", p.imp.ID, "err", err)
			return
		}
		p.mu.Lock()
		p.milestones = true
		p.mu.Unlock()
	}
	if percent(st) >= 50 && !p.halfway {
		p.halfway = true
		if _, err := p.m.Send(ctx, p.to, msg); err != nil {
			p.r.logger().Warn("import progress: send milestone", "import", p.imp.ID, "err", err)
		}
	}
}

// stop ends the updates and waits for one in flight.
func (p *progress) stop() {
	p.stopOnce.Do(func() { close(p.stopped) })
	<-p.done
}

// finish turns the card into the report, or sends the report when the
// card cannot be edited. It returns an error only when delivery may work
// on a later try; a report that can never be delivered (the uploader is
// gone or unreachable) is logged and counts as delivered.
func (p *progress) finish(ctx context.Context, imp *segmentbot.Import) error {
	p.stop()
	if p.to == nil {
		return nil
	}
	msg := ReportMessage(imp, p.segment, p.r.Links)
	if !p.milestones && p.msgID != "" {
		err := p.m.Update(ctx, p.to, p.msgID, msg)
		if err == nil {
			return nil
		}
		p.r.logger().Warn("import report: update card", "import", imp.ID, "err", err)
	}
	_, err := p.m.Send(ctx, p.to, msg)
	switch segmentbot.ErrorCode(err) {
	case "":
		return nil
	case segmentbot.EINTERNAL, segmentbot.EUNAVAILABLE:
		return fmt.Errorf("send the report of import %d: %w", imp.ID, err)
	}
	p.r.logger().Error("import report cannot be delivered", "import", imp.ID, "err", err)
	return nil
}
