package bot

import (
	"context"
	"fmt"
	"strings"

	"github.com/segmentbot/segmentbot"
)

// createSegment handles "create segment <name>", and "create segment
// <name> where ..." for a rule segment.
func (b *Bot) createSegment(ctx context.Context, arg string) (*segmentbot.Response, error) {
	name, words, rule := splitWhere(arg)
	if rule {
		return b.createRuleSegment(ctx, cleanName(name), words)
	}
	seg := &segmentbot.Segment{Name: cleanName(name)}
	if err := b.store.CreateSegment(ctx, seg); err != nil {
		return friendly(err)
	}
	return say(segmentbot.Message{
		Title: "Segment created: " + seg.Name,
		Text:  fmt.Sprintf("Fill it by sending me a CSV file with the message import into %s, or type add to %s followed by one email per line.", seg.Name, seg.Name),
		Buttons: []segmentbot.Button{
			{Title: "Opt-in card", Say: "card " + seg.Name},
			{Title: "All segments", Say: "segments"},
		},
	})
}

// listSegments is the admin's overview: each segment with its size, last
// import and the common actions.
func (b *Bot) listSegments(ctx context.Context) (*segmentbot.Response, error) {
	segs, err := b.store.FindSegments(ctx, segmentbot.Page{Limit: 50})
	if err != nil {
		return nil, fmt.Errorf("list segments: %w", err)
	}
	if len(segs) == 0 {
		return say(markdown("There are no segments yet. Type create segment _name_ to make one."))
	}
	msg := segmentbot.Message{Text: segmentbot.Counted(int64(len(segs)), "segment")}
	for _, s := range segs {
		last := "no imports yet"
		if s.LastImport != nil {
			last = "last import " + segmentbot.StatusText(s.LastImport.Status)
		}
		msg.Carousel = append(msg.Carousel, segmentbot.Message{
			Title: s.Name,
			Text:  segmentbot.Counted(s.Members, "member") + ", " + last + ", " + s.Visibility,
			Buttons: []segmentbot.Button{
				{Title: "Manage users", Say: "help"},
				{Title: "Download list of users", URL: b.MembersURL(s.ID)},
				{Title: "Opt-in card", Say: "card " + s.Name},
			},
		})
	}
	return say(msg)
}

func (b *Bot) renameSegment(ctx context.Context, arg string) (*segmentbot.Response, error) {
	oldName, newName, ok := splitOn(arg, " to ")
	if !ok || cleanName(oldName) == "" {
		return say(markdown("Say it as rename segment _old name_ to _new name_."))
	}
	seg, err := b.store.FindSegmentByName(ctx, cleanName(oldName))
	if err != nil {
		return friendly(err)
	}
	name := cleanName(newName)
	if _, err := b.store.UpdateSegment(ctx, seg.ID, segmentbot.SegmentUpdate{Name: &name}); err != nil {
		return friendly(err)
	}
	return say(text("Renamed %s to %s.", seg.Name, name))
}

func (b *Bot) askDelete(ctx context.Context, name string) (*segmentbot.Response, error) {
	seg, err := b.store.FindSegmentByName(ctx, name)
	if err != nil {
		return friendly(err)
	}
	return say(segmentbot.Message{
		Title: "Delete " + seg.Name + "?",
		Text:  fmt.Sprintf("This removes its %s and cancels its scheduled broadcasts. The membership log is kept.", segmentbot.Counted(seg.Members, "member")),
		Buttons: []segmentbot.Button{{Title: "Delete " + seg.Name,
			Action: b.sign(segmentbot.Action{Verb: segmentbot.VerbConfirmDelete, SegmentID: seg.ID})}},
	})
}

func (b *Bot) deleteSegment(ctx context.Context, u *segmentbot.User, id int64) (*segmentbot.Response, error) {
	seg, err := b.store.FindSegmentByID(ctx, id)
	if segmentbot.ErrorCode(err) == segmentbot.ENOTFOUND {
		return say(text("That segment is already gone."))
	} else if err != nil {
		return nil, err
	}
	cancelled, err := b.store.DeleteSegment(ctx, id, u.ID)
	if err != nil {
		return friendly(err)
	}
	b.TellCancelled(ctx, seg, cancelled)
	return say(text("Deleted %s. %s cancelled.", seg.Name, segmentbot.Counted(int64(len(cancelled)), "scheduled broadcast")))
}

// AdminUsers lists the users SEGMENTBOT_ADMINS names whom the bot can
// reach (they have a conversation with it), each once: the recipients of
// warnings about broadcasts and imports made through REST.
func (b *Bot) AdminUsers(ctx context.Context) ([]*segmentbot.User, error) {
	var out []*segmentbot.User
	seen := map[int64]bool{}
	for _, id := range b.admins.identities() {
		users, err := b.store.FindUsersByIdentity(ctx, id)
		if err != nil {
			return nil, fmt.Errorf("find admin %s: %w", id, err)
		}
		for _, u := range users {
			if u.ConvRef != "" && !seen[u.ID] {
				seen[u.ID] = true
				out = append(out, u)
			}
		}
	}
	return out, nil
}

// TellCancelled tells the authors of broadcasts cancelled with a deleted
// segment. Failures are logged: the deletion itself stands.
func (b *Bot) TellCancelled(ctx context.Context, seg *segmentbot.Segment, cancelled []*segmentbot.Broadcast) {
	for _, br := range cancelled {
		if br.CreatedBy == 0 {
			continue
		}
		author, err := b.store.FindUserByID(ctx, br.CreatedBy)
		if err != nil {
			b.cfg.Logger.Warn("cannot find a broadcast author", "broadcast", br.ID, "err", err)
			continue
		}
		m := b.messengers[author.Channel]
		if m == nil || author.ConvRef == "" {
			continue
		}
		msg := text("Your broadcast %q (%s) was cancelled because its segment %s was deleted.",
			br.Name, showTime(br.ScheduledAt, zoneOf(author.TimeZone)), seg.Name)
		if _, err := m.Send(ctx, author, msg); err != nil {
			b.cfg.Logger.Warn("cannot tell a broadcast author", "broadcast", br.ID, "err", err)
		}
	}
}

// addEmails resolves pasted emails exactly like import rows and reports
// every failure with its reason.
func (b *Bot) addEmails(ctx context.Context, ev segmentbot.Event, name string, lines []string) (*segmentbot.Response, error) {
	seg, err := b.store.FindSegmentByName(ctx, name)
	if err == nil {
		err = seg.CheckManual()
	}
	if err != nil {
		return friendly(err)
	}
	if len(lines) == 0 {
		return say(text("Put the emails under the first line, one per line:\nadd to %s\nanna@example.com\nbob@example.com", seg.Name))
	}
	imp := &segmentbot.Import{SegmentID: seg.ID, Channel: ev.Channel, Source: segmentbot.SourceChat, FileName: "pasted in chat", UploadedBy: ev.Sender.ID}
	done, rows, err := b.importer.ImportValues(ctx, imp, lines)
	if err != nil {
		return friendly(err)
	}
	b.changedBy(segmentbot.SourceChat, segmentbot.ActionJoin, done.Added)
	return say(addReport(seg, done, rows))
}

// changedBy counts n membership changes of one source and action.
func (b *Bot) changedBy(source, action string, n int64) {
	for range n {
		b.changed(source, action)
	}
}

// addReport says what happened to pasted emails, one line per row that
// was not added.
func addReport(seg *segmentbot.Segment, imp *segmentbot.Import, rows []*segmentbot.ImportRow) segmentbot.Message {
	msg := segmentbot.Message{
		Title: fmt.Sprintf("Added %s of %s to %s", segmentbot.Count(imp.Added), segmentbot.Count(imp.Total), seg.Name),
		Facts: []segmentbot.Fact{
			{Name: "Added", Value: segmentbot.Count(imp.Added)},
			{Name: "Already members", Value: segmentbot.Count(imp.AlreadyMember)},
			{Name: "Opted out (skipped)", Value: segmentbot.Count(imp.SkippedOptOut)},
			{Name: "Duplicates", Value: segmentbot.Count(imp.Duplicates)},
			{Name: "Failed", Value: segmentbot.Count(imp.Failed)},
		},
	}
	var lines []string
	for _, r := range rows {
		switch r.Outcome {
		case segmentbot.OutcomeFailed:
			lines = append(lines, fmt.Sprintf("%s: %s", r.Value, segmentbot.ReasonText(r.Reason)))
		case segmentbot.OutcomeSkippedOptedOut:
			lines = append(lines, fmt.Sprintf("%s: opted out, so not added", r.Value))
		case segmentbot.OutcomeDuplicate:
			lines = append(lines, fmt.Sprintf("%s: listed twice", r.Value))
		}
	}
	msg.Text = strings.Join(lines, "\n")
	return msg
}

func (b *Bot) removeEmails(ctx context.Context, u *segmentbot.User, name string, lines []string) (*segmentbot.Response, error) {
	seg, err := b.store.FindSegmentByName(ctx, name)
	if err == nil {
		err = seg.CheckManual()
	}
	if err != nil {
		return friendly(err)
	}
	if len(lines) == 0 {
		return say(text("Put the emails under the first line, one per line:\nremove from %s\nanna@example.com", seg.Name))
	}
	results, err := RemoveEmails(ctx, b.store, seg.ID, lines, segmentbot.SourceChat, u.ID)
	if err != nil {
		return nil, err
	}
	removed := 0
	var notes []string
	for _, r := range results {
		if r.Outcome == "removed" {
			removed++
			b.changed(segmentbot.SourceChat, segmentbot.ActionLeave)
		} else {
			notes = append(notes, fmt.Sprintf("%s: %s", r.Value, r.Detail))
		}
	}
	return say(segmentbot.Message{Title: fmt.Sprintf("Removed %s of %s from %s", segmentbot.Count(int64(removed)), segmentbot.Count(int64(len(results))), seg.Name), Text: strings.Join(notes, "\n")})
}

func (b *Bot) usersLink(ctx context.Context, name string) (*segmentbot.Response, error) {
	seg, err := b.store.FindSegmentByName(ctx, name)
	if err != nil {
		return friendly(err)
	}
	return say(segmentbot.Message{
		Title:   seg.Name + ": " + segmentbot.Counted(seg.Members, "member"),
		Text:    "The link works for " + segmentbot.Duration(b.cfg.LinkTTL) + ".",
		Buttons: []segmentbot.Button{{Title: "Download list of users", URL: b.MembersURL(seg.ID)}},
	})
}

func (b *Bot) showCard(ctx context.Context, name string) (*segmentbot.Response, error) {
	seg, err := b.store.FindSegmentByName(ctx, name)
	if err != nil {
		return friendly(err)
	}
	return say(
		markdown("This is the card your users will see. Change the reply after opt-in with set reply %s: _text_.\nNow: %s\nVisibility: %s.", seg.Name, confirmation(seg), visibilityText[seg.Visibility]),
		b.segmentCard(seg, stateUnknown, false),
	)
}

func (b *Bot) setReply(ctx context.Context, arg string) (*segmentbot.Response, error) {
	name, reply, ok := splitOn(arg, ":")
	if !ok || strings.TrimSpace(reply) == "" {
		return say(markdown("Say it as set reply _segment_: _text_."))
	}
	seg, err := b.store.FindSegmentByName(ctx, cleanName(name))
	if err != nil {
		return friendly(err)
	}
	// The store checks the reply as REST does (segmentbot.CleanText).
	seg, err = b.store.UpdateSegment(ctx, seg.ID, segmentbot.SegmentUpdate{Reply: &reply})
	if err != nil {
		return friendly(err)
	}
	return say(text("Done. After opting in to %s, users will read: %s", seg.Name, seg.Reply))
}
