package bot

import (
	"context"
	"strconv"
	"time"

	"github.com/segmentbot/segmentbot"
)

// draftTTL is how long a preview can be confirmed: an old preview tapped
// by mistake must not send what was written a month ago.
const draftTTL = 7 * 24 * time.Hour

// draftID reads the draft id a preview button carries (signed, so it is
// one the bot handed out).
func draftID(a *segmentbot.Action) (int64, bool) {
	id, err := strconv.ParseInt(a.Arg, 10, 64)
	return id, err == nil && id > 0
}

// confirmDraft runs Send now (schedule false) or Schedule on a preview.
// The store turns the draft into a broadcast once; a second tap, or a tap
// racing the first, finds it confirmed and changes nothing.
func (b *Bot) confirmDraft(ctx context.Context, ev segmentbot.Event, a *segmentbot.Action, schedule bool) (*segmentbot.Response, error) {
	id, ok := draftID(a)
	if !ok {
		return say(text("That button carried no preview. Write the broadcast again."))
	}
	d, err := b.store.FindDraftByID(ctx, id)
	if err != nil {
		return friendly(err)
	}
	at := b.now()
	loc := location(ev)
	if d.State == segmentbot.DraftOpen && b.now().Sub(d.CreatedAt) > draftTTL {
		return say(text("This preview is more than a week old, so I did not send it. Write the broadcast again to see it as it would go out today."))
	}
	if schedule {
		if d.ScheduledAt == nil {
			return say(markdown("This preview has no time; tap Send now, or write it again with at _time_."))
		}
		if d.State == segmentbot.DraftOpen && !d.ScheduledAt.After(b.now()) {
			return say(text("%s has passed. Tap Send now to send it anyway, or write it again with a later time.", showTime(*d.ScheduledAt, loc)))
		}
		at = *d.ScheduledAt
	}
	br, created, err := b.store.ConfirmDraft(ctx, id, at, ev.Sender.ID)
	if err != nil {
		return friendly(err)
	}
	if br == nil {
		return say(text("This preview was cancelled, so nothing was sent. Write the broadcast again to send it."))
	}
	if !created {
		return say(text("%s (#%d) is already %s; nothing more was done. Type broadcasts to see how it goes.",
			br.Name, br.ID, b.alreadyText(br)))
	}
	if b.cfg.BroadcastChanged != nil {
		// Sent now, it wakes the sender only once "On its way" is
		// delivered, so the progress card comes after it (Agents
		// Playground showed it before, when the wake won the race).
		err := afterReplied(ctx, func(ctx context.Context) error {
			b.cfg.BroadcastChanged(ctx, br)
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	if !schedule {
		audience, err := b.reach(ctx, br.SegmentID, br.Filter)
		if err != nil {
			return nil, err
		}
		return say(text("On its way: %s (#%d) goes to %s now. I'll show the progress here; type cancel broadcast %d to stop it.",
			br.Name, br.ID, people(audience), br.ID))
	}
	return say(text("Scheduled %s (#%d) for %s. Type broadcasts to see it, or cancel broadcast %d to call it off.",
		br.Name, br.ID, showTime(br.ScheduledAt, loc), br.ID))
}

// alreadyText says where a confirmed broadcast stands.
func (b *Bot) alreadyText(br *segmentbot.Broadcast) string {
	switch br.Status {
	case segmentbot.BroadcastScheduled:
		if br.ScheduledAt.After(b.now()) {
			return "scheduled for " + showTime(br.ScheduledAt, time.UTC)
		}
		return "on its way"
	case segmentbot.BroadcastSending:
		return "being sent"
	}
	return segmentbot.BroadcastStatusText(br.Status)
}

// discardDraft runs Cancel on a preview.
func (b *Bot) discardDraft(ctx context.Context, a *segmentbot.Action) (*segmentbot.Response, error) {
	id, ok := draftID(a)
	if !ok {
		return say(text("That button carried no preview."))
	}
	d, discarded, err := b.store.DiscardDraft(ctx, id)
	if err != nil {
		return friendly(err)
	}
	switch {
	case discarded:
		return say(text("Cancelled. Nothing was sent."))
	case d.State == segmentbot.DraftConfirmed:
		return say(text("Too late to cancel the preview: it is broadcast #%d already. Type cancel broadcast %d to stop it.", d.BroadcastID, d.BroadcastID))
	}
	return say(text("This preview was cancelled already."))
}

// draftAction dispatches a preview button.
func (b *Bot) draftAction(ctx context.Context, ev segmentbot.Event, a *segmentbot.Action) (*segmentbot.Response, error) {
	return b.adminOnly(ctx, &ev.Sender, func() (*segmentbot.Response, error) {
		switch a.Verb {
		case segmentbot.VerbSendDraft:
			return b.confirmDraft(ctx, ev, a, false)
		case segmentbot.VerbScheduleDraft:
			return b.confirmDraft(ctx, ev, a, true)
		}
		return b.discardDraft(ctx, a)
	})
}
