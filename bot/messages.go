package bot

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/segmentbot/segmentbot"
)

// Subscription states a segment card can show.
const (
	stateUnknown = ""
	stateIn      = "in"
	stateOut     = "out"
)

// segmentCard is the opt-in / opt-out card of one segment. With a known
// state it shows it and offers only the button that changes it.
func (b *Bot) segmentCard(seg *segmentbot.Segment, state string, execute bool) segmentbot.Message {
	msg := segmentbot.Message{Title: seg.Name, Text: seg.Description, Execute: execute}
	if msg.Text == "" {
		msg.Text = fmt.Sprintf("Get the %s news in this chat.", seg.Name)
	}
	in := segmentbot.Button{Title: "Opt in", Action: b.sign(segmentbot.Action{Verb: segmentbot.VerbOptIn, SegmentID: seg.ID})}
	out := segmentbot.Button{Title: "Opt out", Action: b.sign(segmentbot.Action{Verb: segmentbot.VerbOptOut, SegmentID: seg.ID})}
	switch state {
	case stateIn:
		msg.Text += "\nYou're subscribed."
		msg.Buttons = []segmentbot.Button{out}
	case stateOut:
		msg.Text += "\nYou're not subscribed."
		msg.Buttons = []segmentbot.Button{in}
	default:
		msg.Buttons = []segmentbot.Button{in, out}
	}
	if seg.Visibility == segmentbot.VisibilityClosed {
		// Admins add people to a closed segment; its card only lets them leave.
		msg.Buttons = slices.DeleteFunc(msg.Buttons, func(b segmentbot.Button) bool { return b.Title == in.Title })
		if state == stateOut {
			msg.Text += " Only admins add people to this segment."
		}
	}
	return msg
}

// SegmentCard is the segment's opt-in/opt-out card for other systems to
// embed in broadcasts (REST GET /v1/segments/{id}/card).
func (b *Bot) SegmentCard(ctx context.Context, segmentID int64) (segmentbot.Message, error) {
	seg, err := b.store.FindSegmentByID(ctx, segmentID)
	if err != nil {
		return segmentbot.Message{}, err
	}
	return b.segmentCard(seg, stateUnknown, false), nil
}

// confirmation is the reply after an opt-in by button.
func confirmation(seg *segmentbot.Segment) string {
	if seg.Reply != "" {
		return seg.Reply
	}
	return fmt.Sprintf("You're in: %s. Tap Opt out or type unsubscribe to leave.", seg.Name)
}

func (b *Bot) welcome(ctx context.Context, u *segmentbot.User) (*segmentbot.Response, error) {
	admin, err := b.isAdmin(ctx, u)
	if err != nil {
		return nil, err
	}
	msg := segmentbot.Message{
		Title: "Hi, I'm segmentbot",
		Text:  "I keep the lists of people who get our news. Tap Opt in on a card to join a list, or type unsubscribe to leave them all.",
		Buttons: []segmentbot.Button{
			{Title: "My segments", Say: "my segments"},
			{Title: "Open segments", Say: "segments"},
		},
	}
	if admin {
		msg.Text += "\nYou're an admin: type help to see what you can do, or send me a CSV file of emails to fill a segment."
		msg.Buttons = append(msg.Buttons, segmentbot.Button{Title: "Help", Say: "help"})
	}
	return say(msg)
}

// helpCard lists the admin commands, with buttons for the common ones.
// What the admin fills in is in italics: Teams drops anything in angle
// brackets as HTML, so "<name>" would vanish.
func helpCard() segmentbot.Message {
	lines := []string{
		"create segment _name_; create segment _name_ where _filter_: the users who match, kept up to date",
		"segments",
		"rename segment _old name_ to _new name_; change segment _name_ where _filter_: a new rule for a rule segment",
		"delete segment _name_",
		"add to _segment_, then one email per line",
		"remove from _segment_, then one email per line",
		"users _segment_: download the list of members",
		"card _segment_: the opt-in card; set reply _segment_: _text_",
		"set segment _segment_ open, invite or closed: who may find and join it",
		"history _email_: that person's joins and leaves",
		"send a CSV file (one column of emails or ids), with import into _segment_",
		"imports",
		"broadcast _segment_, then the message on the next lines (optionally where _filter_, at _time_ and as _name_): a preview first, sent when you confirm",
		"attributes: what users' attributes are and their commonest values",
		"audience _segment_ where _filter_: how many a broadcast would reach, and some of them by name",
		"a filter reads like department is Sales or Marketing and country is not US, region exists, or region is missing",
		"schedule _segment_ at _time_, or schedule _segment_ at _time_ as _name_: a placeholder for a broadcast sent elsewhere",
		"broadcasts; cancel broadcast _name or id_",
	}
	return segmentbot.Message{
		Title: "What I can do",
		Text:  strings.Join(lines, "\n"),
		// Markdown: the placeholders show in italics.
		Markdown: true,
		Buttons: []segmentbot.Button{
			{Title: "Segments", Say: "segments"},
			{Title: "Imports", Say: "imports"},
			{Title: "Broadcasts", Say: "broadcasts"},
		},
	}
}

// userHelp is the end users' help card: what they can do, for "help",
// "hi" and any text the bot does not understand. lead, if any, comes
// first ("Only admins can do that.").
func userHelp(lead string) segmentbot.Message {
	lines := []string{
		"my segments: the segments you're in, each with Opt out",
		"segments: the open segments you can join",
		"unsubscribe: leave every segment; no admin can add you back until you opt in yourself",
		"unsubscribe followed by a segment's name: leave only that one",
	}
	text := strings.Join(lines, "\n")
	if lead != "" {
		text = lead + "\n\n" + text
	}
	return segmentbot.Message{
		Title: "What you can do here",
		Text:  text,
		Buttons: []segmentbot.Button{
			{Title: "My segments", Say: "my segments"},
			{Title: "Open segments", Say: "segments"},
		},
	}
}
