package bot

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/segmentbot/segmentbot"
)

// visibilityText says what a segment's visibility means to an admin.
var visibilityText = map[string]string{
	segmentbot.VisibilityOpen:   "open: end users see it when they type segments and can join it",
	segmentbot.VisibilityInvite: "invite: people join through a card you share; it isn't listed",
	segmentbot.VisibilityClosed: "closed: only admins add people; its card offers only Opt out",
}

// setVisibility runs "set segment <name> open|invite|closed".
func (b *Bot) setVisibility(ctx context.Context, arg string) (*segmentbot.Response, error) {
	i := strings.LastIndex(arg, " ")
	if i < 0 || !segmentbot.ValidVisibility(strings.ToLower(arg[i+1:])) {
		return say(text("Say it as set segment, the segment's name, then open, invite or closed. For example: set segment Wellbeing open"))
	}
	v := strings.ToLower(arg[i+1:])
	seg, err := b.store.FindSegmentByName(ctx, cleanName(arg[:i]))
	if err != nil {
		return friendly(err)
	}
	if _, err := b.store.UpdateSegment(ctx, seg.ID, segmentbot.SegmentUpdate{Visibility: &v}); err != nil {
		return friendly(err)
	}
	return say(text("%s is now %s.", seg.Name, visibilityText[v]))
}

// historyPage is how many events one history card shows; a More button
// shows the next ones.
const historyPage = 20

// history runs "history <email>": every join and leave of the people with
// that email, with source, segment, time and the admin or import behind
// each, a page at a time.
func (b *Bot) history(ctx context.Context, ev segmentbot.Event, arg string) (*segmentbot.Response, error) {
	email := strings.ToLower(cleanName(arg))
	if email == "" {
		return say(text("Say it as history followed by an email, for example: history anna@contoso.com"))
	}
	users, err := b.store.FindUsersByEmail(ctx, email)
	if err != nil {
		return nil, fmt.Errorf("find %q: %w", email, err)
	}
	if len(users) == 0 {
		return say(text("I know nobody with the email %s.", email))
	}
	var msgs []segmentbot.Message
	for _, u := range users {
		msg, err := b.historyCard(ctx, ev, u, 0)
		if err != nil {
			return nil, err
		}
		msgs = append(msgs, msg)
	}
	return say(msgs...)
}

// moreHistory answers the More button of a history card: Segments holds
// the user's id and the last event shown.
func (b *Bot) moreHistory(ctx context.Context, ev segmentbot.Event, a *segmentbot.Action) (*segmentbot.Response, error) {
	if len(a.Segments) != 2 {
		return say(text("That button carried no history. Type history followed by an email."))
	}
	u, err := b.store.FindUserByID(ctx, a.Segments[0])
	if err != nil {
		return friendly(err)
	}
	msg, err := b.historyCard(ctx, ev, u, a.Segments[1])
	if err != nil {
		return nil, err
	}
	return say(msg)
}

// historyCard is one page of u's history after event after.
func (b *Bot) historyCard(ctx context.Context, ev segmentbot.Event, u *segmentbot.User, after int64) (segmentbot.Message, error) {
	events, err := b.store.FindUserEvents(ctx, u.ID, segmentbot.Page{After: after, Limit: historyPage + 1})
	if err != nil {
		return segmentbot.Message{}, err
	}
	msg := segmentbot.Message{Title: "History of " + displayName(u)}
	if after != 0 {
		msg.Title += ", continued"
	}
	if len(events) == 0 {
		msg.Text = "No joins or leaves yet."
	}
	loc := location(ev)
	var lines []string
	for i, e := range events {
		if i == historyPage {
			msg.Buttons = []segmentbot.Button{{Title: "More", Action: b.sign(segmentbot.Action{
				Verb: segmentbot.VerbMoreHistory, Segments: []int64{u.ID, events[i-1].ID}})}}
			break
		}
		lines = append(lines, eventLine(e, loc))
	}
	msg.Text += strings.Join(lines, "\n")
	unsubscribed, err := b.store.IsUnsubscribed(ctx, u.ID)
	if err != nil {
		return segmentbot.Message{}, err
	}
	if unsubscribed {
		msg.Text += "\nOpted out of everything: no admin can add them to a segment until they opt in themselves."
	}
	return msg, nil
}

// eventLine is one event of a history: time, what, where, how, and who.
func eventLine(e *segmentbot.UserEvent, loc *time.Location) string {
	what := map[string]string{segmentbot.ActionJoin: "joined", segmentbot.ActionLeave: "left"}[e.Action]
	seg := e.SegmentName
	if seg == "" {
		seg = fmt.Sprintf("deleted segment %d", e.SegmentID)
	}
	line := fmt.Sprintf("%s: %s %s, %s", e.At.In(loc).Format("2006-01-02 15:04 MST"), what, seg, sourceText[e.Source])
	switch {
	case e.ImportID != 0 && e.ActorEmail != "":
		line += fmt.Sprintf(" (import %d by %s)", e.ImportID, e.ActorEmail)
	case e.ImportID != 0:
		line += fmt.Sprintf(" (import %d)", e.ImportID)
	case e.ActorEmail != "":
		line += " (by " + e.ActorEmail + ")"
	case e.ActorName != "":
		line += " (by " + e.ActorName + ")"
	}
	return line
}

// sourceText says how a membership changed.
var sourceText = map[string]string{
	segmentbot.SourceButton:      "by their own tap",
	segmentbot.SourceKeyword:     "by typing unsubscribe",
	segmentbot.SourceResubscribe: "by their own Resubscribe",
	segmentbot.SourceChat:        "added or removed in chat",
	segmentbot.SourceImport:      "by a CSV import",
	segmentbot.SourceAPI:         "through the REST API",
	segmentbot.SourceSegment:     "the segment was deleted",
}

func displayName(u *segmentbot.User) string {
	switch {
	case u.Name != "" && u.Email != "":
		return u.Name + " (" + u.Email + ")"
	case u.Email != "":
		return u.Email
	}
	return u.Name
}
