package broadcaster

import (
	"context"
	"time"

	"github.com/segmentbot/segmentbot"
)

// progressAtLeast is the longest gap between two progress reports.
const progressAtLeast = 5 * time.Second

// watch rereads the broadcast every watchEvery, so a cancel (or a finish
// by another replica) stops the sends here within it, and renews the
// leases this replica holds at a third of their length.
func (d *delivery) watch(ctx context.Context) {
	cfg := &d.b.cfg
	t := time.NewTicker(watchEvery)
	defer t.Stop()
	renewed := time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if br, err := cfg.Store.FindBroadcastByID(ctx, d.id); err != nil {
			if ctx.Err() == nil {
				d.log().Error("reread broadcast", "err", err)
			}
		} else {
			d.br.Store(br)
			if br.Status != segmentbot.BroadcastSending {
				d.stop.Store(true)
			}
		}
		if time.Since(renewed) < cfg.Lease/3 {
			continue
		}
		// A failed renewal is tried again at the next tick, not a third of
		// a lease later: rows whose lease runs short are not sent.
		asked := time.Now()
		got, err := cfg.Store.RenewDeliveries(ctx, d.id, d.b.worker, cfg.Lease, d.held.list(asked))
		if err != nil {
			if ctx.Err() == nil {
				d.log().Error("renew delivery leases", "err", err)
			}
			continue
		}
		renewed = asked
		d.held.renewed(got, asked.Add(cfg.Lease))
		if d.owner.Load() {
			if _, err := cfg.Store.RenewBroadcast(ctx, d.id, d.b.worker, cfg.Lease); err != nil && ctx.Err() == nil {
				// Another replica owns it now; this one goes on helping.
				d.log().Warn("broadcast lease lost", "err", err)
				d.owner.Store(false)
			}
		}
	}
}

// report calls the Reporter's Progress while the owner sends: when the
// counts moved, at most once per ProgressEvery, and at least every 5 s.
func (d *delivery) report(ctx context.Context) {
	rep := d.b.cfg.Reporter
	if rep == nil {
		return
	}
	every := min(d.b.cfg.ProgressEvery, progressAtLeast)
	var last time.Time
	var lastDone int64 = -1
	for {
		wait := every - time.Since(last)
		if err := segmentbot.Sleep(ctx, wait); err != nil {
			return
		}
		br := d.br.Load()
		if !d.owner.Load() || br.Status != segmentbot.BroadcastSending {
			continue
		}
		done := br.Sent + br.Failed + br.Skipped
		if done == lastDone && time.Since(last) < progressAtLeast {
			continue
		}
		last, lastDone = time.Now(), done
		rep.Progress(ctx, br, d.left(br))
	}
}

// left estimates the time until the last send from the pace measured so
// far here, or from the configured rate before there is one.
func (d *delivery) left(br *segmentbot.Broadcast) time.Duration {
	rate := d.b.cfg.Rate
	if br.StartedAt != nil {
		if elapsed := d.b.cfg.Now().Sub(*br.StartedAt).Seconds(); elapsed >= 2 {
			if measured := float64(br.Sent+br.Failed+br.Skipped) / elapsed; measured > 0 {
				rate = min(measured, rate)
			}
		}
	}
	return time.Duration(float64(br.Pending) / rate * float64(time.Second)).Round(time.Second)
}

// finish ends the broadcast once no row is pending (or records when a
// cancelled one stopped), reports it and records the report.
func (d *delivery) finish(ctx context.Context) {
	store := d.b.cfg.Store
	br, err := store.FinishBroadcast(ctx, d.id)
	if err != nil {
		d.log().Warn("finish broadcast", "err", err)
		return
	}
	d.log().Info("broadcast finished", "status", br.Status, "audience", br.Audience, "sent", br.Sent,
		"failed", br.Failed, "skipped", br.Skipped, "pending", br.Pending)
	if br.StartedAt == nil {
		return
	}
	if rep := d.b.cfg.Reporter; rep != nil {
		if err := rep.Finished(ctx, br); err != nil {
			d.log().Error("report broadcast", "err", err)
			return
		}
	}
	if err := store.MarkBroadcastReported(ctx, d.id); err != nil {
		d.log().Error("record broadcast report", "err", err)
	}
}
