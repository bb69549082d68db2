package bot

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/segmentbot/segmentbot"
)

// location is the admin's time zone from the activity, else UTC.
func location(ev segmentbot.Event) *time.Location {
	return zoneOf(ev.TimeZone, ev.Sender.TimeZone)
}

// zoneOf is the first of the IANA zone names that loads, else UTC.
func zoneOf(names ...string) *time.Location {
	for _, tz := range names {
		if tz == "" {
			continue
		}
		if loc, err := time.LoadLocation(tz); err == nil {
			return loc
		}
	}
	return time.UTC
}

// showTime shows t in loc with the zone named, as every chat message does:
// "Thu 3 Dec 2026 12:19 Europe/Berlin".
func showTime(t time.Time, loc *time.Location) string {
	return t.In(loc).Format("Mon 2 Jan 2006 15:04") + " " + loc.String()
}

// schedule handles "schedule <segment> at <time> [as <name>]".
func (b *Bot) schedule(ctx context.Context, ev segmentbot.Event, arg string) (*segmentbot.Response, error) {
	segName, rest, ok := splitOn(arg, " at ")
	if !ok {
		return say(markdown("Say it as schedule _segment_ at _time_, and optionally as _name_: for example schedule Sales at tomorrow 9:00 as Weekly news."))
	}
	when, name, _ := splitOn(rest, " as ")
	seg, err := b.store.FindSegmentByName(ctx, cleanName(segName))
	if err != nil {
		return friendly(err)
	}
	loc := location(ev)
	if b.cfg.ParseWhen == nil {
		return nil, fmt.Errorf("bot: no time parser configured")
	}
	at, err := b.cfg.ParseWhen(when, b.now(), loc)
	if err != nil {
		return friendly(err)
	}
	if !at.After(b.now()) {
		return say(text("%s is in the past. Pick a time from now on.", at.In(loc).Format("Mon 2 Jan 2006 15:04 MST")))
	}
	if name = cleanName(name); name == "" {
		name = seg.Name + " broadcast"
	} else if name, err = segmentbot.ValidateBroadcastName("name", name); err != nil {
		return friendly(err)
	}
	br := &segmentbot.Broadcast{SegmentID: seg.ID, Name: name, ScheduledAt: at, CreatedBy: ev.Sender.ID}
	if err := b.store.CreateBroadcast(ctx, br); err != nil {
		return friendly(err)
	}
	if b.cfg.BroadcastChanged != nil {
		b.cfg.BroadcastChanged(ctx, br)
	}
	return say(segmentbot.Message{
		Title: "Broadcast scheduled: " + br.Name,
		Facts: []segmentbot.Fact{
			{Name: "Segment", Value: fmt.Sprintf("%s (%s)", seg.Name, segmentbot.Counted(seg.Members, "member"))},
			{Name: "When", Value: showTime(at, loc)},
			{Name: "Id", Value: strconv.FormatInt(br.ID, 10)},
		},
		Text: "I'll warn you if a large upload into this segment lands too close to it. " +
			"This is a placeholder for a broadcast sent elsewhere: I send nothing for it. To send a message yourself, write broadcast " + segmentbot.EscapeMarkdown(seg.Name) + " at _time_, then the message.",
		Markdown: true,
		Buttons:  []segmentbot.Button{{Title: "Broadcasts", Say: "broadcasts"}},
	})
}

// recentDays is how far back broadcasts lists finished broadcasts.
const recentDays = 7

// listBroadcasts shows the upcoming broadcasts, those sending, and those
// finished in the last week, each with its status and counts and its time
// in the admin's zone (loc); a placeholder (no message) says that nothing
// is sent for it.
func (b *Bot) listBroadcasts(ctx context.Context, loc *time.Location) (*segmentbot.Response, error) {
	all, err := b.store.FindBroadcasts(ctx, b.now(), false)
	if err != nil {
		return nil, fmt.Errorf("list broadcasts: %w", err)
	}
	var list []*segmentbot.Broadcast
	for _, br := range all {
		if b.listed(br) {
			list = append(list, br)
		}
	}
	if len(list) == 0 {
		return say(markdown("No broadcasts scheduled or sent lately. Type broadcast _segment_ and the message on the next lines to send one, or schedule _segment_ at _time_ for a placeholder."))
	}
	warnings, err := b.store.FindWarnings(ctx, 500)
	if err != nil {
		return nil, fmt.Errorf("list warnings: %w", err)
	}
	warned := map[int64]int{}
	for _, w := range warnings {
		warned[w.BroadcastID]++
	}
	msg := segmentbot.Message{Title: "Broadcasts"}
	for i := len(list) - 1; i >= 0; i-- { // oldest first, the next one last
		br := list[i]
		seg := "deleted segment"
		if s, err := b.store.FindSegmentByID(ctx, br.SegmentID); err == nil {
			seg = fmt.Sprintf("%s (%s)", s.Name, segmentbot.Counted(s.Members, "member"))
		}
		v := fmt.Sprintf("%s, %s to %s", b.statusLine(br), showTime(br.ScheduledAt, loc), seg)
		if n := warned[br.ID]; n > 0 {
			v += ", " + segmentbot.Counted(int64(n), "late-upload warning")
		}
		msg.Facts = append(msg.Facts, segmentbot.Fact{Name: fmt.Sprintf("#%d %s", br.ID, br.Name), Value: v})
	}
	return say(msg)
}

// listed keeps what an admin wants to see: everything not finished, and
// what finished (or started and was cancelled) in the last week.
func (b *Bot) listed(br *segmentbot.Broadcast) bool {
	recent := br.ScheduledAt.After(b.now().AddDate(0, 0, -recentDays))
	switch br.Status {
	case segmentbot.BroadcastScheduled, segmentbot.BroadcastSending:
		return !br.IsPlaceholder() || br.ScheduledAt.After(b.now()) || recent
	case segmentbot.BroadcastCancelled:
		return br.StartedAt != nil && recent
	}
	return recent
}

// statusLine is a broadcast's status in words with its counts.
func (b *Bot) statusLine(br *segmentbot.Broadcast) string {
	if br.IsPlaceholder() {
		if br.Status == segmentbot.BroadcastPast || (br.Status == segmentbot.BroadcastScheduled && !br.ScheduledAt.After(b.now())) {
			return "past placeholder (no message: nothing was sent)"
		}
		return "placeholder (no message: nothing is sent; made with schedule)"
	}
	if br.Status == segmentbot.BroadcastScheduled {
		return "scheduled"
	}
	return fmt.Sprintf("%s: %s sent, %s failed, %s pending", segmentbot.BroadcastStatusText(br.Status),
		segmentbot.Count(br.Sent), segmentbot.Count(br.Failed), segmentbot.Count(br.Pending))
}

func (b *Bot) cancelBroadcast(ctx context.Context, arg string) (*segmentbot.Response, error) {
	arg = strings.TrimPrefix(arg, "#")
	var target *segmentbot.Broadcast
	if id, err := strconv.ParseInt(arg, 10, 64); err == nil {
		br, err := b.store.FindBroadcastByID(ctx, id)
		if err != nil && segmentbot.ErrorCode(err) != segmentbot.ENOTFOUND {
			return nil, err
		}
		target = br
	}
	if target == nil {
		list, err := b.store.FindBroadcasts(ctx, b.now(), false)
		if err != nil {
			return nil, fmt.Errorf("list broadcasts: %w", err)
		}
		for _, br := range list {
			live := br.Status == segmentbot.BroadcastSending || (br.Status == segmentbot.BroadcastScheduled && (br.ScheduledAt.After(b.now()) || !br.IsPlaceholder()))
			if live && strings.EqualFold(br.Name, arg) {
				if target != nil {
					return say(text("Several broadcasts are called %s; cancel one by its id (type broadcasts to see them).", arg))
				}
				target = br
			}
		}
	}
	if target == nil {
		return say(text("I found no upcoming or sending broadcast called %s.", arg))
	}
	cancelled, err := b.store.CancelBroadcast(ctx, target.ID)
	if err != nil {
		return friendly(err)
	}
	if target.Status == segmentbot.BroadcastSending {
		return say(text("Cancelled %s (#%d): sending stops now; the report will say who got it.", cancelled.Name, cancelled.ID))
	}
	return say(text("Cancelled %s (#%d).", cancelled.Name, cancelled.ID))
}
