package bot

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/segmentbot/segmentbot"
	"github.com/segmentbot/segmentbot/broadcaster"
)

// composeUsage is how to write a broadcast, for the admin who got it wrong,
// in Markdown: what the admin fills in is in italics (Teams drops <...> as
// HTML), and the example shows as typed.
var composeUsage = md("Write it as broadcast _segment_, optionally at _time_ and as _name_, then the message on the next lines:\n" +
	segmentbot.EscapeMarkdown("broadcast Sales at tomorrow 9:00 as Weekly news\n"+
		"# An optional title\n"+
		"The text, in **Markdown**.\n"+
		"image: https://example.com/picture.png\n"+
		"button: Read more | https://example.com/post"))

// usageError is an EINVALID error whose message is Markdown (a usage hint
// with italic placeholders, anything the admin typed escaped): compose
// answers it as such.
type usageError struct{ error }

func (e usageError) Unwrap() error { return e.error }

// usagef is a usageError; its string arguments are escaped.
func usagef(format string, args ...any) error {
	return usageError{segmentbot.Errorf(segmentbot.EINVALID, "%s", markdown(format, args...).Text)}
}

// composed is a broadcast as written in chat, before its segment and time
// are looked up.
type composed struct {
	segment string
	filter  *segmentbot.Filter // from "where ..."; nil = every member
	when    string             // as typed; "" = no time given
	name    string
	message segmentbot.BroadcastMessage
}

// parseCompose reads "broadcast <segment> [where <filter>] [at <time>]
// [as <name>]" and the message lines under it: an optional "# title" first, "image: URL" and
// "button: title | URL" lines anywhere, and the rest as Markdown text
// (blank lines kept, so paragraphs stay). EINVALID says what is wrong.
func parseCompose(arg string, lines []string) (composed, error) {
	var c composed
	head, words, filtered := cutWhere(strings.Join(strings.Fields(arg), " "))
	if filtered {
		f, err := parseWhere(words)
		if err != nil {
			return c, err
		}
		c.filter = f
	}
	asAt := indexFold(head, " as ")
	atAt := indexFold(head, " at ")
	switch {
	case asAt >= 0 && (atAt < 0 || asAt < atAt): // no time, or " at " inside the name
		c.segment, c.name = head[:asAt], head[asAt+len(" as "):]
	case atAt >= 0:
		c.segment, c.when = head[:atAt], head[atAt+len(" at "):]
		c.when, c.name, _ = splitOn(c.when, " as ")
	default:
		c.segment = head
	}
	c.segment, c.name, c.when = cleanName(c.segment), cleanName(c.name), strings.TrimSpace(c.when)
	if c.segment == "" {
		return c, usagef("Name the segment. %s", composeUsage)
	}
	if strings.HasSuffix(strings.ToLower(head), " at") {
		return c, usagef("Say when after at, e.g. at tomorrow 9:00. %s", composeUsage)
	}
	if c.name != "" {
		var err error
		if c.name, err = segmentbot.ValidateBroadcastName("name", c.name); err != nil {
			return c, err
		}
	}
	if err := c.readMessage(lines); err != nil {
		return c, err
	}
	if c.message.Text == "" {
		return c, usagef("Put the message under the first line. %s", composeUsage)
	}
	if err := c.message.Validate(); err != nil {
		return c, err
	}
	if c.name == "" {
		c.name = c.message.Title
	}
	return c, nil
}

// readMessage sorts the message lines into title, image, buttons and text.
func (c *composed) readMessage(lines []string) error {
	m := &c.message
	var text []string
	for _, raw := range lines {
		l := strings.TrimSpace(raw)
		key, value, _ := strings.Cut(l, ":")
		switch key = strings.ToLower(strings.TrimSpace(key)); {
		case strings.HasPrefix(l, "# ") && m.Title == "" && strings.TrimSpace(strings.Join(text, "")) == "":
			m.Title = strings.TrimSpace(l[2:])
		case key == "image" && strings.Contains(l, ":"):
			if m.ImageURL != "" {
				return segmentbot.Errorf(segmentbot.EINVALID, "A broadcast has one image; this one has two image: lines.")
			}
			m.ImageURL = strings.TrimSpace(value)
			if m.ImageURL == "" {
				return segmentbot.Errorf(segmentbot.EINVALID, "Put the picture's https:// link after image:.")
			}
		case key == "button" && strings.Contains(l, ":"):
			b, err := parseButton(value)
			if err != nil {
				return err
			}
			m.Buttons = append(m.Buttons, b)
		default:
			text = append(text, strings.TrimRight(raw, " \t\r"))
		}
	}
	m.Text = strings.TrimSpace(strings.Join(text, "\n"))
	return nil
}

// parseButton reads "title | URL" (or "title URL").
func parseButton(s string) (segmentbot.LinkButton, error) {
	title, link, ok := strings.Cut(s, "|")
	if !ok {
		if i := strings.LastIndexAny(strings.TrimSpace(s), " \t"); i > 0 {
			s = strings.TrimSpace(s)
			title, link = s[:i], s[i+1:]
		}
	}
	b := segmentbot.LinkButton{Title: strings.TrimSpace(title), URL: strings.TrimSpace(link)}
	if b.Title == "" || b.URL == "" {
		return b, usagef("Write a button as button: _title_ | https://link, not button:%s.", s)
	}
	return b, nil
}

// messageLines are the lines under a command's first line, as typed:
// blank lines stay, since they separate Markdown paragraphs.
func messageLines(text string) []string {
	lines := strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
	return lines[1:]
}

// compose handles "broadcast ...": it stores a draft and answers with the
// copy every recipient will get and the buttons that send it. Nothing is
// sent or scheduled here.
func (b *Bot) compose(ctx context.Context, ev segmentbot.Event, arg string) (*segmentbot.Response, error) {
	c, err := parseCompose(arg, messageLines(ev.Text))
	if err != nil {
		return refuse(err)
	}
	seg, err := b.store.FindSegmentByName(ctx, c.segment)
	if err != nil {
		return friendly(err)
	}
	loc := location(ev)
	var at *time.Time
	if c.when != "" {
		if b.cfg.ParseWhen == nil {
			return nil, fmt.Errorf("bot: no time parser configured")
		}
		t, err := b.cfg.ParseWhen(c.when, b.now(), loc)
		if err != nil {
			return friendly(err)
		}
		if !t.After(b.now()) {
			return say(text("%s is in the past. Pick a time from now on, or leave out at to send it now.", showTime(t, loc)))
		}
		at = &t
	}
	if c.name == "" {
		c.name = seg.Name + " broadcast"
	}
	d := &segmentbot.BroadcastDraft{SegmentID: seg.ID, Name: c.name, ScheduledAt: at, Message: c.message, Filter: c.filter, CreatedBy: ev.Sender.ID}
	if err := b.store.CreateDraft(ctx, d); err != nil {
		return nil, fmt.Errorf("store the preview: %w", err)
	}
	audience, err := b.reach(ctx, seg.ID, c.filter)
	if err != nil {
		return nil, err
	}
	notes, err := b.unknownNames(ctx, c.filter)
	if err != nil {
		return nil, err
	}
	preview := broadcaster.Copy(&segmentbot.Broadcast{SegmentID: seg.ID, Name: d.Name, Message: &d.Message}, seg, b.signer)
	card := b.draftCard(d, seg, audience, loc)
	if len(notes) > 0 { // the card's own text is fixed words: no escaping needed
		card.Text, card.Markdown = strings.Join(append([]string{card.Text}, notes...), "\n"), true
	}
	return say(preview, card)
}

// reach counts whom a broadcast to the segment with filter f (nil: every
// member) would reach now.
func (b *Bot) reach(ctx context.Context, segmentID int64, f *segmentbot.Filter) (int64, error) {
	if f == nil {
		return b.store.CountRecipients(ctx, segmentID)
	}
	aud, err := b.store.FindAudience(ctx, segmentID, f, 0)
	if err != nil {
		return 0, fmt.Errorf("count the audience of segment %d: %w", segmentID, err)
	}
	return aud.Count, nil
}

// cutWhere takes a broadcast's first line apart: "Sales where department
// is Sales at 9:00 as News" gives "Sales at 9:00 as News" and the
// filter's words. The filter ends at the first " at " or " as " outside
// quotes; a where after the time or the name belongs to them.
func cutWhere(head string) (rest, words string, ok bool) {
	seg, words, ok := splitWhere(head)
	if !ok {
		return head, "", false
	}
	if firstOutsideQuotes(seg+" ", " at ", " as ") >= 0 {
		return head, "", false
	}
	end := firstOutsideQuotes(" "+words, " at ", " as ")
	if end < 0 {
		return seg, words, true
	}
	cut := max(end-1, 0) // end counts the space put in front
	return seg + " " + strings.TrimSpace(words[cut:]), strings.TrimSpace(words[:cut]), true
}

// firstOutsideQuotes is the index in s of the first of seps (ASCII),
// case-insensitively, outside "..." and “...”, or -1.
func firstOutsideQuotes(s string, seps ...string) int {
	var closing rune
	for i, r := range s {
		switch {
		case closing != 0:
			if r == closing {
				closing = 0
			}
		case r == '"':
			closing = '"'
		case r == '“':
			closing = '”'
		default:
			for _, sep := range seps {
				if hasPrefixFold(s[i:], sep) {
					return i
				}
			}
		}
	}
	return -1
}

// draftCard is the card under a preview: what it is, whom it reaches,
// and the buttons that decide.
func (b *Bot) draftCard(d *segmentbot.BroadcastDraft, seg *segmentbot.Segment, audience int64, loc *time.Location) segmentbot.Message {
	id := strconv.FormatInt(d.ID, 10)
	when := "now, when you tap Send now"
	msg := segmentbot.Message{
		Title: "Preview: " + d.Name,
		Text:  "Above is exactly what each recipient will get, with its Opt out button. Nothing is sent until you tap Send now.",
	}
	buttons := []segmentbot.Button{{Title: "Send now", Action: b.sign(segmentbot.Action{Verb: segmentbot.VerbSendDraft, SegmentID: seg.ID, Arg: id})}}
	if d.ScheduledAt != nil {
		when = showTime(*d.ScheduledAt, loc) + ", when you tap Schedule"
		msg.Text = "Above is exactly what each recipient will get, with its Opt out button. Nothing is sent or scheduled until you tap Send now or Schedule."
		buttons = append(buttons, segmentbot.Button{Title: "Schedule", Action: b.sign(segmentbot.Action{Verb: segmentbot.VerbScheduleDraft, SegmentID: seg.ID, Arg: id})})
	}
	buttons = append(buttons, segmentbot.Button{Title: "Cancel", Action: b.sign(segmentbot.Action{Verb: segmentbot.VerbDiscardDraft, SegmentID: seg.ID, Arg: id})})
	msg.Facts = []segmentbot.Fact{{Name: "Segment", Value: seg.Name}}
	if d.Filter != nil {
		msg.Facts = append(msg.Facts, segmentbot.Fact{Name: "Filter", Value: d.Filter.Words()})
	}
	msg.Facts = append(msg.Facts,
		segmentbot.Fact{Name: "Audience", Value: people(audience) + " " + reachNote(d.Filter)},
		segmentbot.Fact{Name: "When", Value: when})
	msg.Buttons = buttons
	return msg
}

// people says a count of people.
func people(n int64) string { return segmentbot.Counted(n, "person", "people") }
