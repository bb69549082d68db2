package bot

import (
	"context"
	"fmt"
	"strings"

	"github.com/segmentbot/segmentbot"
)

// handleAction runs a card button or postback. The user is always the
// authenticated sender; the action only names what to do.
func (b *Bot) handleAction(ctx context.Context, ev segmentbot.Event) (*segmentbot.Response, error) {
	a := ev.Action
	if a == nil {
		return say(text("That button carried no action. Ask an admin for a new card."))
	}
	if err := b.signer.VerifyAction(*a); err != nil {
		b.cfg.Logger.Warn("refused a card action", "verb", a.Verb, "segment", a.SegmentID, "user", ev.Sender.ID, "err", err)
		return friendly(err)
	}
	switch a.Verb {
	case segmentbot.VerbOptIn, segmentbot.VerbOptOut:
		return b.optInOut(ctx, ev, a)
	case segmentbot.VerbResubscribe:
		return b.resubscribe(ctx, &ev.Sender, a.Segments)
	case segmentbot.VerbConfirmDelete:
		return b.adminOnly(ctx, &ev.Sender, func() (*segmentbot.Response, error) { return b.deleteSegment(ctx, &ev.Sender, a.SegmentID) })
	case segmentbot.VerbPickSegment:
		return b.adminOnly(ctx, &ev.Sender, func() (*segmentbot.Response, error) { return b.importPicked(ctx, ev, a) })
	case segmentbot.VerbCreateImport:
		return b.adminOnly(ctx, &ev.Sender, func() (*segmentbot.Response, error) { return b.createAndImport(ctx, ev, a) })
	}
	return say(text("I don't know the button %q. Ask an admin for a new card.", a.Verb))
}

// isTap reports whether ev is an Opt in or Opt out tap: it changes at most
// one membership, with Join or Leave, which record the activity in the
// change's transaction (the entrance's one-commit path).
func isTap(ev segmentbot.Event) bool {
	a := ev.Action
	return ev.Kind == segmentbot.EventAction && a != nil && (a.Verb == segmentbot.VerbOptIn || a.Verb == segmentbot.VerbOptOut)
}

// optInOut runs an Opt in or Opt out tap: one cached segment look-up and
// one membership change, the hot path of the product.
func (b *Bot) optInOut(ctx context.Context, ev segmentbot.Event, a *segmentbot.Action) (*segmentbot.Response, error) {
	seg, err := b.segments.tapSegment(ctx, a.SegmentID)
	if segmentbot.ErrorCode(err) == segmentbot.ENOTFOUND {
		return say(text("That segment no longer exists, so nothing changed."))
	} else if err != nil {
		return nil, err
	}
	u := &ev.Sender
	var state, reply string
	if a.Verb == segmentbot.VerbOptIn {
		joined, err := b.store.Join(ctx, seg.ID, u.ID, segmentbot.SourceButton, u.ID)
		if segmentbot.ErrorCode(err) == segmentbot.ENOTFOUND {
			return b.segmentGone(seg.ID)
		} else if err != nil {
			return nil, fmt.Errorf("opt in to segment %d: %w", seg.ID, err)
		}
		if joined {
			b.changed(segmentbot.SourceButton, segmentbot.ActionJoin)
		}
		state, reply = stateIn, confirmation(seg)
	} else {
		left, err := b.store.Leave(ctx, seg.ID, u.ID, segmentbot.SourceButton, u.ID, true)
		if segmentbot.ErrorCode(err) == segmentbot.ENOTFOUND {
			return b.segmentGone(seg.ID)
		} else if err != nil {
			return nil, fmt.Errorf("opt out of segment %d: %w", seg.ID, err)
		}
		if left {
			b.changed(segmentbot.SourceButton, segmentbot.ActionLeave)
		}
		state, reply = stateOut, fmt.Sprintf("You're out: %s. Tap Opt in to come back.", seg.Name)
	}
	if ev.Invoke {
		card := b.segmentCard(seg, state, true)
		card.Text = reply
		return &segmentbot.Response{Card: &card}, nil
	}
	return say(text("%s", reply))
}

// segmentGone answers a tap on a segment deleted since it was cached (the
// sender is always stored, so Join's and Leave's ENOTFOUND is the segment).
func (b *Bot) segmentGone(id int64) (*segmentbot.Response, error) {
	b.segments.forget(id)
	return say(text("That segment no longer exists, so nothing changed."))
}

// keywordOptOut handles an unsubscribe keyword: alone it leaves every
// segment; followed by a segment name it leaves that one. It reports false
// when the text is not a keyword command at all.
func (b *Bot) keywordOptOut(ctx context.Context, u *segmentbot.User, raw string) (*segmentbot.Response, bool, error) {
	n := normalize(raw)
	if b.keywords[n] {
		resp, err := b.optOutAll(ctx, u)
		return resp, true, err
	}
	for k := range b.keywords {
		if !strings.HasPrefix(n, k+" ") {
			continue
		}
		name := cleanName(strings.TrimSpace(raw[keywordEnd(raw, k):]))
		seg, err := b.store.FindSegmentByName(ctx, name)
		if segmentbot.ErrorCode(err) == segmentbot.ENOTFOUND {
			continue // "stop the printer" is not a command
		} else if err != nil {
			return nil, true, err
		}
		if _, err := b.store.Leave(ctx, seg.ID, u.ID, segmentbot.SourceKeyword, u.ID, true); err != nil {
			return nil, true, fmt.Errorf("unsubscribe from %d: %w", seg.ID, err)
		}
		b.changed(segmentbot.SourceKeyword, segmentbot.ActionLeave)
		resp, err := say(b.leftMessage([]*segmentbot.Segment{seg}))
		return resp, true, err
	}
	return nil, false, nil
}

// keywordEnd finds where keyword k ends in raw, counting only the letters
// and digits normalize kept.
func keywordEnd(raw, k string) int {
	want := len(strings.ReplaceAll(k, " ", ""))
	for i, r := range raw {
		if want == 0 {
			return i
		}
		if n := normalize(string(r)); n != "" && n != " " {
			want -= len(n)
		}
	}
	return len(raw)
}

func (b *Bot) optOutAll(ctx context.Context, u *segmentbot.User) (*segmentbot.Response, error) {
	left, err := b.store.OptOutAll(ctx, u.ID, segmentbot.SourceKeyword)
	if err != nil {
		return nil, fmt.Errorf("opt out of everything: %w", err)
	}
	if len(left) == 0 {
		return say(text("You're not subscribed to anything, so there's nothing to leave. Type segments to see what you can join."))
	}
	for range left {
		b.changed(segmentbot.SourceKeyword, segmentbot.ActionLeave)
	}
	return say(b.leftMessage(left))
}

// leftMessage confirms a keyword opt-out and offers a one-tap way back to
// exactly those segments.
func (b *Bot) leftMessage(left []*segmentbot.Segment) segmentbot.Message {
	names := make([]string, len(left))
	ids := make([]int64, len(left))
	for i, s := range left {
		names[i], ids[i] = s.Name, s.ID
	}
	return segmentbot.Message{
		Title: "You're unsubscribed",
		Text:  "You left: " + strings.Join(names, ", ") + ".\nNo news from these will reach you. Changed your mind?",
		Buttons: []segmentbot.Button{{Title: "Resubscribe",
			Action: b.sign(segmentbot.Action{Verb: segmentbot.VerbResubscribe, Segments: ids})}},
	}
}

func (b *Bot) resubscribe(ctx context.Context, u *segmentbot.User, ids []int64) (*segmentbot.Response, error) {
	var names []string
	for _, id := range ids {
		seg, err := b.segments.tapSegment(ctx, id)
		if segmentbot.ErrorCode(err) == segmentbot.ENOTFOUND {
			continue
		} else if err != nil {
			return nil, err
		}
		joined, err := b.store.Join(ctx, seg.ID, u.ID, segmentbot.SourceResubscribe, u.ID)
		if segmentbot.ErrorCode(err) == segmentbot.ENOTFOUND {
			b.segments.forget(id)
			continue
		} else if err != nil {
			return nil, fmt.Errorf("resubscribe to %d: %w", seg.ID, err)
		}
		if joined {
			b.changed(segmentbot.SourceResubscribe, segmentbot.ActionJoin)
		}
		names = append(names, seg.Name)
	}
	if len(names) == 0 {
		return say(text("Those segments no longer exist, so there's nothing to rejoin."))
	}
	return say(text("Welcome back! You're subscribed again to: %s.", strings.Join(names, ", ")))
}

// mySegments shows the segments the user belongs to, each with Opt out.
func (b *Bot) mySegments(ctx context.Context, u *segmentbot.User) (*segmentbot.Response, error) {
	segs, err := b.store.SegmentsOfUser(ctx, u.ID)
	if err != nil {
		return nil, fmt.Errorf("segments of user %d: %w", u.ID, err)
	}
	if len(segs) == 0 {
		return say(text("You're not subscribed to anything yet. Type segments to see what you can join."))
	}
	return say(b.carousel("Your subscriptions", segs, func(*segmentbot.Segment) string { return stateIn }))
}

// browse shows every segment as a carousel with the user's state.
func (b *Bot) browse(ctx context.Context, u *segmentbot.User) (*segmentbot.Response, error) {
	segs, err := b.store.FindSegments(ctx, segmentbot.Page{Limit: 10})
	if err != nil {
		return nil, fmt.Errorf("list segments: %w", err)
	}
	if len(segs) == 0 {
		return say(text("There are no segments yet."))
	}
	mine, err := b.store.SegmentsOfUser(ctx, u.ID)
	if err != nil {
		return nil, fmt.Errorf("segments of user %d: %w", u.ID, err)
	}
	in := map[int64]bool{}
	for _, s := range mine {
		in[s.ID] = true
	}
	return say(b.carousel("Segments you can join", segs, func(s *segmentbot.Segment) string {
		if in[s.ID] {
			return stateIn
		}
		return stateOut
	}))
}

func (b *Bot) carousel(title string, segs []*segmentbot.Segment, state func(*segmentbot.Segment) string) segmentbot.Message {
	msg := segmentbot.Message{Text: title}
	for _, s := range segs {
		// Execute: the tapped card refreshes in place with the new state.
		msg.Carousel = append(msg.Carousel, b.segmentCard(s, state(s), true))
	}
	return msg
}
