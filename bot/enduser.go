package bot

import (
	"context"
	"fmt"
	"strconv"
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
		return b.resubscribe(ctx, &ev.Sender, a)
	case segmentbot.VerbMoreSegments:
		return b.browseFrom(ctx, &ev.Sender, a.SegmentID, a.Arg)
	case segmentbot.VerbConfirmDelete:
		return b.adminOnly(ctx, &ev.Sender, func() (*segmentbot.Response, error) { return b.deleteSegment(ctx, &ev.Sender, a.SegmentID) })
	case segmentbot.VerbMoreHistory:
		return b.adminOnly(ctx, &ev.Sender, func() (*segmentbot.Response, error) { return b.moreHistory(ctx, ev, a) })
	case segmentbot.VerbPickSegment:
		return b.adminOnly(ctx, &ev.Sender, func() (*segmentbot.Response, error) { return b.importPicked(ctx, ev, a) })
	case segmentbot.VerbCreateImport:
		return b.adminOnly(ctx, &ev.Sender, func() (*segmentbot.Response, error) { return b.createAndImport(ctx, ev, a) })
	case segmentbot.VerbSendDraft, segmentbot.VerbScheduleDraft, segmentbot.VerbDiscardDraft:
		return b.draftAction(ctx, ev, a)
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
	if a.Verb == segmentbot.VerbOptIn && seg.Visibility == segmentbot.VisibilityClosed {
		// An old card from before the segment was closed: refuse politely.
		member, err := b.store.IsMember(ctx, seg.ID, u.ID)
		if err != nil {
			return nil, fmt.Errorf("opt in to segment %d: %w", seg.ID, err)
		}
		state = map[bool]string{true: stateIn, false: stateOut}[member]
		reply = fmt.Sprintf("%s is closed: only admins add people to it, so nothing changed.", seg.Name)
	} else if a.Verb == segmentbot.VerbOptIn {
		if state, reply, err = b.optIn(ctx, seg, u); segmentbot.ErrorCode(err) == segmentbot.ENOTFOUND {
			return b.segmentGone(seg.ID)
		} else if err != nil {
			return nil, err
		}
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
		if seg.Visibility == segmentbot.VisibilityClosed {
			reply = fmt.Sprintf("You're out: %s. Only admins add people to it.", seg.Name)
		}
	}
	if ev.Invoke {
		card := b.segmentCard(seg, state, true)
		card.Text = reply
		return &segmentbot.Response{Card: &card}, nil
	}
	if a.Verb == segmentbot.VerbOptOut && seg.Visibility != segmentbot.VisibilityClosed {
		// An Opt out under a broadcast has no Opt in next to it: the
		// reply brings the button it speaks of.
		return say(segmentbot.Message{Text: reply, Buttons: b.segmentCard(seg, stateOut, false).Buttons})
	}
	return say(text("%s", reply))
}

// optIn joins u to seg by their own tap and returns the card's state
// and the reply. A rule segment lets in only who its rule would let in
// (anyone else the next sync would take out again): the rest are told
// whom it is for and stay as they were. ENOTFOUND for a segment deleted
// since it was cached.
func (b *Bot) optIn(ctx context.Context, seg *segmentbot.Segment, u *segmentbot.User) (string, string, error) {
	if whom, err := b.notFor(ctx, seg, u.ID); err != nil {
		return "", "", fmt.Errorf("opt in to segment %d: %w", seg.ID, err)
	} else if whom != "" {
		member, err := b.store.IsMember(ctx, seg.ID, u.ID)
		if err != nil {
			return "", "", fmt.Errorf("opt in to segment %d: %w", seg.ID, err)
		}
		return map[bool]string{true: stateIn, false: stateOut}[member], whom + " You don't, so nothing changed.", nil
	}
	joined, err := b.store.Join(ctx, seg.ID, u.ID, segmentbot.SourceButton, u.ID)
	if err != nil {
		return "", "", fmt.Errorf("opt in to segment %d: %w", seg.ID, err)
	}
	if joined {
		b.changed(segmentbot.SourceButton, segmentbot.ActionJoin)
	}
	return stateIn, confirmation(seg), nil
}

// rejoinable is the segments of ids a Resubscribe may bring userID back
// into: those that still exist, except the rule segments whose rule no
// longer matches them, which notes say whom they are for.
func (b *Bot) rejoinable(ctx context.Context, userID int64, ids []int64) ([]*segmentbot.Segment, []string, error) {
	var segs []*segmentbot.Segment
	var notes []string
	for _, id := range ids {
		seg, err := b.segments.tapSegment(ctx, id)
		if segmentbot.ErrorCode(err) == segmentbot.ENOTFOUND {
			continue
		} else if err != nil {
			return nil, nil, err
		}
		if whom, err := b.notFor(ctx, seg, userID); err != nil {
			return nil, nil, fmt.Errorf("resubscribe to %d: %w", seg.ID, err)
		} else if whom != "" {
			notes = append(notes, whom)
			continue
		}
		segs = append(segs, seg)
	}
	return segs, notes, nil
}

// notFor says whom seg is for ("UK Sales is for people who match ...")
// when it is a rule segment whose rule userID does not match, else "":
// a user's own tap or Resubscribe lets in only who the rule would (anyone
// else the next sync would take out again).
func (b *Bot) notFor(ctx context.Context, seg *segmentbot.Segment, userID int64) (string, error) {
	if seg.Filter == nil {
		return "", nil
	}
	rule, fits, err := b.store.FitsRule(ctx, seg.ID, userID)
	if err != nil || fits {
		return "", err
	}
	return fmt.Sprintf("%s is for people who match %s.", seg.Name, rule.Words()), nil
}

// segmentGone answers a tap on a segment deleted since it was cached (the
// sender is always stored, so Join's and Leave's ENOTFOUND is the segment).
func (b *Bot) segmentGone(id int64) (*segmentbot.Response, error) {
	b.segments.forget(id)
	return say(text("That segment no longer exists, so nothing changed."))
}

// keywordOptOut handles an unsubscribe keyword: with nothing but filler
// words around it ("please unsubscribe me", "STOP!!", "opt me out") it
// leaves every segment and keeps admins from adding the user anywhere;
// followed by a segment's name it leaves that one. It reports false when
// the text is not a keyword command at all ("how do I stop the printer").
func (b *Bot) keywordOptOut(ctx context.Context, u *segmentbot.User, raw string) (*segmentbot.Response, bool, error) {
	seg, ok, err := b.optOutTarget(ctx, raw)
	switch {
	case err != nil:
		return nil, true, err
	case !ok:
		return nil, false, nil
	case seg != nil:
		resp, err := b.leaveOne(ctx, u, seg)
		return resp, true, err
	}
	resp, err := b.optOutAll(ctx, u)
	return resp, true, err
}

// optOutTarget reads raw as an opt-out: of the segment it names (seg),
// of everything (seg nil), or none at all (ok false).
func (b *Bot) optOutTarget(ctx context.Context, raw string) (*segmentbot.Segment, bool, error) {
	if b.keywords[normalize(raw)] {
		return nil, true, nil
	}
	rest, ok := optOutRequest(b.keywordWords, raw)
	if !ok {
		return nil, false, nil
	}
	for _, name := range segmentNames(rest) {
		seg, err := b.store.FindSegmentByName(ctx, name)
		if segmentbot.ErrorCode(err) == segmentbot.ENOTFOUND {
			continue
		} else if err != nil {
			return nil, false, err
		}
		return seg, true, nil
	}
	return nil, onlyFillers(rest), nil
}

// leaveOne runs "unsubscribe <segment>": a sticky opt-out of that segment
// only, said plainly when the user was not in it.
func (b *Bot) leaveOne(ctx context.Context, u *segmentbot.User, seg *segmentbot.Segment) (*segmentbot.Response, error) {
	left, err := b.store.Leave(ctx, seg.ID, u.ID, segmentbot.SourceKeyword, u.ID, true)
	if err != nil {
		return nil, fmt.Errorf("unsubscribe from %d: %w", seg.ID, err)
	}
	if !left {
		return say(text("You weren't in %s, so there was nothing to leave. It's noted: no admin can add you to %s unless you opt in yourself.", seg.Name, seg.Name))
	}
	b.changed(segmentbot.SourceKeyword, segmentbot.ActionLeave)
	return say(b.leftMessage([]*segmentbot.Segment{seg}, false))
}

func (b *Bot) optOutAll(ctx context.Context, u *segmentbot.User) (*segmentbot.Response, error) {
	left, err := b.store.OptOutAll(ctx, u.ID, segmentbot.SourceKeyword)
	if err != nil {
		return nil, fmt.Errorf("opt out of everything: %w", err)
	}
	for range left {
		b.changed(segmentbot.SourceKeyword, segmentbot.ActionLeave)
	}
	return say(b.leftMessage(left, true))
}

// leftMessage confirms a keyword opt-out and offers a one-tap way back to
// exactly those segments; after a plain unsubscribe (all) it says that no
// admin can add the user anywhere, and the way back lifts that too.
func (b *Bot) leftMessage(left []*segmentbot.Segment, all bool) segmentbot.Message {
	names := make([]string, len(left))
	ids := make([]int64, len(left))
	for i, s := range left {
		names[i], ids[i] = s.Name, s.ID
	}
	resub := segmentbot.Action{Verb: segmentbot.VerbResubscribe, Segments: ids}
	msg := segmentbot.Message{Title: "You're unsubscribed"}
	switch {
	case len(left) == 0:
		msg.Text = "You're not subscribed to anything, so there's nothing to leave."
	default:
		msg.Text = "You left: " + strings.Join(names, ", ") + ".\nNo news from these will reach you."
	}
	if all {
		resub.Arg = segmentbot.ResubscribeAll
		msg.Text += "\nNo admin can add you to any segment until you opt in yourself. Changed your mind?"
	} else {
		msg.Text += " Changed your mind?"
	}
	msg.Buttons = []segmentbot.Button{{Title: "Resubscribe", Action: b.sign(resub)}}
	return msg
}

// resubscribe rejoins the segments a keyword opt-out left. After a plain
// unsubscribe (Arg all) it also lifts the global opt-out, in the same
// transaction.
func (b *Bot) resubscribe(ctx context.Context, u *segmentbot.User, a *segmentbot.Action) (*segmentbot.Response, error) {
	var segs []*segmentbot.Segment
	back, notes, err := b.rejoinable(ctx, u.ID, a.Segments)
	if err != nil {
		return nil, err
	}
	if a.Arg == segmentbot.ResubscribeAll {
		var joined int
		ids := make([]int64, len(back))
		for i, seg := range back {
			ids[i] = seg.ID
		}
		if segs, joined, err = b.store.Resubscribe(ctx, u.ID, ids); err != nil {
			return nil, fmt.Errorf("resubscribe user %d: %w", u.ID, err)
		}
		for range joined {
			b.changed(segmentbot.SourceResubscribe, segmentbot.ActionJoin)
		}
	} else {
		for _, seg := range back {
			joined, err := b.store.Join(ctx, seg.ID, u.ID, segmentbot.SourceResubscribe, u.ID)
			if segmentbot.ErrorCode(err) == segmentbot.ENOTFOUND {
				b.segments.forget(seg.ID)
				continue
			} else if err != nil {
				return nil, fmt.Errorf("resubscribe to %d: %w", seg.ID, err)
			}
			if joined {
				b.changed(segmentbot.SourceResubscribe, segmentbot.ActionJoin)
			}
			segs = append(segs, seg)
		}
	}
	names := make([]string, len(segs))
	for i, s := range segs {
		names[i] = s.Name
	}
	var reply string
	switch {
	case len(names) > 0:
		reply = fmt.Sprintf("Welcome back! You're subscribed again to: %s.", strings.Join(names, ", "))
	case len(notes) > 0 && a.Arg == segmentbot.ResubscribeAll:
		reply = "Done: admins can add you to segments again."
	case len(notes) > 0:
		reply = "Nothing to rejoin."
	case a.Arg == segmentbot.ResubscribeAll && len(a.Segments) == 0:
		reply = "Done: admins can add you to segments again."
	case a.Arg == segmentbot.ResubscribeAll:
		reply = "Those segments no longer exist, so there's nothing to rejoin. Admins can add you to segments again."
	default:
		reply = "Those segments no longer exist, so there's nothing to rejoin."
	}
	for _, n := range notes {
		reply += " " + n + " You don't any more, so you're not back in it."
	}
	return say(text("%s", reply))
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

// browsePage is how many open segments one answer to segments shows:
// Teams shows at most 10 cards in a carousel.
const browsePage = 10

// browse shows the open segments as carousels of browsePage cards with
// the user's state, and a More button while there are more.
func (b *Bot) browse(ctx context.Context, u *segmentbot.User) (*segmentbot.Response, error) {
	return b.browseFrom(ctx, u, 0, "0")
}

// browseFrom shows the open segments after segment id after; shown is how
// many the user has seen so far (for "20 of 24").
func (b *Bot) browseFrom(ctx context.Context, u *segmentbot.User, after int64, shown string) (*segmentbot.Response, error) {
	segs, total, err := b.store.FindOpenSegments(ctx, segmentbot.Page{After: after, Limit: browsePage})
	if err != nil {
		return nil, fmt.Errorf("list open segments: %w", err)
	}
	if len(segs) == 0 {
		if after != 0 {
			return say(text("That's all: there are no more segments to show."))
		}
		return say(text("There are no segments you can join on your own yet. An admin may share a card with you to join one."))
	}
	mine, err := b.store.SegmentsOfUser(ctx, u.ID)
	if err != nil {
		return nil, fmt.Errorf("segments of user %d: %w", u.ID, err)
	}
	in := map[int64]bool{}
	for _, s := range mine {
		in[s.ID] = true
	}
	msg := b.carousel("Segments you can join", segs, func(s *segmentbot.Segment) string {
		if in[s.ID] {
			return stateIn
		}
		return stateOut
	})
	before, _ := strconv.ParseInt(shown, 10, 64)
	seen := max(before, 0) + int64(len(segs))
	if seen >= total {
		if total > browsePage {
			return say(msg, text("That's all %d segments.", total))
		}
		return say(msg)
	}
	more := segmentbot.Message{
		Text: fmt.Sprintf("%d of %d", seen, total),
		Buttons: []segmentbot.Button{{Title: "More", Action: b.sign(segmentbot.Action{
			Verb: segmentbot.VerbMoreSegments, SegmentID: segs[len(segs)-1].ID, Arg: strconv.FormatInt(seen, 10)})}},
	}
	return say(msg, more)
}

func (b *Bot) carousel(title string, segs []*segmentbot.Segment, state func(*segmentbot.Segment) string) segmentbot.Message {
	msg := segmentbot.Message{Text: title}
	for _, s := range segs {
		// Execute: the tapped card refreshes in place with the new state.
		msg.Carousel = append(msg.Carousel, b.segmentCard(s, state(s), true))
	}
	return msg
}
