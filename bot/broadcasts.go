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
		return say(text("Say it as schedule _segment_ at _time_, and optionally as _name_: for example schedule Sales at tomorrow 9:00 as Weekly news."))
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
		Text:    "I'll warn you if a large upload into this segment lands too close to it.",
		Buttons: []segmentbot.Button{{Title: "Broadcasts", Say: "broadcasts"}},
	})
}

// listBroadcasts lists the upcoming broadcasts, their times in the admin's
// zone (loc), as the confirmation shows them.
func (b *Bot) listBroadcasts(ctx context.Context, loc *time.Location) (*segmentbot.Response, error) {
	list, err := b.store.FindBroadcasts(ctx, b.now(), true)
	if err != nil {
		return nil, fmt.Errorf("list broadcasts: %w", err)
	}
	if len(list) == 0 {
		return say(text("No broadcasts scheduled. Type schedule _segment_ at _time_ to plan one."))
	}
	warnings, err := b.store.FindWarnings(ctx, 500)
	if err != nil {
		return nil, fmt.Errorf("list warnings: %w", err)
	}
	warned := map[int64]int{}
	for _, w := range warnings {
		warned[w.BroadcastID]++
	}
	msg := segmentbot.Message{Title: "Upcoming broadcasts"}
	for _, br := range list {
		seg := "deleted segment"
		if s, err := b.store.FindSegmentByID(ctx, br.SegmentID); err == nil {
			seg = fmt.Sprintf("%s (%s)", s.Name, segmentbot.Counted(s.Members, "member"))
		}
		v := fmt.Sprintf("%s to %s", showTime(br.ScheduledAt, loc), seg)
		if n := warned[br.ID]; n > 0 {
			v += ", " + segmentbot.Counted(int64(n), "late-upload warning")
		}
		msg.Facts = append(msg.Facts, segmentbot.Fact{Name: fmt.Sprintf("#%d %s", br.ID, br.Name), Value: v})
	}
	return say(msg)
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
		list, err := b.store.FindBroadcasts(ctx, b.now(), true)
		if err != nil {
			return nil, fmt.Errorf("list broadcasts: %w", err)
		}
		for _, br := range list {
			if strings.EqualFold(br.Name, arg) {
				if target != nil {
					return say(text("Several broadcasts are called %s; cancel one by its id (type broadcasts to see them).", arg))
				}
				target = br
			}
		}
	}
	if target == nil {
		return say(text("I found no upcoming broadcast called %s.", arg))
	}
	if _, err := b.store.CancelBroadcast(ctx, target.ID); err != nil {
		return friendly(err)
	}
	return say(text("Cancelled %s (#%d).", target.Name, target.ID))
}
